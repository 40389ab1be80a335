"""The status store: what units reported, with provenance and history, in a real database.

SQLite file by default (no server), PostgreSQL by URL (``KEHOACH_DATABASE_URL``); schema by
Alembic migrations. Nothing is ever updated in place: every import adds a submission with its
rows, and "the status" of a task is the latest row, so an earlier period's snapshot can be
read back exactly as it was.
"""
