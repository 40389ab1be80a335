"""One batch of a cascade: render drafts and write them, returning manifest entries.

Kept out of ``flows/`` so it is testable without Prefect; the flow only decides batches.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from hierarchy.graph import Hierarchy
from kehoach.cascade import Draft
from kehoach.documents import PLAN_TEMPLATE, render_plan
from kehoach.outputs import ManifestEntry, draft_path, sha256, write_if_changed


class BatchResult(BaseModel):
    """What a batch wrote: its manifest entries, and how many files actually changed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    entries: list[ManifestEntry]
    written: int


def parent_plan_text(draft: Draft) -> str:
    ref = draft.parent_plan
    return (
        f"{ref.number} ({ref.issuer})" if ref.number else f"{ref.kind} của {ref.issuer} (dự thảo)"
    )


def write_drafts(
    drafts: Sequence[Draft], h: Hierarchy, out: Path, template: Path = PLAN_TEMPLATE
) -> BatchResult:
    """Render each draft and write it under ``out`` if its bytes changed."""
    entries, written = [], 0
    for draft in drafts:
        data = render_plan(draft.plan, template)
        relative = draft_path(h, draft.unit)
        written += write_if_changed(out, relative, data)
        entries.append(
            ManifestEntry(
                unit_id=draft.unit.id,
                unit_name=draft.unit.name,
                level=draft.unit.level.value,
                parent_unit_id=draft.parent_unit_id,
                parent_plan=parent_plan_text(draft),
                path=relative.as_posix(),
                sha256=sha256(data),
            )
        )
    return BatchResult(entries=entries, written=written)
