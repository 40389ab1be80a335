"""What the draft checker reports: one finding per problem, and the counts per kind.

A finding names the draft (its path relative to the plan folder, as the manifest lists it),
where in it ("III.2", "annex row 5", "preamble") and what a clerk would object to, in one
line. The kinds are the ways a derived draft fails to read as its own unit's plan (issue 12,
item 9); :class:`FindingKind` glosses each.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class FindingKind(StrEnum):
    """The kinds of problem, in the order the issue lists them.

    * ``foreign-assignee``: a part of Tổ chức thực hiện (implementation) headed by a body the
      unit cannot direct: its parent, the parent's departments, another level's bodies.
    * ``foreign-self-reference``: the unit speaking of itself in another unit's words ("công
      tác CCHC của quận" in a ward's plan, "UBND Thành phố yêu cầu" in a district's).
    * ``citation-changed``: a cited document ("Kế hoạch số 136/KH-UBND … về …") whose words
      differ from the parent plan's citation of the same number, or from the parent itself.
    * ``two-deadlines``: one task given two different dates in one draft (annex vs body,
      body vs body, two annex rows of one task).
    * ``lead-coordinates``: an annex row whose coordinating units (phối hợp) include its lead
      (chủ trì).
    * ``unnumbered-citation``: a plan cited with neither its number nor blanks for it ("Kế
      hoạch của UBND quận Hoàng Mai về …").
    """

    FOREIGN_ASSIGNEE = "foreign-assignee"
    FOREIGN_SELF_REFERENCE = "foreign-self-reference"
    CITATION_CHANGED = "citation-changed"
    TWO_DEADLINES = "two-deadlines"
    LEAD_COORDINATES = "lead-coordinates"
    UNNUMBERED_CITATION = "unnumbered-citation"


class Finding(BaseModel):
    """One problem in one draft."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: FindingKind
    path: str  # the draft, relative to the plan folder ("drafts/01-ha-noi/…/00340-….docx")
    where: str  # "III.2", "II.1.a", "annex row 5", "preamble", "closing"
    text: str  # what is wrong, quoting the draft

    @property
    def line(self) -> str:
        """The finding as one line: ``path: where: kind: text``."""
        return f"{self.path}: {self.where}: {self.kind.value}: {self.text}"


class LintReport(BaseModel):
    """The findings in the drafts of one or more plan folders.

    ``notes`` say what could not be checked (a draft that cannot be read, citations of the
    issuer's plan when its text was not given).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    folders: list[str]
    drafts: int
    findings: list[Finding]
    notes: list[str] = []

    @property
    def counts(self) -> dict[str, int]:
        """Findings per kind, every kind listed (0 where none), in the issue's order."""
        counts = {k.value: 0 for k in FindingKind}
        for f in self.findings:
            counts[f.kind.value] += 1
        return counts

    @property
    def total(self) -> int:
        return len(self.findings)


class DraftFindings(BaseModel):
    """What the check made of one draft: its findings, or why it could not be read.

    Per draft, by unit, so that drafts checked in different processes (the batches of a
    cascade) can be put back in one order, the order :func:`~kehoach.cascade.lint.lint_folder`
    reads them in, into one :class:`LintReport`.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    unit_id: str
    findings: list[Finding] = []
    note: str | None = None  # not checked: why (the draft could not be read)
