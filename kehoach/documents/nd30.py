"""Checks a generated DOCX against the layout of Nghị định 30/2020/NĐ-CP (../shared/ND30.md).

A clerk who signs these daily spots a wrong margin or a missing line at once, so every draft
the product writes can be reopened and checked here: page, margins, fonts on every slot,
header table and its grid, Quốc hiệu and Tiêu ngữ, number and dateline, type name, body,
signature block, Nơi nhận, page numbers. Returns the list of problems (empty when it passes),
each one line that says what is wrong and how to fix it in Word or LibreOffice, because the
reader of a template check is the office operator who edited the template, not a developer.

Fonts and borders are read as Word prints them (:mod:`kehoach.documents.formatting`), not
as one editor happens to write them, so a template saved by LibreOffice is judged by what it
prints.
"""

from __future__ import annotations

import io
import re
import zipfile

from docx import Document
from docx.document import Document as DocxDocument
from docx.oxml.ns import qn
from docx.shared import Emu, Length
from docx.table import Table
from docx.text.paragraph import Paragraph

from kehoach.documents.formatting import FONT, font_problems, styles_of, visible_borders

__all__ = ["FONT", "check_docx", "check_task_list_docx"]
_NO_BORDERS = (
    "select the table → Borders → No Border (LibreOffice: Table → Properties → Borders → "
    "no borders)"
)
_PAGE_SETUP = "Layout → Margins → Custom Margins (LibreOffice: Format → Page Style → Page)"
_NUMBER = re.compile(r"^Số:( (0[1-9]|[1-9]\d+)|      )/[A-ZĐ0-9]+(-[A-ZĐ0-9]+)*$")
_DATELINE = re.compile(
    r"^[^,]+, ngày( (0[1-9]|[12]\d|3[01]) | {6})tháng( (0[12]|[3-9]|1[0-2]) | {6})năm \d{4}$"
)
_MM = 36000  # EMU per millimetre


def _mm(value: Length | None) -> float:
    return (value or Emu(0)) / _MM


def _pt(p: Paragraph) -> set[float]:
    return {r.font.size.pt for r in p.runs if r.font.size is not None}


def _bold(p: Paragraph) -> bool:
    return bool(p.runs) and all(r.font.bold for r in p.runs if r.text.strip())


def _italic(p: Paragraph) -> bool:
    return bool(p.runs) and all(r.font.italic for r in p.runs if r.text.strip())


def _has_bottom_rule(p: Paragraph) -> bool:
    ppr = p._p.pPr
    return ppr is not None and ppr.find(qn("w:pBdr")) is not None


def _cell_paragraphs(table: Table, col: int) -> list[Paragraph]:
    return [p for p in table.rows[0].cells[col].paragraphs]


def _open(data: bytes) -> tuple[zipfile.ZipFile, DocxDocument] | str:
    """The package and document, or the one problem saying it cannot be read."""
    try:
        return zipfile.ZipFile(io.BytesIO(data)), Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError, SyntaxError) as exc:
        return f"not a readable .docx: {exc}: save it again in Word or LibreOffice as .docx"


def _page_problems(doc: DocxDocument) -> list[str]:
    """Paper, margins and page numbers (ND30 PL1 I.1–3, I.7)."""
    problems: list[str] = []
    s = doc.sections[0]
    if abs(_mm(s.page_width) - 210) > 0.5 or abs(_mm(s.page_height) - 297) > 0.5:
        problems.append(
            f"paper {_mm(s.page_width):.0f}×{_mm(s.page_height):.0f} mm, not A4 portrait: "
            "Layout → Size → A4 and Orientation → Portrait (LibreOffice: Format → Page Style "
            "→ Page → Format A4, Portrait)"
        )
    for name, value, low, high in (
        ("top", s.top_margin, 20, 25),
        ("bottom", s.bottom_margin, 20, 25),
        ("left", s.left_margin, 30, 35),
        ("right", s.right_margin, 15, 20),
    ):
        if not low - 0.1 <= _mm(value) <= high + 0.1:
            problems.append(
                f"{name} margin {_mm(value):.1f} mm, not {low}–{high} mm: set it to {low} mm "
                f"in {_PAGE_SETUP}"
            )
    if not s.different_first_page_header_footer:
        problems.append(
            "the page number shows on page 1: tick Different First Page (Word: double-click "
            "the header; LibreOffice: Format → Page Style → Header → untick “Same content on "
            "first page”)"
        )
    header_xml = s.header._element.xml if s.header is not None else ""
    if "PAGE" not in header_xml:
        problems.append(
            "no page number in the header: Insert → Page Number → Top of Page, centred "
            "(LibreOffice: click in the header, Insert → Field → Page Number, centre it)"
        )
    return problems


