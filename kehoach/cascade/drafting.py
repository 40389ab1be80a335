"""One batch of a cascade: derive, render and write drafts, returning manifest entries.

Kept out of ``flows/`` so it is testable without Prefect, and so a worker process can run it:
the flow only hands out batches. A batch of subtrees is drafted depth-first (the one walk of
:mod:`kehoach.cascade.walk`), holding only the plans on the current path, so memory stays
flat however many units there are. A batch an earlier run finished is skipped
(:mod:`kehoach.cascade.journal`); a draft someone edited since the product wrote it is kept.
Asked to (:class:`BatchCheck`), a batch also runs the draft check on each draft it writes,
in the worker, and returns the findings with its manifest entries.
"""

from __future__ import annotations

import hashlib
import os
import resource
import socket
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from hierarchy.graph import Hierarchy
from kehoach.cascade.issued import IssuedPlan
from kehoach.cascade.journal import BatchResult, code_fingerprint, finished, journal
from kehoach.cascade.lint import DraftChecker, ParentPlan, Voice
from kehoach.cascade.lint.folder import check_entries
from kehoach.cascade.manifest import DraftState, ManifestEntry, draft_path
from kehoach.cascade.rules import CascadeSettings, Draft
from kehoach.cascade.walk import admits, drafts_below
from kehoach.documents.docx import CompiledTemplate, compile_template
from kehoach.documents.plan_document import PLAN_TEMPLATE, PlanContext, plan_context
from kehoach.documents.plan_text import (
    DocxReadError,
    PlanText,
    printed_text,
    prints_its_context,
    read_plan_text,
)
from kehoach.documents.task_list import TASK_LIST_TEMPLATE, TaskListContext
from kehoach.io.writing import Confined, Outcome, settle, sha256, write_own
from kehoach.plan.model import Plan


def peak_mb() -> float:
    """This process's peak resident memory in MB, as its own, since it started.

    Linux keeps ``ru_maxrss`` across ``exec``: a worker spawned (fork + exec) by the flow's
    process reports at least that process's peak, the national hierarchy included, as its
    own. ``VmHWM`` in /proc is the peak of the current address space, new at ``exec``;
    without /proc, ``ru_maxrss``, an upper bound.
    """
    try:
        status = Path("/proc/self/status").read_text(encoding="ascii")
    except OSError:
        status = ""
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)  # kB
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # kB on Linux


def parent_plan_text(draft: Draft) -> str:
    ref = draft.parent_plan
    return (
        f"{ref.number} ({ref.issuer})" if ref.number else f"{ref.kind} của {ref.issuer} (dự thảo)"
    )


@dataclass(frozen=True)
class DraftTemplates:
    """The two templates a batch renders with, compiled (or found by the file's hash) once.

    :func:`compile_template` reads and hashes the file to know it is unchanged: ~0.3 ms,
    which done per draft was a tenth of its cost. A batch looks them up once instead, so a
    template edited during a run still takes effect from the next batch.
    """

    plan: CompiledTemplate
    task_list: CompiledTemplate

    @classmethod
    def of(cls, template: Path | DraftTemplates = PLAN_TEMPLATE) -> DraftTemplates:
        """The plan ``template`` an operator may choose, and the task list's."""
        if isinstance(template, DraftTemplates):
            return template
        return cls(compile_template(template), compile_template(TASK_LIST_TEMPLATE))


def draft_context(
    draft: Draft, templates: DraftTemplates
) -> tuple[CompiledTemplate, PlanContext | TaskListContext]:
    """What a draft's DOCX is rendered from: the compiled template and its context.

    Its task list for a section without a seal, else its plan.
    """
    if draft.task_list is not None:
        return templates.task_list, draft.task_list
    return templates.plan, plan_context(draft.plan)


def draft_document(
    draft: Draft, templates: DraftTemplates
) -> tuple[CompiledTemplate, dict[str, Any]]:
    """The compiled template and the context (as the template's data) of a draft: apart
    from :func:`render_draft` so the benchmark times building the context and rendering
    separately, with the product's own code."""
    compiled, context = draft_context(draft, templates)
    return compiled, context.model_dump()


def render_draft(draft: Draft, template: Path | DraftTemplates = PLAN_TEMPLATE) -> bytes:
    """The DOCX of a draft (see :func:`draft_document`); ``template`` is the plan template."""
    compiled, context = draft_document(draft, DraftTemplates.of(template))
    return compiled.render(context)


