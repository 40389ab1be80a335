"""Who speaks in a draft, and kinds 1 and 2: bodies it addresses, and how it names itself.

A draft is signable when it reads as its own unit's plan: written for the unit, in its voice,
addressed only to bodies it directs. :class:`Voice` is what the hierarchy says about who is
speaking (its kind, name, departments, the units above and below it); the checks read a
draft's text as a clerk would and judge it against it. The rules were drawn from the real
ward plan 55/KH-UBND of Phường Yên Sở (seed 001), what a legitimate child plan says: it
mentions its district and city as higher bodies ("báo cáo UBND quận (qua Phòng Nội vụ)",
"ngân sách Quận cấp cho phường", "theo Kế hoạch của quận", "gửi đăng trên Cổng thông tin điện
tử Quận", "Kế hoạch CCHC nhà nước năm 2024 của quận Hoàng Mai") and speaks of itself only as
the phường.
"""

from __future__ import annotations

import copy
import re
from functools import lru_cache

from hierarchy.graph import Hierarchy
from hierarchy.units import Unit, name_key
from kehoach.cascade.lint.findings import Finding, FindingKind
from kehoach.cascade.lint.phrases import Mention, mentions
from kehoach.documents.plan_text import PlanText

# Other names of a department with a role (55/KH-UBND heads the one-stop desk "Bộ phận tiếp
# nhận và trả kết quả giải quyết TTHC").
_ALIASES = {"mot-cua": ("bộ phận tiếp nhận và trả kết quả", "bộ phận một cửa")}
# A group of departments as plans head it, by the kind word of the departments it groups.
_GROUPS = {
    "bộ phận chuyên môn": "bộ phận",
    "bộ phận": "bộ phận",
    "phòng, ban, đơn vị": "phòng",
    "phòng, ban, ngành": "phòng",
    "phòng, ban": "phòng",
    "phòng chuyên môn": "phòng",
    "sở, ban, ngành": "sở",
    "sở, ngành": "sở",
}
_GROUP = re.compile(
    r"^các (" + "|".join(sorted(map(re.escape, _GROUPS), key=len, reverse=True)) + r")\b(.*)$"
)
_SUBORDINATES = re.compile(r"^ubnd các ((?:[^,]+)(?:(?:,| và) [^,]+)*?)(?: trên địa bàn .*)?$")
# Nouns after which "của <higher unit>" names what is that unit's, not the issuer's: its
# documents and directions ("Kế hoạch CCHC của Quận", "theo yêu cầu của Thành phố",
# "giai đoạn 2021 – 2025 của Thành phố": its programme), its channels ("chuyên trang CCHC
# của Thành phố"), its budget, its data and systems ("Cơ sở dữ liệu của Thành phố"), the
# indices measured for it ("PAPI của Thành phố"), its circumstances ("thực tiễn của Thành
# phố", of the capital).
_DOCUMENT_NOUNS = (
    "kế hoạch", "chương trình", "văn bản", "chỉ đạo", "yêu cầu", "hướng dẫn", "quyết định",
    "chỉ thị", "nghị quyết", "đề án", "chuyên trang", "báo chí", "giai đoạn", "ngân sách",
    "cơ sở dữ liệu", "hệ thống", "chỉ số", "papi", "thực tiễn", "đặc thù",
)  # fmt: skip
_NUMBERED = re.compile(r"^(\d+)\.\s+(.*)$")
_ROMAN = re.compile(r"^([IVX]+)\.\s+(.*)$")


@lru_cache(maxsize=1 << 12)
def name_form(text: str) -> str:
    """A name as compared: NFC, casefolded, spaces and end punctuation ignored."""
    return name_key(text).strip(" .:;")


def _starts_with(text: str, name: str) -> bool:
    t, n = name_form(text), name_form(name)
    return t.startswith(n) and (len(t) == len(n) or not t[len(n)].isalnum())


