"""Markers where a plan's issuer names itself, so each child's draft re-speaks them.

A plan's text speaks of its issuer ("trên địa bàn quận", "Cổng thông tin điện tử quận",
"các phòng, ban, đơn vị thuộc quận"), of its issuer's parent ("báo cáo UBND Thành phố (qua Sở
Nội vụ)") and of its own tasks' deadlines. Guessing those phrases by string replacement
changed what other documents say ("Chương trình số 03-CTr/QU … quận Hoàng Mai" became "…
phường Yên Sở") and missed real self-references. So a plan marks them, and everything else
— above all the titles of cited documents — is copied verbatim.

A marker is ``{key|words}`` or ``{key:argument|words}``: ``words`` is the text as this plan
prints it, so a plan reads as issued without any hierarchy; a child's draft keeps the marker
with the child's own words in it, so its children re-speak it in turn::

    Tuyên truyền trên {cong_tt|Cổng thông tin điện tử quận} …
    báo cáo {ubnd_cap_tren|UBND Thành phố} (qua {phong_cap_tren:noi-vu|Sở Nội vụ}) …
    Thời gian hoàn thành: {han:3|chậm nhất ngày 15/3/2024}.

A common noun is capitalised where a sentence starts and otherwise written as the speaker
writes it ("quận", "phường"; "Thành phố" for a province); names print as they are.
``cap_duoi`` may carry its connective (``{cap_duoi| và UBND các phường}``), which goes with
it where a unit has no committees below.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from kehoach.plan.wording import upper_first

MARKER = re.compile(r"\{([a-z_]+)(?::([a-z0-9][a-z0-9-]*))?\|((?:[^{}|\\]|\\.)*)\}")
#: A marker's opening, "{key|" or "{key:argument|", as a pattern to build others with (an
#: item's letter a plan writes inside a marker, "{cap_duoi|d) …}", follows one).
OPENING = r"\{[a-z_]+(?::[a-z0-9][a-z0-9-]*)?\|"
_ESCAPED = re.compile(r"\\(.)")
#: Each marker, what it stands for (README "The plan" lists them for plan authors).
KEYS: dict[str, str] = {
    "don_vi": "the issuer in a sentence: quận Hoàng Mai, phường Yên Sở",
    "cap": "the issuer's kind: quận, phường, Thành phố",
    "ubnd": "the issuer as a body: UBND quận, UBND phường",
    "cac_phong_ban": "all its departments: các phòng, ban, đơn vị thuộc quận",
    "cap_duoi": "its committees one level down: UBND các phường (none: left out)",
    "cong_tt": "its web portal: Cổng thông tin điện tử quận, Trang thông tin điện tử phường",
    "phong": "its department holding a role: {phong:noi-vu|Phòng Nội vụ}",
    "don_vi_cap_tren": "its parent in a sentence: thành phố Hà Nội, quận Hoàng Mai",
    "cap_tren": "its parent's kind: Thành phố, Quận",
    "ubnd_cap_tren": "its parent as a body: UBND Thành phố, UBND quận",
    "phong_cap_tren": "its parent's department holding a role: {phong_cap_tren:noi-vu|Sở Nội vụ}",
    "cong_tt_cap_tren": "its parent's web portal: Cổng thông tin điện tử quận",
    "han": "a task's deadline as this plan sets it: {han:3|chậm nhất ngày 15/3/2024}",
    "rieng": "(no words) a duty of this unit's own level, not passed to the level below",
}
_WITH_ARGUMENT = {"phong", "phong_cap_tren", "han"}
#: Tags a paragraph as a duty of the unit's own level (``{rieng|}``, printed as nothing).
OWN_LEVEL = "{rieng|}"
_FOLLOWS_CASE = {"don_vi", "cap", "cac_phong_ban", "cap_tren", "don_vi_cap_tren", "han"}
#: A kind of committee in the plural, as "UBND các …" names them.
_COMMITTEES = re.compile(
    r"UBND các (?:(?:xã|phường|thị trấn|đặc khu|quận|huyện|thị xã|thành phố|tỉnh)(?:, | và |/)?)+"
)
#: What the issuer calls itself becomes, one level down, what the child calls its parent.
_UP = {
    "don_vi": "don_vi_cap_tren",
    "cap": "cap_tren",
    "ubnd": "ubnd_cap_tren",
    "phong": "phong_cap_tren",
    "cong_tt": "cong_tt_cap_tren",
}


@dataclass(frozen=True)
class Speaker:
    """The words a unit uses for itself, its parent and its tasks' deadlines."""

    don_vi: str
    cap: str
    ubnd: str
    cac_phong_ban: str
    cap_duoi: str | None  # None: no committees below
    cong_tt: str
    phong: Mapping[str, str] = field(default_factory=dict)  # role → department name
    don_vi_cap_tren: str | None = None
    cap_tren: str | None = None
    ubnd_cap_tren: str | None = None
    phong_cap_tren: Mapping[str, str] = field(default_factory=dict)
    cong_tt_cap_tren: str | None = None
    han: Mapping[str, str] = field(default_factory=dict)  # task id → deadline words


