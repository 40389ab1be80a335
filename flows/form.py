"""What a deployment's form in the Prefect UI shows: every parameter named and explained in
Vietnamese, typed so that the UI draws a plain field an operator can fill.

The UI draws a field from the parameter's JSON schema, and the schemas Python's types give
read badly there: ``X | None`` becomes a choice of types with a "Property is type None"
option, a date a mm/dd/yyyy picker, an enum its slugs (``huyen``), and every title is the
parameter's name. So each optional parameter here is one string in the form — empty means
"as by default", as the descriptions say — while the flow still receives its Python type
(``None``, a ``dt.date``, a ``Level``), and a typed call from Python or the CLI passes the
same values as before. Titles go in ``json_schema_extra``: Prefect sets a parameter's title to
its name and its description from the docstring, and applies the extra keys after both.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, WithJsonSchema
from pydantic.fields import FieldInfo

from hierarchy.units import Level

#: A date as a Vietnamese office writes it (20/03/2024), or as ISO (2024-03-20); empty = none.
DAY_PATTERN = r"^$|^\d{1,2}/\d{1,2}/\d{4}$|^\d{4}-\d{2}-\d{2}$"
#: A report period, as kehoach.status.periods.Period.parse reads it (case does not matter).
PERIOD_PATTERN = r"^$|^\d{4}-([Qq]1|6[Mm]|9[Mm]|[Yy])$"

#: The levels a cascade can stop at, as the form names them; the first drafts every level.
ALL_LEVELS = "Tất cả các cấp, đến phòng, ban"
LEVEL_CHOICES: dict[str, Level | None] = {
    ALL_LEVELS: None,
    "Cấp tỉnh": Level.TINH,
    "Cấp huyện": Level.HUYEN,
    "Cấp xã": Level.XA,
}


def form(title: str, description: str, *, blank: object = None, **extra: Any) -> FieldInfo:
    """The form's title and description of a parameter (``Annotated[T, form(...)]``).

    ``blank`` is what the form shows for a parameter whose Python default is None (an empty
    string, or the choice that means "all"): the schema's default must be one the field can
    hold, or the UI shows it as a type of its own.
    """
    shown: dict[str, Any] = {"title": title, "description": description, **extra}
    if blank is not None:
        shown["default"] = blank
    field: FieldInfo = Field(json_schema_extra=shown)
    return field


def _blank(value: object) -> object:
    """An empty field is "not given"."""
    return None if isinstance(value, str) and not value.strip() else value


def _day(value: object) -> object:
    """20/03/2024 or 2024-03-20 as a date; a date as it is; empty as None."""
    value = _blank(value)
    if isinstance(value, str):
        m = re.fullmatch(r"\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*", value)
        if m:
            day, month, year = (int(g) for g in m.groups())
            return dt.date(year, month, day)  # a day not in the calendar: a ValueError
    return value


def _level(value: object) -> object:
    """A choice of the form, a level's slug (``huyen``, from the CLI) or a Level."""
    value = _blank(value)
    if isinstance(value, str) and value in LEVEL_CHOICES:
        return LEVEL_CHOICES[value]
    return value


def level_choice(level: Level | None) -> str:
    """The form's words for ``level`` (the CLI sends these to a deployment)."""
    return next(k for k, v in LEVEL_CHOICES.items() if v == level)


_TEXT = WithJsonSchema({"type": "string"})

#: Optional text (a unit, a database URL): empty = the default behaviour.
Text = Annotated[str | None, BeforeValidator(_blank), _TEXT]
#: An optional file on the server: empty = none.
FilePath = Annotated[Path | None, BeforeValidator(_blank), _TEXT]
#: An optional date, typed 20/03/2024.
Day = Annotated[
    dt.date | None,
    BeforeValidator(_day),
    WithJsonSchema({"type": "string", "pattern": DAY_PATTERN, "examples": ["20/03/2024"]}),
]
#: An optional report period, 2024-Q1: empty = the latest whose cut-off has passed.
PeriodText = Annotated[
    str | None,
    BeforeValidator(_blank),
    WithJsonSchema({"type": "string", "pattern": PERIOD_PATTERN, "examples": ["2024-Q1"]}),
]
#: The deepest level a cascade drafts, a drop-down of Vietnamese names.
LevelChoice = Annotated[
    Level | None,
    BeforeValidator(_level),
    WithJsonSchema({"type": "string", "enum": list(LEVEL_CHOICES)}),
]

# The parameters the flows share, titled once.
PLAN = form(
    "Kế hoạch (tệp YAML)",
    "Kế hoạch cấp trên, tệp YAML trên máy chủ, ví dụ examples/ha-noi-145-kh-ubnd.yaml",
    examples=["examples/ha-noi-145-kh-ubnd.yaml"],
)
HIERARCHY = form(
    "Danh mục đơn vị",
    "hanoi-2024 (trước 1/7/2025: thành phố → quận, huyện → phường, xã), hanoi-2025 (từ "
    "1/7/2025), vn-2024, vn-2025, hoặc một tệp YAML",
    examples=["hanoi-2024", "hanoi-2025"],
)
OUT = form(
    "Thư mục kết quả",
    "Mỗi kế hoạch có một thư mục riêng trong thư mục này (dự thảo, biểu mẫu, số liệu tổng hợp)",
)
DATABASE = form(
    "Cơ sở dữ liệu tình hình thực hiện",
    "Để trống: KEHOACH_DATABASE_URL hoặc data/kehoach.sqlite3",
    blank="",
)
PERIOD = form(
    "Kỳ báo cáo",
    "Theo Nghị định 09/2019: 2024-Q1 (quý I), 2024-6M (6 tháng), 2024-9M (9 tháng), 2024-Y "
    "(năm). Để trống: kỳ gần nhất đã chốt số liệu",
    blank="",
)
