"""Reminders: who has not issued their plan, not reported, or has tasks overdue or due soon.

Today this is phone calls to units that have not reported; here it is a list, per unit, of
what is missing, for the CLI and for a Prefect table artifact.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Mapping, Sequence

from pydantic import BaseModel, ConfigDict

from hierarchy.graph import Hierarchy
from kehoach.plan.model import Plan
from kehoach.status.models import Snapshot, TaskState
from kehoach.status.periods import Period, SubmissionDays
from kehoach.status.rollup import (
    due_in,
    latest_statuses,
    level_label,
    owes_report,
    own_tasks,
    plan_due,
)

#: What each kind of reminder says to an operator.
KIND_LABELS = {
    "plan-missing": "Chưa ban hành kế hoạch",
    "report-missing": "Chưa gửi báo cáo",
    "task-overdue": "Nhiệm vụ quá hạn",
    "task-due-soon": "Nhiệm vụ sắp đến hạn",
}


class Reminder(BaseModel):
    """One thing one unit owes."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    unit_id: str
    unit_name: str
    parent_unit_id: str | None
    kind: str  # plan-missing | report-missing | task-overdue | task-due-soon
    detail: str
    due: dt.date


def reminders(
    h: Hierarchy,
    plans: Mapping[str, Plan],
    snapshot: Snapshot,
    period: Period,
    as_of: dt.date,
    within_days: int = 7,
    root: str | None = None,
) -> list[Reminder]:
    """Everything owed as of ``as_of``, ordered by due date, then unit."""
    statuses = latest_statuses(snapshot, plans, period)
    issued = {i.unit_id for i in snapshot.issues}
    reported = set(snapshot.reported)
    soon = as_of + dt.timedelta(days=within_days)
    out: list[Reminder] = []
    for level in h.levels(root or h.root_id):
        for unit in level:
            if unit.id not in plans or unit.id == (root or h.root_id):
                continue

            def owe(kind: str, detail: str, due: dt.date, unit_id: str = unit.id) -> None:
                u = h.unit(unit_id)
                out.append(
                    Reminder(
                        unit_id=u.id,
                        unit_name=u.name,
                        parent_unit_id=u.parent,
                        kind=kind,
                        detail=detail,
                        due=due,
                    )
                )

            expected = plan_due(unit, plans[unit.id], period)
            if expected is not None and unit.id not in issued and expected[0] < as_of:
                owe("plan-missing", "chưa ban hành kế hoạch", expected[0])
            departments = {d.id for d in h.departments(unit.id) if d.id in plans}
            tasks = own_tasks(unit, plans[unit.id], departments)
            report_due = period.deadline(unit.level, SubmissionDays())
            if owes_report(tasks) and unit.id not in reported and report_due < as_of:
                owe("report-missing", f"chưa gửi báo cáo {period.words}", report_due)
            for task in tasks:
                status = statuses.get(unit.id, {}).get(task.id)
                if status is not None and status.state is TaskState.HOAN_THANH:
                    continue
                due = due_in(task, period)
                if due < as_of:
                    owe("task-overdue", f"nhiệm vụ {task.id} quá hạn: {task.title[:80]}", due)
                elif due <= soon:
                    owe("task-due-soon", f"nhiệm vụ {task.id} sắp đến hạn: {task.title[:80]}", due)
    return sorted(out, key=lambda r: (r.due, r.unit_id, r.kind))


class UnitReminders(BaseModel):
    """Everything one unit owes, counted: one line of the reminders table."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    unit_id: str
    unit_name: str
    level: str
    parent_name: str
    overdue: int
    due_soon: int
    plan_missing: bool
    report_missing: bool
    oldest_due: dt.date

    def row(self, as_of: dt.date) -> dict[str, object]:
        """The table row, with Vietnamese headers (the UI's artifact)."""
        return {
            "Mã đơn vị": self.unit_id,
            "Đơn vị": self.unit_name,
            "Cấp": level_label(self.level),
            "Trực thuộc": self.parent_name,
            "Nhiệm vụ quá hạn": self.overdue,
            "Quá hạn lâu nhất (ngày)": max(0, (as_of - self.oldest_due).days),
            "Sắp đến hạn": self.due_soon,
            "Chưa ban hành kế hoạch": "x" if self.plan_missing else "",
            "Chưa gửi báo cáo": "x" if self.report_missing else "",
        }


def per_unit(found: Sequence[Reminder], h: Hierarchy) -> list[UnitReminders]:
    """Reminders grouped per unit, the most overdue first.

    Thirteen thousand lines, one per task, hide the units behind them; a manager calls a
    unit, so the table has one line per unit: most overdue tasks, then the oldest due date.
    """
    groups: dict[str, list[Reminder]] = {}
    for r in found:
        groups.setdefault(r.unit_id, []).append(r)
    out = []
    for unit_id, mine in groups.items():
        unit = h.unit(unit_id)
        parent = h.unit(unit.parent) if unit.parent else None
        kinds = [r.kind for r in mine]
        out.append(
            UnitReminders(
                unit_id=unit_id,
                unit_name=unit.name,
                level=unit.level.value,
                parent_name=parent.name if parent else "",
                overdue=kinds.count("task-overdue"),
                due_soon=kinds.count("task-due-soon"),
                plan_missing="plan-missing" in kinds,
                report_missing="report-missing" in kinds,
                oldest_due=min(r.due for r in mine),
            )
        )
    return sorted(
        out,
        key=lambda u: (
            -u.overdue,
            u.oldest_due,
            -(u.plan_missing + u.report_missing),
            -u.due_soon,
            u.unit_id,
        ),
    )


def reminders_csv(found: Sequence[Reminder]) -> bytes:
    """Every reminder, one a line, as a CSV Excel opens in UTF-8 (a BOM, Vietnamese headers)."""
    text = io.StringIO()
    w = csv.writer(text, lineterminator="\r\n")
    w.writerow(["Mã đơn vị", "Đơn vị", "Mã đơn vị cấp trên", "Loại", "Nội dung", "Hạn"])
    for r in found:
        kind = KIND_LABELS.get(r.kind, r.kind)
        w.writerow(
            [r.unit_id, r.unit_name, r.parent_unit_id or "", kind, r.detail, f"{r.due:%d/%m/%Y}"]
        )
    return ("\ufeff" + text.getvalue()).encode("utf-8")
