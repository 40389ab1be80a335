"""Roll-up: each unit's own figures and its subtree's, for a plan, a period and a date.

Semantics (README "Roll-up" says the same for operators):

- A task's status is counted once, at the unit that carries it out: a department for the
  tasks it leads (or that its committee gives to all departments), an administrative unit
  for the tasks it does itself (when it has no department for them). Tasks a unit only
  passes down ("UBND các phường …") are counted where they are done.
- Each task has one due date in a period: its date; the end of its window ("Trong năm
  2024" → 31/12/2024); for a recurring task (monthly, quarterly, each report period), the
  period's data cut-off: the period's occurrence is late if done after the cut-off.
- Four buckets (the national practice): done on time (done on or before the due date), done
  late, open within deadline (not done and the "as of" date is not past the due date), open
  overdue. A dated task done in an earlier period of the same year stays done; a recurring
  task needs a report for this period.
- Quotas: the target for a period is the yearly target scaled to the months the period covers
  (periods are cumulative from 15/12: Q1 = 3 months, 6M = 6 …), rounded up; the actual is the
  count reported for the period. Quotas add up across levels per task id: a district's subtree
  target for "≥12 tin/bài a year" is the sum of its wards' targets, and likewise the actuals.
- Plans: a unit whose plan has an "issue your own plan" task is on time if it issued by that
  task's due date, late if after it, missing if not issued and the date has passed, pending
  otherwise. Reports: a unit owes one report per period when it has tasks of its own to
  report on, exactly the units ``kehoach sheets`` writes a sheet for (:func:`owes_report`).
  A ward whose tasks are all carried out by its sections owes no sheet of its own: its
  sections' sheets are its report to the district, and its subtree counts them, so a
  manager's "reports missing" is the number of sheets still to come.
- subtree = own + Σ children's subtrees, for every figure (a property test checks it).
"""

from __future__ import annotations

import datetime as dt
import gc
import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from pydantic import BaseModel, ConfigDict

from hierarchy.graph import Hierarchy
from hierarchy.units import Level, Unit
from kehoach.plan.model import Group, Plan, Task
from kehoach.status.models import PlanIssue, Snapshot, TaskState, TaskStatus
from kehoach.status.periods import Period

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class QuotaFigure(BaseModel):
    """Chỉ tiêu: reported count against the period's target."""

    model_config = _FROZEN

    actual: int = 0
    target: int = 0

    def __add__(self, other: QuotaFigure) -> QuotaFigure:
        return QuotaFigure.model_construct(
            actual=self.actual + other.actual, target=self.target + other.target
        )

    @property
    def attainment(self) -> float | None:
        return None if self.target == 0 else round(self.actual / self.target, 4)


_COUNTS = (
    "tasks",
    "done_on_time",
    "done_late",
    "open_on_time",
    "open_overdue",
    "plans_on_time",
    "plans_late",
    "plans_missing",
    "plans_pending",
    "reports_submitted",
    "reports_missing",
)


class Figures(BaseModel):
    """The roll-up figures of one unit (own) or of a whole subtree."""

    model_config = _FROZEN

    tasks: int = 0
    done_on_time: int = 0
    done_late: int = 0
    open_on_time: int = 0
    open_overdue: int = 0
    quotas: dict[str, QuotaFigure] = {}
    plans_on_time: int = 0
    plans_late: int = 0
    plans_missing: int = 0
    plans_pending: int = 0
    reports_submitted: int = 0
    reports_missing: int = 0

    def __add__(self, other: Figures) -> Figures:
        # Sums of validated figures are valid: construct without re-validating (the national
        # roll-up adds 65k of them).
        counts = {k: getattr(self, k) + getattr(other, k) for k in _COUNTS}
        quotas = dict(self.quotas)
        for key, q in other.quotas.items():
            quotas[key] = quotas[key] + q if key in quotas else q
        return Figures.model_construct(**counts, quotas=dict(sorted(quotas.items())))

    @property
    def pct_done(self) -> float | None:
        """Share of tasks done (on time or late), 0–100."""
        if self.tasks == 0:
            return None
        return round(100 * (self.done_on_time + self.done_late) / self.tasks, 1)


