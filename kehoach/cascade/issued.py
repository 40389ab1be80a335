"""Plans units issued: what a unit numbered and signed, checked against its draft.

After a cascade a district opens its draft in Word, edits it (a deadline moved, a task
added), numbers, dates and signs it. From then on its wards implement the plan the district
*issued*, not the draft: their drafts cite it by number and date and carry its edits
(:func:`kehoach.cascade.walk.drafts_below` takes the issued plans).

:func:`issued_plan` checks an issued document before anything is recorded, with the cascade's
manifest as the witness of which draft belongs to which unit:

- the file is a draft of the cascade (at a draft's place in the plan folder, or byte for byte
  one the product wrote), and that draft is a plan, not a section's task list;
- the document is issued by the unit whose draft it is;
- it has a number and a date, and the date is not before the plan it implements (the
  parent's issued plan, or the nearest issued plan above while the parent is a draft).

The one check it cannot make is the number's: whether the unit already used it that year is
the store's to know (:func:`kehoach.status.store.db.record_issued`, in the same transaction
as the write). Reading the DOCX into a :class:`Plan` is the importer's
(:mod:`kehoach.documents.importing`), called in one place, :func:`read_issued`, for the CLI
and the flow; the checks take the Plan and the file's bytes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hierarchy.sources import load_hierarchy
from hierarchy.units import Signer
from kehoach.cascade.departments import DocumentKind
from kehoach.cascade.manifest import (
    MANIFEST,
    DerivedFrom,
    Manifest,
    ManifestEntry,
    hierarchy_key,
    read_manifest,
)
from kehoach.documents.importing import import_plan
from kehoach.io.errors import KehoachError
from kehoach.plan.deadline import format_date
from kehoach.plan.model import Plan


class IssueError(KehoachError):
    """An issued plan cannot be recorded (not this unit's draft, a date before its parent's,
    a number already used …)."""


class IssuedPlan(BaseModel):
    """A unit's plan as it issued it, with where it sits in the cascade.

    ``plan_key`` is the key of the cascade's plan in the status store ("145/KH-UBND"), and
    ``hierarchy`` the key of its hierarchy, as its folder is named ("hanoi-2024", a file's
    stem): an issued plan belongs to one cascade.
    ``implements`` is the number of the plan it implements (its parent's issued plan, or the
    nearest issued plan above it while the parent is a draft).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    unit_id: str
    plan_key: str
    hierarchy: str
    parent_unit_id: str | None
    implements: str
    plan: Plan
    sha256: str  # of the file as issued
    source_name: str  # the file as given (its path), for provenance

    @property
    def number(self) -> str:
        return self.plan.number_symbol

    @property
    def date(self) -> dt.date:
        assert self.plan.date is not None  # an issued plan has a date (checked on the way in)
        return self.plan.date

    @property
    def signer(self) -> str | None:
        return self.plan.signer.name

    @property
    def issuer(self) -> str:
        """The issuer as the document names it, with its id: "UBND quận Hoàng Mai (008)"."""
        return f"{self.plan.issuer.name} ({self.unit_id})"

    def derived_from(self) -> DerivedFrom:
        """How a child's manifest entry names this plan."""
        return DerivedFrom.of(self.plan, self.unit_id, self.sha256)


#: A document number as an operator types it: "67", or with its symbol "67/KH-UBND".
NUMBER_PATTERN = r"^\s*[0-9]{1,5}(\s*/\s*[A-Za-zĐđ0-9]+(-[A-Za-zĐđ0-9]+)*)?\s*$"