def _words(escaped: str) -> str:
    return _ESCAPED.sub(r"\1", escaped)


_SPECIAL = re.compile(r"([{}|\\])")


def _escape(words: str) -> str:
    """Words safe inside a marker: a unit named "… {{ x }}" cannot break the marker."""
    return _SPECIAL.sub(r"\\\1", words) if _SPECIAL.search(words) else words


# plain() and problem() are pure and called for every text of every plan a cascade derives
# (each Plan checks its markers when built); most texts repeat from unit to unit ("Bộ phận
# Văn hóa …", the task titles), so their results are kept. The most recent few thousand only:
# what repeats does so between siblings, drafted one after another, while each unit's own
# revoiced paragraphs never come back (at 65,536 entries a worker's caches grew with every
# unit it drafted: +28 MB over 13,483 units, for 5 % more hits).
@lru_cache(maxsize=1 << 12)
def plain(text: str) -> str:
    """The text as printed: every marker replaced by its words."""
    return MARKER.sub(lambda m: _words(m.group(3)), text)


def markers(text: str) -> Iterator[tuple[str, str | None, str]]:
    """Each marker of ``text`` as (key, argument, words)."""
    for m in MARKER.finditer(text):
        yield m.group(1), m.group(2), _words(m.group(3))


@lru_cache(maxsize=1 << 12)
def problem(text: str) -> str | None:
    """Why a text's markers are wrong, if they are: an unknown key, a missing argument, or a
    brace that opens a marker and never closes it."""
    for key, argument, _ in markers(text):
        if key not in KEYS:
            return f"unknown marker {{{key}|…}}; known: {', '.join(KEYS)}"
        if (argument is None) == (key in _WITH_ARGUMENT):
            form = f"{{{key}:…|…}}" if key in _WITH_ARGUMENT else f"{{{key}|…}}"
            return f"marker {key} is written {form}"
    rest = MARKER.sub("", text)
    if re.search(r"\{[a-z_]+[:|]", rest):
        return "a marker is not closed: write {key|words}"
    return None


_SENTENCE_START = re.compile(r"(?:^|[.!?]\s+|^\s*(?:[a-zđ]\)|-|–)\s+)$")


@dataclass(frozen=True, slots=True)
class _Slot:
    """One marker of a text as :func:`_parsed` found it: its key, argument and words, the
    marker as written, and whether a sentence starts at it (judged on the text before it as
    printed, so the same for whatever words a speaker puts in)."""

    key: str
    argument: str | None
    words: str
    written: str
    starts_sentence: bool

    def cased(self, value: str) -> str:
        """``value`` here: capitalised where a sentence starts; elsewhere as the speaker
        writes it ("quận", "phường", but "Thành phố" for a province, as its own plans do)."""
        return upper_first(value) if self.starts_sentence else value


