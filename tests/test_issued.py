"""Issued plans (issue 13): a district numbers and signs its draft, and its wards implement it.

Through the core's public functions, without Prefect (the flow and the CLI are in
test_issued_flow.py): a cascade of 145/KH-UBND over Hoàng Mai and Đống Đa, Hoàng Mai's draft
edited as its clerk would (a deadline moved, a task added, number, date and signer), the file
saved over its draft, recorded, then the cascade run again. What is checked is on disk (the
DOCX read with python-docx, manifest.json) and in the database (its rows).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import docx
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from hierarchy.graph import Hierarchy
from hierarchy.sources import load_hierarchy
from kehoach.cascade.issued import IssuedPlan, IssueError, Overrides, issued_plan
from kehoach.cascade.manifest import plan_folder, read_manifest
from kehoach.cascade.run import CascadeOutcome, prepare, running
from kehoach.cascade.walk import cascade, plans_by_unit
from kehoach.documents.plan_document import render_plan
from kehoach.plan.deadline import Deadline
from kehoach.plan.model import Assignee, Plan, Task, load_plan
from kehoach.status.models import PlanIssue
from kehoach.status.periods import Period
from kehoach.status.rollup import roll_up
from kehoach.status.store.db import (
    MIGRATIONS,
    Provenance,
    connect,
    issued_plans,
    record,
    record_issued,
    snapshot,
)
from tests.conftest import EXAMPLES, files

PLAN_145 = EXAMPLES / "ha-noi-145-kh-ubnd.yaml"
KEY = "145/KH-UBND"
#: Hoàng Mai as examples/hierarchies/hoang-mai.yaml has it, and a second district beside it,
#: whose drafts must not change when Hoàng Mai issues its plan.
TWO_DISTRICTS = (EXAMPLES / "hierarchies" / "hoang-mai.yaml").read_text(encoding="utf-8") + (
    '  - {id: "006", name: Quận Đống Đa, kind: quan, parent: "01"}\n'
    '  - {id: "00226", name: Phường Văn Miếu, kind: phuong, parent: "006"}\n'
)
ISSUED_ON = dt.date(2024, 2, 19)


class Cascade:
    """A cascade of 145/KH-UBND into a temporary folder, run in this process."""

    def __init__(self, tmp_path: Path) -> None:
        self.source = str(tmp_path / "two-districts.yaml")
        Path(self.source).write_text(TWO_DISTRICTS, encoding="utf-8")
        self.plan = load_plan(PLAN_145)
        self.h: Hierarchy = load_hierarchy(self.source)
        self.out = tmp_path / "out"
        self.folder = plan_folder(self.out, self.plan, self.source)

    def run(self, issued: dict[str, IssuedPlan] | None = None) -> CascadeOutcome:
        prepared = prepare(self.plan, self.h, self.source, self.out, issued=issued)
        with running(prepared, self.h) as run:
            return run.finish(run.draft_here())

    def path_of(self, unit_id: str) -> Path:
        manifest = read_manifest(self.folder)
        assert manifest is not None
        return self.folder / next(e.path for e in manifest.drafts if e.unit_id == unit_id)

    def draft(self, unit_id: str) -> Plan:
        """The unit's derived draft, as the cascade wrote it."""
        return next(d.plan for level in cascade(self.plan, self.h) for d in level
                    if d.unit.id == unit_id)  # fmt: skip


def hoang_mai_as_issued(c: Cascade) -> Plan:
    """What Hoàng Mai's clerk does to the draft in Word: task 10 due 29/3/2024 instead of
    every year, a training task added (Phòng Nội vụ, by 30/4/2024). Number, date and signer
    come with the document (:class:`Overrides` here, as the CLI's options would)."""
    draft = c.draft("008")
    moved = tuple(
        t.model_copy(update={"deadline": Deadline(due=dt.date(2024, 3, 29))}) if t.id == "10" else t
        for t in draft.tasks
    )
    training = Task(
        id="13",
        title="Tổ chức tập huấn nghiệp vụ cải cách hành chính cho cán bộ, công chức",
        lead=Assignee(role="noi-vu", unit="008-phong-noi-vu", label="Phòng Nội vụ"),
        deadline=Deadline(due=dt.date(2024, 4, 30)),
    )
    return draft.model_copy(update={"tasks": (*moved, training)})


