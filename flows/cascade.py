"""Prefect flow ``cascade``: a plan becomes a draft for every unit below its issuer.

The flow only wires the core: derivation is one pure call per level (milliseconds), and
rendering + writing run as tasks over *batches* of units, never one task per unit (a task
run costs ~6 ms and a subflow ~1 s here). Progress is a Prefect progress artifact updated per
batch, plus an optional in-process callback the CLI uses for its Rich progress bar.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
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
from pydantic import BaseModel, ConfigDict

from flows.runtime import opaque, run_name
from hierarchy.graph import Hierarchy
from hierarchy.sources import load_hierarchy
from hierarchy.units import Level
from kehoach.cascade import CascadeSettings, CoverageGap, Draft, cascade, coverage
from kehoach.drafts import BatchResult, write_drafts
from kehoach.outputs import Manifest, ManifestEntry, PlanSummary, write_manifest
from kehoach.plan import load_plan

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


def batches(items: Sequence[Draft], size: int) -> Iterator[Sequence[Draft]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@task(name="write-drafts", cache_policy=NO_CACHE)
def write_drafts_task(drafts: Sequence[Draft], h: Hierarchy, out: Path) -> BatchResult:
    """Render and write one batch of drafts."""
    return write_drafts(drafts, h, out)


@task(name="write-manifest", cache_policy=NO_CACHE)
def write_manifest_task(out: Path, manifest: Manifest) -> bool:
    return write_manifest(out, manifest)


def _count_below(h: Hierarchy, start: str, settings: CascadeSettings) -> int:
    """How many drafts a cascade from ``start`` will write (for the progress total)."""
    levels = h.levels(start)[1:]
    if settings.to_level in (None, Level.PHONG_BAN):
        return sum(len(level) for level in levels)
    return sum(1 for level in levels for u in level if not u.is_department)


@flow(name="cascade", log_prints=False, flow_run_name=run_name("cascade"))
def cascade_flow(
    plan: Path,
    hierarchy: str = "hanoi-2024",
    out: Path = Path("out"),
    to_level: Level | None = None,
    start: str | None = None,
    batch_size: int = 250,
) -> CascadeResult:
    """Cascade a plan into a draft plan (DOCX) for every unit below its issuer.

    Args:
        plan: The parent plan, a YAML file on the server, e.g. examples/ha-noi-145-kh-ubnd.yaml.
        hierarchy: hanoi-2024, hanoi-2025, vn-2024, vn-2025, or a hierarchy YAML file.
        out: Folder the drafts and manifest.json are written to.
        to_level: Deepest level to draft (huyen, xa); empty = all levels and departments.
        start: Only this unit (id or exact name) and the units below it; empty = all.
        batch_size: Units rendered per task (a task per unit would cost more than the work).
    """
    logger = get_run_logger()
    began = time.perf_counter()
    parent_plan = load_plan(plan)
    h = load_hierarchy(hierarchy)
    settings = CascadeSettings(to_level=to_level)
    gaps = coverage(parent_plan, h)
    for gap in gaps:
        logger.warning("Task %s reaches no unit: %s", gap.task_id, gap.reason)
    root = parent_plan.issuer.unit_id or h.root_id
    total = _count_below(h, start or root, settings)
    hook = progress_hook.get()
    artifact = create_progress_artifact(0.0, description=f"Cascade {plan.name}")
    assert isinstance(artifact, UUID)  # sync call: the id, not a coroutine
    entries: list[ManifestEntry] = []
    per_level: dict[str, int] = {}
    written = done = 0
    for level in cascade(parent_plan, h, settings, start):
        total = max(total, done + len(level))
        for batch in batches(level, batch_size):
            # opaque(): Prefect must not walk thousands of plan objects looking for futures.
            batch_result = write_drafts_task(opaque(batch), opaque(h), out)
            entries += batch_result.entries
            written += batch_result.written
            done += len(batch)
            update_progress_artifact(artifact, 100.0 * done / max(total, 1))
            if hook:
                hook(done, total, batch[-1].unit.name)
        counts: dict[str, int] = {}
        for d in level:
            counts[d.unit.level.value] = counts.get(d.unit.level.value, 0) + 1
            per_level[d.unit.level.value] = per_level.get(d.unit.level.value, 0) + 1
        logger.info("Drafted %s", ", ".join(f"{n} at level {k}" for k, n in counts.items()))
    summary = PlanSummary.of(parent_plan)
    write_manifest_task(out, Manifest(plan=summary, hierarchy=hierarchy, drafts=entries))
    result = CascadeResult(
        plan=summary,
        out_dir=str(out),
        drafts_per_level=per_level,
        written=written,
        unchanged=len(entries) - written,
        coverage=gaps,
        seconds=round(time.perf_counter() - began, 2),
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
        f"- drafts: {len(entries)} ({written} written, {result.unchanged} unchanged)\n"
        f"- folder: `{out.resolve()}`; manifest: `{(out / 'manifest.json').resolve()}`\n"
        f"- coverage warnings: {len(gaps)}\n",
        key="cascade-summary",
    )
    return result
