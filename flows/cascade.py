"""Prefect flow ``cascade``: a plan becomes a draft for every unit below its issuer.

The flow only wires the core: derivation is one pure call per level (milliseconds), and
rendering + writing run as tasks over *batches* of units, never one task per unit (a task
run costs ~6 ms and a subflow ~1 s here). Progress is a Prefect progress artifact updated per
batch, plus an optional in-process callback the CLI uses for its Rich progress bar.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from uuid import UUID

from prefect import flow, get_run_logger, task
from prefect.artifacts import (
    create_markdown_artifact,
    create_progress_artifact,
    create_table_artifact,
    update_progress_artifact,
)
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import State
from prefect.task_runners import ThreadPoolTaskRunner
from pydantic import BaseModel, ConfigDict

from flows.runtime import opaque, run_name
from hierarchy.graph import Hierarchy
from hierarchy.sources import load_hierarchy
from hierarchy.units import Level
from kehoach.cascade.drafting import SubtreeJob, draft_subtrees, write_drafts
from kehoach.cascade.journal import BatchResult, forget_except
from kehoach.cascade.manifest import Manifest, PlanSummary, write_manifest
from kehoach.cascade.partition import Partition, partition, slice_for
from kehoach.cascade.rules import (
    CascadeError,
    CascadeSettings,
    CoverageGap,
    Draft,
    check_assignments,
    child_draft,
    coverage,
    issuer_unit,
    resolve_issuer_plan,
    wanted,
)
from kehoach.documents.plan_document import PLAN_TEMPLATE, lint_plan_template, render_plan
from kehoach.io.writing import OutputError, check_room, locked
from kehoach.plan.model import Plan, load_plan

ProgressHook = Callable[[int, int, str], None]
#: Set by an in-process caller (the CLI) to follow progress: (done, total, message).
progress_hook: ContextVar[ProgressHook | None] = ContextVar("progress_hook", default=None)


class CascadeResult(BaseModel):
    """What a cascade run did, for the CLI summary and the run's markdown artifact."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    plan: PlanSummary
    out_dir: str
    drafts_per_level: dict[str, int]
    written: int
    unchanged: int
    coverage: list[CoverageGap]
    seconds: float
    worker_peak_mb: float = 0.0
    resumed: int = 0  # drafts of batches an earlier (crashed or identical) run had finished
    swept: int = 0  # temporary files a killed run had left, removed
    template_warnings: list[str] = []  # the template's ND30 layout problems, each with its fix


#: Worker processes by default: one per core (this machine has 2).
WORKERS = max(1, min(os.cpu_count() or 1, 4))


def batches(items: Sequence[Draft], size: int) -> Iterator[Sequence[Draft]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@contextmanager
def _pool(workers: int) -> Iterator[ProcessPoolExecutor | None]:
    """A pool of fresh ("spawn") processes, or None for in-process work.

    Spawned, not forked: the flow process runs threads (Prefect's), and forking a process
    with threads can copy a held lock into the child.
    """
    if workers <= 1:
        yield None
        return
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=multiprocessing.get_context("spawn")
    ) as pool:
        yield pool


def transient_io(_task: object, _run: object, state: State) -> bool:
    """Retry a task only when the disk hiccupped (EIO, EAGAIN …), never on bad input or a
    refusal that would recur (read-only, no space): those fail at once with their message."""
    exc = state.data
    return isinstance(exc, OutputError) and exc.transient


# Writes are idempotent, so a task that hit a transient I/O error is simply run again.
@task(
    name="write-drafts",
    cache_policy=NO_CACHE,
    retries=2,
    retry_delay_seconds=1,
    retry_condition_fn=transient_io,
)
def write_drafts_task(
    drafts: Sequence[Draft], h: Hierarchy, out: Path, template: Path
) -> BatchResult:
    """Render and write drafts the flow derived itself (the top of the hierarchy)."""
    return write_drafts(drafts, h, out, template)


# Writes are idempotent, so a task that hit a transient I/O error is simply run again.
@task(
    name="draft-subtrees",
    cache_policy=NO_CACHE,
    retries=2,
    retry_delay_seconds=1,
    retry_condition_fn=transient_io,
)
def draft_subtrees_task(
    job: SubtreeJob, h: Hierarchy, pool: ProcessPoolExecutor | None
) -> BatchResult:
    """Derive, render and write one batch of whole subtrees, in a worker process if any.

    A batch an earlier run finished (its journal entry and drafts intact) is skipped.
    """
    if pool is None:
        return draft_subtrees(job, h)
    return pool.submit(draft_subtrees, job, slice_for(h, job.roots)).result()


