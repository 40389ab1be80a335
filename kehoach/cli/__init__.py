"""The ``kehoach`` command line: thin commands that parse, call the core, and print."""

from kehoach.cli.app import app, main

__all__ = ["app", "main"]
