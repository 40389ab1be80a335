"""The one place that writes files: atomically, only when the content changed, inside ``out``.

Every file is written to a temporary name in the same folder, flushed and renamed over the
target, so a reader (or a killed run) never sees half a document. A file whose bytes are
already on disk is not rewritten, so re-running a cascade changes nothing that is unchanged.
Paths are built from unit ids and ASCII slugs and checked to stay inside the output folder.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import tempfile
import unicodedata
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from hierarchy.graph import Hierarchy
from hierarchy.units import Unit
from kehoach.errors import KehoachError
from kehoach.plan import Plan

_SLUG_STRIP = re.compile(r"[^a-z0-9]+")


class OutputError(KehoachError):
    """The output folder cannot be written (read-only, full, outside the folder)."""


def slug(text: str) -> str:
    """ASCII, lower-case, hyphenated: "Phường Yên Sở" → "phuong-yen-so"."""
    text = unicodedata.normalize("NFKD", text.replace("Đ", "D").replace("đ", "d"))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return _SLUG_STRIP.sub("-", text).strip("-")[:60] or "x"


def draft_path(h: Hierarchy, unit: Unit) -> Path:
    """drafts/<province>/<district>/<ward>/<unit-id>-<slug>.docx, relative to the output folder.

    Folders are the administrative units from the root down to the unit's own (a department
    sits in its unit's folder), each named ``<id>-<slug>``.
    """
    chain = [u for u in h.path(unit.id) if not u.is_department]
    folders = [f"{u.id}-{slug(u.short_name)}" for u in chain]
    return Path("drafts", *folders, f"{unit.id}-{slug(unit.name)}.docx")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def inside(root: Path, relative: Path) -> Path:
    """``root / relative``, refusing anything that would leave ``root``."""
    target = (root / relative).resolve()
    if not target.is_relative_to(root.resolve()):
        raise OutputError(f"path {relative} leaves the output folder", where=root)
    return target


def write_if_changed(root: Path, relative: Path, data: bytes) -> bool:
    """Write ``data`` atomically to ``root/relative`` unless identical; True if written."""
    target = inside(root, relative)
    try:
        if target.stat().st_size == len(data) and target.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, 0o644)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise OutputError(f"cannot write {relative}: {exc.strerror}", where=root) from None
    return True


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
            summary=plan.summary,
        )


class ManifestEntry(BaseModel):
    """One draft written by a cascade."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    unit_id: str
    unit_name: str
    level: str
    parent_unit_id: str | None
    parent_plan: str
    path: str
    sha256: str


class Manifest(BaseModel):
    """out/manifest.json: the plan and every draft, with paths relative to the output folder."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    plan: PlanSummary
    hierarchy: str
    drafts: list[ManifestEntry]


def write_manifest(root: Path, manifest: Manifest) -> bool:
    """Write the manifest last, atomically; True if it changed."""
    data = (manifest.model_dump_json(indent=2) + "\n").encode("utf-8")
    return write_if_changed(root, Path("manifest.json"), data)
