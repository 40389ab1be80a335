"""The one Jinja environment every document template renders in.

Templates are files operators edit in Word; the data is text from dozens of offices. So every
render is sandboxed (a tag cannot reach Python internals), autoescaped (an "&" or "<" in a
unit's name prints as written instead of truncating the document, as docxtpl does with
autoescape off) and strict (a misspelt tag is an error, not an empty string).
"""

from __future__ import annotations

import jinja2
from jinja2.sandbox import SandboxedEnvironment


def sandbox() -> SandboxedEnvironment:
    """A new environment with the settings above (docxtpl and the compiled renderer use it)."""
    return SandboxedEnvironment(autoescape=True, undefined=jinja2.StrictUndefined)
