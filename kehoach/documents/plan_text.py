"""A plan DOCX read back as text: what :mod:`kehoach.documents.plan_document` laid out.

A checker of drafts needs the words the clerk will read, not the model they came from: a
draft may have been edited by hand, and a rewording bug shows only in the text. The parts are
returned as the template lays them out (``templates/docx/scaffold.py``):

* the header table: the issuing body's lines and the number line (left), the dateline (right);
* the type name (KẾ HOẠCH) and the summary (trích yếu) under it;
* the body, one :class:`~kehoach.documents.plan_document.Block` per paragraph, its kind read
  back from bold and numbering (a bold "III. …" is a heading, another bold line a sub-heading);
* the signature table: the recipients (Nơi nhận);
* after the page break, the annex: its title, caption and task rows (PHỤ LỤC).

Each table is found by what it holds ("Số:", "Nơi nhận:", the "TT | Nhiệm vụ" header row), not
by its position, and a task table's columns by their headers, so a draft a clerk reshaped a
little still reads; so does a ward section's task list (DANH SÁCH NHIỆM VỤ), which has no
header table and its table of tasks amid its text.

Only ``word/document.xml`` is read, and it is scanned for the few WordprocessingML tags that
carry text and structure (paragraph, table, row, cell, run, text, tab, break, bold) instead of
being parsed into a tree: a Hà Nội cascade is 3,373 drafts, and building lxml trees of them and
walking every paragraph took 9.7 s here against 3.1 s for the scan (python-docx would also
parse each draft's 350 kB ``styles.xml``). Text is what Word shows: ``w:t`` (XML escapes
read), a tab or line break as a space, runs of spaces as one; deleted text (``w:delText``) and
field codes are not text. A paragraph inside a text box ends up as a paragraph of its own.

The same parts are also given straight from a template's context, without rendering
(:func:`printed_text`): for a template that prints its context as given
(:func:`prints_its_context`: the default ones, or one an operator only restyled) they are
the words read back. A batch checks the drafts it has just rendered by them, which saves
reading its own DOCX back; a file a person left, or a template that adds words, is read.
"""

from __future__ import annotations

import html
import io
import re
import struct
import zipfile
import zlib
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, ConfigDict

from kehoach.documents.docx import CompiledTemplate
from kehoach.documents.plan_document import AnnexRow, Block, PlanContext, plan_context
from kehoach.documents.plan_document import sample_context as plan_sample
from kehoach.documents.task_list import TaskListContext
from kehoach.documents.task_list import sample_context as task_list_sample
from kehoach.io.errors import KehoachError
from kehoach.plan.model import Plan

# The structure: a whole paragraph (its XML up to </w:p>), an empty one, a table's start and
# end, a row, a cell. The lookaheads keep <w:p> from matching <w:pPr>, <w:tr> from <w:trPr>.
_STRUCTURE = re.compile(
    r"<w:p(?=[\s/>])[^>]*?/>|<w:p(?=[\s>])[^>]*>([^<]*(?:<(?!/w:p>)[^<]*)*)</w:p>"
    r"|<(/?)w:(tbl|tr|tc)(?=[\s>])"
)
_RUN_START = re.compile(r"<w:r(?=[\s>])")
# A run's text as Word shows it: w:t, and a tab or line break as a space (made a w:t first).
_TEXT = re.compile(r"<w:t(?:\s[^>]*)?>([^<]*)</w:t>")
_BREAK = re.compile(r"<w:(?:tab|br|cr)(?=[\s/>])[^>]*>")
_BOLD = re.compile(r"<w:b(?:\s+w:val=\"(?:1|true|on)\")?\s*/>")
_ROMAN_HEADING = re.compile(r"^[IVX]+\.\s")


class DocxReadError(KehoachError):
    """A file is not a readable .docx (not a zip, no ``word/document.xml``, not UTF-8)."""