def _split_rows(doc: DocxDocument) -> list[str]:
    """A table of rows (tasks, units) whose header repeats on each page: a row that may break
    across pages leaves a line or two of a task at the foot of one page, or alone on the next.
    The template's repeated row must keep itself on one page (docxtpl copies it per row)."""
    problems = []
    for table in doc.tables:
        rows = table.rows
        if not rows or rows[0]._tr.trPr is None or rows[0]._tr.trPr.find(qn("w:tblHeader")) is None:
            continue
        for row in rows[1:]:
            flag = None if row._tr.trPr is None else row._tr.trPr.find(qn("w:cantSplit"))
            if flag is None or flag.get(qn("w:val"), "true") in ("false", "0", "off"):
                head = " | ".join(c.text.strip() for c in rows[0].cells[:2])
                problems.append(
                    f"rows of the table headed “{head}” may break across pages: select the "
                    "row with the tags → Table Properties → Row → untick 'Allow row to break "
                    "across pages' (LibreOffice: Table → Properties → Text Flow → untick "
                    "'Allow row to break across pages and columns')"
                )
                break
    return problems


def check_docx(data: bytes, type_name: str = "KẾ HOẠCH") -> list[str]:
    """Problems with a plan or report DOCX, each with its fix; an empty list means it follows
    ND30."""
    opened = _open(data)
    if isinstance(opened, str):
        return [opened]
    archive, doc = opened
    problems = font_problems(archive) + _page_problems(doc) + _split_rows(doc)
    styles = styles_of(archive)
    if not doc.tables:
        return [
            *problems,
            "no header table (issuing body | Quốc hiệu): start again from the default "
            "template and copy your changes into it",
        ]
    head = doc.tables[0]
    grid = head._tbl.tblGrid.findall(qn("w:gridCol"))
    if len(grid) != 2 or any(int(g.get(qn("w:w"), "0")) <= 0 for g in grid):
        problems.append(
            "the header table is not two columns with set widths: select the table → Table "
            "Properties → Column and set 6 cm and 10.5 cm (LibreOffice: Table → Properties → "
            "Columns)"
        )
    if visible_borders(head._tbl, styles):
        problems.append(f"the header table has visible borders: {_NO_BORDERS}")
    left = [p for p in _cell_paragraphs(head, 0) if p.text.strip()]
    right = [p for p in _cell_paragraphs(head, 1) if p.text.strip()]
    by_text = {p.text.strip(): p for p in right}
    quoc_hieu = by_text.get("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
    if quoc_hieu is None or not _bold(quoc_hieu) or not _pt(quoc_hieu) <= {12.0, 13.0}:
        problems.append(
            "Quốc hiệu missing, not bold or not 12–13 pt: the right header cell starts with "
            "“CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM”, bold, 12 or 13 pt, on one line"
        )
    tieu_ngu = by_text.get("Độc lập - Tự do - Hạnh phúc")
    if tieu_ngu is None or not _bold(tieu_ngu) or not _pt(tieu_ngu) <= {13.0, 14.0}:
        problems.append(
            "Tiêu ngữ missing, not bold or not 13–14 pt: under the Quốc hiệu write "
            "“Độc lập - Tự do - Hạnh phúc” (hyphens with spaces), bold, 13 or 14 pt"
        )
    elif not _has_bottom_rule(tieu_ngu):
        problems.append(
            "no line under the Tiêu ngữ: select it → Borders → Bottom Border (LibreOffice: "
            "Format → Paragraph → Borders), indented to the length of the text"
        )
    dateline = right[-1] if right else None
    if dateline is None or not _DATELINE.match(dateline.text) or not _italic(dateline):
        problems.append(
            f"dateline {dateline.text if dateline else ''!r} is not "
            "'Place, ngày dd tháng mm năm yyyy' in italics: keep {{ dateline }} alone on the "
            "last line of the right header cell, in italics (Ctrl+I)"
        )
    number = next((p for p in left if p.text.startswith("Số:")), None)
    if number is None or not _NUMBER.match(number.text):
        problems.append(
            f"number line {number.text if number else ''!r} does not follow 'Số: 05/KH-UBND': "
            "keep {{ number_line }} alone on its line in the left header cell"
        )
    body_lines = [p for p in left if p is not number]
    if not body_lines or not all(_bold(p) or p is body_lines[0] for p in body_lines[-1:]):
        problems.append(
            "the issuing body's name is not bold: select its line(s) in the left header cell "
            "and press Ctrl+B (a parent body's line above it stays regular)"
        )
    if not any(_has_bottom_rule(p) for p in _cell_paragraphs(head, 0)):
        problems.append(
            "no short line under the issuing body: give the paragraph under its name a bottom "
            "border (Borders → Bottom Border), a third to a half of the name's length"
        )
    paragraphs = [p for p in doc.paragraphs if p.text.strip()]
    title = next((p for p in paragraphs if p.text.strip() == type_name), None)
    if title is None or not _bold(title) or title.alignment != 1:
        problems.append(
            f"type name {type_name!r} missing, not bold or not centred: write {type_name} on "
            "its own line under the header table, bold (Ctrl+B) and centred (Ctrl+E)"
        )
    else:
        i = paragraphs.index(title)
        summary = paragraphs[i + 1] if i + 1 < len(paragraphs) else None
        if summary is None or not _bold(summary) or summary.alignment != 1:
            problems.append(
                f"the summary (trích yếu) is not bold and centred under {type_name}: make the "
                "line with {{ summary }} bold (Ctrl+B) and centred (Ctrl+E)"
            )
    body = [p for p in paragraphs if p.alignment == 3]  # justified
    if not body:
        problems.append(
            "no justified body paragraphs: select the body paragraphs and justify them (Ctrl+J)"
        )
    for p in body:
        fmt = p.paragraph_format
        indent = _mm(fmt.first_line_indent)
        if not (9.9 <= indent <= 12.8):
            problems.append(
                f"body paragraph without a 1–1.27 cm first-line indent: {p.text[:40]!r}: "
                "Paragraph → Indentation → Special: First line, 1.27 cm (LibreOffice: Format → "
                "Paragraph → Indents & Spacing → First line)"
            )
            break
        if fmt.space_after is None or fmt.space_after.pt < 6:
            problems.append(
                f"body paragraph spacing below 6 pt: {p.text[:40]!r}: Paragraph → Spacing → "
                "After: 6 pt (LibreOffice: Format → Paragraph → Below paragraph)"
            )
            break
        if not _pt(p) <= {13.0, 14.0}:
            problems.append(
                f"body paragraph not 13–14 pt: {p.text[:40]!r}: select the body paragraphs "
                "and choose 14 pt (or 13 pt)"
            )
            break
    if body and not body[-1].text.rstrip().endswith("./."):
        problems.append(
            "the body does not end with './.': the last body paragraph must be the plan's "
            "closing; keep the {%p for b in blocks %} … {%p endfor %} loop as the body's end"
        )
    sign = next((t for t in doc.tables[1:] if "Nơi nhận:" in t.rows[0].cells[0].text), None)
    if sign is None:
        problems.append(
            "no signature block with Nơi nhận: keep the two-column table after the body, "
            "“Nơi nhận:” and the recipients left, the signature right"
        )
    else:
        if visible_borders(sign._tbl, styles):
            problems.append(f"the signature table (Nơi nhận) has visible borders: {_NO_BORDERS}")
        lines = [p for p in _cell_paragraphs(sign, 0) if p.text.strip()]
        head_line, recipients = lines[0], lines[1:]
        if not (_bold(head_line) and _italic(head_line) and _pt(head_line) == {12.0}):
            problems.append(
                "'Nơi nhận:' is not 12 pt bold italic: select it, choose 12 pt, Ctrl+B and Ctrl+I"
            )
        if not recipients or not recipients[-1].text.startswith("- Lưu: VT"):
            problems.append(
                "Nơi nhận does not end with '- Lưu: VT': keep the {%p for r in recipients %} "
                "loop under “Nơi nhận:” with nothing after it"
            )
        for p in recipients:
            last = p is recipients[-1]
            if (
                not p.text.startswith("- ")
                or not p.text.endswith("." if last else ";")
                or _pt(p) != {11.0}
            ):
                problems.append(
                    f"recipient line {p.text!r} is not '- …;' in 11 pt: the line with "
                    "{{ r }} holds only the tag, in 11 pt"
                )
                break
        signer = [p for p in _cell_paragraphs(sign, 1) if p.text.strip()]
        if not signer or not all(_bold(p) and _pt(p) <= {13.0, 14.0} for p in signer):
            problems.append(
                "the signature block is not 13–14 pt bold: select the right cell of the "
                "signature table, choose 14 pt (or 13 pt) and press Ctrl+B"
            )
    return problems


_QUOC_HIEU = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")
_ON_BEHALF = re.compile(r"^(TM|KT|TL|TUQ|Q)\.\s")


def _all_paragraphs(doc: DocxDocument) -> list[Paragraph]:
    """Body paragraphs and those inside tables (one level of nesting is all we write)."""
    out = list(doc.paragraphs)
    for table in doc.tables:
        for row in table.rows:
            for cell in row.cells:
                out += cell.paragraphs
    return out


def check_task_list_docx(data: bytes) -> list[str]:
    """Problems with a section's internal task list (DANH SÁCH NHIỆM VỤ), each with its fix.

    A bộ phận has no seal, so its paper must not look like a document issued under ND 30: no
    "Số:" line, no Quốc hiệu and Tiêu ngữ, no signature on behalf of anyone ("TM.", "KT.",
    "TL.", "TUQ."). It keeps what makes a page readable in the same office: A4, the margins,
    Times New Roman, the title, the table of tasks, and lines for the preparer's and the
    head's names.
    """
    opened = _open(data)
    if isinstance(opened, str):
        return [opened]
    archive, doc = opened
    problems = font_problems(archive) + _page_problems(doc) + _split_rows(doc)
    paragraphs = [p for p in _all_paragraphs(doc) if p.text.strip()]
    # Two signatures share a line, split by tabs: each piece is read on its own.
    texts = [piece.strip() for p in paragraphs for piece in p.text.split("\t") if piece.strip()]
    if any(t.startswith("Số:") for t in texts):
        problems.append(
            "a 'Số:' line: a section has no seal and issues no numbered document; delete the "
            "line (its number would be the ward's)"
        )
    if any(t in _QUOC_HIEU for t in texts):
        problems.append(
            "Quốc hiệu or Tiêu ngữ: they head documents a body with a seal issues; a section's "
            "task list starts with the ward and the section's name only — delete them"
        )
    if any(_ON_BEHALF.match(t) for t in texts):
        problems.append(
            "a signature on behalf of someone ('TM.', 'KT.' …): the head of the section signs "
            "the list as 'PHỤ TRÁCH BỘ PHẬN'; delete the line"
        )
    title = next((p for p in paragraphs if p.text.strip() == "DANH SÁCH NHIỆM VỤ"), None)
    if title is None or not _bold(title) or title.alignment != 1:
        problems.append(
            "title 'DANH SÁCH NHIỆM VỤ' missing, not bold or not centred: write it on its own "
            "line under the section's name, bold (Ctrl+B) and centred (Ctrl+E)"
        )
    heads = {"Nhiệm vụ", "Thời hạn"}
    if not any(heads <= {c.text.strip() for c in t.rows[0].cells} for t in doc.tables):
        problems.append(
            "no table of tasks (columns 'Nhiệm vụ' … 'Thời hạn'): start again from the "
            "default template and copy your changes into it"
        )
    if "NGƯỜI LẬP" not in texts:
        problems.append(
            "no 'NGƯỜI LẬP' line: the person who prepared the list signs it beside the head "
            "of the section; keep the two-column table at the end"
        )
    return problems
