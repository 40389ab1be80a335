"""A cascade run from start to finish, as the core sees it: the flow only adds Prefect.

:func:`prepare` checks everything that can be checked before a file is written (the issuer,
the scope, every role a task needs, the template, the room in the output folder) and says
what the run will do: which units, in which batches, into which folder. :func:`running` then
holds the plan folder's lock and yields a :class:`Run`: the drafts of the top of the tree
(drafted in the flow), the batches of whole subtrees (drafted in worker processes), and
:meth:`Run.finish`, which writes the manifest and tidies the journal.

The manifest is merged, never replaced: units outside this run's scope keep their entries,
drafts edited by hand are kept and marked, and drafts of units that left the hierarchy are
listed as stale, their files left in place.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from hierarchy.graph import Hierarchy
from hierarchy.units import Unit
from kehoach.cascade.drafting import BatchCheck, SubtreeJob, draft_subtrees, write_drafts
from kehoach.cascade.issued import IssuedPlan
from kehoach.cascade.journal import BatchResult, forget_except
from kehoach.cascade.lint.findings import LintReport
from kehoach.cascade.lint.folder import (
    DraftChecker,
    check_entries,
    depth_first_positions,
    issuer_text,
    report_of,
)
from kehoach.cascade.manifest import (
    DraftState,
    Manifest,
    ManifestEntry,
    PlanSummary,
    draft_path,
    plan_folder,
    read_manifest,
    write_manifest,
)
from kehoach.cascade.partition import Partition, partition, subtree_ids
from kehoach.cascade.rules import (
    CascadeError,
    CascadeSettings,
    CoverageGap,
    Draft,
    coverage,
    issuer_unit,
    resolve_issuer_plan,
)
from kehoach.cascade.walk import check_assignments, drafts_below, scope
from kehoach.documents.plan_document import PLAN_TEMPLATE, lint_plan_template, render_plan
from kehoach.io.writing import check_room, locked
from kehoach.plan.model import Plan


@dataclass(frozen=True)
class Prepared:
    """A cascade checked and planned, before anything is written."""

    plan: Plan
    hierarchy: str
    root: Unit
    issuer_plan: Plan  # the plan with roles resolved to the issuer's departments
    settings: CascadeSettings
    scope: set[str] | None  # None: every unit below the issuer
    parts: Partition
    folder: Path  # out/<plan>/<hierarchy>
    template: Path
    room: int  # bytes the drafts need, about
    coverage: list[CoverageGap]
    batch_size: int
    template_warnings: list[str]  # the template's ND30 layout problems, each with its fix
    issued: dict[str, IssuedPlan] = field(default_factory=dict)  # by unit, the issuer's left out

    @property
    def total(self) -> int:
        """How many drafts the run writes."""
        return self.parts.total


def prepare(
    plan: Plan,
    h: Hierarchy,
    hierarchy: str,
    out: Path,
    *,
    settings: CascadeSettings | None = None,
    start: str | None = None,
    template: Path | None = None,
    batch_size: int = 400,
    issued: Mapping[str, IssuedPlan] | None = None,
) -> Prepared:
    """Check a cascade of ``plan`` over ``h`` into ``out`` and plan its batches.

    ``issued`` holds the plans units below the issuer issued (from the status store): the
    units below each implement its issued plan instead of its draft. Raises the one-line
    error of the first problem, with nothing written, not even the output folder.
    """
    settings = settings or CascadeSettings()
    template = template or PLAN_TEMPLATE
    root = issuer_unit(plan, h)
    mine = {u: i for u, i in (issued or {}).items() if u != root.id and u in h}
    units = scope(h, root, start, settings)
    check_assignments(plan, h, settings, units, mine)
    issuer_plan = resolve_issuer_plan(plan, root, h)
    sample = render_plan(issuer_plan, template)  # a template error stops the run here
    warnings = lint_plan_template(template)  # a layout problem does not: it is reported
    parts = partition(h, root.id, batch_size, units)
    folder = plan_folder(out, plan, hierarchy)
    room = 2 * len(sample) * parts.total  # a draft is about the size of the issuer's own
    check_room(folder, room)
    return Prepared(
        plan=plan,
        hierarchy=hierarchy,
        root=root,
        issuer_plan=issuer_plan,
        settings=settings,
        scope=units,
        parts=parts,
        folder=folder,
        template=template,
        room=room,
        coverage=coverage(plan, h),
        batch_size=batch_size,
        template_warnings=warnings,
        issued=mine,
    )


class CascadeOutcome(BaseModel):
    """What a cascade run did: for the CLI summary and the run's artifacts."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    plan: PlanSummary
    folder: str
    drafts_per_level: dict[str, int]
    written: int
    unchanged: int
    edited: list[str]  # paths of drafts kept because they were edited by hand
    stale: list[str]  # paths of drafts of units no longer in the hierarchy (left in place)
    coverage: list[CoverageGap]
    template_warnings: list[str] = []  # the template's ND30 layout problems, each with its fix
    lint: dict[str, int] = {}  # findings of the draft checker per kind, over the plan folder
    lint_first: list[str] = []  # the first findings, one line each
    lint_seconds: float = 0.0  # the draft check's, summed over the processes that ran it
    resumed: int = 0  # drafts of batches an earlier (crashed or identical) run had finished
    swept: int = 0  # temporary files a killed run had left, removed
    worker_peak_mb: float = 0.0
    worker_peaks_mb: dict[str, float] = {}  # "host:pid" → peak MB of each drafting process
    seconds: float = 0.0
    issued: list[str] = []  # "67/KH-UBND (008)": plans units issued, drafted below from them
    from_issued: int = 0  # drafts of this run derived from a plan a unit issued

    @property
    def total(self) -> int:
        return sum(self.drafts_per_level.values())

    def checked(self, report: LintReport, seconds: float = 0.0) -> CascadeOutcome:
        """The outcome with the draft checker's report on the plan folder, and what it took
        (``seconds``, summed over the processes: most of it ran beside the drafting)."""
        return self.model_copy(
            update={
                "lint": report.counts,
                "lint_first": [f.line for f in report.findings[:5]],
                "lint_seconds": round(seconds, 2),
            }
        )


