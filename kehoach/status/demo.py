"""Plausible answers for the demo: fill generated intake sheets as units would.

Deterministic (seeded by unit id), so the demo's roll-up is the same on every machine. Not
used by the product itself.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

from openpyxl import load_workbook

from kehoach.status.intake import HEADER_ROW, META, SHEET
from kehoach.status.models import TaskState
from kehoach.status.periods import Period


def fill_sheet(path: Path, period: Period, seed: str) -> None:
    """Answer every row of an intake sheet: mostly done, some late, some open."""
    rng = random.Random(seed)
    wb = load_workbook(path)
    ws = wb[SHEET]
    span = (period.end - period.start).days
    for row in range(HEADER_ROW + 1, ws.max_row + 1):
        if not ws[f"A{row}"].value:
            continue
        due = ws[f"D{row}"].value
        roll = rng.random()
        if roll < 0.65:
            state = TaskState.HOAN_THANH
            day = period.start + dt.timedelta(days=rng.randint(0, span))
            if isinstance(due, dt.datetime) and rng.random() < 0.8:
                day = min(day, due.date(), period.end)
            ws[f"F{row}"] = day
        elif roll < 0.85:
            state = TaskState.DANG_THUC_HIEN
        else:
            state = TaskState.CHUA_THUC_HIEN
        ws[f"E{row}"] = state.label
        target = ws[f"G{row}"].value
        if isinstance(target, int):
            ws[f"H{row}"] = max(0, round(target * rng.uniform(0.4, 1.4)))
    if rng.random() < 0.85:
        ws[META["number"]] = f"{rng.randint(1, 99):02d}/KH-UBND"
        ws[META["issued_on"]] = dt.date(period.year, 1, 1) + dt.timedelta(days=rng.randint(5, 80))
    wb.save(path)
