"""The Prefect flows, run for real under one session-scoped test harness."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flows.cascade import cascade_flow
from kehoach.documents.nd30 import check_docx, check_task_list_docx
from tests.conftest import EXAMPLES, api_post, plan_dir

pytestmark = pytest.mark.usefixtures("prefect_api")
#: What operators must not see in an artifact: English headers, level slugs.
ENGLISH = ("done on time", "open overdue", "reports missing", "unit", "level", "drafts")
SLUGS = {"huyen", "xa", "phong-ban", "tinh"}


def artifact(key: str) -> dict[str, object]:
    """The latest artifact of ``key``, read from the API as the UI reads it."""
    from prefect.settings import PREFECT_API_URL

    found = api_post(
        f"{PREFECT_API_URL.value()}/artifacts/filter",
        {"artifacts": {"key": {"any_": [key]}}, "sort": "CREATED_DESC"},
    )
    assert found, f"no artifact {key}"
    return found[0]


def table(key: str) -> list[dict[str, object]]:
    data = artifact(key)["data"]
    rows = json.loads(data) if isinstance(data, str) else data
    assert isinstance(rows, list)
    return rows


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
    # Its artifacts, keyed by plan and hierarchy, in the operators' words.
    levels = table("cascade-drafts-008-67-kh-ubnd-2024-hanoi-2024")
    assert levels == [{"Cấp": "Cấp xã", "Số dự thảo": 1}, {"Cấp": "Phòng, ban", "Số dự thảo": 5}]
    summary = str(artifact("cascade-summary-008-67-kh-ubnd-2024-hanoi-2024")["data"])
    assert "số dự thảo: 6" in summary and str(folder.resolve()) in summary
    assert not any(word in summary for word in ("drafts:", "findings", "folder:"))


def test_the_flows_draft_check_runs_in_the_batches_and_says_what_draft_lint_says(
    tmp_path: Path,
) -> None:
    """The drafts are checked in the two drafting processes as they are written; the run's
    findings are those of ``kehoach draft lint`` over its folder, with two drafts edited by
    hand (a ward's, drafted at the top, given another ward's text; one of its sections' in a
    batch, the same section of that ward's), kept, and the other batches skipped as finished."""
    from hierarchy.sources import load_hierarchy
    from kehoach.cascade.lint import lint_folder
    from kehoach.cascade.manifest import draft_path
    from kehoach.cascade.run import CascadeOutcome
    from kehoach.plan.model import load_plan

    plan, out = EXAMPLES / "hoang-mai-67-kh-ubnd.yaml", tmp_path / "out"
    h = load_hierarchy("hanoi-2024")

    def run() -> CascadeOutcome:
        return cascade_flow(plan=plan, out=out, xac_nhan=True, batch_size=5, workers=2)

    first = run()
    folder = plan_dir(out, plan)
    assert first.total == 90 and sum(first.lint.values()) == 0
    edits = {"00340": "00337", "00340-tu-phap": "00337-tu-phap"}
    for unit, other in edits.items():
        (folder / draft_path(h, h.unit(unit))).write_bytes(
            (folder / draft_path(h, h.unit(other))).read_bytes()
        )
    again = run()
    assert len(again.edited) == 2 and again.resumed > 0
    report = lint_folder(folder, plan=load_plan(plan), hierarchy=h)
    assert report.total > 0
    assert again.lint == report.counts
    assert again.lint_first == [f.line for f in report.findings[:5]]
    assert {f.path for f in report.findings} >= set(again.edited)


def test_a_cascade_of_the_whole_plan_must_be_confirmed(tmp_path: Path) -> None:
    """No unit chosen: the run fails in one line saying how (the UI's quick run), nothing
    written; confirmed (as the CLI does), it drafts."""
    plan = EXAMPLES / "hoang-mai-67-kh-ubnd.yaml"
    state = cascade_flow(plan=plan, out=tmp_path / "out", return_state=True)
    assert state.is_failed()
    message = str(state.message)
    assert "must be confirmed" in message and "xac_nhan" in message and "\n" not in message
    assert "Quận Hoàng Mai" in message
    assert not (tmp_path / "out").exists()
    done = cascade_flow(plan=plan, out=tmp_path / "out", to_level="Cấp xã", xac_nhan=True)  # type: ignore[arg-type]
    assert set(done.drafts_per_level) == {"xa"}  # the form's "Cấp xã" is Level.XA


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


def test_rollup_and_reminders_artifacts_per_plan_and_period_in_vietnamese(tmp_path: Path) -> None:
    """What a district manager reads in the UI: tables keyed by plan and period (another
    period's run keeps this one's), Vietnamese headers and levels, the units furthest behind
    first, reminders one line per unit with the full list in a CSV beside the roll-up."""
    import datetime as dt

    from flows.rollup import reminders_flow, rollup_flow

    plan = EXAMPLES / "hoang-mai-67-kh-ubnd.yaml"
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    common = {"plan": plan, "hierarchy": "hanoi-2024", "out": tmp_path, "database_url": url}
    rollup_flow(**common, period="2024-Q1", as_of=dt.date(2024, 3, 20))  # type: ignore[arg-type]
    rollup_flow(**common, period="2024-6M", as_of=dt.date(2024, 6, 20))  # type: ignore[arg-type]
    folder = plan_dir(tmp_path, plan)
    rows = table("rollup-008-67-kh-ubnd-2024-hanoi-2024-2024-q1")
    assert table("rollup-008-67-kh-ubnd-2024-hanoi-2024-2024-6m")  # a key per period
    assert len(rows) == 14  # Hoàng Mai's 14 wards (departments are in their wards' figures)
    headers = set(rows[0])
    assert {"Đơn vị", "Cấp", "Quá hạn, chưa hoàn thành", "Báo cáo còn thiếu"} <= headers
    assert not any(word in h.lower() for h in headers for word in ENGLISH)
    assert {r["Cấp"] for r in rows} == {"Cấp xã"} and not SLUGS & {str(r["Cấp"]) for r in rows}
    shares = [int(str(r["Quá hạn, chưa hoàn thành"])) / int(str(r["Nhiệm vụ"])) for r in rows]
    assert shares == sorted(shares, reverse=True)
    summary = str(artifact("rollup-summary-008-67-kh-ubnd-2024-hanoi-2024-2024-q1")["data"])
    assert "báo cáo: đã nhận 0, còn thiếu" in summary

    found = reminders_flow(
        **common,  # type: ignore[arg-type]
        period="2024-Q1",
        as_of=dt.date(2024, 3, 25),
    )
    key = "reminders-008-67-kh-ubnd-2024-hanoi-2024-2024-q1"
    lines = table(key)
    ids = [str(r["Mã đơn vị"]) for r in lines]
    assert len(ids) == len(set(ids)) == min(50, len({r.unit_id for r in found}))  # one per unit
    assert "còn " in str(artifact(key)["description"])  # and how many more units
    overdue = [int(str(r["Nhiệm vụ quá hạn"])) for r in lines]
    assert overdue == sorted(overdue, reverse=True) and overdue[0] > 0
    assert not SLUGS & {str(r["Cấp"]) for r in lines}
    csv_file = folder / "reminders-2024-Q1.csv"
    assert str(csv_file.resolve()) in str(artifact(key)["description"])
    text = csv_file.read_text(encoding="utf-8-sig").splitlines()
    assert text[0].startswith("Mã đơn vị,Đơn vị") and len(text) == len(found) + 1
