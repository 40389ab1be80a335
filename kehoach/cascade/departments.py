"""What a department writes for the work its unit's plan gives it.

Under ND 30/2020 only a body with a seal issues numbered documents (:attr:`UnitKind.has_seal`):

- A **sở**, a **phòng**, the committee's **văn phòng** or a **trung tâm** issues its own
  KẾ HOẠCH: header "UBND QUẬN HOÀNG MAI / PHÒNG VĂN HÓA VÀ THÔNG TIN", "Số:      /KH-PVHTT",
  signed by its head ("TRƯỞNG PHÒNG", no "TM."). It says only what is its own: purposes
  written for its tasks (never the unit's purposes copied), the annex rows it leads or
  coordinates with their deadlines, and the parts of the unit's plan addressed to its role or
  to all departments, printed under its own headings.
- A **bộ phận** (a ward's section: no seal) writes an internal task list, DANH SÁCH NHIỆM VỤ
  (:mod:`kehoach.documents.task_list`): the same tasks in a table with its role, deadline,
  quota and whom it reports to, and lines for the preparer's and its head's names.

Both keep the department's :class:`Plan` with the tasks it leads or coordinates, which the
roll-up and the intake sheets read. Pure functions: no files.
"""

from __future__ import annotations

import re
from enum import StrEnum
from functools import lru_cache
from typing import NamedTuple

from hierarchy.graph import Hierarchy
from hierarchy.units import Unit, UnitKind
from kehoach.cascade.memo import by_identity
from kehoach.documents.plan_document import assignee_text
from kehoach.documents.task_list import TaskListContext, TaskRow
from kehoach.plan.markers import OPENING, plain, with_deadlines
from kehoach.plan.model import (
    Assignee,
    DocumentRef,
    Group,
    Issuer,
    Plan,
    Recipient,
    Section,
    Task,
)
from kehoach.plan.wording import cited_name, lower_first, upper_first

#: Letters of a list in Vietnamese documents: a) b) c) d) đ) e) g) … (no f, j, w, z).
_LETTERS = "abcdđeghiklmnopqrstuvxy"
#: An item's mark ("a) ", "1. "), also inside the marker a paragraph may start with
#: ("{cap_duoi|d) Hướng dẫn …}": the item exists only where there are committees below).
_MARKER = re.compile(rf"^({OPENING})?(?:[a-zđ]|\d+)[.)]\s+")


class DocumentKind(StrEnum):
    """Which document a draft is."""

    KE_HOACH = "ke-hoach"  # a plan under ND 30 (a committee, or a department with a seal)
    DANH_SACH = "danh-sach-nhiem-vu"  # a section's internal task list (no seal)


class DepartmentDocument(NamedTuple):
    """A department's plan (its tasks, for reporting) and, for a section, its task list."""

    plan: Plan
    task_list: TaskListContext | None


#: Who leads the department and who carries its work out, as its recipients name them.
_PEOPLE = {
    UnitKind.SO: ("Ban Giám đốc Sở", "Các phòng, đơn vị thuộc Sở"),
    UnitKind.PHONG: ("Lãnh đạo Phòng", "Công chức Phòng"),
    UnitKind.VAN_PHONG: ("Lãnh đạo Văn phòng", "Các bộ phận, công chức Văn phòng"),
    UnitKind.TRUNG_TAM: ("Ban Giám đốc Trung tâm", "Công chức, viên chức Trung tâm"),
    UnitKind.BO_PHAN: ("Phụ trách bộ phận", "Công chức bộ phận"),
}


def leads(task: Task, dept: Unit) -> bool:
    """Whether ``dept`` leads ``task``: named as its lead, or one of all the departments the
    plan gives it to (each does its own part)."""
    return task.lead.unit == dept.id or task.lead.group is Group.CAC_PHONG_BAN


def _in_sentence(a: Assignee) -> str:
    """An assignee inside a sentence: a group in lower case ("các bộ phận chuyên môn"), a
    department by its name ("Bộ phận Một cửa")."""
    text = assignee_text(a)
    # "Các bộ phận chuyên môn" → "các bộ phận chuyên môn"; "UBND các phường" stays.
    return lower_first(text) if a.group is not None and text[1:2].islower() else text


