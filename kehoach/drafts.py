"""One batch of a cascade: derive, render and write drafts, returning manifest entries.

Kept out of ``flows/`` so it is testable without Prefect, and so a worker process can run it:
the flow only decides batches. A batch of subtrees is drafted depth-first, holding only the
plans on the current path, so memory stays flat however many units there are.
"""

from __future__ import annotations

import resource
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from hierarchy.graph import Hierarchy
from kehoach.cascade import CascadeSettings, Draft, child_draft, wanted
from kehoach.documents import PLAN_TEMPLATE, render_plan
from kehoach.outputs import ManifestEntry, draft_path, sha256, write_if_changed
from kehoach.plan import Plan


class BatchResult(BaseModel):
    """What a batch wrote: its manifest entries, and how many files actually changed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    entries: list[ManifestEntry]
    written: int
    peak_mb: float = 0.0  # the peak memory of the process that drafted it

    def __add__(self, other: BatchResult) -> BatchResult:
        return BatchResult(
            entries=self.entries + other.entries,
            written=self.written + other.written,
            peak_mb=max(self.peak_mb, other.peak_mb),
        )


def parent_plan_text(draft: Draft) -> str:
    ref = draft.parent_plan
    return (
        f"{ref.number} ({ref.issuer})" if ref.number else f"{ref.kind} của {ref.issuer} (dự thảo)"
    )


def write_draft(
    draft: Draft, h: Hierarchy, out: Path, template: Path = PLAN_TEMPLATE
) -> tuple[ManifestEntry, bool]:
    """Render one draft and write it under ``out`` if its bytes changed."""
    data = render_plan(draft.plan, template)
    relative = draft_path(h, draft.unit)
    written = write_if_changed(out, relative, data)
    entry = ManifestEntry(
        unit_id=draft.unit.id,
        unit_name=draft.unit.name,
        level=draft.unit.level.value,
        parent_unit_id=draft.parent_unit_id,
        parent_plan=parent_plan_text(draft),
        path=relative.as_posix(),
        sha256=sha256(data),
    )
    return entry, written


def write_drafts(
    drafts: Sequence[Draft], h: Hierarchy, out: Path, template: Path = PLAN_TEMPLATE
) -> BatchResult:
    """Render and write drafts already derived."""
    entries, written = [], 0
    for draft in drafts:
        entry, changed = write_draft(draft, h, out, template)
        entries.append(entry)
        written += changed
    return BatchResult(entries=entries, written=written)


class SubtreeJob(BaseModel):
    """Work for one batch: subtree roots with their parents' plans, and where to write."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    roots: list[str]
    parent_plans: dict[str, Plan]
    settings: CascadeSettings
    out: Path
    scope: set[str] | None = None
    template: Path = PLAN_TEMPLATE


def draft_subtrees(job: SubtreeJob, h: Hierarchy) -> BatchResult:
    """Derive and write the draft of every unit in the job's subtrees, depth-first."""
    entries, written = [], 0
    for root in job.roots:
        unit = h.unit(root)
        assert unit.parent is not None
        parent = h.unit(unit.parent)
        stack = [(parent, job.parent_plans[parent.id], unit)]
        while stack:
            above, plan, current = stack.pop()
            draft = child_draft(plan, above, current, h, job.settings)
            entry, changed = write_draft(draft, h, job.out, job.template)
            entries.append(entry)
            written += changed
            if current.is_department:
                continue
            for child in reversed(h.children(current.id)):
                if (job.scope is None or child.id in job.scope) and wanted(child, job.settings):
                    stack.append((current, draft.plan, child))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
    return BatchResult(entries=entries, written=written, peak_mb=round(peak, 1))
