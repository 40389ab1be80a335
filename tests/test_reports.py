"""BÁO CÁO drafts reopened with python-docx: ND30 layout, the figures, the table, the chart."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from docx import Document
from docx.table import Table

from hierarchy.graph import Hierarchy
from hierarchy.sources import load_hierarchy
from hierarchy.units import UnitKind, committee_defaults
from kehoach.cascade.walk import plans_by_unit
from kehoach.documents.chart import chart_png
from kehoach.documents.docx import TemplateError
from kehoach.documents.nd30 import check_docx
from kehoach.documents.report_document import (
    REPORT_TEMPLATE,
    ReportContext,
    pct_text,
    render_report,
)
from kehoach.plan.model import load_plan
from kehoach.status.models import PlanIssue, Snapshot, TaskState, TaskStatus
from kehoach.status.periods import Period
from kehoach.status.report import completion_bars, report_context
from kehoach.status.rollup import Figures, Rollup, UnitRollup, roll_up
from tests.conftest import EXAMPLES

Write = Callable[[str, str], Path]

NASTY = "Phường Trần & Phú <b>x</b> {{ 7*7 }}"
HIERARCHY = f"""\
name: tiny-report
departments: rules-2024
units:
  - {{id: "01", name: Thành phố Hà Nội, kind: thanh-pho}}
  - {{id: "008", name: Quận Hoàng Mai, kind: quan, parent: "01"}}
  - {{id: "00340", name: Phường Yên Sở, kind: phuong, parent: "008"}}
  - {{id: "00337", name: "{NASTY}", kind: phuong, parent: "008"}}
"""
PERIOD = Period.parse("2024-Q1")
AS_OF = dt.date(2024, 3, 20)
PNG = b"\x89PNG\r\n\x1a\n"
REF = "Kế hoạch số 67/KH-UBND ngày 19/02/2024 của UBND quận Hoàng Mai"


def _status(unit_id: str, task_id: str, done_on: dt.date | None, count: int = 0) -> TaskStatus:
    state = TaskState.HOAN_THANH if done_on else TaskState.DANG_THUC_HIEN
    return TaskStatus(
        unit_id=unit_id, task_id=task_id, period=PERIOD.key, state=state, done_on=done_on,
        count=count,
    )  # fmt: skip


@pytest.fixture
def tiny(write: Write) -> Hierarchy:
    return load_hierarchy(write("tiny.yaml", HIERARCHY))


@pytest.fixture
def rollup(tiny: Hierarchy) -> Rollup:
    """Hoàng Mai's 67/KH-UBND on the tiny hierarchy, a few statuses reported in Q1 2024."""
    plans = plans_by_unit(load_plan(EXAMPLES / "hoang-mai-67-kh-ubnd.yaml"), tiny)
    snapshot = Snapshot(
        statuses=[
            _status("00340-van-phong", "2", dt.date(2024, 2, 15)),  # on time
            _status("00340-van-hoa-thong-tin", "5", dt.date(2024, 3, 1), count=4),  # on time
            _status("00340-van-hoa-thong-tin", "6", dt.date(2024, 3, 18), count=6),  # late
            _status("00337-van-phong", "2", None),  # in progress
            _status("008-phong-van-hoa-thong-tin", "4", dt.date(2024, 3, 10), count=7),
        ],
        issues=[PlanIssue(unit_id="00340", issued_on=dt.date(2024, 2, 20))],
        reported=["00340", "00340-van-hoa-thong-tin", "008-phong-noi-vu"],
    )
    return roll_up(tiny, plans, snapshot, PERIOD, AS_OF, "67/KH-UBND", "008")


def _children(rollup: Rollup, unit_id: str) -> list[UnitRollup]:
    return [u for u in rollup.units if u.parent_unit_id == unit_id]


def _context(tiny: Hierarchy, rollup: Rollup) -> ReportContext:
    plan = load_plan(EXAMPLES / "hoang-mai-67-kh-ubnd.yaml")
    quotas = {t.id: t.quota for t in plan.tasks if t.quota is not None}
    return report_context(
        tiny.unit("008"),
        tiny.parent("008"),
        REF,
        PERIOD,
        rollup.unit("008"),
        _children(rollup, "008"),
        AS_OF,
        quotas=quotas,
    )


def _text(data: bytes) -> str:
    doc = Document(io.BytesIO(data))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts += [c.text for c in row.cells]
    return "\n".join(parts)


def _results_table(data: bytes) -> Table:
    doc = Document(io.BytesIO(data))
    return next(t for t in doc.tables if t.rows[0].cells[0].text == "TT")