# Writes are idempotent, so a task that hit a transient I/O error is simply run again.
@task(
    name="write-manifest",
    cache_policy=NO_CACHE,
    retries=2,
    retry_delay_seconds=1,
    retry_condition_fn=transient_io,
)
def write_manifest_task(out: Path, manifest: Manifest) -> bool:
    return write_manifest(out, manifest)


def _draft(
    parts: Partition,
    plans: dict[str, Plan],
    h: Hierarchy,
    settings: CascadeSettings,
    scope: set[str] | None,
    out: Path,
    template: Path,
    workers: int,
    batch_size: int,
    label: str,
) -> BatchResult:
    """Write every draft of ``parts``: the top in the flow, the batches in worker processes.

    Progress goes to a Prefect progress artifact and to the in-process hook (the CLI's bar).
    ``plans`` holds the issuer's plan and gains the plans of the top units.
    """
    total = parts.total
    hook = progress_hook.get()
    artifact = create_progress_artifact(0.0, description=f"Cascade {label}")
    assert isinstance(artifact, UUID)  # sync call: the id, not a coroutine
    done = 0

    def advance(result: BatchResult, text: str) -> None:
        nonlocal done
        done += len(result.entries)
        update_progress_artifact(artifact, 100.0 * done / max(total, 1))
        if hook:
            hook(done, total, text)

    # The top of the tree (units whose subtree is bigger than a batch), level by level here.
    top: list[Draft] = []
    for unit_id in parts.expanded:
        unit = h.unit(unit_id)
        assert unit.parent is not None
        draft = child_draft(plans[unit.parent], h.unit(unit.parent), unit, h, settings)
        plans[unit_id] = draft.plan
        top.append(draft)
    drafted = BatchResult(entries=[], written=0)
    for chunk in batches(top, batch_size):
        batch_result = write_drafts_task(opaque(chunk), opaque(h), out, template)
        advance(batch_result, chunk[-1].unit.name)
        drafted = drafted + batch_result
    # The rest in batches of whole subtrees, `workers` at a time, each in its own process.
    use_pool = workers > 1 and len(parts.batches) > 1
    with _pool(workers if use_pool else 0) as pool:
        futures = []
        for roots in parts.batches:
            parents = {h.unit(r).parent for r in roots}
            job = SubtreeJob(
                roots=roots,
                parent_plans={p: plans[p] for p in parents if p is not None},
                settings=settings,
                out=out,
                scope=scope,
                template=template,
            )
            futures.append(draft_subtrees_task.submit(opaque(job), opaque(h), opaque(pool)))
        for future in futures:
            batch_result = future.result()
            text = batch_result.entries[-1].unit_name if batch_result.entries else ""
            advance(batch_result, text)
            drafted = drafted + batch_result
    return drafted


def _scope(h: Hierarchy, root: str, start: str | None) -> set[str] | None:
    """With ``start``: the units on the way from ``root`` to it, and its subtree."""
    if start is None:
        return None
    target = h.find(start)
    chain = [u.id for u in h.path(target.id)]
    if root not in chain:
        raise CascadeError(f"{target.name} ({target.id}) is not below the plan's issuer {root}")
    return set(chain[chain.index(root) :]) | {u.id for level in h.levels(target.id) for u in level}