class _Words:
    """The words of the drafts a batch writes, for its draft check: taken from the context
    each was rendered from where the template prints its context as given
    (:func:`~kehoach.documents.plan_text.prints_its_context`), else read back from the DOCX.

    Reading our own DOCX back was half the check's time (~1 ms a draft). To be sure of the
    shortcut beyond the template's sample, the first draft of each template in a batch is
    also read back and compared: if the words differ, the batch reads all its drafts back.
    """

    def __init__(self, templates: DraftTemplates) -> None:
        self._trusted = {
            templates.plan.sha256: prints_its_context(templates.plan, PlanContext),
            templates.task_list.sha256: prints_its_context(templates.task_list, TaskListContext),
        }
        self._compared: set[str] = set()

    def of(
        self, compiled: CompiledTemplate, context: PlanContext | TaskListContext, data: bytes
    ) -> PlanText | bytes:
        """What the check reads: the context's words, or the DOCX ``data`` itself."""
        sha = compiled.sha256
        if not self._trusted.get(sha):
            return data
        words = printed_text(context)
        if sha not in self._compared:
            self._compared.add(sha)
            try:
                same = read_plan_text(data) == words
            except DocxReadError:
                same = False
            if not same:
                self._trusted[sha] = False
                return data
        return words


def write_rendered(
    draft: Draft,
    data: bytes,
    h: Hierarchy,
    folder: Path,
    recorded: Mapping[str, str] | None = None,
    *,
    durable: bool = True,
    confined: Confined | None = None,
) -> tuple[ManifestEntry, Outcome]:
    """Write a draft's DOCX ``data`` under ``folder``, unless the file there is a person's.

    ``recorded`` maps paths to what the product last wrote there (the previous manifest): a
    file with other bytes has been edited by hand and is kept. Its entry then keeps the
    product's SHA-256, so the next run still sees the edit. ``confined`` (of ``folder``)
    checks the paths of a batch.
    """
    relative = draft_path(h, draft.unit)
    path = relative.as_posix()
    ours = (recorded or {}).get(path)
    outcome = write_own(folder, relative, data, ours, durable=durable, confined=confined)
    entry = ManifestEntry(
        unit_id=draft.unit.id,
        unit_name=draft.unit.name,
        level=draft.unit.level.value,
        parent_unit_id=draft.parent_unit_id,
        parent_plan=parent_plan_text(draft),
        path=path,
        sha256=(ours or sha256(data)) if outcome is Outcome.KEPT else sha256(data),
        state=DraftState.EDITED if outcome is Outcome.KEPT else DraftState.WRITTEN,
        document=draft.document,
        derived_from=draft.derived_from,
    )
    return entry, outcome


def write_drafts(
    drafts: Iterable[Draft],
    h: Hierarchy,
    folder: Path,
    template: Path = PLAN_TEMPLATE,
    recorded: Mapping[str, str] | None = None,
    checker: DraftChecker | None = None,
) -> BatchResult:
    """Render and write drafts already derived (depth-first), flushed to the disk together at
    the end (:func:`kehoach.io.writing.settle`); with ``checker``, each checked as written.

    The check reads the words just rendered (see :class:`_Words`), not the file again; a
    draft kept because a person edited it is checked as the file on disk, which is what the
    clerk will open.
    """
    entries, outcomes, found = [], [], []
    checked, spent = 0, 0.0
    templates = DraftTemplates.of(template)
    confined = Confined(folder)
    # Siblings cite the same parent plan: their entries share one copy of what they cite, in
    # this process and, pickled together, in the flow's, which holds every entry of the run.
    shared: dict[object, Any] = {}
    words = _Words(templates) if checker is not None else None
    for draft in drafts:
        compiled, context = draft_context(draft, templates)
        data = compiled.render(context.model_dump())
        entry, outcome = write_rendered(
            draft, data, h, folder, recorded, durable=False, confined=confined
        )
        cited = shared.setdefault(entry.parent_plan, entry.parent_plan)
        origin = shared.setdefault(entry.derived_from, entry.derived_from)
        entries.append(replace(entry, parent_plan=cited, derived_from=origin))
        outcomes.append(outcome)
        if checker is not None and words is not None:
            began = time.perf_counter()
            source: PlanText | bytes | Path = (
                folder / entry.path
                if outcome is Outcome.KEPT
                else words.of(compiled, context, data)
            )
            one = checker.check(draft.unit, entry.parent_unit_id, entry.path, source)
            spent += time.perf_counter() - began
            checked += one.note is None
            if one.findings or one.note is not None:
                found.append(one)
    if Outcome.WRITTEN in outcomes:
        settle()
    return BatchResult(
        entries=entries,
        written=outcomes.count(Outcome.WRITTEN),
        kept=outcomes.count(Outcome.KEPT),
        checked=checked,
        checks=found,
        check_s=spent,
    )


