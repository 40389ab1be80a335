"""What each department drafts: an ND 30 plan when it has a seal, a task list when not.

Each test cascades a seed plan to one department, renders its draft as the cascade does and
reopens the DOCX.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from docx import Document
from docx.document import Document as DocxDocument

from hierarchy.graph import Hierarchy
from hierarchy.sources import load_hierarchy
from hierarchy.units import UnitKind
from kehoach.cascade.departments import DocumentKind
from kehoach.cascade.drafting import render_draft
from kehoach.cascade.rules import Draft
from kehoach.cascade.walk import cascade, plans_by_unit
from kehoach.documents.nd30 import check_docx, check_task_list_docx
from kehoach.plan.model import Plan, load_plan
from tests.conftest import EXAMPLES


@pytest.fixture(scope="module")
def hanoi() -> Hierarchy:
    return load_hierarchy("hanoi-2024")


@pytest.fixture(scope="module")
def plans() -> dict[str, Plan]:
    names = {"145": "ha-noi-145-kh-ubnd", "67": "hoang-mai-67-kh-ubnd", "55": "yen-so-55-kh-ubnd"}
    return {k: load_plan(EXAMPLES / f"{v}.yaml") for k, v in names.items()}


def draft_of(plan: Plan, h: Hierarchy, unit_id: str) -> Draft:
    """The draft of ``unit_id`` in a cascade of ``plan`` (only the way down to it)."""
    return next(
        d for level in cascade(plan, h, start=unit_id) for d in level if d.unit.id == unit_id
    )


def opened(draft: Draft) -> tuple[bytes, DocxDocument]:
    data = render_draft(draft)
    return data, Document(io.BytesIO(data))


def body_text(doc: DocxDocument) -> str:
    return "\n".join(p.text for p in doc.paragraphs)


def cells(doc: DocxDocument, table: int, col: int) -> list[str]:
    return [p.text for p in doc.tables[table].rows[0].cells[col].paragraphs if p.text.strip()]


def test_kinds_with_a_seal() -> None:
    sealed = {k for k in UnitKind if k.is_department and k.has_seal}
    assert sealed == {UnitKind.SO, UnitKind.PHONG, UnitKind.VAN_PHONG, UnitKind.TRUNG_TAM}
    assert UnitKind.PHUONG.has_seal  # every committee has one


def test_a_district_phong_issues_its_own_plan(hanoi: Hierarchy, plans: dict[str, Plan]) -> None:
    parent = plans["67"]
    draft = draft_of(parent, hanoi, "008-phong-van-hoa-thong-tin")
    assert draft.document is DocumentKind.KE_HOACH
    data, doc = opened(draft)
    assert check_docx(data) == []
    assert cells(doc, 0, 0) == [
        "UBND QUẬN HOÀNG MAI",
        "PHÒNG VĂN HÓA VÀ THÔNG TIN",
        "Số:      /KH-PVHTT",
    ]
    signature = cells(doc, 1, 1)
    assert signature == ["TRƯỞNG PHÒNG"]  # its head signs, for no one else (no "TM.")
    text = body_text(doc)
    # Its own purposes, not the district's copied.
    assert not any(p[3:60] in text for p in (*parent.purposes, *parent.requirements))
    assert "các nhiệm vụ được giao tại Kế hoạch số 67/KH-UBND ngày 19/02/2024" in text
    # What 67 asks of it (its part, and the part for all departments), never another's part.
    assert "Duy trì chuyên mục CCHC trên Cổng thông tin điện tử quận" in text
    assert "cung cấp tin, bài về CCHC của cơ quan, đơn vị cho Phòng Văn hóa và Thông tin" in text
    assert "Lồng ghép kiểm tra việc thực hiện thông tin" not in text  # Phòng Nội vụ's
    # Each item lettered once, also one whose letter 67 wrote inside a marker
    # ("{cap_duoi|d) Hướng dẫn UBND các phường …}").
    assert "d) Hướng dẫn UBND các phường duy trì" in text
    assert not re.search(r"^[a-zđ]\) [a-zđ]\) ", text, re.MULTILINE), text
    headings = [p.text for p in doc.paragraphs if p.runs and p.runs[0].bold]
    assert not any(h.startswith(("Phòng Nội vụ", "Văn phòng", "UBND các phường")) for h in headings)
    # The annex: the rows it leads or coordinates, with its own deadlines.
    led_or_coordinated = {
        t.id
        for t in parent.tasks
        if {a.role for a in (t.lead, *t.coordinating)} & {"van-hoa-thong-tin", "chuyen-doi-so"}
        or "cac-phong-ban" in {a.group for a in (t.lead, *t.coordinating)}
    }
    assert {t.id for t in draft.plan.tasks} == led_or_coordinated
    annex = doc.tables[2]
    rows = [[c.text for c in r.cells] for r in annex.rows[1:]]
    assert len(rows) == len(draft.plan.tasks)
    assert rows[0][4] == draft.plan.tasks[0].deadline.text


def test_a_part_copied_from_the_level_above_is_left_out(
    hanoi: Hierarchy, plans: dict[str, Plan]
) -> None:
    """The district's draft of 145 still carries the city's part for its Sở Thông tin và
    Truyền thông; the district's Phòng does not take it for its own."""
    draft = draft_of(plans["145"], hanoi, "008-phong-van-hoa-thong-tin")
    _, doc = opened(draft)
    text = body_text(doc)
    assert "Sở Thông tin và Truyền thông" not in [p.text for p in doc.paragraphs]
    assert "hướng dẫn, định hướng các cơ quan báo chí của Thành phố" not in text
    assert check_docx(render_draft(draft)) == []


