"""Scaffold of the default templates (docxtpl): ``ke-hoach.docx`` and ``bao-cao.docx``
(ND 30/2020), and ``danh-sach-nhiem-vu.docx``, a ward section's internal task list.

The committed ``.docx`` files are the source of truth: operators open them in Word and change
wording, spacing or fonts there. This script only recreates the defaults from nothing, for a
new kind of document or after a mistake: ``python templates/docx/scaffold.py [NAME.docx …]``
(all of them without a name). Every rule of ND30 (../shared/ND30.md) that the layout owns is
set here once: A4, margins, Times New Roman on every font slot with no theme fonts, header
table with its grid, lines under the Tiêu ngữ and the issuing body, page numbers from page 2.
The task list keeps the page, margins and fonts, and leaves out what only a body with a seal
prints (Quốc hiệu, number, "TM." signature, Nơi nhận).
"""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from kehoach.documents.docx import repack

HERE = Path(__file__).parent
FONT = "Times New Roman"
TEXT_WIDTH = Mm(210 - 30 - 15)
LEFT_COL, RIGHT_COL = Cm(6.0), TEXT_WIDTH - Cm(6.0)


def _set_fonts(run_props: OxmlElement) -> None:
    fonts = run_props.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        run_props.insert(0, fonts)
    for attr in list(fonts.attrib):
        del fonts.attrib[attr]
    for slot in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(slot), FONT)


def _styles(doc: Document) -> None:
    """Times New Roman on all four slots everywhere; no theme fonts left in styles.xml."""
    styles = doc.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    _set_fonts(rpr)
    for size in ("w:sz", "w:szCs"):
        el = rpr.find(qn(size))
        el.set(qn("w:val"), "28")
    ppr = defaults.find(qn("w:pPrDefault")).find(qn("w:pPr"))
    spacing = ppr.find(qn("w:spacing"))
    spacing.set(qn("w:after"), "0")
    spacing.set(qn("w:line"), "240")
    for fonts in list(styles.iter(qn("w:rFonts"))):
        _set_fonts(fonts.getparent())  # every style, including Courier ones like "Macro Text"
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    _set_fonts(normal.element.get_or_add_rPr())
    normal.font.size = Pt(14)


def para(
    box: object,
    text: str = "",
    *,
    size: float = 14,
    bold: bool = False,
    italic: bool = False,
    align: WD_ALIGN_PARAGRAPH = WD_ALIGN_PARAGRAPH.CENTER,
    first_line: Cm | None = None,
    after: float = 0,
    before: float = 0,
    line: float | None = None,
) -> Paragraph:
    """A paragraph with one run, formatted explicitly (so Word's style drift cannot move it)."""
    p: Paragraph = box.add_paragraph()  # type: ignore[attr-defined]
    p.alignment = align
    fmt = p.paragraph_format
    fmt.space_after = Pt(after)
    fmt.space_before = Pt(before)
    if line is not None:
        fmt.line_spacing = line
    if first_line is not None:
        fmt.first_line_indent = first_line
    if text:
        run = p.add_run(text)
        run.font.size = Pt(size)
        run.font.bold = bold
        run.font.italic = italic
        run.font.name = FONT
        _set_fonts(run._element.get_or_add_rPr())
    else:
        mark = p._p.get_or_add_pPr()
        rpr = OxmlElement("w:rPr")
        sz = OxmlElement("w:sz")
        sz.set(qn("w:val"), str(int(size * 2)))
        rpr.append(sz)
        mark.append(rpr)
    return p


def rule_below(p: Paragraph, indent: Cm) -> None:
    """A solid line under a paragraph, shortened by ``indent`` on both sides."""
    ppr = p._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "000000")):
        bottom.set(qn(key), value)
    borders.append(bottom)
    ppr.insert(0, borders)
    p.paragraph_format.left_indent = indent
    p.paragraph_format.right_indent = indent


def borderless(table: Table, widths: list[int]) -> None:
    """No borders, fixed layout, and grid widths set (LibreOffice reads the grid)."""
    tbl = table._tbl
    tbl_pr = tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), "nil")
        borders.append(el)
    tbl_pr.append(borders)
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    tbl_pr.append(layout)
    grid(table, widths)