class PlanText(BaseModel):
    """The text of a plan document, part by part, as printed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    issuer_lines: list[str]
    number_line: str
    dateline: str
    type_name: str
    summary: str
    body: list[Block]  # preamble … closing ("./.")
    recipients: list[str]
    annex_title: str
    annex_caption: str
    annex: list[AnnexRow]


# A top-level element of the body: a paragraph (text, bold) or a table (rows of cells, each
# cell its paragraphs).
_Line = tuple[str, bool]
_Table = list[list[list[_Line]]]


@lru_cache(maxsize=1 << 12)
def _paragraph(xml: str) -> _Line:
    """The text of a paragraph's XML, and whether every run with visible text is bold.

    Cached by the XML: the drafts of a cascade are rendered from one template and repeat
    their paragraphs (306,740 paragraphs in Hà Nội's 3,373 drafts, 11,695 distinct).
    """
    if "<w:t" not in xml:
        return "", False
    if "<w:pPr" in xml:
        xml = xml.split("</w:pPr>", 1)[-1]  # its mark's properties are not a run's
    raw = "".join(_TEXT.findall(xml))
    if "&" in raw:
        raw = html.unescape(raw)
    text = " ".join(raw.split())
    if not text:
        return "", False
    if xml.count("<w:r>") + xml.count("<w:r ") <= 1:
        return text, bool(_BOLD.search(xml))
    bold = True
    for run in _RUN_START.split(xml)[1:]:
        if "".join(_TEXT.findall(run)).strip():
            bold = bold and bool(_BOLD.search(run.split("</w:rPr>", 1)[0]))
    return text, bold


def _scan(xml: str) -> list[_Line | _Table]:
    """The body's paragraphs and tables, in order (see the module's docstring)."""
    out: list[_Line | _Table] = []
    tables: list[_Table] = []  # open tables (more than one only for a nested table)
    start = max(xml.find("<w:body"), 0)
    xml = _BREAK.sub("<w:t> </w:t>", xml[start:])
    for m in _STRUCTURE.finditer(xml):
        inner, closing, tag = m.groups()
        if tag is None:
            if not inner:
                continue  # an empty paragraph
            line = _paragraph(inner)
            if not tables:
                out.append(line)
            elif tables[-1] and tables[-1][-1]:
                tables[-1][-1][-1].append(line)
        elif closing:
            if tag == "tbl" and tables:
                table = tables.pop()
                if tables:  # a nested table: its paragraphs belong to the outer cell
                    for row in table:
                        for cell in row:
                            for line in cell:
                                _place(line, tables, out)
                else:
                    out.append(table)
        elif tag == "tbl":
            tables.append([])
        elif tag == "tr":
            if tables:
                tables[-1].append([])
        elif tables and tables[-1]:
            tables[-1][-1].append([])
    return out


def _place(line: _Line, tables: list[_Table], out: list[_Line | _Table]) -> None:
    if not tables:
        out.append(line)
    elif tables[-1] and tables[-1][-1]:
        tables[-1][-1][-1].append(line)


def _cell_text(cell: list[_Line]) -> str:
    return " ".join(text for text, _ in cell if text)


def _kind(text: str, bold: bool) -> Literal["heading", "subheading", "para"]:
    if not bold:
        return "para"
    return "heading" if _ROMAN_HEADING.match(text) else "subheading"


_ANNEX_FIELDS = ("stt", "title", "lead", "coordinating", "deadline")
_LOCAL = struct.Struct("<IHHHHHIIIHH")  # a zip member's local header
_DOCUMENT = b"word/document.xml"


def _document_xml(data: bytes) -> bytes:
    """``word/document.xml`` of the package ``data``.

    Read straight from its local header when that holds the sizes (as the product writes
    every draft: a third of the time ``zipfile`` takes to list 17 members first); through
    ``zipfile`` otherwise (sizes after the data, as some editors save).
    """
    at = data.find(_DOCUMENT)
    header = at - _LOCAL.size
    if header >= 0 and data[header : header + 4] == b"PK\x03\x04":
        _, _, flags, method, _, _, crc, packed, size, name_len, extra_len = _LOCAL.unpack_from(
            data, header
        )
        begin = at + name_len + extra_len
        if not flags & 0x08 and name_len == len(_DOCUMENT) and method in (0, 8) and packed:
            raw = data[begin : begin + packed]
            xml = zlib.decompress(raw, -15) if method == 8 else raw
            if len(xml) == size and zlib.crc32(xml) == crc:
                return xml
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read("word/document.xml")


#: A top-level element of a document's body as :func:`document_elements` gives it: a
#: paragraph (its text and whether it is bold) or a table (rows of cells of paragraphs).
Line = _Line
Table = _Table


def document_xml(data: bytes, where: str | None = None) -> str:
    """``word/document.xml`` of the DOCX ``data`` as text; DocxReadError (naming ``where``)
    if it is not a readable .docx."""
    try:
        return _document_xml(data).decode("utf-8")
    except (zipfile.BadZipFile, KeyError, UnicodeDecodeError, OSError, zlib.error) as exc:
        raise DocxReadError(f"not a readable .docx: {exc}", where=where) from None


def document_elements(xml: str) -> list[Line | Table]:
    """The paragraphs and tables of a document's body in order, as this module reads them
    (what :mod:`kehoach.documents.importing` builds a plan from, in any layout)."""
    return _scan(xml)


def read_plan_text(data: bytes, where: str | None = None) -> PlanText:
    """The text of the plan DOCX ``data``; DocxReadError (naming ``where``) if unreadable.

    A ward section's task list (DANH SÁCH NHIỆM VỤ: no header table, the ward and the section
    on lines of their own, the table of tasks between the text and the dateline) reads into
    the same parts: its top lines as ``issuer_lines``, its table as ``annex``, the text
    around the table as ``body``.
    """
    xml = document_xml(data, where)
    issuer_lines: list[str] = []
    number_line = dateline = type_name = summary = annex_title = annex_caption = ""
    blocks: list[dict[str, str]] = []  # Block and AnnexRow, validated at once at the end
    recipients: list[str] = []
    annex: list[dict[str, str]] = []
    header = False  # whether the header table (issuing body | Quốc hiệu) was seen
    state = "head"  # then "body" after the summary, "after" the signature or the dateline
    for element in _scan(xml):
        if isinstance(element, list):
            first = element[0] if element else []
            heads = [_cell_text(c) for c in first]
            if len(heads) >= 3 and heads[0] == "TT":
                annex += _rows(heads, element[1:], issuer_lines[-1] if issuer_lines else "")
            elif heads and heads[0].startswith("Nơi nhận"):
                recipients = [text for text, _ in first[0] if text][1:]
                state = "after"
            elif state == "head" and first:
                header = True
                left = [text for text, _ in first[0] if text]
                number_line = next((t for t in left if t.startswith("Số")), "")
                issuer_lines = [t for t in left if t != number_line]
                right = [text for text, _ in first[-1] if text]
                dateline = right[-1] if right else ""
            continue
        text, bold = element
        if not text:
            continue
        if state == "head":
            if type_name:
                summary, state = text, "body"
            elif header or text in _TYPE_NAMES:
                type_name = text
            else:
                issuer_lines.append(text)  # a task list's ward and section, above its name
        elif state == "body":
            if not header and _DATELINE.match(text):
                dateline, state = text, "after"  # a task list ends with its dateline
            else:
                blocks.append({"kind": _kind(text, bold), "text": text})
        elif state == "after" and text != "PHỤ LỤC" and header:
            if not annex_title:
                annex_title = text
            elif not annex_caption:
                annex_caption = text
    return PlanText.model_validate(
        {
            "issuer_lines": issuer_lines,
            "number_line": number_line,
            "dateline": dateline,
            "type_name": type_name,
            "summary": summary,
            "body": blocks,
            "recipients": recipients,
            "annex_title": annex_title,
            "annex_caption": annex_caption,
            "annex": annex,
        }
    )


#: Type names that open a document without a header table (a ward section has no seal).
_TYPE_NAMES = frozenset({"KẾ HOẠCH", "DANH SÁCH NHIỆM VỤ"})
_DATELINE = re.compile(r"^[^,]{1,60}, ngày [\d ]*tháng [\d ]*năm \d{4}$")


def _column(head: str) -> str | None:
    """The field a table column fills, by its header ("Cơ quan, đơn vị chủ trì" → lead)."""
    h = head.lower()
    if h == "tt":
        return "stt"
    if h.startswith("nhiệm vụ"):
        return "title"
    if "chủ trì" in h:
        return "lead"
    if "phối hợp" in h:
        return "coordinating"
    if h.startswith(("thời gian", "thời hạn")):
        return "deadline"
    if h.startswith("trách nhiệm"):
        return "role"
    return None


def annex_column(head: str) -> str | None:
    """The field a task table's column fills, by its header (``stt``, ``title``, ``lead``,
    ``coordinating``, ``deadline``; ``role`` in a task list); None for another column."""
    return _column(head)


def _rows(heads: list[str], rows: list[list[list[_Line]]], own: str) -> list[dict[str, str]]:
    """The task rows of a table, by its header (see :func:`_annex_row`)."""
    columns = [_column(h) for h in heads]
    out = []
    for row in rows:
        cells = [_cell_text(c) for c in row]
        if len(cells) != len(columns):
            continue
        found = {c: v for c, v in zip(columns, cells, strict=True) if c is not None}
        out.append(_annex_row(found, own))
    return out


def _annex_row(found: dict[str, str], own: str) -> dict[str, str]:
    """A task row from its cells by field. A task list's "Trách nhiệm" column ("Chủ trì",
    "Chủ trì, phối hợp với X", "Phối hợp với X") says who leads and who coordinates, the
    section itself (``own``, its name as its top line prints it) being one of them."""
    line = {f: found.get(f, "") for f in _ANNEX_FIELDS}
    role = found.get("role", "")
    lowered = role.lower()
    if lowered.startswith("chủ trì"):
        at = lowered.find("phối hợp với")
        line["lead"] = own
        line["coordinating"] = role[at + len("phối hợp với") :].strip() if at >= 0 else ""
    elif lowered.startswith("phối hợp với"):
        line["lead"] = role[len("phối hợp với") :].strip()
        line["coordinating"] = own
    return line


def plan_text_of(plan: Plan) -> PlanText:
    """The text ``plan`` renders to, without rendering it: what a checker compares a child's
    draft with when the parent is a plan file, not a draft on disk."""
    return context_text(plan_context(plan), plan.doc_type)


def _words(text: str) -> str:
    return " ".join(text.split())  # as read back: runs of spaces (and tabs, breaks) as one


def _spaced_once(block: Block) -> Block:
    """``block`` as read back; itself when its spaces are already single (nearly always)."""
    words = _words(block.text)
    return block if words == block.text else Block(kind=block.kind, text=words)


def printed_text(context: PlanContext | TaskListContext) -> PlanText:
    """The text a draft's DOCX rendered from ``context`` reads back as, without reading it:
    the words of :func:`context_text` or :func:`task_list_text`. True of a template that
    prints its context as given (:func:`prints_its_context`), as the default ones do."""
    if isinstance(context, TaskListContext):
        return task_list_text(context)
    return context_text(context)


def prints_its_context(
    template: CompiledTemplate, kind: type[PlanContext | TaskListContext]
) -> bool:
    """Whether ``template`` (of a plan, or of a task list) prints its sample's context as
    :func:`printed_text` says, the words read back from the DOCX it renders: a template an
    operator restyled does, one that adds or rewords text does not. Once per template."""
    key = (template.sha256, kind.__name__)
    known = _PRINTS.get(key)
    if known is None:
        sample = task_list_sample() if kind is TaskListContext else plan_sample()
        try:
            rendered = read_plan_text(template.render(sample.model_dump()))
        except (KehoachError, ValueError):
            rendered = None
        known = _PRINTS[key] = rendered == printed_text(sample)
    return known


_PRINTS: dict[tuple[str, str], bool] = {}


def context_text(context: PlanContext, type_name: str = "KẾ HOẠCH") -> PlanText:
    """The text the plan template lays ``context`` out in, as :func:`read_plan_text` reads
    it back from the DOCX (see :func:`printed_text`)."""
    return PlanText(
        issuer_lines=[
            *([context.issuer_superior] if context.issuer_superior else []),
            *context.issuer_lines,
        ],
        number_line=_words(context.number_line),
        dateline=_words(context.dateline),
        type_name=type_name,
        summary=context.summary,
        body=[_spaced_once(b) for b in context.blocks],
        recipients=context.recipients,
        annex_title=context.annex_title,
        annex_caption=_words(context.annex_caption),
        annex=context.tasks,
    )


def task_list_text(context: TaskListContext) -> PlanText:
    """The text the task list template lays ``context`` out in, as :func:`read_plan_text`
    reads it back (the ward and the section on top, the table's "Trách nhiệm" read as who
    leads and who coordinates, the text around the table as the body)."""
    own = _words(context.section_lines[-1] if context.section_lines else context.committee)
    lines = [(context.caption, False), (context.tasks_heading, True)]
    if not context.tasks:
        lines.append((context.no_tasks, False))
    if context.duties:
        lines.append((context.duties_heading, True))
        lines += [(d, False) for d in context.duties]
    body = [_printed_line(text, bold) for text, bold in lines]
    return PlanText(
        issuer_lines=[w for w in map(_words, [context.committee, *context.section_lines]) if w],
        number_line="",
        dateline=_words(context.dateline),
        type_name="DANH SÁCH NHIỆM VỤ",
        summary=_words(context.summary),
        body=[b for b in body if b is not None],
        recipients=[],
        annex_title="",
        annex_caption="",
        annex=[_task_row(t.stt, t.title, t.role, t.deadline, own) for t in context.tasks],
    )


# Cached, as the paragraphs read back are (:func:`_paragraph`): the sections of a ward share
# most of their duties and tasks, and a model per line was most of a task list's words' cost.
@lru_cache(maxsize=1 << 12)
def _printed_line(text: str, bold: bool) -> Block | None:
    """A task list's line as read back: its words and kind; None if it prints nothing."""
    words = _words(text)
    return Block(kind=_kind(words, bold), text=words) if words else None


@lru_cache(maxsize=1 << 12)
def _task_row(stt: str, title: str, role: str, deadline: str, own: str) -> AnnexRow:
    """A task list's row as read back (see :func:`_annex_row`)."""
    found = {"stt": stt, "title": title, "role": role, "deadline": deadline}
    return AnnexRow.model_validate(_annex_row({k: _words(v) for k, v in found.items()}, own))
