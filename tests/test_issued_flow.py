"""Issued plans through the CLI and the flows, as an operator records and cascades them.

The clerk's document is Hoàng Mai's draft, edited and signed, rendered as the product renders
it and saved over the draft; everything from there is the product's own path: the importer
reading it back, the checks, the store, the cascade.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import docx
import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from kehoach.cli import app
from kehoach.status.store.db import connect
from tests.conftest import EXAMPLES, api_post, files, runner
from tests.test_issued import SIGNED, Cascade, hoang_mai_as_issued, rows, save_over_draft

PLAN_145 = EXAMPLES / "ha-noi-145-kh-ubnd.yaml"


@pytest.fixture
def c(tmp_path: Path) -> Cascade:
    cascade_ = Cascade(tmp_path)
    cascade_.run()
    return cascade_


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'status.sqlite3'}"


def issue_args(path: Path, url: str, *more: str) -> list[str]:
    return ["plan", "issue", str(path), "--db", url, "--by", "văn thư", *more]


def test_plan_issue_records_the_document_and_refuses_its_number_twice(c: Cascade, url: str) -> None:
    # The options say what the document says: the same record.
    edited = hoang_mai_as_issued(c)
    path = save_over_draft(c, "008", edited, SIGNED)
    args = ["--number", "67", "--date", "19/02/2024", "--signer", "Nguyễn Văn Hùng"]
    result = runner.invoke(app, issue_args(path, url, *args))
    assert result.exit_code == 0, result.output
    assert "recorded 67/KH-UBND of 19/02/2024, UBND quận Hoàng Mai (008)" in result.stdout
    engine: Engine = connect(url)
    [row] = rows(engine, "plan_issue")
    assert (row["number"], row["signer"]) == ("67/KH-UBND", "Nguyễn Văn Hùng")
    # Recording the same file again changes nothing.
    again = runner.invoke(app, issue_args(path, url, *args))
    assert again.exit_code == 0 and "already recorded" in again.stdout
    # Another document numbered 67 the same year is refused, one line, nothing recorded.
    other = runner.invoke(app, issue_args(path, url, "--number", "67", "--date", "20/02/2024"))
    assert other.exit_code == 1
    [line] = other.stderr.strip().splitlines()
    assert "number 67/KH-UBND is already used by UBND quận Hoàng Mai (008) in 2024" in line
    bad = runner.invoke(app, issue_args(path, url, "--number", "sáu bảy"))
    assert bad.exit_code == 1
    assert "is not a document number (67 or 67/KH-UBND)" in bad.stderr
    assert len(rows(engine, "plan_issue")) == 1
    assert len(rows(engine, "submission")) == 1


@pytest.mark.slow  # the embedded Prefect API
def test_the_cascade_command_drafts_below_an_issued_plan_from_the_store(
    tmp_path: Path, url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    c = Cascade(tmp_path)
    base = ["cascade", str(PLAN_145), "-H", c.source, "--out", str(c.out), "--no-lint"]
    # No store yet: the cascade drafts everything, and creates no database.
    monkeypatch.setenv("KEHOACH_DATABASE_URL", url)
    first = runner.invoke(app, base)
    assert first.exit_code == 0, first.output
    assert not (tmp_path / "status.sqlite3").exists()
    monkeypatch.delenv("KEHOACH_DATABASE_URL")
    before = files(c.folder / "drafts")
    edited = hoang_mai_as_issued(c)
    path = save_over_draft(c, "008", edited, SIGNED)
    assert runner.invoke(app, issue_args(path, url)).exit_code == 0

    again = runner.invoke(app, [*base, "--db", url])
    assert again.exit_code == 0, again.output
    after = files(c.folder / "drafts")
    changed = {p for p in after if after[p] != before.get(p)}
    assert changed and all("/008-hoang-mai/" in f"/{p}" for p in changed)
    written = len(changed) - 1  # Hoàng Mai's own file is the clerk's, kept
    assert f"{len(after)} drafts in" in again.stdout
    assert f"({written} written, {len(after) - written - 1} unchanged)" in again.stdout
    assert "implement the plans units issued: 67/KH-UBND (008)" in again.stdout
    assert "1 kept: edited by hand" in again.stdout
    ward = docx.Document(str(c.path_of("00340")))
    assert any(
        p.text.startswith(
            "Thực hiện Kế hoạch số 67/KH-UBND ngày 19/02/2024 của UBND quận Hoàng Mai"
        )
        for p in ward.paragraphs
    )
    manifest = json.loads((c.folder / "manifest.json").read_text(encoding="utf-8"))
    yen_so = next(e for e in manifest["drafts"] if e["unit_id"] == "00340")
    assert yen_so["derived_from"]["source"] == "issued"


@pytest.mark.usefixtures("prefect_api")
def test_the_issue_plan_flow_records_and_leaves_a_table(c: Cascade, url: str) -> None:
    from prefect.settings import PREFECT_API_URL

    from flows.issue import issue_plan_flow

    edited = hoang_mai_as_issued(c)
    path = save_over_draft(c, "008", edited, SIGNED)
    done = issue_plan_flow(
        draft=path, number="67/KH-UBND", date=dt.date(2024, 2, 19), database_url=url
    )
    assert done.recorded and done.issued.number == "67/KH-UBND"
    with connect(url).connect() as conn:
        assert conn.execute(sa.text("SELECT number FROM plan_issue")).scalar() == "67/KH-UBND"
    key = "issued-008-67-kh-ubnd-2024"
    [artifact] = api_post(
        f"{PREFECT_API_URL.value()}/artifacts/filter", {"artifacts": {"key": {"any_": [key]}}}
    )
    data = artifact["data"]
    table = json.loads(data) if isinstance(data, str) else data
    assert {"": "number", "value": "67/KH-UBND"} in table
    # A refusal fails the run with its one line, and records nothing.
    state = issue_plan_flow(
        draft=path, number="67", date=dt.date(2024, 2, 20), database_url=url, return_state=True
    )
    assert state.is_failed()
    assert "number 67/KH-UBND is already used" in str(state.message)
    assert len(rows(connect(url), "plan_issue")) == 1