def grid(table: Table, widths: list[int]) -> None:
    table.autofit = False
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for col, w in zip(table._tbl.tblGrid.findall(qn("w:gridCol")), widths, strict=True):
        col.set(qn("w:w"), str(int(w / 635)))  # EMU → twentieths of a point
    for row in table.rows:
        for cell, w in zip(row.cells, widths, strict=True):
            cell.width = w


def clear(cell: _Cell) -> _Cell:
    """A new cell holds one empty paragraph; drop it so ``para`` starts at the top."""
    for p in cell.paragraphs:
        p._p.getparent().remove(p._p)
    return cell


def page_numbers(doc: Document) -> None:
    """Page number centred in the top margin, 13 pt, not on page 1 (titlePg)."""
    section = doc.sections[0]
    section.different_first_page_header_footer = True
    header = section.header
    p = header.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for kind, text in (
        ("begin", None),
        (None, " PAGE "),
        ("separate", None),
        (None, "2"),
        ("end", None),
    ):
        run = p.add_run()
        run.font.size = Pt(13)
        _set_fonts(run._element.get_or_add_rPr())
        if kind:
            fld = OxmlElement("w:fldChar")
            fld.set(qn("w:fldCharType"), kind)
            run._r.append(fld)
        elif text == " PAGE ":
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            run._r.append(instr)
        else:
            run.text = text or ""
    first = section.first_page_header
    first.is_linked_to_previous = False


def page_setup(doc: Document) -> None:
    s = doc.sections[0]
    s.page_width, s.page_height = Mm(210), Mm(297)
    s.top_margin, s.bottom_margin = Mm(20), Mm(20)
    s.left_margin, s.right_margin = Mm(30), Mm(15)
    s.header_distance, s.footer_distance = Mm(10), Mm(10)