# A parent's texts are re-spoken for each of its children, one after another (the communes
# of a district, the departments of a commune): each is taken apart once, and each child only
# fills in its words. Taking a text apart judged, marker by marker, the printed text before
# it, which was most of re-speaking it. The most recent texts only, as plain() keeps them.
@lru_cache(maxsize=1 << 10)
def _parsed(text: str) -> tuple[tuple[str, ...], tuple[_Slot, ...]]:
    """``text`` as the words between its markers (one more than the markers) and its
    markers."""
    between, slots, at = [], [], 0
    for m in MARKER.finditer(text):
        between.append(text[at : m.start()])
        before = plain(text[: m.start()])
        slots.append(
            _Slot(
                m.group(1),
                m.group(2),
                _words(m.group(3)),
                m.group(0),
                _SENTENCE_START.search(before) is not None,
            )
        )
        at = m.end()
    between.append(text[at:])
    return tuple(between), tuple(slots)


def _respoken(text: str, spoken: Callable[[_Slot], str]) -> str:
    """``text`` with each marker replaced by ``spoken(marker)``."""
    between, slots = _parsed(text)
    if not slots:
        return text
    out = [between[0]]
    for slot, after in zip(slots, between[1:], strict=True):
        out.append(spoken(slot))
        out.append(after)
    return "".join(out)


def _value(speaker: Speaker, key: str, argument: str | None, words: str) -> str | None:
    if key == "phong":
        return speaker.phong.get(argument or "")
    if key == "phong_cap_tren":
        return speaker.phong_cap_tren.get(argument or "")
    if key == "han":
        return speaker.han.get(argument or "")
    if key == "rieng":
        return ""
    if key == "cap_duoi":
        if speaker.cap_duoi is None:
            return ""
        if _COMMITTEES.search(words):
            return _COMMITTEES.sub(speaker.cap_duoi, words, count=1)
        return speaker.cap_duoi
    value: str | None = getattr(speaker, key)
    return value


def revoice(text: str, speaker: Speaker, only: frozenset[str] | None = None) -> str:
    """``text`` spoken by ``speaker``: each marker keeps its key, with the speaker's words.

    A marker the speaker has no words for (a role it has no department for, a task it does
    not carry) keeps the words it had, and so does one whose key is not in ``only`` (an issued
    plan keeps its own words, but its committees below are those of the hierarchy it is read
    in).
    """

    def spoken(slot: _Slot) -> str:
        key, argument = slot.key, slot.argument
        if only is not None and key not in only:
            return slot.written
        value = _value(speaker, key, argument, slot.words)
        if value is None:
            return slot.written
        if key in _FOLLOWS_CASE:
            value = slot.cased(value)
        head = f"{key}:{argument}" if argument else key
        return f"{{{head}|{_escape(value)}}}"

    return _respoken(text, spoken)


def said_of_parent(text: str) -> str:
    """``text`` of a part the parent addressed to committees of the child's kind, as the child
    repeats it: where the parent spoke of itself, the child speaks of its parent ("gửi {ubnd|
    UBND quận}" becomes "gửi {ubnd_cap_tren|UBND quận}"); what the parent said of its own
    parent or of the child's peers is printed as the parent wrote it."""

    def up(m: re.Match[str]) -> str:
        key, argument, words = m.group(1), m.group(2), m.group(3)
        if key == "han":
            return m.group(0)
        if key not in _UP:
            return _words(words)
        head = f"{_UP[key]}:{argument}" if argument else _UP[key]
        return f"{{{head}|{words}}}"

    return MARKER.sub(up, text)


def with_deadlines(text: str, han: Mapping[str, str]) -> str:
    """``text`` with its task deadlines (``{han:…}``) re-spoken, nothing else: a department
    repeats its committee's words, but with its own, earlier dates."""

    def spoken(slot: _Slot) -> str:
        if slot.key != "han" or slot.argument not in han:
            return slot.written
        value = slot.cased(han[slot.argument or ""])
        return f"{{han:{slot.argument}|{_escape(value)}}}"

    return _respoken(text, spoken)
