"""Report periods of Nghị định 09/2019/NĐ-CP: Q1, 6 months, 9 months, year.

Each period's data runs from the 15th of the last month of the previous period to the 14th of
its last month: Q1 = 15/12 (previous year) → 14/3, 6 months = 15/12 → 14/6, 9 months =
15/12 → 14/9, year = 15/12 → 14/12 (the periods are cumulative from the start of the
reporting year). Each level submits a few days before the level above must: a ward before its
district, a district before the city. The offsets are settings, not code.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from hierarchy.units import Level


class PeriodKind(StrEnum):
    """Kỳ báo cáo: which ND 09/2019 period."""

    Q1 = "Q1"
    H1 = "6M"  # 6 tháng
    M9 = "9M"  # 9 tháng
    YEAR = "Y"  # năm

    @property
    def last_month(self) -> int:
        return {"Q1": 3, "6M": 6, "9M": 9, "Y": 12}[self.value]

    @property
    def words(self) -> str:
        return {"Q1": "quý I", "6M": "6 tháng", "9M": "9 tháng", "Y": "năm"}[self.value]


class SubmissionDays(BaseModel):
    """Days after the data cut-off by which each level submits its report upward."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    days: dict[Level, int] = Field(
        default_factory=lambda: {
            Level.PHONG_BAN: 1,
            Level.XA: 2,
            Level.HUYEN: 4,
            Level.TINH: 6,
            Level.TRUNG_UONG: 8,
        }
    )


PERIOD_PATTERN = r"^(\d{4})-(Q1|6M|9M|Y)$"
_FIRST_YEAR, _LAST_YEAR = 2000, 2100
_PERIOD = re.compile(PERIOD_PATTERN)

#: A report period as operators type it in a form: 2024-Q1, 2024-6M, 2024-9M, 2024-Y.
PeriodKey = Annotated[
    str,
    Field(pattern=PERIOD_PATTERN, description="Kỳ báo cáo: 2024-Q1, 2024-6M, 2024-9M or 2024-Y"),
]


class Period(BaseModel):
    """One report period of one year, e.g. 2024-Q1."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    year: int = Field(ge=_FIRST_YEAR, le=_LAST_YEAR)
    kind: PeriodKind

    @classmethod
    def parse(cls, text: str) -> Period:
        """ "2024-Q1", "2024-6M", "2024-9M", "2024-Y" (case-insensitive)."""
        m = _PERIOD.match(text.strip().upper())
        if not m:
            raise ValueError(
                f"{text!r} is not a report period; write 2024-Q1, 2024-6M, 2024-9M or 2024-Y"
            )
        year = int(m.group(1))
        # Checked here, not left to the model: pydantic's error is several lines long, and
        # callers print this message on one line.
        if not _FIRST_YEAR <= year <= _LAST_YEAR:
            raise ValueError(
                f"{text!r}: the year of a report period is {_FIRST_YEAR} to {_LAST_YEAR}"
            )
        return cls(year=year, kind=PeriodKind(m.group(2)))

    @property
    def key(self) -> str:
        return f"{self.year}-{self.kind.value}"

    @property
    def start(self) -> dt.date:
        """First day of data: 15 December of the previous year."""
        return dt.date(self.year - 1, 12, 15)

    @property
    def end(self) -> dt.date:
        """Data cut-off: the 14th of the period's last month."""
        return dt.date(self.year, self.kind.last_month, 14)

    @property
    def months(self) -> int:
        """How many months the period covers (for scaling yearly quotas)."""
        return self.kind.last_month

    def deadline(self, level: Level, days: SubmissionDays | None = None) -> dt.date:
        """When a unit of ``level`` must have submitted its report for this period."""
        offsets = (days or SubmissionDays()).days
        return self.end + dt.timedelta(days=offsets.get(level, 0))

    @property
    def words(self) -> str:
        """ "quý I năm 2024", "6 tháng năm 2024", "năm 2024"."""
        return (
            f"năm {self.year}"
            if self.kind is PeriodKind.YEAR
            else f"{self.kind.words} năm {self.year}"
        )

    def __str__(self) -> str:
        return self.key


def periods_of(year: int) -> list[Period]:
    return [Period(year=year, kind=k) for k in PeriodKind]


def latest_period(today: dt.date) -> Period:
    """The most recent period whose data cut-off has passed by ``today``."""
    candidates = [Period(year=y, kind=k) for y in (today.year - 1, today.year) for k in PeriodKind]
    passed = [p for p in candidates if p.end <= today]
    return max(passed, key=lambda p: p.end) if passed else candidates[0]