class UnitRollup(BaseModel):
    """One unit's line of a roll-up."""

    model_config = _FROZEN

    unit_id: str
    unit_name: str
    parent_unit_id: str | None
    level: str
    own: Figures
    subtree: Figures


class Rollup(BaseModel):
    """rollup.json: the roll-up of a plan for a period as of a date, top-down."""

    model_config = _FROZEN

    plan: str
    period: str
    as_of: dt.date
    units: list[UnitRollup]

    def unit(self, unit_id: str) -> UnitRollup:
        return next(u for u in self.units if u.unit_id == unit_id)


def own_tasks(unit: Unit, plan: Plan, department_ids: set[str]) -> list[Task]:
    """The tasks whose status ``unit`` reports (see the module docstring)."""
    if unit.is_department:
        return [
            t for t in plan.tasks if t.lead.unit == unit.id or t.lead.group is Group.CAC_PHONG_BAN
        ]
    mine = []
    for t in plan.tasks:
        if t.lead.group is Group.UBND_CAP_DUOI:
            continue  # passed down: counted where it is done
        if department_ids and (
            t.lead.group is Group.CAC_PHONG_BAN or t.lead.unit in department_ids
        ):
            continue  # done by a department: counted there
        if t.levels is not None and unit.level not in t.levels:
            continue
        mine.append(t)
    return mine


def owes_report(tasks: list[Task]) -> bool:
    """Whether a unit whose own tasks are ``tasks`` owes a report for a period.

    Only a unit that gets a sheet (one with tasks of its own) can send one; counting the
    others as owing made a district show every ward and itself as missing.
    """
    return bool(tasks)


def due_in(task: Task, period: Period) -> dt.date:
    """The one date a task is measured against in ``period``."""
    d = task.deadline
    if d.recurrence is not None or d.due is None:
        return period.end
    return d.due


def quota_target(task: Task, period: Period) -> int:
    assert task.quota is not None
    return math.ceil(task.quota.per_year() * period.months / 12)


def _issues_own_plan(unit: Unit, task: Task) -> bool:
    """Whether ``task`` is "issue your own plan" for ``unit`` itself."""
    if not task.issues_plan:
        return False
    if unit.is_department:
        return task.levels is not None and Level.PHONG_BAN in task.levels
    if task.lead.group is Group.UBND_CAP_DUOI:
        return False  # the committees below must issue theirs
    return task.levels is None or unit.level in task.levels


def plan_due(unit: Unit, plan: Plan, period: Period) -> tuple[dt.date, bool] | None:
    """When ``unit`` had to issue its own plan, and whether it re-issues it every year."""
    tasks = [t for t in plan.tasks if _issues_own_plan(unit, t)]
    if not tasks:
        return None
    return (
        min(due_in(t, period) for t in tasks),
        any(t.deadline.recurrence is not None for t in tasks),
    )


