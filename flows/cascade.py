"""Prefect flow ``cascade``: a plan becomes a draft for every unit below its issuer.

The core plans and finishes the run (:mod:`kehoach.cascade.run`); this flow adds only what
Prefect is for: tasks over *batches* of units, never one task per unit (a task run costs
~6–60 ms and a subflow ~1 s here), retries on transient I/O, a progress artifact updated per
batch (plus an in-process callback the CLI uses for its Rich bar), and the run's artifacts.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

from prefect import flow, get_run_logger, task
from prefect.artifacts import (
    create_markdown_artifact,
    create_progress_artifact,
    create_table_artifact,
    update_progress_artifact,
)
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

from flows.drafting import draft_subtrees_task, transient_io
from flows.form import (
    ALL_LEVELS,
    DATABASE,
    HIERARCHY,
    OUT,
    PLAN,
    FilePath,
    LevelChoice,
    Text,
    form,
)
from flows.runners import WORKERS, describe, drafting_runner, slots
from flows.runtime import artifact_key, one_line_errors, opaque, run_name
from hierarchy.graph import Hierarchy
from hierarchy.sources import load_hierarchy
from kehoach.cascade.drafting import write_drafts
from kehoach.cascade.issued import IssuedPlan
from kehoach.cascade.journal import BatchResult, PackedBatch, SharedValues
from kehoach.cascade.lint import DraftChecker
from kehoach.cascade.lint.findings import LintReport
from kehoach.cascade.manifest import PlanSummary
from kehoach.cascade.partition import slice_for, task_groups
from kehoach.cascade.rules import CascadeSettings, Draft, issuer_unit
from kehoach.cascade.run import CascadeOutcome, Run, prepare, running
from kehoach.io.errors import KehoachError
from kehoach.plan.markers import plain
from kehoach.plan.model import load_plan
from kehoach.status.rollup import level_label

ProgressHook = Callable[[int, int, str], None]
#: Set by an in-process caller (the CLI) to follow progress: (done, total, message).
progress_hook: ContextVar[ProgressHook | None] = ContextVar("progress_hook", default=None)


# Writes are idempotent, so a task that hit a transient I/O error is simply run again.
@task(
    name="write-drafts",
    cache_policy=NO_CACHE,
    retries=2,
    retry_delay_seconds=1,
    retry_condition_fn=transient_io,
)
def write_drafts_task(
    drafts: Sequence[Draft],
    h: Hierarchy,
    folder: Path,
    template: Path,
    recorded: Mapping[str, str],
    checker: DraftChecker | None,
) -> BatchResult:
    """Render and write drafts the flow derived itself (the top of the hierarchy), each
    checked with ``checker`` (the run's, kept for the batches below) if the run checks."""
    return write_drafts(drafts, h, folder, template, recorded, checker)


@task(name="read-issued-plans", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2)
def read_issued_task(database_url: str | None, key: str, hierarchy: str) -> dict[str, IssuedPlan]:
    """The plans units issued in this cascade, from the status store (I/O: retried)."""
    # Imported here: every drafting worker imports this module (Prefect sends the flow with
    # a task's context), and the store brings SQLAlchemy and alembic, which drafting never uses.
    from kehoach.status.store.db import stored_issued_plans

    return stored_issued_plans(database_url, key, hierarchy)


@task(name="lint-drafts", cache_policy=NO_CACHE)
def lint_report_task(run: Run, drafted: BatchResult) -> LintReport:
    """The draft check's report (what ``kehoach draft lint`` says of the folder), from the
    findings the batches sent back: the drafts were checked as they were written."""
    return run.report(drafted)


def _draft(run: Run, workers: int, dask: str | None, label: str, lint: bool) -> BatchResult:
    """Write every draft of the run: the top in the flow, the batches on the drafting task
    runner (:mod:`flows.runners`), a few consecutive batches to a task run; with ``lint``,
    each draft checked where it is written, the batches' in their workers, in parallel.

    Progress goes to a Prefect progress artifact and to the in-process hook (the CLI's bar).
    """
    total = run.prepared.total
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

    p = run.prepared
    drafted: list[BatchResult] = []
    shared = SharedValues(run.h)  # this process holds every result until the run ends
    recorded = run.recorded
    # The top drafts are all written and checked before a batch is handed out: the batches
    # get their roots' parents' texts from this checker.
    checker = run.checker() if lint else None
    for chunk in run.top_chunks():
        result = write_drafts_task(
            opaque(chunk), opaque(run.h), p.folder, p.template, opaque(recorded), opaque(checker)
        )
        advance(result, chunk[-1].unit.name)
        drafted.append(shared.share(result))
    if not run.jobs:
        return BatchResult.merged(drafted)
    # One batch gains nothing from other processes, and starting them costs seconds.
    runner = drafting_runner(workers if len(run.jobs) > 1 else 1, dask)
    with _started(runner):
        # A few batches per worker in flight, not all of them: each submitted batch waits
        # pickled (its slice of the hierarchy, its parents' plans) until a worker takes it,
        # and ~190 national batches at once would hold them all in the flow's memory.
        window = 2 * slots(runner, workers)
        in_flight: deque[PrefectFuture[PackedBatch]] = deque()
        # Another process gets only its batches' part of the tree; this one has it all.
        here = isinstance(runner, ThreadPoolTaskRunner)
        sizes = [sum(p.parts.sizes[r] for r in job.roots) for job in run.jobs]
        groups = task_groups(sizes, slots(runner, workers))
        get_run_logger().info(
            "Drafting %d batches in %d tasks on %s", len(run.jobs), len(groups), describe(runner)
        )
        for group in groups:
            jobs = [run.jobs[i] for i in group]
            if checker is not None:
                jobs = [run.checked(job, checker) for job in jobs]
            if len(in_flight) >= window:
                drafted.append(_collect(in_flight.popleft(), advance, shared))
            roots = [r for job in jobs for r in job.roots]
            # Not quoted (opaque): a task's arguments are small, and Dask would take the
            # quote, a tuple, for a task of its own.
            in_flight.append(
                runner.submit(
                    draft_subtrees_task,
                    {"jobs": jobs, "h": run.h if here else slice_for(run.h, roots)},
                )
            )
        while in_flight:
            drafted.append(_collect(in_flight.popleft(), advance, shared))
    return BatchResult.merged(drafted)


def _collect(
    future: PrefectFuture[PackedBatch],
    advance: Callable[[BatchResult, str], None],
    shared: SharedValues,
) -> BatchResult:
    """The batch's result, once it is done, unpacked, its repeated values ``shared`` with
    the rest of the run (it is held until the run ends), and counted in the progress."""
    result = shared.share(future.result().unpack())
    advance(result, result.entries[-1].unit_name if result.entries else "")
    return result


@contextmanager
def _started(runner: TaskRunner[Any]) -> Iterator[None]:
    """``runner`` started and shut down after; a Dask scheduler that cannot be reached is
    one line naming its address, not a traceback from the network layer."""
    address = getattr(runner, "address", None)
    try:
        runner.__enter__()
        if address:
            getattr(runner, "client")  # noqa: B009 (Dask's client connects now, not later)
    except OSError as exc:
        runner.__exit__(None, None, None)
        raise KehoachError(
            f"cannot reach the Dask scheduler at {address} ({exc}); start it with "
            "`dask scheduler` and its workers with `dask worker ADDRESS`, or draft on this "
            "machine (no --dask, KEHOACH_DASK_ADDRESS unset)"
        ) from None
    try:
        yield
    finally:
        runner.__exit__(None, None, None)


@flow(
    name="cascade",
    log_prints=False,
    flow_run_name=run_name("cascade"),
    task_runner=ThreadPoolTaskRunner(max_workers=WORKERS),  # type: ignore[arg-type]
)
@one_line_errors
def cascade_flow(
    plan: Annotated[Path, PLAN],
    hierarchy: Annotated[str, HIERARCHY] = "hanoi-2024",
    out: Annotated[Path, OUT] = Path("out"),
    to_level: Annotated[
        LevelChoice,
        form("Soạn đến cấp", "Cấp thấp nhất được soạn dự thảo", blank=ALL_LEVELS),
    ] = None,
    start: Annotated[
        Text,
        form(
            "Đơn vị bắt đầu",
            "Chỉ soạn cho đơn vị này và các đơn vị trực thuộc: mã (008, 00340) hoặc tên, có "
            "hay không dấu. Để trống: mọi đơn vị dưới đơn vị ban hành (cần đánh dấu Xác nhận)",
            blank="",
            examples=["00340", "Quận Hoàng Mai"],
        ),
    ] = None,
    xac_nhan: Annotated[
        bool,
        form(
            "Xác nhận soạn cho toàn bộ",
            "Đánh dấu khi không chọn đơn vị bắt đầu: soạn dự thảo cho mọi đơn vị dưới đơn vị "
            "ban hành (Hà Nội: 3.373 dự thảo)",
        ),
    ] = False,
    batch_size: Annotated[
        int, form("Số đơn vị mỗi lô", "Mỗi tác vụ soạn trọn các cây con, khoảng từng này đơn vị")
    ] = 400,
    workers: Annotated[
        int, form("Số tiến trình song song", "Số tiến trình soạn các lô cùng lúc (1 = tuần tự)")
    ] = WORKERS,
    dask: Annotated[
        Text,
        form(
            "Cụm Dask",
            "Địa chỉ bộ lập lịch Dask (tcp://MÁY:8786) để soạn các lô trên nhiều máy. Để trống: "
            "KEHOACH_DASK_ADDRESS, hoặc các tiến trình của máy này",
            blank="",
            examples=["tcp://10.0.0.5:8786"],
        ),
    ] = None,
    template: Annotated[
        FilePath,
        form("Mẫu DOCX", "Mẫu kế hoạch (docxtpl). Để trống: mẫu ke-hoach.docx mặc định", blank=""),
    ] = None,
    signers: Annotated[
        FilePath,
        form(
            "Người ký (tệp YAML hoặc CSV)",
            "Mã đơn vị → thẩm quyền, chức vụ, họ tên người ký. Để trống: để trống họ tên",
            blank="",
        ),
    ] = None,
    lint: Annotated[
        bool, form("Kiểm tra dự thảo", "Kiểm tra từng dự thảo ngay khi soạn (kehoach draft lint)")
    ] = True,
    database_url: Annotated[Text, DATABASE] = None,
) -> CascadeOutcome:
    """Cascade a plan into a draft plan (DOCX) for every unit below its issuer.

    Everything that can be checked is checked before the first draft is written (the plan,
    the hierarchy, every role a task needs, the template, room in the output folder), so a
    bad input fails with one message and an untouched folder. Each plan has its own folder
    under ``out`` (``out/<plan>/<hierarchy>/``); a draft edited by hand since the product
    wrote it is kept. A run that crashed or was killed is resumed by running it again:
    finished batches are skipped.

    Args:
        plan: The parent plan, a YAML file on the server, e.g. examples/ha-noi-145-kh-ubnd.yaml.
        hierarchy: hanoi-2024, hanoi-2025, vn-2024, vn-2025, or a hierarchy YAML file.
        out: Folder under which each plan gets its own folder of drafts and manifest.json.
        to_level: Deepest level to draft (huyen, xa); empty = all levels and departments.
        start: Only this unit (id or name, accents optional) and those below it; empty = all,
            which ``xac_nhan`` must confirm.
        xac_nhan: Confirms a cascade of every unit below the issuer (no ``start``): a quick
            run from the UI's form must not draft a whole city by accident.
        batch_size: Units per task: whole subtrees of about this many units.
        workers: Processes drafting batches in parallel (1 = all in this process).
        dask: A Dask scheduler's address (tcp://HOST:8786): the batches run on its cluster's
            workers instead (:mod:`flows.runners`); empty = KEHOACH_DASK_ADDRESS, or this
            machine's processes.
        template: The DOCX template (docxtpl); empty = the default ke-hoach.docx.
        signers: Who signs for each unit, a YAML or CSV file (unit id → authority, title,
            name); empty = as the hierarchy has them, with the names left blank.
        lint: Check every draft of the plan folder as kehoach draft lint does, each as it
            is written (the batches' in the drafting workers); the run reports the findings.
        database_url: Status store holding the plans units issued (kehoach plan issue): the
            units below each implement its issued plan; empty = KEHOACH_DATABASE_URL or the
            SQLite default (none yet: every unit implements its parent's draft).
    """
    logger = get_run_logger()
    began = time.perf_counter()
    parent_plan = load_plan(plan)
    h = load_hierarchy(hierarchy, signers=signers)
    if not start and not xac_nhan:
        raise KehoachError(
            f"a cascade of every unit below {issuer_unit(parent_plan, h).name} must be "
            "confirmed: choose a unit in 'Đơn vị bắt đầu' (start, --from), or tick 'Xác nhận "
            "soạn cho toàn bộ' (xac_nhan) to draft them all"
        )
    issued = read_issued_task(database_url, PlanSummary.of(parent_plan).key, hierarchy)
    for unit_id, one in sorted(issued.items()):
        logger.info("%s issued %s of %s: drafting below it from it", unit_id, one.number, one.date)
    prepared = prepare(
        parent_plan,
        h,
        hierarchy,
        out,
        settings=CascadeSettings(to_level=to_level),
        start=start,
        template=template,
        batch_size=batch_size,
        issued=issued,
    )
    for gap in prepared.coverage:
        logger.warning("Task %s reaches no unit: %s", gap.task_id, gap.reason)
    for problem in prepared.template_warnings:
        logger.warning("Template %s: %s", prepared.template, problem)
    with running(prepared, h) as run:
        if run.swept:
            logger.warning("Removed %d temporary files an interrupted run left", run.swept)
        drafted = _draft(run, workers, dask, plan.name, lint)
        outcome = run.finish(drafted)
        if lint:
            gathering = time.perf_counter()
            report = lint_report_task(opaque(run), opaque(drafted))
            spent = drafted.check_s + time.perf_counter() - gathering
            outcome = outcome.checked(report, spent)
            for line in report.findings[:20]:
                logger.warning("Draft check: %s", line.line)
    outcome = outcome.model_copy(update={"seconds": round(time.perf_counter() - began, 2)})
    logger.info(
        "Drafted %s", ", ".join(f"{n} at level {k}" for k, n in outcome.drafts_per_level.items())
    )
    if outcome.edited:
        logger.warning(
            "%d drafts kept: edited by hand since they were written", len(outcome.edited)
        )
    _artifacts(outcome, prepared.folder.name, prepared.folder.parent.name)
    return outcome


def _findings(counts: dict[str, int]) -> str:
    """ "0 phát hiện", "3 phát hiện (two-deadlines: 3)" (the kinds by the checker's names)."""
    kinds = ", ".join(f"{k}: {n}" for k, n in counts.items() if n)
    return f"{sum(counts.values())} phát hiện" + (f" ({kinds})" if kinds else "")


def _artifacts(outcome: CascadeOutcome, hierarchy_key: str, plan_key: str) -> None:
    """The run's tables and summary, in Vietnamese, under keys of their own plan and hierarchy
    (the UI shows a key's latest artifact: another plan's run must not replace it)."""
    key = artifact_key(plan_key, hierarchy_key)
    if outcome.coverage:
        create_table_artifact(
            [{"Nhiệm vụ": g.task_id, "Tên": g.title, "Lý do": g.reason} for g in outcome.coverage],
            key=artifact_key("cascade-coverage", key),
            description="Nhiệm vụ của kế hoạch không đến được đơn vị nào bên dưới",
        )
    create_table_artifact(
        [{"Cấp": level_label(k), "Số dự thảo": v} for k, v in outcome.drafts_per_level.items()],
        key=artifact_key("cascade-drafts", key),
        description=f"Số dự thảo theo cấp, {outcome.plan.number or plain(outcome.plan.summary)}",
    )
    if outcome.lint:
        create_table_artifact(
            [{"Loại phát hiện": k, "Số lượng": n} for k, n in outcome.lint.items()],
            key=artifact_key("cascade-lint", key),
            description="Kết quả kiểm tra dự thảo theo loại (kehoach draft lint)",
        )
    folder = Path(outcome.folder).resolve()
    levels = ", ".join(f"{level_label(k)} {n}" for k, n in outcome.drafts_per_level.items())
    create_markdown_artifact(
        f"# Dự thảo kế hoạch theo {outcome.plan.number or 'dự thảo'}\n\n"
        f"{plain(outcome.plan.summary)}\n\n"
        f"- số dự thảo: {outcome.total} ({levels}); viết mới {outcome.written}, không đổi "
        f"{outcome.unchanged}, từ các lô đã xong ở lần chạy trước {outcome.resumed}\n"
        f"- giữ nguyên vì đã sửa tay: {len(outcome.edited)}\n"
        f"- của đơn vị không còn trong danh mục (để nguyên): {len(outcome.stale)}\n"
        f"- thư mục: `{folder}`; manifest: `{folder / 'manifest.json'}`\n"
        f"- theo kế hoạch đơn vị đã ban hành ({', '.join(outcome.issued) or 'chưa có'}): "
        f"{outcome.from_issued} dự thảo\n"
        f"- nhiệm vụ không đến được đơn vị nào: {len(outcome.coverage)}\n"
        f"- kiểm tra dự thảo: {_findings(outcome.lint)}\n"
        + "".join(f"- cảnh báo mẫu: {w}\n" for w in outcome.template_warnings),
        key=artifact_key("cascade-summary", key),
    )
