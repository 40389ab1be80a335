"""The roll-up equals a plain reference computation of its rules, on random reports.

``roll_up`` is a columnar pass (rows of ints summed up a parent array). The reference here
is the rules of ``kehoach.status.rollup``'s docstring written the plain way: the latest
status per task, the four buckets, plans, reports, quotas per unit, then each subtree as the
unit's own Figures plus its children's, recursively. Both must agree on every figure of
every unit, for any reports, period, date, root, and with units missing from the plans.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping
from functools import cache
from types import MappingProxyType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hierarchy.departments import generate_departments, known_roles, load_rule_set
from hierarchy.graph import Hierarchy
from hierarchy.units import UnitKind, committee_defaults
from kehoach.cascade.walk import plans_by_unit
from kehoach.plan.model import Plan, load_plan
from kehoach.status.intake import reported_tasks
from kehoach.status.models import PlanIssue, Snapshot, TaskState, TaskStatus
from kehoach.status.periods import Period
from kehoach.status.rollup import (
    Figures,
    QuotaFigure,
    Rollup,
    due_in,
    own_tasks,
    plan_due,
    quota_target,
    roll_up,
    rollup_index,
)
from tests.conftest import EXAMPLES


@cache
def _city() -> tuple[Hierarchy, dict[str, Plan]]:
    """A city, two districts, three wards, their generated departments; 145/KH-UBND's plans."""
    units = [committee_defaults("01", "Thành phố Hà Nội", UnitKind.THANH_PHO)]
    units.append(committee_defaults("001", "Quận Ba Đình", UnitKind.QUAN, "01"))
    units.append(committee_defaults("002", "Huyện Đông Anh", UnitKind.HUYEN, "01"))
    units.append(committee_defaults("00001", "Phường Phúc Xá", UnitKind.PHUONG, "001"))
    units.append(committee_defaults("00002", "Phường Trúc Bạch", UnitKind.PHUONG, "001"))
    units.append(committee_defaults("00003", "Xã Uy Nỗ", UnitKind.XA, "002"))
    units += generate_departments(units, load_rule_set("rules-2024"))
    h = Hierarchy.from_units(units, source="test", known_roles=known_roles())
    base = load_plan(EXAMPLES / "ha-noi-145-kh-ubnd.yaml")
    plan = Plan.model_validate({**base.model_dump(), "issuer": base.issuer.model_dump()})
    return h, plans_by_unit(plan, h)


_PERIODS = ["2023-Y", "2024-Q1", "2024-6M", "2024-9M"]


def _latest(
    snapshot: Snapshot, plans: Mapping[str, Plan], period: Period
) -> dict[tuple[str, str], TaskStatus]:
    """(unit, task) → the status that counts: this period's, else a dated task done earlier
    in the same year; a later record of the same or a later period wins."""
    rank = {"Q1": 0, "6M": 1, "9M": 2, "Y": 3}
    out: dict[tuple[str, str], TaskStatus] = {}
    for s in snapshot.statuses:
        year, kind = s.period.split("-")
        if int(year) != period.year or rank[kind] > rank[period.kind.value]:
            continue
        if kind != period.kind.value:
            recurring = s.unit_id in plans and any(
                t.id == s.task_id and t.deadline.recurrence for t in plans[s.unit_id].tasks
            )
            if recurring or s.state is not TaskState.HOAN_THANH:
                continue
        key = (s.unit_id, s.task_id)
        if key not in out or rank[out[key].period.split("-")[1]] <= rank[kind]:
            out[key] = s
    return out


