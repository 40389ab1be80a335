"""The plan (kế hoạch) model: what a plan says, validated, independent of any document layout.

A plan is issued by a unit, cites the plans it implements, sets out purposes, requirements,
content, forms and implementation, and carries a task annex (phụ lục) in which each task has a
lead unit (chủ trì), coordinating units (phối hợp), a deadline or recurrence, and optionally a
quota. A draft has no number and no date yet: the clerk fills them in when it is signed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    ValidationError,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from hierarchy.units import ROLE_PATTERN, IssuingBody, Level, Signer
from kehoach.io.errors import PlanError
from kehoach.io.reading import LINE_KEY, describe_validation_error, load_yaml, strip_lines
from kehoach.plan.deadline import Deadline, Quota, format_date
from kehoach.plan.markers import markers, plain, problem

_FROZEN = ConfigDict(frozen=True, extra="forbid")
_BLANK = " " * 6  # room for a number or a day written by hand (ND 30, PL I, II.3.c and II.4.c)


class Group(StrEnum):
    """A group of units a plan addresses as a whole."""

    CAC_PHONG_BAN = (
        "cac-phong-ban"  # all departments of the issuing unit ("các bộ phận chuyên môn")
    )
    UBND_CAP_DUOI = "ubnd-cap-duoi"  # the committees one level down ("UBND các phường")


class Assignee(BaseModel):
    """Who does a task: a functional role, a specific unit, or a group.

    In YAML write a role as its name (``van-hoa-thong-tin``), a unit as ``don-vi:00340``, a
    group as ``cac-phong-ban`` or ``ubnd-cap-duoi``, or the mapping form with a ``label``
    when the plan prints a name of its own ("Bộ phận Văn phòng").
    """

    model_config = _FROZEN

    role: str | None = Field(default=None, pattern=ROLE_PATTERN)
    unit: str | None = None
    group: Group | None = None
    level: Level | None = Field(
        default=None,
        description="every committee of a level: in a city's plan, xa is 'UBND các xã, phường'",
    )
    label: str | None = Field(default=None, description="the name as printed in this plan")

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        text = value.strip()
        if text.startswith("don-vi:"):
            return {"unit": text.removeprefix("don-vi:").strip()}
        if text in {g.value for g in Group}:
            return {"group": text}
        if re.match(ROLE_PATTERN, text):
            return {"role": text}
        raise ValueError(
            f"{value!r} is not a role (e.g. van-hoa-thong-tin), a unit (don-vi:00340) or a "
            "group (cac-phong-ban, ubnd-cap-duoi)"
        )

    @model_validator(mode="after")
    def _exactly_one(self) -> Assignee:
        # A role resolved to a department keeps both: the unit for this plan, the role for
        # the plans below it.
        if (self.group is not None or self.level is not None) and (self.role or self.unit):
            raise ValueError("a group or a level cannot also be a role or a unit")
        if self.group is not None and self.level is not None:
            raise ValueError("an assignee is a group or a level, not both")
        if self.group is None and self.level is None and not (self.role or self.unit):
            raise ValueError("an assignee needs a role, a unit, a group or a level")
        return self


class Below(BaseModel):
    """How a task reads in the plans of the units that carry it out, where that differs.

    A city task "UBND các phường đăng tải ..." (lead ``ubnd-cap-duoi``) becomes, in a ward's
    own plan, "Tuyên truyền ... trên Trang thông tin điện tử của phường" led by the ward's
    ``van-hoa-thong-tin`` section.
    """

    model_config = _FROZEN

    title: str | None = None
    lead: Assignee | None = None
    coordinating: tuple[Assignee, ...] | None = None


class Task(BaseModel):
    """Nhiệm vụ: one row of the annex.

    ``id`` is stable across levels and report periods (status reports refer to it);
    ``origin`` is the id of the parent plan's task it implements. ``stt`` is the number
    printed in the TT column: omitted, rows are numbered in order; ``""`` prints a blank (a
    second row of the same task, as in 55/KH-UBND). ``levels`` lists the levels the task is
    carried down to (all, when omitted); ``issues_plan`` marks the task "issue your own
    implementing plan", which the roll-up counts as plan issued on time / late / missing;
    ``below`` is how the task reads where it is carried out, if not as here.
    """

    model_config = _FROZEN

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    title: str = Field(min_length=1)
    lead: Assignee
    coordinating: tuple[Assignee, ...] = ()
    deadline: Deadline
    quota: Quota | None = None
    stt: str | None = None
    levels: tuple[Level, ...] | None = None
    issues_plan: bool = False
    below: Below | None = None
    origin: str | None = None


class DocumentRef(BaseModel):
    """A document a plan implements or cites ("Kế hoạch số 67/KH-UBND ngày 19/02/2024 ...").

    ``number`` is None when the cited plan is still a draft: it is then cited by summary.
    """

    model_config = _FROZEN

    kind: str = Field(default="Kế hoạch", description="Kế hoạch, Chương trình, Quyết định ...")
    number: str | None = Field(default=None, description="number and symbol, e.g. 67/KH-UBND")
    date: dt.date | None = None
    issuer: str = Field(min_length=1, description="as cited, e.g. UBND quận Hoàng Mai")
    summary: str = Field(min_length=1, description="what it is about, lower-case start")
    symbol: str | None = Field(
        default=None, description="a draft's symbol (KH-UBND): cited with blanks for its number"
    )
    year: int | None = Field(default=None, description="a draft's year, for its blank date")

    @property
    def citation(self) -> str:
        """ "Kế hoạch số 67/KH-UBND ngày 19/02/2024 của UBND quận Hoàng Mai về …"; a draft
        leaves blanks for the number and date the clerk will write in by hand."""
        parts = [self.kind]
        if self.number:
            parts.append(f"số {self.number}")
        elif self.symbol:
            parts.append(f"số{_BLANK}/{self.symbol}")
        if self.date:
            parts.append(f"ngày {format_date(self.date)}")
        elif self.symbol:
            parts.append(f"ngày{_BLANK}/{_BLANK}/{self.year or ''}".rstrip("/"))
        parts.append(f"của {self.issuer} về {self.summary}")
        return " ".join(parts)


class Section(BaseModel):
    """A numbered part of the body: a title, its paragraphs, and sub-parts."""

    model_config = _FROZEN

    title: str | None = None
    paragraphs: tuple[str, ...] = ()
    sections: tuple[Section, ...] = ()
    assignee: Assignee | None = Field(
        default=None, description="in Tổ chức thực hiện: the unit this part addresses"
    )


class Recipient(BaseModel):
    """Nơi nhận: one recipient line, "- UBND quận Hoàng Mai: Để báo cáo;"."""

    model_config = _FROZEN

    name: str = Field(min_length=1)
    purpose: str | None = Field(default=None, description="Để báo cáo, Để thực hiện, Để biết")


class Issuer(BaseModel):
    """The issuing unit: its id in the hierarchy, how it is cited, and its header lines."""

    model_config = _FROZEN

    unit_id: str | None = None
    name: str = Field(min_length=1, description="as cited, e.g. UBND phường Yên Sở")
    body: IssuingBody


class Term(BaseModel):
    """The years a plan covers (2024; 2021-2025)."""

    model_config = _FROZEN

    start: int = Field(ge=1945, le=2100)
    end: int = Field(ge=1945, le=2100)

    @model_validator(mode="after")
    def _ordered(self) -> Term:
        if self.end < self.start:
            raise ValueError(f"term ends ({self.end}) before it starts ({self.start})")
        return self

    @property
    def text(self) -> str:
        """ "2024", "2021–2025"."""
        return str(self.start) if self.end == self.start else f"{self.start}–{self.end}"


class Plan(BaseModel):
    """Kế hoạch: a plan as issued (or drafted) by one unit."""

    model_config = _FROZEN

    doc_type: Literal["KẾ HOẠCH"] = "KẾ HOẠCH"
    number: int | None = Field(default=None, ge=1, description="None in a draft")
    symbol: str = Field(default="KH-UBND", pattern=r"^[A-ZĐ0-9]+(-[A-ZĐ0-9]+)*$")
    issuer: Issuer
    place: str = Field(min_length=1, description="place name for the dateline")
    date: dt.date | None = Field(default=None, description="None in a draft")
    summary: str = Field(min_length=1, description="trích yếu, sentence case")
    term: Term
    references: tuple[DocumentRef, ...] = ()
    preamble: str | None = Field(
        default=None, description="the opening paragraph; generated from references if absent"
    )
    purposes: tuple[str, ...] = ()
    requirements: tuple[str, ...] = ()
    content: tuple[Section, ...] = ()
    forms: tuple[Section, ...] = ()
    implementation: tuple[Section, ...] = ()
    budget: tuple[str, ...] = ()
    closing: str | None = None
    annex_title: str = "MỘT SỐ NHIỆM VỤ CỤ THỂ"
    tasks: tuple[Task, ...] = ()
    recipients: tuple[Recipient, ...] = ()
    signer: Signer

    @model_validator(mode="wrap")
    @classmethod
    def _consistent(cls, data: Any, handler: ModelWrapValidatorHandler[Plan]) -> Plan:
        """The plan's own rules, checked once: a plan given as a plan was checked when it was
        built (it is frozen), where an after-validator would check it again for every model
        holding it (each draft, each batch's job), a tenth of deriving a draft."""
        if type(data) is cls:
            return data
        self = handler(data)
        ids = [t.id for t in self.tasks]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"task ids must be unique; repeated: {', '.join(dupes)}")
        if (self.number is None) != (self.date is None):
            raise ValueError("an issued plan has both number and date; a draft has neither")
        self._no_task_due_before_the_plan()
        for where, text in self.texts():
            if (wrong := problem(text)) is not None:
                raise ValueError(f"{where}: {wrong}")
        return self

    @property
    def has_markers(self) -> bool:
        """Whether the plan marks where it speaks of itself (else a child copies it as is)."""
        return any(True for _, text in self.texts() for _ in markers(text))

    def _no_task_due_before_the_plan(self) -> None:
        """Refuse a task due before the day the plan is issued: nobody could meet it.

        Only a dated (issued) plan is checked; a draft's date is not known yet. A window
        ("Trong năm 2023") is before the plan when it ends before, and a recurrence until a
        date when that date is; a recurrence without an end has no date to compare. The error
        is located at the task (``tasks.N.deadline``), so the operator sees the task's line.
        """
        if self.date is None:
            return
        date = self.date
        errors = [
            InitErrorDetails(
                type=PydanticCustomError(
                    "due_before_plan",
                    "task {task} is due {due}, before the plan's own date {date}; a task "
                    "cannot fall due before the plan that sets it is issued",
                    {"task": t.id, "due": t.deadline.due_text, "date": format_date(date)},
                ),
                loc=("tasks", i, "deadline"),
                input=t.deadline.text,
            )
            for i, t in enumerate(self.tasks)
            if (due := t.deadline.due) is not None and due < date
        ]
        if errors:
            # pydantic merges a ValidationError raised here into the plan's, at these places.
            raise ValidationError.from_exception_data(type(self).__name__, errors)

    def after_term(self) -> list[Task]:
        """Tasks due after the plan's term (a 2024 plan with a task due in 2025).

        Not an error: a task may run on past the term (the year's final report, due in
        January). But it is more often a slip of the year, so ``kehoach plan check`` warns.
        """
        last = dt.date(self.term.end, 12, 31)
        return [t for t in self.tasks if t.deadline.due is not None and t.deadline.due > last]

    @property
    def is_draft(self) -> bool:
        return self.number is None

    @property
    def number_symbol(self) -> str:
        """ "55/KH-UBND"; "05/KH-UBND" below 10; a draft leaves the number blank."""
        if self.number is None:
            return f"      /{self.symbol}"
        return f"{self.number:02d}/{self.symbol}"

    @property
    def number_line(self) -> str:
        """ "Số: 55/KH-UBND"; a draft: "Số:      /KH-UBND" (room for the number by hand)."""
        return f"Số:{self.number_symbol}" if self.is_draft else f"Số: {self.number_symbol}"

    @property
    def dateline(self) -> str:
        """ "Yên Sở, ngày 20 tháng 02 năm 2024" (ND30: leading 0 for day < 10, months 1–2)."""
        if self.date is None:
            year = self.term.start
            return f"{self.place}, ngày      tháng      năm {year}"
        month = f"{self.date.month:02d}" if self.date.month < 3 else str(self.date.month)
        return f"{self.place}, ngày {self.date.day:02d} tháng {month} năm {self.date.year}"

    def as_reference(self) -> DocumentRef:
        """How a child plan cites this one: as issued, or a draft with blanks to fill in."""
        summary = plain(self.summary)
        return DocumentRef(
            number=None if self.number is None else self.number_symbol,
            date=self.date,
            issuer=self.issuer.name,
            summary=summary[:1].lower() + summary[1:],
            symbol=self.symbol if self.number is None else None,
            year=self.term.start if self.number is None else None,
        )

    def texts(self) -> Iterator[tuple[str, str]]:
        """Every text of the plan that may speak of its issuer, with where it is."""
        yield "summary", self.summary
        for name in ("purposes", "requirements", "budget"):
            for i, text in enumerate(getattr(self, name)):
                yield f"{name}.{i}", text
        if self.closing:
            yield "closing", self.closing
        for name in ("content", "forms", "implementation"):
            for i, section in enumerate(getattr(self, name)):
                yield from _section_texts(f"{name}.{i}", section)
        for i, task in enumerate(self.tasks):
            yield f"tasks.{i}.title", task.title
            if task.below and task.below.title:
                yield f"tasks.{i}.below.title", task.below.title