def test_a_city_department_issues_its_own_plan(hanoi: Hierarchy, plans: dict[str, Plan]) -> None:
    draft = draft_of(plans["145"], hanoi, "01-so-noi-vu")
    data, doc = opened(draft)
    assert check_docx(data) == []
    assert cells(doc, 0, 0)[:2] == ["UBND THÀNH PHỐ HÀ NỘI", "SỞ NỘI VỤ"]
    assert cells(doc, 1, 1) == ["GIÁM ĐỐC"]
    # Its part of 145 (by role), printed under its own heading, not "Sở Nội vụ".
    assert "Tham mưu UBND Thành phố ban hành Kế hoạch thông tin, tuyên truyền" in body_text(doc)
    assert "Sở Nội vụ" not in [p.text for p in doc.paragraphs]


def test_a_ward_section_drafts_its_task_list(hanoi: Hierarchy, plans: dict[str, Plan]) -> None:
    """Seed 001: the Bộ phận Văn hóa và Thông tin of Yên Sở, from 55/KH-UBND's annex."""
    draft = draft_of(plans["55"], hanoi, "00340-van-hoa-thong-tin")
    assert draft.document is DocumentKind.DANH_SACH
    data, doc = opened(draft)
    assert check_task_list_docx(data) == []
    texts = [p.text.strip() for p in doc.paragraphs if p.text.strip()]
    assert texts[:3] == ["UBND PHƯỜNG YÊN SỞ", "BỘ PHẬN VĂN HÓA VÀ THÔNG TIN", "DANH SÁCH NHIỆM VỤ"]
    assert "(Thực hiện Kế hoạch số 55/KH-UBND ngày 20/02/2024 của UBND phường Yên Sở)" in texts
    everything = [*texts, *(c.text for t in doc.tables for r in t.rows for c in r.cells)]
    assert not any(t.startswith(("Số:", "TM.", "KT.", "CỘNG HÒA")) for t in everything)
    rows = [[c.text for c in r.cells] for r in doc.tables[0].rows[1:]]
    site = next(r for r in rows if r[1].startswith("Tuyên truyền kết quả thực hiện CCHC trên"))
    assert site[2:] == [
        "Chủ trì, phối hợp với Bộ phận Một cửa",
        "Trong năm 2024",
        "tối thiểu 12 tin/bài/năm",
        "UBND phường Yên Sở",
    ]
    plan_row = next(r for r in rows if r[1].startswith("Ban hành Kế hoạch"))
    assert plan_row[2] == "Phối hợp với Bộ phận Văn phòng UBND"
    assert plan_row[5] == "Bộ phận Văn phòng UBND"  # a supporting section reports to the lead
    # 55's 20/2: three days earlier would be before 55 itself is issued, so 20/2.
    assert plan_row[3] == "Chậm nhất ngày 20/2/2024"
    assert site[1] == (
        "Tuyên truyền kết quả thực hiện CCHC trên Trang thông tin điện tử của phường đảm bảo "
        "đăng tải tối thiểu 12 tin/bài trong năm"
    )
    # The rows are the tasks it leads or coordinates, which it reports on.
    mine = {"00340-van-hoa-thong-tin", "cac-phong-ban"}
    assert len(rows) == len(draft.plan.tasks) == 8
    assert all(
        mine & {a.unit or a.group for a in (t.lead, *t.coordinating)} for t in draft.plan.tasks
    )
    # Its part of 55's text (III.3) and the part for all sections (III.1), lettered anew.
    assert "b) Nghiên cứu, đề xuất thực hiện chuyển đổi số trong công tác thông tin" in "\n".join(
        texts
    )
    assert any("Hằng quý có ít nhất 01 tin/bài về thực hiện CCHC" in t for t in texts)
    assert not any("Phối hợp với các bộ phận chuyên môn tổ chức Đối thoại" in t for t in texts)
    signatures = [t for t in texts if "NGƯỜI LẬP" in t]
    assert signatures == ["NGƯỜI LẬP\tPHỤ TRÁCH BỘ PHẬN"]


