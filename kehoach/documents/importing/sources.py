"""A received plan's file read into one stream of paragraphs and tables, whatever its format.

Offices send plans as DOCX (the product's own drafts, or typed in Word or LibreOffice in any
layout), as PDF, or as text copied from a portal. Reading the plan's structure is the same
work for all three, so each reader here only turns its format into :class:`Para` and
:class:`Grid` elements, in reading order, each with the place a warning names:

* DOCX: the scan of :mod:`kehoach.documents.plan_text` (fast, bold from the runs), plus the
  numbers Word generates for its lists, which live in ``numbering.xml`` and not in the text:
  docx2python counts them (restarts, levels), and their punctuation is the list's own
  (``%1.`` prints "I.", ``%3)`` prints "a)").
* PDF: pdfplumber's text layer, lines joined into paragraphs by their geometry (a short line
  or an indented one ends or starts a paragraph), ruled tables as tables, bold from the font.
  A PDF without a text layer (a scan) is refused: reading it would need OCR.
* TXT: a line is a paragraph; lines with tabs are table rows (as a table copied from Word
  pastes); ``**bold**`` (a Markdown export) is read as bold and printed without stars.

Tables other than the annex (the header table, the signature table) are read cell by cell
into paragraphs, left cell first, so every layout of a header reads the same.
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any

from kehoach.documents.plan_text import Line, Table, document_elements, document_xml
from kehoach.io.errors import InputFileError, KehoachError


class PlanImportError(KehoachError):
    """A received plan cannot be imported (not a readable file, not a plan, a scan)."""


class ScannedPdfError(PlanImportError):
    """A PDF with no text layer: its pages are pictures of the paper."""


@dataclass(frozen=True)
class Para:
    """A paragraph as printed: its text, its place, and what the format says of its look.

    ``bold`` is None where the format does not say (plain text); ``right`` is whether it
    starts in the right half of the page (a dateline, a signature), None where unknown.
    """

    text: str
    where: str
    bold: bool | None = None
    right: bool | None = None


@dataclass(frozen=True)
class Grid:
    """A table with a header row (the annex): each row's cells as text."""

    rows: tuple[tuple[str, ...], ...]
    where: str

    def row_place(self, index: int) -> str:
        """ "table 3, row 2" (the header is row 1), as a clerk counts rows."""
        return f"{self.where}, row {index + 1}"


Element = Para | Grid

_SPACES = re.compile(r"\s+")
_ANNEX_HEAD = re.compile(r"^s?tt$", re.IGNORECASE)


def _clean(text: str) -> str:
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()


def is_annex_header(cells: tuple[str, ...] | list[str]) -> bool:
    """Whether a table row is the head of a task table ("TT | Nhiệm vụ | …")."""
    return len(cells) >= 3 and bool(_ANNEX_HEAD.match(cells[0].strip()))


# --- DOCX -----------------------------------------------------------------------------------

