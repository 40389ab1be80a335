"""Prefect flows ``rollup`` and ``reminders``, and their schedules on the ND 09/2019 periods.

The roll-up is one pure computation over the whole hierarchy (milliseconds per thousand
units), so it runs as a few tasks, never one per unit: derive the plans, read the store, index
the plans for the roll-up (what no status changes: units, parents, tasks, deadlines), compute,
write rollup.json. Deployments run it after each period's cut-off, in Vietnam's time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from flows.form import DATABASE, HIERARCHY, OUT, PERIOD, PLAN, Day, PeriodText, Text, form
from flows.runtime import artifact_key, one_line_errors, opaque, run_name
from hierarchy.graph import Hierarchy
from hierarchy.sources import load_hierarchy
from kehoach.cascade.manifest import PlanSummary, plan_folder
from kehoach.cascade.rules import issuer_unit
from kehoach.cascade.walk import plans_by_unit
from kehoach.io.writing import slug, write_if_changed
from kehoach.plan.model import Plan, load_plan
from kehoach.status.models import Snapshot
from kehoach.status.periods import Period, PeriodKind, latest_period
from kehoach.status.reminders import Reminder, per_unit, reminders, reminders_csv
from kehoach.status.report import build_report
from kehoach.status.rollup import (
    Rollup,
    RollupIndex,
    behind_first,
    roll_up,
    rollup_index,
    table_rows,
)
from kehoach.status.store.db import connect, snapshot

TIMEZONE = "Asia/Ho_Chi_Minh"
#: When each period's roll-up runs: 07:00 on the 20th of the period's last month, after the
#: cut-off (14th) and the levels' staggered submission days.
SCHEDULES = {kind: f"0 7 20 {kind.last_month} *" for kind in PeriodKind}


def plan_key(plan: Plan) -> str:
    """The key status is stored under: the issuing plan's number and symbol."""
    return PlanSummary.of(plan).key


@task(name="derive-plans", cache_policy=NO_CACHE)
def derive_plans(plan: Plan, h: Hierarchy) -> dict[str, Plan]:
    return plans_by_unit(plan, h)


@task(name="read-status", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2)
def read_status(database_url: str | None, key: str, period: Period) -> Snapshot:
    """Read the store (I/O: retried)."""
    return snapshot(connect(database_url), key, period)


@task(name="index-rollup", cache_policy=NO_CACHE)
def index_rollup(h: Hierarchy, plans: Mapping[str, Plan], root: str) -> RollupIndex:
    """What the roll-up reads of the plans, read once (a task of its own: reading a country's
    360k tasks is most of a first roll-up, and shows apart from it)."""
    return rollup_index(h, plans, root)


@task(name="compute-rollup", cache_policy=NO_CACHE)
def compute_rollup(
    h: Hierarchy,
    plans: Mapping[str, Plan],
    snap: Snapshot,
    period: Period,
    as_of: dt.date,
    key: str,
    root: str,
    index: RollupIndex | None = None,
) -> Rollup:
    return roll_up(h, plans, snap, period, as_of, key, root, index=index)


@flow(name="rollup", flow_run_name=run_name("rollup"))
@one_line_errors
def rollup_flow(
    plan: Annotated[Path, PLAN],
    hierarchy: Annotated[str, HIERARCHY] = "hanoi-2024",
    period: Annotated[PeriodText, PERIOD] = None,
    as_of: Annotated[
        Day,
        form(
            "Số liệu đến ngày",
            "Ngày/tháng/năm, ví dụ 20/03/2024. Để trống: hạn gửi báo cáo của kỳ, hoặc hôm nay "
            "nếu sớm hơn",
            blank="",
        ),
    ] = None,
    out: Annotated[Path, OUT] = Path("out"),
    database_url: Annotated[Text, DATABASE] = None,
) -> Rollup:
    """Roll the plan's status up the hierarchy for a report period.

    Args:
        plan: The plan whose execution is rolled up (YAML file on the server).
        hierarchy: hanoi-2024, hanoi-2025, vn-2024, vn-2025, or a hierarchy YAML file.
        period: 2024-Q1, 2024-6M, 2024-9M or 2024-Y; empty = the latest period whose cut-off
            has passed.
        as_of: Date the figures are as of; empty = the period's deadline, or today if earlier.
        out: Output folder; rollup-<period>.json goes to the plan's folder in it.
        database_url: Status database; empty = KEHOACH_DATABASE_URL or the SQLite default.
    """
    logger = get_run_logger()
    today = dt.date.today()
    the_period = Period.parse(period) if period else latest_period(as_of or today)
    the_date = as_of or min(today, the_period.deadline(load_hierarchy(hierarchy).root.level))
    parent_plan = load_plan(plan)
    h = load_hierarchy(hierarchy)
    key = plan_key(parent_plan)
    root = issuer_unit(parent_plan, h).id
    plans = derive_plans(opaque(parent_plan), opaque(h))
    snap = read_status(database_url, key, the_period)
    index = index_rollup(opaque(h), opaque(plans), root)
    result = compute_rollup(
        opaque(h), opaque(plans), opaque(snap), the_period, the_date, key, root, opaque(index)
    )
    write_if_changed(
        plan_folder(out, parent_plan, hierarchy),
        Path(f"rollup-{the_period.key}.json"),
        (result.model_dump_json(indent=2) + "\n").encode(),
    )
    folder = plan_folder(out, parent_plan, hierarchy)
    _rollup_artifacts(result, folder, the_period, the_date)
    top = result.unit(root)
    logger.info(
        "%s %s: %d tasks, %s%% done, %d overdue",
        key,
        the_period.key,
        top.subtree.tasks,
        top.subtree.pct_done,
        top.subtree.open_overdue,
    )
    return result


