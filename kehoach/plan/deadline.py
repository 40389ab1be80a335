"""Deadlines (thời hạn), recurrences (định kỳ) and quotas (chỉ tiêu) of plan tasks.

Plans write deadlines in words: "Chậm nhất ngày 20/2/2024", "Trước ngày 15/3/2024",
"Trong năm 2024", "Tháng 9/2024", "Định kỳ hàng tháng", "Định kỳ quý 1, 6 tháng, 9 tháng, năm".
Operators may write exactly that in YAML; :func:`parse_deadline` turns it into a due date or a
recurrence and keeps the wording, so the annex prints what the plan says.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Recurrence(StrEnum):
    """Định kỳ: how often a recurring task falls due."""

    HANG_THANG = "hang-thang"  # monthly
    HANG_QUY = "hang-quy"  # quarterly
    KY_BAO_CAO = "ky-bao-cao"  # the ND 09/2019 report periods: Q1, 6 months, 9 months, year
    HANG_NAM = "hang-nam"  # yearly
    THUONG_XUYEN = "thuong-xuyen"  # continuous: no fixed date

    @property
    def wording(self) -> str:
        return _RECURRENCE_WORDING[self]


_RECURRENCE_WORDING = {
    Recurrence.HANG_THANG: "Định kỳ hàng tháng",
    Recurrence.HANG_QUY: "Định kỳ hàng quý",
    Recurrence.KY_BAO_CAO: "Định kỳ quý 1, 6 tháng, 9 tháng, năm",
    Recurrence.HANG_NAM: "Định kỳ hàng năm",
    Recurrence.THUONG_XUYEN: "Thường xuyên",
}


def format_date(day: date) -> str:
    """dd/mm/yyyy as plans cite dates in running text ("19/02/2024")."""
    return f"{day.day:02d}/{day.month:02d}/{day.year}"


class Deadline(BaseModel):
    """Thời gian hoàn thành: a due date, a recurrence, or both (a recurrence until a date).

    ``due`` is the last day the task counts as on time ("Trước ngày 15/3/2024" → 14/3/2024;
    "Trong năm 2024" → 31/12/2024). ``wording`` is the text as printed, when the plan says
    more than the data (a note in brackets); otherwise the text is generated.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    due: date | None = None
    opens: date | None = Field(
        default=None, description="start of a window deadline ('Trong năm 2024': 1/1/2024)"
    )
    recurrence: Recurrence | None = None
    wording: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_words(cls, value: Any) -> Any:
        if isinstance(value, str):
            return parse_deadline(value).model_dump(exclude_none=True)
        if isinstance(value, date):
            return {"due": value}
        return value

    @model_validator(mode="after")
    def _something(self) -> Deadline:
        if self.due is None and self.recurrence is None:
            raise ValueError("a deadline needs a date or a recurrence")
        if self.opens is not None and (self.due is None or self.opens > self.due):
            raise ValueError("a window deadline opens before it is due")
        return self

    @property
    def is_window(self) -> bool:
        """A period to work in ("Trong năm 2024"), not a day to finish by."""
        return self.opens is not None

    @property
    def due_text(self) -> str:
        """The due date for a message, with the plan's wording when that says it otherwise."""
        if self.due is None:
            return self.text
        due = format_date(self.due)
        return f"{due} ({self.wording!r})" if self.wording else due

    @property
    def text(self) -> str:
        """What the annex prints."""
        if self.wording:
            return self.wording
        if self.recurrence is not None:
            return self.recurrence.wording
        assert self.due is not None
        return f"Chậm nhất ngày {self.due.day}/{self.due.month}/{self.due.year}"


