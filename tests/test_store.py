"""The status store on a real SQLite file: migrations, all-or-nothing, history, snapshots."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from kehoach.status.models import PlanIssue, TaskState, TaskStatus
from kehoach.status.periods import Period
from kehoach.status.store.db import Provenance, connect, history, record, snapshot

Q1 = Period.parse("2024-Q1")


def _prov(unit: str = "00340", source: str = "cli") -> Provenance:
    return Provenance(
        plan_key="67/KH-UBND",
        unit_id=unit,
        period="2024-Q1",
        source=source,
        source_name="test",
        entered_by="tester",
    )


def _status(
    task: str, state: TaskState, day: dt.date | None = None, count: int | None = None
) -> TaskStatus:
    return TaskStatus(
        unit_id="00340", task_id=task, period="2024-Q1", state=state, done_on=day, count=count
    )


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    return connect(f"sqlite:///{tmp_path / 'status.sqlite3'}")


def test_migrations_create_the_schema_in_wal_mode(engine: Engine) -> None:
    names = set(sa.inspect(engine).get_table_names())
    assert {"submission", "task_status", "plan_issue", "portal_user", "alembic_version"} <= names
    with engine.connect() as c:
        assert c.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
        assert c.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == "0004"
    connect(str(engine.url))  # a second open migrates nothing and fails nothing


def test_history_keeps_every_report_and_snapshot_reads_back_a_moment(engine: Engine) -> None:
    t0 = dt.datetime(2024, 3, 10, 8, 0)
    t1 = dt.datetime(2024, 3, 12, 8, 0)
    record(
        engine, [(_prov(), [_status("5", TaskState.DANG_THUC_HIEN, count=4)], [])], entered_at=t0
    )
    record(
        engine,
        [
            (
                _prov(source="xlsx"),
                [_status("5", TaskState.HOAN_THANH, dt.date(2024, 3, 11), 9)],
                [PlanIssue(unit_id="00340", number="55/KH-UBND", issued_on=dt.date(2024, 2, 20))],
            )
        ],
        entered_at=t1,
    )
    rows = history(engine, "67/KH-UBND", "00340", "5")
    assert [(r["state"], r["count"], r["source"]) for r in rows] == [
        ("dang-thuc-hien", 4, "cli"),
        ("hoan-thanh", 9, "xlsx"),
    ]
    assert all(r["entered_by"] == "tester" for r in rows)
    before = snapshot(engine, "67/KH-UBND", Q1, recorded_by=dt.datetime(2024, 3, 11))
    assert [s.state for s in before.statuses] == [TaskState.DANG_THUC_HIEN]
    assert before.issues == []
    now = snapshot(engine, "67/KH-UBND", Q1)
    assert [s.count for s in now.statuses] == [4, 9]  # oldest first; the roll-up keeps the latest
    assert now.issues[0].number == "55/KH-UBND"
    assert now.reported == ["00340"]
    assert snapshot(engine, "67/KH-UBND", Period.parse("2025-Q1")).statuses == []


def test_a_failing_batch_writes_nothing(engine: Engine) -> None:
    good = (_prov(), [_status("5", TaskState.HOAN_THANH, dt.date(2024, 3, 1), 3)], [])
    bad = (_prov(unit="x" * 100), [_status("6", TaskState.HOAN_THANH, dt.date(2024, 3, 1))], [])
    with engine.begin() as c:
        c.execute(
            sa.text(
                "CREATE TRIGGER refuse BEFORE INSERT ON task_status WHEN NEW.task_id = '6' "
                "BEGIN SELECT RAISE(ABORT, 'refused'); END"
            )
        )
    with pytest.raises(sa.exc.IntegrityError, match="refused"):
        record(engine, [good, bad])
    with engine.connect() as c:
        assert c.execute(sa.text("SELECT count(*) FROM submission")).scalar() == 0
        assert c.execute(sa.text("SELECT count(*) FROM task_status")).scalar() == 0


@pytest.mark.skipif(
    not os.environ.get("KEHOACH_TEST_POSTGRES_URL"),
    reason="set KEHOACH_TEST_POSTGRES_URL to run against PostgreSQL",
)
def test_postgres_by_url() -> None:
    engine = connect(os.environ["KEHOACH_TEST_POSTGRES_URL"])
    record(
        engine,
        [(_prov(unit="pg-test"), [_status("5", TaskState.HOAN_THANH, dt.date(2024, 3, 1), 1)], [])],
    )
    assert any(s.unit_id == "00340" for s in snapshot(engine, "67/KH-UBND", Q1).statuses)


def test_unreachable_database_is_one_clear_error(tmp_path: Path) -> None:
    from kehoach.status.store.db import StoreError

    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError, match="cannot open the status database"):
        connect(f"sqlite:///{blocker / 'db.sqlite3'}")


def _users_round_trip(engine: Engine, name: str) -> None:
    from kehoach.status.store.users import Role, UserError, add_user, disable_user, find_user

    added = add_user(engine, name, "00340", Role.CAN_BO, "$argon2id$not-a-real-hash")
    assert added.active and added.role is Role.CAN_BO
    with pytest.raises(UserError, match="already exists"):
        add_user(engine, name, "00337", Role.CAN_BO, "x")
    assert not disable_user(engine, name).active
    found = find_user(engine, name)
    assert found is not None and not found[0].active and found[1].startswith("$argon2id$")


def test_portal_users_are_kept_and_disabled(engine: Engine) -> None:
    _users_round_trip(engine, "yenso")


@pytest.mark.skipif(
    not os.environ.get("KEHOACH_TEST_POSTGRES_URL"),
    reason="set KEHOACH_TEST_POSTGRES_URL to run against PostgreSQL",
)
def test_portal_users_on_postgres() -> None:
    """Migration 0004 on PostgreSQL (the boolean column's server default included)."""
    import secrets

    _users_round_trip(connect(os.environ["KEHOACH_TEST_POSTGRES_URL"]), secrets.token_hex(6))
