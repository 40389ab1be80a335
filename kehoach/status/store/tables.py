"""Tables of the status store (SQLAlchemy 2.0 declarative)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Submission(Base):
    """One act of reporting: who entered what, when, from which file (provenance)."""

    __tablename__ = "submission"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    plan_key: Mapped[str] = mapped_column(String(80), index=True)
    unit_id: Mapped[str] = mapped_column(String(64))
    period: Mapped[str | None] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(16))  # report (a unit's periodic report) | value
    source: Mapped[str] = mapped_column(String(16))  # xlsx | csv | cli | demo
    source_name: Mapped[str] = mapped_column(String(500))
    source_sha256: Mapped[str | None] = mapped_column(String(64))
    # What was reported (statuses and plan issues), hashed: the same report imported again,
    # from the same file or a re-saved copy, is recognised and not recorded twice.
    content_sha256: Mapped[str | None] = mapped_column(String(64))
    entered_by: Mapped[str] = mapped_column(String(200))
    entered_at: Mapped[dt.datetime] = mapped_column(DateTime())

    __table_args__ = (
        Index("ix_submission_plan_period_unit", "plan_key", "period", "unit_id"),
        Index(
            "ux_submission_content",
            "plan_key",
            "unit_id",
            "period",
            "kind",
            "content_sha256",
            unique=True,
        ),
    )


class TaskStatusRow(Base):
    """A task's status as one submission reported it."""

    __tablename__ = "task_status"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id"), index=True)
    plan_key: Mapped[str] = mapped_column(String(80))
    unit_id: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(8))
    task_id: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(20))
    done_on: Mapped[dt.date | None] = mapped_column(Date)
    count: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (
        Index("ix_task_status_lookup", "plan_key", "period", "unit_id", "task_id", "id"),
    )


class PlanIssueRow(Base):
    """A unit issued its own plan (number, date), as one submission reported it.

    One record for every way an issue is known, so the roll-up counts plans on time, late or
    missing from one place: a sheet's or ``status set``'s number and date, or the signed
    document itself (``kehoach plan issue``), which also keeps the signer, the plan it
    implements and the plan as issued (``plan_json``, the Plan model), from which the
    cascade drafts the units below; the file's SHA-256 is its submission's ``source_sha256``.
    """

    __tablename__ = "plan_issue"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id"), index=True)
    plan_key: Mapped[str] = mapped_column(String(80))
    unit_id: Mapped[str] = mapped_column(String(64))
    number: Mapped[str | None] = mapped_column(String(40))
    issued_on: Mapped[dt.date] = mapped_column(Date)
    hierarchy: Mapped[str | None] = mapped_column(String(80))
    parent_unit_id: Mapped[str | None] = mapped_column(String(64))
    implements: Mapped[str | None] = mapped_column(String(80))
    signer: Mapped[str | None] = mapped_column(String(200))
    plan_json: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_plan_issue_lookup", "plan_key", "unit_id", "id"),
        Index("ix_plan_issue_number", "unit_id", "number"),
    )


class PortalUser(Base):
    """An operator of the portal: the unit whose subtree they see and act on, and their role.

    Only a password's argon2 hash is kept; a user is disabled, never deleted, so what they
    entered keeps a name that means something.
    """

    __tablename__ = "portal_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    unit_id: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))  # quan-tri | can-bo
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime())