class Voice:
    """Who speaks in a draft: the unit, the administrative unit it speaks for (a department
    speaks within its committee's plan), and what the hierarchy says around them.

    Built once per administrative unit (:meth:`of`), and shared by its departments' drafts
    (:meth:`speaking_as`). It keeps what it read from the hierarchy, not the hierarchy: a
    batch's worker gets the voice of its roots' parent, which its slice of the hierarchy
    cannot build (:class:`kehoach.cascade.lint.folder.DraftChecker`).
    """

    def __init__(self, h: Hierarchy, admin: Unit) -> None:
        self.unit = self.admin = admin
        self.departments = h.departments(admin.id)
        self.kind = admin.kind.word.lower()  # "phường", as the unit calls itself
        self.name = admin.short_name
        children = h.admin_children(admin.id)
        self.child_kinds = frozenset(c.kind.word.lower() for c in children)
        #: the kinds of every committee below, however deep (a city addresses its wards too)
        self.below_kinds = frozenset(
            u.kind.word.lower()
            for level in h.levels(admin.id)[1:]
            for u in level
            if not u.is_department
        )
        #: kind word → names of the units above it (the district, the city)
        self.ancestors: dict[str, set[str]] = {}
        for u in h.path(admin.id)[:-1]:
            if u.kind.word:
                self.ancestors.setdefault(u.kind.word.lower(), set()).add(name_form(u.short_name))
        #: "bộ phận", "phòng", "văn phòng", "sở", "trung tâm": the kinds of its departments
        self.department_words = frozenset(d.kind.word.lower() for d in self.departments)
        self.child_department_words = frozenset(
            d.kind.word.lower() for c in children[:1] for d in h.departments(c.id)
        )
        self.parent = h.parent(admin.id)
        self.parent_departments = h.departments(self.parent.id) if self.parent else []

    @classmethod
    def of(cls, h: Hierarchy, unit: Unit) -> Voice:
        """The voice of ``unit``'s draft (a department: within its committee's plan)."""
        if unit.is_department and unit.parent is not None:
            return cls(h, h.unit(unit.parent)).speaking_as(unit)
        return cls(h, unit)

    def speaking_as(self, unit: Unit) -> Voice:
        """The same committee's voice in the draft of ``unit``, one of its departments."""
        voice = copy.copy(self)
        voice.unit = unit
        return voice

    def where_is(self, kind: str, name: str, after: str) -> str:
        """What "<kind> <after>" names from here: "own", "child", "ancestor" or "other".

        ``name`` is the name read after the kind word ("" when none follows): the unit is
        the one whose name ``after`` starts with, whole words.
        """
        if kind == self.kind:
            return "own" if not name or _starts_with(after, self.name) else "other"
        if kind in self.child_kinds:
            return "child"
        names = self.ancestors.get(kind)
        if names is not None and (not name or any(_starts_with(after, n) for n in names)):
            return "ancestor"
        return "other"

    def is_own_department(self, text: str, only: Unit | None = None) -> bool:
        """Whether ``text`` names one of its departments (``only``: that one), as the plan may
        print it: the name, the name and the unit ("Văn phòng HĐND và UBND quận"), a shorter
        form ("Bộ phận Văn phòng"), or a role's other name (Bộ phận tiếp nhận và trả kết quả)."""
        t = name_form(re.sub(r"\([^)]*\)", " ", text))
        for d in [only] if only is not None else self.departments:
            names = [name_form(d.name)] + [a for r in d.roles for a in _ALIASES.get(r, ())]
            for n in names:
                if t == n or (len(t.split()) >= 2 and n.startswith(t + " ")):
                    return True
                if t.startswith(n + " ") and self.own_qualifier(t[len(n) + 1 :]):
                    return True
        return False

    def names_own_kind(self, text: str) -> bool:
        """Whether ``text`` starts with a kind word of its departments and names no other
        unit ("Phòng Kinh tế" at a district: an office the generated hierarchy omits)."""
        t = name_form(text)
        if not any(t.startswith(w + " ") for w in self.department_words):
            return False
        return all(k == self.kind for k in _kinds_in(t))

    def own_qualifier(self, rest: str) -> bool:
        """Whether what follows a department's name or a group's still names this unit:
        "", "quận", "quận hoàng mai", "ubnd phường", "thuộc phường", "giải quyết tthc"."""
        rest = rest.removeprefix("giải quyết tthc").strip()
        rest = rest.removeprefix("thuộc ").removeprefix("ubnd ").strip()
        return rest in ("", self.kind, name_form(f"{self.kind} {self.name}"))