_NUMBERING = "word/numbering.xml"
_ABSTRACT = re.compile(
    r'<w:abstractNum\b[^>]*w:abstractNumId="(\d+)"[^>]*>(.*?)</w:abstractNum>', re.S
)
_LEVEL = re.compile(r'<w:lvl\b[^>]*w:ilvl="(\d+)"[^>]*>(.*?)</w:lvl>', re.S)
_NUM = re.compile(r'<w:num\b[^>]*w:numId="(\d+)"[^>]*>(.*?)</w:num>', re.S)
_VAL = r'<w:{}\b[^>]*w:val="([^"]*)"'
_ROMANS = [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
           (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]  # fmt: skip


def _roman(n: int) -> str:
    out = ""
    for value, numeral in _ROMANS:
        while n >= value:
            out, n = out + numeral, n - value
    return out


def _letter(n: int) -> str:
    return "abcdefghijklmnopqrstuvwxyz"[(n - 1) % 26] * ((n - 1) // 26 + 1)


def _formatted(fmt: str, n: int) -> str:
    if fmt == "upperRoman":
        return _roman(n)
    if fmt == "lowerRoman":
        return _roman(n).lower()
    if fmt == "lowerLetter":
        return _letter(n)
    if fmt == "upperLetter":
        return _letter(n).upper()
    return str(n)


@dataclass(frozen=True)
class _Level:
    fmt: str
    text: str
    start: int


def _list_levels(numbering: str) -> dict[tuple[str, int], _Level]:
    """Each list's levels (numId, ilvl) → how Word prints its number, from numbering.xml."""
    abstract: dict[str, dict[int, _Level]] = {}
    for aid, body in _ABSTRACT.findall(numbering):
        levels = {}
        for ilvl, lvl in _LEVEL.findall(body):
            fmt = re.search(_VAL.format("numFmt"), lvl)
            text = re.search(_VAL.format("lvlText"), lvl)
            start = re.search(_VAL.format("start"), lvl)
            levels[int(ilvl)] = _Level(
                fmt.group(1) if fmt else "decimal",
                text.group(1) if text else "",
                int(start.group(1)) if start else 1,
            )
        abstract[aid] = levels
    out: dict[tuple[str, int], _Level] = {}
    for num_id, body in _NUM.findall(numbering):
        ref = re.search(_VAL.format("abstractNumId"), body)
        for ilvl, level in abstract.get(ref.group(1) if ref else "", {}).items():
            out[(num_id, ilvl)] = level
    return out


def _label(levels: dict[tuple[str, int], _Level], num_id: str, counters: list[int]) -> str:
    """The number Word prints for a list item ("II.", "1.", "a)"; a bullet as "-")."""
    ilvl = len(counters) - 1
    level = levels.get((num_id, ilvl))
    if level is None:
        return ""
    if level.fmt == "bullet":
        # a bullet prints as its character; plans write their dashes as "-" (a symbol font's
        # private-use bullet means nothing in text)
        return level.text if level.text in {"-", "–", "+"} else "-"
    if level.fmt == "none":
        return ""

    def value(m: re.Match[str]) -> str:
        k = int(m.group(1)) - 1
        at = levels.get((num_id, k))
        count = counters[k] if k < len(counters) else 1
        start = at.start if at else 1
        return _formatted(at.fmt if at else "decimal", start + count - 1)

    return re.sub(r"%(\d)", value, level.text).strip()


def _generated_numbers(data: bytes) -> list[tuple[str, str]]:
    """Each paragraph's text and the number Word generates for it, in document order ("" for
    a paragraph not in a list). Only for documents with lists: docx2python reads the whole
    package, which the product's own drafts (numbered in their text) do not need."""
    from docx2python import docx2python  # imported here: a draft without lists never needs it

    with zipfile.ZipFile(BytesIO(data)) as archive:
        names = archive.namelist()
        numbering = (
            archive.read(_NUMBERING).decode("utf-8", "replace") if _NUMBERING in names else ""
        )
    levels = _list_levels(numbering)
    out: list[tuple[str, str]] = []
    with docx2python(BytesIO(data)) as document:
        for par in _pars(document.document_pars):
            num_id, counters = par.list_position
            text = "".join(run.text for run in par.runs)
            label = _label(levels, num_id, list(counters)) if num_id is not None else ""
            if num_id is not None:  # docx2python's own rendering: indent tabs, number, tab
                text = re.sub(r"^\t*[^\t]*\t", "", text, count=1)
            out.append((_clean(text), label))
    return out


def _pars(tree: Any) -> Iterator[Any]:
    """docx2python's paragraphs, flattened out of its tables → rows → cells nesting."""
    if isinstance(tree, list):
        for item in tree:
            yield from _pars(item)
    else:
        yield tree


_STYLE = re.compile(r'<w:style\b[^>]*w:styleId="([^"]+)"[^>]*>(.*?)</w:style>', re.S)


def _has_lists(data: bytes, xml: str) -> bool:
    """Whether any paragraph is in one of Word's lists: numbered in its own properties, or
    by its style ("List Number"). A template's unused list definitions do not count, so the
    product's drafts (numbered in their text) skip docx2python's second reading."""
    if "<w:numPr" in xml:
        return True
    if "<w:pStyle " not in xml:
        return False
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            styles = archive.read("word/styles.xml").decode("utf-8", "replace")
    except (zipfile.BadZipFile, KeyError, OSError):
        return False
    listed = {sid for sid, body in _STYLE.findall(styles) if "<w:numPr" in body}
    return any(f'w:pStyle w:val="{sid}"' in xml for sid in listed)


def read_docx(data: bytes, where: str) -> list[Element]:
    """A DOCX's paragraphs and tables, with the numbers Word generates put in front."""
    xml = document_xml(data, where)
    numbers = _generated_numbers(data) if _has_lists(data, xml) else []
    cursor = 0

    def numbered(text: str) -> str:
        # Both readers go through the paragraphs in order: find this one among docx2python's.
        nonlocal cursor
        for i in range(cursor, min(cursor + 50, len(numbers))):
            other, label = numbers[i]
            if other == text:
                cursor = i + 1
                return f"{label} {text}" if label else text
        return text

    out: list[Element] = []
    count = tables = 0

    def para(line: Line, right: bool | None = None) -> None:
        nonlocal count
        text, bold = line
        if not text:
            return
        count += 1
        out.append(Para(numbered(text), f"paragraph {count}", bold, right))

    for element in document_elements(xml):
        if not isinstance(element, list):
            para(element)
            continue
        tables += 1
        table: Table = element
        cells = [tuple(" ".join(t for t, _ in cell if t) for cell in row) for row in table]
        if cells and is_annex_header(cells[0]):
            for row in table:  # keep the cursor in step with docx2python's paragraphs
                for cell in row:
                    for text, _ in cell:
                        if text:
                            numbered(text)
            out.append(Grid(tuple(cells), f"table {tables}"))
            continue
        for row in table:
            for i, cell in enumerate(row):
                for line in cell:
                    para(line, right=i > 0 if len(row) > 1 else None)
    return out


# --- TXT ------------------------------------------------------------------------------------

_STARS = re.compile(r"\*\*(.+?)\*\*")


def read_text(text: str) -> list[Element]:
    """A plain-text plan: a line is a paragraph, lines with tabs a table's rows."""
    out: list[Element] = []
    rows: list[tuple[str, ...]] = []
    start = 0
    tables = 0

    def flush() -> None:
        nonlocal rows, tables
        if rows:
            tables += 1
            width = max(len(r) for r in rows)
            padded = tuple(r + ("",) * (width - len(r)) for r in rows)
            out.append(Grid(padded, f"table {tables} (line {start})"))
            rows = []

    for number, raw in enumerate(text.splitlines(), start=1):
        line = unicodedata.normalize("NFC", raw).rstrip()
        if "\t" in line.strip("\t") or (line.startswith("\t") and rows):
            cells = tuple(_clean(c) for c in line.split("\t"))
            if len(cells) >= 3:
                if not rows:
                    start = number
                rows.append(cells)
                continue
        flush()
        if not line.strip():
            continue
        stripped = line.strip()
        bold = True if len(stripped) > 4 and stripped[:2] == stripped[-2:] == "**" else None
        line = _STARS.sub(r"\1", line)
        out.append(Para(_clean(line), f"line {number}", bold))
    flush()
    return out


# --- PDF ------------------------------------------------------------------------------------

_MARKER_START = re.compile(r"^(?:[IVX]+\.|\d+(?:\.\d+)*[.)]|[a-zđ]\)|[-–+•])\s")
_GLUED_NUMBER = re.compile(r"^((?:[IVX]+|\d+)\.|[a-zđ]\))(?=[^\s\d./)])")
_LONE_MARKER = re.compile(r"^(?:[IVX]+\.|\d+(?:\.\d+)*[.)]|[a-zđ]\)|[-–+•])$")
_GAP = 24.0  # points between two characters of one line that part two columns


def _pieces(line: dict[str, Any]) -> list[list[dict[str, Any]]]:
    """A text line's characters, split where a wide gap parts two columns (header, signature)."""
    chars = [c for c in line.get("chars", []) if c.get("text")]
    pieces: list[list[dict[str, Any]]] = []
    for c in chars:
        glued = pieces and _LONE_MARKER.match("".join(x["text"] for x in pieces[-1]).strip())
        if pieces and (c["x0"] - pieces[-1][-1]["x1"] <= _GAP or glued):
            pieces[-1].append(c)  # a list's number and its text, however wide the tab
        else:
            pieces.append([c])
    return pieces


@dataclass
class _PdfLine:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    bold: bool
    right: bool


def _piece_line(chars: list[dict[str, Any]], width: float) -> _PdfLine:
    text = ""
    prev: dict[str, Any] | None = None
    for c in chars:
        if prev is not None and c["x0"] - prev["x1"] > 0.15 * (c["size"] or 10):
            text += " "
        text += c["text"]
        prev = c
    visible = [c for c in chars if c["text"].strip()]
    marker = _MARKER_START.match(_GLUED_NUMBER.sub(r"\1 ", _clean(text)) + " ")
    if marker and len(visible) > len(marker.group(0).strip()):
        visible = visible[len(marker.group(0).strip()) :]  # a list's number has its own weight
    bold = bool(visible) and all("bold" in str(c.get("fontname", "")).lower() for c in visible)
    x0 = min(c["x0"] for c in chars)
    return _PdfLine(
        _clean(text),
        x0,
        max(c["x1"] for c in chars),
        min(c["top"] for c in chars),
        max(c["bottom"] for c in chars),
        bold,
        x0 > width / 2 + 5,  # starts right of the middle: a right cell, not a centred line
    )


def _lines_joined(lines: list[str]) -> str:
    """Wrapped lines as one text: a space between them, none after a hyphen that follows a
    word ("2021-" / "2030": the line broke at the hyphen of "2021-2030")."""
    text = lines[0] if lines else ""
    for line in lines[1:]:
        text += line if re.search(r"\w-$", text) else f" {line}"
    return text


@dataclass(frozen=True)
class _Run:
    """A page's paragraphs, and whether they go on from the page before and to the next."""

    paras: list[Para]
    continues: bool  # the first line goes on with the paragraph the page before left open
    open_end: bool  # the last line runs to the right margin: its paragraph may go on


def _paragraphs(lines: list[_PdfLine], page: int, first: int) -> _Run:
    """Lines of one page joined into paragraphs: a paragraph ends where a line stops short of
    the right margin, and starts at an indented line, a list marker, a change of column or of
    weight, or after a wider gap."""
    body = [ln for ln in lines if not ln.right]
    left = min((ln.x0 for ln in body), default=0.0)
    right = max((ln.x1 for ln in body), default=0.0)
    out: list[Para] = []
    prev: _PdfLine | None = None
    texts: list[str] = []
    start = first

    def starts_item(ln: _PdfLine) -> bool:
        # a number or letter starts an item; a dash only where indented or after a short
        # line (a wrapped "giai đoạn 2021 – 2025" may put one first)
        return bool(_MARKER_START.match(ln.text)) and ln.text[:1] not in "-–+•"

    def close(at: int) -> None:
        nonlocal texts
        if texts:  # a list's number set off by a narrow tab reads "I.MỤC": part them
            texts[0] = _GLUED_NUMBER.sub(r"\1 ", texts[0])
        if texts and prev is not None:
            out.append(
                Para(_clean(_lines_joined(texts)), f"page {page}, line {at}", prev.bold, prev.right)
            )
        texts = []

    for n, ln in enumerate(lines, start=first):
        new = (
            prev is None
            or ln.right != prev.right
            or ln.bold != prev.bold
            or starts_item(ln)
            or prev.x1 < right - 30
            or ln.x0 > left + 12
            or ln.top - prev.bottom > 1.2 * (prev.bottom - prev.top)
        )
        if new:
            close(start)
            start = n
        texts.append(ln.text)
        prev = ln
    close(start)
    head = lines[0] if lines else None
    return _Run(
        out,
        continues=head is not None
        and not head.right
        and not starts_item(head)
        and head.x0 <= left + 12,
        open_end=prev is not None and not prev.right and prev.x1 >= right - 30,
    )


def read_pdf(path: Path) -> list[Element]:
    """A PDF's text layer as paragraphs and its ruled tables as tables, page by page."""
    import pdfplumber  # imported here: only a PDF needs it (it loads pdfminer)
    from pdfminer.pdfparser import PDFSyntaxError
    from pdfplumber.utils.exceptions import PdfminerException

    out: list[Element] = []
    try:
        with pdfplumber.open(path) as pdf:
            if not any(page.chars for page in pdf.pages):
                raise ScannedPdfError(
                    "this PDF has no text layer (a scan: its pages are pictures); import the "
                    "DOCX or a PDF saved from Word or LibreOffice, or run OCR on it first",
                    where=path,
                )
            tables = 0
            open_end = False  # the last paragraph so far may go on on the next page
            for number, page in enumerate(pdf.pages, start=1):
                found = page.find_tables()
                boxes = [t.bbox for t in found]

                def outside(obj: dict[str, Any], boxes: list[Any] = boxes) -> bool:
                    if obj.get("object_type") != "char":
                        return True
                    x, y = (obj["x0"] + obj["x1"]) / 2, (obj["top"] + obj["bottom"]) / 2
                    return not any(b[0] <= x <= b[2] and b[1] <= y <= b[3] for b in boxes)

                text_lines = page.filter(outside).extract_text_lines(return_chars=True)
                lines = [
                    _piece_line(chars, page.width)
                    for line in text_lines
                    for chars in _pieces(line)
                    if chars
                ]
                # the page number printed at the top from page 2 on (ND 30)
                lines = [ln for ln in lines if not (ln.text.isdigit() and ln.top < 80)]
                items: list[tuple[float, Grid | list[_PdfLine]]] = []
                for table in found:
                    tables += 1
                    rows = tuple(
                        tuple(_clean(_lines_joined((cell or "").split("\n"))) for cell in row)
                        for row in table.extract()
                    )
                    if rows:
                        items.append((table.bbox[1], Grid(rows, f"page {number}, table {tables}")))
                # paragraphs between tables are joined among themselves only
                groups: list[list[_PdfLine]] = [[]]
                tops = sorted(t.bbox[1] for t in found)
                for ln in sorted(lines, key=lambda ln: (ln.top, ln.x0)):
                    while tops and ln.top > tops[0]:
                        tops.pop(0)
                        groups.append([])
                    groups[-1].append(ln)
                line_no = 1
                for group in groups:
                    if group:
                        items.append((group[0].top, group))
                for _, item in sorted(items, key=lambda pair: pair[0]):
                    if isinstance(item, Grid):
                        out.append(item)
                        open_end = False
                        continue
                    run = _paragraphs(item, number, line_no)
                    line_no += len(item)
                    paras = run.paras
                    last = out[-1] if out else None
                    if open_end and run.continues and paras and isinstance(last, Para):
                        # a paragraph the page break cut: the page before ended on a full line
                        merged = _lines_joined([last.text, paras[0].text])
                        out[-1] = Para(merged, last.where, last.bold, last.right)
                        paras = paras[1:]
                    out += paras
                    open_end = run.open_end
    except (PDFSyntaxError, PdfminerException) as exc:
        raise PlanImportError(f"not a readable PDF: {exc}", where=path) from None
    return out


def read_source(path: Path) -> list[Element]:
    """The elements of ``path`` by its suffix (.docx, .pdf, .txt); one-line errors."""
    suffix = path.suffix.lower()
    if suffix not in {".docx", ".pdf", ".txt"}:
        raise PlanImportError(
            f"cannot import a '{suffix or 'file without a suffix'}': give a .docx, .pdf or .txt",
            where=path,
        )
    try:
        if suffix == ".pdf":
            with path.open("rb") as f:
                if f.read(5) != b"%PDF-":
                    raise PlanImportError("not a PDF (it does not start with %PDF-)", where=path)
            return read_pdf(path)
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputFileError("no such file", where=path) from None
    except IsADirectoryError:
        raise InputFileError("is a folder, not a file", where=path) from None
    except OSError as exc:
        raise InputFileError(f"cannot read: {exc.strerror}", where=path) from None
    if suffix == ".docx":
        return read_docx(data, str(path))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputFileError(
            f"not UTF-8 text (byte {exc.start}); save it as UTF-8", where=path
        ) from None
    return read_text(text)