def check_written(result: BatchResult, folder: Path, checker: DraftChecker) -> BatchResult:
    """``result`` with its drafts checked as they are on disk: a batch an earlier run
    finished, whose findings a re-run must still report."""
    began = time.perf_counter()
    checks = check_entries(checker, folder, result.entries)
    return result.model_copy(
        update={
            "checked": sum(1 for c in checks if c.note is None),
            "checks": [c for c in checks if c.findings or c.note is not None],
            "check_s": time.perf_counter() - began,
        }
    )


class BatchCheck(BaseModel):
    """What a batch needs to check its drafts as :func:`~kehoach.cascade.lint.lint_folder`
    checks them, for the parents of its roots, whose drafts the flow wrote before any batch
    started (:meth:`kehoach.cascade.run.Run.checked`): their texts as the flow wrote them (or
    as a person left them), and their voices (a department root speaks in its committee's,
    and the batch's slice of the hierarchy holds too little of the committee to build it).
    A parent not in ``parents`` (the issuer, or a draft that could not be read) is cited as
    ``top``, the issuer's plan, as in the folder's check.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    top: ParentPlan
    parents: dict[str, ParentPlan] = {}
    voices: dict[str, Voice] = {}

    def checker(self, h: Hierarchy) -> DraftChecker:
        """A checker of this batch's own, its memo living and dying with the batch."""
        return DraftChecker(h, self.top, parents=self.parents, voices=self.voices)


class SubtreeJob(BaseModel):
    """Work for one batch: subtree roots with their parents' plans, and where to write.

    ``issued`` holds the plans issued by units of the batch and by the roots' parents: their
    children derive from those. Only those, so a plan issued elsewhere leaves this batch's
    key, and its journal entry, as they were.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    roots: list[str]
    parent_plans: dict[str, Plan]
    settings: CascadeSettings
    folder: Path
    scope: set[str] | None = None
    template: Path = PLAN_TEMPLATE
    recorded: dict[str, str] = {}  # path → what the product last wrote there
    journal: bool = True  # skip the batch if a previous run finished it; journal it if not
    issued: dict[str, IssuedPlan] = {}
    check: BatchCheck | None = None  # check each draft as it is written (the draft check)


def batch_key(job: SubtreeJob, h: Hierarchy) -> str:
    """What the drafts of ``job`` depend on, hashed: the code, templates, settings, the
    parents' plans, and every unit of the subtrees and above them (folder names)."""
    digest = hashlib.sha256(code_fingerprint().encode())
    digest.update(compile_template(job.template).sha256.encode())
    digest.update(compile_template(TASK_LIST_TEMPLATE).sha256.encode())
    skip = {"folder", "template", "scope", "journal", "recorded", "check"}
    digest.update(job.model_dump_json(exclude=skip).encode())
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
    here is journalled once all its drafts are in place. With ``job.check``, every draft is
    checked, those of a skipped batch too (read from disk), so a re-run reports the same.
    """
    checker = job.check.checker(h) if job.check is not None else None
    key = batch_key(job, h) if job.journal else None
    if key is not None and (done := finished(job.folder, key)) is not None:
        return done if checker is None else check_written(done, job.folder, checker)
    starts = []
    for root in job.roots:
        unit = h.unit(root)
        assert unit.parent is not None
        starts.append((h.unit(unit.parent), job.parent_plans[unit.parent], unit))
    drafts = drafts_below(h, starts, job.settings, admits(job.scope, job.settings), job.issued)
    result = write_drafts(drafts, h, job.folder, job.template, job.recorded, checker)
    peak = peak_mb()
    where = f"{socket.gethostname()}:{os.getpid()}"
    result = result.model_copy(update={"peak_mb": peak, "peaks": {where: peak}})
    if key is None:
        return result
    journal(job.folder, key, result)
    return result.model_copy(update={"journal_keys": [key]})
