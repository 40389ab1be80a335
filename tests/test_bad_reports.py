"""The catalogue of bad reports (XLSX sheets, CSV files, options), fed through the CLI.

Each is refused with one line naming the file, sheet and cell (or row and column), and the
status database is untouched: the rows an earlier good import wrote are all still there and
nothing was added. A report with several errors, or several bad reports imported at once,
is refused with one such line per error (the first 20 of a file, then how many more). A
report imported twice is recorded once.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from hierarchy.sources import load_hierarchy
from kehoach.cascade.walk import plans_by_unit
from kehoach.cli import app
from kehoach.plan.model import load_plan
from kehoach.status.intake import reported_tasks, sheet_bytes
from kehoach.status.periods import Period
from tests.conftest import EXAMPLES, refused, runner

PLAN = EXAMPLES / "hoang-mai-67-kh-ubnd.yaml"
HIERARCHY = EXAMPLES / "hierarchies" / "hoang-mai.yaml"
VHTT = "00340-van-hoa-thong-tin"
Q1 = Period.parse("2024-Q1")


#: The tasks the section reports on, in the order of its sheet and of a complete CSV.
VHTT_TASKS = ["3", "5", "6", "7", "8", "9", "11"]


@pytest.fixture(scope="module")
def blank(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The generated sheet of Yên Sở's culture and information section for 2024-Q1."""
    h = load_hierarchy(HIERARCHY)
    plans = plans_by_unit(load_plan(PLAN), h)
    assert [t.id for t in reported_tasks(h.unit(VHTT), plans, h)] == VHTT_TASKS
    return sheet_bytes(h.unit(VHTT), plans, h, "67/KH-UBND", Q1)


@pytest.fixture
def db(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, blank: bytes) -> str:
    """A store that already holds one good report (which must survive every refusal).

    It lives outside ``tmp_path``: SQLite may checkpoint its journal whenever a connection
    closes, so the store is compared by its rows, and the files beside the reports by bytes.
    """
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'status.sqlite3'}"
    good = tmp_path / "good.xlsx"
    good.write_bytes(blank)
    result = runner.invoke(app, import_args(url, good))
    assert result.exit_code == 0, result.output
    return url


def import_args(url: str, *paths: Path) -> list[str]:
    """``kehoach status import PATHS`` against the store at ``url``."""
    plan = ["--plan", str(PLAN), "-H", str(HIERARCHY)]
    return ["status", "import", *map(str, paths), *plan, "--db", url, "--by", "tester"]


def rows(url: str) -> dict[str, int]:
    engine = sa.create_engine(url)
    with engine.connect() as c:
        out = {
            t: int(c.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar() or 0)
            for t in ("submission", "task_status", "plan_issue")
        }
    engine.dispose()
    return out


Edit = Callable[..., Path]


@pytest.fixture
def sheet(tmp_path: Path, blank: bytes) -> Edit:
    """The blank sheet with some cells set, saved as bad.xlsx."""

    def edit(**cells: object) -> Path:
        path = tmp_path / "bad.xlsx"
        path.write_bytes(blank)
        wb = load_workbook(path)
        ws = wb["BaoCao"]
        for ref, value in cells.items():
            ws[ref] = value
        wb.save(path)
        return path

    return edit