class Overrides(BaseModel):
    """What an operator types over the document: number, date, signer's name (each wins
    over what the document says, so a scan with a smudged number can still be recorded)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    number: str | None = Field(
        default=None, pattern=NUMBER_PATTERN, description="67, or 67/KH-UBND"
    )
    date: dt.date | None = None
    signer: str | None = Field(default=None, min_length=1, description="the signer's name")

    @classmethod
    def typed(
        cls, number: str | None = None, date: dt.date | None = None, signer: str | None = None
    ) -> Overrides:
        """The overrides as typed on a command line: a number that is none is one line."""
        try:
            return cls(number=number, date=date, signer=signer)
        except ValidationError:
            raise IssueError(
                f"number {number!r} is not a document number (67 or 67/KH-UBND)",
                where="--number",
            ) from None

    def apply(self, plan: Plan) -> Plan:
        """``plan`` with these values, validated again (a task due before the new date is
        refused as the plan file's check would refuse it)."""
        data: dict[str, Any] = plan.model_dump()
        if self.number is not None:
            number, _, symbol = self.number.strip().partition("/")
            if not number.isdigit() or int(number) < 1:
                raise IssueError(
                    f"number {self.number!r} is not a document number (67 or 67/KH-UBND)",
                    where="--number",
                )
            data["number"] = int(number)
            if symbol:
                data["symbol"] = symbol.strip().upper()
        if self.date is not None:
            data["date"] = self.date
        if self.signer is not None:
            data["signer"] = Signer(**{**plan.signer.model_dump(), "name": self.signer.strip()})
        try:
            return Plan.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "plan"
            raise IssueError(f"{where}: {first['msg']}") from None


def read_issued(path: Path, folder: Path | None = None) -> Plan:
    """The plan a signed DOCX says: the one place a file becomes a :class:`Plan` on the way
    to :func:`issued_plan`, for the CLI and the flow alike.

    The importer reads number, date, signer and the edited text and annex back
    (:func:`kehoach.documents.importing.import_plan`), in the hierarchy the cascade's manifest
    names (``folder``, else the one above ``path``), so its bodies are that cascade's units.
    What it could not map is refused here, in one line naming the place, rather than recorded
    as if the clerk had written it.
    """
    folder = folder or find_folder(path)
    manifest = read_manifest(folder) if folder is not None else None
    h = None
    if manifest is not None:
        try:
            h = load_hierarchy(manifest.hierarchy)
        except KehoachError:
            h = None  # moved or gone: the document's own words still say who issued it
    imported = import_plan(path, h)
    if imported.warnings:
        first = imported.warnings[0]
        more = f" (and {len(imported.warnings) - 1} more)" if len(imported.warnings) > 1 else ""
        raise IssueError(
            f"{first.where}: {first.what}{more}; correct the document, or check it with "
            "kehoach plan import",
            where=path,
        )
    return imported.plan


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def find_folder(path: Path) -> Path | None:
    """The plan folder a draft path lies in: the nearest folder above with a manifest."""
    for folder in path.resolve().parents:
        if (folder / MANIFEST).is_file():
            return folder
    return None


def draft_entry(manifest: Manifest, folder: Path, path: Path, digest: str) -> ManifestEntry:
    """The manifest entry whose draft ``path`` is: at its place in ``folder``, or with the
    bytes the product wrote (an unedited draft copied elsewhere)."""
    try:
        relative = path.resolve().relative_to(folder.resolve()).as_posix()
    except ValueError:
        relative = None
    for entry in manifest.drafts:
        if entry.path == relative:
            return entry
    for entry in manifest.drafts:
        if entry.sha256 == digest:
            return entry
    raise IssueError(
        f"{path.name} is not a draft of this cascade: it is at no draft's place in {folder} "
        "and has the bytes of none; issue the file saved over the unit's draft",
        where=path,
    )


def _implements(
    entry: ManifestEntry, manifest: Manifest, above: Mapping[str, IssuedPlan]
) -> tuple[str, dt.date | None, str]:
    """The plan ``entry``'s unit implements: (number, date, issuer), the parent's issued plan
    or, while the parent is a draft, the nearest issued plan above it; at the top, the
    cascade's own plan (number or, a draft, its summary)."""
    by_unit = {e.unit_id: e for e in manifest.drafts}
    parent = entry.parent_unit_id
    while parent is not None and parent in by_unit:
        if parent in above:
            issued = above[parent]
            return issued.number, issued.date, issued.plan.issuer.name
        parent = by_unit[parent].parent_unit_id
    top = manifest.plan
    return top.number or top.summary, top.date, top.issuer


def issued_plan(
    plan: Plan,
    data: bytes,
    path: Path,
    *,
    folder: Path | None = None,
    above: Mapping[str, IssuedPlan] | None = None,
    overrides: Overrides | None = None,
) -> IssuedPlan:
    """The plan a unit issued from the file ``path`` (bytes ``data``, read as ``plan``), checked.

    ``folder`` is the cascade's plan folder (found above ``path`` when not given); ``above``
    the plans already issued in that cascade, by unit (the parent's date is checked against
    them); ``overrides`` what the operator typed over the document. Raises
    :class:`IssueError`, one line naming the file and what is wrong; nothing is recorded
    here, so a refusal leaves the store as it was.
    """
    try:
        plan = (overrides or Overrides()).apply(plan)
    except IssueError as exc:
        raise IssueError(exc.what, where=exc.where or path) from None
    folder = folder or find_folder(path)
    if folder is None:
        raise IssueError(
            f"{path.name} is not in a cascade's folder (no {MANIFEST} above it); issue the "
            "file saved over the unit's draft, under out/<plan>/<hierarchy>/drafts",
            where=path,
        )
    manifest = read_manifest(folder)
    if manifest is None:
        raise IssueError(f"no {MANIFEST} here: not the folder of a cascade", where=folder)
    digest = sha256_of(data)
    entry = draft_entry(manifest, folder, path, digest)
    if entry.document is not DocumentKind.KE_HOACH:
        raise IssueError(
            f"{entry.path} is the task list of {entry.unit_name} ({entry.unit_id}), a section "
            "without a seal: it issues no plan",
            where=path,
        )
    if plan.issuer.unit_id != entry.unit_id:
        raise IssueError(
            f"the document is issued by {plan.issuer.name} ({plan.issuer.unit_id}), but the "
            f"file is the draft of {entry.unit_name} ({entry.unit_id})",
            where=path,
        )
    if plan.is_draft or plan.date is None:
        raise IssueError(
            "the document has no number and date yet (Số: …/KH-…, ngày …); type them in it, "
            "or give --number and --date",
            where=path,
        )
    number, date, issuer = _implements(entry, manifest, above or {})
    if date is not None and plan.date < date:
        raise IssueError(
            f"dated {format_date(plan.date)}, before {number} of {issuer} "
            f"({format_date(date)}) that it implements",
            where=path,
        )
    return IssuedPlan(
        unit_id=entry.unit_id,
        plan_key=manifest.plan.key,
        hierarchy=hierarchy_key(manifest.hierarchy),
        parent_unit_id=entry.parent_unit_id,
        implements=number,
        plan=plan,
        sha256=digest,
        source_name=str(path),
    )


def derived_from(
    plan: Plan, parent_id: str, issued: Mapping[str, IssuedPlan]
) -> tuple[Plan, DerivedFrom]:
    """The plan a child of ``parent_id`` derives from — its issued plan if it has one, else
    ``plan`` (its draft, or the cascade's own plan at the top) — and how the manifest names it."""
    mine = issued.get(parent_id)
    if mine is not None:
        return mine.plan, mine.derived_from()
    return plan, DerivedFrom.of(plan, parent_id)