def _png_size(png: bytes) -> tuple[int, int]:
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def test_report_follows_nd30_and_states_the_figures(tiny: Hierarchy, rollup: Rollup) -> None:
    children = _children(rollup, "008")
    data = render_report(_context(tiny, rollup), chart_png(completion_bars(children)))
    assert check_docx(data, type_name="BÁO CÁO") == []
    text = _text(data)
    f = rollup.unit("008").subtree
    assert f.done_on_time >= 3 and f.done_late >= 1 and f.open_overdue > 0
    for label, n in (
        ("Hoàn thành đúng hạn", f.done_on_time),
        ("Hoàn thành quá hạn", f.done_late),
        ("Chưa hoàn thành, còn trong hạn", f.open_on_time),
        ("Chưa hoàn thành, đã quá hạn", f.open_overdue),
    ):
        assert f"- {label}: {n} nhiệm vụ ({pct_text(100 * n / f.tasks)}%)" in text
    assert f"có tổng số {f.tasks} nhiệm vụ" in text
    assert f"Tỷ lệ hoàn thành chung đạt {pct_text(f.pct_done)}%" in text
    q = f.quotas["5"]
    assert (q.actual, q.target) == (4, 6)
    assert "- Nhiệm vụ số 5 (tin/bài trên Trang thông tin điện tử của phường): thực hiện " in text
    assert "thực hiện 4/6 tin/bài, đạt 66,7% chỉ tiêu kỳ báo cáo" in text
    assert "Số:      /BC-UBND" in text
    assert "Hoàng Mai, ngày      tháng      năm 2024" in text
    assert f"Kết quả thực hiện {REF} quý I năm 2024" in text
    assert "{{" not in text.replace("{{ 7*7 }}", "") and "{%" not in text


def test_children_table_has_a_row_per_child(tiny: Hierarchy, rollup: Rollup) -> None:
    children = _children(rollup, "008")
    data = render_report(_context(tiny, rollup), chart_png(completion_bars(children)))
    table = _results_table(data)
    assert len(table.rows) == 1 + len(children)
    assert [c.text for c in table.rows[0].cells][:3] == ["TT", "Đơn vị", "Số nhiệm vụ"]
    for i, (row, child) in enumerate(zip(table.rows[1:], children, strict=True)):
        f = child.subtree
        assert [c.text for c in row.cells] == [
            str(i + 1),
            child.unit_name,
            str(f.tasks),
            str(f.done_on_time),
            str(f.done_late),
            str(f.open_on_time),
            str(f.open_overdue),
            pct_text(f.pct_done),
            f"{f.plans_on_time} / {f.plans_late} / {f.plans_missing + f.plans_pending}",
            f"{f.reports_submitted} / {f.reports_missing}",
        ]
    yen_so = next(r for r in table.rows if r.cells[1].text == "Phường Yên Sở")
    assert [c.text for c in yen_so.cells[3:5]] == ["2", "1"]  # 2 on time, 1 late


def test_the_chart_is_embedded_as_a_png(tiny: Hierarchy, rollup: Rollup) -> None:
    chart = chart_png(completion_bars(_children(rollup, "008")))
    data = render_report(_context(tiny, rollup), chart)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        media = [n for n in z.namelist() if re.fullmatch(r"word/media/[^/]+\.png", n)]
        assert len(media) == 1
        assert z.read(media[0]).startswith(PNG)
        assert z.read(media[0]) == chart


def test_special_characters_print_literally(tiny: Hierarchy, rollup: Rollup) -> None:
    data = render_report(
        _context(tiny, rollup), chart_png(completion_bars(_children(rollup, "008")))
    )
    table = _results_table(data)
    assert NASTY in [r.cells[1].text for r in table.rows]
    text = _text(data)
    assert NASTY in text and "49" not in text
    assert check_docx(data, type_name="BÁO CÁO") == []


def test_laggards_are_named_and_the_body_ends_the_document(tiny: Hierarchy, rollup: Rollup) -> None:
    context = _context(tiny, rollup)
    proposal = context.closing_blocks[1].text
    assert NASTY in proposal and "Phường Yên Sở" in proposal
    assert context.closing_blocks[-1].text.endswith(
        "UBND quận Hoàng Mai kính báo cáo UBND thành phố Hà Nội./."
    )
    assert context.recipients == ["- UBND thành phố Hà Nội: Để báo cáo;", "- Lưu: VT."]


def test_more_than_ten_laggards_are_counted_not_listed(rollup: Rollup) -> None:
    line = rollup.unit("00340")
    late = Figures(tasks=1, open_overdue=1, reports_missing=1)
    children = [
        line.model_copy(
            update={"unit_id": f"u{i}", "unit_name": f"Đơn vị {i:02d}", "subtree": late}
        )
        for i in range(13)
    ]
    unit = committee_defaults("008", "Quận Hoàng Mai", UnitKind.QUAN, "01")
    context = report_context(unit, None, REF, PERIOD, line, children, AS_OF)
    proposal = context.closing_blocks[1].text
    assert "Đơn vị 09" in proposal and "Đơn vị 10" not in proposal
    assert "và 3 đơn vị khác" in proposal
    assert context.recipients == ["- Lưu: VT."]


