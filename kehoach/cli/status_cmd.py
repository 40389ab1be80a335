"""``kehoach sheets``, ``kehoach status …``, ``kehoach rollup``, ``kehoach remind``."""

from __future__ import annotations

import datetime as dt
import getpass
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from hierarchy.graph import Hierarchy
from hierarchy.sources import load_hierarchy
from kehoach.cascade.manifest import draft_path, plan_folder
from kehoach.cascade.walk import plans_by_unit
from kehoach.cli.common import command, console, warn
from kehoach.io.writing import inside, write_if_changed
from kehoach.plan.model import Plan, load_plan
from kehoach.status.intake import IntakeError, read_files, reported_tasks, sheet_bytes
from kehoach.status.models import PlanIssue, TaskState, TaskStatus
from kehoach.status.periods import Period
from kehoach.status.store.db import Provenance, connect, history, record

app = typer.Typer(
    help="Status reported by units: import, set one value, history.", no_args_is_help=True
)

PlanOpt = Annotated[Path, typer.Option("--plan", "-p", help="The plan the status is about (YAML).")]
HierarchyOpt = Annotated[
    str,
    typer.Option(
        "--hierarchy", "-H", help="hanoi-2024, hanoi-2025, vn-2024, vn-2025 or a YAML file."
    ),
]
PeriodOpt = Annotated[
    str, typer.Option("--period", help="Report period: 2024-Q1, 2024-6M, 2024-9M, 2024-Y.")
]
DbOpt = Annotated[
    str | None,
    typer.Option(
        "--db", help="Database URL (default: KEHOACH_DATABASE_URL or data/kehoach.sqlite3)."
    ),
]
ByOpt = Annotated[
    str | None, typer.Option("--by", help="Who enters it (default: your login name).")
]
OutOpt = Annotated[Path, typer.Option("--out", help="Output folder (drafts, sheets, rollup.json).")]


def _period(text: str) -> Period:
    try:
        return Period.parse(text)
    except ValueError as exc:
        raise IntakeError(str(exc), where="--period") from None


def load_context(plan: Path, hierarchy: str) -> tuple[Plan, Hierarchy, dict[str, Plan], str]:
    """The plan, the hierarchy, every unit's plan, and the key status is stored under."""
    from flows.rollup import plan_key

    parent = load_plan(plan)
    h = load_hierarchy(hierarchy)
    return parent, h, plans_by_unit(parent, h), plan_key(parent)


def sheet_path(h: Hierarchy, unit_id: str, period: Period) -> Path:
    """The intake sheet sits beside the unit's draft: <draft>.<period>.xlsx."""
    draft = draft_path(h, h.unit(unit_id))
    return draft.with_name(f"{draft.stem}.{period.key}.xlsx")


@command
def sheets(
    plan: PlanOpt,
    period: PeriodOpt,
    hierarchy: HierarchyOpt = "hanoi-2024",
    out: OutOpt = Path("out"),
    start: Annotated[
        str | None, typer.Option("--from", help="Only this unit and those below it.")
    ] = None,
) -> None:
    """Write each unit's intake sheet (XLSX) beside its draft; existing sheets are kept."""
    the_period = _period(period)
    parent, h, plans, key = load_context(plan, hierarchy)
    folder = plan_folder(out, parent, hierarchy)
    scope = {u.id for level in h.levels(h.find(start).id) for u in level} if start else set(plans)
    written = kept = 0
    for unit_id in plans:
        if unit_id not in scope or not reported_tasks(h.unit(unit_id), plans, h):
            continue
        relative = sheet_path(h, unit_id, the_period)
        if inside(folder, relative).exists():
            kept += 1  # it may already hold a unit's answers: never overwrite
            continue
        data = sheet_bytes(h.unit(unit_id), plans, h, key, the_period)
        written += write_if_changed(folder, relative, data)
    console.print(
        f"{written} sheets written, {kept} kept (already there) under {folder}/drafts",
        highlight=False,
    )


@app.command("import")
@command
def import_(
    files: Annotated[list[Path], typer.Argument(help="Filled sheets (.xlsx) or CSV files.")],
    plan: PlanOpt,
    hierarchy: HierarchyOpt = "hanoi-2024",
    db: DbOpt = None,
    by: ByOpt = None,
) -> None:
    """Import reports: everything is checked first, then written in one transaction."""
    _, h, plans, key = load_context(plan, hierarchy)
    submissions = read_files(files, plans, h, key, by or getpass.getuser())
    done = record(connect(db), submissions)
    rows = sum(len(s[1]) for s in submissions)
    console.print(
        f"imported {done.recorded} reports ({rows} task statuses) from {len(files)} files; "
        f"{done.already} already in the store (skipped)"
    )


