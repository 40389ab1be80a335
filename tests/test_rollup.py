"""Roll-up maths: buckets, quotas, plans, reports, and subtree = own + Σ children."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hierarchy.graph import Hierarchy
from hierarchy.sources import load_hierarchy
from hierarchy.units import UnitKind, committee_defaults
from kehoach.cascade.walk import plans_by_unit
from kehoach.plan.deadline import Deadline, Quota, QuotaPeriod, Recurrence
from kehoach.plan.model import Assignee, Issuer, Plan, Task, load_plan
from kehoach.status.models import PlanIssue, Snapshot, TaskState, TaskStatus
from kehoach.status.periods import Period, SubmissionDays, latest_period
from kehoach.status.rollup import Figures, QuotaFigure, check_sums, roll_up
from tests.conftest import EXAMPLES

Write = Callable[[str, str], Path]
Q1 = Period.parse("2024-Q1")


def test_periods_follow_nd09() -> None:
    assert (Q1.start, Q1.end) == (dt.date(2023, 12, 15), dt.date(2024, 3, 14))
    assert Period.parse("2024-6m").end == dt.date(2024, 6, 14)
    assert Period.parse("2024-Y").words == "năm 2024"
    assert Q1.words == "quý I năm 2024"
    days = SubmissionDays()
    from hierarchy.units import Level

    assert (
        Q1.deadline(Level.XA, days) < Q1.deadline(Level.HUYEN, days) < Q1.deadline(Level.TINH, days)
    )
    assert latest_period(dt.date(2024, 3, 20)) == Q1
    assert latest_period(dt.date(2024, 3, 13)).key == "2023-Y"
    with pytest.raises(ValueError, match="not a report period"):
        Period.parse("2024-Q2")


def _ward_plan(tasks: list[Task]) -> tuple[Hierarchy, dict[str, Plan]]:
    units = [
        committee_defaults("008", "Quận Hoàng Mai", UnitKind.QUAN),
        committee_defaults("00340", "Phường Yên Sở", UnitKind.PHUONG, "008"),
    ]
    h = Hierarchy.from_units(units, source="test")
    base = load_plan(EXAMPLES / "hoang-mai-67-kh-ubnd.yaml")
    plan = base.model_copy(
        update={
            "tasks": tuple(tasks),
            "issuer": Issuer(unit_id="008", name="UBND quận Hoàng Mai", body=units[0].issuing_body),
            "date": dt.date(2024, 1, 2),  # before every task's date below
        }
    )
    return h, plans_by_unit(Plan.model_validate(plan.model_dump()), h)


def _task(tid: str, deadline: str, quota: Quota | None = None, issues_plan: bool = False) -> Task:
    return Task(
        id=tid,
        title=f"Nhiệm vụ {tid}",
        lead=Assignee(unit="x"),
        deadline=Deadline.model_validate(deadline),
        quota=quota,
        issues_plan=issues_plan,
    )


def test_four_buckets_on_a_ward() -> None:
    h, plans = _ward_plan(
        [
            _task("a", "Chậm nhất ngày 01/3/2024"),  # done on time
            _task("b", "Chậm nhất ngày 01/2/2024"),  # done late
            _task("c", "Chậm nhất ngày 30/4/2024"),  # open, not yet due
            _task("d", "Chậm nhất ngày 10/3/2024"),  # open, overdue
            _task("e", "Định kỳ hàng tháng", Quota(count=2, per=QuotaPeriod.THANG)),
        ]
    )
    snap = Snapshot(
        statuses=[
            TaskStatus(
                unit_id="00340",
                task_id="a",
                period="2024-Q1",
                state=TaskState.HOAN_THANH,
                done_on=dt.date(2024, 2, 20),
            ),
            TaskStatus(
                unit_id="00340",
                task_id="b",
                period="2024-Q1",
                state=TaskState.HOAN_THANH,
                done_on=dt.date(2024, 2, 5),
            ),
            TaskStatus(
                unit_id="00340", task_id="d", period="2024-Q1", state=TaskState.DANG_THUC_HIEN
            ),
            TaskStatus(
                unit_id="00340",
                task_id="e",
                period="2024-Q1",
                state=TaskState.HOAN_THANH,
                done_on=dt.date(2024, 3, 14),
                count=5,
            ),
        ],
        reported=["00340"],
    )
    r = roll_up(h, plans, snap, Q1, dt.date(2024, 3, 14), "67/KH-UBND", "008")
    own = r.unit("00340").own
    assert (own.tasks, own.done_on_time, own.done_late, own.open_on_time, own.open_overdue) == (
        5,
        2,
        1,
        1,
        1,
    )
    assert own.quotas == {"e": QuotaFigure(actual=5, target=6)}  # 2 a month × 3 months
    assert own.quotas["e"].attainment == pytest.approx(0.8333, abs=1e-4)
    assert own.pct_done == 60.0
    assert (own.reports_submitted, own.reports_missing) == (1, 0)
    assert r.unit("008").subtree == own + r.unit("008").own
    assert check_sums(r) == []


def test_recurring_task_needs_this_periods_report_and_dated_tasks_stay_done() -> None:
    h, plans = _ward_plan(
        [_task("m", "Định kỳ hàng tháng"), _task("x", "Chậm nhất ngày 01/3/2024")]
    )
    q1_done = [
        TaskStatus(
            unit_id="00340",
            task_id=t,
            period="2024-Q1",
            state=TaskState.HOAN_THANH,
            done_on=dt.date(2024, 2, 20),
        )
        for t in ("m", "x")
    ]
    h1 = Period.parse("2024-6M")
    own = (
        roll_up(h, plans, Snapshot(statuses=q1_done), h1, dt.date(2024, 6, 20), "k", "008")
        .unit("00340")
        .own
    )
    assert own.done_on_time == 1  # x stays done (the ward's own due date: 25/02, 5 days early)
    assert own.open_overdue == 1  # m: no report for 6M


def test_plans_on_time_late_missing_pending() -> None:
    h, plans = _ward_plan([_task("p", "Chậm nhất ngày 29/02/2024", issues_plan=True)])

    def plans_of(issue: PlanIssue | None, as_of: dt.date) -> Figures:
        snap = Snapshot(issues=[issue] if issue else [])
        return roll_up(h, plans, snap, Q1, as_of, "k", "008").unit("00340").own

    issue = lambda day: PlanIssue(unit_id="00340", number="55/KH-UBND", issued_on=day)  # noqa: E731
    assert plans_of(issue(dt.date(2024, 2, 20)), dt.date(2024, 3, 14)).plans_on_time == 1
    assert plans_of(issue(dt.date(2024, 3, 1)), dt.date(2024, 3, 14)).plans_late == 1
    assert plans_of(None, dt.date(2024, 3, 14)).plans_missing == 1
    assert plans_of(None, dt.date(2024, 2, 1)).plans_pending == 1
    # the district issued the plan: it is not measured against itself
    assert (
        roll_up(h, plans, Snapshot(), Q1, dt.date(2024, 3, 14), "k", "008")
        .unit("008")
        .own.plans_missing
        == 0
    )


def test_quotas_hold_any_count_typed() -> None:
    """A count has no upper bound (a clerk may type 10^15): the quotas are as reported and
    add up, whatever their size."""
    h, plans = _ward_plan([_task("e", "Định kỳ hàng tháng", Quota(count=2, per=QuotaPeriod.THANG))])
    for count in (2**31, 2**32 + 7, 10**15, 10**40):
        snap = Snapshot(
            statuses=[
                TaskStatus(
                    unit_id=u,
                    task_id="e",
                    period="2024-Q1",
                    state=TaskState.HOAN_THANH,
                    count=count,
                )
                for u in plans
            ]
        )
        r = roll_up(h, plans, snap, Q1, Q1.end, "k", "008")
        assert r.unit("00340").own.quotas == {"e": QuotaFigure(actual=count, target=6)}
        assert r.unit("00340").own.tasks == 1
        assert check_sums(r) == []


def test_quotas_add_up_across_levels() -> None:
    h = load_hierarchy("hanoi-2024")
    plans = plans_by_unit(load_plan(EXAMPLES / "hoang-mai-67-kh-ubnd.yaml"), h)
    r = roll_up(h, plans, Snapshot(), Q1, Q1.end, "67/KH-UBND", "008")
    wards = [u for u in r.units if u.parent_unit_id == "008" and u.level == "xa"]
    assert len(wards) == 14
    target = sum(w.subtree.quotas["5"].target for w in wards)
    assert target == 14 * 3  # 12 a year → 3 in Q1, per ward
    assert (
        r.unit("008").subtree.quotas["5"].target
        == target + r.unit("008").own.quotas.get("5", QuotaFigure()).target
    )
    assert check_sums(r) == []


# -- the property: subtree = own + Σ children, for random hierarchies and statuses ----------------


@st.composite
def hierarchies(draw: st.DrawFn) -> Hierarchy:
    units = [committee_defaults("01", "Thành phố Hà Nội", UnitKind.THANH_PHO)]
    for d in range(draw(st.integers(1, 3))):
        did = f"1{d}"
        units.append(committee_defaults(did, f"Quận Q{d}", UnitKind.QUAN, "01"))
        for w in range(draw(st.integers(0, 3))):
            units.append(committee_defaults(f"{did}{w}", f"Phường P{d}{w}", UnitKind.PHUONG, did))
    return Hierarchy.from_units(units, source="random")


@settings(max_examples=40, deadline=None)
@given(
    h=hierarchies(),
    done=st.lists(
        st.tuples(
            st.integers(0, 20),
            st.sampled_from(list(TaskState)),
            st.integers(0, 120),
            st.integers(0, 30),
        ),
        max_size=40,
    ),
    as_of=st.dates(dt.date(2024, 1, 1), dt.date(2024, 4, 30)),
    reported=st.sets(st.integers(0, 20)),
)
def test_subtree_is_own_plus_children(
    h: Hierarchy, done: list[tuple[int, TaskState, int, int]], as_of: dt.date, reported: set[int]
) -> None:
    base = load_plan(EXAMPLES / "ha-noi-145-kh-ubnd.yaml")
    tasks = (
        _task("t1", "Chậm nhất ngày 01/3/2024"),
        _task("t2", "Định kỳ hàng tháng", Quota(count=2, per=QuotaPeriod.THANG)),
        _task("t3", "Trong năm 2024", Quota(count=12, per=QuotaPeriod.NAM)),
        _task("t4", "Chậm nhất ngày 15/02/2024", issues_plan=True),
    )
    plan = Plan.model_validate(
        {
            **base.model_dump(),
            "tasks": [t.model_dump() for t in tasks],
            "issuer": {
                "unit_id": "01",
                "name": "UBND Thành phố",
                "body": h.root.issuing_body.model_dump(),
            },
        }
    )
    plans = plans_by_unit(plan, h)
    ids = sorted(plans)
    statuses = [
        TaskStatus(
            unit_id=ids[i % len(ids)],
            task_id=f"t{1 + n % 3}",
            period="2024-Q1",
            state=state,
            done_on=Q1.start + dt.timedelta(days=day % 90)
            if state is TaskState.HOAN_THANH
            else None,
            count=n,
        )
        for i, state, day, n in done
    ]
    snap = Snapshot(statuses=statuses, reported=[ids[i % len(ids)] for i in reported])
    r = roll_up(h, plans, snap, Q1, as_of, "145/KH-UBND", "01")
    assert check_sums(r) == []
    top = r.unit("01").subtree
    assert top.done_on_time + top.done_late + top.open_on_time + top.open_overdue == top.tasks
    from kehoach.status.intake import reported_tasks

    sheets = [u for u in plans if reported_tasks(h.unit(u), plans, h)]  # units given a sheet
    assert top.reports_submitted + top.reports_missing == len(sheets)
    assert Recurrence.HANG_THANG.wording == "Định kỳ hàng tháng"


@pytest.mark.slow  # the whole city's plans, twice through the CLI (~90 s here)
def test_reports_missing_are_the_sheets_held_back_in_the_demos_sample(tmp_path: Path) -> None:
    """The demo's sample: Hoàng Mai's sheets filled, two wards hold theirs back. The district
    sees as many reports missing as sheets not sent (it showed 25 when 10 were held back:
    every ward and the district were counted as owing a report they had no sheet for)."""
    from typer.testing import CliRunner

    from kehoach.cli import app
    from kehoach.status.demo import fill_sheet
    from kehoach.status.reminders import reminders
    from kehoach.status.store.db import connect, snapshot
    from tests.conftest import plan_dir

    plan = EXAMPLES / "ha-noi-145-kh-ubnd.yaml"
    out, db = tmp_path / "out", f"sqlite:///{tmp_path / 'db.sqlite3'}"
    runner = CliRunner()
    made = runner.invoke(
        app,
        ["sheets", "--plan", str(plan), "--period", "2024-Q1", "--from", "008", "--out", str(out)],
    )
    assert made.exit_code == 0, made.output
    sheets = sorted((plan_dir(out, plan) / "drafts").rglob("*.2024-Q1.xlsx"))
    held = [p for p in sheets if p.parent.name.startswith(("00340-", "00337-"))]
    assert held and all(p.name.startswith(("00340-", "00337-")) for p in held)
    sent = [p for p in sheets if p not in held]
    for path in sent:
        fill_sheet(path, Q1, seed=path.name)
    imported = runner.invoke(
        app, ["status", "import", *map(str, sent), "--plan", str(plan), "--db", db]
    )
    assert imported.exit_code == 0, imported.output
    h = load_hierarchy("hanoi-2024")
    plans = plans_by_unit(load_plan(plan), h)
    snap = snapshot(connect(db), "145/KH-UBND", Q1)
    r = roll_up(h, plans, snap, Q1, dt.date(2024, 3, 20), "145/KH-UBND", "01")
    district = r.unit("008").subtree
    assert district.reports_missing == len(held)
    assert district.reports_submitted == len(sent)
    wards = {w.unit_id: w.subtree.reports_missing for w in r.units if w.parent_unit_id == "008"}
    assert {w for w, n in wards.items() if n} == {"00340", "00337"}
    in_district = {u for level in h.levels("008") for u in (x.id for x in level)}
    owed = [
        x
        for x in reminders(h, plans, snap, Q1, dt.date(2024, 3, 25), root="01")
        if x.kind == "report-missing" and x.unit_id in in_district
    ]
    assert len(owed) == len(held)