SHEETS: dict[str, tuple[dict[str, object], str]] = {
    "another-plan": ({"B2": "145/KH-UBND"}, r"cell B2: this sheet is for plan '145/KH-UBND'"),
    "unit-not-in-plan": ({"B3": "00999"}, r"cell B3: unit '00999' has no plan in 67/KH-UBND"),
    "missing-header": ({"E10": None}, r"cell E10: header 'Tình trạng' expected, found None"),
    "renamed-header": ({"H10": "Số"}, r"cell H10: header 'Số lượng đã thực hiện' expected"),
    "formula": ({"H11": "=2+1"}, r"cell H11: a formula \(=2\+1\) where a count belongs"),
    "state-not-in-list": ({"E11": "xong rồi"}, r"cell E11: 'xong rồi' is not a state; choose"),
    "count-is-text": ({"H11": "ba"}, r"cell H11: 'ba' is not a whole number"),
    "count-below-zero": ({"H11": -3}, r"cell H11: count -3 is below zero"),
    "done-without-date": ({"E11": "Hoàn thành"}, r"cell F11: a done task needs its completion"),
    "date-outside-period": (
        {"E11": "Hoàn thành", "F11": "15/05/2024"},
        r"cell F11: 15/05/2024 is outside the period 2024-Q1",
    ),
    "date-does-not-exist": ({"F11": "30/02/2024"}, r"cell F11: '30/02/2024' is not a date"),
    "task-id-cleared": ({"A12": None}, r"task '5' \(Tuyên truyền .*\) is missing"),
    # Rich would read "[/b]" as markup, and stop at a closing tag that matches nothing.
    "header-like-markup": ({"H10": "[/b]"}, r"cell H10: header .* expected, found '\[/b\]'"),
}


@pytest.mark.parametrize("case", SHEETS)
def test_bad_sheet(case: str, tmp_path: Path, db: str, sheet: Edit, blank: bytes) -> None:
    cells, pattern = SHEETS[case]
    path = sheet(**cells)
    before = rows(db)
    refused(tmp_path, import_args(db, path), rf"bad\.xlsx, sheet BaoCao(, |: ){pattern}.*nothing")
    assert rows(db) == before


MISSING_5 = r"bad\.xlsx, sheet BaoCao: task '5' \(.*\) is missing: the sheet lists every task"
# A row written over by another task, or by a task the unit does not have, also leaves its
# own task out: both are said.
SEVERAL = {
    "task-twice": (
        {"A12": "3"},
        [
            r"bad\.xlsx, sheet BaoCao, cell A12: task '3' appears twice \(first in row 11\)",
            MISSING_5,
        ],
    ),
    "unknown-task": (
        {"A12": "99"},
        [r"bad\.xlsx, sheet BaoCao, cell A12: task '99' is not a task of .*Văn hóa", MISSING_5],
    ),
    "three-wrong-cells": (
        {"E11": "xong rồi", "H12": "ba", "E13": "Hoàn thành", "F14": "30/02/2024"},
        [
            r"bad\.xlsx, sheet BaoCao, cell E11: 'xong rồi' is not a state",
            r"bad\.xlsx, sheet BaoCao, cell H12: 'ba' is not a whole number",
            r"bad\.xlsx, sheet BaoCao, cell F13: a done task needs its completion date",
            r"bad\.xlsx, sheet BaoCao, cell F14: '30/02/2024' is not a date",
        ],
    ),
    # The tasks of the section are not those of the ward it now names.
    "another-unit": (
        {"B3": "00337"},
        [
            rf"cell A{11 + i}: task '{t}' is not a task of Phường Trần Phú"
            for i, t in enumerate(VHTT_TASKS)
        ],
    ),
}


@pytest.mark.parametrize("case", SEVERAL)
def test_a_sheet_with_several_errors_lists_them_all(
    case: str, tmp_path: Path, db: str, sheet: Edit
) -> None:
    cells, patterns = SEVERAL[case]
    path = sheet(**cells)
    before = rows(db)
    refused(tmp_path, import_args(db, path), *(rf"{p}.*; nothing was imported$" for p in patterns))
    assert rows(db) == before


def test_a_deleted_task_row(tmp_path: Path, db: str, blank: bytes) -> None:
    path = tmp_path / "bad.xlsx"
    path.write_bytes(blank)
    wb = load_workbook(path)
    wb["BaoCao"].delete_rows(13)  # task 6
    wb.save(path)
    before = rows(db)
    refused(
        tmp_path,
        import_args(db, path),
        r"bad\.xlsx, sheet BaoCao: task '6' \(Cơ quan truyền thanh .*\) is missing: the sheet "
        r"lists every task Bộ phận Văn hóa và Thông tin reports on; put its row back",
    )
    assert rows(db) == before


