"""One batch of a cascade: derive, render and write drafts, returning manifest entries.

Kept out of ``flows/`` so it is testable without Prefect, and so a worker process can run it:
the flow only decides batches. A batch of subtrees is drafted depth-first, holding only the
plans on the current path, so memory stays flat however many units there are. A batch an
earlier run finished is skipped (:mod:`kehoach.cascade.journal`).
"""

from __future__ import annotations

import hashlib
import resource
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from hierarchy.graph import Hierarchy
from kehoach.cascade.journal import BatchResult, code_fingerprint, finished, journal
from kehoach.cascade.manifest import ManifestEntry, draft_path
from kehoach.cascade.rules import CascadeSettings, Draft, child_draft, wanted
from kehoach.documents.docx import compile_template
from kehoach.documents.plan_document import PLAN_TEMPLATE, render_plan
from kehoach.io.writing import sha256, write_if_changed
from kehoach.plan.model import Plan


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
    journal: bool = True  # skip the batch if a previous run finished it; journal it if not


def batch_key(job: SubtreeJob, h: Hierarchy) -> str:
    """What the drafts of ``job`` depend on, hashed: the code, template, settings, the
    parents' plans, and every unit of the subtrees and above them (folder names)."""
    digest = hashlib.sha256(code_fingerprint().encode())
    digest.update(compile_template(job.template).sha256.encode())
    digest.update(job.model_dump_json(exclude={"out", "template", "scope", "journal"}).encode())
    for root in job.roots:
        for unit in h.path(root)[:-1]:
            digest.update(unit.model_dump_json().encode())
        for level in h.levels(root):
            for unit in level:
                if job.scope is None or unit.id in job.scope:
                    digest.update(unit.model_dump_json().encode())
    return digest.hexdigest()


def draft_subtrees(job: SubtreeJob, h: Hierarchy) -> BatchResult:
    """Derive and write the draft of every unit in the job's subtrees, depth-first.

    With ``job.journal``, a batch a previous run finished is skipped, and a batch drafted
    here is journalled once all its drafts are in place.
    """
    key = batch_key(job, h) if job.journal else None
    if key is not None and (done := finished(job.out, key)) is not None:
        return done
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
    result = BatchResult(entries=entries, written=written, peak_mb=round(peak, 1))
    if key is None:
        return result
    journal(job.out, key, result)
    return result.model_copy(update={"journal_keys": [key]})
