"""The whole demo, end to end, as `make demo` runs it: the "done when" of the cascade and roll-up.

Cascades 145/KH-UBND through the real Hà Nội hierarchy (3,373 drafts), takes in a sample of
filled sheets, rolls up 2024-Q1 and drafts Hà Nội's report; then checks the outputs.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kehoach.cli import app
from kehoach.documents.nd30 import check_docx, check_task_list_docx
from kehoach.status.rollup import Rollup, check_sums
from tests.conftest import EXAMPLES, plan_dir

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_api")]


def test_demo_end_to_end(tmp_path: Path) -> None:
    out = tmp_path / "out"
    db = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    result = CliRunner().invoke(
        app, ["demo", "--examples", str(EXAMPLES), "--out", str(out), "--db", db]
    )
    assert result.exit_code == 0, result.output
    # every draft of both cascades read back by the draft checker (issue 12's "done when")
    assert result.output.count("draft check: 0 findings") == 2, result.output
    folder = plan_dir(out, EXAMPLES / "ha-noi-145-kh-ubnd.yaml")
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    drafts = manifest["drafts"]
    assert len(drafts) == 3373  # every unit below Hà Nội: 30 + 526 + 2,817 departments
    assert {d["level"] for d in drafts} == {"huyen", "xa", "phong-ban"}
    by_id = {d["unit_id"]: d for d in drafts}
    assert by_id["00340"]["parent_unit_id"] == "008"
    assert by_id["008"]["parent_plan"] == "145/KH-UBND (UBND Thành phố)"
    now = plan_dir(out, EXAMPLES / "ha-noi-145-kh-ubnd.yaml", "hanoi-2025")
    communes = json.loads((now / "manifest.json").read_text(encoding="utf-8"))["drafts"]
    assert {d["level"] for d in communes} == {"xa", "phong-ban"}  # since July 2025
    assert sum(d["level"] == "xa" for d in communes) == 126
    for d in drafts[:: len(drafts) // 25]:  # a spread sample of every level
        check = check_docx if d["document"] == "ke-hoach" else check_task_list_docx
        assert check((folder / d["path"]).read_bytes()) == [], d["path"]
    kinds = {d["unit_id"]: d["document"] for d in drafts}
    assert (
        kinds["008-phong-noi-vu"] == "ke-hoach" and kinds["00340-tu-phap"] == "danh-sach-nhiem-vu"
    )
    saved = folder / "rollup-2024-Q1.json"
    rollup = Rollup.model_validate_json(saved.read_text(encoding="utf-8"))
    assert len(rollup.units) == 3374
    assert check_sums(rollup) == []
    assert rollup.unit("008").subtree.reports_submitted > 0
    report = folder / "reports" / "01-thanh-pho-ha-noi.2024-Q1.docx"
    assert check_docx(report.read_bytes(), type_name="BÁO CÁO") == []
    stamps = {p: os.stat(folder / p).st_mtime_ns for p in (d["path"] for d in drafts[:50])}
    again = CliRunner().invoke(
        app, ["cascade", str(EXAMPLES / "ha-noi-145-kh-ubnd.yaml"), "--out", str(out)]
    )
    assert again.exit_code == 0, again.output
    assert "0 written, 3373 unchanged" in again.stdout
    assert {p: os.stat(folder / p).st_mtime_ns for p in stamps} == stamps