def own_figures(
    unit: Unit,
    plan: Plan,
    department_ids: set[str],
    period: Period,
    as_of: dt.date,
    statuses: Mapping[str, TaskStatus],
    issue: PlanIssue | None,
    reported: bool,
    is_issuer: bool,
) -> Figures:
    """The figures of one unit's own work."""
    counts = dict.fromkeys(("done_on_time", "done_late", "open_on_time", "open_overdue"), 0)
    quotas: dict[str, QuotaFigure] = {}
    tasks = own_tasks(unit, plan, department_ids)
    for task in tasks:
        due = due_in(task, period)
        status = statuses.get(task.id)
        if status is not None and status.state is TaskState.HOAN_THANH:
            done_on = status.done_on or due
            counts["done_on_time" if done_on <= due else "done_late"] += 1
        else:
            counts["open_on_time" if as_of <= due else "open_overdue"] += 1
        if task.quota is not None:
            actual = status.count or 0 if status is not None else 0
            quotas[task.id] = QuotaFigure.model_construct(
                actual=actual, target=quota_target(task, period)
            )
    plans = dict.fromkeys(("plans_on_time", "plans_late", "plans_missing", "plans_pending"), 0)
    expected = None if is_issuer else plan_due(unit, plan, period)
    if expected is not None:
        due, yearly = expected
        if issue is not None and yearly and issue.issued_on.year != period.year:
            issue = None  # last year's plan does not count for this year
        if issue is not None:
            plans["plans_on_time" if issue.issued_on <= due else "plans_late"] += 1
        else:
            plans["plans_missing" if as_of > due else "plans_pending"] += 1
    # Counted here from validated inputs: construct without validating again.
    values: dict[str, Any] = {
        "tasks": len(tasks),
        **counts,
        "quotas": dict(sorted(quotas.items())),
        **plans,
        "reports_submitted": int(owes_report(tasks) and reported),
        "reports_missing": int(owes_report(tasks) and not reported),
    }
    return Figures.model_construct(None, **values)


def latest_statuses(
    snapshot: Snapshot, plans: Mapping[str, Plan], period: Period
) -> dict[str, dict[str, TaskStatus]]:
    """unit → task → the status that counts for ``period``.

    A record of this period wins; a dated task done in an earlier period of the same year
    stays done; a recurring task needs a record of this period.
    """
    order = {p: i for i, p in enumerate(("Q1", "6M", "9M", "Y"))}
    mine = period.kind.value
    out: dict[str, dict[str, TaskStatus]] = {}
    recurring: dict[str, set[str]] = {}
    for unit_id in {s.unit_id for s in snapshot.statuses if s.unit_id in plans}:
        recurring[unit_id] = {t.id for t in plans[unit_id].tasks if t.deadline.recurrence}
    for s in snapshot.statuses:  # the store returns them oldest first
        year, _, kind = s.period.partition("-")
        if int(year) != period.year or order.get(kind, 99) > order[mine]:
            continue
        if kind != mine and (
            s.task_id in recurring.get(s.unit_id, ()) or s.state is not TaskState.HOAN_THANH
        ):
            continue
        current = out.setdefault(s.unit_id, {}).get(s.task_id)
        if current is None or order[current.period.partition("-")[2]] <= order[kind]:
            out[s.unit_id][s.task_id] = s
    return out


def roll_up(
    h: Hierarchy,
    plans: Mapping[str, Plan],
    snapshot: Snapshot,
    period: Period,
    as_of: dt.date,
    plan_key: str,
    root: str,
) -> Rollup:
    """Own and subtree figures for every unit with a plan below (and including) ``root``."""
    with _no_gc():
        return _roll_up(h, plans, snapshot, period, as_of, plan_key, root)


@contextmanager
def _no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector: the roll-up allocates ~100k short-lived objects
    next to a million live ones (hierarchy, plans), and each automatic full collection would
    walk all of them; nothing here makes reference cycles."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _roll_up(
    h: Hierarchy,
    plans: Mapping[str, Plan],
    snapshot: Snapshot,
    period: Period,
    as_of: dt.date,
    plan_key: str,
    root: str,
) -> Rollup:
    statuses = latest_statuses(snapshot, plans, period)
    issues = {i.unit_id: i for i in snapshot.issues}
    reported = set(snapshot.reported)
    levels = [[u for u in level if u.id in plans] for level in h.levels(root)]
    own: dict[str, Figures] = {}
    for level in levels:
        for unit in level:
            departments = {d.id for d in h.departments(unit.id) if d.id in plans}
            own[unit.id] = own_figures(
                unit,
                plans[unit.id],
                departments,
                period,
                as_of,
                statuses.get(unit.id, {}),
                issues.get(unit.id),
                unit.id in reported,
                is_issuer=unit.id == root,
            )
    subtree: dict[str, Figures] = {}
    for level in reversed(levels):
        for unit in level:
            total = own[unit.id]
            for child in h.children(unit.id):
                if child.id in subtree:
                    total = total + subtree[child.id]
            subtree[unit.id] = total
    units = [
        UnitRollup(
            unit_id=u.id,
            unit_name=u.name,
            parent_unit_id=u.parent if u.id != root else None,
            level=u.level.value,
            own=own[u.id],
            subtree=subtree[u.id],
        )
        for level in levels
        for u in level
    ]
    return Rollup(plan=plan_key, period=period.key, as_of=as_of, units=units)