def role_text(task: Task, dept: Unit) -> str:
    """ "Chủ trì", "Chủ trì, phối hợp với Bộ phận Một cửa", "Phối hợp với Bộ phận Văn hóa và
    Thông tin"."""
    if leads(task, dept):
        others = [_in_sentence(c) for c in task.coordinating if c.unit != dept.id]
        return "Chủ trì, phối hợp với " + ", ".join(others) if others else "Chủ trì"
    return f"Phối hợp với {_in_sentence(task.lead)}"


def reports_to(task: Task, dept: Unit, committee: Unit) -> str:
    """Whom ``dept`` reports a task's result to: its committee for a task it leads; the lead,
    who compiles the task's report, for one it supports."""
    if leads(task, dept):
        return cited_name(committee)
    return upper_first(assignee_text(task.lead))


# -- what the unit's plan asks of the department in its text ------------------------------


def _resolves_to(a: Assignee, dept: Unit, committee: Unit, h: Hierarchy) -> bool:
    """Whether ``a``, in ``committee``'s plan, is ``dept``: its unit, or the first of the
    committee's departments with the role (as the annex's roles are resolved)."""
    if a.unit is not None:
        return a.unit == dept.id
    if a.role is None:
        return False
    holder = next((d for d in h.departments(committee.id) if a.role in d.roles), None)
    return holder is not None and holder.id == dept.id


class _Above(NamedTuple):
    """What names a body above a committee: the kind words of the levels above it ("thành
    phố", for a district), and the kinds of their departments ("Sở", "Phòng")."""

    levels: frozenset[str]
    department_kinds: frozenset[str]

    @staticmethod
    @by_identity
    def of(committee: Unit, h: Hierarchy) -> _Above:
        """The bodies above ``committee`` (once for all its departments)."""
        chain = []  # the units above the committee that the hierarchy holds (a slice may not)
        unit = committee
        while unit.parent is not None and unit.parent in h:
            unit = h.unit(unit.parent)
            chain.append(unit)
        own = committee.kind.word.casefold()
        words = {u.kind.word.casefold() for u in chain if u.kind.word} - {own}
        kinds = {d.kind.word for u in chain for d in h.departments(u.id)}
        return _Above(frozenset(words), frozenset(kinds))


@lru_cache(maxsize=1 << 12)  # the same titles, for every department of every unit
def _names_another_body(title: str, kind: str, above: _Above) -> bool:
    """Whether a part's title names a body other than a department of ``kind`` ("Phòng",
    "Bộ phận"), at a level above its own.

    A child's plan copies its parent's text, and with it parts the parent addressed to its
    own departments ("Sở Thông tin và Truyền thông" in a district's plan, "Phòng Nội vụ" or
    "Văn phòng HĐND và UBND quận" in a ward's). Such a part is not what the unit asks of its
    department: its title starts with a kind of body of a level above ("Sở" for a phòng)
    or names such a level ("… Thành phố" in a district's plan). A title of the department's
    own kind ("Bộ phận tiếp nhận và trả kết quả" for the Bộ phận Một cửa) is its own.
    """
    text = _MARKER.sub("", plain(title).strip(), count=1)
    kinds = [k for k in above.department_kinds if text.startswith(k + " ")]
    if kinds and max(kinds, key=len) != kind:
        return True
    low = text.casefold()
    return any(re.search(rf"(?<!\w){re.escape(w)}(?!\w)", low) for w in above.levels)


def _paragraphs(section: Section) -> list[str]:
    out = list(section.paragraphs)
    for sub in section.sections:
        out += ([sub.title] if sub.title else []) + _paragraphs(sub)
    return out


def addressed(parent_plan: Plan, committee: Unit, dept: Unit, h: Hierarchy) -> list[str]:
    """The paragraphs of the unit's implementation part addressed to ``dept`` (by its role
    or id), then those addressed to all its departments, lettered a), b), … anew.

    Parts addressed to another body, or copied from a level above, are left out (see
    :func:`_names_another_body`); the part's own title is never printed.
    """
    own: list[str] = []
    shared: list[str] = []
    above = _Above.of(committee, h)
    for s in parent_plan.implementation:
        a = s.assignee
        if a is None or (s.title and _names_another_body(s.title, dept.kind.word, above)):
            continue
        if a.group is Group.CAC_PHONG_BAN:
            shared += [_not_through_itself(p, dept.name) for p in _paragraphs(s)]
        elif a.group is None and _resolves_to(a, dept, committee, h):
            own += _paragraphs(s)
    return _lettered(own + shared)


