"""The child's "Tổ chức thực hiện": one part per body it directs, built from the parent's parts.

The parent's section III tells each body it directs what to do: its departments by role
("Phòng Nội vụ"), all its departments ("Các phòng, ban, đơn vị thuộc quận"), its committees
one level down ("UBND các phường") and, in a plan over several levels, the committees of a
level further down ("UBND các xã, phường, thị trấn"). A child can direct only its own
bodies, so its section III is rebuilt, never copied:

1. one part for all its departments, carrying what the parent asked of all departments and
   of committees of the child's own kind (the child passes its own duties to them), less
   the duty to issue the child's plan, which this very plan fulfils;
2. one part for each of its departments that holds a role the parent addressed, carrying
   what the parent asked of the department with that role (two roles held by one department
   make one part, where the first of them stood);
3. one part for its committees one level down, only if it has any, carrying what the parent
   said for the levels below the child — or, if it said nothing, that they issue and carry
   out their own plans.

What the parent asked of the child's committees as a whole goes to all the child's
departments, except a duty one of them is already given by name, which a clerk would not
write twice (seed 55 gives its Cuộc thi to Bộ phận Văn hóa and its Đối thoại to Văn phòng and
Một cửa only): a duty whose task the child's annex gives a department to lead, a duty
another part already states word for word, and the report to the parent where a department
already makes it. The child's own report to its parent, if no department makes it, is given to
the department that prepares the committee's reports (the one with the home-affairs role, else
the office) as advice to the committee: "Tham mưu UBND quận … báo cáo … gửi UBND Thành phố".
The departments report to the child; only the child reports up.

Nothing is addressed to the child's parent, the parent's departments or its peers. The
paragraphs keep their markers (:mod:`kehoach.plan.markers`), re-spoken later for the child.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from hierarchy.graph import Hierarchy
from hierarchy.units import Level, Unit
from kehoach.plan.markers import (
    OPENING,
    OWN_LEVEL,
    Speaker,
    markers,
    plain,
    revoice,
    said_of_parent,
)
from kehoach.plan.model import Assignee, Group, Plan, Section, Task
from kehoach.plan.voice import all_departments
from kehoach.plan.wording import subordinates_phrase, upper_first

_ORDER = {Level.TRUNG_UONG: 0, Level.TINH: 1, Level.HUYEN: 2, Level.XA: 3, Level.PHONG_BAN: 4}
#: An item's mark ("a) ", "- "), also inside the marker a paragraph may start with
#: ("{cap_duoi|d) Hướng dẫn …}": the item exists only where there are committees below).
_ITEM = re.compile(rf"^\s*({OPENING})?(?:[a-zđ]\)|-|–|\+)\s+")
_LETTERS = "abcdđeghiklmnopqrstuvxy"
_LETTERED = re.compile(rf"^\s*(?:{OPENING})?[a-zđ]\)")
#: Words a duty has at least before another part saying them counts as saying it too.
_DUTY_WORDS = 6


@dataclass
class _Part:
    assignee: Assignee
    title: str
    paragraphs: list[str] = field(default_factory=list)
    lettered: bool = False
    #: the paragraphs the parent addressed to committees of the child's kind (see the module)
    committee_duties: set[int] = field(default_factory=set)


def _items(section: Section) -> list[str]:
    """A part's paragraphs, its sub-parts' flattened in (a part is addressed as a whole)."""
    out = list(section.paragraphs)
    for sub in section.sections:
        out += [sub.title, *_items(sub)] if sub.title else _items(sub)
    return out


def _own_plan_tasks(tasks: tuple[Task, ...], unit: Unit) -> set[str]:
    """Ids of the tasks by which ``unit`` issues its own plan (this plan fulfils them)."""
    return {t.id for t in tasks if t.issues_plan and (t.levels is None or unit.level in t.levels)}


def _own_level(paragraph: str) -> bool:
    return any(key == "rieng" for key, _, _ in markers(paragraph))


def _is_own_plan(paragraph: str, own: set[str]) -> bool:
    return any(key == "han" and argument in own for key, argument, _ in markers(paragraph))


def implementation_for(
    parent_plan: Plan,
    unit: Unit,
    h: Hierarchy,
    speaker: Speaker,
    tasks: tuple[Task, ...] = (),
) -> tuple[Section, ...]:
    """Section III of ``unit``'s draft from ``parent_plan``'s, spoken by ``speaker``;
    ``tasks`` are the draft's own annex rows (who leads each task here).

    A paragraph that says nothing for this unit (all of it about committees it has none of)
    is left out, and the rest numbered afresh.
    """
    departments = h.departments(unit.id)
    children = h.admin_children(unit.id)
    everyone = _Part(
        Assignee(group=Group.CAC_PHONG_BAN, label=upper_first(all_departments(unit, h))),
        upper_first(all_departments(unit, h)),
    )
    below = _Part(
        Assignee(group=Group.UBND_CAP_DUOI, label=subordinates_phrase(children)),
        subordinates_phrase(children),
    )
    by_department: dict[str, _Part] = {}
    own = _own_plan_tasks(parent_plan.tasks, unit)

    def add(part: _Part, section: Section, down: bool = False) -> None:
        """``down``: the parent addressed committees below it, so it spoke of itself as their
        superior; the child repeats that of its parent, and drops its own plan's issuing.
        What the child's departments get from there is the child's own duty as a committee,
        tagged so that the child's children do not get it again as their departments'."""
        items = _items(section)
        part.lettered |= any(_LETTERED.match(p) for p in items)
        for paragraph in items:
            if down and part is everyone and _is_own_plan(paragraph, own):
                continue
            if not down and _own_level(paragraph):
                continue  # the parent's own duty as a committee, not its departments'
            if down:
                paragraph = said_of_parent(paragraph)
                if part is everyone:
                    paragraph += OWN_LEVEL
                    part.committee_duties.add(len(part.paragraphs))
            part.paragraphs.append(paragraph)

    # A part addressed to the child's very level says more than one to "the committees below"
    # (a city's plan read in another structure: districts then, communes now): it wins.
    exact = any(s.assignee and s.assignee.level is unit.level for s in parent_plan.implementation)
    for section in parent_plan.implementation:
        a = section.assignee
        if a is None or a.group is Group.CAC_PHONG_BAN or a.unit == unit.id:
            add(everyone, section)
        elif a.group is Group.UBND_CAP_DUOI:
            if not exact:
                add(everyone, section, down=True)  # the child is one of these committees
        elif a.level is not None:
            if a.level is unit.level:
                add(everyone, section, down=True)
            elif children and _ORDER[a.level] > _ORDER[unit.level]:
                add(below, section, down=True)
        elif a.role is not None or a.unit is not None:
            # The parent's department (its own unit id) stands for its role at every level.
            dept = next((d for d in departments if d.id == a.unit), None) or next(
                (d for d in departments if a.role is not None and a.role in d.roles), None
            )
            if dept is None:
                continue  # a body the child has none of: its task rows say who does it
            part = by_department.get(dept.id)
            if part is None:
                role = a.role if a.role in dept.roles else (dept.roles[0] if dept.roles else None)
                part = by_department[dept.id] = _Part(
                    Assignee(role=role, unit=dept.id, label=dept.name), dept.name
                )
            add(part, section)
    named = [p for part in by_department.values() for p in part.paragraphs]
    named_words = [_bare(p) for p in named]
    a_department_reports = any(_reports_up(p) for p in named)
    led = {t.id for t in tasks if t.lead.unit in by_department}
    office = _office(departments)
    kept, reports = [], []
    for i, p in enumerate(everyone.paragraphs):
        duty = i in everyone.committee_duties
        if duty and _given_by_name(p, named_words, led, a_department_reports):
            continue
        if duty and office is not None and _reports_up(p) and _advised(p) is not None:
            reports.append(p)
        else:
            kept.append(p)
    everyone.paragraphs = kept
    reports_up = (
        a_department_reports or bool(reports) or any(_reports_up(p) for p in everyone.paragraphs)
    )
    if h.parent(unit.id) is not None and not reports_up:
        # What the unit owes whoever directs it, whatever the parent's text forgot to say.
        report = (
            "Định kỳ quý 1, 6 tháng, 9 tháng, năm báo cáo kết quả thực hiện (lồng ghép trong báo "
            "cáo CCHC định kỳ) gửi {ubnd_cap_tren|UBND cấp trên} (qua {phong_cap_tren:noi-vu|cơ "
            "quan Nội vụ})." + OWN_LEVEL
        )
        (reports if office is not None else everyone.paragraphs).append(report)
    if office is not None and reports:
        # The committee reports to its parent; its departments report to it. The report up
        # is the office's to prepare (seed 55: "báo cáo UBND quận (qua Phòng Nội vụ)" is what
        # the ward sends, through its Văn phòng), so it is not every department's duty.
        part = by_department.get(office.id)
        if part is None:
            role = next(r for r in _OFFICE_ROLES if r in office.roles)
            part = by_department[office.id] = _Part(
                Assignee(role=role, unit=office.id, label=office.name), office.name
            )
        part.paragraphs += [advice for p in reports if (advice := _advised(p)) is not None]
    if children:
        # What every committee below owes whoever directs it, said by the unit itself.
        if not below.paragraphs:
            below.paragraphs.append(
                "Căn cứ Kế hoạch này, xây dựng, ban hành và tổ chức thực hiện Kế hoạch của đơn "
                "vị; thực hiện các nhiệm vụ được giao tại Phụ lục kèm theo Kế hoạch này."
            )
        below.paragraphs.append(
            "Định kỳ quý 1, 6 tháng, 9 tháng, năm báo cáo kết quả thực hiện (lồng ghép trong "
            "báo cáo CCHC định kỳ) gửi {ubnd|UBND} (qua {phong:noi-vu|bộ phận Nội vụ})."
        )
    parts = [everyone, *by_department.values()] + ([below] if children else [])
    for part in parts:
        spoken = (_not_with_itself(revoice(p, speaker), part.title) for p in part.paragraphs)
        part.paragraphs = [p for p in spoken if plain(p).strip(" .;,")]
    return tuple(_section(p) for p in parts if p.paragraphs)


#: The roles of the department that prepares the committee's reports, in order of preference.
_OFFICE_ROLES = ("noi-vu", "van-phong")


def _office(departments: list[Unit]) -> Unit | None:
    """The department that prepares what the committee reports to its parent: the one with
    the home-affairs role (Phòng Nội vụ; a ward's Văn phòng holds it), else the office."""
    for role in _OFFICE_ROLES:
        for dept in departments:
            if role in dept.roles:
                return dept
    return None


def _advised(paragraph: str) -> str | None:
    """A committee's duty as its office's: "Định kỳ … báo cáo … gửi UBND Thành phố" becomes
    "Tham mưu UBND quận định kỳ … báo cáo …" (the office advises, the committee reports).
    None where the duty cannot be so turned: it starts with a marker (a name, a condition)
    or holds more than one duty, whose others are every department's."""
    match = _ITEM.match(paragraph)
    if match is not None and match.group(1):
        return None
    rest = paragraph[match.end() :] if match is not None else paragraph
    if not rest or rest.startswith("{") or ";" in plain(rest):
        return None
    if rest.lower().startswith("tham mưu"):
        return rest
    first = rest.split(" ", 1)[0]
    if first[1:2].isupper():  # an abbreviation ("UBND …"): its case stays
        return None
    return "Tham mưu {ubnd|UBND} " + rest[:1].lower() + rest[1:]


def _reports_up(paragraph: str) -> bool:
    return any(key == "ubnd_cap_tren" for key, _, _ in markers(paragraph))


def _given_by_name(
    duty: str, named_words: list[str], led: set[str], a_department_reports: bool
) -> bool:
    """Whether a duty of the child's committees is already a department's (``named_words``:
    the paragraphs of the parts addressed to departments, :func:`_bare`; ``led``: the tasks
    a department with a part leads here): its task is one of those, or a part says it word
    for word, or it is the report to the parent and a part makes that report. The first and
    the last only for a paragraph of one duty (no ";"), so that nothing else it asks is lost
    with it; the words only when there are enough of them to be a duty, not a phrase any
    part contains."""
    words = _bare(duty)
    if ";" not in words:
        if any(key == "han" and argument in led for key, argument, _ in markers(duty)):
            return True
        if a_department_reports and _reports_up(duty):
            return True
    return len(words.split()) >= _DUTY_WORDS and any(words in w for w in named_words)


def _bare(paragraph: str) -> str:
    """A paragraph's words for comparing duties: printed, without its item mark, its case
    or the stop at its end (each of which its part's numbering and sentence may change)."""
    return _ITEM.sub("", plain(paragraph), count=1).strip(" .;").lower()


def _not_with_itself(paragraph: str, department: str) -> str:
    """A department never coordinates with, or sends to, itself: where two roles the parent
    gave two departments are one department here, "phối hợp với <itself>" is dropped."""
    if f"|{department}}}" not in paragraph:  # most paragraphs never name it
        return paragraph
    coordinates, sends = _itself(department)
    return sends.sub(", tổng hợp", coordinates.sub("", paragraph))


@lru_cache(maxsize=1 << 10)
def _itself(department: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """The patterns of ``department`` named as its own coordinator or recipient, compiled
    once per name (the same names recur in every unit of a level)."""
    own = rf"\{{phong:[a-z0-9-]+\|{re.escape(department)}\}}"
    return re.compile(rf",? phối hợp với {own}(?= )"), re.compile(rf", gửi {own} tổng hợp")


def _section(part: _Part) -> Section:
    """A part with its items numbered afresh (a), b) …, or "-" as the parent wrote them)."""
    bare = [_ITEM.sub(r"\1", p, count=1) for p in _unique(part.paragraphs)]
    if len(bare) == 1:
        paragraphs = tuple(bare)
    elif part.lettered:
        paragraphs = tuple(f"{_LETTERS[i % len(_LETTERS)]}) {p}" for i, p in enumerate(bare))
    else:
        paragraphs = tuple(f"- {p}" for p in bare)
    return Section(title=part.title, paragraphs=paragraphs, assignee=part.assignee)


def _unique(paragraphs: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for p in paragraphs:
        key = _ITEM.sub(r"\1", p, count=1)
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out