def _section_texts(where: str, section: Section) -> Iterator[tuple[str, str]]:
    if section.title:
        yield f"{where}.title", section.title
    for i, text in enumerate(section.paragraphs):
        yield f"{where}.paragraphs.{i}", text
    for i, sub in enumerate(section.sections):
        yield from _section_texts(f"{where}.sections.{i}", sub)


def task_line(raw: Any, task_id: str) -> int | None:
    """The YAML line where task ``task_id`` starts in a file read by ``load_yaml``.

    A check that runs after validation (a deadline after the parent's, after the term) names
    the task's line as validation errors do.
    """
    tasks = raw.get("tasks") if isinstance(raw, dict) else None
    for task in tasks if isinstance(tasks, list) else []:
        if isinstance(task, dict) and str(task.get("id")) == task_id:
            line = task.get(LINE_KEY)
            return line if isinstance(line, int) else None
    return None


def load_plan(path: Path) -> Plan:
    """Read and validate a plan YAML file; PlanError names the file, line and field."""
    raw = load_yaml(path)
    if not isinstance(raw, dict):
        raise PlanError("a plan file is a mapping (number, issuer, summary, tasks ...)", where=path)
    try:
        return Plan.model_validate(strip_lines(raw))
    except ValidationError as exc:
        where, what = describe_validation_error(exc, raw, path)
        raise PlanError(what, where=where) from None