# -- 1. parts addressed to bodies the unit cannot direct --------------------------------


def heading_problem(title: str, voice: Voice) -> str | None:
    """Why a part of Tổ chức thực hiện headed ``title`` is not the unit's to give, or None."""
    t = name_form(title)
    if t.startswith("đề nghị"):
        return None  # a request to a body outside its direction (Mặt trận, đoàn thể)
    only = voice.unit if voice.unit.is_department else None
    if voice.is_own_department(title, only):
        return None
    if (m := _GROUP.match(t)) is not None:
        word, rest = _GROUPS[m.group(1)], m.group(2).strip()
        if word in voice.department_words and voice.own_qualifier(rest):
            return None
    if only is None and (m := _SUBORDINATES.match(t)) is not None and voice.below_kinds:
        kinds = {k.strip() for k in re.split(r",| và ", m.group(1))}
        if kinds <= voice.below_kinds:
            return None
    if only is None and voice.names_own_kind(title):
        return None  # one of its offices the generated hierarchy does not list
    if only is not None and _names_its_own_part(t, only):
        return None  # "Lãnh đạo Phòng", "Ban Giám đốc Sở": a department's own plan
    return _whose(t, voice)


def _names_its_own_part(t: str, department: Unit) -> bool:
    """Whether a heading in a department's own plan names a part of that department: it
    ends with the department's kind word or name ("Lãnh đạo Phòng", "Công chức Phòng",
    "Ban Giám đốc Sở", "Các phòng, đơn vị thuộc Sở", "Các bộ phận, công chức Văn phòng")
    and names no administrative unit."""
    ends = (name_form(department.kind.word), name_form(department.name))
    return any(t.endswith(" " + e) for e in ends) and not _kinds_in(t)


def _kinds_in(text: str) -> list[str]:
    return re.findall(r"\b(thành phố|thị xã|thị trấn|tỉnh|quận|huyện|phường|xã)(?!\s+hội)\b", text)


def _whose(t: str, voice: Voice) -> str:
    """Who a heading the unit cannot address names, for the finding's text."""
    admin, parent = voice.admin, voice.parent
    if parent is not None:
        if t.startswith("ubnd " + parent.kind.word.lower()) and not t.startswith("ubnd các"):
            return f"its parent, {parent.name}"
        for d in voice.parent_departments:
            if t == name_form(d.name) or t == name_form(f"{d.name} {parent.kind.word}"):
                return f"a department of {parent.name}, not of {admin.name}"
            if t.startswith(name_form(d.name) + " "):
                return f"named as {parent.name}'s {d.name}; {admin.name} has no such department"
    if t.startswith("ubnd các"):
        if not voice.below_kinds:
            return f"committees below it, and {admin.name} has none"
        below = ", ".join(sorted(voice.below_kinds))
        return f"committees {admin.name} does not have (below it: {below})"
    others = [k for k in _kinds_in(t) if k != voice.kind]
    if others:
        above = "above it" if others[0] in voice.ancestors else "of another unit"
        return f"a body of the {others[0]} {above}, not of {admin.name}"
    if voice.unit.is_department:
        return f"neither {voice.unit.name} itself nor all departments of {admin.name}"
    words = " or ".join(sorted(voice.department_words))
    return f"not a body of {admin.name} (its departments are each a {words})"