#: Rows of the roll-up and reminders tables in the UI: a manager reads the first screens; the
#: rest is in the files the description names.
TABLE_ROWS = 50


def _rollup_artifacts(result: Rollup, folder: Path, period: Period, as_of: dt.date) -> None:
    """The roll-up's table (units furthest behind first) and summary, keyed by plan and period."""
    top = result.units[0]
    units = behind_first(result)
    shown = units[:TABLE_ROWS]
    more = len(units) - len(shown)
    file = folder / f"rollup-{period.key}.json"
    key = artifact_key(folder.parent.name, folder.name, period.key)
    create_table_artifact(
        table_rows(result, shown),
        key=artifact_key("rollup", key),
        description=f"{result.plan}, {period.words}, số liệu đến ngày {as_of:%d/%m/%Y}: "
        f"{len(shown)} đơn vị chậm nhất trước"
        + (f"; còn {more} đơn vị nữa trong {file}" if more else ""),
    )
    s = top.subtree
    behind = ", ".join(u.unit_name for u in shown[:5] if u.subtree.open_overdue)
    create_markdown_artifact(
        f"# Tổng hợp {result.plan} — {period.words}\n\n"
        f"Số liệu đến ngày {as_of:%d/%m/%Y}, {top.unit_name} và các đơn vị trực thuộc:\n\n"
        f"- nhiệm vụ: {s.tasks}; hoàn thành {s.done_on_time + s.done_late} "
        f"({s.pct_done or 0:.1f}%), trong đó quá hạn {s.done_late}\n"
        f"- quá hạn, chưa hoàn thành: {s.open_overdue}\n"
        f"- chưa ban hành kế hoạch: {s.plans_missing}\n"
        f"- báo cáo: đã nhận {s.reports_submitted}, còn thiếu {s.reports_missing}\n"
        + (f"- chậm nhất: {behind}\n" if behind else "")
        + f"- tệp số liệu: `{file.resolve()}`\n",
        key=artifact_key("rollup-summary", key),
    )