def header_block(doc: Document, *, type_name: str) -> None:
    """Issuing body and number left; Quốc hiệu, Tiêu ngữ and dateline right; then the title."""
    table = doc.add_table(rows=1, cols=2)
    borderless(table, [LEFT_COL, RIGHT_COL])
    left, right = (clear(c) for c in table.rows[0].cells)
    para(left, "{%p if issuer_superior %}", size=12)
    para(left, "{{ issuer_superior }}", size=12)
    para(left, "{%p endif %}", size=12)
    para(left, "{%p for line in issuer_lines %}", size=12)
    para(left, "{{ line }}", size=12, bold=True)
    para(left, "{%p endfor %}", size=12)
    rule_below(para(left, size=4), Cm(1.9))
    para(left, "{{ number_line }}", size=13, before=6)
    para(right, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", size=12, bold=True)
    rule_below(para(right, "Độc lập - Tự do - Hạnh phúc", size=13, bold=True), Cm(1.7))
    para(right, size=6)
    para(right, "{{ dateline }}", size=14, italic=True, before=6)
    para(doc, size=14)
    para(doc, type_name, size=14, bold=True, before=6)
    para(doc, "{{ summary }}", size=14, bold=True)
    rule_below(para(doc, size=4), Cm(6.5))
    para(doc, size=8)


BODY = dict(size=14, align=WD_ALIGN_PARAGRAPH.JUSTIFY, first_line=Cm(1.27), after=6, line=1.15)


def body_block(doc: Document, name: str = "blocks") -> None:
    """The body: a flat list of blocks, each a heading, a sub-heading or a paragraph.

    ``name`` is the context list to loop over: a report prints its body in two runs around
    the chart and the table, so that the table sits in its section and "./." stays last.
    """
    para(doc, f"{{%p for b in {name} %}}", **BODY)
    para(doc, "{%p if b.kind == 'heading' %}", **BODY)
    para(doc, "{{ b.text }}", bold=True, **BODY)
    para(doc, "{%p elif b.kind == 'subheading' %}", **BODY)
    para(doc, "{{ b.text }}", bold=True, **BODY)
    para(doc, "{%p else %}", **BODY)
    para(doc, "{{ b.text }}", **BODY)
    para(doc, "{%p endif %}", **BODY)
    para(doc, "{%p endfor %}", **BODY)


def signature_block(doc: Document) -> None:
    """Nơi nhận on the left, level with the signer's authority and title on the right."""
    table = doc.add_table(rows=1, cols=2)
    half = int(TEXT_WIDTH / 2)
    borderless(table, [half, TEXT_WIDTH - half])
    # Never split the block across pages: the signer's name stays with the title.
    table.rows[0]._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
    left, right = (clear(c) for c in table.rows[0].cells)
    left_align = WD_ALIGN_PARAGRAPH.LEFT
    para(left, "Nơi nhận:", size=12, bold=True, italic=True, align=left_align, before=6)
    para(left, "{%p for r in recipients %}", size=11, align=left_align)
    para(left, "{{ r }}", size=11, align=left_align)
    para(left, "{%p endfor %}", size=11, align=left_align)
    para(right, "{%p if signer_authority %}", size=14, before=6)
    para(right, "{{ signer_authority }}", size=14, bold=True, before=6)
    para(right, "{%p endif %}", size=14)
    para(right, "{{ signer_title }}", size=14, bold=True)
    for _ in range(4):
        para(right, size=14)
    para(right, "{{ signer_name }}", size=14, bold=True)


def annex_block(doc: Document) -> None:
    """PHỤ LỤC: the task table on its own page(s), the header row repeated on each page."""
    para(doc, "{%p if tasks %}", size=14)
    p = para(doc, "PHỤ LỤC", size=14, bold=True)
    p.paragraph_format.page_break_before = True
    para(doc, "{{ annex_title }}", size=14, bold=True)
    para(doc, "{{ annex_caption }}", size=14, italic=True)
    rule_below(para(doc, size=4), Cm(6.5))
    para(doc, size=8)
    widths = [Cm(1.0), Cm(6.3), Cm(3.2), Cm(3.2), TEXT_WIDTH - Cm(13.7)]
    table = doc.add_table(rows=4, cols=5)
    table.style = doc.styles["Table Grid"]
    grid(table, widths)
    heads = [
        "TT",
        "Nhiệm vụ",
        "Cơ quan, đơn vị chủ trì",
        "Cơ quan, đơn vị phối hợp",
        "Thời gian hoàn thành",
    ]
    for cell, text in zip(table.rows[0].cells, heads, strict=True):
        para(clear(cell), text, size=12, bold=True)
    repeat = OxmlElement("w:tblHeader")
    table.rows[0]._tr.get_or_add_trPr().append(repeat)
    para(clear(table.rows[1].cells[0]), "{%tr for t in tasks %}", size=12)
    cells = [
        "{{ t.stt }}",
        "{{ t.title }}",
        "{{ t.lead }}",
        "{{ t.coordinating }}",
        "{{ t.deadline }}",
    ]
    for i, (cell, text) in enumerate(zip(table.rows[2].cells, cells, strict=True)):
        align = WD_ALIGN_PARAGRAPH.JUSTIFY if i == 1 else WD_ALIGN_PARAGRAPH.CENTER
        para(clear(cell), text, size=12, align=align, before=3, after=3)
    table.rows[2]._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))  # a row on one page
    para(clear(table.rows[3].cells[0]), "{%tr endfor %}", size=12)
    for row in (table.rows[1], table.rows[3]):
        for cell in row.cells[1:]:
            para(clear(cell), size=12)
    para(doc, "{%p endif %}", size=14)


def strip_extras(data: bytes) -> bytes:
    """Drop the default template's thumbnail and duplicate style part (dead weight per draft)."""
    drop = {"docProps/thumbnail.jpeg", "word/stylesWithEffects.xml"}
    listings = ("[Content_Types].xml", "_rels/.rels", "word/_rels/document.xml.rels")

    def edit(name: str, body: bytes) -> bytes | None:
        if name in drop:
            return None
        if name not in listings:
            return body
        text = body.decode()
        for dropped in drop:
            leaf = re.escape(dropped.split("/")[-1])
            text = re.sub(rf'<(Override|Relationship)[^>]*{leaf}"[^>]*/>', "", text)
        return text.encode()

    return repack(data, edit)