def test_a_sheet_lists_twenty_errors_then_how_many_more(
    tmp_path: Path, db: str, sheet: Edit
) -> None:
    cells = {f"{col}{row}": "?" for row in range(11, 18) for col in "EFH"}  # 21 wrong cells
    path = sheet(**cells)
    before = rows(db)
    cell = r"bad\.xlsx, sheet BaoCao, cell [EFH]1\d: '\?' is not"
    more = r"bad\.xlsx: … and 1 more error in this file; nothing was imported$"
    refused(tmp_path, import_args(db, path), *[cell] * 20, more)
    assert rows(db) == before


def test_merged_cells(tmp_path: Path, db: str, blank: bytes) -> None:
    path = tmp_path / "bad.xlsx"
    path.write_bytes(blank)
    wb = load_workbook(path)
    wb["BaoCao"].merge_cells("A10:B10")
    wb.save(path)
    before = rows(db)
    refused(tmp_path, import_args(db, path), r"bad\.xlsx, sheet BaoCao: merged cells A10:B10")
    assert rows(db) == before


def test_not_a_workbook(tmp_path: Path, db: str) -> None:
    path = tmp_path / "bad.xlsx"
    path.write_bytes(b"PK\x03\x04 this is not a zip")
    refused(tmp_path, import_args(db, path), r"bad\.xlsx: not an \.xlsx workbook")


def test_a_good_sheet_and_a_bad_one_import_nothing(tmp_path: Path, db: str, sheet: Edit) -> None:
    good = sheet(E11="Đang thực hiện")
    other = tmp_path / "other.xlsx"
    good.rename(other)
    bad = sheet(E12="???")
    before = rows(db)
    refused(tmp_path, import_args(db, other, bad), r"bad\.xlsx, sheet BaoCao, cell E12")
    assert rows(db) == before


def test_every_bad_file_of_an_import_is_reported(tmp_path: Path, db: str, sheet: Edit) -> None:
    first = sheet(E12="???").rename(tmp_path / "first.xlsx")
    good = sheet(E11="Đang thực hiện").rename(tmp_path / "good2.xlsx")
    second = sheet(H13=-1)
    report = tmp_path / "bad.csv"
    report.write_text(CSV_HEADER + _csv({"6": "?,,"}), encoding="utf-8")
    before = rows(db)
    refused(
        tmp_path,
        import_args(db, first, good, second, report),
        r"first\.xlsx, sheet BaoCao, cell E12: '\?\?\?' is not a state",
        r"bad\.xlsx, sheet BaoCao, cell H13: count -1 is below zero",
        r"bad\.csv, row 4, column state: '\?' is not a state",
    )
    assert rows(db) == before


CSV_HEADER = "unit_id,task_id,period,state,done_on,count\n"


def _csv(answers: dict[str, str]) -> str:
    """A row for every task of the section (row 2 is task 3, row 3 task 5 …), not started
    unless ``answers`` says otherwise (``state,done_on,count``)."""
    return "".join(f"{VHTT},{t},2024-Q1,{answers.get(t, 'chua-thuc-hien,,')}\n" for t in VHTT_TASKS)