def test_a_unit_without_children_has_no_chart_or_table(tiny: Hierarchy, rollup: Rollup) -> None:
    dept = tiny.unit("00340-van-hoa-thong-tin")
    context = report_context(dept, tiny.unit("00340"), REF, PERIOD, rollup.unit(dept.id), [], AS_OF)
    data = render_report(context, chart_png(completion_bars([])))
    assert check_docx(data, type_name="BÁO CÁO") == []
    assert not any(t.rows[0].cells[0].text == "TT" for t in Document(io.BytesIO(data)).tables)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert not [n for n in z.namelist() if n.startswith("word/media/")]


def test_chart_keeps_to_a_page_and_names_the_cut(rollup: Rollup) -> None:
    line = rollup.unit("00340")
    many = [
        line.model_copy(
            update={
                "unit_id": f"u{i}",
                "unit_name": f"Phường số {i:03d} có tên rất dài để thử xuống dòng",
                "subtree": Figures(tasks=100, done_on_time=i),
            }
        )
        for i in range(90)
    ]
    sixty, ninety = chart_png(completion_bars(many[:60])), chart_png(completion_bars(many))
    assert sixty.startswith(PNG) and ninety.startswith(PNG)
    width, height = _png_size(ninety)
    assert _png_size(sixty) == (width, height)
    assert height / width * 150 < 230  # mm tall at 150 mm wide: fits the text height
    assert chart_png(completion_bars(many)) == ninety  # deterministic


def test_rendering_is_deterministic(tiny: Hierarchy, rollup: Rollup) -> None:
    context = _context(tiny, rollup)
    chart = chart_png(completion_bars(_children(rollup, "008")))
    assert render_report(context, chart) == render_report(context, chart)


def test_sample_beside_the_template_renders(tiny: Hierarchy, rollup: Rollup) -> None:
    sample = json.loads(
        (REPORT_TEMPLATE.parent / "bao-cao.sample.json").read_text(encoding="utf-8")
    )
    context = ReportContext.model_validate(sample)
    data = render_report(context, chart_png(completion_bars(_children(rollup, "008"))))
    assert check_docx(data, type_name="BÁO CÁO") == []
    assert set(sample) == set(_context(tiny, rollup).model_dump())


def test_dollar_signs_in_names_are_not_formulas(rollup: Rollup) -> None:
    line = rollup.unit("00340").model_copy(update={"unit_name": "Phường $x^2$ & {{ y }}"})
    assert chart_png(completion_bars([line])).startswith(PNG)


@pytest.mark.parametrize(
    ("tag", "message"),
    [("{{ summary", "template syntax error"), ("{{ tom_tat }}", "'tom_tat' is undefined")],
)
def test_bad_templates_are_named(
    tmp_path: Path, tiny: Hierarchy, rollup: Rollup, tag: str, message: str
) -> None:
    broken = tmp_path / "bao-cao.docx"
    with zipfile.ZipFile(REPORT_TEMPLATE) as src, zipfile.ZipFile(broken, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "word/document.xml":
                data = data.replace(b"{{ summary }}", tag.encode())
            dst.writestr(info, data)
    with pytest.raises(TemplateError, match=message):
        render_report(_context(tiny, rollup), chart_png(completion_bars([])), broken)


def test_a_template_saved_by_libreoffice_renders(
    tmp_path: Path, tiny: Hierarchy, rollup: Rollup
) -> None:
    """Tags as an office suite saves them: quotes as &apos;, an "&" in a string as &amp;."""
    saved = tmp_path / "bao-cao.docx"
    with zipfile.ZipFile(REPORT_TEMPLATE) as src, zipfile.ZipFile(saved, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "word/document.xml":
                assert b"b.kind == 'heading'" in data
                data = re.sub(rb"'(heading|subheading)'", rb"&apos;\1&apos;", data)
                tag = "{{ summary ~ &apos; (R&amp;D)&apos; }}"
                data = data.replace(b"{{ summary }}", tag.encode())
            dst.writestr(info, data)
    context = _context(tiny, rollup)
    data = render_report(context, chart_png(completion_bars(_children(rollup, "008"))), saved)
    assert check_docx(data, type_name="BÁO CÁO") == []
    text = _text(data)
    assert f"{context.summary} (R&D)" in text
    assert all(b.text in text for b in context.blocks)
