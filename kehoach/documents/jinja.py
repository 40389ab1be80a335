"""The one Jinja environment every document template renders in.

Templates are files operators edit in Word; the data is text from dozens of offices. So every
render is sandboxed (a tag cannot reach Python internals), autoescaped (an "&" or "<" in a
unit's name prints as written instead of truncating the document, as docxtpl does with
autoescape off) and strict (a misspelt tag is an error, not an empty string).
"""

from __future__ import annotations

from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

_DICT_NAMES = frozenset(dir(dict))


class _Sandbox(SandboxedEnvironment):
    """Jinja's sandbox, reading ``row.title`` off a plain dict without a failed lookup first.

    A context is plain data (a pydantic model's ``model_dump``): every ``b.text`` in a loop
    is a key of a dict. Jinja tries the attribute first, which a dict lacks, so each such tag
    raised and caught an AttributeError before the subscript: ~5 µs, a third of rendering a
    draft's XML. A key that is not a name of dict's own is read straight away; anything else
    goes the sandbox's way, so the result is the same in every case (a dict's items are
    data, which the sandbox returns unchecked too).
    """

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in _DICT_NAMES:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)


def sandbox() -> SandboxedEnvironment:
    """A new environment with the settings above (docxtpl and the compiled renderer use it)."""
    return _Sandbox(autoescape=True, undefined=jinja2.StrictUndefined)