def check_headings(text: PlanText, voice: Voice, path: str) -> dict[int, Finding]:
    """Kind 1: each "N. …" part of TỔ CHỨC THỰC HIỆN names a body the unit directs. The
    findings by the index of their heading in ``text.body``."""
    found: dict[int, Finding] = {}
    roman = ""
    for i, block in enumerate(text.body):
        if block.kind == "heading" and (m := _ROMAN.match(block.text)):
            roman = m.group(1) if "TỔ CHỨC THỰC HIỆN" in m.group(2).upper() else ""
        elif roman and block.kind == "subheading" and (m := _NUMBERED.match(block.text)):
            problem = heading_problem(m.group(2), voice)
            if problem is not None:
                found[i] = Finding(
                    kind=FindingKind.FOREIGN_ASSIGNEE,
                    path=path,
                    where=f"{roman}.{m.group(1)}",
                    text=f"“{m.group(2)}”: {problem}",
                )
    return found


# -- 2. the unit speaking of itself in another unit's words -----------------------------


def mention_problem(m: Mention, clause: str, voice: Voice) -> str | None:
    """Why a mention of a unit by kind is not the issuer speaking of itself right, or None."""
    if m.rule == "cac":
        kinds = {" ".join(k.split()) for k in re.split(r",| và ", m.kind)}
        if kinds <= voice.below_kinds:
            return None
        return f"addresses {m.phrase}, which are not below {voice.admin.name}"
    if m.rule == "nhom":
        word = _GROUPS.get(m.extra, "")
        place = voice.where_is(m.kind, m.name, m.after) if m.kind else ""
        if place in ("", "own") and word in voice.department_words:
            return None
        if place in ("", "child") and word in voice.child_department_words:
            return None
        return f"the departments of another unit, in {voice.admin.name}'s own plan"
    place = voice.where_is(m.kind, m.name, m.after)
    who = f"{m.kind} {m.name}".strip()
    if m.rule == "ubnd" and m.extra.startswith("qua:"):
        body = m.extra.removeprefix("qua:")
        if place != "own" or voice.is_own_department(body) or voice.names_own_kind(body):
            return None  # a higher committee through its office is how a child reports
        return (
            f"its own committee reached through {body}, which is not a department of "
            f"{voice.admin.name}"
        )
    if place == "own" or (place == "child" and m.rule != "ubnd"):
        return None
    if m.rule == "ubnd":
        return f"“{m.phrase} {m.extra}” in the voice of {voice.admin.name}"
    if place == "ancestor":
        if m.rule == "cua" and _after_document_noun(clause, m):
            return None
        if m.rule == "cong" and "gửi" in _clause_before(clause, m):
            return None  # sending news to the district's portal
    return f"speaks of itself as the {who}, not the {voice.kind} {voice.name}"


def _clause_before(text: str, m: Mention) -> str:
    """The clause of ``text`` before mention ``m`` (since the last ";", ":" or sentence end),
    lower case."""
    return re.split(r"[;:]|\.\s", text[: m.start])[-1].lower()


def _after_document_noun(text: str, m: Mention) -> bool:
    window = " ".join(_clause_before(text, m).split()[-12:])
    return any(noun in window for noun in _DOCUMENT_NOUNS)


def voice_problems(text: str, voice: Voice) -> list[str]:
    """Kind 2 in one paragraph (or annex title): each unit it names by kind is the issuer
    itself, a body below it, or a higher body in a role a child plan gives it. One line per
    phrase; a phrase inside one already reported is not reported again."""
    problems = []
    taken: list[tuple[int, int]] = []
    for m in sorted(mentions(text), key=lambda m: (m.start, m.start - m.end)):
        if any(m.start < e and s < m.end for s, e in taken):
            continue
        problem = mention_problem(m, text, voice)
        if problem is not None:
            taken.append((m.start, m.end))
            problems.append(f"“{m.phrase}”: {problem}")
    return problems
