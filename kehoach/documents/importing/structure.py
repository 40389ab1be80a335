"""A received plan's paragraphs and tables read into the plan model, part by part (ND 30).

The reading follows the layout ND 30/2020 prescribes for a plan (Phụ lục III), whatever the
file looked like: the header (issuing body, "Số: …/KH-…", the dateline), the type name and the
summary, the preamble with the documents it implements, the parts I., II. … with their
numbered and lettered items, the closing ("Trên đây là …"), Nơi nhận and the signature, and
after a page break the annex (PHỤ LỤC) with its task table.

What it cannot map is kept as printed and reported with its place, never dropped: a line of
the header that is none of the header's lines, a part whose heading is none of ND 30's (kept
as a content section under its own heading), a body it does not know (kept under its printed
name), a deadline it cannot read (kept in its words, due at the end of the plan's term).

The words printed in a draft are those of the model (the renderer numbers items and prints
markers as their words), so a draft imports back to the plan it was rendered from, printed
alike; where the renderer would number an item as printed, the number is left to it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from hierarchy.graph import Hierarchy
from hierarchy.units import IssuingBody, Signer, name_key, upper_vi
from kehoach.documents.importing.bodies import (
    OWN_PEOPLE,
    DeadlineOf,
    Issuing,
    SelfReferences,
    committee_name,
    department_name,
    find_issuer,
    mark_deadlines,
    resolve,
)
from kehoach.documents.importing.sources import (
    Element,
    Grid,
    Para,
    PlanImportError,
    is_annex_header,
)
from kehoach.documents.plan_text import annex_column
from kehoach.plan.deadline import Deadline, Quota, QuotaPeriod, Recurrence, parse_deadline
from kehoach.plan.markers import plain
from kehoach.plan.model import Assignee, DocumentRef, Plan, Section
from kehoach.plan.wording import upper_first


class ImportWarning(BaseModel):
    """Something the import kept as text or assumed: where it is, and what."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