@flow(
    name="cascade",
    log_prints=False,
    flow_run_name=run_name("cascade"),
    task_runner=ThreadPoolTaskRunner(max_workers=WORKERS),  # type: ignore[arg-type]
)
def cascade_flow(
    plan: Path,
    hierarchy: str = "hanoi-2024",
    out: Path = Path("out"),
    to_level: Level | None = None,
    start: str | None = None,
    batch_size: int = 400,
    workers: int = WORKERS,
    template: Path | None = None,
) -> CascadeResult:
    """Cascade a plan into a draft plan (DOCX) for every unit below its issuer.

    Everything that can be checked is checked before the first draft is written (the plan,
    the hierarchy, every role a task needs, the template, room in the output folder), so a
    bad input fails with one message and an untouched folder. A run that crashed or was
    killed is resumed by running it again: finished batches are skipped.

    Args:
        plan: The parent plan, a YAML file on the server, e.g. examples/ha-noi-145-kh-ubnd.yaml.
        hierarchy: hanoi-2024, hanoi-2025, vn-2024, vn-2025, or a hierarchy YAML file.
        out: Folder the drafts and manifest.json are written to.
        to_level: Deepest level to draft (huyen, xa); empty = all levels and departments.
        start: Only this unit (id or exact name) and the units below it; empty = all.
        batch_size: Units per task: whole subtrees of about this many units.
        workers: Processes drafting batches in parallel (1 = all in this process).
        template: The DOCX template (docxtpl); empty = templates/docx/ke-hoach.docx.
    """
    logger = get_run_logger()
    began = time.perf_counter()
    template = template or PLAN_TEMPLATE
    parent_plan = load_plan(plan)
    h = load_hierarchy(hierarchy)
    settings = CascadeSettings(to_level=to_level)
    gaps = coverage(parent_plan, h)
    for gap in gaps:
        logger.warning("Task %s reaches no unit: %s", gap.task_id, gap.reason)
    root = issuer_unit(parent_plan, h)
    scope = _scope(h, root.id, start)
    if settings.to_level is not None:
        scope = {
            u.id
            for u in h
            if (scope is None or u.id in scope) and (u.id == root.id or wanted(u, settings))
        }
    check_assignments(parent_plan, h, settings, scope)
    plans = {root.id: resolve_issuer_plan(parent_plan, root, h)}
    sample = render_plan(plans[root.id], template)  # a template error stops the run here
    template_warnings = lint_plan_template(template)  # a layout problem does not: it warns
    for problem in template_warnings:
        logger.warning("Template %s: %s", template, problem)
    parts = partition(h, root.id, batch_size, scope)
    total = parts.total
    # Drafts are about the size of the issuer's own document; ask for twice that.
    check_room(out, 2 * len(sample) * total)
    with locked(out) as swept:
        if swept:
            logger.warning("Removed %d temporary files an interrupted run left in %s", swept, out)
        drafted = _draft(
            parts, plans, h, settings, scope, out, template, workers, batch_size, plan.name
        )
        order = {u.id: i for i, u in enumerate(h)}
        entries = sorted(drafted.entries, key=lambda e: order[e.unit_id])
        written = drafted.written
        per_level: dict[str, int] = {}
        for e in entries:
            per_level[e.level] = per_level.get(e.level, 0) + 1
        logger.info("Drafted %s", ", ".join(f"{n} at level {k}" for k, n in per_level.items()))
        summary = PlanSummary.of(parent_plan)
        write_manifest_task(out, Manifest(plan=summary, hierarchy=hierarchy, drafts=entries))
        forget_except(out, set(drafted.journal_keys))
    result = CascadeResult(
        plan=summary,
        out_dir=str(out),
        drafts_per_level=per_level,
        written=written,
        unchanged=len(entries) - written,
        coverage=gaps,
        seconds=round(time.perf_counter() - began, 2),
        worker_peak_mb=drafted.peak_mb,
        resumed=drafted.skipped,
        swept=swept,
        template_warnings=template_warnings,
    )
    if gaps:
        create_table_artifact(
            [g.model_dump() for g in gaps],
            key="cascade-coverage",
            description="Tasks of the plan that reach no unit below its issuer",
        )
    create_table_artifact(
        [{"level": k, "drafts": v} for k, v in per_level.items()],
        key="cascade-drafts-per-level",
        description=f"Drafts per level for {summary.number or summary.summary}",
    )
    create_markdown_artifact(
        f"# Cascade {summary.number or ''}\n\n{summary.summary}\n\n"
        f"- drafts: {len(entries)} ({written} written, {result.unchanged} unchanged, "
        f"{result.resumed} in batches an earlier run had finished)\n"
        f"- folder: `{out.resolve()}`; manifest: `{(out / 'manifest.json').resolve()}`\n"
        f"- coverage warnings: {len(gaps)}\n"
        + "".join(f"- template warning: {w}\n" for w in template_warnings),
        key="cascade-summary",
    )
    return result