def plan_template() -> bytes:
    doc = Document()
    props = doc.core_properties
    props.author, props.comments, props.title = "kehoach", "", "Kế hoạch"
    _styles(doc)
    page_setup(doc)
    page_numbers(doc)
    header_block(doc, type_name="KẾ HOẠCH")
    body_block(doc)
    signature_block(doc)
    annex_block(doc)
    buf = io.BytesIO()
    doc.save(buf)
    return strip_extras(buf.getvalue())


RESULT_HEADS = [
    "TT",
    "Đơn vị",
    "Số nhiệm vụ",
    "Hoàn thành đúng hạn",
    "Hoàn thành quá hạn",
    "Chưa hoàn thành (trong hạn)",
    "Chưa hoàn thành (quá hạn)",
    "Tỷ lệ hoàn thành (%)",
    "Kế hoạch (đúng hạn / chậm / chưa ban hành)",
    "Báo cáo (đã gửi / chưa gửi)",
]
RESULT_CELLS = [
    "{{ c.stt }}",
    "{{ c.name }}",
    "{{ c.tasks }}",
    "{{ c.done_on_time }}",
    "{{ c.done_late }}",
    "{{ c.open_on_time }}",
    "{{ c.open_overdue }}",
    "{{ c.pct_done }}",
    "{{ c.plans }}",
    "{{ c.reports }}",
]
# Ten columns in the 165 mm text width, portrait: the unit's name gets the room, the counts
# 13–18 mm each (their headings wrap over three or four lines at 10 pt).
RESULT_WIDTHS = [Mm(w) for w in (8, 37, 13, 15, 15, 15, 15, 15, 18, 14)]


def _cell_margins(table: Table, twips: int) -> None:
    """Narrow left/right cell margins, so 10 pt headings fit 13–18 mm columns."""
    margins = OxmlElement("w:tblCellMar")
    for edge in ("left", "right"):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:w"), str(twips))
        el.set(qn("w:type"), "dxa")
        margins.append(el)
    table._tbl.tblPr.append(margins)


def _middle(cell: _Cell) -> None:
    v_align = OxmlElement("w:vAlign")
    v_align.set(qn("w:val"), "center")
    cell._tc.get_or_add_tcPr().append(v_align)


def results_block(doc: Document) -> None:
    """The chart (an InlineImage tag) and the table of the children, one row per child.

    Both only when the unit has children: a ward with no department has nothing to compare.
    """
    assert sum(RESULT_WIDTHS) == TEXT_WIDTH
    para(doc, "{%p if children %}", size=14)
    para(doc, "{{ chart }}", size=14, before=6, after=6)
    caption = para(doc, "{{ table_caption }}", size=13, bold=True, before=6, after=6)
    caption.paragraph_format.keep_with_next = True
    table = doc.add_table(rows=4, cols=len(RESULT_HEADS))
    table.style = doc.styles["Table Grid"]
    grid(table, RESULT_WIDTHS)
    _cell_margins(table, 57)  # 1 mm
    for cell, text in zip(table.rows[0].cells, RESULT_HEADS, strict=True):
        para(clear(cell), text, size=10, bold=True, before=2, after=2)
        _middle(cell)
    table.rows[0]._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
    para(clear(table.rows[1].cells[0]), "{%tr for c in children %}", size=11)
    for i, (cell, text) in enumerate(zip(table.rows[2].cells, RESULT_CELLS, strict=True)):
        align = WD_ALIGN_PARAGRAPH.LEFT if i == 1 else WD_ALIGN_PARAGRAPH.CENTER
        para(clear(cell), text, size=11, align=align, before=2, after=2)
        _middle(cell)
    table.rows[2]._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
    para(clear(table.rows[3].cells[0]), "{%tr endfor %}", size=11)
    for row in (table.rows[1], table.rows[3]):
        for cell in row.cells[1:]:
            para(clear(cell), size=11)
    para(doc, size=8)
    para(doc, "{%p endif %}", size=14)


