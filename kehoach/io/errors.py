"""Typed errors that operators see.

Every error the product raises on bad input names *where* it is (file, line, row, unit or
field) and *what* is wrong, so the CLI can print it as one clear line and exit non-zero.
"""

from __future__ import annotations

from pathlib import Path


class KehoachError(Exception):
    """Base of all errors caused by input an operator can fix.

    ``where`` is the place (``hierarchy.yaml:12``, ``unit 00340``), ``what`` the problem.
    """

    def __init__(self, what: str, *, where: str | Path | None = None) -> None:
        self.what = what
        self.where = str(where) if where is not None else None
        super().__init__(f"{self.where}: {what}" if self.where else what)

    def lines(self) -> list[str]:
        """What the CLI prints, one line per problem: this error is one.

        An error that gathers several problems (a report with many bad cells) overrides this
        to list each; ``str()`` stays one line, the first problem and how many more.
        """
        return [str(self)]


class InputFileError(KehoachError):
    """A file cannot be read or parsed (missing, not UTF-8, malformed YAML)."""


class HierarchyError(KehoachError):
    """The hierarchy of units is invalid (cycle, two roots, unknown kind, ...)."""


class PlanError(KehoachError):
    """A plan (kế hoạch) file is invalid."""
