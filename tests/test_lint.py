"""The draft checker (``kehoach draft lint``) on drafts the product's own renderer wrote.

The clean case is the real ward plan 55/KH-UBND of Phường Yên Sở (what a legitimate child of
67/KH-UBND says) with its two real defects mended; each test puts one defect back in its
text and expects exactly the finding it makes. The real plan, as issued, is the control.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
from docx import Document

from hierarchy.graph import Hierarchy
from hierarchy.sources import load_hierarchy
from kehoach.cascade.drafting import DraftTemplates, draft_context
from kehoach.cascade.journal import BatchResult, PackedBatch, SharedValues
from kehoach.cascade.lint import (
    FindingKind,
    LintReport,
    ParentPlan,
    Voice,
    lint_draft,
    lint_folder,
    lint_out,
)
from kehoach.cascade.lint.draft import Memo
from kehoach.cascade.lint.findings import DraftFindings, Finding
from kehoach.cascade.manifest import (
    DraftState,
    Manifest,
    ManifestEntry,
    PlanSummary,
    draft_path,
    write_manifest,
)
from kehoach.cascade.run import CascadeOutcome, prepare, running
from kehoach.cascade.walk import cascade
from kehoach.cli import app
from kehoach.documents.plan_document import PlanContext, render_plan
from kehoach.documents.plan_text import (
    plan_text_of,
    printed_text,
    prints_its_context,
    read_plan_text,
)
from kehoach.documents.task_list import TaskListContext
from kehoach.io.writing import sha256
from kehoach.plan.model import Assignee, Plan, load_plan
from tests.conftest import EXAMPLES, edited_template, runner

K = FindingKind


@pytest.fixture(scope="module")
def hanoi() -> Hierarchy:
    return load_hierarchy("hanoi-2024")


@pytest.fixture(scope="module")
def plan_67() -> Plan:
    return load_plan(EXAMPLES / "hoang-mai-67-kh-ubnd.yaml")


@pytest.fixture(scope="module")
def plan_55() -> Plan:
    return load_plan(EXAMPLES / "yen-so-55-kh-ubnd.yaml")


#: 01-CTr/TU as 55/KH-UBND cites it, and as 67/KH-UBND does (55 adds "khoá XVII,").
MEND = ("” khoá XVII, giai đoạn 2021-2025", "” giai đoạn 2021-2025")


@pytest.fixture(scope="module")
def clean_55(plan_55: Plan) -> Plan:
    """55/KH-UBND with no lead among its own coordinators (rows 4–6); :func:`clean` also
    cites 01-CTr/TU in 67's words: the real plan with its two defects mended."""
    one_stop = Assignee(role="mot-cua", label="Bộ phận Một cửa")
    tasks = tuple(
        t.model_copy(update={"coordinating": tuple(c for c in t.coordinating if c != t.lead)})
        if t.lead in t.coordinating
        else t
        for t in plan_55.tasks
    )
    tasks = tuple(
        t if t.coordinating else t.model_copy(update={"coordinating": (one_stop,)}) for t in tasks
    )
    return plan_55.model_copy(update={"tasks": tasks})