def report_template() -> bytes:
    """BÁO CÁO: the plan's header and signature, a body in two runs, the chart and the table.

    The body's last part (proposals, the closing "./.") follows the table, because ND30 ends
    the body with "./." and the table belongs to its section II.
    """
    doc = Document()
    props = doc.core_properties
    props.author, props.comments, props.title = "kehoach", "", "Báo cáo"
    _styles(doc)
    page_setup(doc)
    page_numbers(doc)
    header_block(doc, type_name="BÁO CÁO")
    body_block(doc, "blocks")
    results_block(doc)
    first = len(doc.paragraphs)
    body_block(doc, "closing_blocks")
    # The last section and "./." stay on the page of the signature: a signature alone on a
    # page, away from the text it signs, is sent back by the clerk.
    for p in doc.paragraphs[first:]:
        p.paragraph_format.keep_with_next = True
    signature_block(doc)
    buf = io.BytesIO()
    doc.save(buf)
    return strip_extras(buf.getvalue())


TASK_HEADS = ["TT", "Nhiệm vụ", "Trách nhiệm", "Thời hạn", "Chỉ tiêu", "Báo cáo kết quả về"]
TASK_CELLS = [
    "{{ t.stt }}",
    "{{ t.title }}",
    "{{ t.role }}",
    "{{ t.deadline }}",
    "{{ t.quota }}",
    "{{ t.reports_to }}",
]
# Six columns in the 165 mm text width, portrait: the task gets the room; its role ("Chủ trì,
# phối hợp với Bộ phận Một cửa") the next most.
TASK_WIDTHS = [Mm(w) for w in (9, 50, 31, 24, 27, 24)]
#: The heading's column: the committee and section lines centred in the left 8.5 cm, where a
#: Vietnamese office puts its name, with no Quốc hiệu beside it.
HEADING_WIDTH = Cm(8.5)


def task_heading(doc: Document) -> None:
    """UBND PHƯỜNG … (upright) over the section's name (bold) and a short line; the title."""
    narrow = dict(size=13, align=WD_ALIGN_PARAGRAPH.CENTER)
    lines = [
        para(doc, "{{ committee }}", **narrow),
        para(doc, "{%p for line in section_lines %}", **narrow),
        para(doc, "{{ line }}", bold=True, **narrow),
        para(doc, "{%p endfor %}", **narrow),
    ]
    rule = para(doc, size=4)
    rule_below(rule, Cm(2.8))
    for p in lines:
        p.paragraph_format.right_indent = TEXT_WIDTH - HEADING_WIDTH
    rule.paragraph_format.right_indent = TEXT_WIDTH - HEADING_WIDTH + Cm(2.8)
    para(doc, size=14)
    para(doc, "DANH SÁCH NHIỆM VỤ", size=14, bold=True, before=6)
    para(doc, "{{ summary }}", size=14, bold=True)
    para(doc, "{{ caption }}", size=14, italic=True)
    rule_below(para(doc, size=4), Cm(6.5))
    para(doc, size=8)


def task_table(doc: Document) -> None:
    """Its tasks, one row each; the header row repeated on every page."""
    assert sum(TASK_WIDTHS) == TEXT_WIDTH
    heading = para(doc, "{{ tasks_heading }}", bold=True, **BODY)
    heading.paragraph_format.keep_with_next = True
    para(doc, "{%p if tasks %}", size=12)
    table = doc.add_table(rows=4, cols=len(TASK_HEADS))
    table.style = doc.styles["Table Grid"]
    grid(table, TASK_WIDTHS)
    _cell_margins(table, 85)  # 1.5 mm
    for cell, text in zip(table.rows[0].cells, TASK_HEADS, strict=True):
        para(clear(cell), text, size=12, bold=True, before=3, after=3)
        _middle(cell)
    table.rows[0]._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
    para(clear(table.rows[1].cells[0]), "{%tr for t in tasks %}", size=12)
    for i, (cell, text) in enumerate(zip(table.rows[2].cells, TASK_CELLS, strict=True)):
        align = WD_ALIGN_PARAGRAPH.JUSTIFY if i == 1 else WD_ALIGN_PARAGRAPH.CENTER
        para(clear(cell), text, size=12, align=align, before=3, after=3)
    table.rows[2]._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
    para(clear(table.rows[3].cells[0]), "{%tr endfor %}", size=12)
    for row in (table.rows[1], table.rows[3]):
        for cell in row.cells[1:]:
            para(clear(cell), size=12)
    para(doc, "{%p else %}", size=12)
    para(doc, "{{ no_tasks }}", **BODY)
    para(doc, "{%p endif %}", size=12)


