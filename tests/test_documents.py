"""Rendered DOCX reopened with python-docx: ND30 layout, text, escaping, determinism."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import jinja2
import pytest
from docx import Document
from jinja2.sandbox import SandboxedEnvironment

from hierarchy.sources import load_hierarchy
from kehoach.cascade.walk import cascade
from kehoach.documents.docx import TemplateError, compile_template, unescape_tags
from kehoach.documents.jinja import sandbox
from kehoach.documents.nd30 import check_docx
from kehoach.documents.plan_document import (
    PLAN_TEMPLATE,
    fixed_plan_template,
    lint_plan_template,
    plan_context,
    render_plan,
)
from kehoach.plan.markers import plain
from kehoach.plan.model import Plan, load_plan
from tests.conftest import EXAMPLES, Edits, edited_template

Write = Callable[[str, str], Path]


def _text(data: bytes) -> str:
    doc = Document(io.BytesIO(data))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts += [c.text for c in row.cells]
    return "\n".join(parts)


@pytest.mark.parametrize(
    "name", ["yen-so-55-kh-ubnd.yaml", "hoang-mai-67-kh-ubnd.yaml", "ha-noi-145-kh-ubnd.yaml"]
)
def test_seed_plans_render_to_nd30(name: str) -> None:
    plan = load_plan(EXAMPLES / name)
    data = render_plan(plan)
    assert check_docx(data) == []
    text = _text(data)
    assert plan.number_line in text and plan.dateline in text
    assert all(plain(t.title) in text for t in plan.tasks)
    assert "{{" not in text and "{%" not in text
    assert not re.search(r"\{[a-z_]+[:|]", text)  # markers print as their words


def test_yen_so_document_text_and_annex() -> None:
    plan = load_plan(EXAMPLES / "yen-so-55-kh-ubnd.yaml")
    doc = Document(io.BytesIO(render_plan(plan)))
    header = doc.tables[0]
    left = [p.text for p in header.rows[0].cells[0].paragraphs if p.text]
    assert left == ["ỦY BAN NHÂN DÂN", "PHƯỜNG YÊN SỞ", "Số: 55/KH-UBND"]
    annex = doc.tables[-1]
    assert [c.text for c in annex.rows[0].cells][:3] == [
        "TT",
        "Nhiệm vụ",
        "Cơ quan, đơn vị chủ trì",
    ]
    assert len(annex.rows) == 1 + len(plan.tasks)
    assert [c.text for c in annex.rows[2].cells] == [
        "",
        plain(plan.tasks[1].title),
        "Bộ phận Văn phòng UBND",
        "Bộ phận Văn hóa và Thông tin",
        "Trước ngày 15/3/2024",
    ]
    recipients = [p.text for p in doc.tables[1].rows[0].cells[0].paragraphs if p.text]
    assert recipients == [
        "Nơi nhận:",
        "- UBND quận Hoàng Mai: Để báo cáo;",
        "- Lãnh đạo UBND phường;",
        "- Các bộ phận chuyên môn: Để thực hiện;",
        "- Lưu: VT.",
    ]
    signer = [p.text for p in doc.tables[1].rows[0].cells[1].paragraphs if p.text]
    assert signer == ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH", "Trương Thành Tâm"]


def test_every_draft_below_a_ward_meets_nd30() -> None:
    """The ward's plan follows ND 30; its sections (no seal) draft task lists, checked as
    such."""
    from kehoach.cascade.departments import DocumentKind
    from kehoach.cascade.drafting import render_draft
    from kehoach.documents.nd30 import check_task_list_docx

    h = load_hierarchy("hanoi-2024")
    plan = load_plan(EXAMPLES / "hoang-mai-67-kh-ubnd.yaml")
    drafts = [d for level in cascade(plan, h, start="00340") for d in level]
    assert len(drafts) == 6
    for d in drafts:
        if d.document is DocumentKind.KE_HOACH:
            assert check_docx(render_draft(d)) == [], d.unit.name
        else:
            assert check_task_list_docx(render_draft(d)) == [], d.unit.name
    assert sum(d.document is DocumentKind.DANH_SACH for d in drafts) == 5


def test_special_characters_are_printed_not_evaluated() -> None:
    plan = load_plan(EXAMPLES / "yen-so-55-kh-ubnd.yaml")
    nasty = "Văn hóa & Thông tin <b>đậm</b> {{ 7*7 }} {% if x %}"
    task = plan.tasks[0].model_copy(update={"title": nasty})
    data = render_plan(
        Plan.model_validate(
            {
                **plan.model_dump(),
                "tasks": [task.model_dump(), *[t.model_dump() for t in plan.tasks[1:]]],
            }
        )
    )
    text = _text(data)
    assert nasty in text
    assert "49" not in text.split(nasty)[0][-5:]
    assert check_docx(data) == []  # the document is whole, signature and annex included


def test_rendering_is_deterministic() -> None:
    plan = load_plan(EXAMPLES / "yen-so-55-kh-ubnd.yaml")
    assert render_plan(plan) == render_plan(plan)
    with zipfile.ZipFile(io.BytesIO(render_plan(plan))) as z:
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_context_matches_the_sample_beside_the_template() -> None:
    import json

    from kehoach.documents.plan_document import PlanContext

    sample = json.loads((PLAN_TEMPLATE.parent / "ke-hoach.sample.json").read_text(encoding="utf-8"))
    context = PlanContext.model_validate(sample)
    data = compile_template(PLAN_TEMPLATE).render(context.model_dump())
    assert check_docx(data) == []
    assert set(sample) == set(
        plan_context(load_plan(EXAMPLES / "yen-so-55-kh-ubnd.yaml")).model_dump()
    )


def test_task_list_template_renders_its_sample_without_a_seal() -> None:
    """The section's task list: the sample renders, is checked clean, and shows a blank line
    where no name is known; the same check refuses an ND 30 plan."""
    from kehoach.documents.nd30 import check_task_list_docx
    from kehoach.documents.task_list import (
        TASK_LIST_TEMPLATE,
        lint_task_list_template,
        render_task_list,
        sample_context,
    )

    assert TASK_LIST_TEMPLATE.parent == PLAN_TEMPLATE.parent  # shipped beside the plan's
    assert lint_task_list_template() == []
    sample = sample_context()
    named = sample.model_copy(update={"signer_name": "Nguyễn Thị Hoa"})
    for context, last in ((sample, ""), (named, "Nguyễn Thị Hoa")):
        doc = Document(io.BytesIO(render_task_list(context)))
        lines = [p.text for p in doc.paragraphs]
        title = next(i for i, t in enumerate(lines) if t.startswith("\tNGƯỜI LẬP\t"))
        assert lines[title + 1 : title + 5] == [""] * 4  # room for the hand signatures
        assert lines[title + 5] == f"\t\t{last}"  # the printed name, or a blank line
        assert "None" not in _text(render_task_list(context))
    assert check_task_list_docx(render_plan(load_plan(EXAMPLES / "yen-so-55-kh-ubnd.yaml")))


def _template_with(tmp_path: Path, tag: str) -> Path:
    """A copy of the plan template whose summary tag is replaced by ``tag``."""
    src = zipfile.ZipFile(PLAN_TEMPLATE)
    out = tmp_path / "t.docx"
    with zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "word/document.xml":
                data = data.replace(b"{{ summary }}", tag.encode())
            dst.writestr(info, data)
    return out


@pytest.mark.parametrize(
    ("tag", "message"),
    [
        ("{{ summary", "template syntax error"),
        ("{{ tom_tat }}", "'tom_tat' is undefined"),
        (
            "{{ summary.__class__.__mro__[1].__subclasses__() }}",
            "forbidden in a template|unsafe|undefined",
        ),
    ],
)
def test_bad_templates_are_named(tmp_path: Path, tag: str, message: str) -> None:
    path = _template_with(tmp_path, tag)
    plan = load_plan(EXAMPLES / "yen-so-55-kh-ubnd.yaml")
    with pytest.raises(TemplateError, match=message):
        compile_template(path).render(plan_context(plan).model_dump())


@pytest.mark.parametrize(
    ("tag", "printed"),
    [
        # LibreOffice writes a tag's quotes as entities; any editor writes "&" as &amp;.
        ("{{ summary if signer_title == &apos;CHỦ TỊCH&apos; else &quot;?&quot; }}", "SUMMARY"),
        ("{{ &#39;A &amp; B&#39; }} {{ &#x27;&lt;i&gt;&#x27; }}", "A & B <i>"),
        # AutoCorrect's curly quotes, typed or saved as numeric entities.
        ("{{ ‘Word’ }} {{ &#8216;LibreOffice&#8217; }} {{ “x” }}", "Word LibreOffice x"),
        ("{# a comment with &apos;quotes&apos; #}{{ summary }}", "SUMMARY"),
    ],
)
def test_entities_inside_tags_are_read_as_characters(
    tmp_path: Path, tag: str, printed: str
) -> None:
    plan = load_plan(EXAMPLES / "yen-so-55-kh-ubnd.yaml")
    # The text around the tags is XML the operator typed: it must stay escaped.
    path = _template_with(tmp_path, f"R&amp;D &lt;b&gt; {tag} &apos;&amp;amp;&apos;")
    data = compile_template(path).render(plan_context(plan).model_dump())
    expected = printed.replace("SUMMARY", plain(plan.summary))
    assert f"R&D <b> {expected} '&amp;'" in _text(data)


@pytest.mark.parametrize(
    "source",
    [
        "{{ row.title }}|{{ row['title'] }}|{{ row.items is callable }}|{{ row.keys()|list }}",
        "{{ rows|map(attribute='title')|join(', ') }}|{{ row.get('stt', '-') }}",
        "{% for r in rows %}{{ r.title }}{% if r.items %}+{% endif %};{% endfor %}",
    ],
)
def test_the_sandbox_reads_dicts_as_jinjas_own(source: str) -> None:
    # The sandbox reads a dict's key without trying the attribute first (faster); a key named
    # like a dict method ("items") still gives the method, and the output is Jinja's own.
    row = {"title": "A & <B>", "items": "x"}
    data = {"row": row, "rows": [row, {"title": "C"}]}
    jinjas = SandboxedEnvironment(autoescape=True, undefined=jinja2.StrictUndefined)
    assert sandbox().from_string(source).render(data) == jinjas.from_string(source).render(data)


def test_the_sandbox_names_a_missing_key_as_jinja_does() -> None:
    jinjas = SandboxedEnvironment(autoescape=True, undefined=jinja2.StrictUndefined)
    messages = []
    for env in (sandbox(), jinjas):
        with pytest.raises(jinja2.UndefinedError) as raised:
            env.from_string("{{ row.tom_tat }}").render(row={"title": "x"})
        messages.append(raised.value.message)
    assert messages[0] == messages[1] == "'dict object' has no attribute 'tom_tat'"


def test_unescaping_leaves_the_text_between_tags_alone() -> None:
    xml = "<w:t>&amp;{{ a == &apos;&amp;&apos; }}&lt;{% if b &gt; 1 %}&quot;{% endif %}</w:t>"
    assert unescape_tags(xml) == "<w:t>&amp;{{ a == '&' }}&lt;{% if b > 1 %}&quot;{% endif %}</w:t>"


TNR = 'w:ascii="Times New Roman" w:hAnsi="Times New Roman"'
NIL_BORDERS = (
    '<w:tblBorders><w:top w:val="nil"/><w:left w:val="nil"/><w:bottom w:val="nil"/>'
    '<w:right w:val="nil"/><w:insideH w:val="nil"/><w:insideV w:val="nil"/></w:tblBorders>'
)
NORMAL = (
    '<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/>'
    '<w:qFormat/><w:rsid w:val="00FC693F"/><w:rPr><w:rFonts '
)
UNUSED_STYLE = (
    '<w:style w:type="paragraph" w:styleId="Heading"><w:name w:val="Heading"/><w:rPr>'
    '<w:rFonts w:ascii="Liberation Sans" w:hAnsi="Liberation Sans" w:eastAsia="DejaVu Sans"'
    ' w:cs="DejaVu Sans"/></w:rPr></w:style></w:styles>'
)


def _check(tmp_path: Path, edits: Edits) -> list[str]:
    return lint_plan_template(edited_template(tmp_path, edits))


def test_a_font_is_named_where_it_prints_with_its_fix(tmp_path: Path) -> None:
    arial = TNR.replace("Times New Roman", "Arial")
    problems = _check(
        tmp_path,
        {
            "word/document.xml": [(TNR, arial, -1)],
            "word/styles.xml": [
                (NORMAL + TNR, NORMAL + arial, 1),
                ("</w:styles>", UNUSED_STYLE, 1),
            ],
        },
    )
    assert len(problems) == 1, problems  # one line per font; the unused style prints nothing
    assert re.fullmatch(
        r"font is Arial in styles\.xml \(Normal\) and \d+ runs; ND 30 requires Times New Roman: "
        r"in Word/LibreOffice select all \(Ctrl\+A\) and choose Times New Roman, also in "
        r"Styles → Default Paragraph Style \(Word: Normal\)",
        problems[0],
    )


def test_theme_and_default_fonts_are_named_with_their_fix(tmp_path: Path) -> None:
    problems = _check(
        tmp_path,
        {
            "word/document.xml": [(TNR, 'w:asciiTheme="minorHAnsi" w:hAnsiTheme="minorHAnsi"', -1)],
            "word/styles.xml": [
                (f"<w:rPrDefault><w:rPr><w:rFonts {TNR}", "<w:rPrDefault><w:rPr><w:rFonts", 1)
            ],
        },
    )
    assert len(problems) == 2, problems
    assert re.match(r"font is a theme font \(minorHAnsi\) in \d+ runs; ", problems[0])
    assert "choose Times New Roman by name, not “+Body”/“+Headings”" in problems[0]
    assert problems[1].startswith("the document's default font is not Times New Roman")
    assert "Set As Default" in problems[1]


@pytest.mark.parametrize(
    ("old", "new", "count", "visible"),
    [
        # LibreOffice drops the explicit "no border" of tables without a style: still none.
        (NIL_BORDERS, "", 2, False),
        (NIL_BORDERS, NIL_BORDERS.replace('"nil"', '"single"'), 1, True),
        (NIL_BORDERS, "", 1, False),
        # A table style with borders (Table Grid), or cell borders as LibreOffice writes them.
        ("<w:tblPr><w:tblW", '<w:tblPr><w:tblStyle w:val="TableGrid"/><w:tblW', 1, False),
        (
            '<w:tcPr><w:tcW w:type="dxa" w:w="3402"/></w:tcPr>',
            '<w:tcPr><w:tcW w:type="dxa" w:w="3402"/><w:tcBorders><w:end w:val="single" '
            'w:sz="4" w:space="0" w:color="000000"/></w:tcBorders></w:tcPr>',
            1,
            True,
        ),
    ],
)
def test_header_borders_are_read_as_they_print(
    tmp_path: Path, old: str, new: str, count: int, visible: bool
) -> None:
    problems = _check(tmp_path, {"word/document.xml": [(old, new, count)]})
    header = [p for p in problems if p.startswith("the header table has visible borders: ")]
    assert bool(header) == visible, problems
    if visible:
        assert header[0].endswith(
            "select the table → Borders → No Border (LibreOffice: Table →"
            " Properties → Borders → no borders)"
        )
    assert len(problems) == len(header)


def test_a_table_style_with_borders_shows_them(tmp_path: Path) -> None:
    """Table Grid gives every edge a line unless the table's own borders say nil."""
    problems = _check(
        tmp_path,
        {
            "word/document.xml": [
                (NIL_BORDERS, "", 1),
                ("<w:tblPr><w:tblW", '<w:tblPr><w:tblStyle w:val="TableGrid"/><w:tblW', 1),
            ]
        },
    )
    assert [p.split(":")[0] for p in problems] == ["the header table has visible borders"]