_DATE = r"(\d{1,2})\s*/\s*(\d{1,2})\s*/\s*(\d{4})"
_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^(\d{4})-(\d{2})-(\d{2})$"), "iso"),
    (re.compile(rf"^(?:chậm nhất|hạn chót|hoàn thành)?\s*(?:ngày)?\s*{_DATE}"), "by"),
    (re.compile(rf"^trước\s+ngày\s+{_DATE}"), "before"),
    (re.compile(r"^trong\s+(?:năm|cả năm)\s+(\d{4})"), "year"),
    (re.compile(r"^tháng\s+(\d{1,2})\s*/\s*(\d{4})"), "month"),
    (re.compile(r"^quý\s+(i{1,3}|iv|[1-4])\s*/\s*(\d{4})"), "quarter"),
    (re.compile(r"^(?:định kỳ\s+)?(?:hàng|hằng)\s+tháng"), Recurrence.HANG_THANG),
    (re.compile(r"^(?:định kỳ\s+)?(?:hàng|hằng)\s+quý"), Recurrence.HANG_QUY),
    (re.compile(r"^(?:định kỳ\s+)?quý\s*(?:1|i)\s*,\s*6 tháng"), Recurrence.KY_BAO_CAO),
    (re.compile(r"^(?:định kỳ\s+)?(?:hàng|hằng)\s+năm"), Recurrence.HANG_NAM),
    (re.compile(r"^thường\s+xuyên"), Recurrence.THUONG_XUYEN),
]
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}


def _day(year: str, month: str, day: str, text: str) -> date:
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        raise ValueError(f"{text!r}: {day}/{month}/{year} is not a date in the calendar") from None


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def parse_deadline(text: str) -> Deadline:
    """A deadline from its Vietnamese wording (or an ISO date); ValueError if unreadable."""
    words = " ".join(text.split())
    key = words.casefold()
    for pattern, rule in _RULES:
        m = pattern.match(key)
        if not m:
            continue
        if isinstance(rule, Recurrence):
            return Deadline(recurrence=rule, wording=words if words != rule.wording else None)
        g = m.groups()
        if rule == "iso":
            due = _day(g[0], g[1], g[2], text)
            return Deadline(due=due)
        opens = None
        if rule == "by":
            due = _day(g[2], g[1], g[0], text)
        elif rule == "before":
            day = _day(g[2], g[1], g[0], text)
            if day == date.min:  # date arithmetic would overflow, not raise ValueError
                raise ValueError(f"{text!r}: there is no day before {format_date(day)}")
            due = day - timedelta(days=1)
        elif rule == "year":
            opens, due = date(int(g[0]), 1, 1), date(int(g[0]), 12, 31)
        elif rule == "month":
            month = int(g[0])
            if not 1 <= month <= 12:
                raise ValueError(f"{text!r}: month {month} does not exist")
            opens, due = date(int(g[1]), month, 1), _month_end(int(g[1]), month)
        else:  # quarter
            quarter = _ROMAN.get(g[0]) or int(g[0])
            opens = date(int(g[1]), quarter * 3 - 2, 1)
            due = _month_end(int(g[1]), quarter * 3)
        return Deadline(due=due, opens=opens, wording=words)
    raise ValueError(
        f"cannot read the deadline {text!r}; write a date (15/3/2024, 'Chậm nhất ngày "
        "15/3/2024', 'Trong năm 2024', 'Tháng 9/2024') or a recurrence ('Định kỳ hàng tháng', "
        "'Định kỳ hàng quý', 'Định kỳ quý 1, 6 tháng, 9 tháng, năm', 'Định kỳ hàng năm', "
        "'Thường xuyên')"
    )


class QuotaPeriod(StrEnum):
    """The period a quota counts over."""

    THANG = "thang"  # month
    QUY = "quy"  # quarter
    NAM = "nam"  # year

    @property
    def word(self) -> str:
        return {"thang": "tháng", "quy": "quý", "nam": "năm"}[self.value]


class Quota(BaseModel):
    """Chỉ tiêu: at least ``count`` ``item`` per ``per`` (≥12 tin/bài a year on the site)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    count: int = Field(ge=0)
    per: QuotaPeriod
    item: str = Field(default="tin/bài", min_length=1)
    channel: str | None = Field(default=None, description="where, e.g. the ward's website")

    @property
    def text(self) -> str:
        return f"tối thiểu {self.count:02d} {self.item}/{self.per.word}"

    def per_year(self) -> int:
        """The yearly target, so quotas of different periods add up."""
        return (
            self.count * {QuotaPeriod.THANG: 12, QuotaPeriod.QUY: 4, QuotaPeriod.NAM: 1}[self.per]
        )