def duty_block(doc: Document) -> None:
    """What the ward's plan asks of the section in its text (no deadline), when it asks."""
    para(doc, "{%p if duties %}", **BODY)
    para(doc, size=6)
    heading = para(doc, "{{ duties_heading }}", bold=True, **BODY)
    heading.paragraph_format.keep_with_next = True
    para(doc, "{%p for d in duties %}", **BODY)
    para(doc, "{%p if loop.last %}", **BODY)
    # The last duty stays on the page of the signatures: a signature alone on a page, away
    # from what it signs, is sent back.
    para(doc, "{{ d }}", **BODY).paragraph_format.keep_with_next = True
    para(doc, "{%p else %}", **BODY)
    para(doc, "{{ d }}", **BODY)
    para(doc, "{%p endif %}", **BODY)
    para(doc, "{%p endfor %}", **BODY)
    para(doc, "{%p endif %}", **BODY)


def _two_columns(p: Paragraph) -> Paragraph:
    """Centre tab stops at the middle of each half of the line, for the two signatures.

    Paragraphs, not a table: Word and LibreOffice keep paragraphs together across a page
    break ("keep with next"), and keep a table's rows only with each other.
    """
    stops = p.paragraph_format.tab_stops
    half = int(TEXT_WIDTH / 2)
    stops.add_tab_stop(int(half / 2), WD_TAB_ALIGNMENT.CENTER)
    stops.add_tab_stop(half + int(half / 2), WD_TAB_ALIGNMENT.CENTER)
    p.paragraph_format.keep_with_next = True
    return p


def task_signatures(doc: Document) -> None:
    """Người lập left, the head of the section right, each with room for a hand signature
    and the printed name; no "TM." / "KT.": a section signs for no one."""
    left = WD_ALIGN_PARAGRAPH.LEFT
    para(doc, size=8).paragraph_format.keep_with_next = True
    _two_columns(para(doc, "\t\t{{ dateline }}", size=14, italic=True, align=left))
    _two_columns(para(doc, "\tNGƯỜI LẬP\t{{ signer_title }}", size=14, bold=True, align=left))
    for _ in range(4):
        _two_columns(para(doc, size=14, align=left))
    # The preparer's name is written by hand; the head's is printed when it is known.
    names = para(doc, "\t\t{{ signer_name }}", size=14, bold=True, align=left)
    _two_columns(names).paragraph_format.keep_with_next = False


def task_list_template() -> bytes:
    """DANH SÁCH NHIỆM VỤ: what a ward section (bộ phận, no seal) writes for its own tasks."""
    doc = Document()
    props = doc.core_properties
    props.author, props.comments, props.title = "kehoach", "", "Danh sách nhiệm vụ"
    _styles(doc)
    page_setup(doc)
    page_numbers(doc)
    task_heading(doc)
    task_table(doc)
    duty_block(doc)
    task_signatures(doc)
    buf = io.BytesIO()
    doc.save(buf)
    return strip_extras(buf.getvalue())


BUILDERS = {
    "ke-hoach.docx": plan_template,
    "bao-cao.docx": report_template,
    "danh-sach-nhiem-vu.docx": task_list_template,
}

if __name__ == "__main__":
    for name in sys.argv[1:] or list(BUILDERS):
        (HERE / name).write_bytes(BUILDERS[name]())
        print(f"wrote {HERE / name}")
