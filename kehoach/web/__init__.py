"""The operators' portal (Cổng điều hành): server-rendered pages over the core and the flows.

``kehoach.web.app.create_app`` builds the FastAPI application; ``kehoach web`` serves it alone
and ``kehoach server`` beside the Prefect server. Every page is scoped to the user's unit.
"""
