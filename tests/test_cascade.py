"""Derivation rules on small graphs: citations, role resolution, deadlines, coverage."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import resource
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hierarchy.graph import Hierarchy
from hierarchy.sources import load_hierarchy
from hierarchy.units import Level, UnitKind, committee_defaults
from kehoach.cascade.drafting import peak_mb
from kehoach.cascade.rules import CascadeError, CascadeSettings, Draft, coverage
from kehoach.cascade.walk import cascade, check_assignments
from kehoach.plan.deadline import Deadline
from kehoach.plan.markers import plain
from kehoach.plan.model import Assignee, Issuer, Plan, Task, load_plan
from tests.conftest import EXAMPLES

Write = Callable[[str, str], Path]


@pytest.fixture(scope="module")
def hanoi() -> Hierarchy:
    return load_hierarchy("hanoi-2024")


@pytest.fixture(scope="module")
def hoang_mai_67() -> Plan:
    return load_plan(EXAMPLES / "hoang-mai-67-kh-ubnd.yaml")


def _draft(levels: list[list[Draft]], unit_id: str) -> Draft:
    return next(d for level in levels for d in level if d.unit.id == unit_id)


def test_child_cites_its_parent_and_is_issued_by_itself(
    hanoi: Hierarchy, hoang_mai_67: Plan
) -> None:
    levels = list(cascade(hoang_mai_67, hanoi, start="00340"))
    ward = _draft(levels, "00340").plan
    assert ward.preamble == (
        "Thực hiện Kế hoạch số 67/KH-UBND ngày 19/02/2024 của UBND quận Hoàng Mai về thông tin, "
        "tuyên truyền về cải cách hành chính nhà nước của quận Hoàng Mai năm 2024, UBND phường "
        "Yên Sở ban hành Kế hoạch thông tin, tuyên truyền về cải cách hành chính nhà nước của "
        "phường Yên Sở năm 2024 như sau:"
    )
    assert ward.is_draft and ward.number_line == "Số:      /KH-UBND"
    assert ward.issuer.body.lines == ("ỦY BAN NHÂN DÂN", "PHƯỜNG YÊN SỞ")
    assert ward.dateline == "Yên Sở, ngày      tháng      năm 2024"
    assert [(r.name, r.purpose) for r in ward.recipients] == [
        ("UBND quận Hoàng Mai", "Để báo cáo"),
        ("Lãnh đạo UBND phường", None),
        ("Các bộ phận chuyên môn", "Để thực hiện"),
        ("Lưu: VT", None),
    ]
    # Only Yên Sở and its departments: the path from the issuer and the subtree below.
    assert {d.unit.id for level in levels for d in level} == {"00340"} | {
        u.id for u in hanoi.departments("00340")
    }


def test_department_draft_cites_the_draft_by_summary(hanoi: Hierarchy, hoang_mai_67: Plan) -> None:
    levels = list(cascade(hoang_mai_67, hanoi, start="00340"))
    vhtt = _draft(levels, "00340-van-hoa-thong-tin")
    assert vhtt.plan.preamble is not None
    assert vhtt.plan.preamble.startswith(
        "Thực hiện Kế hoạch số      /KH-UBND ngày      /      /2024 của UBND phường Yên Sở về "
        "thông tin, tuyên truyền về cải cách hành chính nhà nước của phường Yên Sở năm 2024"
    )
    assert vhtt.parent_unit_id == "00340"
    assert vhtt.plan.issuer.body.superior == "UBND PHƯỜNG YÊN SỞ"
    led = {t.id for t in vhtt.plan.tasks if t.lead.unit == "00340-van-hoa-thong-tin"}
    assert {"5", "6", "7", "8", "9"} <= led  # websites, radio, city page, report, contest
    tu_phap = _draft(levels, "00340-tu-phap")
    assert "5" not in {t.id for t in tu_phap.plan.tasks}  # not its task


def test_yen_so_draft_carries_the_annex_of_the_real_55(
    hanoi: Hierarchy, hoang_mai_67: Plan
) -> None:
    """Seed 001: the Yên Sở plan derived from Hoàng Mai's carries the tasks of 55/KH-UBND."""
    real = load_plan(EXAMPLES / "yen-so-55-kh-ubnd.yaml")
    ours = {
        t.id: t
        for t in _draft(list(cascade(hoang_mai_67, hanoi, start="00340")), "00340").plan.tasks
    }
    parent = {t.id: t for t in hoang_mai_67.tasks}
    for row in real.tasks:
        assert row.origin in ours, f"55's task {row.id} has no counterpart in the draft"
        task = ours[row.origin]
        assert task.quota == row.quota
        assert task.deadline.recurrence == row.deadline.recurrence
        assert task.issues_plan == row.issues_plan
        due, parent_due = task.deadline.due, parent[row.origin].deadline.due
        assert (due is None) == (row.deadline.due is None)
        if due is not None and parent_due is not None:
            assert due <= parent_due
        if row.id == "1b":  # the sections' own plans: handed to all sections
            assert task.lead.group is not None
            continue
        assert plain(task.title) == plain(row.title)
        assert task.lead.role == row.lead.role
        assert task.lead.label in {row.lead.label, "Bộ phận Văn phòng UBND"}