def test_fixed_template_restores_fonts_and_borders(tmp_path: Path) -> None:
    arial = TNR.replace("Times New Roman", "Arial")
    edited = edited_template(
        tmp_path,
        {
            "word/document.xml": [
                (TNR, arial, -1),
                (NIL_BORDERS, NIL_BORDERS.replace('"nil"', '"single"'), -1),
            ],
            "word/styles.xml": [("</w:styles>", UNUSED_STYLE, 1)],
        },
    )
    problems = lint_plan_template(edited)
    assert [p.split(":")[0] for p in problems] == [
        "font is Arial in 46 runs; ND 30 requires Times New Roman",
        "the header table has visible borders",
        "the signature table (Nơi nhận) has visible borders",
    ]
    before = edited.read_bytes()
    fixed = tmp_path / "fixed.docx"
    fixed.write_bytes(fixed_plan_template(edited))
    assert edited.read_bytes() == before
    assert lint_plan_template(fixed) == []
    with zipfile.ZipFile(fixed) as z:
        assert "Liberation Sans" not in z.read("word/styles.xml").decode()
    plan = load_plan(EXAMPLES / "yen-so-55-kh-ubnd.yaml")
    data = compile_template(fixed).render(plan_context(plan).model_dump())
    assert check_docx(data) == []
    assert plain(plan.summary) in _text(data)


def test_a_task_row_that_may_break_across_pages_is_named_with_its_fix(tmp_path: Path) -> None:
    # A task split over two pages leaves its last lines alone at the top of the next one.
    row = "</w:tr><w:tr><w:trPr><w:cantSplit/></w:trPr>"  # the annex's row with the tags
    problems = _check(tmp_path, {"word/document.xml": [(row, "</w:tr><w:tr>", 1)]})
    assert problems == [
        "rows of the table headed “TT | Nhiệm vụ” may break across pages: select the row with "
        "the tags → Table Properties → Row → untick 'Allow row to break across pages' "
        "(LibreOffice: Table → Properties → Text Flow → untick 'Allow row to break across "
        "pages and columns')"
    ]