SIGNED = Overrides(number="67", date=ISSUED_ON, signer="Nguyễn Văn Hùng")


def save_over_draft(c: Cascade, unit_id: str, plan: Plan, overrides: Overrides) -> Path:
    """The signed document saved over the unit's draft, as the clerk saves it from Word."""
    path = c.path_of(unit_id)
    path.write_bytes(render_plan(overrides.apply(plan)))
    return path


@pytest.fixture
def c(tmp_path: Path) -> Cascade:
    cascade_ = Cascade(tmp_path)
    cascade_.run()
    return cascade_


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    return connect(f"sqlite:///{tmp_path / 'status.sqlite3'}")


def rows(engine: Engine, table: str) -> list[dict[str, object]]:
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.text(f"SELECT * FROM {table}"))]


def issue(c: Cascade, engine: Engine, unit_id: str, plan: Plan, overrides: Overrides) -> IssuedPlan:
    path = save_over_draft(c, unit_id, plan, overrides)
    above = issued_plans(engine, KEY, c.source)
    issued = issued_plan(plan, path.read_bytes(), path, above=above, overrides=overrides)
    assert record_issued(engine, issued, entered_by="văn thư").recorded == 1
    return issued


def test_an_issued_plan_is_recorded_with_its_number_date_signer_file_and_plan(
    c: Cascade, engine: Engine
) -> None:
    path = save_over_draft(c, "008", hoang_mai_as_issued(c), SIGNED)
    data = path.read_bytes()
    issued = issued_plan(hoang_mai_as_issued(c), data, path, overrides=SIGNED)
    assert record_issued(engine, issued, entered_by="văn thư").recorded == 1

    [row] = rows(engine, "plan_issue")
    assert (row["plan_key"], row["unit_id"], row["number"]) == (KEY, "008", "67/KH-UBND")
    assert row["issued_on"] == "2024-02-19"
    assert (row["signer"], row["implements"], row["parent_unit_id"]) == (
        "Nguyễn Văn Hùng",
        "145/KH-UBND",
        "01",
    )
    as_issued = Plan.model_validate_json(str(row["plan_json"]))
    assert as_issued.number == 67 and as_issued.date == ISSUED_ON
    assert [t.id for t in as_issued.tasks][-1] == "13"
    [sub] = rows(engine, "submission")
    assert sub["source_sha256"] == hashlib.sha256(data).hexdigest()
    assert (sub["kind"], sub["source"], sub["source_name"]) == ("issue", "docx", str(path))
    # The same document again adds nothing; the cascade reads it back whole.
    assert record_issued(engine, issued, entered_by="văn thư").already == 1
    assert len(rows(engine, "plan_issue")) == 1
    assert issued_plans(engine, KEY, c.source) == {"008": issued}


def refused(engine: Engine, pattern: str, attempt: object) -> None:
    """``attempt()`` raises one line matching ``pattern`` and the store is unchanged."""
    before = (rows(engine, "submission"), rows(engine, "plan_issue"))
    with pytest.raises(IssueError, match=pattern) as caught:
        attempt()  # type: ignore[operator]
    assert "\n" not in str(caught.value)
    assert (rows(engine, "submission"), rows(engine, "plan_issue")) == before


def test_a_number_the_unit_already_used_that_year_is_refused(c: Cascade, engine: Engine) -> None:
    issue(c, engine, "008", hoang_mai_as_issued(c), SIGNED)
    # Another document with the same number a day later (the clerk reused 67).
    again = Overrides(number="67/KH-UBND", date=dt.date(2024, 2, 20))
    path = save_over_draft(c, "008", hoang_mai_as_issued(c), again)
    other = issued_plan(hoang_mai_as_issued(c), path.read_bytes(), path, overrides=again)
    refused(
        engine,
        r"number 67/KH-UBND is already used by UBND quận Hoàng Mai \(008\) in 2024: "
        r"67/KH-UBND of 19/02/2024",
        lambda: record_issued(engine, other, entered_by="x"),
    )
    # A number entered by hand (status set --issued, "05/KH-UBND") is the same record.
    prov = Provenance(
        plan_key=KEY,
        unit_id="00340",
        period="2024-Q1",
        kind="value",
        source="cli",
        source_name="kehoach status set",
        entered_by="x",
    )
    issue_ = PlanIssue(unit_id="00340", number="05/KH-UBND", issued_on=dt.date(2024, 2, 25))
    record(engine, [(prov, [], [issue_])])
    five = Overrides(number="5", date=dt.date(2024, 3, 1))
    ward = c.draft("00340")
    path = save_over_draft(c, "00340", ward, five)
    above = issued_plans(engine, KEY, c.source)
    late = issued_plan(ward, path.read_bytes(), path, above=above, overrides=five)
    refused(engine, r"number 05/KH-UBND is already used", lambda: record_issued(engine, late, "x"))
    # The same number in another year is another document.
    next_year = Overrides(number="67", date=dt.date(2025, 2, 19))
    path = save_over_draft(c, "008", c.draft("008"), next_year)
    ok = issued_plan(c.draft("008"), path.read_bytes(), path, overrides=next_year)
    assert record_issued(engine, ok, "x").recorded == 1


