"""Intake: units report through a generated XLSX sheet, a CSV file, or one value on the CLI.

Everything is validated before anything is written: an unknown unit or task, a task left
out, a sheet for another unit or plan, a state not in the list, a date outside the period, a
count below zero or written as text, a formula where a value belongs — each is an error
naming the file and the sheet and cell (or the CSV's row and column). Every problem of every
file is reported at once, so a unit fixes its sheet in one go. Only when there are none are
all submissions recorded, in one transaction.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import math
from collections.abc import Callable, Mapping, Sequence
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


#: At most this many problems of one file are listed, then how many more there are: a sheet
#: filled in the wrong layout would otherwise print one line per cell.
MAX_ERRORS_PER_FILE = 20


class IntakeError(KehoachError):
    """A report cannot be taken in; nothing was written.

    An import reports every problem it finds, not only the first: one error may stand for
    several (:meth:`gather`), which the CLI prints one a line (:meth:`lines`), each naming
    its file and place. ``str()`` stays one line, the first problem and how many more, for
    logs and Prefect.
    """

    def __init__(self, what: str, *, where: str | Path | None = None) -> None:
        super().__init__(what, where=where)
        self.first: IntakeError = self
        self.count = 1
        self._lines = [str(self)]

    def lines(self) -> list[str]:
        return list(self._lines)

    @classmethod
    def gather(
        cls, errors: Sequence[IntakeError], *, count: int | None = None, more: str | None = None
    ) -> IntakeError:
        """One error for ``errors`` (at least one): each listed, then ``more`` if given.

        ``count`` is how many problems there are in all, when more were found than listed.
        """
        total = sum(e.count for e in errors) if count is None else count
        if total == 1 and more is None:
            return errors[0]
        first = errors[0].first
        out = cls(f"{first.what} (and {total - 1} more)", where=first.where)
        out.first, out.count = first, total
        out._lines = [line for e in errors for line in e.lines()] + ([more] if more else [])
        return out


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


def _fail(
    path: Path,
    what: str,
    sheet: str | None = None,
    cell: str | None = None,
    *,
    place: str | None = None,
) -> IntakeError:
    """An error at a sheet's ``cell`` ("E11") or at a ``place`` ("row 7, column state")."""
    where = str(path)
    if sheet:
        where += f", sheet {sheet}"
    if cell:
        where += f", cell {cell}"
    if place:
        where += f", {place}"
    return IntakeError(f"{what}; nothing was imported", where=where)


class _Invalid(Exception):
    """A value that cannot be taken in; the caller knows where it is and records it."""


class _Problems:
    """The problems found in one file: every one counted, the first few kept to list."""

    def __init__(self, path: Path, sheet: str | None = None) -> None:
        self.path = path
        self.sheet = sheet
        self.found: list[IntakeError] = []
        self.count = 0

    def add(self, what: str, at: str | None = None) -> None:
        """One problem ``at`` a cell ("E11") of the sheet, or a place in a CSV ("row 7, …")."""
        self.count += 1
        if len(self.found) < MAX_ERRORS_PER_FILE:
            if self.sheet is None:
                self.found.append(_fail(self.path, what, place=at))
            else:
                self.found.append(_fail(self.path, what, self.sheet, at))

    def error(self) -> IntakeError | None:
        """One :class:`IntakeError` for all of them, if there are any."""
        if not self.count:
            return None
        more = None
        if self.count > len(self.found):
            hidden = self.count - len(self.found)
            errors = "error" if hidden == 1 else "errors"
            more = str(_fail(self.path, f"… and {hidden} more {errors} in this file"))
        return IntakeError.gather(self.found, count=self.count, more=more)

    def raise_any(self) -> None:
        error = self.error()
        if error is not None:
            raise error


def _task_name(task: Task) -> str:
    """ "'5' (UBND các phường tuyên truyền kết quả …)": the id, and enough title to find it."""
    title = " ".join(task.title.split())
    short = title if len(title) <= 50 else title[:50].rsplit(" ", 1)[0] + " …"
    return f"{task.id!r} ({short})"


def _parse_date_text(text: str) -> dt.date:
    """2024-03-01 or 01/03/2024."""
    try:
        if "-" in text:
            return dt.date.fromisoformat(text)
        day, month, year = (int(x) for x in text.split("/"))
        return dt.date(year, month, day)
    except ValueError:
        raise _Invalid(f"{text!r} is not a date (dd/mm/yyyy)") from None


