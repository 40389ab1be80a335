"""Connecting to the status store and reading and writing it.

``connect(url)`` opens (and migrates to the latest schema) the database: SQLite by default,
in WAL mode with a busy timeout so a reader never blocks a writer and two writers wait for
each other instead of failing; PostgreSQL when the URL says so.

Writers are serialised, whichever process they run in: on SQLite a write transaction starts
with ``BEGIN IMMEDIATE`` (taking the write lock at once, so "check, then insert" cannot race
and a second writer waits out the busy timeout instead of failing on lock upgrade); on
PostgreSQL it takes a transaction-scoped advisory lock. Migrations run the same way, so two
processes opening a new database at once do not both create the tables.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from pydantic import BaseModel, ConfigDict
from sqlalchemy import Connection, Engine, create_engine, event, func, select, text
from sqlalchemy.orm import Session

from kehoach.cascade.issued import IssuedPlan, IssueError, Overrides, find_folder, issued_plan
from kehoach.cascade.manifest import hierarchy_key, read_manifest
from kehoach.io.errors import KehoachError
from kehoach.plan.deadline import format_date
from kehoach.plan.model import Plan
from kehoach.status.models import PlanIssue, Snapshot, TaskState, TaskStatus
from kehoach.status.periods import Period
from kehoach.status.store.tables import PlanIssueRow, Submission, TaskStatusRow

DEFAULT_URL = "sqlite:///data/kehoach.sqlite3"
MIGRATIONS = Path(__file__).parent / "migrations"


def utc_now() -> dt.datetime:
    """Now in UTC, without tzinfo: the store keeps naive UTC times (SQLite has no zones)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class StoreError(KehoachError):
    """The status store cannot be reached or written."""


def database_url(explicit: str | None = None) -> str:
    """The URL to use: the option, else ``KEHOACH_DATABASE_URL``, else a SQLite file."""
    return explicit or os.environ.get("KEHOACH_DATABASE_URL") or DEFAULT_URL


#: Execution option that marks a connection as a writer (see :func:`_begin`).
WRITER = "kehoach_writer"
#: The PostgreSQL advisory lock writers take (any constant shared by all kehoach processes).
_PG_LOCK = 0x6B65686F  # "keho"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # The driver's own transaction handling is switched off (isolation_level None) so that
    # _begin decides how each transaction starts; this is SQLAlchemy's documented recipe.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _begin(connection: Connection) -> None:
    """Start a SQLite transaction: IMMEDIATE (write lock now) for writers, deferred for readers."""
    writer = connection.get_execution_options().get(WRITER, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if writer else "BEGIN")


def writer(engine: Engine) -> Engine:
    """``engine`` for one serialised write transaction at a time across processes."""
    return engine.execution_options(**{WRITER: True})


def _lock(connection: Connection) -> None:
    """On PostgreSQL, wait for the writers' advisory lock (released at commit or rollback)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK})


def connect(url: str | None = None) -> Engine:
    """An engine on the store, its schema migrated to the latest revision."""
    url = database_url(url)
    try:
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url)
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
            event.listen(engine, "begin", _begin)
        upgrade(engine)
    except Exception as exc:  # any driver or file error: one clear line, not a traceback
        first = str(exc).splitlines()[0]
        raise StoreError(f"cannot open the status database: {first}", where=url) from None
    return engine


def upgrade(engine: Engine) -> None:
    """Run Alembic migrations up to head on ``engine``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with writer(engine).begin() as connection:
        _lock(connection)
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


class Provenance(BaseModel):
    """Where a submission came from."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    plan_key: str
    unit_id: str
    period: str | None
    kind: str = "report"
    source: str
    source_name: str
    source_sha256: str | None = None
    entered_by: str


class Recorded(BaseModel):
    """What :func:`record` did: submissions written, and those already in the store."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    recorded: int
    already: int