def _reference(
    h: Hierarchy,
    plans: Mapping[str, Plan],
    snapshot: Snapshot,
    period: Period,
    as_of: dt.date,
    root: str,
) -> dict[str, tuple[Figures, Figures]]:
    latest = _latest(snapshot, plans, period)
    issues = {i.unit_id: i for i in snapshot.issues}
    own: dict[str, Figures] = {}
    for level in h.levels(root):
        for unit in level:
            if unit.id not in plans:
                continue
            plan = plans[unit.id]
            departments = {d.id for d in h.departments(unit.id) if d.id in plans}
            tasks = own_tasks(unit, plan, departments)
            n: Counter[str] = Counter()
            quotas = {}
            for task in tasks:
                due = due_in(task, period)
                s = latest.get((unit.id, task.id))
                if s is not None and s.state is TaskState.HOAN_THANH:
                    n["done_on_time" if (s.done_on or due) <= due else "done_late"] += 1
                else:
                    n["open_on_time" if as_of <= due else "open_overdue"] += 1
                if task.quota is not None:
                    actual = (s.count or 0) if s is not None else 0
                    quotas[task.id] = QuotaFigure(actual=actual, target=quota_target(task, period))
            expected = None if unit.id == root else plan_due(unit, plan, period)
            if expected is not None:
                due, yearly = expected
                issue = issues.get(unit.id)
                if issue is not None and yearly and issue.issued_on.year != period.year:
                    issue = None
                if issue is not None:
                    n["plans_on_time" if issue.issued_on <= due else "plans_late"] += 1
                else:
                    n["plans_missing" if as_of > due else "plans_pending"] += 1
            reported = unit.id in snapshot.reported
            own[unit.id] = Figures(
                tasks=len(tasks),
                quotas=dict(sorted(quotas.items())),
                reports_submitted=int(bool(tasks) and reported),
                reports_missing=int(bool(tasks) and not reported),
                **n,
            )

    def subtree(unit_id: str) -> Figures:
        total = own[unit_id]
        for child in h.children(unit_id):
            if child.id in own:
                total = total + subtree(child.id)
        return total

    return {uid: (figures, subtree(uid)) for uid, figures in own.items()}


@st.composite
def reports(
    draw: st.DrawFn, plans: dict[str, Plan] | None = None, root: str | None = None
) -> tuple[dict[str, Plan], Snapshot, Period, dt.date, str]:
    """Random reports on the city's plans (some units' plans dropped, unless ``plans`` are
    given), and a period, date and root to roll them up for."""
    h, all_plans = _city()
    if root is None:
        root = draw(st.sampled_from(["01", "001", "002", "00001"]))
    if plans is None:
        dropped = draw(st.sets(st.sampled_from(sorted(u for u in all_plans if u != root))))
        plans = {u: p for u, p in all_plans.items() if u not in dropped}
    else:
        dropped = {u for u in all_plans if u not in plans}
    pairs = [(u, t.id) for u in sorted(plans) for t in reported_tasks(h.unit(u), plans, h)]
    pairs += [(u, "1") for u in sorted(dropped)[:2]]  # reports of units without a plan
    picked = draw(st.lists(st.sampled_from(pairs), max_size=60))
    statuses = [
        TaskStatus(
            unit_id=unit_id,
            task_id=task_id,
            period=draw(st.sampled_from(_PERIODS)),
            state=(state := draw(st.sampled_from(list(TaskState)))),
            done_on=draw(st.dates(dt.date(2023, 12, 1), dt.date(2024, 9, 30)))
            if state is TaskState.HOAN_THANH and draw(st.booleans())
            else None,
            count=draw(st.none() | st.integers(0, 30)),
        )
        for unit_id, task_id in picked
    ]
    ids = sorted(plans)
    issues = [
        PlanIssue(unit_id=u, issued_on=draw(st.dates(dt.date(2023, 6, 1), dt.date(2024, 9, 30))))
        for u in draw(st.sets(st.sampled_from(ids), max_size=10))
    ]
    reported = sorted(draw(st.sets(st.sampled_from(ids))))
    period = Period.parse(draw(st.sampled_from(["2024-Q1", "2024-6M", "2024-9M"])))
    as_of = draw(st.dates(dt.date(2024, 1, 1), dt.date(2024, 12, 31)))
    return plans, Snapshot(statuses=statuses, issues=issues, reported=reported), period, as_of, root