def test_roles_resolve_to_each_levels_own_department(hanoi: Hierarchy) -> None:
    plan = load_plan(EXAMPLES / "ha-noi-145-kh-ubnd.yaml")
    levels = list(cascade(plan, hanoi, CascadeSettings(to_level=Level.XA), start="00340"))
    district, ward = _draft(levels, "008").plan, _draft(levels, "00340").plan
    names = {t.lead.label for t in district.tasks} | {
        c.label for t in district.tasks for c in t.coordinating
    }
    assert "Phòng Văn hóa và Thông tin" in names
    ward_names = {t.lead.label for t in ward.tasks}
    assert "Bộ phận Văn hóa và Thông tin" in ward_names
    assert not any(d.unit.is_department for level in levels for d in level)  # --to xa


def test_missing_role_names_the_task_and_the_unit(write: Write) -> None:
    h = load_hierarchy(
        write(
            "h.yaml",
            """\
units:
  - {id: "008", name: Quận Hoàng Mai, kind: quan}
  - {id: "00340", name: Phường Yên Sở, kind: phuong, parent: "008"}
  - {id: "00340-vp", name: Bộ phận Văn phòng, kind: bo-phan, parent: "00340", roles: [van-phong]}
""",
        )
    )
    plan = load_plan(EXAMPLES / "hoang-mai-67-kh-ubnd.yaml")
    with pytest.raises(
        CascadeError,
        match=r"unit 00340: task 2 .*role 'van-hoa-thong-tin'.*Phường Yên Sở \(00340\) has none",
    ):
        list(cascade(plan, h))


def test_the_check_before_writing_finds_one_ward_without_a_role_among_thousands(
    hanoi: Hierarchy,
) -> None:
    """Wards alike are checked once (check_assignments): one ward unlike the rest, deep in
    the city, must still be found, and named."""
    plan = load_plan(EXAMPLES / "ha-noi-145-kh-ubnd.yaml")
    admin = [u for u in hanoi if not u.is_department]
    assert check_assignments(plan, hanoi, CascadeSettings()) == len(admin) - 1  # the city
    ward = [u for u in admin if u.level is Level.XA][400]
    gone = next(d for d in hanoi.departments(ward.id) if "van-hoa-thong-tin" in d.roles)
    units = [u for u in hanoi if u.id != gone.id]
    broken = Hierarchy.from_units(units, source="broken")
    with pytest.raises(CascadeError, match=rf"{ward.name} \({ward.id}\) has none"):
        check_assignments(plan, broken, CascadeSettings())


def test_coverage_reports_tasks_for_levels_that_do_not_exist(hoang_mai_67: Plan) -> None:
    h2025 = load_hierarchy("hanoi-2025")
    plan = load_plan(EXAMPLES / "ha-noi-145-kh-ubnd.yaml")
    gaps = coverage(plan, h2025)
    district_only = [t.id for t in plan.tasks if t.levels == (Level.HUYEN,)]
    assert {g.task_id for g in gaps} == set(district_only)
    assert all("huyen" in g.reason for g in gaps)
    assert coverage(plan, load_hierarchy("hanoi-2024")) == []


# -- deadlines never after the parent's: a property over random chains and dates -------------

_KINDS = [UnitKind.THANH_PHO, UnitKind.QUAN, UnitKind.PHUONG]


@settings(max_examples=60, deadline=None)
@given(
    depth=st.integers(min_value=1, max_value=2),
    width=st.integers(min_value=1, max_value=3),
    dues=st.lists(st.dates(dt.date(2024, 1, 1), dt.date(2025, 12, 31)), min_size=1, max_size=5),
    lead=st.dictionaries(
        st.sampled_from([Level.HUYEN, Level.XA, Level.PHONG_BAN]), st.integers(0, 40)
    ),
)
def test_child_deadline_never_after_parent(
    depth: int, width: int, dues: list[dt.date], lead: dict[Level, int]
) -> None:
    units = [committee_defaults("01", "Thành phố Hà Nội", UnitKind.THANH_PHO)]
    frontier = ["01"]
    for level in range(1, depth + 1):
        nxt = []
        for parent in frontier:
            for i in range(width):
                uid = f"{parent}{level}{i}"
                units.append(
                    committee_defaults(uid, f"{_KINDS[level].word} U{uid}", _KINDS[level], parent)
                )
                nxt.append(uid)
        frontier = nxt
    h = Hierarchy.from_units(units, source="random")
    tasks = tuple(
        Task(id=str(i), title="Nhiệm vụ", lead=Assignee(unit="01"), deadline=Deadline(due=due))
        for i, due in enumerate(dues)
    )
    plan = load_plan(EXAMPLES / "hoang-mai-67-kh-ubnd.yaml").model_copy(
        update={
            "tasks": tasks,
            "issuer": Issuer(unit_id="01", name="UBND Thành phố", body=units[0].issuing_body),
        }
    )
    due_of = {("01", t.id): t.deadline.due for t in plan.tasks}
    for level in cascade(plan, h, CascadeSettings(lead_days=lead)):
        for d in level:
            for t in d.plan.tasks:
                parent_due = due_of[(d.parent_unit_id, t.id)]
                assert t.deadline.due is not None and parent_due is not None
                assert t.deadline.due <= parent_due
                due_of[(d.unit.id, t.id)] = t.deadline.due


def test_a_spawned_worker_reports_its_own_peak_not_its_parents() -> None:
    # Linux keeps ru_maxrss across exec: a worker spawned by a big flow process would report
    # the flow's peak as its own (the bench sums the peaks of all the cascade's processes).
    ballast = b"x" * (300 << 20)  # this process's peak: 300 MB more, every page touched
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        child = pool.apply(peak_mb)
    parent = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert len(ballast) and 0 < child < parent - 200