CSVS: dict[str, tuple[str | dict[str, str], str]] = {
    "wrong-header": ("unit,task,period\n", r"bad\.csv, row 1: the header must be unit_id,task_id"),
    "unknown-unit": (
        "unit_id,task_id,period,state,done_on,count\n00999,5,2024-Q1,hoan-thanh,2024-03-01,1\n",
        r"bad\.csv, row 2, column unit_id: unit '00999' has no plan",
    ),
    "bad-period": (
        f"unit_id,task_id,period,state,done_on,count\n{VHTT},5,2024-Q5,hoan-thanh,2024-03-01,1\n",
        r"bad\.csv, row 2, column period: ",
    ),
    "count-is-text": (
        {"5": "dang-thuc-hien,,hai"},
        r"bad\.csv, row 3, column count: 'hai' is not a whole number",
    ),
    # Errors in a CSV name its row and column, not the sheet of an XLSX.
    "state-not-in-list": (
        {"6": "xong rồi,,"},
        r"bad\.csv, row 4, column state: 'xong rồi' is not a state",
    ),
    "date-outside-period": (
        {"3": "hoan-thanh,2024-05-15,"},
        r"bad\.csv, row 2, column done_on: 15/05/2024 is outside the period 2024-Q1",
    ),
    "date-does-not-exist": (
        {"3": "hoan-thanh,30/02/2024,"},
        r"bad\.csv, row 2, column done_on: '30/02/2024' is not a date",
    ),
    "done-without-date": (
        {"3": "hoan-thanh,,"},
        r"bad\.csv, row 2, column done_on: a done task needs its completion date",
    ),
    "unknown-task": (
        "unit_id,task_id,period,state,done_on,count\n" + _csv({}) + f"{VHTT},99,2024-Q1,,,\n",
        r"bad\.csv, row 9, column task_id: task '99' is not a task of .*Văn hóa",
    ),
    "task-twice": (
        "unit_id,task_id,period,state,done_on,count\n" + _csv({}) + f"{VHTT},5,2024-Q1,,,\n",
        r"bad\.csv, row 9, column task_id: task '5' of 00340-van-hoa-thong-tin for 2024-Q1 "
        r"appears twice \(first in row 3\)",
    ),
    # A CSV reports on a unit and period: every task of it, as its sheet would.
    "task-left-out": (
        "unit_id,task_id,period,state,done_on,count\n"
        + "".join(line + "\n" for line in _csv({}).splitlines() if ",6," not in line),
        rf"bad\.csv, unit {VHTT}, period 2024-Q1: task '6' \(Cơ quan truyền thanh .*\) is "
        r"missing: a CSV lists every task of each unit it reports on \(7 for Bộ phận Văn hóa",
    ),
}


@pytest.mark.parametrize("case", CSVS)
def test_bad_csv(case: str, tmp_path: Path, db: str) -> None:
    text, pattern = CSVS[case]
    path = tmp_path / "bad.csv"
    path.write_text(text if isinstance(text, str) else CSV_HEADER + _csv(text), encoding="utf-8")
    before = rows(db)
    line = refused(tmp_path, import_args(db, path), pattern)
    assert "sheet" not in line.split(": ", 2)[1]
    assert rows(db) == before


def test_a_complete_csv_imports(tmp_path: Path, db: str) -> None:
    path = tmp_path / "ok.csv"
    path.write_text(CSV_HEADER + _csv({"5": "hoan-thanh,2024-03-01,3"}), encoding="utf-8")
    before = rows(db)
    result = runner.invoke(app, import_args(db, path))
    assert result.exit_code == 0, result.output
    assert rows(db) == {
        "submission": before["submission"] + 1,
        "task_status": before["task_status"] + len(VHTT_TASKS),
        "plan_issue": before["plan_issue"],
    }


def test_csv_not_utf8(tmp_path: Path, db: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes("unit_id,task_id\nPhuong Ho\xe0\n".encode("latin-1"))
    refused(tmp_path, import_args(db, path), r"bad\.csv: not UTF-8 text")


def test_not_a_report_file(tmp_path: Path, db: str) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello", encoding="utf-8")
    refused(tmp_path, import_args(db, path), r"notes\.txt: not a \.xlsx or \.csv file")


def test_a_period_that_does_not_exist(tmp_path: Path) -> None:
    refused(
        tmp_path,
        ["rollup", "--plan", str(PLAN), "--period", "2024-Q5", "-H", str(HIERARCHY)],
        r"--period: .*2024-Q5",
    )


def test_an_unreachable_database(tmp_path: Path, blank: bytes) -> None:
    good = tmp_path / "good.xlsx"
    good.write_bytes(blank)
    url = "postgresql+psycopg://nobody@127.0.0.1:9/none?connect_timeout=2"
    refused(tmp_path, import_args(url, good), r"cannot open the status database: .*127\.0\.0\.1")


def test_the_same_report_twice_is_recorded_once(tmp_path: Path, db: str, blank: bytes) -> None:
    before = rows(db)
    again = tmp_path / "again.xlsx"
    again.write_bytes(blank)  # the same answers, in another file
    result = runner.invoke(app, import_args(db, again))
    assert result.exit_code == 0, result.output
    assert "1 already in the store" in result.stdout
    assert rows(db) == before
