"""The phrases the draft checker looks for, found in a paragraph's text.

Everything here reads one paragraph and knows nothing of the unit that wrote it, so what it
finds is cached by the paragraph's text: the drafts of a cascade repeat most paragraphs
(a department's task list copies its unit's, sibling wards differ by a name), and the 3,373
drafts of Hà Nội hold far fewer distinct paragraphs. :mod:`kehoach.cascade.lint.voice`
and the other checks judge what is found against the unit.

* citations: "<kind> số <number> [ngày <date>] [của <issuer>] về <title>", the title up to
  where the cited words end (";", the end of the sentence, ", UBND phường … ban hành");
* unnumbered citations: "Kế hoạch của UBND quận Hoàng Mai về …" (no "số");
* mentions of an administrative unit by its kind word ("của quận", "trên địa bàn phường",
  "UBND Thành phố yêu cầu", "Cổng thông tin điện tử quận", "UBND các phường", …);
* clauses (split at ";") with the dates they set, outside citations.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from hierarchy.units import nfc

# Kind words of administrative units as written in running text, longest first. "xã hội"
# (society) is not a commune; "Quận ủy", "Huyện ủy" are the party committees, not the district.
_KIND = r"(?:thành phố|thị xã|thị trấn|đặc khu|tỉnh|quận|huyện|phường|xã)(?!\s+(?:hội|ủy|uỷ)\b)"
_DOC_KINDS = (
    r"Kế hoạch|Chương trình|Nghị quyết|Nghị định|Chỉ thị|Quyết định|Thông tư|Công văn|"
    r"Kết luận|Đề án|Thông báo|Hướng dẫn|Luật|Báo cáo"
)
_DATE_TEXT = r"\d{1,2}/\d{1,2}/\d{4}|[./ ]*\d{4}|(?:\d{1,2} )?tháng (?:\d{1,2} )?năm \d{4}"
_CITATION = re.compile(
    rf"\b(?P<kind>{_DOC_KINDS}) số ?(?P<number>[^\s,;:()]*)"
    rf"(?: ngày (?P<date>{_DATE_TEXT}))?"
    r"(?: của (?P<issuer>[^;:“”]{1,80}?))? về (?P<title>)"
)
_BODY = r"(?:UBND|Ủy ban nhân dân|Sở|Phòng|Bộ phận|Văn phòng|Thành ủy|Quận ủy|Huyện ủy|Chính phủ)"
_UNNUMBERED = re.compile(rf"\b(?P<kind>{_DOC_KINDS}) của (?P<issuer>{_BODY}[^;:“”]{{0,60}}?) về ")
# A task list's caption cites the plan with no title: "(Thực hiện Kế hoạch của UBND phường …)".
_UNNUMBERED_CAPTION = re.compile(
    rf"^\(Thực hiện (?P<kind>{_DOC_KINDS}) của (?P<issuer>{_BODY}[^()]{{0,60}})\)$"
)
# Where a cited title may end: ";", the end of a sentence, the next citation, "như sau", or a
# comma before a name (the citing body: "…, UBND phường Yên Sở ban hành", "…, Trung tâm …
# xây dựng"); quotes “…” are skipped over.
_TITLE_STOP = re.compile(
    rf"[;“”]|\.(?= |$)|(?:,| và)\s+(?=(?:{_DOC_KINDS}) số )|\s+như sau\b|,\s+(?=\w)"
)
_DATE = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b")
_MONTH = re.compile(r"\b[Tt]háng (\d{1,2})/(\d{4})\b")
_WORD = re.compile(r"[\w/.-]+")
_DASH_SPACES = re.compile(r"\s*([-–—])\s*")


@dataclass(frozen=True)
class Citation:
    """A document cited in a paragraph.

    ``number`` is the number and symbol ("67/KH-UBND"), or only the symbol ("/KH-UBND") when
    the number is left blank for the clerk ("số      /KH-UBND"); ``words`` is the whole
    citation from its kind word to the end of its title, as printed.
    """

    kind: str
    number: str
    date: str
    issuer: str
    title: str
    words: str
    start: int
    end: int

    @property
    def blank(self) -> bool:
        """The number is left for the clerk to fill ("số      /KH-UBND")."""
        return not self.number[:1].isdigit()


def _title_end(text: str, start: int) -> int:
    """Where a cited title starting at ``start`` ends."""
    quoted = False
    for m in _TITLE_STOP.finditer(text, start):
        stop = m.group(0)
        if stop in "“”":
            quoted = stop == "“"
        elif quoted:
            continue
        elif stop.startswith(",") and stop.strip() == "," and not text[m.end()].isupper():
            continue  # "thông tin, tuyên truyền": a comma inside the title
        else:
            return m.start()
    return len(text)


# The phrase readers below are pure and called for every paragraph of every draft checked, so
# their results are kept; the most recent few thousand only (as markers.plain's): what repeats
# does so between siblings, checked one after another, while a unit's own paragraphs (its
# name in them) never come back. At 65,536 entries a national drafting worker's caches grew
# by ~10 MB with each task it ran, to 280 MB, where the same drafts need 170.
@lru_cache(maxsize=1 << 12)
def citations(text: str) -> tuple[Citation, ...]:
    """The citations in ``text``, in order."""
    found: list[Citation] = []
    pos = 0
    while (m := _CITATION.search(text, pos)) is not None:
        title_start = m.start("title")
        end = _title_end(text, title_start)
        found.append(
            Citation(
                kind=m["kind"],
                number=m["number"],
                date=(m["date"] or "").strip(),
                issuer=(m["issuer"] or "").strip(),
                title=text[title_start:end].strip(),
                words=text[m.start() : end].strip(),
                start=m.start(),
                end=end,
            )
        )
        pos = max(end, m.end())
    return tuple(found)


@dataclass(frozen=True)
class Unnumbered:
    """A plan cited without a number or blanks: "Kế hoạch của UBND quận Hoàng Mai về …"."""

    kind: str
    issuer: str
    words: str


@lru_cache(maxsize=1 << 12)
def unnumbered(text: str) -> tuple[Unnumbered, ...]:
    if (c := _UNNUMBERED_CAPTION.match(text)) is not None:
        return (Unnumbered(c["kind"], c["issuer"].strip(), text.strip("()")),)
    return tuple(
        Unnumbered(m["kind"], m["issuer"].strip(), text[m.start() : end].strip())
        for m in _UNNUMBERED.finditer(text)
        for end in [_title_end(text, m.end())]
    )


@lru_cache(maxsize=1 << 12)
def masked(text: str) -> str:
    """``text`` with its citations (numbered or not) blanked out, same length: the cited
    titles are other documents' words, not the draft's voice."""
    spans = sorted([(c.start, c.end) for c in citations(text)] + _unnumbered_spans(text))
    if not spans:
        return text
    out = []
    pos = 0
    for start, end in spans:
        if start < pos:
            continue
        out.append(text[pos:start])
        out.append(" " * (end - start))
        pos = end
    out.append(text[pos:])
    return "".join(out)


def _unnumbered_spans(text: str) -> list[tuple[int, int]]:
    return [(m.start(), _title_end(text, m.end())) for m in _UNNUMBERED.finditer(text)]


@lru_cache(maxsize=1 << 12)
def same_words(text: str) -> str:
    """A citation as compared: NFC, the tone mark of "oa/oe/uy" where the data puts it ("khoá"
    is "khóa"), spaces around dashes and runs of spaces ignored; case and wording are kept."""
    folded = unicodedata.normalize("NFD", " ".join(text.split()))
    folded = _OLD_TONE.sub(r"\1\3\2", folded)
    return _DASH_SPACES.sub(r"\1", nfc(folded)).rstrip(" .")


_OLD_TONE = re.compile(
    r"(?<![qQ])([oO](?=[aAeE])|[uU](?=[yY]))([aAeEyY])([\u0300\u0301\u0303\u0309\u0323])(?!\w)"
)


# -- mentions of a unit by its kind word ------------------------------------------------


@dataclass(frozen=True)
class Mention:
    """A phrase naming an administrative unit by kind: which rule found it, the kind word
    (lower case), the name after it if any ("Hoàng Mai", as far as capitals go: a name may
    go on in lower case, "Xã Đại áng"), the text after the kind word, and where it is."""

    rule: str
    kind: str
    name: str
    after: str
    phrase: str
    start: int
    end: int
    extra: str = (
        ""  # the verb of "UBND … yêu cầu", the body of "(qua …)", the kinds of "UBND các …"
    )


_MENTIONS = (
    (
        "dia-ban",
        re.compile(rf"\btrên địa bàn (?P<kind>{_KIND})(?=(?P<rest>(?:\s+\S+){{0,4}}))", re.I),
    ),
    (
        "thuoc",
        re.compile(
            rf"\b(?:trực )?thuộc (?:UBND )?(?P<kind>{_KIND})(?=(?P<rest>(?:\s+\S+){{0,4}}))", re.I
        ),
    ),
    ("cua", re.compile(rf"\bcủa (?P<kind>{_KIND})(?=(?P<rest>(?:\s+\S+){{0,4}}))", re.I)),
    (
        "cong",
        re.compile(
            rf"\b(?:Cổng|Trang|Cổng/Trang) (?:thông tin|Giao tiếp) điện tử (?:của )?(?:UBND )?"
            rf"(?P<kind>{_KIND})(?=(?P<rest>(?:\s+\S+){{0,4}}))",
            re.I,
        ),
    ),
    (
        "ubnd",
        re.compile(
            rf"\bUBND (?P<kind>{_KIND})(?=(?P<rest>(?:\s+\S+){{0,6}}))",
            re.I,
        ),
    ),
    (
        "cac",
        re.compile(rf"\bUBND các (?P<kind>{_KIND}(?:(?:,| và) {_KIND})*)", re.I),
    ),
    (
        "nhom",
        re.compile(
            r"\b[Cc]ác (?P<group>sở, ban, ngành|phòng, ban(?:, (?:đơn vị|ngành))?|phòng chuyên"
            rf" môn|bộ phận chuyên môn)(?: thuộc (?:UBND )?(?:các )?| )?(?P<kind>(?:{_KIND})?)"
            r"(?=(?P<rest>(?:\s+\S+){0,4}))"
        ),
    ),
)
# What only the issuer says of itself: the closing's "UBND phường yêu cầu các bộ phận …" and
# the preamble's "UBND phường ban hành Kế hoạch … như sau" ("các văn bản UBND quận ban hành",
# "theo nội dung UBND quận yêu cầu" name the district's acts, and stay allowed).
_ISSUER_SAYS = re.compile(
    r"\s*(yêu cầu)\s+các\b|\s*(ban hành|xây dựng) [Kk]ế hoạch\b[^;]*\bnhư sau"
)
_QUA = re.compile(r"^\s*\(qua ([^)]{1,60})\)")
_NOT_NAMES = {"UBND", "CCHC", "TTHC", "HĐND", "Kế", "Chương", "Cổng", "Trang"}


def _name(rest: str) -> tuple[str, str]:
    """The unit's name at the start of ``rest`` ("Hoàng Mai" in " Hoàng Mai năm 2024") and
    the text after it."""
    words = []
    tail = rest
    for word in rest.split():
        clean = word.rstrip(',.;:)”"')
        if not clean or not (clean[0].isupper() or clean[0].isdigit()) or clean in _NOT_NAMES:
            break
        words.append(clean)
        tail = tail[tail.index(word) + len(word) :]
        if clean != word:
            break
    return " ".join(words), tail


@lru_cache(maxsize=1 << 12)
def mentions(text: str) -> tuple[Mention, ...]:
    """Every phrase of ``text`` (citations blanked) that names a unit by its kind word."""
    body = masked(text)
    found: list[Mention] = []
    for rule, pattern in _MENTIONS:
        for m in pattern.finditer(body):
            kind = " ".join(m["kind"].lower().split())
            rest = m.groupdict().get("rest") or ""
            name, tail = _name(rest)
            extra = ""
            if rule == "ubnd":
                qua = _QUA.match(tail)
                says = _ISSUER_SAYS.match(body, m.end() + len(rest) - len(tail))
                verb = (says.group(1) or says.group(2)) if says else ""
                if not (qua or verb):
                    continue
                extra = f"qua:{qua.group(1).strip()}" if qua else verb
            elif rule == "nhom":
                extra = m["group"]
            end = m.end() + len(rest) - len(tail)
            found.append(
                Mention(
                    rule,
                    kind,
                    name,
                    body[m.end() : m.end() + 80],
                    body[m.start() : end].strip(),
                    m.start(),
                    end,
                    extra,
                )
            )
    return tuple(found)


def short(text: str, length: int = 60) -> str:
    """``text`` cut at a word to about ``length`` characters, "…" where it was cut."""
    if len(text) <= length:
        return text
    return text[:length].rsplit(" ", 1)[0].rstrip(",;:") + "…"


# -- clauses and their dates ------------------------------------------------------------


@dataclass(frozen=True)
class Dated:
    """A clause (a paragraph split at ";") and the dates it sets, outside citations, as
    (year, month, day) with day 0 for a month ("tháng 9/2024")."""

    clause: str
    dates: tuple[tuple[int, int, int], ...]
    shown: tuple[str, ...]  # the dates as printed


@lru_cache(maxsize=1 << 12)
def dates_in(text: str) -> tuple[tuple[tuple[int, int, int], ...], tuple[str, ...]]:
    """The dates of ``text``: dd/mm/yyyy, and "tháng m/yyyy" as a month."""
    found: list[tuple[int, tuple[int, int, int], str]] = []
    for m in _DATE.finditer(text):
        found.append((m.start(), (int(m[3]), int(m[2]), int(m[1])), m[0]))
    for m in _MONTH.finditer(text):
        found.append((m.start(), (int(m[2]), int(m[1]), 0), m[0]))
    found.sort()
    return tuple(d for _, d, _ in found), tuple(s for _, _, s in found)


@lru_cache(maxsize=1 << 12)
def dated_clauses(text: str) -> tuple[Dated, ...]:
    """The clauses of ``text`` that set a date (citations' dates are not deadlines)."""
    body = masked(text)
    out = []
    pos = 0
    for part in body.split(";"):
        clause = text[pos : pos + len(part)]
        pos += len(part) + 1
        dates, shown = dates_in(part)
        if dates:
            out.append(Dated(clause.strip(), dates, shown))
    return tuple(out)


def same_day(a: tuple[int, int, int], b: tuple[int, int, int]) -> bool:
    """Two dates agree: the same day, or a day within a month given as a month."""
    if a[:2] != b[:2]:
        return False
    return a[2] == b[2] or a[2] == 0 or b[2] == 0


_STOP = frozenset(
    [
        "của",
        "và",
        "các",
        "cho",
        "với",
        "trên",
        "trong",
        "tại",
        "về",
        "theo",
        "để",
        "được",
        "có",
        "là",
        "thực",
        "hiện",
        "tổ",
        "chức",
        "đảm",
        "bảo",
        "ít",
        "nhất",
        "năm",
        "tháng",
        "quý",
        "hàng",
        "định",
        "kỳ",
        "thể",
        "lồng",
        "ghép",
    ]
)


@lru_cache(maxsize=1 << 12)
def key_words(text: str) -> frozenset[str]:
    """The words of ``text`` that say what a task is (lower case, without the commonest)."""
    return frozenset(w for w in _WORD.findall(text.lower()) if w not in _STOP)