def test_a_date_before_the_plan_it_implements_is_refused(c: Cascade, engine: Engine) -> None:
    early = Overrides(number="67", date=dt.date(2021, 6, 1))  # 145 is of 14/06/2021
    path = save_over_draft(c, "008", c.draft("008"), early)
    refused(
        engine,
        r"dated 01/06/2021, before 145/KH-UBND of UBND Thành phố \(14/06/2021\) that it implements",
        lambda: issued_plan(c.draft("008"), path.read_bytes(), path, overrides=early),
    )
    issue(c, engine, "008", hoang_mai_as_issued(c), SIGNED)
    # Yên Sở implements Hoàng Mai's 67 of 19/02/2024 now, not 145.
    ward = Overrides(number="55", date=dt.date(2024, 2, 18))
    path = save_over_draft(c, "00340", c.draft("00340"), ward)
    above = issued_plans(engine, KEY, c.source)
    refused(
        engine,
        r"dated 18/02/2024, before 67/KH-UBND of UBND quận Hoàng Mai \(19/02/2024\)",
        lambda: issued_plan(c.draft("00340"), path.read_bytes(), path, above=above, overrides=ward),
    )


def test_a_document_of_another_unit_or_a_file_that_is_no_draft_is_refused(
    c: Cascade, engine: Engine, tmp_path: Path
) -> None:
    path = save_over_draft(c, "008", hoang_mai_as_issued(c), SIGNED)
    data = path.read_bytes()
    # Đống Đa's plan saved over Hoàng Mai's draft.
    dong_da = c.draft("006")
    refused(
        engine,
        r"issued by UBND quận Đống Đa \(006\), but the file is the draft of Quận Hoàng Mai \(008\)",
        lambda: issued_plan(dong_da, data, path, overrides=SIGNED),
    )
    # The same document saved somewhere else, with other bytes than any draft.
    elsewhere = tmp_path / "KH 67 ban hanh.docx"
    elsewhere.write_bytes(data)
    plan = hoang_mai_as_issued(c)
    refused(
        engine,
        r"not in a cascade's folder",
        lambda: issued_plan(plan, data, elsewhere, overrides=SIGNED),
    )
    refused(
        engine,
        r"is not a draft of this cascade",
        lambda: issued_plan(plan, data, elsewhere, folder=c.folder, overrides=SIGNED),
    )
    # A ward section's task list is no plan a unit issues.
    section = c.path_of("00340-van-phong")
    refused(
        engine,
        r"is the task list of Bộ phận Văn phòng UBND \(00340-van-phong\)",
        lambda: issued_plan(plan, section.read_bytes(), section, overrides=SIGNED),
    )
    # A draft nobody numbered yet.
    refused(engine, r"has no number and date yet", lambda: issued_plan(plan, data, path))
    # Dated after a task it sets falls due (29/3/2024): the document's own slip, at the task.
    late = Overrides(number="67", date=dt.date(2024, 4, 2))
    refused(
        engine,
        rf"^{path}: tasks\.\d+\.deadline: task 10 is due 29/03/2024, before the plan's own "
        r"date 02/04/2024",
        lambda: issued_plan(plan, data, path, overrides=late),
    )
    assert rows(engine, "plan_issue") == []