def _not_through_itself(paragraph: str, department: str) -> str:
    """A duty of all departments as the one it goes through reads it: "báo cáo … gửi UBND
    phường (qua Bộ phận Văn phòng UBND)" is, for that Bộ phận, "báo cáo … gửi UBND phường"."""
    if f"|{department}}})" not in paragraph:  # most paragraphs never name it
        return paragraph
    return _through(department).sub("", paragraph)


@lru_cache(maxsize=1 << 10)
def _through(department: str) -> re.Pattern[str]:
    """``department`` as the one a report goes through, compiled once per name."""
    return re.compile(rf" \(qua \{{phong:[a-z0-9-]+\|{re.escape(department)}\}}\)")


def _lettered(paragraphs: list[str]) -> list[str]:
    """ "a) …", "b) …" in order; a bullet ("- …") stays a bullet of the item above it."""
    out, n = [], 0
    for text in paragraphs:
        text = text.strip()
        if text.startswith(("-", "+", "–")):
            out.append(text)
            continue
        unmarked = _MARKER.sub(r"\1", text, count=1)  # a marker it starts with stays
        out.append(f"{_LETTERS[n % len(_LETTERS)]}) {unmarked}")
        n += 1
    return out


# -- the documents ------------------------------------------------------------------------


def _citation(ref: DocumentRef) -> str:
    """ "Kế hoạch số 55/KH-UBND ngày 20/02/2024 của UBND phường Yên Sở" (without "về …")."""
    return ref.citation.removesuffix(f" về {ref.summary}")


def _task_item(task: Task, dept: Unit, n: int) -> str:
    """ "a) <task>; phối hợp với …. Thời hạn: …." (or "; đơn vị chủ trì: …" for a task it
    supports)."""
    if leads(task, dept):
        role = role_text(task, dept)
        extra = "; " + role.removeprefix("Chủ trì, ") if role != "Chủ trì" else ""
    else:
        extra = f"; đơn vị chủ trì: {_in_sentence(task.lead)}"
    due = lower_first(task.deadline.text)
    return f"{_LETTERS[n % len(_LETTERS)]}) {task.title.rstrip('.')}{extra}. Thời hạn: {due}."


def _content(
    tasks: tuple[Task, ...], duties: list[str], dept: Unit, committee: Unit
) -> tuple[Section, ...]:
    """II. NỘI DUNG: the tasks it leads, those it supports, then the other duties."""
    led = [t for t in tasks if leads(t, dept)]
    supported = [t for t in tasks if not leads(t, dept)]
    parts = [
        ("Các nhiệm vụ chủ trì thực hiện", [_task_item(t, dept, i) for i, t in enumerate(led)]),
        (
            "Các nhiệm vụ phối hợp thực hiện",
            [_task_item(t, dept, i) for i, t in enumerate(supported)],
        ),
        (f"Các nhiệm vụ khác theo Kế hoạch của {cited_name(committee)}", duties),
    ]
    present = [(title, paragraphs) for title, paragraphs in parts if paragraphs]
    if not present:
        present = [
            (
                "Nhiệm vụ",
                [
                    f"Kế hoạch của {cited_name(committee)} không giao {dept.name} nhiệm vụ "
                    "riêng; phối hợp thực hiện khi được yêu cầu."
                ],
            )
        ]
    return tuple(
        Section(title=f"{i}. {title}", paragraphs=tuple(paragraphs))
        for i, (title, paragraphs) in enumerate(present, start=1)
    )


