"""Where a plan's drafts go, and the manifest that lists them.

Each plan's cascade has a folder of its own: ``OUT/<plan>/<hierarchy>/`` (for example
``out/01-145-kh-ubnd-2021/hanoi-2024/``) holding ``drafts/…``, ``manifest.json``, the intake
sheets and roll-ups of that plan, so two plans cascaded into one ``--out`` never share a file.

``manifest.json`` is written last, after every draft is in place, so it only lists drafts that
exist. The SHA-256 of each is what the product wrote: a draft whose bytes differ from it has
been edited by hand since, and a later run keeps it as the clerk saved it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError
from pydantic.dataclasses import dataclass

from hierarchy.graph import Hierarchy
from hierarchy.units import Unit
from kehoach.cascade.departments import DocumentKind
from kehoach.io.errors import KehoachError
from kehoach.io.writing import OutputError, inside, slug, write_stream_if_changed
from kehoach.plan.markers import plain
from kehoach.plan.model import Plan

MANIFEST = Path("manifest.json")
#: Built-in hierarchy sources, which name their folder as they are; a file is named by its stem.
_NAMED = ("hanoi-2024", "hanoi-2025", "vn-2024", "vn-2025")


def plan_key(plan: Plan) -> str:
    """The plan's folder name: issuer, number, symbol and year ("01-145-kh-ubnd-2021").

    A draft plan has no number yet: its summary's hash stands in ("008-du-thao-1a2b3c4d").
    """
    issuer = plan.issuer.unit_id or slug(plan.issuer.name)
    if plan.number is None or plan.date is None:
        digest = hashlib.sha256(plain(plan.summary).encode("utf-8")).hexdigest()[:8]
        return f"{issuer}-du-thao-{digest}"
    return f"{issuer}-{plan.number:02d}-{slug(plan.symbol)}-{plan.date.year}"


def hierarchy_key(source: str) -> str:
    """The hierarchy's folder name: "hanoi-2024", or a file's stem ("hoang-mai")."""
    return source if source in _NAMED else slug(Path(source).stem)


def plan_folder(out: Path, plan: Plan, hierarchy: str) -> Path:
    """``out/<plan>/<hierarchy>``: everything a cascade of ``plan`` over ``hierarchy`` writes."""
    return out / plan_key(plan) / hierarchy_key(hierarchy)


def draft_path(h: Hierarchy, unit: Unit) -> Path:
    """drafts/<province>/<district>/<ward>/<unit-id>-<slug>.docx, relative to the plan folder.

    Folders are the administrative units from the root down to the unit's own (a department
    sits in its unit's folder), each named ``<id>-<slug>``.
    """
    chain = [u for u in h.path(unit.id) if not u.is_department]
    folders = [f"{u.id}-{slug(u.short_name)}" for u in chain]
    return Path("drafts", *folders, f"{unit.id}-{slug(unit.name)}.docx")


class PlanSummary(BaseModel):
    """The plan a cascade started from, as the manifest names it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    number: str | None
    date: dt.date | None
    issuer: str
    summary: str

    @classmethod
    def of(cls, plan: Plan) -> PlanSummary:
        return cls(
            number=None if plan.is_draft else plan.number_symbol,
            date=plan.date,
            issuer=plan.issuer.name,
            summary=plain(plan.summary),
        )

    @property
    def key(self) -> str:
        """The key the status store files this plan's reports and issued plans under: its
        number and symbol ("145/KH-UBND"), or a draft's summary."""
        return self.number.strip() if self.number else self.summary[:80]


class DraftState(StrEnum):
    """What the last run did with a unit's draft."""

    WRITTEN = "written"  # the product's bytes are on disk
    EDITED = "edited"  # kept: the file differs from what the product wrote (edited by hand)


class Source(StrEnum):
    """What a draft was derived from: its parent's plan as issued, or the parent's draft."""

    ISSUED = "issued"
    DRAFT = "draft"