def _date(value: Any, period: Period | None) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.startswith("="):
        raise _Invalid(f"a formula ({value}) where a date belongs: type the date")
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, str):
        value = _parse_date_text(value.strip())
    if not isinstance(value, dt.date):
        raise _Invalid(f"{value!r} is not a date (dd/mm/yyyy)")
    if period is not None and not period.start <= value <= period.end:
        raise _Invalid(
            f"{value:%d/%m/%Y} is outside the period {period.key} "
            f"({period.start:%d/%m/%Y}–{period.end:%d/%m/%Y})"
        )
    return value


def _count(value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.startswith("="):
        raise _Invalid(f"a formula ({value}) where a count belongs: type the number")
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)  # a cell can hold nan or inf, which int() refuses
        or int(value) != value
    ):
        raise _Invalid(f"{value!r} is not a whole number")
    if value < 0:
        raise _Invalid(f"count {int(value)} is below zero")
    return int(value)


def _count_text(text: str) -> int | None:
    """A CSV count: the text of a whole number, or empty."""
    try:
        return _count(int(text) if text else None)
    except ValueError:
        raise _Invalid(f"{text!r} is not a whole number") from None


def _state(value: Any) -> TaskState:
    key = str(value or "").strip().casefold()
    if key not in STATE_BY_LABEL:
        choices = ", ".join(s.label for s in TaskState)
        raise _Invalid(f"{value!r} is not a state; choose one of: {choices}")
    return STATE_BY_LABEL[key]


def _answers(
    values: tuple[Any, Any, Any],
    places: tuple[str, str, str],
    period: Period,
    problems: _Problems,
    count: Callable[[Any], int | None] = _count,
) -> tuple[TaskState, dt.date | None, int | None] | None:
    """A row's state, completion date and count, each checked; None if any is wrong.

    ``places`` are where the three are (cells of a sheet, row and column of a CSV). Each
    wrong value is its own problem, so a row with a bad state and a bad count reports both.
    """
    (state_value, date_value, count_value), (state_at, date_at, count_at) = values, places
    before = problems.count
    state: TaskState | None = None
    done_on: dt.date | None = None
    number: int | None = None
    try:
        state = _state(state_value)
    except _Invalid as exc:
        problems.add(str(exc), state_at)
    try:
        done_on = _date(date_value, period)
    except _Invalid as exc:
        problems.add(str(exc), date_at)
    else:
        if state is TaskState.HOAN_THANH and done_on is None:
            problems.add("a done task needs its completion date", date_at)
    try:
        number = count(count_value)
    except _Invalid as exc:
        problems.add(str(exc), count_at)
    if problems.count > before or state is None:
        return None
    return state, done_on, number