def work_plan(
    parent_plan: Plan, committee: Unit, dept: Unit, tasks: tuple[Task, ...], duties: list[str]
) -> Plan:
    """The department's own KẾ HOẠCH (ND 30): issued by it under its committee, signed by its
    head, about its own tasks only."""
    ref = parent_plan.as_reference()
    given = f"các nhiệm vụ được giao tại {_citation(ref)}"
    lead_people, staff = _PEOPLE.get(dept.kind, _PEOPLE[UnitKind.PHONG])
    return Plan.model_validate(
        {
            "number": None,
            "date": None,
            "symbol": f"KH-{dept.symbol}",
            "issuer": Issuer(unit_id=dept.id, name=dept.name, body=dept.issuing_body),
            "place": dept.place,
            "summary": f"Triển khai Kế hoạch {lower_first(plain(parent_plan.summary))}",
            "term": parent_plan.term,
            "references": (ref,),
            "preamble": (
                f"Thực hiện {ref.citation}, {dept.name} xây dựng Kế hoạch thực hiện các nhiệm "
                "vụ được giao như sau:"
            ),
            "purposes": (
                f"a) Triển khai đầy đủ, kịp thời {given}.",
                "b) Cụ thể hóa từng nhiệm vụ thành nội dung, thời hạn hoàn thành và trách "
                "nhiệm chủ trì, phối hợp, làm căn cứ phân công, theo dõi, đôn đốc và đánh giá "
                "kết quả thực hiện.",
            ),
            "requirements": (
                "a) Các nhiệm vụ được thực hiện đúng nội dung, bảo đảm chất lượng và thời hạn; "
                "nhiệm vụ có chỉ tiêu phải đạt chỉ tiêu được giao.",
                "b) Phối hợp chặt chẽ với các cơ quan, đơn vị liên quan; báo cáo kết quả thực "
                "hiện đầy đủ, đúng thời hạn.",
            ),
            "content": _content(tasks, duties, dept, committee),
            "implementation": (
                Section(
                    title=lead_people,
                    paragraphs=(
                        "Phân công người chủ trì từng nhiệm vụ; theo dõi, đôn đốc, kiểm tra "
                        "tiến độ và chất lượng thực hiện.",
                    ),
                ),
                Section(
                    title=staff,
                    paragraphs=(
                        "Chủ động thực hiện các nhiệm vụ được phân công; với nhiệm vụ phối "
                        "hợp, cung cấp thông tin, tài liệu và kết quả cho đơn vị chủ trì "
                        "đúng thời hạn.",
                        "Định kỳ (quý I, 6 tháng, 9 tháng, năm) tổng hợp kết quả thực hiện, "
                        f"báo cáo {cited_name(committee)} theo quy định.",
                    ),
                ),
            ),
            "closing": (
                f"Trên đây là Kế hoạch của {dept.name} thực hiện {given}; trong quá trình "
                "thực hiện, nếu có khó khăn, vướng mắc, kịp thời báo cáo "
                f"{cited_name(committee)} để được hướng dẫn."
            ),
            "annex_title": parent_plan.annex_title,
            "tasks": tasks,
            "recipients": (
                Recipient(name=cited_name(committee), purpose="Để báo cáo"),
                Recipient(name=lead_people),
                Recipient(name=staff, purpose="Để thực hiện"),
                Recipient(name="Lưu: VT"),
            ),
            "signer": dept.signer,
        }
    )


def task_list(
    plan: Plan, committee: Unit, dept: Unit, tasks: tuple[Task, ...], duties: list[str]
) -> TaskListContext:
    """A section's DANH SÁCH NHIỆM VỤ: its tasks in a table, then the plan's other duties."""
    ref = plan.references[0]
    rows = [
        TaskRow(
            stt=str(i),
            title=t.title,
            role=role_text(t, dept),
            deadline=t.deadline.text,
            quota=t.quota.text if t.quota is not None else "",
            reports_to=reports_to(t, dept, committee),
        )
        for i, t in enumerate(tasks, start=1)
    ]
    numbered = bool(duties)
    return TaskListContext(
        committee=dept.issuing_body.superior or f"UBND {committee.name.upper()}",
        section_lines=list(dept.issuing_body.lines),
        summary=upper_first(ref.summary),
        caption=f"(Thực hiện {_citation(ref)})",
        tasks_heading=("1. " if numbered else "") + "Nhiệm vụ cụ thể",
        tasks=rows,
        no_tasks=f"Kế hoạch của {cited_name(committee)} không giao {dept.name} nhiệm vụ cụ thể.",
        duties_heading=f"2. Nhiệm vụ khác theo Kế hoạch của {cited_name(committee)}",
        duties=duties,
        dateline=plan.dateline,
        signer_title=dept.signer.title,
        signer_name=dept.signer.name or "",
    )


def department_document(
    parent_plan: Plan, committee: Unit, dept: Unit, h: Hierarchy, tasks: tuple[Task, ...]
) -> DepartmentDocument:
    """What ``dept`` writes for ``tasks`` (the annex rows of ``committee``'s plan it leads or
    coordinates, deadlines already its own): its plan, and its task list if it has no seal."""
    mine = {t.id: lower_first(t.deadline.text) for t in tasks}
    duties = [with_deadlines(d, mine) for d in addressed(parent_plan, committee, dept, h)]
    plan = work_plan(parent_plan, committee, dept, tasks, duties)
    if dept.kind.has_seal:
        return DepartmentDocument(plan, None)
    return DepartmentDocument(plan, task_list(plan, committee, dept, tasks, duties))
