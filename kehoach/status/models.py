"""What a unit reports: the state of a task, the plan it issued, a snapshot of the store."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class TaskState(StrEnum):
    """Tình trạng: where a task stands."""

    CHUA_THUC_HIEN = "chua-thuc-hien"  # not started
    DANG_THUC_HIEN = "dang-thuc-hien"  # in progress
    HOAN_THANH = "hoan-thanh"  # done

    @property
    def label(self) -> str:
        return {
            "chua-thuc-hien": "Chưa thực hiện",
            "dang-thuc-hien": "Đang thực hiện",
            "hoan-thanh": "Hoàn thành",
        }[self.value]


class TaskStatus(BaseModel):
    """What a unit reported about one task for one period."""

    model_config = _FROZEN

    unit_id: str
    task_id: str
    period: str
    state: TaskState
    done_on: dt.date | None = None
    count: int | None = Field(default=None, ge=0)


class PlanIssue(BaseModel):
    """A unit issued its own implementing plan: number and date."""

    model_config = _FROZEN

    unit_id: str
    number: str | None = None
    issued_on: dt.date


class Snapshot(BaseModel):
    """Everything reported for a plan, as the store returns it for one period."""

    model_config = _FROZEN

    statuses: list[TaskStatus] = []
    issues: list[PlanIssue] = []
    reported: list[str] = Field(default=[], description="units whose report for the period is in")
