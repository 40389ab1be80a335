"""Intake: generated sheets filled and imported; every bad input named, nothing written."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from sqlalchemy import Engine

from hierarchy.graph import Hierarchy
from hierarchy.sources import load_hierarchy
from kehoach.cascade.walk import plans_by_unit
from kehoach.plan.model import Plan, load_plan
from kehoach.status.intake import (
    MAX_ERRORS_PER_FILE,
    IntakeError,
    read_files,
    reported_tasks,
    sheet_bytes,
)
from kehoach.status.periods import Period
from kehoach.status.store.db import connect, record, snapshot
from tests.conftest import EXAMPLES

Q1 = Period.parse("2024-Q1")
KEY = "67/KH-UBND"
VHTT = "00340-van-hoa-thong-tin"


@pytest.fixture(scope="module")
def context() -> tuple[Hierarchy, dict[str, Plan]]:
    h = load_hierarchy("hanoi-2024")
    return h, plans_by_unit(load_plan(EXAMPLES / "hoang-mai-67-kh-ubnd.yaml"), h)


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    return connect(f"sqlite:///{tmp_path / 'db.sqlite3'}")


def _sheet(
    tmp_path: Path,
    context: tuple[Hierarchy, dict[str, Plan]],
    unit: str = VHTT,
    name: str = "s.xlsx",
) -> Path:
    h, plans = context
    path = tmp_path / name
    path.write_bytes(sheet_bytes(h.unit(unit), plans, h, KEY, Q1))
    return path


def _edit(path: Path, **cells: object) -> Path:
    wb = load_workbook(path)
    ws = wb["BaoCao"]
    for ref, value in cells.items():
        ws[ref] = value
    wb.save(path)
    return path


def _count(engine: Engine) -> int:
    with engine.connect() as c:
        return int(c.execute(sa.text("SELECT count(*) FROM task_status")).scalar() or 0)


def test_sheet_lists_exactly_the_units_tasks_with_a_state_list(
    tmp_path: Path, context: tuple[Hierarchy, dict[str, Plan]]
) -> None:
    ws = load_workbook(_sheet(tmp_path, context))["BaoCao"]
    ids = [ws[f"A{r}"].value for r in range(11, ws.max_row + 1)]
    assert ids == ["3", "5", "6", "7", "8", "9", "11"]
    assert ws["B3"].value == VHTT and ws["B5"].value == "2024-Q1" and ws["B2"].value == KEY
    validations = ws.data_validations.dataValidation
    assert any("Hoàn thành" in (v.formula1 or "") for v in validations)
    row5 = next(r for r in range(11, ws.max_row + 1) if ws[f"A{r}"].value == "5")
    assert ws[f"G{row5}"].value == 3  # ≥12 tin/bài a year → 3 in Q1


def test_filled_sheet_imports_with_provenance(
    tmp_path: Path, context: tuple[Hierarchy, dict[str, Plan]], engine: Engine
) -> None:
    h, plans = context
    path = _sheet(tmp_path, context)
    _edit(
        path,
        E12="Hoàn thành",
        F12=dt.date(2024, 3, 1),
        H12=4,
        B7="12/KH-VHTT",
        B8=dt.date(2024, 2, 22),
    )
    subs = read_files([path], plans, h, KEY, "chị Lan")
    record(engine, subs)
    snap = snapshot(engine, KEY, Q1)
    done = [s for s in snap.statuses if s.state.value == "hoan-thanh"]
    assert [(s.task_id, s.done_on, s.count) for s in done] == [("5", dt.date(2024, 3, 1), 4)]
    assert len(snap.statuses) == 7
    assert snap.issues[0].number == "12/KH-VHTT"
    assert snap.reported == [VHTT]


BAD_CELLS: dict[str, tuple[dict[str, object], str]] = {
    "state-not-in-list": ({"E12": "Xong rồi"}, r"cell E12: 'Xong rồi' is not a state"),
    "date-outside-period": (
        {"E12": "Hoàn thành", "F12": dt.date(2024, 5, 1)},
        r"cell F12: 01/05/2024 is outside the period 2024-Q1",
    ),
    "done-without-date": (
        {"E12": "Hoàn thành"},
        r"cell F12: a done task needs its completion date",
    ),
    "count-is-text": ({"H12": "mười"}, r"cell H12: 'mười' is not a whole number"),
    "count-below-zero": ({"H12": -2}, r"cell H12: count -2 is below zero"),
    "formula": ({"H12": "=G12*2"}, r"cell H12: a formula \(=G12\*2\) where a count belongs"),
    "unknown-task": (
        {"A12": "99"},
        r"cell A12: task '99' is not a task of Bộ phận Văn hóa và Thông tin",
    ),
    "another-plan": (
        {"B2": "145/KH-UBND"},
        r"cell B2: this sheet is for plan '145/KH-UBND', not '67/KH-UBND'",
    ),
    "unknown-unit": ({"B3": "99999"}, r"cell B3: unit '99999' has no plan in 67/KH-UBND"),
    "missing-header": ({"E10": None}, r"cell E10: header 'Tình trạng' expected"),
    "bad-period": ({"B5": "2024-Q3"}, r"cell B5: '2024-Q3' is not a report period"),
}


@pytest.mark.parametrize("case", sorted(BAD_CELLS))
def test_bad_sheet_is_named_and_nothing_is_written(
    case: str, tmp_path: Path, context: tuple[Hierarchy, dict[str, Plan]], engine: Engine
) -> None:
    h, plans = context
    cells, pattern = BAD_CELLS[case]
    good = _edit(
        _sheet(tmp_path, context, unit="00340-mot-cua", name="good.xlsx"), E12="Đang thực hiện"
    )
    bad = _edit(_sheet(tmp_path, context), **cells)
    with pytest.raises(IntakeError, match=rf"bad\.xlsx, sheet BaoCao, {pattern}") as err:
        read_files([good, bad.rename(tmp_path / "bad.xlsx")], plans, h, KEY, "x")
    assert "nothing was imported" in str(err.value)
    assert _count(engine) == 0


def test_merged_header_is_refused(
    tmp_path: Path, context: tuple[Hierarchy, dict[str, Plan]]
) -> None:
    h, plans = context
    path = _sheet(tmp_path, context)
    wb = load_workbook(path)
    wb["BaoCao"].merge_cells("A10:B10")
    wb.save(path)
    with pytest.raises(IntakeError, match="merged cells A10:B10"):
        read_files([path], plans, h, KEY, "x")


def test_sheet_of_another_unit_cannot_report_its_tasks(
    tmp_path: Path, context: tuple[Hierarchy, dict[str, Plan]]
) -> None:
    h, plans = context
    path = _edit(_sheet(tmp_path, context), B3="00340-tu-phap")
    with pytest.raises(IntakeError, match="task '5' is not a task of Bộ phận Tư pháp"):
        read_files([path], plans, h, KEY, "x")


CSV_HEADER = "unit_id,task_id,period,state,done_on,count\n"


def _csv_rows(
    context: tuple[Hierarchy, dict[str, Plan]], unit: str = VHTT, **answers: str
) -> list[str]:
    """A CSV row for every task ``unit`` reports on; ``answers`` by task id, else not started."""
    h, plans = context
    tasks = reported_tasks(h.unit(unit), plans, h)
    return [f"{unit},{t.id},2024-Q1,{answers.get(t.id, 'chua-thuc-hien,,')}\n" for t in tasks]


def test_csv_import_and_errors(
    tmp_path: Path, context: tuple[Hierarchy, dict[str, Plan]], engine: Engine
) -> None:
    h, plans = context
    good = tmp_path / "ok.csv"
    rows = _csv_rows(context, **{"5": "hoan-thanh,2024-03-02,3", "6": "Đang thực hiện,,1"})
    good.write_text(CSV_HEADER + "".join(rows), encoding="utf-8")
    record(engine, read_files([good], plans, h, KEY, "x"))
    assert _count(engine) == 7
    bad = tmp_path / "bad.csv"
    rows = _csv_rows(context, **{"5": "hoan-thanh,2024-03-02,3", "6": "hoan-thanh,2024-03-02,ba"})
    bad.write_text(CSV_HEADER + "".join(rows), encoding="utf-8")
    with pytest.raises(
        IntakeError, match=r"bad\.csv, row 4, column count: 'ba' is not a whole number"
    ):
        read_files([bad], plans, h, KEY, "x")
    assert _count(engine) == 7


def test_every_problem_of_every_file_is_listed_one_a_line(
    tmp_path: Path, context: tuple[Hierarchy, dict[str, Plan]]
) -> None:
    h, plans = context
    sheet = _edit(_sheet(tmp_path, context, name="a.xlsx"), E11="xong", H12="ba", A13=None)
    csv_file = tmp_path / "b.csv"
    csv_file.write_text(
        CSV_HEADER + "".join(_csv_rows(context, **{"5": "hoan-thanh,,"})), encoding="utf-8"
    )
    with pytest.raises(IntakeError) as err:
        read_files([sheet, csv_file], plans, h, KEY, "x")
    lines = err.value.lines()
    assert [line.split(": ", 1)[0] for line in lines] == [
        f"{sheet}, sheet BaoCao, cell E11",
        f"{sheet}, sheet BaoCao, cell H12",
        f"{sheet}, sheet BaoCao",  # the task whose row was emptied
        f"{csv_file}, row 3, column done_on",
    ]
    assert "task '6' (" in lines[2] and "is missing" in lines[2]
    assert all(line.endswith("nothing was imported") for line in lines)
    assert err.value.count == 4
    assert str(err.value) == f"{lines[0]} (and 3 more)"  # one line, for logs


def test_a_file_lists_its_first_twenty_problems_and_counts_the_rest(
    tmp_path: Path, context: tuple[Hierarchy, dict[str, Plan]]
) -> None:
    h, plans = context
    cells = {f"{col}{row}": "?" for row in range(11, 18) for col in "EH"}  # 14 wrong cells
    cells |= {f"F{row}": "30/02/2024" for row in range(11, 18)}  # and 7 more
    sheet = _edit(_sheet(tmp_path, context), **cells)
    with pytest.raises(IntakeError) as err:
        read_files([sheet], plans, h, KEY, "x")
    lines = err.value.lines()
    assert len(lines) == MAX_ERRORS_PER_FILE + 1 == 21
    assert lines[-1] == f"{sheet}: … and 1 more error in this file; nothing was imported"
    assert err.value.count == 21


def test_a_sheet_without_one_of_its_tasks_is_refused(
    tmp_path: Path, context: tuple[Hierarchy, dict[str, Plan]]
) -> None:
    h, plans = context
    path = _sheet(tmp_path, context)
    wb = load_workbook(path)
    wb["BaoCao"].delete_rows(12)  # task 5, with its quota
    wb.save(path)
    with pytest.raises(IntakeError, match=r"s\.xlsx, sheet BaoCao: task '5' \(.*\) is missing"):
        read_files([path], plans, h, KEY, "x")


def test_a_csv_lists_every_task_of_each_unit_it_reports_on(
    tmp_path: Path, context: tuple[Hierarchy, dict[str, Plan]]
) -> None:
    h, plans = context
    rows = _csv_rows(context)
    other = "00340-mot-cua"
    path = tmp_path / "r.csv"
    path.write_text(CSV_HEADER + "".join(rows[:-1] + _csv_rows(context, other)), "utf-8")
    with pytest.raises(IntakeError) as err:
        read_files([path], plans, h, KEY, "x")
    assert err.value.lines() == [
        f"{path}, unit {VHTT}, period 2024-Q1: task '11' (Tổ chức các hoạt động, sự kiện tuyên "
        "truyền về …) is missing: a CSV lists every task of each unit it reports on (7 for "
        "Bộ phận Văn hóa và Thông tin); nothing was imported"
    ]
    # Complete, both units import: a unit the CSV does not mention is not asked for.
    path.write_text(CSV_HEADER + "".join(rows + _csv_rows(context, other)), "utf-8")
    assert {p.unit_id for p, _, _ in read_files([path], plans, h, KEY, "x")} == {VHTT, other}


def test_a_csv_row_twice_is_refused(
    tmp_path: Path, context: tuple[Hierarchy, dict[str, Plan]]
) -> None:
    h, plans = context
    rows = _csv_rows(context)
    path = tmp_path / "r.csv"
    path.write_text(CSV_HEADER + "".join([*rows, rows[1]]), "utf-8")
    with pytest.raises(
        IntakeError,
        match=r"r\.csv, row 9, column task_id: task '5' of .* for 2024-Q1 appears twice",
    ):
        read_files([path], plans, h, KEY, "x")
