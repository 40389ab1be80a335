"""Reminders: who has not issued their plan, not reported, or has tasks overdue or due soon.

Today this is phone calls to units that have not reported; here it is a list, per unit, of
what is missing, for the CLI and for a Prefect table artifact.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict

from hierarchy.graph import Hierarchy
from kehoach.plan.model import Plan
from kehoach.status.models import Snapshot, TaskState
from kehoach.status.periods import Period, SubmissionDays
from kehoach.status.rollup import due_in, latest_statuses, own_tasks, plan_due


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
            report_due = period.deadline(unit.level, SubmissionDays())
            if unit.id not in reported and report_due < as_of:
                owe("report-missing", f"chưa gửi báo cáo {period.words}", report_due)
            departments = {d.id for d in h.departments(unit.id) if d.id in plans}
            for task in own_tasks(unit, plans[unit.id], departments):
                status = statuses.get(unit.id, {}).get(task.id)
                if status is not None and status.state is TaskState.HOAN_THANH:
                    continue
                due = due_in(task, period)
                if due < as_of:
                    owe("task-overdue", f"nhiệm vụ {task.id} quá hạn: {task.title[:80]}", due)
                elif due <= soon:
                    owe("task-due-soon", f"nhiệm vụ {task.id} sắp đến hạn: {task.title[:80]}", due)
    return sorted(out, key=lambda r: (r.due, r.unit_id, r.kind))