def rendered(plan: Plan, *edits: tuple[str, str]) -> bytes:
    """``plan`` rendered, with words retyped in it as a clerk would in Word: each ``(old,
    new)`` replaced in its document.xml (``old`` must be there)."""
    source = zipfile.ZipFile(io.BytesIO(render_plan(plan)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "word/document.xml":
                xml = data.decode("utf-8")
                for old, new in edits:
                    assert old in xml, old
                    xml = xml.replace(old, new)
                data = xml.encode("utf-8")
            target.writestr(info, data)
    return out.getvalue()


def clean(plan: Plan, *edits: tuple[str, str]) -> bytes:
    """The mended 55 (``clean_55``) rendered, then ``edits``."""
    return rendered(plan, MEND, *edits)


def findings(
    data: bytes, h: Hierarchy, parent: Plan, unit: str = "00340"
) -> list[tuple[str, str, str]]:
    """(kind, where, text) of each finding in the DOCX ``data`` as ``unit``'s draft below
    ``parent``."""
    text = read_plan_text(data)
    above = ParentPlan.of_text(plan_text_of(parent), parent.issuer.name)
    found = lint_draft(text, Voice.of(h, h.unit(unit)), "draft.docx", above)
    return [(f.kind.value, f.where, f.text) for f in found]


def test_reading_a_rendered_plan_gives_back_the_text_it_was_rendered_from(
    plan_55: Plan, plan_67: Plan
) -> None:
    for plan in (plan_55, plan_67, load_plan(EXAMPLES / "ha-noi-145-kh-ubnd.yaml")):
        assert read_plan_text(render_plan(plan)) == plan_text_of(plan)


def test_the_mended_55_has_no_findings(clean_55: Plan, plan_67: Plan, hanoi: Hierarchy) -> None:
    # 55 mentions Hoàng Mai and Hà Nội as higher bodies: "Cổng thông tin điện tử Quận" to
    # send news to, "ngân sách Quận cấp cho phường", "theo Kế hoạch của quận", "đề xuất Quận
    # (qua phòng Nội vụ)", "Kế hoạch CCHC nhà nước năm 2024 của quận Hoàng Mai".
    assert findings(clean(clean_55), hanoi, plan_67) == []


def test_the_real_55_has_only_its_own_defects(
    plan_55: Plan, plan_67: Plan, hanoi: Hierarchy
) -> None:
    """The control: as issued, 55 leads and coordinates with the same section in rows 4, 5
    and 6, and cites 01-CTr/TU with "khoá XVII," where (the reconstructed) 67 does not."""
    found = findings(render_plan(plan_55), hanoi, plan_67)
    assert [(k, w) for k, w, _ in found] == [
        ("citation-changed", "II.1 ¶2"),
        ("lead-coordinates", "annex row 4"),
        ("lead-coordinates", "annex row 5"),
        ("lead-coordinates", "annex row 6"),
    ]
    assert "01-CTr/TU" in found[0][2] and "khoá XVII" in found[0][2]
    assert all("Bộ phận Văn hóa và Thông tin" in t for _, _, t in found[1:])


def test_one_memo_shared_by_sibling_wards_finds_what_a_fresh_check_finds(
    clean_55: Plan, plan_67: Plan, hanoi: Hierarchy
) -> None:
    """A batch's check keeps what it found in each paragraph for the next draft: a paragraph
    naming no unit is judged once for every voice, one naming a unit once per voice. Yên
    Sở's plan read as its own and as its sibling Thanh Trì's (where "phường Yên Sở" is
    foreign), in both orders, with one memo: each reading finds what it finds alone."""
    text = read_plan_text(clean(clean_55))
    above = ParentPlan.of_text(plan_text_of(plan_67), plan_67.issuer.name)
    voices = [Voice.of(hanoi, hanoi.unit(u)) for u in ("00340", "00301")]

    def seen(found: list[Finding]) -> list[tuple[str, str, str]]:
        return [(f.kind.value, f.where, f.text) for f in found]

    alone = [seen(lint_draft(text, v, "draft.docx", above)) for v in voices]
    assert alone[0] == [] and alone[1] != []  # the sibling's reading differs: it can fail
    for order in (voices, voices[::-1]):
        memo: Memo = {}
        shared = {v.admin.id: seen(lint_draft(text, v, "draft.docx", above, memo)) for v in order}
        assert [shared[v.admin.id] for v in voices] == alone


@pytest.mark.parametrize(
    ("old", "new", "where", "says"),
    [
        # the parent's department, and committees a ward does not have
        ("5. Bộ phận Tư pháp", "5. Phòng Tư pháp", "III.5", "a department of Quận Hoàng Mai"),
        (
            "1. Các bộ phận chuyên môn thuộc phường",
            "1. Các bộ phận chuyên môn thuộc quận",
            "III.1",
            "quận above it",
        ),
        ("3. Bộ phận Văn hóa và Thông tin", "3. UBND các phường", "III.3", "has none"),
    ],
)
def test_a_part_addressed_to_a_body_the_ward_cannot_direct(
    clean_55: Plan, plan_67: Plan, hanoi: Hierarchy, old: str, new: str, where: str, says: str
) -> None:
    found = findings(clean(clean_55, (old, new)), hanoi, plan_67)
    assert [(w, says in t) for _, w, t in found] == [(where, True)]


def test_a_district_may_address_its_wards(plan_67: Plan, hanoi: Hierarchy) -> None:
    parent = load_plan(EXAMPLES / "ha-noi-145-kh-ubnd.yaml")
    found = findings(render_plan(plan_67), hanoi, parent, unit="008")
    assert [f for f in found if f[0] == K.FOREIGN_ASSIGNEE] == []


@pytest.mark.parametrize(
    ("old", "new", "where", "phrase"),
    [
        ("công tác CCHC của phường trên", "công tác CCHC của quận trên", "II.1.b", "của quận"),
        ("TTHC trên địa bàn phường;", "TTHC trên địa bàn quận;", "II.1.e", "trên địa bàn quận"),
        ("UBND phường yêu cầu", "UBND Thành phố yêu cầu", "closing", "UBND Thành phố yêu cầu"),
        (
            "trên Trang thông tin điện tử của phường; đảm bảo",
            "trên Cổng thông tin điện tử quận; đảm bảo",
            "III.1.b",
            "Cổng thông tin điện tử quận",
        ),
    ],
)
def test_the_ward_speaking_of_itself_in_the_districts_words(
    clean_55: Plan, plan_67: Plan, hanoi: Hierarchy, old: str, new: str, where: str, phrase: str
) -> None:
    found = findings(clean(clean_55, (old, new)), hanoi, plan_67)
    assert [(k, w) for k, w, _ in found] == [(K.FOREIGN_SELF_REFERENCE, where)]
    assert f"“{phrase}" in found[0][2]


@pytest.mark.parametrize(
    "phrase",
    [
        "định kỳ báo cáo UBND quận (qua Phòng Nội vụ)",
        "thực hiện các văn bản UBND quận ban hành về CCHC",
        "theo nội dung UBND Thành phố yêu cầu",
        "gửi tin, bài đăng trên Cổng thông tin điện tử quận",
        "đề xuất UBND quận khen thưởng tập thể, cá nhân",
        "bám sát Kế hoạch CCHC năm 2024 của quận Hoàng Mai",
    ],
)
def test_mentions_of_higher_bodies_a_ward_may_make(
    clean_55: Plan, plan_67: Plan, hanoi: Hierarchy, phrase: str
) -> None:
    law = "giáo dục pháp luật trên địa bàn phường."
    data = clean(clean_55, (law, f"giáo dục pháp luật trên địa bàn phường; {phrase}."))
    assert findings(data, hanoi, plan_67) == []


def test_a_citation_reworded_from_the_parents(
    clean_55: Plan, plan_67: Plan, hanoi: Hierarchy
) -> None:
    data = clean(
        clean_55,
        ("đô thị quận Hoàng Mai, giai đoạn", "đô thị phường Yên Sở, giai đoạn"),
        ("của quận Hoàng Mai năm 2024, UBND", "của phường Yên Sở năm 2024, UBND"),
    )
    found = findings(data, hanoi, plan_67)
    assert [(k, w) for k, w, _ in found] == [
        (K.CITATION_CHANGED, "preamble"),
        (K.CITATION_CHANGED, "II.1 ¶3"),
    ]
    assert "67/KH-UBND" in found[0][2] and "phường Yên Sở năm 2024" in found[0][2]
    assert "03-CTr/QU" in found[1][2] and "quận Hoàng Mai" in found[1][2]


def test_one_task_with_two_deadlines(clean_55: Plan, plan_67: Plan, hanoi: Hierarchy) -> None:
    # III.1.a gives the departments' plans 31/3 where the annex has 20/2 and 15/3 (row 1 and
    # its continuation row, which is one task and no finding by itself).
    retyped = ("kế hoạch: chậm nhất ngày 15/3/2024", "kế hoạch: chậm nhất ngày 31/3/2024")
    found = findings(clean(clean_55, retyped), hanoi, plan_67)
    assert [(k, w) for k, w, _ in found] == [(K.TWO_DEADLINES, "III.1.a")]
    assert "31/3/2024" in found[0][2] and "annex row 1: 20/2/2024, 15/3/2024" in found[0][2]
    # Numbered like row 1, the continuation row is a second task 1 with another date.
    tasks = list(clean_55.tasks)
    tasks[1] = tasks[1].model_copy(update={"stt": "1"})
    found = findings(clean(clean_55.model_copy(update={"tasks": tuple(tasks)})), hanoi, plan_67)
    assert [(k, w) for k, w, _ in found] == [(K.TWO_DEADLINES, "annex row 1")]


def test_two_dates_for_the_departments_plans_where_the_annex_has_none(
    clean_55: Plan, plan_67: Plan, hanoi: Hierarchy
) -> None:
    added = (
        "trong xây dựng và tổ chức thực hiện Kế hoạch này.",
        "trong xây dựng và tổ chức thực hiện Kế hoạch này; các bộ phận chuyên môn hoàn thành "
        "xây dựng kế hoạch của cơ quan chậm nhất ngày 31/3/2024.",
    )
    found = findings(clean(clean_55.model_copy(update={"tasks": ()}), added), hanoi, plan_67)
    assert [(k, w) for k, w, _ in found] == [(K.TWO_DEADLINES, "III.2.a")]
    assert "31/3/2024" in found[0][2] and "15/3/2024 in III.1.a" in found[0][2]


def test_a_lead_listed_as_its_own_coordinator(
    clean_55: Plan, plan_67: Plan, hanoi: Hierarchy
) -> None:
    row_2 = clean_55.tasks[2]
    tasks = list(clean_55.tasks)
    tasks[2] = row_2.model_copy(update={"coordinating": (*row_2.coordinating, row_2.lead)})
    found = findings(clean(clean_55.model_copy(update={"tasks": tuple(tasks)})), hanoi, plan_67)
    assert [(k, w) for k, w, _ in found] == [(K.LEAD_COORDINATES, "annex row 2")]


def test_the_parent_cited_without_number_or_blanks(
    clean_55: Plan, plan_67: Plan, hanoi: Hierarchy
) -> None:
    cited = "Kế hoạch số 67/KH-UBND ngày 19/02/2024 của UBND quận Hoàng Mai về"
    data = clean(clean_55, (cited, "Kế hoạch của UBND quận Hoàng Mai về"))
    assert [(k, w) for k, w, _ in findings(data, hanoi, plan_67)] == [
        (K.UNNUMBERED_CITATION, "preamble")
    ]
    blanks = "Kế hoạch số      /KH-UBND ngày     /     /2024 của UBND quận Hoàng Mai về"
    assert findings(clean(clean_55, (cited, blanks)), hanoi, plan_67) == []


def test_a_draft_edited_by_hand_reads_as_the_clerk_saved_it(
    clean_55: Plan, plan_67: Plan, hanoi: Hierarchy
) -> None:
    """Word splits a paragraph into runs as it is typed: "5. Bộ phận Tư pháp" retyped as
    "5. " + "Phòng Tư pháp" (both bold) is still part III.5, now the district's office."""
    doc = Document(io.BytesIO(clean(clean_55)))
    heading = next(p for p in doc.paragraphs if p.text == "5. Bộ phận Tư pháp")
    heading.runs[0].text = "5. "
    heading.add_run("Phòng Tư pháp").bold = True
    saved = io.BytesIO()
    doc.save(saved)
    text = read_plan_text(saved.getvalue())
    above = ParentPlan.of_text(plan_text_of(plan_67), plan_67.issuer.name)
    found = lint_draft(text, Voice.of(hanoi, hanoi.unit("00340")), "draft.docx", above)
    assert [(f.kind, f.where) for f in found] == [(K.FOREIGN_ASSIGNEE, "III.5")]


def task_list(*duties: str, role: str, deadline: str) -> bytes:
    """A ward section's task list (DANH SÁCH NHIỆM VỤ) laid out as the department documents
    print it: the ward and the section on top, no header table, the table of tasks, the
    section's other duties, the dateline and the signatures."""
    doc = Document()
    for line in ("UBND PHƯỜNG YÊN SỞ", "BỘ PHẬN TƯ PHÁP", "DANH SÁCH NHIỆM VỤ"):
        doc.add_paragraph().add_run(line).bold = True
    doc.add_paragraph().add_run("Thông tin, tuyên truyền về CCHC năm 2024").bold = True
    doc.add_paragraph("(Thực hiện Kế hoạch của UBND phường Yên Sở)")
    doc.add_paragraph().add_run("1. Nhiệm vụ cụ thể").bold = True
    heads = ["TT", "Nhiệm vụ", "Trách nhiệm", "Thời hạn", "Chỉ tiêu", "Báo cáo kết quả về"]
    table = doc.add_table(rows=2, cols=len(heads))
    row = ["1", "Ban hành kế hoạch tuyên truyền CCHC năm 2024 của cơ quan", role, deadline, "", ""]
    for cells, texts in ((table.rows[0].cells, heads), (table.rows[1].cells, row)):
        for cell, text in zip(cells, texts, strict=True):
            cell.text = text
    doc.add_paragraph().add_run("2. Nhiệm vụ khác theo Kế hoạch của UBND phường").bold = True
    for duty in duties:
        doc.add_paragraph(duty)
    doc.add_paragraph("\t\tYên Sở, ngày      tháng      năm 2024")
    doc.add_paragraph("\tNGƯỜI LẬP\tPHỤ TRÁCH BỘ PHẬN")
    saved = io.BytesIO()
    doc.save(saved)
    return saved.getvalue()


def test_a_sections_task_list_is_checked_as_its_wards_words(hanoi: Hierarchy) -> None:
    data = task_list(
        "a) Xây dựng kế hoạch tuyên truyền CCHC năm 2024 của cơ quan, chậm nhất ngày 26/3/2024.",
        "b) Phổ biến kết quả công tác CCHC của quận trên các lĩnh vực.",
        role="Chủ trì, phối hợp với Bộ phận Tư pháp",
        deadline="Chậm nhất ngày 23/3/2024",
    )
    text = read_plan_text(data)
    assert text.type_name == "DANH SÁCH NHIỆM VỤ"
    assert text.issuer_lines == ["UBND PHƯỜNG YÊN SỞ", "BỘ PHẬN TƯ PHÁP"]
    assert text.dateline == "Yên Sở, ngày tháng năm 2024"
    assert [(r.stt, r.lead, r.coordinating) for r in text.annex] == [
        ("1", "BỘ PHẬN TƯ PHÁP", "Bộ phận Tư pháp")
    ]
    voice = Voice.of(hanoi, hanoi.unit("00340-tu-phap"))
    found = [(f.kind, f.where) for f in lint_draft(text, voice, "tu-phap.docx")]
    assert found == [
        (K.UNNUMBERED_CITATION, "preamble"),
        (K.FOREIGN_SELF_REFERENCE, "2.b"),
        (K.TWO_DEADLINES, "2.a"),
        (K.LEAD_COORDINATES, "table row 1"),
    ]


# -- a plan folder: the manifest, the drafts, and the command ---------------------------


def draft_of(ward: Plan) -> Plan:
    """``ward`` as a draft: no number, no date yet."""
    data = json.loads(ward.model_dump_json())
    data.update(number=None, date=None)
    return Plan.model_validate(data)


def department_plan(ward: Plan, summary: str) -> Plan:
    """Bộ phận Tư pháp's task list: its part of ``ward``'s plan, citing the ward's draft
    (blanks for its number) as about ``summary``."""
    return Plan.model_validate(
        {
            "symbol": "KH-TP",
            "issuer": {
                "unit_id": "00340-tu-phap",
                "name": "Bộ phận Tư pháp",
                "body": {"superior": "UBND PHƯỜNG YÊN SỞ", "lines": ["BỘ PHẬN TƯ PHÁP"]},
            },
            "place": "Yên Sở",
            "summary": "Triển khai Kế hoạch thông tin, tuyên truyền về CCHC năm 2024",
            "term": {"start": 2024, "end": 2024},
            "preamble": (
                "Thực hiện Kế hoạch số      /KH-UBND ngày     /     /2024 của UBND phường Yên Sở "
                f"về {summary}, Bộ phận Tư pháp xây dựng kế hoạch triển khai như sau:"
            ),
            "implementation": [ward.implementation[-1].model_dump()],
            "signer": {"title": "PHỤ TRÁCH BỘ PHẬN"},
        }
    )


@pytest.fixture
def folder(tmp_path: Path, clean_55: Plan, plan_67: Plan, hanoi: Hierarchy) -> Path:
    """A plan folder as a cascade of 67 from Yên Sở leaves it: the ward's draft (with Phòng
    Tư pháp for its Bộ phận Tư pháp) and its Bộ phận Tư pháp's (citing the ward's draft
    with another summary)."""
    ward = clean(draft_of(clean_55), ("5. Bộ phận Tư pháp", "5. Phòng Tư pháp"))
    dept = department_plan(clean_55, "thông tin, tuyên truyền về CCHC của quận Hoàng Mai năm 2024")
    out = tmp_path / "out" / "008-67-kh-ubnd-2024" / "hanoi-2024"
    entries = []
    for unit_id, data in (("00340", ward), ("00340-tu-phap", render_plan(dept))):
        unit = hanoi.unit(unit_id)
        path = out / draft_path(hanoi, unit)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        entries.append(
            ManifestEntry(
                unit_id=unit.id,
                unit_name=unit.name,
                level=unit.level.value,
                parent_unit_id=unit.parent,
                parent_plan="67/KH-UBND (UBND quận Hoàng Mai)",
                path=draft_path(hanoi, unit).as_posix(),
                sha256=sha256(data),
            )
        )
    manifest = Manifest(plan=PlanSummary.of(plan_67), hierarchy="hanoi-2024", drafts=entries)
    write_manifest(out, manifest)
    return out


def test_a_folder_is_checked_draft_by_draft_against_each_parent(
    folder: Path, plan_67: Plan, hanoi: Hierarchy
) -> None:
    report = lint_folder(folder, plan=plan_67, hierarchy=hanoi)
    assert report.drafts == 2 and report.notes == []
    lines = [(f.path.split("/")[-1], f.where, f.kind) for f in report.findings]
    assert lines == [
        ("00340-phuong-yen-so.docx", "III.5", K.FOREIGN_ASSIGNEE),
        ("00340-tu-phap-bo-phan-tu-phap.docx", "preamble", K.CITATION_CHANGED),
    ]
    assert "quận Hoàng Mai năm 2024" in report.findings[1].text  # the ward's draft says phường
    assert report.counts == {
        "foreign-assignee": 1,
        "foreign-self-reference": 0,
        "citation-changed": 1,
        "two-deadlines": 0,
        "lead-coordinates": 0,
        "unnumbered-citation": 0,
    }
    # The output folder holding it gives the same findings, paths from there.
    whole = lint_out(folder.parents[1], plan=plan_67, hierarchy=hanoi)
    assert [f.path for f in whole.findings] == [
        f"008-67-kh-ubnd-2024/hanoi-2024/{f.path}" for f in report.findings
    ]


def test_draft_lint_command(folder: Path) -> None:
    plan = str(EXAMPLES / "hoang-mai-67-kh-ubnd.yaml")
    result = runner.invoke(app, ["draft", "lint", str(folder), "--plan", plan])
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    ward = "drafts/01-ha-noi/008-hoang-mai/00340-yen-so/00340-phuong-yen-so.docx"
    assert lines[0].startswith(f"{ward}: III.5: foreign-assignee: “Phòng Tư pháp”")
    assert lines[1].split(": ")[1:3] == ["preamble", "citation-changed"]
    assert any("foreign-assignee" in line and line.rstrip(" │").endswith("1") for line in lines)
    assert (
        runner.invoke(app, ["draft", "lint", str(folder), "--plan", plan, "--max", "2"]).exit_code
        == 0
    )
    # Without the plan, the ward's citations are compared with 67's number, date and summary.
    result = runner.invoke(app, ["draft", "lint", str(folder.parents[1])])
    assert result.exit_code == 1
    assert "note: " in result.stderr and "give the plan" in result.stderr


def test_draft_lint_refuses_a_folder_without_manifest(tmp_path: Path) -> None:
    result = runner.invoke(app, ["draft", "lint", str(tmp_path)])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ") and "manifest.json" in result.stderr


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_api")
def test_the_drafts_of_67_from_hoang_mai_have_no_findings(tmp_path: Path) -> None:
    """Every draft of Quận Hoàng Mai's subtree (its wards, their sections, its own offices):
    each addressed only to bodies it directs, in its own voice, citing verbatim, one deadline
    per task, no lead as its own coordinator, every citation with a number or blanks."""
    plan = EXAMPLES / "hoang-mai-67-kh-ubnd.yaml"
    out = tmp_path / "out"
    cascade = runner.invoke(app, ["cascade", str(plan), "--out", str(out)])
    assert cascade.exit_code == 0, cascade.output
    result = runner.invoke(app, ["draft", "lint", str(out), "--plan", str(plan)])
    assert result.exit_code == 0, result.stdout


# -- the check a cascade runs as it writes its drafts -----------------------------------


def checked_cascade(
    plan: Plan, h: Hierarchy, out: Path, start: str | None = None, template: Path | None = None
) -> tuple[CascadeOutcome, LintReport]:
    """A cascade of ``plan`` below its issuer, in this process, each draft checked as its
    batch writes it: its outcome and the report it gathers. Batches of 5 units: every ward
    (6 units) is drafted at the top, its sections in batches below it, beside the district's
    offices (their parent is the issuer)."""
    prepared = prepare(plan, h, "hanoi-2024", out, start=start, batch_size=5, template=template)
    with running(prepared, h) as run:
        drafted = run.draft_here(check=True)
        return run.finish(drafted), run.report(drafted)


def test_a_cascade_reports_what_the_folders_check_finds(
    tmp_path: Path, clean_55: Plan, plan_67: Plan, hanoi: Hierarchy
) -> None:
    """The findings a cascade gathers from its batches are those of ``kehoach draft lint``
    over the folder it wrote, in the same order: with a ward's draft (drafted at the top) and
    one of its sections' (in a batch) edited by hand and kept, the other batches skipped as
    finished, and a run over one ward that leaves the other wards' drafts as they were."""
    out = tmp_path / "out"
    first, report = checked_cascade(plan_67, hanoi, out)
    folder = Path(first.folder)
    assert report == lint_folder(folder, plan=plan_67, hierarchy=hanoi)
    assert report.drafts == first.total == 90
    # A clerk rewrites Yên Sở's draft (III.5 now for the district's office) and its Bộ phận
    # Tư pháp's (citing the ward's plan as about the district's).
    ward = folder / draft_path(hanoi, hanoi.unit("00340"))
    section = folder / draft_path(hanoi, hanoi.unit("00340-tu-phap"))
    ward.write_bytes(clean(draft_of(clean_55), ("5. Bộ phận Tư pháp", "5. Phòng Tư pháp")))
    dept = department_plan(clean_55, "thông tin, tuyên truyền về CCHC của quận Hoàng Mai năm 2024")
    section.write_bytes(render_plan(dept))
    edited = {p: p.read_bytes() for p in (ward, section)}

    again, report = checked_cascade(plan_67, hanoi, out)
    assert {folder / p for p in again.edited} == set(edited)
    assert all(p.read_bytes() == data for p, data in edited.items())  # kept, never redrafted
    assert again.resumed > 0  # batches skipped as finished: their drafts checked from disk
    assert report == lint_folder(folder, plan=plan_67, hierarchy=hanoi)
    # The section, in a batch, is compared with the ward's draft as the clerk left it (the
    # flow's text, handed to the batch): against 67 itself its citation would pass.
    assert [(folder / f.path, f.where, f.kind) for f in report.findings] == [
        (ward, "III.5", K.FOREIGN_ASSIGNEE),
        (section, "preamble", K.CITATION_CHANGED),
    ]

    # One ward redrafted: the other wards' drafts, listed still, are checked from disk.
    partial, part = checked_cascade(plan_67, hanoi, out, start="00340")
    assert partial.total == 6
    assert part == lint_folder(folder, plan=plan_67, hierarchy=hanoi) == report


def test_a_batch_result_packed_for_the_flow_unpacks_equal_and_its_copies_apart(
    tmp_path: Path, plan_67: Plan, hanoi: Hierarchy
) -> None:
    """What a drafting worker sends the flow (its models' field sets shared, to unpickle
    small) is the result it drafted, and a copy of one entry made in the flow changes no other.
    """
    prepared = prepare(plan_67, hanoi, "hanoi-2024", tmp_path / "out", start="00340")
    with running(prepared, hanoi) as run:
        drafted = run.draft_here()
    path = drafted.entries[0].path
    found = DraftFindings(
        unit_id=drafted.entries[0].unit_id,
        findings=[
            Finding(kind=K.TWO_DEADLINES, path=path, where=f"annex row {n}", text="…")
            for n in (1, 2)
        ],
    )
    result = drafted.model_copy(update={"checks": [found]})
    expected = result.model_dump()
    unpacked = PackedBatch.of(result).unpack()
    assert unpacked.model_dump() == expected
    assert unpacked == BatchResult.model_validate(expected)
    first, second = unpacked.entries[:2]
    one, two = unpacked.checks[0].findings
    assert one.model_fields_set is two.model_fields_set  # one set, pickled once
    edited = one.model_copy(update={"where": "annex row 9"})
    assert edited.where == "annex row 9" and two.where == "annex row 2"
    assert one.model_fields_set == two.model_fields_set == set(Finding.model_fields)
    assert replace(first, state=DraftState.EDITED).state is DraftState.EDITED
    assert first.state is second.state is DraftState.WRITTEN
    assert unpacked.model_dump() == expected


def test_results_held_by_the_flow_share_the_hierarchy_s_strings_and_change_no_value(
    tmp_path: Path, plan_67: Plan, hanoi: Hierarchy
) -> None:
    """The flow keeps every batch's entries to the end of the run: unpacked, they point at
    the hierarchy's ids and names and at one copy of what siblings repeat, and say the same."""
    prepared = prepare(plan_67, hanoi, "hanoi-2024", tmp_path / "out", start="00340")
    with running(prepared, hanoi) as run:
        drafted = run.draft_here()
    found = DraftFindings(
        unit_id=drafted.entries[1].unit_id,
        findings=[
            Finding(kind=K.TWO_DEADLINES, path=drafted.entries[1].path, where="annex row 1", text=t)
            for t in ("hai hạn", "hai hạn")
        ],
    )
    # Two batches, as the workers send them: each unpickled on its own.
    halves = [drafted.entries[:3], drafted.entries[3:]]
    results = [
        PackedBatch.of(BatchResult(entries=list(half), written=len(half), checks=checks)).unpack()
        for half, checks in zip(halves, ([found], []), strict=True)
    ]
    expected = [r.model_dump() for r in results]
    shared = SharedValues(hanoi)
    results = [shared.share(r) for r in results]
    assert [r.model_dump() for r in results] == expected
    entries = [e for r in results for e in r.entries]
    assert len(entries) == len(drafted.entries) > 3
    for e in entries:
        unit = hanoi.unit(e.unit_id)
        assert e.unit_id is unit.id and e.unit_name is unit.name
        parent = hanoi.parent(e.unit_id)
        assert parent is not None and e.parent_unit_id is parent.id
    first, last = entries[1], entries[-1]  # two departments of the ward, in two batches
    assert first.parent_unit_id == last.parent_unit_id == entries[0].unit_id
    assert first.parent_plan == last.parent_plan and first.parent_plan is last.parent_plan
    assert first.derived_from is last.derived_from is not None
    assert first.derived_from is not None and last.derived_from is not None
    assert first.derived_from.model_fields_set is last.derived_from.model_fields_set
    one, two = results[0].checks[0].findings
    assert one.text is two.text
    assert one.model_copy(update={"text": "khác"}).text == "khác" and two.text == "hai hạn"


@pytest.mark.parametrize(
    ("source", "plan", "start", "task_lists"),
    [
        ("hanoi-2024", "ha-noi-145-kh-ubnd.yaml", "Quận Hoàng Mai", True),
        ("hanoi-2024", "hoang-mai-67-kh-ubnd.yaml", None, True),
        ("hanoi-2025", "ha-noi-145-kh-ubnd.yaml", "Phường Hoàng Mai", False),
    ],
)
def test_a_drafts_words_are_those_its_docx_reads_back(
    source: str, plan: str, start: str | None, task_lists: bool
) -> None:
    """What a batch's draft check takes instead of reading its own DOCX back: the words of
    the context it was rendered from, for every draft (plans and, where wards have sections
    without a seal, task lists), at both structures; the default templates print their
    samples' contexts as given."""
    h = load_hierarchy(source)
    templates = DraftTemplates.of()
    assert prints_its_context(templates.plan, PlanContext)
    assert prints_its_context(templates.task_list, TaskListContext)
    drafts = [d for level in cascade(load_plan(EXAMPLES / plan), h, start=start) for d in level]
    assert {d.task_list is not None for d in drafts} == {False, task_lists}
    for d in drafts:
        compiled, context = draft_context(d, templates)
        assert printed_text(context) == read_plan_text(compiled.render(context.model_dump()))


@pytest.mark.parametrize(
    "tag",
    [
        "{{ summary }} trên địa bàn quận",  # the sample shows it
        "{{ summary }}{% if blocks|length > 20 %} trên địa bàn quận{% endif %}",  # not its
    ],
    ids=["words added", "words added for long plans only"],
)
def test_a_template_that_adds_words_has_its_drafts_read_back(
    tmp_path: Path, plan_67: Plan, hanoi: Hierarchy, tag: str
) -> None:
    """A template an operator gave words of its own: the batches check what its drafts
    read, as ``kehoach draft lint`` does, not the words they were rendered from. Here each
    ward's plan then speaks of "the district" as its own area."""
    template = edited_template(tmp_path, {"word/document.xml": [("{{ summary }}", tag, 1)]})
    outcome, report = checked_cascade(plan_67, hanoi, tmp_path / "out", template=template)
    assert report == lint_folder(Path(outcome.folder), plan=plan_67, hierarchy=hanoi)
    wards = [u for u in hanoi.children("008") if not u.is_department]
    summaries = {(f.kind, f.where) for f in report.findings if f.where == "summary"}
    assert summaries == {(K.FOREIGN_SELF_REFERENCE, "summary")}
    assert len([f for f in report.findings if f.where == "summary"]) == len(wards) == 14
