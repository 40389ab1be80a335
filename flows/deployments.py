"""Every deployment in one place: the roll-up on the ND 09/2019 periods, reminders, cascade,
recording an issued plan.

``kehoach serve`` (issue 5) passes these to ``prefect.serve``; a test proves they all load
with the right schedules. One roll-up deployment is scheduled per period, at 07:00 Vietnam
time on the 20th of the period's last month (after the 14th's cut-off and the staggered
submissions); each run rolls up the latest period whose cut-off has passed.
"""

from __future__ import annotations

from pathlib import Path

from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import Cron

from flows.cascade import cascade_flow
from flows.issue import import_plan_flow, issue_plan_flow
from flows.rollup import SCHEDULES, TIMEZONE, reminders_flow, report_flow, rollup_flow
from kehoach.status.periods import PeriodKind

#: Reminders go out every Monday at 08:00.
REMINDER_CRON = "0 8 * * 1"


def deployments(plan: Path, hierarchy: str, out: Path) -> list[RunnerDeployment]:
    """The deployments for one plan cascaded through one hierarchy."""
    common = {"plan": str(plan), "hierarchy": hierarchy}
    rollup = rollup_flow.to_deployment(
        name="rollup-nd09",
        description="Roll up the latest ND 09/2019 period (Q1, 6 months, 9 months, year).",
        schedules=[
            Cron(SCHEDULES[kind], timezone=TIMEZONE, slug=f"nd09-{kind.value.lower()}")
            for kind in PeriodKind
        ],
        parameters={**common, "out": str(out)},
        tags=["kehoach", "rollup"],
    )
    remind = reminders_flow.to_deployment(
        name="reminders-weekly",
        description="Who has not issued their plan, not reported, or has tasks overdue.",
        schedules=[Cron(REMINDER_CRON, timezone=TIMEZONE)],
        parameters={**common, "out": str(out)},
        tags=["kehoach", "reminders"],
    )
    cascade = cascade_flow.to_deployment(
        name="cascade",
        description="Cascade a plan into a draft for every unit below its issuer.",
        parameters={**common, "out": str(out)},
        tags=["kehoach", "cascade"],
    )
    report = report_flow.to_deployment(
        name="report",
        description="Draft a unit's BÁO CÁO for a period.",
        parameters={**common, "out": str(out), "unit": "01"},
        tags=["kehoach", "report"],
    )
    # The document to record or import is typed in the form.
    issue = issue_plan_flow.to_deployment(
        name="issue-plan",
        description="Record the plan a unit issued (its draft numbered, dated, signed), so "
        "the next cascade drafts the units below from it.",
        tags=["kehoach", "issue"],
    )
    received = import_plan_flow.to_deployment(
        name="import-plan",
        description="Read a received plan (DOCX, PDF, TXT) into a plan file the cascade takes, "
        "with what could not be mapped listed.",
        tags=["kehoach", "import"],
    )
    out_list = [cascade, rollup, remind, report, issue, received]
    assert all(isinstance(d, RunnerDeployment) for d in out_list)  # sync context: no coroutines
    return [d for d in out_list if isinstance(d, RunnerDeployment)]