class DerivedFrom(BaseModel):
    """The plan a draft implements, as the cascade used it.

    ``unit_id`` is the parent's; ``number`` is None while the parent's plan is a draft;
    ``sha256`` is the file the parent issued (the signed DOCX recorded by ``kehoach plan
    issue``), None for the cascade's own plan and for drafts.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    unit_id: str
    source: Source
    number: str | None = None
    date: dt.date | None = None
    sha256: str | None = None

    @classmethod
    def of(cls, plan: Plan, unit_id: str, sha256: str | None = None) -> DerivedFrom:
        return cls(
            unit_id=unit_id,
            source=Source.DRAFT if plan.is_draft else Source.ISSUED,
            number=None if plan.is_draft else plan.number_symbol,
            date=plan.date,
            sha256=sha256,
        )


@dataclass(frozen=True, slots=True, config=ConfigDict(extra="forbid"))
class ManifestEntry:
    """One unit's draft.

    ``sha256`` is always what the product wrote (or, for a file it never wrote, what it would
    have written): a file on disk with other bytes is someone's work and is kept.

    A pydantic dataclass with slots, not a model: the flow's process holds one per draft of
    the run until it ends, and a model's ``__dict__`` and field set were ~380 bytes of each
    (nationally 65,000 entries); its ten slots are ~100. It validates the same, in the
    manifest and on its own (:data:`ENTRY`); :func:`dataclasses.replace` copies one.
    """

    unit_id: str
    unit_name: str
    level: str
    parent_unit_id: str | None
    parent_plan: str
    path: str
    sha256: str
    state: DraftState = DraftState.WRITTEN
    document: DocumentKind = DocumentKind.KE_HOACH  # a plan, or a section's task list
    derived_from: DerivedFrom | None = None  # None in manifests written before issue 13


#: Validates and serialises one entry (a dataclass has no ``model_validate``).
ENTRY: TypeAdapter[ManifestEntry] = TypeAdapter(ManifestEntry)


class Manifest(BaseModel):
    """manifest.json: the plan and every draft, with paths relative to the plan folder.

    ``stale`` lists drafts of units no longer in the hierarchy (or moved or renamed): their
    files stay where they are, since a clerk may have worked on them.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    plan: PlanSummary
    hierarchy: str
    drafts: list[ManifestEntry]
    stale: list[ManifestEntry] = []

    @property
    def edited(self) -> list[ManifestEntry]:
        return [e for e in self.drafts if e.state is DraftState.EDITED]


def read_manifest(folder: Path) -> Manifest | None:
    """The manifest a previous run left in ``folder``, or None if there is none.

    A manifest that cannot be read stops the run: without it the product cannot tell its own
    drafts from a clerk's edits, so it must not guess.
    """
    path = inside(folder, MANIFEST)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise OutputError(f"cannot read {MANIFEST}: {exc.strerror}", where=folder) from None
    try:
        return Manifest.model_validate_json(data)
    except ValidationError:
        raise KehoachError(
            f"{MANIFEST} is damaged, so drafts edited by hand cannot be told from the "
            "product's; move the folder aside or restore the file",
            where=folder,
        ) from None


def write_manifest(folder: Path, manifest: Manifest) -> bool:
    """Write the manifest last, atomically; True if it changed."""
    return write_stream_if_changed(folder, MANIFEST, manifest_json(manifest))


# The end of a manifest without drafts, as pydantic writes it with an indent of 2.
_EMPTY_LISTS = b'"drafts": [],\n  "stale": []\n}'


def manifest_json(manifest: Manifest) -> Iterator[bytes]:
    """The manifest's JSON (indent 2, a newline at the end) entry by entry, the same bytes as
    pydantic's of the whole: a national one is ~42 MB, and made at once (with the newline, a
    second copy) it was ~85 MB of the flow's peak memory."""
    ser = ENTRY.serializer
    head = manifest.__pydantic_serializer__.to_json(
        manifest.model_copy(update={"drafts": [], "stale": []}), indent=2
    )
    if not head.endswith(_EMPTY_LISTS):  # pydantic changed its layout: never splice blindly
        raise RuntimeError(f"manifest JSON ends {head[-80:]!r}, not {_EMPTY_LISTS!r}")
    yield head[: -len(_EMPTY_LISTS)]

    def listed(name: bytes, entries: list[ManifestEntry], end: bytes) -> Iterator[bytes]:
        if not entries:
            yield b'"' + name + b'": []' + end
            return
        yield b'"' + name + b'": [\n'
        for i, entry in enumerate(entries):
            one = ser.to_json(entry, indent=2).replace(b"\n", b"\n    ")
            yield (b",\n    " if i else b"    ") + one
        yield b"\n  ]" + end

    yield from listed(b"drafts", manifest.drafts, b",\n  ")
    yield from listed(b"stale", manifest.stale, b"\n}\n")
