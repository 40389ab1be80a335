"""Intake: units report through a generated XLSX sheet, a CSV file, or one value on the CLI.

Everything is validated before anything is written: an unknown unit or task, a sheet for
another unit or plan, a state not in the list, a date outside the period, a count below zero
or written as text, a formula where a value belongs — each is one error naming the file,
sheet, row and column. Only then are all submissions recorded in one transaction.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from hierarchy.graph import Hierarchy
from hierarchy.units import Unit
from kehoach.documents.plan_document import assignee_text
from kehoach.io.errors import KehoachError
from kehoach.plan.model import Plan, Task
from kehoach.status.models import PlanIssue, TaskState, TaskStatus
from kehoach.status.periods import Period
from kehoach.status.rollup import due_in, own_tasks, quota_target
from kehoach.status.store.db import Provenance

SHEET = "BaoCao"
HEADER_ROW = 10
COLUMNS = [
    ("A", "Mã nhiệm vụ", 12),
    ("B", "Nhiệm vụ", 60),
    ("C", "Chủ trì", 26),
    ("D", "Thời hạn trong kỳ", 14),
    ("E", "Tình trạng", 18),
    ("F", "Ngày hoàn thành", 16),
    ("G", "Chỉ tiêu trong kỳ", 12),
    ("H", "Số lượng đã thực hiện", 14),
]
META = {
    "plan": "B2",
    "unit_id": "B3",
    "unit_name": "B4",
    "period": "B5",
    "number": "B7",
    "issued_on": "B8",
}
STATE_BY_LABEL = {s.label.casefold(): s for s in TaskState} | {s.value: s for s in TaskState}
CSV_COLUMNS = ["unit_id", "task_id", "period", "state", "done_on", "count"]


class IntakeError(KehoachError):
    """A report cannot be taken in; nothing was written."""


Submission = tuple[Provenance, list[TaskStatus], list[PlanIssue]]


def reported_tasks(unit: Unit, plans: Mapping[str, Plan], h: Hierarchy) -> list[Task]:
    """The tasks a unit reports on: those counted as its own in the roll-up."""
    departments = {d.id for d in h.departments(unit.id) if d.id in plans}
    return own_tasks(unit, plans[unit.id], departments)


# -- sheets -------------------------------------------------------------------------------


def sheet_bytes(
    unit: Unit, plans: Mapping[str, Plan], h: Hierarchy, plan_key: str, period: Period
) -> bytes:
    """The XLSX a unit fills in for ``period``: exactly its tasks and quotas."""
    wb = Workbook()
    ws = wb.active
    assert isinstance(ws, Worksheet)
    ws.title = SHEET
    ws["A1"] = f"BÁO CÁO KẾT QUẢ THỰC HIỆN {plan_key} — {period.words.upper()}"
    ws["A1"].font = Font(bold=True, size=13)
    labels = {
        "plan": "Kế hoạch",
        "unit_id": "Mã đơn vị",
        "unit_name": "Đơn vị",
        "period": "Kỳ báo cáo",
        "number": "Số kế hoạch của đơn vị",
        "issued_on": "Ngày ban hành",
    }
    values = {"plan": plan_key, "unit_id": unit.id, "unit_name": unit.name, "period": period.key}
    for key, cell in META.items():
        ws[f"A{cell[1:]}"] = labels[key]
        ws[f"A{cell[1:]}"].font = Font(bold=True)
        if key in values:
            ws[cell] = values[key]
        else:
            ws[cell].fill = PatternFill("solid", fgColor="FFF2CC")
    ws["B8"].number_format = "DD/MM/YYYY"
    ws["C7"] = "Điền nếu đơn vị đã ban hành kế hoạch của mình"
    for col, title, width in COLUMNS:
        cell = ws[f"{col}{HEADER_ROW}"]
        cell.value = title
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        ws.column_dimensions[col].width = width
    states = DataValidation(
        type="list",
        formula1='"' + ",".join(s.label for s in TaskState) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Tình trạng",
        error="Chọn một tình trạng trong danh sách",
    )
    counts = DataValidation(
        type="whole", operator="greaterThanOrEqual", formula1="0", allow_blank=True
    )
    dates = DataValidation(
        type="date",
        operator="between",
        formula1=f"DATE({period.start.year},{period.start.month},{period.start.day})",
        formula2=f"DATE({period.end.year},{period.end.month},{period.end.day})",
        allow_blank=True,
    )
    for v in (states, counts, dates):
        ws.add_data_validation(v)
    row = HEADER_ROW
    for row, task in enumerate(reported_tasks(unit, plans, h), start=HEADER_ROW + 1):
        ws[f"A{row}"] = task.id
        ws[f"B{row}"] = task.title
        ws[f"B{row}"].alignment = Alignment(wrap_text=True, vertical="top")
        ws[f"C{row}"] = assignee_text(task.lead)
        ws[f"D{row}"] = due_in(task, period)
        ws[f"D{row}"].number_format = "DD/MM/YYYY"
        ws[f"E{row}"] = TaskState.CHUA_THUC_HIEN.label
        ws[f"F{row}"].number_format = "DD/MM/YYYY"
        states.add(f"E{row}")
        dates.add(f"F{row}")
        if task.quota is not None:
            ws[f"G{row}"] = quota_target(task, period)
            counts.add(f"H{row}")
        for col in "EFH":
            ws[f"{col}{row}"].fill = PatternFill("solid", fgColor="FFF2CC")
    ws.freeze_panes = f"A{HEADER_ROW + 1}"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _fail(path: Path, what: str, sheet: str | None = None, cell: str | None = None) -> IntakeError:
    where = str(path)
    if sheet:
        where += f", sheet {sheet}"
    if cell:  # a sheet's cell ("E11"), or a CSV's place ("row 2, column state")
        where += f", {cell}" if cell.startswith("row ") else f", cell {cell}"
    return IntakeError(f"{what}; nothing was imported", where=where)


def _parse_date_text(text: str, path: Path, cell: str) -> dt.date:
    """2024-03-01 or 01/03/2024."""
    try:
        if "-" in text:
            return dt.date.fromisoformat(text)
        day, month, year = (int(x) for x in text.split("/"))
        return dt.date(year, month, day)
    except ValueError:
        raise _fail(path, f"{text!r} is not a date (dd/mm/yyyy)", SHEET, cell) from None


def _date(value: Any, path: Path, cell: str, period: Period | None) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.startswith("="):
        raise _fail(path, f"a formula ({value}) where a date belongs: type the date", SHEET, cell)
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, str):
        value = _parse_date_text(value.strip(), path, cell)
    if not isinstance(value, dt.date):
        raise _fail(path, f"{value!r} is not a date (dd/mm/yyyy)", SHEET, cell)
    if period is not None and not period.start <= value <= period.end:
        raise _fail(
            path,
            f"{value:%d/%m/%Y} is outside the period {period.key} "
            f"({period.start:%d/%m/%Y}–{period.end:%d/%m/%Y})",
            SHEET,
            cell,
        )
    return value


def _count(value: Any, path: Path, cell: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.startswith("="):
        raise _fail(
            path, f"a formula ({value}) where a count belongs: type the number", SHEET, cell
        )
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)  # a cell can hold nan or inf, which int() refuses
        or int(value) != value
    ):
        raise _fail(path, f"{value!r} is not a whole number", SHEET, cell)
    if value < 0:
        raise _fail(path, f"count {int(value)} is below zero", SHEET, cell)
    return int(value)


def _state(value: Any, path: Path, cell: str) -> TaskState:
    key = str(value or "").strip().casefold()
    if key not in STATE_BY_LABEL:
        choices = ", ".join(s.label for s in TaskState)
        raise _fail(path, f"{value!r} is not a state; choose one of: {choices}", SHEET, cell)
    return STATE_BY_LABEL[key]


def read_sheet(
    path: Path, plans: Mapping[str, Plan], h: Hierarchy, plan_key: str, entered_by: str
) -> Submission:
    """Validate one filled sheet into a submission (nothing is written here)."""
    try:
        raw = path.read_bytes()
        wb = load_workbook(io.BytesIO(raw), data_only=False)
    except OSError as exc:
        raise _fail(path, f"cannot read: {exc.strerror}") from None
    except Exception as exc:
        raise _fail(path, f"not an .xlsx workbook ({type(exc).__name__})") from None
    if SHEET not in wb.sheetnames:
        raise _fail(path, f"no sheet named {SHEET!r} (found: {', '.join(wb.sheetnames)})")
    ws = wb[SHEET]
    if ws.merged_cells.ranges:
        merged = ", ".join(str(r) for r in ws.merged_cells.ranges)
        raise _fail(
            path, f"merged cells {merged}: unmerge them, the layout must stay as generated", SHEET
        )
    for col, title, _ in COLUMNS:
        if str(ws[f"{col}{HEADER_ROW}"].value or "").strip() != title:
            raise _fail(
                path,
                f"header {title!r} expected, found {ws[f'{col}{HEADER_ROW}'].value!r}",
                SHEET,
                f"{col}{HEADER_ROW}",
            )
    if str(ws[META["plan"]].value or "").strip() != plan_key:
        raise _fail(
            path,
            f"this sheet is for plan {ws[META['plan']].value!r}, not {plan_key!r}",
            SHEET,
            META["plan"],
        )
    unit_id = str(ws[META["unit_id"]].value or "").strip()
    if unit_id not in plans or unit_id not in h:
        raise _fail(path, f"unit {unit_id!r} has no plan in {plan_key}", SHEET, META["unit_id"])
    unit = h.unit(unit_id)
    try:
        period = Period.parse(str(ws[META["period"]].value or ""))
    except ValueError as exc:
        raise _fail(path, str(exc), SHEET, META["period"]) from None
    expected = {t.id: t for t in reported_tasks(unit, plans, h)}
    statuses: list[TaskStatus] = []
    seen: set[str] = set()
    for row in range(HEADER_ROW + 1, ws.max_row + 1):
        task_id = ws[f"A{row}"].value
        if task_id is None or str(task_id).strip() == "":
            continue
        task_id = str(task_id).strip()
        if task_id not in expected:
            raise _fail(
                path,
                f"task {task_id!r} is not a task of {unit.name} in {plan_key}",
                SHEET,
                f"A{row}",
            )
        if task_id in seen:
            raise _fail(path, f"task {task_id!r} appears twice", SHEET, f"A{row}")
        seen.add(task_id)
        state = _state(ws[f"E{row}"].value, path, f"E{row}")
        done_on = _date(ws[f"F{row}"].value, path, f"F{row}", period)
        if state is TaskState.HOAN_THANH and done_on is None:
            raise _fail(path, "a done task needs its completion date", SHEET, f"F{row}")
        count = _count(ws[f"H{row}"].value, path, f"H{row}")
        statuses.append(
            TaskStatus(
                unit_id=unit.id,
                task_id=task_id,
                period=period.key,
                state=state,
                done_on=done_on,
                count=count,
            )
        )
    issues = []
    issued_on = _date(ws[META["issued_on"]].value, path, META["issued_on"], None)
    if issued_on is not None:
        number = ws[META["number"]].value
        issues.append(
            PlanIssue(
                unit_id=unit.id, number=str(number).strip() if number else None, issued_on=issued_on
            )
        )
    prov = Provenance(
        plan_key=plan_key,
        unit_id=unit.id,
        period=period.key,
        kind="report",
        source="xlsx",
        source_name=str(path),
        source_sha256=hashlib.sha256(raw).hexdigest(),
        entered_by=entered_by,
    )
    return prov, statuses, issues


def read_csv(
    path: Path, plans: Mapping[str, Plan], h: Hierarchy, plan_key: str, entered_by: str
) -> list[Submission]:
    """Validate a CSV (unit_id, task_id, period, state, done_on, count) into submissions."""
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8-sig")
    except OSError as exc:
        raise _fail(path, f"cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise _fail(path, "not UTF-8 text: save the CSV as UTF-8") from None
    reader = csv.DictReader(io.StringIO(text))
    try:
        return _read_csv_rows(path, raw, reader, plans, h, plan_key, entered_by)
    except csv.Error as exc:  # a field longer than the csv module allows, ...
        raise _fail(path, f"not readable as CSV: {exc}", cell=f"row {reader.line_num}") from None


def _read_csv_rows(
    path: Path,
    raw: bytes,
    reader: csv.DictReader[str],
    plans: Mapping[str, Plan],
    h: Hierarchy,
    plan_key: str,
    entered_by: str,
) -> list[Submission]:
    if reader.fieldnames is None or [f.strip() for f in reader.fieldnames] != CSV_COLUMNS:
        raise _fail(
            path,
            f"the header must be {','.join(CSV_COLUMNS)} (found {reader.fieldnames})",
            cell="row 1",
        )
    # " unit_id" is accepted as unit_id above, so rows must be keyed by the stripped names.
    reader.fieldnames = CSV_COLUMNS
    by_unit: dict[tuple[str, str], list[TaskStatus]] = {}
    for n, row in enumerate(reader, start=2):
        where = f"row {n}"
        unit_id = (row["unit_id"] or "").strip()
        if unit_id not in plans or unit_id not in h:
            raise _fail(
                path, f"unit {unit_id!r} has no plan in {plan_key}", cell=f"{where}, column unit_id"
            )
        unit = h.unit(unit_id)
        try:
            period = Period.parse(row["period"] or "")
        except ValueError as exc:
            raise _fail(path, str(exc), cell=f"{where}, column period") from None
        task_id = (row["task_id"] or "").strip()
        if task_id not in {t.id for t in reported_tasks(unit, plans, h)}:
            raise _fail(
                path,
                f"task {task_id!r} is not a task of {unit.name}",
                cell=f"{where}, column task_id",
            )
        state = _state(row["state"], path, f"{where}, column state")
        done_on = _date((row["done_on"] or "").strip(), path, f"{where}, column done_on", period)
        if state is TaskState.HOAN_THANH and done_on is None:
            raise _fail(
                path, "a done task needs its completion date", cell=f"{where}, column done_on"
            )
        raw_count = (row["count"] or "").strip()
        try:
            count = _count(int(raw_count) if raw_count else None, path, f"{where}, column count")
        except ValueError:
            raise _fail(
                path, f"{raw_count!r} is not a whole number", cell=f"{where}, column count"
            ) from None
        by_unit.setdefault((unit_id, period.key), []).append(
            TaskStatus(
                unit_id=unit_id,
                task_id=task_id,
                period=period.key,
                state=state,
                done_on=done_on,
                count=count,
            )
        )
    digest = hashlib.sha256(raw).hexdigest()
    return [
        (
            Provenance(
                plan_key=plan_key,
                unit_id=unit_id,
                period=period,
                kind="report",
                source="csv",
                source_name=str(path),
                source_sha256=digest,
                entered_by=entered_by,
            ),
            statuses,
            [],
        )
        for (unit_id, period), statuses in by_unit.items()
    ]


def read_files(
    paths: list[Path], plans: Mapping[str, Plan], h: Hierarchy, plan_key: str, entered_by: str
) -> list[Submission]:
    """Validate every file; raise on the first error, before anything is written."""
    out: list[Submission] = []
    for path in paths:
        if path.suffix.lower() == ".csv":
            out += read_csv(path, plans, h, plan_key, entered_by)
        elif path.suffix.lower() in (".xlsx", ".xlsm"):
            out.append(read_sheet(path, plans, h, plan_key, entered_by))
        else:
            raise _fail(path, "not a .xlsx or .csv file")
    return out
