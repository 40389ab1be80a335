"""What a ward section's task list prints: the context of ``danh-sach-nhiem-vu.docx``.

A bộ phận (section of a ward: the ward's civil servants for one field) has no seal, so it
issues no document under ND 30/2020: no number, no Quốc hiệu, no "TM." signature. What it
writes for the tasks its ward's plan gives it is an internal working paper, *danh sách nhiệm
vụ* (task list): the ward and the section at the top, a table of its tasks (what, its role —
chủ trì lead or phối hợp coordinating —, deadline, quota, whom it reports the result to), the
duties the plan's text gives it, and lines for the preparer (người lập) and the head of the
section (phụ trách bộ phận) to sign and print their names.

What each task says is decided by the cascade (:mod:`kehoach.cascade.departments`); this
module only lays it out, through the same compile-once renderer as the plans.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

from kehoach.documents.docx import TEMPLATES, clean_text, compile_template
from kehoach.documents.nd30 import check_task_list_docx
from kehoach.plan.markers import plain

TASK_LIST_TEMPLATE = TEMPLATES / "danh-sach-nhiem-vu.docx"


def _cleaned(value: Any) -> Any:
    """Text as printed (markers as their words), safe inside WordprocessingML."""
    if isinstance(value, str):
        return clean_text(plain(value))
    if isinstance(value, list):
        return [clean_text(plain(v)) if isinstance(v, str) else v for v in value]
    return value


class TaskRow(BaseModel):
    """One row of the table, as printed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    stt: str
    title: str
    role: str  # "Chủ trì", "Chủ trì, phối hợp với Bộ phận Một cửa", "Phối hợp với …"
    deadline: str
    quota: str  # "tối thiểu 12 tin/bài/năm", or ""
    reports_to: str  # the ward's committee for a task it leads; the lead for one it supports

    _clean = field_validator("*", mode="before")(_cleaned)


class TaskListContext(BaseModel):
    """Everything ``danh-sach-nhiem-vu.docx`` prints; the names are the template's tags."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    committee: str  # "UBND PHƯỜNG YÊN SỞ"
    section_lines: list[str]  # ["BỘ PHẬN VĂN HÓA VÀ THÔNG TIN"]
    summary: str  # what the ward's plan is about, sentence case
    caption: str  # "(Thực hiện Kế hoạch số 55/KH-UBND ngày 20/02/2024 của UBND phường Yên Sở)"
    tasks_heading: str
    tasks: list[TaskRow]
    no_tasks: str  # printed instead of the table when the plan gives the section no task
    duties_heading: str
    duties: list[str]
    dateline: str  # "Yên Sở, ngày      tháng      năm 2024"
    signer_title: str  # "PHỤ TRÁCH BỘ PHẬN"
    signer_name: str  # "" leaves the line blank, for the name written by hand

    _clean = field_validator("*", mode="before")(_cleaned)


def render_task_list(context: TaskListContext, template: Path = TASK_LIST_TEMPLATE) -> bytes:
    """The .docx bytes of a section's task list."""
    return compile_template(template).render(context.model_dump())


def sample_context() -> TaskListContext:
    """The sample beside the default template (what a template check renders)."""
    path = TEMPLATES / "danh-sach-nhiem-vu.sample.json"
    return TaskListContext.model_validate(json.loads(path.read_text(encoding="utf-8")))


def lint_task_list_template(template: Path = TASK_LIST_TEMPLATE) -> list[str]:
    """Render ``template`` with the sample; the problems :func:`check_task_list_docx` finds."""
    return check_task_list_docx(render_task_list(sample_context(), template))
