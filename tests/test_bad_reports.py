"""The catalogue of bad reports (XLSX sheets, CSV files, options), fed through the CLI.

Each is refused with one line naming the file, sheet and cell (or row and column), and the
status database is untouched: the rows an earlier good import wrote are all still there and
nothing was added. A report imported twice is recorded once.
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
from kehoach.status.intake import sheet_bytes
from kehoach.status.periods import Period
from tests.conftest import EXAMPLES, refused, runner

PLAN = EXAMPLES / "hoang-mai-67-kh-ubnd.yaml"
HIERARCHY = EXAMPLES / "hierarchies" / "hoang-mai.yaml"
VHTT = "00340-van-hoa-thong-tin"
Q1 = Period.parse("2024-Q1")


@pytest.fixture(scope="module")
def blank(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The generated sheet of Yên Sở's culture and information section for 2024-Q1."""
    h = load_hierarchy(HIERARCHY)
    plans = plans_by_unit(load_plan(PLAN), h)
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
    "another-unit": ({"B3": "00337"}, r"cell B3: unit '00337' has no plan in 67/KH-UBND|cell A1\d"),
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
    "task-twice": ({"A12": "__A11__"}, r"cell A12: task '.+' appears twice"),
    "unknown-task": ({"A11": "99"}, r"cell A11: task '99' is not a task of .*Văn hóa"),
}


@pytest.mark.parametrize("case", SHEETS)
def test_bad_sheet(case: str, tmp_path: Path, db: str, sheet: Edit, blank: bytes) -> None:
    cells, pattern = SHEETS[case]
    if cells.get("A12") == "__A11__":
        first = load_workbook(tmp_path / "good.xlsx")["BaoCao"]["A11"].value
        cells = {"A12": first}
    path = sheet(**cells)
    before = rows(db)
    refused(tmp_path, import_args(db, path), rf"bad\.xlsx, sheet BaoCao, {pattern}.*nothing")
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


CSVS = {
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
        f"unit_id,task_id,period,state,done_on,count\n{VHTT},5,2024-Q1,dang-thuc-hien,,hai\n",
        r"bad\.csv, row 2, column count: 'hai' is not a whole number",
    ),
}


@pytest.mark.parametrize("case", CSVS)
def test_bad_csv(case: str, tmp_path: Path, db: str) -> None:
    text, pattern = CSVS[case]
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    before = rows(db)
    refused(tmp_path, import_args(db, path), pattern)
    assert rows(db) == before


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