class ImportedPlan(BaseModel):
    """A received plan as the model, and every warning about what it could not map."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    plan: Plan
    warnings: tuple[ImportWarning, ...] = ()


# --- patterns -------------------------------------------------------------------------------

_NUMBER_LINE = re.compile(r"^Số\s*:\s*(\d*)\s*/\s*([A-ZĐ0-9]+(?:-[A-ZĐ0-9]+)*)")
_DATELINE = re.compile(
    r"^(?P<place>[^,]{1,60}),\s*ngày\s*(?P<d>\d{1,2})?\s*tháng\s*(?P<m>\d{1,2})?\s*năm\s*(?P<y>\d{4})"
)
_MOTTO = re.compile(
    r"^(?:CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM|CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    r"|Độc lập\s*[-–]\s*Tự do|[-–_—=. ]+$)",
    re.IGNORECASE,
)
_ROMAN = re.compile(r"^([IVX]+)\.\s+(.+)$")
_NUMBERED = re.compile(r"^(\d+)\.\s+(.+)$")
_LETTERED = re.compile(r"^([a-zđ])\)\s+(.+)$")
_PREAMBLE_START = re.compile(r"^(?:Thực hiện|Căn cứ|Triển khai|Để|Nhằm)\b")
_CLOSING = re.compile(r"^Trên đây\b|\./\.\s*$")
_RECIPIENTS = re.compile(r"^Nơi nhận\s*:?\s*", re.IGNORECASE)
_AUTHORITY = re.compile(r"^(?:TM|KT|TL|TUQ|Q)\.\s")
_CAPTION = re.compile(r"^\(Kèm theo\b.*\)$", re.IGNORECASE)
_CAPTION_ISSUER = re.compile(r"\bcủa\s+(.+?)\)?$")
_TERM = re.compile(r"(?:giai đoạn|từ năm)?\s*(\d{4})\s*[-–—]\s*(\d{4})|năm\s+(\d{4})")
_KINDS_OF_DOCUMENT = (
    "Kế hoạch|Chương trình|Quyết định|Nghị quyết|Chỉ thị|Công văn|Thông báo|Kết luận|Đề án"
    "|Nghị định|Thông tư|Luật|Hướng dẫn|Công điện"
)
_CITATION = re.compile(
    rf"(?P<kind>{_KINDS_OF_DOCUMENT})\s+số\s*(?P<number>[0-9][0-9A-Za-zĐđ/.-]*|/(?P<symbol>[A-ZĐ0-9-]+))"
    r"(?:\s+ngày\s*(?P<date>\d{1,2}\s*/\s*\d{1,2}\s*/\s*\d{4}|/\s*/\s*(?P<year>\d{4}))?)?"
    r"\s+của\s+(?P<issuer>.+?)\s+(?:về|về việc)\s+(?P<summary>.+?)"
    rf"(?=(?:[,;]\s+(?:{_KINDS_OF_DOCUMENT})\s+số)"
    r"|,\s+[^,]{1,80}?\s+(?:ban hành|xây dựng|triển khai)\s|$)"
)
_ISSUING_VERB = re.compile(r",\s*([^,]+?)\s+(?:ban hành|xây dựng)\s+(?:kế hoạch|Kế hoạch)\b")
_QUOTA = re.compile(
    r"(?:tối thiểu|ít nhất|đảm bảo|bảo đảm)\s+(\d{1,4})\s+"
    r"(tin/bài|tin, bài|tin bài|lần|bài|tin|cuộc|buổi|số)",
    re.IGNORECASE,
)
_ISSUES_PLAN = re.compile(r"\bban hành (?:kế hoạch|Kế hoạch)\b", re.IGNORECASE)
_RENDER_LETTERS = "abcdefghiklmnopq"  # the renderer's letters (plan_document._section_blocks)


@dataclass
class _Reading:
    """What the reading has found so far, and its warnings."""

    where: str
    hierarchy: Hierarchy | None
    warnings: list[ImportWarning] = field(default_factory=list)

    def warn(self, where: str, what: str) -> None:
        self.warnings.append(ImportWarning(where=where, what=what))


# --- text clean-up ----------------------------------------------------------------------------


def _ends_sentence(text: str) -> bool:
    return bool(re.search(r"[.:;!?)”\"…]\s*$", text)) or text.endswith("./.")


def _is_upper(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters)


def _joined(elements: list[Element]) -> list[Element]:
    """Paragraphs a page break (or a PDF's line wrap) cut in two joined again: one that does
    not end a sentence, followed by one that starts in lower case (or with a year)."""
    out: list[Element] = []
    for e in elements:
        prev = out[-1] if out else None
        if (
            isinstance(e, Para)
            and isinstance(prev, Para)
            and not prev.right
            and not e.right
            and prev.bold is not True
            and not _is_upper(prev.text)
            and not _ends_sentence(prev.text)
            and not _LETTERED.match(e.text)
            and (e.text[:1].islower() or re.match(r"^\d{4}\b(?![.)])", e.text))
        ):
            out[-1] = Para(f"{prev.text} {e.text}", prev.where, prev.bold, prev.right)
            continue
        out.append(e)
    return out


def _sentence_case(summary: str, context: str) -> str:
    """A summary printed in capitals, in the case the plan's own text writes its words (the
    model keeps the summary in sentence case; "HÀ NỘI" is "Hà Nội" in the text): each word
    as the text writes it between the same neighbours, else alone, else in lower case."""
    tokens = [t for t in re.findall(r"\w+", context) if not _is_upper(t) or len(t) == 1]
    seen: dict[tuple[str, ...], Counter[str]] = {}
    for i, token in enumerate(tokens):
        before = tokens[i - 1].lower() if i else ""
        after = tokens[i + 1].lower() if i + 1 < len(tokens) else ""
        for key in ((before, token.lower(), after), (token.lower(), after), (token.lower(),)):
            seen.setdefault(key, Counter())[token] += 1
    words = summary.split(" ")
    cores = [re.sub(r"\W", "", w).lower() for w in words]
    out = []
    for i, (word, core) in enumerate(zip(words, cores, strict=True)):
        before = cores[i - 1] if i else ""
        after = cores[i + 1] if i + 1 < len(cores) else ""
        pick = core
        for key in ((before, core, after), (core, after), (core,)):
            if key in seen:
                pick = seen[key].most_common(1)[0][0]
                break
        if i == 0:
            pick = upper_first(pick)
        out.append(re.sub(r"\w+", pick, word, count=1) if core else word)
    return " ".join(out)


# --- the header -----------------------------------------------------------------------------


@dataclass
class _Header:
    lines: list[str] = field(default_factory=list)
    number: int | None = None
    symbol: str | None = None
    place: str | None = None
    date: dt.date | None = None
    year: int | None = None


def _header(paras: Sequence[Para], r: _Reading) -> _Header:
    head = _Header()
    for p in paras:
        text = p.text
        if m := _NUMBER_LINE.match(text):
            head.number = int(m.group(1)) if m.group(1) else None
            head.symbol = m.group(2)
        elif m := _DATELINE.match(text):
            head.place = m.group("place").strip()
            head.year = int(m.group("y"))
            if m.group("d") and m.group("m"):
                try:
                    head.date = dt.date(head.year, int(m.group("m")), int(m.group("d")))
                except ValueError:
                    r.warn(p.where, f"the dateline {text!r} is not a date in the calendar")
        elif _MOTTO.match(text):
            continue
        elif _is_upper(text) and not p.right:
            head.lines.append(text)
        else:
            r.warn(p.where, f"not part of an ND 30 header, not imported: {text!r}")
    return head


# --- the preamble ---------------------------------------------------------------------------


def _date(text: str) -> dt.date | None:
    d, m, y = (int(x) for x in re.split(r"\s*/\s*", text.strip()))
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


def references(preamble: str, r: _Reading, where: str) -> tuple[DocumentRef, ...]:
    """Each document the preamble cites ("Kế hoạch số 67/KH-UBND ngày 19/02/2024 của UBND
    quận Hoàng Mai về …"; a draft's "số      /KH-UBND ngày      /      /2024")."""
    refs = []
    for m in _CITATION.finditer(" ".join(preamble.split())):
        number = None if m.group("symbol") else m.group("number").rstrip(".,")
        date = None
        if m.group("date") and not m.group("year"):
            date = _date(m.group("date"))
            if date is None:
                r.warn(where, f"the date of {m.group(0)[:60]!r} is not in the calendar")
        refs.append(
            DocumentRef(
                kind=m.group("kind"),
                number=number,
                date=date,
                issuer=m.group("issuer").strip(),
                summary=m.group("summary").strip().rstrip(",;"),
                symbol=m.group("symbol"),
                year=int(m.group("year")) if m.group("year") else None,
            )
        )
    return tuple(refs)


# --- parts ----------------------------------------------------------------------------------


def _title_like(p: Para) -> bool:
    """Whether a lettered or numbered line is a heading: bold where the format says so; in
    plain text a short line that does not end a sentence."""
    if p.bold is not None:
        return p.bold
    return len(p.text) <= 120 and not re.search(r"[.;:,]\s*$", p.text)


def _strip_number(text: str, expected: str, pattern: re.Pattern[str]) -> str:
    """A heading without its number when the renderer would print that number itself."""
    m = pattern.match(text)
    if m and m.group(1) == expected:
        return m.group(2)
    return text


@dataclass
class _Sec:
    title: str | None = None
    paragraphs: list[str] = field(default_factory=list)
    sections: list[_Sec] = field(default_factory=list)
    assignee: Assignee | None = None

    def model(self, mark: Callable[[str], str]) -> Section:
        return Section(
            title=mark(self.title) if self.title else None,
            paragraphs=tuple(mark(p) for p in self.paragraphs),
            sections=tuple(s.model(mark) for s in self.sections),
            assignee=self.assignee,
        )


def _lettered_sections(paras: Sequence[Para]) -> list[_Sec]:
    """Items of "1. Nội dung" / "2. Hình thức": a lettered heading opens a section under its
    title; a lettered paragraph opens a section of its own (its letter kept as printed, as
    the seed plans write them); other paragraphs go to the open section."""
    out: list[_Sec] = []
    for p in paras:
        m = _LETTERED.match(p.text)
        if m and _title_like(p):
            index = len(out)
            expected = _RENDER_LETTERS[index % 16]
            out.append(_Sec(title=_strip_number(p.text, expected, _LETTERED)))
        elif m or not out:
            out.append(_Sec(paragraphs=[p.text]))
        else:
            out[-1].paragraphs.append(p.text)
    return out


def _numbered_sections(paras: Sequence[Para], keep_numbers: bool) -> list[_Sec]:
    """Items numbered 1., 2. … with their lettered sub-items (a part numbered by the plan
    itself, as 145/KH-UBND's NỘI DUNG: its numbers kept; Tổ chức thực hiện: left to the
    renderer)."""
    out: list[_Sec] = []
    for p in paras:
        m = _NUMBERED.match(p.text)
        if m and (p.bold is not False):
            title = p.text if keep_numbers else _strip_number(p.text, str(len(out) + 1), _NUMBERED)
            out.append(_Sec(title=title))
            continue
        if not out:
            out.append(_Sec())
        current = out[-1]
        lettered = _LETTERED.match(p.text)
        if lettered and p.bold is not False and _title_like(p) and keep_numbers:
            current.sections.append(_Sec(title=p.text))
        elif current.sections:
            current.sections[-1].paragraphs.append(p.text)
        else:
            current.paragraphs.append(p.text)
    return out


def _split_at(paras: Sequence[Para], words: Sequence[str]) -> list[list[Para]]:
    """The paragraphs of a part under its numbered sub-headings "1. Mục đích", "2. Yêu cầu"
    (one list per word of ``words``, in that order; what precedes the first goes to it)."""
    out: list[list[Para]] = [[] for _ in words]
    at = 0
    for p in paras:
        m = _NUMBERED.match(p.text)
        if m and len(p.text) < 80:
            head = name_key(m.group(2))
            hit = next((i for i, w in enumerate(words) if head.startswith(w)), None)
            if hit is not None:
                at = hit
                continue
        out[at].append(p)
    return out


@dataclass
class _Body:
    preamble: list[Para] = field(default_factory=list)
    purposes: list[str] = field(default_factory=list)
    requirements: list[str] = field(default_factory=list)
    content: list[_Sec] = field(default_factory=list)
    forms: list[_Sec] = field(default_factory=list)
    implementation: list[_Sec] = field(default_factory=list)
    budget: list[str] = field(default_factory=list)
    closing: str | None = None


def _part(title: str, paras: list[Para], body: _Body, where: str, r: _Reading,
          issuing: Issuing | None) -> None:  # fmt: skip
    key = name_key(title)
    if key.startswith(("mục đích", "mục tiêu")):
        purposes, requirements = _split_at(paras, ["mục đích", "yêu cầu"])
        body.purposes += [p.text for p in purposes]
        body.requirements += [p.text for p in requirements]
    elif key.startswith("nội dung") and "hình thức" in key:
        content, forms = _split_at(paras, ["nội dung", "hình thức"])
        body.content += _lettered_sections(content)
        body.forms += _lettered_sections(forms)
    elif key.startswith("nội dung"):
        body.content += _numbered_sections(paras, keep_numbers=True)
    elif key.startswith("hình thức"):
        body.forms += _numbered_sections(paras, keep_numbers=True)
    elif key.startswith("tổ chức thực hiện"):
        sections = _numbered_sections(paras, keep_numbers=False)
        heads = [p for p in paras if _NUMBERED.match(p.text) and p.bold is not False]
        for sec, p in zip([s for s in sections if s.title], heads, strict=False):
            assert sec.title is not None
            sec.assignee = resolve(re.sub(r"^\d+\.\s+", "", sec.title), issuing)
            if sec.assignee is None and not OWN_PEOPLE.match(sec.title):
                r.warn(p.where, f"Tổ chức thực hiện: unknown body {sec.title!r}, kept as text")
        body.implementation += sections
    elif key.startswith("kinh phí"):
        body.budget += [p.text for p in paras]
    else:
        r.warn(where, f"part {title!r} is not one of ND 30's; kept as a content section")
        body.content.append(_Sec(title=title, paragraphs=[p.text for p in paras]))


# --- the annex ------------------------------------------------------------------------------


def _quota(title: str, deadline: Deadline) -> Quota | None:
    """ "đảm bảo đăng tải tối thiểu 12 tin/bài trong năm" → ≥12 tin/bài a year; the period
    from the words after it, else from the deadline (monthly, quarterly, a year)."""
    m = _QUOTA.search(title)
    if m is None:
        return None
    item = {"tin, bài": "tin/bài", "tin bài": "tin/bài"}.get(m.group(2).lower(), m.group(2))
    after = title[m.end() :].lower()
    per: QuotaPeriod | None = None
    if re.search(r"\b(?:trong năm|/năm|mỗi năm|hàng năm|hằng năm|một năm)", after):
        per = QuotaPeriod.NAM
    elif re.search(r"\b(?:tháng|/tháng)", after) or re.search(r"(?:hàng|hằng) tháng", title):
        per = QuotaPeriod.THANG
    elif re.search(r"\bquý\b", after) or re.search(r"(?:hàng|hằng) quý", title):
        per = QuotaPeriod.QUY
    elif deadline.recurrence is Recurrence.HANG_THANG:
        per = QuotaPeriod.THANG
    elif deadline.recurrence is Recurrence.HANG_QUY:
        per = QuotaPeriod.QUY
    elif deadline.is_window or deadline.recurrence is Recurrence.HANG_NAM:
        per = QuotaPeriod.NAM
    if per is None:
        return None
    channel = None
    if (at := title.rfind(" trên ")) >= 0:
        rest = title[at + len(" trên ") :]
        rest = re.split(r"\s+(?:đảm bảo|bảo đảm|để|với|có)\s+|[,;(]", rest)[0].strip()
        channel = rest or None
    return Quota(count=int(m.group(1)), per=per, item=item, channel=channel)


def _deadline(text: str, term_end: int, r: _Reading, where: str) -> Deadline:
    try:
        deadline = parse_deadline(text)
    except ValueError:
        r.warn(
            where,
            f"cannot read the deadline {text!r}; kept in its words, due at the end of the "
            f"plan's term (31/12/{term_end}) until corrected",
        )
        return Deadline(due=dt.date(term_end, 12, 31), wording=text)
    bare = deadline.model_copy(update={"wording": None})
    if deadline.wording and (deadline.due or deadline.recurrence) and bare.text == deadline.wording:
        return bare  # the words are what the model prints anyway
    return deadline


def _assignees(text: str, issuing: Issuing | None, r: _Reading, where: str) -> list[Assignee]:
    """The bodies of a "phối hợp" cell: names parted by commas, where a name may hold commas
    itself ("Các phòng, ban, đơn vị")."""
    pieces = [p.strip() for p in re.split(r",|;|\n", text) if p.strip()]
    out: list[Assignee] = []
    i = 0
    while i < len(pieces):
        for j in range(len(pieces), i, -1):
            found = resolve(", ".join(pieces[i:j]), issuing, loose=j == i + 1)
            if found is not None:
                out.append(found)
                i = j
                break
        else:
            r.warn(where, f"unknown body {pieces[i]!r}, kept as its name")
            out.append(Assignee(unit=pieces[i], label=pieces[i]))
            i += 1
    return out


def _tasks(
    grids: list[Grid], issuing: Issuing | None, term_end: int, mark: SelfReferences,
    r: _Reading,
) -> list[dict[str, Any]]:  # fmt: skip
    tasks: list[dict[str, Any]] = []
    counter = seconds = 0
    numbered = ""  # the id of the last numbered row
    columns: list[str | None] = []
    for grid in grids:
        for index, row in enumerate(grid.rows):
            where = grid.row_place(index)
            if is_annex_header(row):
                columns = [annex_column(h) for h in row]
                for head, column in zip(row, columns, strict=True):
                    if column is None and head:
                        r.warn(where, f"annex column {head!r} is not one of ND 30's; not read")
                continue
            cells = {c: v for c, v in zip(columns, row, strict=False) if c is not None}
            if not any(row):
                continue
            if tasks and not any(cells.get(c) for c in ("stt", "lead", "deadline")):
                # the rest of the row above, carried over a page break
                _carry_over(tasks[-1], cells, issuing, mark, r, where)
                continue
            title, stt = cells.get("title", ""), cells.get("stt", "")
            if not title:
                r.warn(where, f"an annex row without a task, not imported: {' | '.join(row)!r}")
                continue
            if stt and not stt.isdigit():
                r.warn(where, f"TT {stt!r} is not a number; the row is imported as task {stt}")
            if stt:
                counter += 1
                task_id = re.sub(r"[^A-Za-z0-9._-]", "", stt) or str(counter)
                printed = None if stt == str(counter) else stt
                numbered, seconds = task_id, 0
            elif tasks:
                # a second line of the task above (55's task 1): its id with a letter, 1b, 1c
                seconds += 1
                task_id, printed = f"{numbered}{'bcdefghik'[(seconds - 1) % 9]}", ""
            else:
                counter += 1
                task_id, printed = str(counter), ""
                numbered, seconds = task_id, 0
            if any(t["id"] == task_id for t in tasks):
                r.warn(where, f"TT {stt!r} is printed twice; this row is task {task_id}-{index}")
                task_id = f"{task_id}-{index}"
            deadline = _deadline(cells.get("deadline", ""), term_end, r, where)
            lead_text = cells.get("lead", "")
            lead = resolve(lead_text, issuing)
            if lead is None:
                r.warn(where, f"unknown lead {lead_text!r}, kept as its name")
                lead = Assignee(unit=lead_text or "?", label=lead_text or None)
            coordinating = _assignees(cells.get("coordinating", ""), issuing, r, where)
            task: dict[str, Any] = {
                "id": task_id,
                "title": mark(title),
                "lead": lead,
                "coordinating": tuple(coordinating),
                "deadline": deadline,
                "quota": _quota(title, deadline),
                "issues_plan": bool(_ISSUES_PLAN.search(title)),
            }
            if printed is not None:
                task["stt"] = printed
            tasks.append(task)
    return tasks


def _carry_over(
    task: dict[str, Any], cells: dict[str, str], issuing: Issuing | None,
    mark: SelfReferences, r: _Reading, where: str,
) -> None:  # fmt: skip
    """A row's cells that went on to the next page, joined to the row they belong to."""
    if title := cells.get("title"):
        joined = f"{plain(task['title'])} {title}"
        task["title"] = mark(joined)
        task["quota"] = _quota(joined, task["deadline"])
        task["issues_plan"] = bool(_ISSUES_PLAN.search(joined))
    if more := cells.get("coordinating"):
        task["coordinating"] = (*task["coordinating"], *_assignees(more, issuing, r, where))


# --- the whole plan -------------------------------------------------------------------------


def _term(summary: str, year: int | None) -> tuple[int, int] | None:
    for m in _TERM.finditer(summary):
        if m.group(3):
            return int(m.group(3)), int(m.group(3))
        return int(m.group(1)), int(m.group(2))
    return (year, year) if year else None


def _header_committee(lines: list[str]) -> str | None:
    """The committee its header lines name in full ("ỦY BAN NHÂN DÂN / THÀNH PHỐ HÀ NỘI" →
    "UBND thành phố Hà Nội"), where the text calls it short ("UBND Thành phố")."""
    if not lines or lines[0] not in {"ỦY BAN NHÂN DÂN", "UỶ BAN NHÂN DÂN"}:
        return None
    committee = committee_name(f"UBND {' '.join(lines[1:]).title()}")
    if committee is None:
        return None
    word, _, name = committee.partition(" ")
    return f"UBND {word.lower()} {name}"


def _issuer_name(lines: list[str], superior: str | None, preamble: str, caption: str | None,
                 issuing: Issuing | None) -> str | None:  # fmt: skip
    """How the plan names its issuer: in the preamble ("…, UBND phường Yên Sở ban hành Kế
    hoạch"), the annex caption, or else from its header lines."""
    candidates = []
    if m := _ISSUING_VERB.search(preamble):
        candidates.append(m.group(1).strip())
    if caption and (m := _CAPTION_ISSUER.search(caption)):
        candidates.append(m.group(1).strip())
    own = " ".join(lines)
    printed = upper_vi(own).replace("ỦY BAN NHÂN DÂN", "UBND").replace("UỶ BAN NHÂN DÂN", "UBND")
    for c in candidates:  # as the header names it, or short of its name ("UBND Thành phố")
        if not lines or name_key(printed).startswith(name_key(c)):
            return c
    if superior is None and (from_header := _header_committee(lines)):
        return from_header
    if lines and issuing is not None and (dept := department_name(own, issuing)):
        return dept
    return candidates[0] if candidates else (own.title() if own else None)


def build_plan(elements: list[Element], where: str, hierarchy: Hierarchy | None) -> ImportedPlan:
    """The plan ``elements`` lay out (see the module's docstring)."""
    r = _Reading(where, hierarchy)
    elements = _joined(elements)
    paras = [e for e in elements if isinstance(e, Para)]
    type_at = next(
        (i for i, e in enumerate(elements) if isinstance(e, Para) and e.text.upper() == "KẾ HOẠCH"),
        None,
    )
    if type_at is None:
        if any(p.text.upper() == "DANH SÁCH NHIỆM VỤ" for p in paras):
            raise PlanImportError(
                "a section's task list (DANH SÁCH NHIỆM VỤ) is not a plan under ND 30: a "
                "section has no seal and issues no plan; import its committee's plan",
                where=where,
            )
        raise PlanImportError("not a plan: no 'KẾ HOẠCH' title line (ND 30 type name)", where=where)
    head = _header([e for e in elements[:type_at] if isinstance(e, Para)], r)
    rest = elements[type_at + 1 :]

    # the summary: what follows the type name up to the preamble or the first part
    summary_parts: list[str] = []
    i = 0
    while i < len(rest) and isinstance(rest[i], Para):
        p = rest[i]
        assert isinstance(p, Para)
        if _MOTTO.match(p.text):
            i += 1
            continue
        if summary_parts and (
            _PREAMBLE_START.match(p.text) or _ROMAN.match(p.text) or p.bold is False
            or len(summary_parts) >= 4
        ):  # fmt: skip
            break
        summary_parts.append(p.text)
        i += 1
    rest = rest[i:]
    summary = " ".join(summary_parts)
    if not summary:
        raise PlanImportError("no summary (trích yếu) under 'KẾ HOẠCH'", where=where)

    # the body up to the closing, then Nơi nhận and the signature, then the annex
    body_paras: list[Para] = []
    after: list[Element] = []
    closing: str | None = None
    for n, e in enumerate(rest):
        if isinstance(e, Para) and (_RECIPIENTS.match(e.text) or e.text.upper() == "PHỤ LỤC"):
            after = rest[n:]
            break
        if isinstance(e, Grid):
            after = rest[n:]
            break
        if closing is None and isinstance(e, Para) and _CLOSING.search(e.text) and not e.right:
            closing = e.text
            after = rest[n + 1 :]
            break
        body_paras.append(e)
    body = _Body()
    parts: list[tuple[str, Para, list[Para]]] = []
    for p in body_paras:
        m = _ROMAN.match(p.text)
        if m and (p.bold is True or _is_upper(m.group(2))):
            parts.append((m.group(2), p, []))
        elif parts:
            parts[-1][2].append(p)
        elif not _MOTTO.match(p.text):
            body.preamble.append(p)

    # Nơi nhận, the signer, the annex
    recipients: list[str] = []
    signer_lines: list[str] = []
    annex_title: list[str] = []
    caption: str | None = None
    grids: list[Grid] = []
    state = "signature"
    for e in after:
        if isinstance(e, Grid):
            if is_annex_header(e.rows[0]) or (grids and len(e.rows[0]) == len(grids[-1].rows[0])):
                grids.append(e)
                state = "annex"
            else:
                r.warn(e.where, "a table that is not the task annex, not imported")
            continue
        text = e.text
        if state == "signature":
            if m := _RECIPIENTS.match(text):
                text = text[m.end() :]
                if not text:
                    continue
            if text.upper() == "PHỤ LỤC":
                state = "annex-title"
            elif text.startswith(("-", "–", "+")) and not e.right:
                recipients.append(text.lstrip("-–+ ").strip())
            elif recipients and not e.right and not _is_upper(text) and text[:1].islower():
                recipients[-1] += " " + text
            elif closing is None and not signer_lines and _CLOSING.search(text):
                closing = text
            else:
                signer_lines.append(text)
        elif state == "annex-title":
            if _CAPTION.match(text) or text.startswith("(Kèm theo"):
                caption = text
                state = "caption"
            else:
                annex_title.append(text)
        elif state == "caption" and caption is not None and not caption.endswith(")"):
            caption += f" {text}"  # a caption wrapped at the blanks left for the number
        else:
            r.warn(e.where, f"after the annex table, not imported: {text!r}")

    # the issuer
    superior = head.lines[0] if len(head.lines) > 1 and head.lines[0].startswith("UBND ") else None
    own_lines = head.lines[1:] if superior else head.lines
    preamble = " ".join(p.text for p in body.preamble)
    if len(body.preamble) > 1:
        r.warn(
            body.preamble[1].where,
            f"the preamble's {len(body.preamble)} paragraphs are joined into one",
        )
    refs = references(preamble, r, body.preamble[0].where if body.preamble else "preamble")
    parent_name = next((ref.issuer for ref in refs if committee_name(ref.issuer)), None)
    guess = _issuer_name(own_lines, superior, preamble, caption, None)
    issuing, why = (
        find_issuer(guess or "", superior, parent_name, hierarchy) if guess else (None, None)
    )
    full = None if superior else _header_committee(own_lines)
    if why and full and full != guess:  # "UBND Thành phố" in the text, its full name above
        issuing, why = find_issuer(full, None, parent_name, hierarchy)
    if why:
        r.warn(
            "header", f"the issuer is not in the hierarchy ({why}); roles by the rule set's names"
        )
    name = _issuer_name(own_lines, superior, preamble, caption, issuing) or guess
    if not name:
        raise PlanImportError(
            "no issuer: neither header lines nor a preamble naming it", where=where
        )
    mark = SelfReferences(
        issuing.speaker if issuing else None, issuing.committee.level if issuing else None
    )
    if not own_lines:
        own_lines = list(issuing.unit.issuing_body.lines) if issuing else [upper_vi(name)]
        if issuing and issuing.unit.issuing_body.superior and not superior:
            superior = issuing.unit.issuing_body.superior
        r.warn("header", f"no issuing-body lines in the header; printed as {' / '.join(own_lines)}")

    for title, p, inner in parts:
        _part(title, inner, body, p.where, r, issuing)

    # dates and the term
    if head.place is None:
        r.warn("header", "no dateline (place, ngày … tháng … năm …)")
    term = _term(summary, head.year or (head.date.year if head.date else None))
    if term is None:
        r.warn("header", "no year in the summary or the dateline; the term is this year")
        term = (dt.date.today().year, dt.date.today().year)
    if _is_upper(summary):
        context = " ".join([preamble] + [p.text for p in body_paras])
        summary = _sentence_case(summary, context)
        r.warn("summary", f"the summary is printed in capitals; read as {summary!r}")

    # the signer
    authority = next((s for s in signer_lines if _AUTHORITY.match(s)), None)
    titles = [s for s in signer_lines if s != authority and _is_upper(s)]
    names = [s for s in signer_lines if s != authority and not _is_upper(s)]
    default = issuing.unit.signer if issuing else None
    if not titles:
        r.warn("signature block", "no signer's title in the signature block")
    if authority is None and default is not None and default.authority and issuing and issuing.real:
        authority = default.authority
        r.warn(
            "signature block",
            f"no 'TM./KT.' line in the signature block; {authority!r} from the hierarchy",
        )
    signer = Signer(
        authority=authority,
        title=titles[0] if titles else (default.title if default else "CHỦ TỊCH"),
        name=names[-1] if names else None,
    )
    for extra in titles[1:] + names[:-1]:
        r.warn("signature block", f"not imported: {extra!r}")

    tasks = _tasks(grids, issuing, term[1], mark, r)
    deadlines = [DeadlineOf(t["id"], t["deadline"].text, t["lead"]) for t in tasks]
    if not grids:
        r.warn("annex", "no task annex (PHỤ LỤC with a TT | Nhiệm vụ | … table)")

    data: dict[str, Any] = {
        "number": head.number if head.date else None,
        "date": head.date if head.number else None,
        "issuer": {
            "unit_id": issuing.unit.id if issuing and issuing.real else None,
            "name": name,
            "body": IssuingBody(superior=superior, lines=tuple(own_lines)),
        },
        "place": head.place or (issuing.unit.place if issuing else name),
        "summary": mark(summary),
        "term": {"start": term[0], "end": term[1]},
        "references": refs,
        "preamble": preamble or None,
        "purposes": tuple(mark(p) for p in body.purposes),
        "requirements": tuple(mark(p) for p in body.requirements),
        "content": tuple(s.model(mark) for s in body.content),
        "forms": tuple(s.model(mark) for s in body.forms),
        "implementation": tuple(_with_deadlines(s, mark, deadlines) for s in body.implementation),
        "budget": tuple(mark(p) for p in body.budget),
        "closing": mark(_closing(closing)) if closing else None,
        "tasks": tuple(tasks),
        "recipients": tuple(_recipient(t) for t in recipients),
        "signer": signer,
    }
    if head.symbol:
        data["symbol"] = head.symbol
    if (head.number is None) != (head.date is None):
        r.warn("header", "the number and the date go together; read as a draft without either")
    if annex_title:
        data["annex_title"] = " ".join(annex_title)
    try:
        plan = Plan.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        field_ = ".".join(str(x) for x in err["loc"])
        raise PlanImportError(f"{field_}: {err['msg']}", where=where) from None
    return ImportedPlan(plan=plan, warnings=tuple(r.warnings))


def _with_deadlines(s: _Sec, mark: SelfReferences, deadlines: list[DeadlineOf]) -> Section:
    """A part of Tổ chức thực hiện, its self-references and its annex deadlines marked."""
    return s.model(lambda text: mark_deadlines(mark(text), s.assignee, deadlines))


def _closing(text: str) -> str:
    """The closing as the model keeps it: the renderer adds the final "./."."""
    text = text.strip()
    if text.endswith("./."):
        return text[:-3].rstrip() + "."
    return text


def _recipient(text: str) -> dict[str, str | None]:
    """ "UBND quận Hoàng Mai: Để báo cáo;" → name and purpose (also "…/ Để thực hiện")."""
    text = text.strip().rstrip(";.").strip()
    m = re.match(r"^(.+?)\s*[:/]\s*(Để\s.+|Đề\s.+|Thực hiện|Báo cáo|Biết)$", text)
    if m:
        return {"name": m.group(1).strip(), "purpose": upper_first(m.group(2).strip())}
    return {"name": text, "purpose": None}


__all__ = ["ImportWarning", "ImportedPlan", "build_plan"]