def test_an_unedited_draft_copied_elsewhere_is_known_by_its_bytes(
    c: Cascade, engine: Engine, tmp_path: Path
) -> None:
    copy = tmp_path / "copy.docx"
    copy.write_bytes(c.path_of("00337").read_bytes())
    issued = issued_plan(c.draft("00337"), copy.read_bytes(), copy, folder=c.folder,
                         overrides=Overrides(number="12", date=dt.date(2024, 3, 1)))  # fmt: skip
    assert issued.unit_id == "00337" and issued.implements == KEY


def test_the_rollup_counts_plans_on_time_and_late_from_issued_plans(
    c: Cascade, engine: Engine
) -> None:
    issue(c, engine, "008", hoang_mai_as_issued(c), SIGNED)  # due in Q1: on time
    late = Overrides(number="31", date=dt.date(2024, 3, 20))  # after Q1's cut-off 14/3
    issue(c, engine, "00337", c.draft("00337"), late)
    q1 = Period.parse("2024-Q1")
    issued = issued_plans(engine, KEY, c.source)
    plans = plans_by_unit(c.plan, c.h, issued=issued)
    assert [t.id for t in plans["008"].tasks][-1] == "13"  # the district's plan as issued
    result = roll_up(c.h, plans, snapshot(engine, KEY, q1), q1, dt.date(2024, 3, 25), KEY, "01")
    own = {u.unit_id: u.own for u in result.units}
    assert (own["008"].plans_on_time, own["008"].plans_late) == (1, 0)
    assert (own["00337"].plans_on_time, own["00337"].plans_late) == (0, 1)
    assert own["00340"].plans_missing == 1
    assert own["006"].plans_missing == 1
    top = result.unit("01").subtree
    assert (top.plans_on_time, top.plans_late) == (1, 1)


def text_of(path: Path) -> tuple[str, list[list[str]]]:
    document = docx.Document(str(path))
    body = "\n".join(p.text for p in document.paragraphs)
    table = [[cell.text for cell in row.cells] for t in document.tables for row in t.rows]
    return body, table


def test_wards_implement_the_plan_their_district_issued(c: Cascade, engine: Engine) -> None:
    before = files(c.folder / "drafts")
    issued = issue(c, engine, "008", hoang_mai_as_issued(c), SIGNED)
    again = c.run(issued_plans(engine, KEY, c.source))

    body, annex = text_of(c.path_of("00340"))
    assert (
        "Thực hiện Kế hoạch số 67/KH-UBND ngày 19/02/2024 của UBND quận Hoàng Mai về thông tin, "
        "tuyên truyền cải cách hành chính" in body
    )
    assert "số      /KH-UBND ngày" not in body  # no blanks left for a plan already issued
    rows_ = {r[1]: r for r in annex if len(r) == 5}
    moved = next(r for t, r in rows_.items() if t.startswith("Phát động và tổ chức Cuộc thi"))
    assert moved[4] == "Chậm nhất ngày 24/3/2024"  # 29/3 at the district, 5 days' lead
    added = rows_["Tổ chức tập huấn nghiệp vụ cải cách hành chính cho cán bộ, công chức"]
    assert added[2:] == ["Bộ phận Văn phòng UBND", "", "Chậm nhất ngày 25/4/2024"]

    manifest = json.loads((c.folder / "manifest.json").read_text(encoding="utf-8"))
    entries = {e["unit_id"]: e for e in manifest["drafts"]}
    assert entries["00340"]["derived_from"] == {
        "unit_id": "008",
        "source": "issued",
        "number": "67/KH-UBND",
        "date": "2024-02-19",
        "sha256": issued.sha256,
    }
    assert entries["00340"]["parent_plan"] == "67/KH-UBND (UBND quận Hoàng Mai)"
    assert entries["00226"]["derived_from"]["source"] == "draft"  # Đống Đa has not issued
    assert entries["008"]["derived_from"]["number"] == "145/KH-UBND"
    assert entries["008"]["state"] == "edited"  # the signed file is kept as the clerk saved it

    # Only Hoàng Mai's subtree was drafted again; its own file is the signed one.
    after = files(c.folder / "drafts")
    changed = {p for p in after if after[p] != before.get(p)}
    hoang_mai = {e["path"].removeprefix("drafts/") for e in entries.values()
                 if "/008-hoang-mai/" in e["path"]}  # fmt: skip
    assert changed - hoang_mai == set()
    assert again.written == len(changed) - 1  # the district's own file was the clerk's
    assert again.written >= 10
    assert again.unchanged == again.total - again.written - len(again.edited)
    assert again.edited == [entries["008"]["path"]]
    # Nothing else to do the next time.
    third = c.run(issued_plans(engine, KEY, c.source))
    assert (third.written, third.unchanged) == (0, third.total - 1)