def read_sheet(
    path: Path, plans: Mapping[str, Plan], h: Hierarchy, plan_key: str, entered_by: str
) -> Submission:
    """Validate one filled sheet into a submission (nothing is written here).

    A layout that is not the generated one (no sheet, merged cells, a header changed, the
    plan, unit or period cell wrong) is refused by its first problem: the cells cannot be
    read without it. Otherwise every wrong cell and every task left out is reported.
    """
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
    problems = _Problems(path, SHEET)
    try:
        issued_on = _date(ws[META["issued_on"]].value, None)
    except _Invalid as exc:
        problems.add(str(exc), META["issued_on"])
        issued_on = None
    expected = {t.id: t for t in reported_tasks(unit, plans, h)}
    statuses: list[TaskStatus] = []
    seen: dict[str, int] = {}
    for row in range(HEADER_ROW + 1, ws.max_row + 1):
        task_id = ws[f"A{row}"].value
        if task_id is None or str(task_id).strip() == "":
            continue
        task_id = str(task_id).strip()
        if task_id not in expected:
            problems.add(f"task {task_id!r} is not a task of {unit.name} in {plan_key}", f"A{row}")
            continue
        if task_id in seen:
            problems.add(
                f"task {task_id!r} appears twice (first in row {seen[task_id]})", f"A{row}"
            )
            continue
        seen[task_id] = row
        answers = _answers(
            (ws[f"E{row}"].value, ws[f"F{row}"].value, ws[f"H{row}"].value),
            (f"E{row}", f"F{row}", f"H{row}"),
            period,
            problems,
        )
        if answers is not None:
            state, done_on, count = answers
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
    # A deleted row would roll up as if the unit did not owe the task.
    for task in expected.values():
        if task.id not in seen:
            problems.add(
                f"task {_task_name(task)} is missing: the sheet lists every task "
                f"{unit.name} reports on; put its row back, or fill a fresh sheet from "
                "kehoach sheets"
            )
    problems.raise_any()
    issues = []
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
    """Validate a CSV (unit_id, task_id, period, state, done_on, count) into submissions.

    Each unit and period the CSV reports on is one report, so it lists every task the unit
    reports on, as its sheet would: a task left out is an error, like a deleted row.
    Errors name the file, row and column ("reports.csv, row 7, column state").
    """
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8-sig")
    except OSError as exc:
        raise _fail(path, f"cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise _fail(path, "not UTF-8 text: save the CSV as UTF-8") from None
    reader = csv.DictReader(io.StringIO(text))
    problems = _Problems(path)
    try:
        return _read_csv_rows(path, raw, reader, plans, h, plan_key, entered_by, problems)
    except csv.Error as exc:  # a field longer than the csv module allows, ...
        # The rest of the file cannot be read: what was found so far, and this.
        problems.add(f"not readable as CSV: {exc}", f"row {reader.line_num}")
        error = problems.error()
        assert error is not None
        raise error from None


def _read_csv_rows(
    path: Path,
    raw: bytes,
    reader: csv.DictReader[str],
    plans: Mapping[str, Plan],
    h: Hierarchy,
    plan_key: str,
    entered_by: str,
    problems: _Problems,
) -> list[Submission]:
    if reader.fieldnames is None or [f.strip() for f in reader.fieldnames] != CSV_COLUMNS:
        raise _fail(
            path,
            f"the header must be {','.join(CSV_COLUMNS)} (found {reader.fieldnames})",
            place="row 1",
        )
    # " unit_id" is accepted as unit_id above, so rows must be keyed by the stripped names.
    reader.fieldnames = CSV_COLUMNS
    by_unit: dict[tuple[str, str], list[TaskStatus]] = {}
    expected: dict[str, dict[str, Task]] = {}
    seen: dict[tuple[str, str], dict[str, int]] = {}  # (unit, period) → task id → row
    for n, row in enumerate(reader, start=2):

        def at(column: str, n: int = n) -> str:
            return f"row {n}, column {column}"

        unit_id = (row["unit_id"] or "").strip()
        if unit_id not in plans or unit_id not in h:
            problems.add(f"unit {unit_id!r} has no plan in {plan_key}", at("unit_id"))
            continue
        unit = h.unit(unit_id)
        try:
            period = Period.parse(row["period"] or "")
        except ValueError as exc:
            problems.add(str(exc), at("period"))
            continue
        if unit_id not in expected:
            expected[unit_id] = {t.id: t for t in reported_tasks(unit, plans, h)}
        task_id = (row["task_id"] or "").strip()
        if task_id not in expected[unit_id]:
            problems.add(f"task {task_id!r} is not a task of {unit.name}", at("task_id"))
            continue
        got = seen.setdefault((unit_id, period.key), {})
        if task_id in got:
            problems.add(
                f"task {task_id!r} of {unit_id} for {period.key} appears twice "
                f"(first in row {got[task_id]})",
                at("task_id"),
            )
            continue
        got[task_id] = n
        answers = _answers(
            (row["state"], (row["done_on"] or "").strip(), (row["count"] or "").strip()),
            (at("state"), at("done_on"), at("count")),
            period,
            problems,
            _count_text,
        )
        if answers is not None:
            state, done_on, count = answers
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
    # A unit's report for a period is every row of it: a task left out would roll up as if
    # the unit did not owe it.
    for (unit_id, period_key), got in seen.items():
        for task in expected[unit_id].values():
            if task.id not in got:
                problems.add(
                    f"task {_task_name(task)} is missing: a CSV lists every task of each unit "
                    f"it reports on ({len(expected[unit_id])} for {h.unit(unit_id).name})",
                    f"unit {unit_id}, period {period_key}",
                )
    problems.raise_any()
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
    """Validate every file, before anything is written.

    One :class:`IntakeError` lists the problems of all the files, so that an import of a
    district's sheets names every unit that must correct its own at once.
    """
    out: list[Submission] = []
    errors: list[IntakeError] = []
    for path in paths:
        try:
            if path.suffix.lower() == ".csv":
                out += read_csv(path, plans, h, plan_key, entered_by)
            elif path.suffix.lower() in (".xlsx", ".xlsm"):
                out.append(read_sheet(path, plans, h, plan_key, entered_by))
            else:
                raise _fail(path, "not a .xlsx or .csv file")
        except IntakeError as exc:
            errors.append(exc)
    if errors:
        raise IntakeError.gather(errors)
    return out