def check_sums(rollup: Rollup) -> list[str]:
    """Units whose subtree is not own + Σ children's subtrees (empty when consistent)."""
    children: dict[str, list[UnitRollup]] = {}
    for u in rollup.units:
        if u.parent_unit_id is not None:
            children.setdefault(u.parent_unit_id, []).append(u)
    bad = []
    for u in rollup.units:
        total = u.own
        for c in children.get(u.unit_id, []):
            total = total + c.subtree
        if total != u.subtree:
            bad.append(u.unit_id)
    return bad


#: The levels as operators name them (a slug such as ``phong-ban`` is for files and code).
LEVEL_LABELS: dict[str, str] = {
    Level.TRUNG_UONG.value: "Trung ương",
    Level.TINH.value: "Cấp tỉnh",
    Level.HUYEN.value: "Cấp huyện",
    Level.XA.value: "Cấp xã",
    Level.PHONG_BAN.value: "Phòng, ban",
}


def level_label(level: str) -> str:
    """ "Cấp huyện" for ``huyen``; an unknown slug as it is."""
    return LEVEL_LABELS.get(level, level)


def _behind(u: UnitRollup) -> tuple[float, int, int, int, str]:
    s = u.subtree
    share = s.open_overdue / s.tasks if s.tasks else 0.0
    return (-share, -s.open_overdue, -s.reports_missing, -s.plans_missing, u.unit_name)


def behind_first(rollup: Rollup) -> list[UnitRollup]:
    """The administrative units below the issuer, the furthest behind first.

    Measured on each unit's subtree (it and everything below it) by the share of tasks
    overdue, then by overdue tasks, reports and plans missing: a share, so a ward with most
    of its tasks overdue comes before the district that averages it with its good wards,
    and a manager reads the wards to call before the districts' totals.
    """
    top = rollup.units[0].unit_id if rollup.units else None
    units = [u for u in rollup.units if u.unit_id != top and u.level != Level.PHONG_BAN.value]
    return sorted(units, key=_behind)


def table_rows(rollup: Rollup, units: list[UnitRollup]) -> list[dict[str, object]]:
    """Rows of the roll-up table operators read (the UI's artifact), with Vietnamese headers."""
    names = {u.unit_id: u.unit_name for u in rollup.units}
    rows: list[dict[str, object]] = []
    for u in units:
        s = u.subtree
        rows.append(
            {
                "Đơn vị": u.unit_name,
                "Cấp": level_label(u.level),
                "Trực thuộc": names.get(u.parent_unit_id or "", ""),
                "Nhiệm vụ": s.tasks,
                "Hoàn thành đúng hạn": s.done_on_time,
                "Hoàn thành quá hạn": s.done_late,
                "Đang thực hiện, trong hạn": s.open_on_time,
                "Quá hạn, chưa hoàn thành": s.open_overdue,
                "Tỷ lệ hoàn thành (%)": s.pct_done if s.pct_done is not None else "",
                "Chưa ban hành kế hoạch": s.plans_missing,
                "Báo cáo còn thiếu": s.reports_missing,
            }
        )
    return rows
