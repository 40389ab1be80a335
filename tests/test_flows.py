"""The Prefect flows, run for real under one session-scoped test harness."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flows.cascade import cascade_flow
from kehoach.nd30 import check_docx
from tests.conftest import EXAMPLES

pytestmark = pytest.mark.usefixtures("prefect_api")
SUMMARY_67 = "Thông tin, tuyên truyền về cải cách hành chính nhà nước của quận Hoàng Mai năm 2024"


def test_cascade_flow_writes_drafts_and_manifest_and_reruns_idempotently(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = cascade_flow(
        plan=EXAMPLES / "hoang-mai-67-kh-ubnd.yaml",
        hierarchy="hanoi-2024",
        out=out,
        start="00340",
        batch_size=4,
    )
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["plan"] == {
        "number": "67/KH-UBND",
        "date": "2024-02-19",
        "issuer": "UBND quận Hoàng Mai",
        "summary": SUMMARY_67,
    }
    drafts = manifest["drafts"]
    assert len(drafts) == 6 == result.written
    ward = next(d for d in drafts if d["unit_id"] == "00340")
    assert ward["path"] == "drafts/01-ha-noi/008-hoang-mai/00340-yen-so/00340-phuong-yen-so.docx"
    assert ward["parent_unit_id"] == "008" and ward["level"] == "xa"
    assert ward["parent_plan"] == "67/KH-UBND (UBND quận Hoàng Mai)"
    for d in drafts:
        data = (out / d["path"]).read_bytes()
        assert check_docx(data) == []
    stamps = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    again = cascade_flow(
        plan=EXAMPLES / "hoang-mai-67-kh-ubnd.yaml", hierarchy="hanoi-2024", out=out, start="00340"
    )
    assert again.written == 0 and again.unchanged == 6
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == stamps
    assert not list(out.rglob("*.tmp"))