@flow(name="reminders", flow_run_name=run_name("reminders"))
@one_line_errors
def reminders_flow(
    plan: Annotated[Path, PLAN],
    hierarchy: Annotated[str, HIERARCHY] = "hanoi-2024",
    period: Annotated[PeriodText, PERIOD] = None,
    as_of: Annotated[
        Day,
        form("Tính đến ngày", "Ngày/tháng/năm, ví dụ 25/03/2024. Để trống: hôm nay", blank=""),
    ] = None,
    within_days: Annotated[
        int, form("Sắp đến hạn trong (ngày)", "Nhắc cả nhiệm vụ đến hạn trong từng này ngày")
    ] = 7,
    out: Annotated[Path, OUT] = Path("out"),
    database_url: Annotated[Text, DATABASE] = None,
) -> list[Reminder]:
    """Units that have not issued their plan, not reported, or have tasks overdue or due soon.

    Args:
        plan: The plan (YAML file on the server).
        hierarchy: hanoi-2024, hanoi-2025, vn-2024, vn-2025, or a hierarchy YAML file.
        period: 2024-Q1, 2024-6M, 2024-9M or 2024-Y; empty = the latest passed period.
        as_of: The date to check against; empty = today.
        within_days: Also list tasks due within this many days.
        out: Output folder; reminders-<period>.csv (every reminder) goes to the plan's folder.
        database_url: Status database; empty = KEHOACH_DATABASE_URL or the SQLite default.
    """
    today = as_of or dt.date.today()
    the_period = Period.parse(period) if period else latest_period(today)
    parent_plan = load_plan(plan)
    h = load_hierarchy(hierarchy)
    key = plan_key(parent_plan)
    plans = derive_plans(opaque(parent_plan), opaque(h))
    snap = read_status(database_url, key, the_period)
    found = reminders(
        h, plans, snap, the_period, today, within_days, issuer_unit(parent_plan, h).id
    )
    folder = plan_folder(out, parent_plan, hierarchy)
    file = Path(f"reminders-{the_period.key}.csv")
    write_if_changed(folder, file, reminders_csv(found))
    units = per_unit(found, h)
    shown = units[:TABLE_ROWS]
    more = len(units) - len(shown)
    create_table_artifact(
        [u.row(today) for u in shown],
        key=artifact_key("reminders", folder.parent.name, folder.name, the_period.key),
        description=f"{len(found)} việc cần nhắc của {len(units)} đơn vị, {key} "
        f"{the_period.words}, đến ngày {today:%d/%m/%Y}; quá hạn nhiều nhất trước"
        + (f"; còn {more} đơn vị nữa" if more else "")
        + f"; danh sách đầy đủ: {(folder / file).resolve()}",
    )
    return found


@task(name="render-report", cache_policy=NO_CACHE)
def render_report_task(
    h: Hierarchy, plan: Plan, result: Rollup, unit_id: str, period: Period, out: Path
) -> Path:
    """Render one unit's BÁO CÁO and write it (atomically) under <plan folder>/reports/."""
    unit = h.unit(unit_id)
    relative = Path("reports", f"{unit.id}-{slug(unit.name)}.{period.key}.docx")
    write_if_changed(out, relative, build_report(h, plan, result, unit_id, period))
    return out / relative


@flow(name="report", flow_run_name=run_name("report"))
@one_line_errors
def report_flow(
    plan: Annotated[Path, PLAN],
    unit: Annotated[
        str,
        form(
            "Đơn vị báo cáo",
            "Mã (01, 008, 00340) hoặc tên đơn vị, có hay không dấu",
            examples=["01", "Quận Hoàng Mai"],
        ),
    ],
    hierarchy: Annotated[str, HIERARCHY] = "hanoi-2024",
    period: Annotated[PeriodText, PERIOD] = None,
    as_of: Annotated[
        Day,
        form(
            "Số liệu đến ngày",
            "Ngày/tháng/năm, ví dụ 20/03/2024. Để trống: hạn báo cáo của đơn vị, hoặc hôm nay",
            blank="",
        ),
    ] = None,
    out: Annotated[Path, OUT] = Path("out"),
    database_url: Annotated[Text, DATABASE] = None,
) -> Path:
    """Draft the BÁO CÁO of one unit for a period: results, quotas, its children, a chart.

    Args:
        plan: The plan reported on (YAML file on the server).
        unit: The reporting unit: id (01, 008, 00340) or name, accents optional.
        hierarchy: hanoi-2024, hanoi-2025, vn-2024, vn-2025, or a hierarchy YAML file.
        period: 2024-Q1, 2024-6M, 2024-9M or 2024-Y; empty = the latest passed period.
        as_of: Date the figures are as of; empty = the unit's report deadline, or today.
        out: Output folder; the report goes to reports/ in the plan's folder there.
        database_url: Status database; empty = KEHOACH_DATABASE_URL or the SQLite default.
    """
    the_period = Period.parse(period) if period else latest_period(as_of or dt.date.today())
    parent_plan = load_plan(plan)
    h = load_hierarchy(hierarchy)
    target = h.find(unit)
    key = plan_key(parent_plan)
    root = issuer_unit(parent_plan, h).id
    the_date = as_of or min(dt.date.today(), the_period.deadline(target.level))
    plans = derive_plans(opaque(parent_plan), opaque(h))
    snap = read_status(database_url, key, the_period)
    index = index_rollup(opaque(h), opaque(plans), root)
    result = compute_rollup(
        opaque(h), opaque(plans), opaque(snap), the_period, the_date, key, root, opaque(index)
    )
    folder = plan_folder(out, parent_plan, hierarchy)
    path = render_report_task(
        opaque(h), opaque(parent_plan), opaque(result), target.id, the_period, folder
    )
    get_run_logger().info("Report of %s for %s: %s", target.name, the_period.key, path)
    return path