@dataclass
class Run:
    """A cascade under way, holding its folder's lock (see :func:`running`)."""

    prepared: Prepared
    h: Hierarchy
    previous: Manifest | None
    swept: int
    top: list[Draft] = field(default_factory=list)  # drafted in the flow, top-down
    jobs: list[SubtreeJob] = field(default_factory=list)  # batches of whole subtrees
    listed: list[ManifestEntry] = field(default_factory=list)  # the manifest finish() wrote

    @property
    def recorded(self) -> dict[str, str]:
        """Path → what the product last wrote there, from the previous manifest."""
        if self.previous is None:
            return {}
        return {e.path: e.sha256 for e in (*self.previous.drafts, *self.previous.stale)}

    def top_chunks(self) -> Iterator[list[Draft]]:
        """The top drafts in chunks of the batch size, for tasks."""
        size = self.prepared.batch_size
        for begin in range(0, len(self.top), size):
            yield self.top[begin : begin + size]

    def draft_here(self, *, check: bool = False) -> BatchResult:
        """Write every draft of the run in this process, one batch after another: what
        tests and small tools use; the flow spreads the same work over tasks and workers.
        With ``check``, each draft is checked as it is written (see :meth:`report`)."""
        p = self.prepared
        checker = self.checker() if check else None
        drafted = [
            write_drafts(chunk, self.h, p.folder, p.template, self.recorded, checker)
            for chunk in self.top_chunks()
        ]
        for job in self.jobs:
            job = job if checker is None else self.checked(job, checker)
            drafted.append(draft_subtrees(job, self.h))
        return BatchResult.merged(drafted)

    def checker(self) -> DraftChecker:
        """The draft check of the top drafts, those the flow writes itself: against the
        issuer's plan and each other, keeping the texts the batches below them need."""
        parents = {self.h.unit(r).parent for job in self.jobs for r in job.roots}
        return DraftChecker(
            self.h, issuer_text(self.prepared.plan), keep={u for u in parents if u is not None}
        )

    def checked(self, job: SubtreeJob, checker: DraftChecker) -> SubtreeJob:
        """``job`` asked to check its drafts, with its roots' parents' texts and voices from
        ``checker``, once it has checked the top drafts (they are written before any batch)."""
        parents = {r: self.h.unit(r).parent or "" for r in job.roots}
        voices = {p: checker.voice(p) for r, p in parents.items() if self.h.unit(r).is_department}
        texts = {p: checker.kept[p] for p in parents.values() if p in checker.kept}
        check = BatchCheck(top=checker.top, parents=texts, voices=voices)
        return job.model_copy(update={"check": check})

    def report(self, drafted: BatchResult) -> LintReport:
        """The draft check's report on the plan folder after :meth:`finish`: what
        :func:`~kehoach.cascade.lint.lint_folder` would say, gathered from the findings of
        the drafts this run checked as it wrote them (``drafted``, drafted with the check).

        Drafts the manifest lists that this run did not write (outside its scope: another
        unit's subtree, levels below ``to_level``) are read from disk here, with the texts of
        the parents they cite.
        """
        p = self.prepared
        position = depth_first_positions(self.h)
        ours = {e.unit_id for e in drafted.entries}
        rest = [e for e in self.listed if e.unit_id not in ours]
        checks, read = list(drafted.checks), drafted.checked
        if rest:
            by_unit = {e.unit_id: e for e in self.listed}
            cited = {e.parent_unit_id or "" for e in rest} & (ours & by_unit.keys())
            todo = sorted([*rest, *(by_unit[u] for u in cited)], key=lambda e: position[e.unit_id])
            found = check_entries(DraftChecker(self.h, issuer_text(p.plan)), p.folder, todo)
            left = {e.unit_id for e in rest}
            checks += [c for c in found if c.unit_id in left]
            read += sum(1 for c in found if c.unit_id in left and c.note is None)
        return report_of(p.folder, checks, position, read=read)

    def finish(self, drafted: BatchResult) -> CascadeOutcome:
        """Write the merged manifest (last, atomically) and forget unused journal entries."""
        p, h = self.prepared, self.h
        order = {u.id: i for i, u in enumerate(h)}
        current = {e.unit_id: e for e in drafted.entries}
        kept, stale = self._carried(current)
        entries = sorted([*current.values(), *kept], key=lambda e: order[e.unit_id])
        self.listed = entries
        summary = PlanSummary.of(p.plan)
        write_manifest(
            p.folder,
            Manifest(plan=summary, hierarchy=p.hierarchy, drafts=entries, stale=stale),
        )
        if p.scope is None:  # a partial run leaves the other batches' entries for later
            forget_except(p.folder, set(drafted.journal_keys))
        per_level: dict[str, int] = {}
        for e in sorted(current.values(), key=lambda e: order[e.unit_id]):
            per_level[e.level] = per_level.get(e.level, 0) + 1
        edited = [e.path for e in current.values() if e.state is DraftState.EDITED]
        return CascadeOutcome(
            plan=summary,
            folder=str(p.folder),
            drafts_per_level=per_level,
            written=drafted.written,
            unchanged=len(current) - drafted.written - drafted.kept,
            edited=edited,
            stale=[e.path for e in stale],
            coverage=p.coverage,
            template_warnings=p.template_warnings,
            resumed=drafted.skipped,
            swept=self.swept,
            worker_peak_mb=drafted.peak_mb,
            worker_peaks_mb=drafted.peaks,
            issued=[f"{i.number} ({u})" for u, i in sorted(p.issued.items())],
            from_issued=sum(
                1 for e in current.values() if e.derived_from and e.derived_from.sha256
            ),
        )

    def _carried(
        self, current: dict[str, ManifestEntry]
    ) -> tuple[list[ManifestEntry], list[ManifestEntry]]:
        """Entries of the previous manifest this run did not redraft: still listed (units
        outside its scope), or stale (the unit left the hierarchy or its draft moved)."""
        if self.previous is None:
            return [], []
        now = {e.path for e in current.values()}
        kept: list[ManifestEntry] = []
        stale: list[ManifestEntry] = []
        for e in self.previous.drafts:
            if e.unit_id in current and current[e.unit_id].path == e.path:
                continue
            if (
                e.unit_id in self.h
                and e.unit_id not in current
                and draft_path(self.h, self.h.unit(e.unit_id)).as_posix() == e.path
            ):
                kept.append(e)
            elif e.path not in now:
                stale.append(e)
        stale += [
            e
            for e in self.previous.stale
            if e.path not in now and (self.prepared.folder / e.path).exists()
        ]
        return kept, stale


