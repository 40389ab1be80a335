"""Who a received plan speaks of: its issuer, the bodies it addresses, and its own words.

A plan names bodies as printed ("Bộ phận Văn phòng UBND", "các bộ phận chuyên môn thuộc
phường", "UBND các phường"); the model names them by role, unit or group, so that each level
resolves them to its own departments. This module resolves a printed name at the issuer's
level: from the hierarchy when one is given (the issuer's departments, by name), else from a
two-unit hierarchy made from what the document says (its issuer and the parent it cites),
with departments from the rule set of its structure — the same names the product prints.

It also marks where the plan speaks of itself (:mod:`kehoach.plan.markers`), so that a child's
draft re-speaks it: only phrases that say the issuer's own words exactly as
:func:`kehoach.plan.voice.speaker_of` gives them, and never inside a cited document's title
(a citation "Kế hoạch số … của UBND Quận về …" up to its ";" or ".", or “quoted” words), which
a child must copy verbatim.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from hierarchy.departments import generate_departments, known_roles, load_rule_set
from hierarchy.graph import Hierarchy
from hierarchy.units import Level, Unit, UnitKind, committee_defaults, name_key
from kehoach.io.errors import KehoachError
from kehoach.plan.markers import Speaker
from kehoach.plan.model import Assignee, Group
from kehoach.plan.voice import speaker_of

#: Kind words as names start with them, longest first ("thành phố" before "phố").
_KINDS: list[tuple[str, UnitKind]] = [
    ("thành phố", UnitKind.THANH_PHO),
    ("thị trấn", UnitKind.THI_TRAN),
    ("thị xã", UnitKind.THI_XA),
    ("đặc khu", UnitKind.DAC_KHU),
    ("phường", UnitKind.PHUONG),
    ("quận", UnitKind.QUAN),
    ("huyện", UnitKind.HUYEN),
    ("tỉnh", UnitKind.TINH),
    ("xã", UnitKind.XA),
]
_COMMITTEE = re.compile(r"^(?:UBND|Ủy ban nhân dân|Uỷ ban nhân dân)\s+", re.IGNORECASE)
#: Printed names of all of a unit's departments, as plans address them together.
_ALL_DEPARTMENTS = re.compile(
    r"^các (?:bộ phận chuyên môn|phòng, ban, đơn vị|phòng, ban, ngành|phòng, ban|sở, ban, ngành"
    r"|cơ quan, đơn vị|phòng chuyên môn|ban, ngành|phòng ban)(?:\s[^,]*)?$",
    re.IGNORECASE,
)
_BELOW = re.compile(
    r"^(?:UBND|Ủy ban nhân dân) (?:các (?:xã|phường|thị trấn|quận|huyện|thị xã)|cấp dưới$)"
)
_LEVELS = {"ubnd cấp xã": Level.XA, "ubnd cấp huyện": Level.HUYEN}
#: A department's own people, as its own plan addresses them ("Lãnh đạo Phòng"): no body of
#: the hierarchy, and nothing to resolve.
OWN_PEOPLE = re.compile(
    r"^(?:Lãnh đạo|Ban Giám đốc|Công chức|Viên chức|Phụ trách|Các bộ phận, công chức"
    r"|Các phòng, đơn vị thuộc|Công chức, viên chức)\b",
    re.IGNORECASE,
)
_DEPARTMENT_WORD = re.compile(r"^(?:Bộ phận|Phòng|Sở|Văn phòng|Trung tâm|Ban)\s", re.IGNORECASE)
#: Words naming a role inside a department's name, where the name is not the rule set's.
_ROLE_WORDS: list[tuple[str, str]] = [
    ("tiếp nhận và trả kết quả", "mot-cua"),
    ("phục vụ hành chính công", "mot-cua"),
    ("một cửa", "mot-cua"),
    ("thông tin và truyền thông", "van-hoa-thong-tin"),
    ("văn hóa và thông tin", "van-hoa-thong-tin"),
    ("văn hóa, thông tin", "van-hoa-thong-tin"),
    ("văn hóa và thể thao", "van-hoa"),
    ("chuyển đổi số", "chuyen-doi-so"),
    ("tài chính", "tai-chinh"),
    ("tư pháp", "tu-phap"),
    ("nội vụ", "noi-vu"),
    ("văn phòng", "van-phong"),
]


def unit_kind(name: str) -> UnitKind | None:
    """The kind of an administrative unit from its name ("phường Yên Sở" → phường)."""
    key = name_key(_COMMITTEE.sub("", name))
    for word, kind in _KINDS:
        if key.startswith(word + " ") or key == word:
            return kind
    return None


def committee_name(name: str) -> str | None:
    """ "UBND phường Yên Sở" → "Phường Yên Sở" (the unit's name, as the hierarchy has it)."""
    rest = _COMMITTEE.sub("", name).strip()
    kind = unit_kind(rest)
    if kind is None or rest == name.strip():
        return None
    return kind.word + rest[len(kind.word) :]


@dataclass(frozen=True)
class Issuing:
    """The issuer as found: its unit, the hierarchy it was resolved in, and whether that is
    the operator's hierarchy (unit ids are real) or one made from the document."""

    unit: Unit
    h: Hierarchy
    real: bool

    @property
    def committee(self) -> Unit:
        """The administrative unit the issuer belongs to (itself, or a department's unit)."""
        if self.unit.is_department and self.unit.parent:
            return self.h.unit(self.unit.parent)
        return self.unit

    @property
    def speaker(self) -> Speaker:
        return speaker_of(self.unit, self.h)


_LEVEL_ORDER = {Level.TRUNG_UONG: 0, Level.TINH: 1, Level.HUYEN: 2, Level.XA: 3, Level.PHONG_BAN: 4}


def _made_up(name: str, kind: UnitKind, parent_name: str | None) -> Hierarchy:
    """A hierarchy of the issuer and the parent its plan cites, departments by rule."""
    units: list[Unit] = []
    parent: Unit | None = None
    parent_kind = unit_kind(parent_name) if parent_name else None
    if parent_name and parent_kind and _LEVEL_ORDER[parent_kind.level] < _LEVEL_ORDER[kind.level]:
        parent = committee_defaults("p", committee_name(parent_name) or parent_name, parent_kind)
        units.append(parent)
    unit = committee_defaults("u", name, kind, parent.id if parent else None)
    units.append(unit)
    # since July 2025 a commune is right below its province
    structure = (
        "2025" if parent and parent.level is Level.TINH and unit.level is Level.XA else "2024"
    )
    rules = load_rule_set(f"rules-{structure}")
    units += generate_departments(units, rules)
    return Hierarchy.from_units(units, source="(the imported plan)", known_roles=known_roles())


def find_issuer(
    name: str, superior: str | None, parent_name: str | None, h: Hierarchy | None
) -> tuple[Issuing | None, str | None]:
    """The issuer's unit, and why it was not found in ``h`` when it was not.

    ``name`` is the committee ("UBND phường Yên Sở") or the department ("Phòng Nội vụ") with
    ``superior`` its committee's header line ("UBND QUẬN HOÀNG MAI").
    """
    committee = committee_name(superior) if superior else committee_name(name)
    if h is not None and committee is not None:
        try:
            unit = h.find(committee)
        except KehoachError as exc:
            return _fallback(name, superior, parent_name), f"{committee}: {exc.what}"
        if superior:
            for dept in h.departments(unit.id):
                if name_key(dept.name) == name_key(name):
                    return Issuing(dept, h, real=True), None
            return _fallback(name, superior, parent_name), (
                f"{unit.name} ({unit.id}) has no department named {name!r}"
            )
        return Issuing(unit, h, real=True), None
    return _fallback(name, superior, parent_name), None


def _fallback(name: str, superior: str | None, parent_name: str | None) -> Issuing | None:
    committee = committee_name(superior) if superior else committee_name(name)
    kind = unit_kind(committee) if committee else None
    if committee is None or kind is None:
        return None
    made = _made_up(committee, kind, parent_name)
    unit = made.unit("u")
    if superior:
        for dept in made.departments("u"):
            if name_key(dept.name) == name_key(name):
                return Issuing(dept, made, real=False)
    return Issuing(unit, made, real=False)


def department_name(text: str, issuing: Issuing) -> str | None:
    """The name the rule set or the hierarchy gives a department whose header line is
    ``text`` ("PHÒNG VĂN HÓA VÀ THÔNG TIN" → "Phòng Văn hóa và Thông tin")."""
    for dept in issuing.h.departments(issuing.committee.id):
        if name_key(dept.name) == name_key(text):
            return dept.name
    return None


def resolve(text: str, issuing: Issuing | None, loose: bool = True) -> Assignee | None:
    """The body a plan names as ``text``, at the issuer's level; None if not recognised.

    All departments ("Các bộ phận chuyên môn") and the committees below ("UBND các phường")
    are groups; a department is its role (the first its unit holds), and its unit id when
    the hierarchy is the operator's. The printed name is kept as the label. ``loose`` also
    accepts a department named in other words, by the role its name says.
    """
    name = " ".join(text.split()).strip(" .;,")
    if not name:
        return None
    if _ALL_DEPARTMENTS.match(name):
        return Assignee(group=Group.CAC_PHONG_BAN, label=name)
    if _BELOW.match(name):
        if _two_levels_down(name, issuing):
            return Assignee(level=Level.XA, label=name)
        return Assignee(group=Group.UBND_CAP_DUOI, label=name)
    if (level := _LEVELS.get(name_key(name))) is not None:
        return Assignee(level=level, label=name)
    if issuing is None:
        return _by_words(name, None) if loose else None
    committee = issuing.committee
    for dept in issuing.h.departments(committee.id):
        if name_key(dept.name) == name_key(name):
            return Assignee(
                role=dept.roles[0] if dept.roles else None,
                unit=dept.id if issuing.real or not dept.roles else None,
                label=name,
            )
    return _by_words(name, issuing) if loose else None


_COMMUNE_KINDS = frozenset({"xã", "phường", "thị trấn", "đặc khu"})


def _two_levels_down(name: str, issuing: Issuing | None) -> bool:
    """Whether "UBND các xã, phường, thị trấn" in a province's plan are the communes below
    its districts (a level, which each district's draft passes to its own), not the
    committees right below it (as they are in a province without districts)."""
    if issuing is None or issuing.committee.level is not Level.TINH:
        return False
    m = _COMMITTEE_LIST.match(name)
    if m is None:
        return False
    kinds = set(re.split(r", | và |/", m.group(1)))
    below = set(_first_kinds(issuing.speaker.cap_duoi or ""))
    return kinds <= _COMMUNE_KINDS and not kinds & below


def _by_words(name: str, issuing: Issuing | None) -> Assignee | None:
    """A department named in other words than the rule set's ("Bộ phận tiếp nhận và trả kết
    quả giải quyết TTHC" is the one-stop desk), by the role its name says."""
    if not _DEPARTMENT_WORD.match(name):
        return None
    key = name_key(name)
    for words, role in _ROLE_WORDS:
        if words in key:
            if issuing is not None and issuing.real:
                for dept in issuing.h.departments(issuing.committee.id):
                    if role in dept.roles:
                        return Assignee(role=role, unit=dept.id, label=name)
            return Assignee(role=role, label=name)
    return None


# --- markers --------------------------------------------------------------------------------

#: Where a cited document's words run: "Kế hoạch số 230/KH-UBND … của UBND Quận về …" up to
#: the next ";" or sentence end, and anything in quotation marks.
_CITATION = re.compile(
    r"(?:Kế hoạch|Chương trình|Quyết định|Nghị quyết|Chỉ thị|Công văn|Thông báo|Kết luận"
    r"|Đề án|Nghị định|Thông tư|Luật|Hướng dẫn)\s+(?:số\s+)?[0-9][^;]*?(?=;|\.\s|\.$|$)"
    r"|“[^”]*”|\"[^\"]*\"",
)
_UPPER_NEXT = r"(?!\s+[A-ZĐÀ-ỸẠ-Ỹ0-9])"
_MARKER_CHARS = re.compile(r"[{}|\\]")


def _either_case(words: str) -> str:
    """A regex for ``words`` whose first letter may be either case ("Các"/"các")."""
    first, rest = words[:1], words[1:]
    return f"[{re.escape(first.lower())}{re.escape(first.upper())}]{re.escape(rest)}"


#: Committees' kind words as "UBND các …" lists them, longest first.
_KIND_WORDS = "thị trấn|thị xã|thành phố|đặc khu|phường|quận|huyện|xã"
_COMMITTEE_LIST = re.compile(
    rf"UBND các ((?:{_KIND_WORDS})(?:(?:, | và |/)(?:{_KIND_WORDS}))*)(?![\w])"
)
#: The kinds of the level right below a province (before July 2025, and still in its older
#: plans): "UBND các quận, huyện, thị xã" are a city's committees below in any hierarchy.
_DISTRICT_KINDS = frozenset({"quận", "huyện", "thị xã", "thành phố"})
#: Nouns after which "của <issuer's kind>" names what belongs to every level above the
#: reader as well, and the hand-marked plans keep as printed: the city's own channels
#: ("chuyên trang CCHC của Thành phố"), data, circumstances, indices and programme periods
#: (the same nouns :mod:`kehoach.cascade.lint.voice` reads as a higher body's).
_NOT_OWN_NOUNS = re.compile(
    r"chuyên trang|cơ sở dữ liệu|thực tiễn|papi|báo chí|hệ thống (?:các )?văn bản"
    r"|giai đoạn|yêu cầu|đặc thù|chỉ số",
    re.IGNORECASE,
)
#: A document named by its kind without a number ("Kế hoạch CCHC nhà nước năm 2024 của quận
#: Hoàng Mai"): its title, not the issuer speaking.
_DOCUMENT_TITLE = re.compile(
    r"\b(?:Kế hoạch|Chương trình|Quyết định|Nghị quyết|Chỉ thị|Đề án|Công văn)\b"
)
#: What joins a group of committees below to the bodies named before it.
_CONNECTIVE = re.compile(r"(?:, | và )$")
#: "…, Trang thông tin điện tử của UBND các phường" after a marker: the committees' own
#: thing, left out with them where a unit has none.
_THEIR_THING = re.compile(r"^(?:, | và )[^,;.(){}]*? (?:của|thuộc) $")
#: An instruction to the committees below that a clause or a lettered paragraph gives whole
#: ("; hướng dẫn UBND các phường tổ chức Cuộc thi tại địa phương", "d) Hướng dẫn UBND các
#: phường duy trì …"): a unit with none leaves it all out.
_TO_THEM = re.compile(r"; (?:hướng dẫn|chỉ đạo|đôn đốc) $")
_TO_THEM_ALL = re.compile(r"^(?:[a-zđ]\)|-|–) (?:Hướng dẫn|Chỉ đạo|Đôn đốc) $")


def _clause_before(text: str, start: int) -> str:
    """The words of ``text`` before ``start`` back to the last comma, semicolon or bracket."""
    return re.split(r"[,;:()]", text[:start])[-1]


@dataclass(frozen=True)
class _Rule:
    pattern: re.Pattern[str]
    head: str  # key or key:argument
    group: int = 0
    keep: Callable[[re.Match[str]], bool] | None = None  # None: every match


def _first_kind(m: re.Match[str]) -> str:
    return re.split(r", | và |/", m.group(1))[0]


def _rules(speaker: Speaker, level: Level | None) -> list[_Rule]:
    """The issuer's self-references, most specific first (a span goes to the first rule
    that finds it)."""
    rules: list[_Rule] = []

    def add(
        words: str | None,
        head: str,
        before: str = "",
        after: str = "",
        keep: Callable[[re.Match[str]], bool] | None = None,
    ) -> None:
        if not words:
            return
        pattern = f"{before}({_either_case(words)}){after}"
        rules.append(_Rule(re.compile(pattern), head, 1, keep))

    cap = _either_case(speaker.cap) if speaker.cap else None
    # its departments all together: the speaker's words, the group names plans print for
    # departments of its kind ("Các sở, ban, ngành"), and "các … thuộc <cap>"
    add(speaker.cac_phong_ban, "cac_phong_ban")
    word = speaker.cac_phong_ban.split()[1].strip(",") if speaker.cac_phong_ban else ""
    groups = {
        "sở": r"sở, ban, ngành|sở, ngành",
        "phòng": r"phòng, ban, đơn vị|phòng, ban, ngành|phòng, ban|phòng chuyên môn",
        "bộ phận": r"bộ phận chuyên môn",
    }.get(word if word != "bộ" else "bộ phận")
    if cap and word:
        own = re.escape(word if word != "bộ" else "bộ phận")
        rules.append(
            _Rule(
                re.compile(
                    rf"([Cc]ác {own}(?:(?!UBND các)[^;.():])*? (?:trực thuộc|thuộc) "
                    rf"(?:UBND )?{cap})(?![\w])"
                ),
                "cac_phong_ban",
                1,
            )
        )
    if cap:
        # "các cơ quan, đơn vị thuộc Thành phố" are its departments where the committees
        # below are named beside them; alone, they are everything in the city ({cap|…})
        rules.append(
            _Rule(
                re.compile(
                    rf"([Cc]ác cơ quan, đơn vị (?:trực thuộc|thuộc) (?:UBND )?{cap})"
                    rf"(?=(?:, | và )UBND các )"
                ),
                "cac_phong_ban",
                1,
            )
        )
    if groups:
        rules.append(
            _Rule(
                re.compile(
                    rf"([Cc]ác (?:{groups})(?: {cap})?)(?![\w])"
                    if cap
                    else rf"([Cc]ác (?:{groups}))(?![\w])"
                ),
                "cac_phong_ban",
                1,
            )
        )
    if speaker.cap_duoi:
        below = set(_first_kinds(speaker.cap_duoi))
        if level is Level.TINH:
            below |= _DISTRICT_KINDS
        rules.append(_Rule(_COMMITTEE_LIST, "cap_duoi", 0, lambda m: _first_kind(m) in below))
    for portal, head in (
        (speaker.cong_tt, "cong_tt"),
        (speaker.cong_tt_cap_tren, "cong_tt_cap_tren"),
    ):
        if portal:
            add(portal, head, after=r"(?!\w)")
            kind = portal.rsplit(" ", 1)[-1]
            add(portal.replace(f" {kind}", f" của {kind}"), head, after=r"(?!\w)")
            add(portal.replace(kind, kind.capitalize()), head, after=r"(?!\w)")
    if cap:
        # its portal by any of the names plans give it ("Cổng Giao tiếp điện tử Thành phố")
        rules.append(
            _Rule(
                re.compile(
                    rf"((?:Cổng|Trang) (?:thông tin|[Gg]iao tiếp) điện tử (?:của )?{cap})"
                    rf"{_UPPER_NEXT}(?![\w])"
                ),
                "cong_tt",
                1,
            )
        )
    add(
        speaker.don_vi,
        "don_vi",
        before=r"(?<!UBND )(?<![\w])",
        after=r"(?!\w)",
        keep=lambda m: not _DOCUMENT_TITLE.search(_clause_before(m.string, m.start(1))),
    )
    # "Văn phòng UBND Thành phố" is a department's name, not the committee speaking
    add(
        speaker.ubnd,
        "ubnd",
        before=r"(?<!Văn phòng )(?<!HĐND và )",
        after=_UPPER_NEXT + r"(?![\w])",
    )
    add(speaker.ubnd_cap_tren, "ubnd_cap_tren", after=_UPPER_NEXT + r"(?![\w])")
    if cap:
        rules.append(
            _Rule(
                re.compile(rf"(?:địa bàn|thuộc|cấp cho|[Mm]ột cửa) ({cap}){_UPPER_NEXT}(?![\w])"),
                "cap",
                1,
            )
        )
        rules.append(
            _Rule(
                re.compile(rf"(?:của|ngân sách) ({cap}){_UPPER_NEXT}(?![\w])(?!:)"),
                "cap",
                1,
                lambda m: not _NOT_OWN_NOUNS.search(_clause_before(m.string, m.start(1))),
            )
        )
    if speaker.cap_tren:
        # its parent's budget, and its parent as whom it proposes to (qua its department)
        up = _either_case(speaker.cap_tren)
        for pattern in (rf"ngân sách ({up}){_UPPER_NEXT}(?![\w])", rf"(?<![\w])({up})(?= \(qua )"):
            rules.append(_Rule(re.compile(pattern), "cap_tren", 1))
    for role, name in speaker.phong_cap_tren.items():
        add(name, f"phong_cap_tren:{role}", before=r"\(qua ", after=r"\)")
    for role, name in speaker.phong.items():
        add(name, f"phong:{role}", before=r"\(qua ", after=r"\)")
    # its departments anywhere else, by name ("phối hợp với {phong:noi-vu|Sở Nội vụ}"); the
    # first role a name holds is its own (Sở Thông tin và Truyền thông: van-hoa-thong-tin)
    seen: set[str] = set()
    for role, name in speaker.phong.items():
        # the one-stop desk "các cấp" is every level's, and named so
        if name in seen or name in speaker.phong_cap_tren.values() or role == "mot-cua":
            continue
        seen.add(name)
        add(name, f"phong:{role}", before=r"(?<![\w])", after=r"(?![\w])")
    return rules


def _first_kinds(cap_duoi: str) -> list[str]:
    m = _COMMITTEE_LIST.search(cap_duoi)
    return re.split(r", | và |/", m.group(1)) if m else []


def _protected(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in _CITATION.finditer(text)]


def _spans(text: str, rules: list[_Rule]) -> Iterator[tuple[int, int, str]]:
    for rule in rules:
        for m in rule.pattern.finditer(text):
            if rule.keep is None or rule.keep(m):
                yield m.start(rule.group), m.end(rule.group), rule.head


class SelfReferences:
    """Marks the issuer's self-references in its plan's texts (the patterns built once for
    an import: a plan has a few hundred texts)."""

    def __init__(self, speaker: Speaker | None, level: Level | None = None) -> None:
        """``level``: the issuer's committee's, which says which committees are below it
        where its words for them are not the hierarchy's (a city's 2021 plan read in 2025)."""
        self._rules = _rules(speaker, level) if speaker is not None else []

    def __call__(self, text: str) -> str:
        """``text`` with the issuer's self-references marked; unchanged where none is found.

        A text that already has markers (a plan written with them) or holds a marker's
        special characters is left as it is.
        """
        if not self._rules or _MARKER_CHARS.search(text):
            return text
        if self._names_a_department(text):
            return text
        protected = _protected(text)
        taken: list[tuple[int, int, str]] = []
        for start, end, head in _spans(text, self._rules):
            if any(a < end and start < b for a, b in protected):
                continue
            if any(a < end and start < b for a, b, _ in taken):
                continue
            taken.append((start, end, head))
        if not taken:
            return text
        taken = _with_connectives(text, sorted(taken))
        out, at = [], 0
        for start, end, head in sorted(taken):
            out.append(text[at:start])
            out.append(f"{{{head}|{text[start:end]}}}")
            at = end
        out.append(text[at:])
        return "".join(out)

    def _names_a_department(self, text: str) -> bool:
        """A part's title that is a department's name ("Sở Nội vụ", "Văn phòng HĐND và UBND
        quận"): the part's assignee says who it is, and the title is printed as it is."""
        text = text.strip()
        for rule in self._rules:
            m = rule.pattern.match(text) if rule.head.startswith("phong:") else None
            if m and len(text[m.end() :].split()) <= 2 and not re.search(r"[,;.]", text):
                return True
        return False


def _with_connectives(text: str, taken: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """The committees below with what joins them to the marker right before them
    ("{cac_phong_ban|…}{cap_duoi| và UBND các phường}", "{cong_tt|…}{cap_duoi|, Trang thông
    tin điện tử của UBND các phường}"), so that a unit with no committees below drops the
    words with them and prints no dangling "và"."""
    out: list[tuple[int, int, str]] = []
    for i, (start, end, head) in enumerate(taken):
        rest = taken[i + 1 :]
        if head == "cap_duoi":
            if _TO_THEM_ALL.match(text[:start]) and not out and not rest and ";" not in text:
                start, end = 0, len(text)
            elif _TO_THEM.search(text[:start]):
                stop = re.search(r"[;.]|$", text[end:])
                clause_end = end + (stop.start() if stop else 0)
                if not any(a < clause_end for a, _, _ in rest):
                    start, end = text.rindex(";", 0, start), clause_end
            elif out:
                between = text[out[-1][1] : start]
                if _CONNECTIVE.fullmatch(between) or _THEIR_THING.match(between):
                    start = out[-1][1]
        out.append((start, end, head))
    return out


# --- deadlines ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeadlineOf:
    """A task of the annex as a part's paragraph may repeat its deadline."""

    task_id: str
    words: str  # as the annex prints it: "Chậm nhất ngày 31/3/2024"
    lead: Assignee

    @property
    def dated(self) -> bool:
        """Whether the words name a day or a month ("31/3/2024", "tháng 9/2024"), which a
        paragraph does not repeat by chance."""
        return re.search(r"\d/\d{4}", self.words) is not None


def _addressed_to(part: Assignee, lead: Assignee) -> bool:
    """Whether a task led by ``lead`` is the one a part addressed to ``part`` carries out
    (the communes two levels down carry out the tasks of the committees below)."""
    if part.group is not None:
        return part.group == lead.group
    if part.role is not None:
        return part.role == lead.role
    return part.level is Level.XA and lead.group is Group.UBND_CAP_DUOI


def mark_deadlines(text: str, part: Assignee | None, tasks: list[DeadlineOf]) -> str:
    """``text`` of a part of Tổ chức thực hiện with the annex's deadlines it repeats marked
    ({han:3|chậm nhất ngày 31/3/2024}), so a child's draft says its own earlier date there
    and not its parent's beside its annex's.

    A deadline is a task's when that task is led by the part's body, or when its words name
    a date only one task has; words several tasks share ("định kỳ hàng năm") and no lead
    decides are left as printed.
    """
    if part is None or "{han:" in text:
        return text
    for words in dict.fromkeys(t.words for t in tasks):
        found = re.search(rf"(?<![\w]){_either_case(words)}(?![\w/])", text)
        if found is None or _inside_marker(text, found.start()):
            continue
        sharing = [t for t in tasks if t.words == words]
        own = [t for t in sharing if _addressed_to(part, t.lead)]
        if own:
            task = own[0]
        elif len(sharing) == 1 and sharing[0].dated:
            task = sharing[0]
        else:
            continue
        text = (
            f"{text[: found.start()]}{{han:{task.task_id}|{found.group(0)}}}{text[found.end() :]}"
        )
    return text


def _inside_marker(text: str, at: int) -> bool:
    """Whether ``at`` falls inside one of ``text``'s markers."""
    return any(
        m.start() <= at < m.end() for m in re.finditer(r"\{[a-z_]+(?::[a-z0-9-]+)?\|[^{}]*\}", text)
    )