@app.command("set")
@command
def set_(
    plan: PlanOpt,
    unit: Annotated[str, typer.Option(help="Unit id or name.")],
    period: PeriodOpt,
    task: Annotated[
        str | None, typer.Option(help="Task id (omit to record only a plan issue).")
    ] = None,
    state: Annotated[
        TaskState | None, typer.Option(help="chua-thuc-hien, dang-thuc-hien, hoan-thanh.")
    ] = None,
    done_on: Annotated[
        dt.datetime | None, typer.Option(formats=["%Y-%m-%d", "%d/%m/%Y"], help="Completion date.")
    ] = None,
    count: Annotated[
        int | None, typer.Option(min=0, help="Quota count reached in the period.")
    ] = None,
    issued: Annotated[
        dt.datetime | None,
        typer.Option(formats=["%Y-%m-%d", "%d/%m/%Y"], help="Date the unit issued its own plan."),
    ] = None,
    number: Annotated[
        str | None, typer.Option(help="Number of the unit's own plan, e.g. 55/KH-UBND.")
    ] = None,
    hierarchy: HierarchyOpt = "hanoi-2024",
    db: DbOpt = None,
    by: ByOpt = None,
) -> None:
    """Record one value from the command line (a task's status, or a plan issue)."""
    the_period = _period(period)
    _, h, plans, key = load_context(plan, hierarchy)
    target = h.find(unit)
    if target.id not in plans:
        raise IntakeError(f"unit {target.id} ({target.name}) has no plan in {key}", where="--unit")
    statuses = []
    if task is not None:
        if task not in {t.id for t in reported_tasks(target, plans, h)}:
            raise IntakeError(f"task {task!r} is not a task of {target.name}", where="--task")
        if state is None:
            raise IntakeError("give --state with --task", where="--state")
        day = done_on.date() if done_on else None
        if state is TaskState.HOAN_THANH and day is None:
            raise IntakeError("a done task needs --done-on", where="--done-on")
        if day is not None and not the_period.start <= day <= the_period.end:
            raise IntakeError(f"{day:%d/%m/%Y} is outside {the_period.key}", where="--done-on")
        statuses.append(
            TaskStatus(
                unit_id=target.id,
                task_id=task,
                period=the_period.key,
                state=state,
                done_on=day,
                count=count,
            )
        )
    issues = (
        [PlanIssue(unit_id=target.id, number=number, issued_on=issued.date())] if issued else []
    )
    if not statuses and not issues:
        raise IntakeError(
            "nothing to record: give --task and --state, or --issued", where="command line"
        )
    prov = Provenance(
        plan_key=key,
        unit_id=target.id,
        period=the_period.key,
        kind="value",
        source="cli",
        source_name="kehoach status set",
        entered_by=by or getpass.getuser(),
    )
    if record(connect(db), [(prov, statuses, issues)]).already:
        console.print(f"already recorded for {target.name}: nothing changed")
        return
    console.print(f"recorded for {target.name}: {len(statuses)} status, {len(issues)} plan issue")


@app.command("history")
@command
def history_(
    plan: PlanOpt,
    unit: Annotated[str, typer.Option(help="Unit id or name.")],
    task: Annotated[str, typer.Option(help="Task id.")],
    hierarchy: HierarchyOpt = "hanoi-2024",
    db: DbOpt = None,
) -> None:
    """Every status ever recorded for one task of one unit, with where it came from."""
    from flows.rollup import plan_key

    key = plan_key(load_plan(plan))
    target = load_hierarchy(hierarchy).find(unit)
    console.print(f"[bold]{key} · {target.name} · task {task}[/]")
    for row in history(connect(db), key, target.id, task):
        done = f" done {row['done_on']:%d/%m/%Y}" if row["done_on"] else ""
        count = f" count {row['count']}" if row["count"] is not None else ""
        console.print(
            f"{row['period']} {row['state']}{done}{count} — {row['source']} {row['source_name']} "
            f"by {row['entered_by']} at {row['entered_at']:%Y-%m-%d %H:%M} UTC",
            highlight=False,
        )


