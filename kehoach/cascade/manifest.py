"""The manifest of a cascade: which draft each unit got, where it is, and its SHA-256.

``manifest.json`` is written last, after every draft is in place, so it only ever lists
drafts that exist; the SHA-256 of each is what the product wrote, which is how a later run
knows a draft a clerk has edited since.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from hierarchy.graph import Hierarchy
from hierarchy.units import Unit
from kehoach.io.writing import slug, write_if_changed
from kehoach.plan.model import Plan


def draft_path(h: Hierarchy, unit: Unit) -> Path:
    """drafts/<province>/<district>/<ward>/<unit-id>-<slug>.docx, relative to the output folder.

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