def content_sha256(statuses: list[TaskStatus], issues: list[PlanIssue]) -> str:
    """A hash of what a submission reports, independent of the file it came in."""
    payload = "\n".join(
        [s.model_dump_json() for s in sorted(statuses, key=lambda s: (s.task_id, s.period))]
        + [i.model_dump_json() for i in issues]
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def record(
    engine: Engine,
    submissions: Iterable[tuple[Provenance, list[TaskStatus], list[PlanIssue]]],
    entered_at: dt.datetime | None = None,
) -> Recorded:
    """Write submissions in ONE transaction: all land or none.

    A submission whose unit, period and content are already in the store is skipped, so
    importing the same files again (after a crash, or twice by mistake) adds nothing.
    """
    when = entered_at or utc_now()
    n = already = 0
    with Session(writer(engine)) as session, session.begin():
        _lock(session.connection())
        for prov, statuses, issues in submissions:
            digest = content_sha256(statuses, issues)
            known = session.execute(
                select(Submission.id).where(
                    Submission.plan_key == prov.plan_key,
                    Submission.unit_id == prov.unit_id,
                    Submission.period == prov.period,
                    Submission.kind == prov.kind,
                    Submission.content_sha256 == digest,
                )
            ).first()
            if known is not None:
                already += 1
                continue
            sub = Submission(**prov.model_dump(), content_sha256=digest, entered_at=when)
            session.add(sub)
            session.flush()
            session.add_all(
                TaskStatusRow(
                    submission_id=sub.id,
                    plan_key=prov.plan_key,
                    unit_id=s.unit_id,
                    period=s.period,
                    task_id=s.task_id,
                    state=s.state.value,
                    done_on=s.done_on,
                    count=s.count,
                )
                for s in statuses
            )
            session.add_all(
                PlanIssueRow(
                    submission_id=sub.id,
                    plan_key=prov.plan_key,
                    unit_id=i.unit_id,
                    number=i.number,
                    issued_on=i.issued_on,
                )
                for i in issues
            )
            n += 1
    return Recorded(recorded=n, already=already)


def snapshot(
    engine: Engine, plan_key: str, period: Period, recorded_by: dt.datetime | None = None
) -> Snapshot:
    """What was reported for ``plan_key`` up to ``period``, as the store stood at ``recorded_by``.

    Statuses of the period's year come oldest first (the roll-up keeps the latest); the latest
    plan issue per unit; the units whose report for the period is in.
    """
    when = recorded_by or utc_now() + dt.timedelta(days=1)
    with Session(engine) as session:
        rows = session.execute(
            select(TaskStatusRow)
            .join(Submission, Submission.id == TaskStatusRow.submission_id)
            .where(
                TaskStatusRow.plan_key == plan_key,
                TaskStatusRow.period.like(f"{period.year}-%"),
                Submission.entered_at <= when,
            )
            .order_by(TaskStatusRow.id)
        ).scalars()
        statuses = [
            TaskStatus(
                unit_id=r.unit_id,
                task_id=r.task_id,
                period=r.period,
                state=TaskState(r.state),
                done_on=r.done_on,
                count=r.count,
            )
            for r in rows
        ]
        latest = (
            select(func.max(PlanIssueRow.id))
            .join(Submission, Submission.id == PlanIssueRow.submission_id)
            .where(PlanIssueRow.plan_key == plan_key, Submission.entered_at <= when)
            .group_by(PlanIssueRow.unit_id)
        )
        issues = [
            PlanIssue(unit_id=r.unit_id, number=r.number, issued_on=r.issued_on)
            for r in session.execute(
                select(PlanIssueRow).where(PlanIssueRow.id.in_(latest))
            ).scalars()
        ]
        reported = sorted(
            session.execute(
                select(Submission.unit_id)
                .where(
                    Submission.plan_key == plan_key,
                    Submission.period == period.key,
                    Submission.kind == "report",
                    Submission.entered_at <= when,
                )
                .distinct()
            ).scalars()
        )
    return Snapshot(statuses=statuses, issues=issues, reported=reported)


def history(engine: Engine, plan_key: str, unit_id: str, task_id: str) -> list[dict[str, Any]]:
    """Every status ever recorded for one task of one unit, with its provenance."""
    with Session(engine) as session:
        rows = session.execute(
            select(TaskStatusRow, Submission)
            .join(Submission, Submission.id == TaskStatusRow.submission_id)
            .where(
                TaskStatusRow.plan_key == plan_key,
                TaskStatusRow.unit_id == unit_id,
                TaskStatusRow.task_id == task_id,
            )
            .order_by(TaskStatusRow.id)
        ).all()
        return [
            {
                "period": s.period,
                "state": s.state,
                "done_on": s.done_on,
                "count": s.count,
                "source": sub.source,
                "source_name": sub.source_name,
                "entered_by": sub.entered_by,
                "entered_at": sub.entered_at,
            }
            for s, sub in rows
        ]


#: The source of a submission that is a signed document (``kehoach plan issue``).
ISSUE = "issue"


def _same_number(a: str | None, b: str | None) -> bool:
    """ "67/KH-UBND" is "67/kh-ubnd" is "67 / KH-UBND"; "05/KH-UBND" is "5/KH-UBND"."""

    def norm(n: str | None) -> str:
        number, _, symbol = "".join((n or "").split()).upper().partition("/")
        return f"{number.lstrip('0')}/{symbol}"

    return a is not None and b is not None and norm(a) == norm(b)


def record_issued(
    engine: Engine,
    issued: IssuedPlan,
    entered_by: str,
    entered_at: dt.datetime | None = None,
) -> Recorded:
    """Record a plan a unit issued (checked by :func:`kehoach.cascade.issued.issued_plan`).

    Refuses, with nothing written, a number the unit already used that year (for any plan:
    a unit numbers each document once a year), checked inside the write transaction so two
    clerks issuing at once cannot both take it. The same document recorded again is
    "already" there and adds nothing.
    """
    when = entered_at or utc_now()
    digest = hashlib.sha256(issued.model_dump_json(exclude={"source_name"}).encode()).hexdigest()
    year = issued.date.year
    with Session(writer(engine)) as session, session.begin():
        _lock(session.connection())
        known = session.execute(
            select(Submission.id).where(
                Submission.plan_key == issued.plan_key,
                Submission.unit_id == issued.unit_id,
                Submission.kind == ISSUE,
                Submission.content_sha256 == digest,
            )
        ).first()
        if known is not None:
            return Recorded(recorded=0, already=1)
        used = session.execute(
            select(PlanIssueRow, Submission)
            .join(Submission, Submission.id == PlanIssueRow.submission_id)
            .where(
                PlanIssueRow.unit_id == issued.unit_id,
                PlanIssueRow.issued_on >= dt.date(year, 1, 1),
                PlanIssueRow.issued_on <= dt.date(year, 12, 31),
            )
        ).all()
        for row, sub in used:
            if _same_number(row.number, issued.number):
                raise IssueError(
                    f"number {issued.number} is already used by {issued.issuer} in {year}: "
                    f"{row.number} of {format_date(row.issued_on)}, recorded "
                    f"{sub.entered_at:%d/%m/%Y %H:%M} UTC from {sub.source_name}; a unit "
                    "numbers each document once a year",
                    where=issued.source_name,
                )
        sub = Submission(
            plan_key=issued.plan_key,
            unit_id=issued.unit_id,
            period=None,
            kind=ISSUE,
            source="docx",
            source_name=issued.source_name[-500:],
            source_sha256=issued.sha256,
            content_sha256=digest,
            entered_by=entered_by,
            entered_at=when,
        )
        session.add(sub)
        session.flush()
        session.add(
            PlanIssueRow(
                submission_id=sub.id,
                plan_key=issued.plan_key,
                unit_id=issued.unit_id,
                number=issued.number,
                issued_on=issued.date,
                hierarchy=issued.hierarchy,
                parent_unit_id=issued.parent_unit_id,
                implements=issued.implements,
                signer=issued.signer[:200] if issued.signer else None,
                plan_json=issued.plan.model_dump_json(),
            )
        )
    return Recorded(recorded=1, already=0)


def issued_plans(
    engine: Engine, plan_key: str, hierarchy: str, recorded_by: dt.datetime | None = None
) -> dict[str, IssuedPlan]:
    """The latest plan each unit issued in the cascade of ``plan_key`` over ``hierarchy`` (a
    source or a file, as the cascade was given it), by unit: what the cascade drafts the
    units below from. Numbers and dates recorded without the document (a sheet, ``status
    set``) count for the roll-up, not here."""
    when = recorded_by or utc_now() + dt.timedelta(days=1)
    hierarchy = hierarchy_key(hierarchy)
    with Session(engine) as session:
        latest = (
            select(func.max(PlanIssueRow.id))
            .join(Submission, Submission.id == PlanIssueRow.submission_id)
            .where(
                PlanIssueRow.plan_key == plan_key,
                PlanIssueRow.hierarchy == hierarchy,
                PlanIssueRow.plan_json.is_not(None),
                Submission.entered_at <= when,
            )
            .group_by(PlanIssueRow.unit_id)
        )
        rows = session.execute(
            select(PlanIssueRow, Submission)
            .join(Submission, Submission.id == PlanIssueRow.submission_id)
            .where(PlanIssueRow.id.in_(latest))
        ).all()
        return {
            row.unit_id: IssuedPlan(
                unit_id=row.unit_id,
                plan_key=row.plan_key,
                hierarchy=hierarchy,
                parent_unit_id=row.parent_unit_id,
                implements=row.implements or "",
                plan=Plan.model_validate_json(row.plan_json or "{}"),
                sha256=sub.source_sha256 or "",
                source_name=sub.source_name,
            )
            for row, sub in rows
        }


def stored_issued_plans(url: str | None, plan_key: str, hierarchy: str) -> dict[str, IssuedPlan]:
    """:func:`issued_plans` in the store at ``url`` (as :func:`database_url` chooses it), for
    a cascade. A SQLite file that does not exist holds none and is not created: a cascade on
    a fresh machine needs no store."""
    url = database_url(url)
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        return {}
    return issued_plans(connect(url), plan_key, hierarchy)


class Issued(BaseModel):
    """What :func:`issue_plan` did: the plan as recorded, and whether it was new."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    issued: IssuedPlan
    recorded: bool  # False: the same document was already in the store


def issue_plan(
    engine: Engine,
    plan: Plan,
    data: bytes,
    path: Path,
    *,
    entered_by: str,
    folder: Path | None = None,
    overrides: Overrides | None = None,
    entered_at: dt.datetime | None = None,
) -> Issued:
    """Check the plan a unit issued from file ``path`` (``data``, read as ``plan``) and
    record it: the one call of ``kehoach plan issue`` and the ``issue-plan`` flow.

    The plans already issued in the same cascade are read first, so the date is checked
    against the parent's issued plan; every refusal is one line and records nothing.
    """
    where = folder or find_folder(path)
    manifest = read_manifest(where) if where is not None else None
    above = issued_plans(engine, manifest.plan.key, manifest.hierarchy) if manifest else {}
    issued = issued_plan(plan, data, path, folder=where, above=above, overrides=overrides)
    done = record_issued(engine, issued, entered_by, entered_at)
    return Issued(issued=issued, recorded=bool(done.recorded))