@command
def rollup(
    plan: PlanOpt,
    period: PeriodOpt,
    hierarchy: HierarchyOpt = "hanoi-2024",
    as_of: Annotated[
        dt.datetime | None,
        typer.Option(
            "--as-of",
            formats=["%Y-%m-%d", "%d/%m/%Y"],
            help="Date of the figures (default: the period's deadline, or today if earlier).",
        ),
    ] = None,
    json_file: Annotated[
        Path | None, typer.Option("--json", help="Also write the roll-up here.")
    ] = None,
    out: OutOpt = Path("out"),
    db: DbOpt = None,
    server: Annotated[
        bool, typer.Option("--server", help="Run on the Prefect server (PREFECT_API_URL).")
    ] = False,
    watch: Annotated[bool, typer.Option(help="With --server: wait for the run to end.")] = False,
) -> None:
    """Roll the status up the hierarchy for a period; print the units one level down."""
    from flows.rollup import rollup_flow
    from flows.runtime import quiet_prefect
    from kehoach.cli.cascade_cmd import print_triggered

    _period(period)
    if server:
        params = {"plan": plan, "hierarchy": hierarchy, "period": period, "out": out}
        params |= {"as_of": as_of.date() if as_of else None, "database_url": db}
        print_triggered("rollup/rollup-nd09", params, watch)
        return
    with quiet_prefect(warn):
        result = rollup_flow(
            plan=plan,
            hierarchy=hierarchy,
            period=period,
            as_of=as_of.date() if as_of else None,
            out=out,
            database_url=db,
        )
    if json_file is not None:
        json_file.write_text(result.model_dump_json(indent=2) + "\n", encoding="utf-8")
    root = result.units[0]
    table = Table(title=f"{result.plan} · {result.period} · as of {result.as_of:%d/%m/%Y}")
    table.add_column("unit", no_wrap=True, max_width=28)
    for col in ("tasks", "on time", "late", "open", "overdue", "% done", "no plan", "reports"):
        table.add_column(col, justify="right", no_wrap=True)
    units = [root, *(u for u in result.units if u.parent_unit_id == root.unit_id)]
    for u in (u for u in units if u.level != "phong-ban"):
        s = u.subtree
        reports = f"{s.reports_submitted}/{s.reports_submitted + s.reports_missing}"
        table.add_row(
            u.unit_name,
            str(s.tasks),
            str(s.done_on_time),
            str(s.done_late),
            str(s.open_on_time),
            str(s.open_overdue),
            f"{s.pct_done or 0:.1f}",
            str(s.plans_missing),
            reports,
        )
    console.print(table)
    written = plan_folder(out, load_plan(plan), hierarchy) / f"rollup-{result.period}.json"
    console.print(
        f"roll-up written to {written}" + (f" and {json_file}" if json_file else ""),
        highlight=False,
    )


@command
def remind(
    plan: PlanOpt,
    period: PeriodOpt,
    hierarchy: HierarchyOpt = "hanoi-2024",
    as_of: Annotated[
        dt.datetime | None,
        typer.Option(
            "--as-of",
            formats=["%Y-%m-%d", "%d/%m/%Y"],
            help="Date to check against (default: today).",
        ),
    ] = None,
    within: Annotated[int, typer.Option(help="Also list tasks due within this many days.")] = 7,
    limit: Annotated[int, typer.Option(help="Print at most this many lines.")] = 40,
    out: OutOpt = Path("out"),
    db: DbOpt = None,
) -> None:
    """Units that have not issued their plan, not reported, or have tasks overdue or due soon."""
    from flows.rollup import reminders_flow
    from flows.runtime import quiet_prefect

    _period(period)
    with quiet_prefect(warn):
        found = reminders_flow(
            plan=plan,
            hierarchy=hierarchy,
            period=period,
            as_of=as_of.date() if as_of else None,
            within_days=within,
            out=out,
            database_url=db,
        )
    table = Table(title=f"{len(found)} reminders")
    for col in ("due", "unit", "what"):
        table.add_column(col)
    for r in found[:limit]:
        table.add_row(f"{r.due:%d/%m/%Y}", r.unit_name, r.detail)
    console.print(table)
    kinds: dict[str, int] = {}
    for r in found:
        kinds[r.kind] = kinds.get(r.kind, 0) + 1
    console.print(json.dumps(kinds, ensure_ascii=False))
    the_period = _period(period)
    written = plan_folder(out, load_plan(plan), hierarchy) / f"reminders-{the_period.key}.csv"
    console.print(f"every reminder: {written}", highlight=False)


@command
def report(
    plan: PlanOpt,
    unit: Annotated[str, typer.Option(help="Unit id or name whose report to draft.")],
    period: PeriodOpt,
    hierarchy: HierarchyOpt = "hanoi-2024",
    as_of: Annotated[
        dt.datetime | None,
        typer.Option("--as-of", formats=["%Y-%m-%d", "%d/%m/%Y"], help="Date of the figures."),
    ] = None,
    out: OutOpt = Path("out"),
    db: DbOpt = None,
) -> None:
    """Draft a unit's BÁO CÁO for a period: results, quotas, a table and chart of its children."""
    from flows.rollup import report_flow
    from flows.runtime import quiet_prefect

    _period(period)
    with quiet_prefect(warn):
        path = report_flow(
            plan=plan,
            unit=unit,
            hierarchy=hierarchy,
            period=period,
            as_of=as_of.date() if as_of else None,
            out=out,
            database_url=db,
        )
    console.print(f"report written to {path}")