def test_every_department_of_a_ward_and_a_district_drafts_its_kind(
    hanoi: Hierarchy, plans: dict[str, Plan]
) -> None:
    district = [draft_of(plans["67"], hanoi, u.id) for u in hanoi.departments("008")]
    ward = [d for level in cascade(plans["67"], hanoi, start="00340") for d in level]
    kinds = {d.unit.id: d.document for d in [*district, *ward] if d.unit.is_department}
    assert kinds["008-van-phong"] is DocumentKind.KE_HOACH
    assert kinds["008-phong-noi-vu"] is DocumentKind.KE_HOACH
    assert kinds["008-bo-phan-mot-cua"] is DocumentKind.DANH_SACH  # inside the district office
    assert {kinds[u.id] for u in hanoi.departments("00340")} == {DocumentKind.DANH_SACH}
    for d in [*district, *ward]:
        data = render_draft(d)
        check = check_docx if d.document is DocumentKind.KE_HOACH else check_task_list_docx
        assert check(data) == [], d.unit.id


def test_a_commune_phong_after_2025_issues_a_plan(plans: dict[str, Plan]) -> None:
    h = load_hierarchy("hanoi-2025")
    commune = h.admin_children("01")[0]
    dept = next(d for d in h.departments(commune.id) if d.kind is UnitKind.PHONG)
    draft = draft_of(plans["145"], h, dept.id)
    data, doc = opened(draft)
    assert draft.document is DocumentKind.KE_HOACH and check_docx(data) == []
    assert cells(doc, 0, 0)[:2] == [f"UBND {commune.name.upper()}", dept.name.upper()]


def test_reports_read_the_departments_tasks(hanoi: Hierarchy, plans: dict[str, Plan]) -> None:
    """The roll-up and the intake sheets read every department's plan: a section's plan
    still lists the tasks it leads or coordinates."""
    h = hanoi.subtree("008")
    by_unit = plans_by_unit(plans["67"], h)
    vhtt = by_unit["00340-van-hoa-thong-tin"]
    assert {"5", "6", "7", "8", "9"} <= {
        t.id for t in vhtt.tasks if t.lead.unit == "00340-van-hoa-thong-tin"
    }


def test_a_template_check_of_the_task_list(tmp_path: Path, plans: dict[str, Plan]) -> None:
    """The task-list check refuses what only a body with a seal prints."""
    from kehoach.documents.plan_document import render_plan

    problems = check_task_list_docx(render_plan(plans["55"]))
    assert any(p.startswith("a 'Số:' line") for p in problems)
    assert any(p.startswith("Quốc hiệu or Tiêu ngữ") for p in problems)
    assert any(p.startswith("title 'DANH SÁCH NHIỆM VỤ' missing") for p in problems)