@contextlib.contextmanager
def running(prepared: Prepared, h: Hierarchy) -> Iterator[Run]:
    """Hold the plan folder's lock and yield the run: top drafts, batches, then finish().

    The previous manifest is read under the lock, so two runs never merge into each other.
    """
    with locked(prepared.folder) as swept:
        previous = read_manifest(prepared.folder)
        if previous is not None and previous.hierarchy != prepared.hierarchy:
            raise CascadeError(
                f"this folder holds drafts over hierarchy {previous.hierarchy}, not "
                f"{prepared.hierarchy}; choose another --out",
                where=prepared.folder,
            )
        run = Run(prepared, h, previous, swept)
        _plan_batches(run)
        yield run


def _plan_batches(run: Run) -> None:
    """Derive the top of the tree (units whose subtree is bigger than a batch) and make a job
    for each batch of whole subtrees below it, with the plans of their parents."""
    p, h = run.prepared, run.h
    expanded = set(p.parts.expanded)
    starts = [(p.root, p.issuer_plan, c) for c in h.children(p.root.id) if c.id in expanded]
    top = drafts_below(h, starts, p.settings, lambda u: u.id in expanded, p.issued)
    run.top = list(top)
    plans = {p.root.id: p.issuer_plan} | {d.unit.id: d.plan for d in run.top}
    previous = {e.unit_id: e for e in run.previous.drafts} if run.previous else {}
    for roots in p.parts.batches:
        parents = {h.unit(r).parent for r in roots}
        units = list(subtree_ids(h, roots))
        mine = (previous[u] for u in units if u in previous) if previous else ()
        issued = {u: p.issued[u] for u in (*units, *parents) if u in p.issued}
        run.jobs.append(
            SubtreeJob(
                roots=roots,
                parent_plans={u: plans[u] for u in parents if u is not None},
                settings=p.settings,
                folder=p.folder,
                scope=p.scope,
                template=p.template,
                recorded={e.path: e.sha256 for e in mine},
                issued=issued,
            )
        )