@settings(max_examples=60, deadline=None)
@given(case=reports())
def test_roll_up_equals_the_plain_reference(
    case: tuple[dict[str, Plan], Snapshot, Period, dt.date, str],
) -> None:
    plans, snapshot, period, as_of, root = case
    h, _ = _city()
    result = roll_up(h, plans, snapshot, period, as_of, "145/KH-UBND", root)
    _assert_is_the_reference(result, h, plans, snapshot, period, as_of, root)


def _assert_is_the_reference(
    result: Rollup,
    h: Hierarchy,
    plans: Mapping[str, Plan],
    snapshot: Snapshot,
    period: Period,
    as_of: dt.date,
    root: str,
) -> None:
    expected = _reference(h, plans, snapshot, period, as_of, root)
    order = [u.id for level in h.levels(root) for u in level if u.id in plans]
    assert [u.unit_id for u in result.units] == order
    for line in result.units:
        unit = h.unit(line.unit_id)
        assert (line.unit_name, line.level) == (unit.name, unit.level.value)
        assert line.parent_unit_id == (None if unit.id == root else unit.parent)
        assert (line.own, line.subtree) == expected[line.unit_id], line.unit_id
    # What is written out (rollup.json) is what validated models write.
    again = type(result).model_validate_json(result.model_dump_json())
    assert again == result
    assert again.model_dump_json() == result.model_dump_json()


@settings(max_examples=20, deadline=None)
@given(data=st.data(), root=st.sampled_from(["01", "001", "00001"]))
def test_roll_ups_over_one_index_equal_fresh_ones(data: st.DataObject, root: str) -> None:
    """The index a roll-up keeps (or one given) serves any later snapshot, period and date
    over the same plans: nothing of the first roll-up's statuses or period stays in it."""
    h, all_plans = _city()
    plans = dict(all_plans)
    first = data.draw(reports(plans, root))
    roll_up(h, plans, first[1], first[2], first[3], "145/KH-UBND", root)
    index = rollup_index(h, plans, root)
    for _ in range(2):
        _, snapshot, period, as_of, _ = data.draw(reports(plans, root))
        kept = roll_up(h, plans, snapshot, period, as_of, "145/KH-UBND", root)
        _assert_is_the_reference(kept, h, plans, snapshot, period, as_of, root)
        given_index = roll_up(h, plans, snapshot, period, as_of, "145/KH-UBND", root, index=index)
        assert given_index.model_dump_json() == kept.model_dump_json()


def test_a_changed_plans_mapping_gets_a_new_index() -> None:
    """A mapping changed in place (a plan removed, another replaced) after a roll-up is not
    rolled up by the index of what it held before, nor is an index given for other plans."""
    h, all_plans = _city()
    plans = dict(all_plans)
    snapshot = Snapshot(reported=sorted(plans))
    period, as_of = Period.parse("2024-Q1"), dt.date(2024, 3, 14)
    before = roll_up(h, plans, snapshot, period, as_of, "145/KH-UBND", "01")
    stale = rollup_index(h, plans, "01")
    ward = next(u for u in plans if u.startswith("00001-"))
    del plans[ward]
    plans["00002"] = plans["00002"].model_copy(update={"tasks": plans["00002"].tasks[:1]})
    after = roll_up(h, plans, snapshot, period, as_of, "145/KH-UBND", "01")
    assert ward in {u.unit_id for u in before.units}
    assert ward not in {u.unit_id for u in after.units}
    _assert_is_the_reference(after, h, plans, snapshot, period, as_of, "01")
    with pytest.raises(ValueError, match="not that of these plans"):
        roll_up(h, plans, snapshot, period, as_of, "145/KH-UBND", "01", index=stale)
    # Any mapping, not only a dict.
    viewed = roll_up(h, MappingProxyType(plans), snapshot, period, as_of, "145/KH-UBND", "01")
    assert viewed == after