def test_a_task_added_with_a_role_a_ward_lacks_stops_the_cascade_before_writing(
    c: Cascade, engine: Engine
) -> None:
    plan = hoang_mai_as_issued(c)
    odd = Task(
        id="14",
        title="Kiểm tra công tác y tế",
        lead=Assignee(role="y-te", unit="008-phong-noi-vu", label="Phòng Y tế"),
        deadline=Deadline(due=dt.date(2024, 5, 30)),
    )
    issue(c, engine, "008", plan.model_copy(update={"tasks": (*plan.tasks, odd)}), SIGNED)
    before = files(c.folder)
    with pytest.raises(Exception, match=r"task 14 .* needs a department with role 'y-te'"):
        c.run(issued_plans(engine, KEY, c.source))
    assert files(c.folder) == before


def test_migration_0003_keeps_the_plan_issues_recorded_before(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    engine = sa.create_engine(url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0002")
        conn.execute(
            sa.text(
                "INSERT INTO submission (plan_key, unit_id, period, kind, source, source_name, "
                "entered_by, entered_at) VALUES ('145/KH-UBND', '00340', '2024-Q1', 'value', "
                "'cli', 'kehoach status set', 'x', '2024-03-01 08:00:00')"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO plan_issue (submission_id, plan_key, unit_id, number, issued_on) "
                "VALUES (1, '145/KH-UBND', '00340', '55/KH-UBND', '2024-02-20')"
            )
        )
    engine.dispose()
    upgraded = connect(url)
    with upgraded.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == "0004"
    [row] = rows(upgraded, "plan_issue")
    assert (row["number"], row["issued_on"], row["plan_json"]) == ("55/KH-UBND", "2024-02-20", None)
    q1 = Period.parse("2024-Q1")
    assert snapshot(upgraded, KEY, q1).issues[0].number == "55/KH-UBND"
    assert issued_plans(upgraded, KEY, "hanoi-2024") == {}  # a number alone drafts nothing


POSTGRES = os.environ.get("KEHOACH_TEST_POSTGRES_URL")
needs_postgres = pytest.mark.skipif(
    not POSTGRES, reason="set KEHOACH_TEST_POSTGRES_URL to run against PostgreSQL"
)


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """A new, empty database on the server of KEHOACH_TEST_POSTGRES_URL, dropped afterwards."""
    assert POSTGRES is not None
    server = sa.make_url(POSTGRES)
    name = f"kehoach_issued_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


@needs_postgres
def test_postgres_migration_0003_keeps_data_and_issued_plans_are_recorded(c: Cascade) -> None:
    with fresh_postgres_database() as url:
        old = sa.create_engine(url)
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with old.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "0002")
            conn.execute(
                sa.text(
                    "INSERT INTO submission (plan_key, unit_id, period, kind, source, "
                    "source_name, entered_by, entered_at) VALUES ('145/KH-UBND', '00340', "
                    "'2024-Q1', 'value', 'cli', 'kehoach status set', 'x', now())"
                )
            )
            conn.execute(
                sa.text(
                    "INSERT INTO plan_issue (submission_id, plan_key, unit_id, number, "
                    "issued_on) VALUES (1, '145/KH-UBND', '00340', '55/KH-UBND', '2024-02-20')"
                )
            )
        old.dispose()
        engine = connect(url)
        with engine.connect() as conn:
            version = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
        assert version == "0004"
        assert snapshot(engine, KEY, Period.parse("2024-Q1")).issues[0].number == "55/KH-UBND"
        issued = issue(c, engine, "008", hoang_mai_as_issued(c), SIGNED)
        assert issued_plans(engine, KEY, c.source) == {"008": issued}
        again = Overrides(number="67", date=dt.date(2024, 3, 1))
        path = save_over_draft(c, "008", hoang_mai_as_issued(c), again)
        other = issued_plan(hoang_mai_as_issued(c), path.read_bytes(), path, overrides=again)
        refused(
            engine, r"number 67/KH-UBND is already used", lambda: record_issued(engine, other, "x")
        )
        engine.dispose()
