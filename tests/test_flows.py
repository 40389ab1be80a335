"""The Prefect flows, run for real under one session-scoped test harness."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flows.cascade import cascade_flow
from kehoach.documents.nd30 import check_docx, check_task_list_docx
from tests.conftest import EXAMPLES, plan_dir

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
    folder = plan_dir(out, EXAMPLES / "hoang-mai-67-kh-ubnd.yaml")
    assert folder == out / "008-67-kh-ubnd-2024" / "hanoi-2024"
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
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
    for d in drafts:  # the ward's plan, and its sections' task lists (no seal)
        data = (folder / d["path"]).read_bytes()
        check = check_docx if d["document"] == "ke-hoach" else check_task_list_docx
        assert check(data) == []
    assert {d["document"] for d in drafts if d["level"] == "phong-ban"} == {"danh-sach-nhiem-vu"}

    def stamps() -> dict[Path, int]:  # the drafts and manifest (not the run's lock and journal)
        files = (p for p in out.rglob("*") if p.is_file() and ".kehoach" not in p.parts)
        return {p: p.stat().st_mtime_ns for p in files}

    before = stamps()
    again = cascade_flow(
        plan=EXAMPLES / "hoang-mai-67-kh-ubnd.yaml",
        hierarchy="hanoi-2024",
        out=out,
        start="00340",
        batch_size=4,
    )
    assert again.written == 0 and again.unchanged == 6
    assert again.resumed == 5  # every batch was journalled; only the ward (the top) is redone
    assert stamps() == before
    assert not list(out.rglob("*.tmp"))


def test_rollup_flow_reads_the_store_and_writes_rollup_json(tmp_path: Path) -> None:
    import datetime as dt

    from flows.rollup import reminders_flow, rollup_flow
    from kehoach.status.models import TaskState, TaskStatus
    from kehoach.status.rollup import Rollup, check_sums
    from kehoach.status.store.db import Provenance, connect, record

    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    prov = Provenance(
        plan_key="67/KH-UBND",
        unit_id="00340-van-hoa-thong-tin",
        period="2024-Q1",
        source="cli",
        source_name="t",
        entered_by="t",
    )
    done = TaskStatus(
        unit_id="00340-van-hoa-thong-tin",
        task_id="5",
        period="2024-Q1",
        state=TaskState.HOAN_THANH,
        done_on=dt.date(2024, 3, 1),
        count=3,
    )
    record(connect(url), [(prov, [done], [])])
    plan = EXAMPLES / "hoang-mai-67-kh-ubnd.yaml"
    result = rollup_flow(
        plan=plan,
        hierarchy="hanoi-2024",
        period="2024-Q1",
        as_of=dt.date(2024, 3, 14),
        out=tmp_path,
        database_url=url,
    )
    written = plan_dir(tmp_path, plan) / "rollup-2024-Q1.json"
    saved = Rollup.model_validate_json(written.read_text(encoding="utf-8"))
    assert saved == result
    assert check_sums(saved) == []
    vhtt = saved.unit("00340-van-hoa-thong-tin").own
    assert vhtt.done_on_time == 1 and vhtt.quotas["5"].actual == 3
    assert saved.unit("008").subtree.reports_submitted == 1
    found = reminders_flow(
        plan=plan,
        hierarchy="hanoi-2024",
        period="2024-Q1",
        as_of=dt.date(2024, 3, 25),
        database_url=url,
    )
    kinds = {r.kind for r in found}
    assert {"report-missing", "task-overdue", "plan-missing"} <= kinds
    assert not any(
        r.kind == "report-missing" and r.unit_id == "00340-van-hoa-thong-tin" for r in found
    )


def test_deployments_load_with_nd09_schedules() -> None:
    from flows.deployments import deployments

    deps = {
        d.name: d
        for d in deployments(EXAMPLES / "ha-noi-145-kh-ubnd.yaml", "hanoi-2024", Path("out"))
    }
    assert set(deps) == {
        "cascade",
        "rollup-nd09",
        "reminders-weekly",
        "report",
        "issue-plan",
        "import-plan",
    }
    crons = sorted(s.schedule.cron for s in deps["rollup-nd09"].schedules)  # type: ignore[union-attr]
    assert crons == ["0 7 20 12 *", "0 7 20 3 *", "0 7 20 6 *", "0 7 20 9 *"]
    assert {s.schedule.timezone for s in deps["rollup-nd09"].schedules} == {"Asia/Ho_Chi_Minh"}  # type: ignore[union-attr]
    assert deps["rollup-nd09"].entrypoint == "flows/rollup.py:rollup_flow"
