"""Cascade: the draft plan of every unit below a plan's issuer, derived level by level.

Each administrative child gets a draft that cites its parent's plan, is issued by the child,
copies the parent's purposes, requirements, content and forms in the child's words, and
carries every parent task that applies at or below its level, with roles resolved to its own
departments and deadlines moved earlier by a lead time per level (never after the parent's).
Each department gets the tasks its unit's draft gives it to lead or support, in its own
plan or, without a seal, its task list (:mod:`kehoach.cascade.departments`). Pure
functions: no files, no Prefect.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from hierarchy.graph import Hierarchy
from hierarchy.units import Level, Unit
from kehoach.cascade.departments import DepartmentDocument, DocumentKind, department_document
from kehoach.cascade.manifest import DerivedFrom
from kehoach.cascade.memo import by_identity
from kehoach.cascade.parts import implementation_for
from kehoach.documents.task_list import TaskListContext
from kehoach.io.errors import KehoachError
from kehoach.plan.deadline import Deadline
from kehoach.plan.markers import Speaker, plain, revoice
from kehoach.plan.model import Assignee, DocumentRef, Group, Issuer, Plan, Recipient, Section, Task
from kehoach.plan.voice import speaker_of
from kehoach.plan.wording import (
    cited_name,
    departments_phrase,
    lower_first,
    subordinates_phrase,
    upper_first,
)

_ADMIN_ORDER = {Level.TRUNG_UONG: 0, Level.TINH: 1, Level.HUYEN: 2, Level.XA: 3, Level.PHONG_BAN: 4}
_FROZEN = ConfigDict(frozen=True, extra="forbid")


class CascadeError(KehoachError):
    """A plan cannot be carried down (a role the child has no department for, ...)."""


class CascadeSettings(BaseModel):
    """What an operator may tune: lead time per level, and how deep to draft.

    ``lead_days[level]``: how many days before its parent's deadline a unit of that level
    must finish the same task (so it can report upward in time).
    """

    model_config = _FROZEN

    lead_days: dict[Level, int] = Field(
        default_factory=lambda: {Level.TINH: 0, Level.HUYEN: 5, Level.XA: 5, Level.PHONG_BAN: 3}
    )
    to_level: Level | None = Field(default=None, description="deepest level to draft")
    default_lead_role: str = Field(
        default="van-phong",
        description="who leads, at a committee, a task its parent gave to 'UBND cấp dưới'",
    )

    def lead_time(self, level: Level) -> dt.timedelta:
        return dt.timedelta(days=max(0, self.lead_days.get(level, 0)))


class Draft(BaseModel):
    """One unit's draft and where it comes from.

    ``plan`` is the unit's plan (its tasks are what it reports on). ``task_list`` is set for a
    department without a seal (a ward's bộ phận): its draft is that internal task list, not
    an ND 30 plan (:mod:`kehoach.cascade.departments`). ``derived_from`` says whether the
    parent's plan it implements was issued (number, the signed file's SHA-256) or a draft.
    """

    model_config = _FROZEN

    unit: Unit
    plan: Plan
    parent_unit_id: str | None
    parent_plan: DocumentRef
    task_list: TaskListContext | None = None
    derived_from: DerivedFrom | None = None

    @property
    def document(self) -> DocumentKind:
        """Which document the draft is: an ND 30 plan, or a section's task list."""
        return DocumentKind.KE_HOACH if self.task_list is None else DocumentKind.DANH_SACH


class CoverageGap(BaseModel):
    """A task of the plan that reaches no unit below its issuer."""

    model_config = _FROZEN

    task_id: str
    title: str
    reason: str


# -- assignees --------------------------------------------------------------------------


def _department(h: Hierarchy, unit: Unit, role: str, task: Task) -> Unit:
    for dept in h.departments(unit.id):
        if role in dept.roles:
            return dept
    raise CascadeError(
        f"task {task.id} ({task.title[:60]}…) needs a department with role {role!r}, and "
        f"{unit.name} ({unit.id}) has none; add one to the hierarchy or its rule set",
        where=f"unit {unit.id}",
    )


def _resolve(a: Assignee, unit: Unit, h: Hierarchy, task: Task, default_role: str) -> Assignee:
    """The assignee as ``unit`` names it in its own plan."""
    if a.role is not None:
        dept = _department(h, unit, a.role, task)
        return Assignee(role=a.role, unit=dept.id, label=dept.name)
    if a.group is Group.CAC_PHONG_BAN:
        label = upper_first(departments_phrase(h.departments(unit.id), unit.level))
        return Assignee(group=Group.CAC_PHONG_BAN, label=label)
    if a.group is Group.UBND_CAP_DUOI:
        # The parent addressed its subordinate committees; here that committee is ``unit``,
        # which acts through its office unless the task says who (``below.lead``).
        dept = _department(h, unit, default_role, task)
        return Assignee(role=default_role, unit=dept.id, label=dept.name)
    return a  # a specific unit: named as the parent named it


def _passes_down(task: Task, unit: Unit, deeper: set[Level]) -> bool:
    """Whether ``task`` belongs in ``unit``'s plan: at its level, or for units below it."""
    if task.levels is None:
        return True
    return unit.level in task.levels or bool(deeper & set(task.levels))


def _levels_below(h: Hierarchy, unit: Unit) -> set[Level]:
    return {u.level for level in h.levels(unit.id)[1:] for u in level}


def _deadline(parent: Deadline, level: Level, settings: CascadeSettings) -> Deadline:
    """The child's deadline: a day ``lead_days`` earlier; windows and recurrences as they are."""
    return _shifted(parent, settings.lead_time(level))


def _not_before(deadline: Deadline, day: dt.date | None, parent: Deadline) -> Deadline:
    """No earlier than ``day``, the date of the plan the task comes from (a lead time must not
    make a task fall due before the plan that gives it exists), and never after the parent's
    own deadline for it."""
    if day is None or deadline.due is None or deadline.is_window or deadline.due >= day:
        return deadline
    latest = parent.due if parent.due is not None else day
    return Deadline(due=min(day, latest), recurrence=deadline.recurrence)


def _shifted(parent: Deadline, by: dt.timedelta) -> Deadline:
    if parent.due is None or parent.is_window or not by:
        return parent
    return Deadline(due=parent.due - by, recurrence=parent.recurrence)


def _issuing_levels_below(task: Task, level: Level) -> list[Level]:
    return [lv for lv in task.levels or () if _ADMIN_ORDER[lv] > _ADMIN_ORDER[level]]


def _plan_deadline(task: Task, parent: Unit, unit: Unit, settings: CascadeSettings) -> Deadline:
    """When ``unit`` must issue its own plan, by a task "issue your plan" of its parent.

    Every level the task names issues a plan by the task's date; a level must issue before
    the levels below it, which implement its plan: a district by the date less the wards'
    lead time, its wards by the date itself. So a commune's plan is never due before the
    district plan it implements. The parent's own row was moved earlier the same way when
    the parent is one of those levels; that is undone first.
    """
    earlier = dt.timedelta()
    if parent.level in (task.levels or ()):
        earlier = sum(
            (settings.lead_time(lv) for lv in _issuing_levels_below(task, parent.level)),
            dt.timedelta(),
        )
    full = _shifted(task.deadline, -earlier)
    mine = sum(
        (settings.lead_time(lv) for lv in _issuing_levels_below(task, unit.level)),
        dt.timedelta(),
    )
    return _shifted(full, mine)


def _coordinators(
    specs: tuple[Assignee, ...],
    lead: Assignee,
    unit: Unit,
    h: Hierarchy,
    task: Task,
    settings: CascadeSettings,
) -> tuple[Assignee, ...]:
    """Who supports the lead, as ``unit`` names them: never the lead itself, nobody twice.

    "UBND cấp dưới" stays a group where the unit has committees below; in a unit without
    any, the unit itself is that committee, and its own plan does not name it.
    """
    children = h.admin_children(unit.id)
    out: list[Assignee] = []
    seen = {lead.unit or lead.group or lead.role}
    for spec in specs:
        if spec.unit and not spec.role and spec.unit not in h:
            continue
        if spec.group is Group.UBND_CAP_DUOI:
            if not children:
                continue
            resolved = Assignee(group=Group.UBND_CAP_DUOI, label=subordinates_phrase(children))
        else:
            resolved = _resolve(spec, unit, h, task, settings.default_lead_role)
        key = resolved.unit or resolved.group or resolved.role
        if key in seen:
            continue
        seen.add(key)
        out.append(resolved)
    return tuple(out)


def _derive_task(
    task: Task,
    parent: Unit,
    unit: Unit,
    h: Hierarchy,
    deeper: set[Level],
    settings: CascadeSettings,
) -> Task | None:
    if not _passes_down(task, unit, deeper):
        return None
    own = task.levels is None or unit.level in task.levels
    below = task.below
    if own:
        lead_spec = (below.lead if below and below.lead else None) or task.lead
        coord_spec = (
            below.coordinating if below and below.coordinating is not None else task.coordinating
        )
        title = below.title if below and below.title else task.title
        lead = _resolve(lead_spec, unit, h, task, settings.default_lead_role)
        coordinating = _coordinators(coord_spec, lead, unit, h, task, settings)
        below = None
    else:
        # Passing through: this unit hands the task to the units below that carry it out,
        # its own departments or the committees one level down.
        title = task.title
        children = h.admin_children(unit.id)
        if (set(task.levels or ()) - {Level.PHONG_BAN}) & deeper:
            lead = Assignee(group=Group.UBND_CAP_DUOI, label=subordinates_phrase(children))
        else:
            phrase = departments_phrase(h.departments(unit.id), unit.level)
            lead = Assignee(group=Group.CAC_PHONG_BAN, label=upper_first(phrase))
        coordinating = ()
    issues_own_plan = task.issues_plan and own
    return Task(
        id=task.id,
        title=title,
        lead=lead,
        coordinating=coordinating,
        deadline=(
            _plan_deadline(task, parent, unit, settings)
            if issues_own_plan
            else _deadline(task.deadline, unit.level, settings)
        ),
        quota=task.quota,
        stt=task.stt,
        levels=task.levels,
        issues_plan=task.issues_plan,
        below=below,
        origin=task.id,
    )


def derive_tasks(
    tasks: tuple[Task, ...],
    parent: Unit,
    unit: Unit,
    h: Hierarchy,
    settings: CascadeSettings,
    not_before: dt.date | None = None,
) -> tuple[Task, ...]:
    """The annex of administrative unit ``unit``, from its parent's annex (``not_before``: the
    parent plan's date, when it is issued)."""
    deeper = _levels_below(h, unit)
    out = []
    for task in tasks:
        derived = _derive_task(task, parent, unit, h, deeper, settings)
        if derived is not None:
            deadline = _not_before(derived.deadline, not_before, task.deadline)
            out.append(derived.model_copy(update={"deadline": deadline}))
    return tuple(out)


# -- plans ------------------------------------------------------------------------------


def _recipients(parent: Unit, unit: Unit, h: Hierarchy) -> tuple[Recipient, ...]:
    out = [Recipient(name=cited_name(parent), purpose="Để báo cáo")]
    if not unit.is_department:
        out.append(Recipient(name=f"Lãnh đạo UBND {unit.kind.word.lower()}"))
        departments = h.departments(unit.id)
        if departments:
            phrase = upper_first(departments_phrase(departments, unit.level))
            out.append(Recipient(name=phrase, purpose="Để thực hiện"))
        children = h.admin_children(unit.id)
        if children:
            out.append(Recipient(name=subordinates_phrase(children), purpose="Để thực hiện"))
    out.append(Recipient(name="Lưu: VT"))
    return tuple(out)


def _said(
    texts: tuple[str, ...], speaker: Speaker, only: frozenset[str] | None = None
) -> tuple[str, ...]:
    """``texts`` re-spoken, less any that say nothing for this unit."""
    spoken = (revoice(t, speaker, only) for t in texts)
    return tuple(t for t in spoken if plain(t).strip(" .;,"))


def _revoiced(
    sections: tuple[Section, ...], speaker: Speaker, only: frozenset[str] | None = None
) -> tuple[Section, ...]:
    return tuple(
        s.model_copy(
            update={
                "title": revoice(s.title, speaker, only) if s.title else None,
                "paragraphs": _said(s.paragraphs, speaker, only),
                "sections": _revoiced(s.sections, speaker, only),
            }
        )
        for s in sections
    )


def _base_draft(parent_plan: Plan, unit: Unit, summary: str, preamble: str) -> dict[str, object]:
    return {
        "number": None,
        "date": None,
        "symbol": f"KH-{unit.symbol}",
        "issuer": Issuer(unit_id=unit.id, name=cited_name(unit), body=unit.issuing_body),
        "place": unit.place,
        "summary": summary,
        "term": parent_plan.term,
        "references": chain(parent_plan),
        "preamble": preamble,
        "signer": unit.signer,
        "annex_title": parent_plan.annex_title,
    }


def chain(parent_plan: Plan) -> tuple[DocumentRef, ...]:
    """The plans a child implements, as it cites them: its parent, and — when the parent is
    still a draft — the issued plans the parent implements first, so every draft names the
    plan that started the chain ("Thực hiện Kế hoạch số 145/KH-UBND …, Kế hoạch số
    /KH-UBND ngày … của UBND quận …")."""
    here = parent_plan.as_reference()
    if not parent_plan.is_draft:
        return (here,)
    return (*parent_plan.references, here)


def _cites(refs: tuple[DocumentRef, ...]) -> str:
    return ", ".join(r.citation for r in refs)


def _addressees(unit: Unit, h: Hierarchy, speaker: Speaker) -> str:
    """Whom the closing asks to carry the plan out: its departments, and its committees."""
    who = speaker.cac_phong_ban
    if speaker.cap_duoi:
        who += f" và {speaker.cap_duoi}"
    return who


def _budget(unit: Unit, parent: Unit, speaker: Speaker, term: str) -> str:
    """Where the money comes from, as the unit says it: a committee with committees below
    funds its departments and them within its budget; a ward or commune spends what its
    parent's budget allots it (55/KH-UBND: "từ ngân sách Quận cấp cho phường")."""
    year = f"năm {term}" if term.isdigit() else "hằng năm"
    if speaker.cap_duoi:
        return (
            f"Kinh phí thực hiện Kế hoạch được bố trí trong dự toán ngân sách {year} của "
            f"{speaker.cac_phong_ban} và {speaker.cap_duoi} theo phân cấp ngân sách hiện hành."
        )
    source = speaker.cap_tren or "cấp trên"
    return (
        f"Kinh phí thực hiện Kế hoạch được sử dụng từ ngân sách {source} cấp cho "
        f"{speaker.cap} theo quy định {year}."
    )


def _closing(summary: str, unit: Unit, h: Hierarchy, speaker: Speaker) -> str:
    report = speaker.ubnd
    office = speaker.phong.get("noi-vu") or speaker.phong.get("van-phong")
    via = f" (qua {office})" if office else ""
    return (
        f"Trên đây là Kế hoạch {lower_first(plain(summary))}, {speaker.ubnd} yêu cầu "
        f"{_addressees(unit, h, speaker)} tổ chức thực hiện nghiêm túc, đạt hiệu quả. Trong "
        f"quá trình thực hiện, nếu có khó khăn, vướng mắc, kịp thời báo cáo {report}{via} để "
        f"được hướng dẫn, giải quyết."
    )


def derive_plan(
    parent_plan: Plan, parent: Unit, unit: Unit, h: Hierarchy, settings: CascadeSettings
) -> Plan:
    """The draft plan of administrative unit ``unit`` implementing ``parent_plan``.

    Written for the unit, in its own voice: every marked self-reference re-spoken for it
    (:mod:`kehoach.plan.markers`), everything else — cited documents above all — copied as
    the parent wrote it; section III rebuilt for the bodies it directs
    (:mod:`kehoach.cascade.parts`); the preamble citing the chain of plans; the budget and
    the closing in its words; deadlines in the text taken from its own annex.
    """
    tasks = derive_tasks(parent_plan.tasks, parent, unit, h, settings, parent_plan.date)
    speaker = speaker_of(unit, h, {t.id: lower_first(t.deadline.text) for t in tasks})
    tasks = tuple(t.model_copy(update={"title": revoice(t.title, speaker)}) for t in tasks)
    summary = revoice(parent_plan.summary, speaker)
    refs = chain(parent_plan)
    preamble = (
        f"Thực hiện {_cites(refs)}, {cited_name(unit)} ban hành Kế hoạch "
        f"{lower_first(plain(summary))} như sau:"
    )
    implementation = implementation_for(parent_plan, unit, h, speaker, tasks)
    term = parent_plan.term.text
    return Plan.model_validate(
        {
            **_base_draft(parent_plan, unit, summary, preamble),
            "purposes": _said(parent_plan.purposes, speaker),
            "requirements": _said(parent_plan.requirements, speaker),
            "content": _revoiced(parent_plan.content, speaker),
            "forms": _revoiced(parent_plan.forms, speaker),
            "implementation": implementation,
            "budget": (_budget(unit, parent, speaker, term),),
            "closing": _closing(summary, unit, h, speaker),
            "tasks": tasks,
            "recipients": _recipients(parent, unit, h),
        }
    )


def _involves(task: Task, dept: Unit) -> bool:
    people = (task.lead, *task.coordinating)
    return any(a.unit == dept.id or a.group is Group.CAC_PHONG_BAN for a in people)


@by_identity
def _department_rows(parent_plan: Plan, settings: CascadeSettings) -> tuple[Task, ...]:
    """The unit's annex rows as its departments carry them: due a department's lead time
    earlier (never before the plan, never after the unit's own date). The same for each of
    the unit's departments, so derived once for all of them."""
    return tuple(
        t.model_copy(
            update={
                "deadline": _not_before(
                    _deadline(t.deadline, Level.PHONG_BAN, settings), parent_plan.date, t.deadline
                ),
                "origin": t.id,
                "below": None,
            }
        )
        for t in parent_plan.tasks
    )


def derive_department_plan(
    parent_plan: Plan, parent: Unit, dept: Unit, h: Hierarchy, settings: CascadeSettings
) -> DepartmentDocument:
    """What a department writes for the tasks its unit's plan gives it to lead or support:
    its own ND 30 plan if it has a seal, else its task list (both with those tasks)."""
    rows = _department_rows(parent_plan, settings)
    tasks = tuple(t for t in rows if _involves(t, dept))
    return department_document(parent_plan, parent, dept, h, tasks)


def child_draft(
    parent_plan: Plan, parent: Unit, unit: Unit, h: Hierarchy, settings: CascadeSettings
) -> Draft:
    """The draft of ``unit`` (administrative or department) below ``parent``."""
    task_list = None
    if unit.is_department:
        plan, task_list = derive_department_plan(parent_plan, parent, unit, h, settings)
    else:
        plan = derive_plan(parent_plan, parent, unit, h, settings)
    return Draft(
        unit=unit,
        plan=plan,
        parent_unit_id=parent.id,
        parent_plan=parent_plan.as_reference(),
        task_list=task_list,
    )


def wanted(unit: Unit, settings: CascadeSettings) -> bool:
    """Whether ``settings`` ask for a draft of ``unit`` (``to_level``)."""
    if settings.to_level is None:
        return True
    if settings.to_level is Level.PHONG_BAN:
        return True
    return not unit.is_department and _ADMIN_ORDER[unit.level] <= _ADMIN_ORDER[settings.to_level]


def issuer_unit(plan: Plan, h: Hierarchy) -> Unit:
    """The plan's issuing unit in the hierarchy (by id, else by name)."""
    if plan.issuer.unit_id is None:
        raise CascadeError("the plan's issuer has no unit_id; set issuer.unit_id")
    if plan.issuer.unit_id not in h:
        raise CascadeError(
            f"the plan is issued by unit {plan.issuer.unit_id} ({plan.issuer.name}), which is "
            f"not in the hierarchy {h.source}"
        )
    return h.unit(plan.issuer.unit_id)


def resolve_issuer_plan(plan: Plan, unit: Unit, h: Hierarchy) -> Plan:
    """The issuer's own plan with its roles resolved to its departments where it has them.

    A role the issuer has no department for stays a role (the plan is as it was issued). Its
    section III and task titles are spoken by the issuer as the hierarchy stands now: a city
    plan of 2021 addressed "UBND các quận, huyện, thị xã", and since July 2025 the city's
    departments read it as addressed to the communes, the committees below the city today.
    """

    children = h.admin_children(unit.id)

    def resolve(a: Assignee) -> Assignee:
        if a.group is Group.UBND_CAP_DUOI and children:
            return Assignee(group=a.group, label=subordinates_phrase(children))
        if a.role is None or a.unit is not None:
            return a
        dept = next((d for d in h.departments(unit.id) if a.role in d.roles), None)
        if dept is None:
            return a
        return Assignee(role=a.role, unit=dept.id, label=a.label or dept.name)

    tasks = tuple(
        t.model_copy(
            update={
                "lead": resolve(t.lead),
                "coordinating": tuple(resolve(c) for c in t.coordinating),
            }
        )
        for t in plan.tasks
    )
    speaker, below = speaker_of(unit, h), frozenset({"cap_duoi"})
    tasks = tuple(t.model_copy(update={"title": revoice(t.title, speaker, below)}) for t in tasks)
    return plan.model_copy(
        update={"tasks": tasks, "implementation": _revoiced(plan.implementation, speaker, below)}
    )


class LateTask(BaseModel):
    """A child plan's task due after the parent task it implements."""

    model_config = _FROZEN

    task_id: str
    due: dt.date
    origin_id: str
    origin_due: dt.date


def late_tasks(child: Plan, parent: Plan) -> list[LateTask]:
    """Tasks of ``child`` due after the ``parent`` task they implement.

    A unit reports upward, so it must finish a task no later than the level above it; a
    child task implements the parent task named by its ``origin`` (or with its own id).
    """
    by_id = {t.id: t for t in parent.tasks}
    late = []
    for task in child.tasks:
        above = by_id.get(task.origin or task.id)
        due = task.deadline.due
        if above is None or due is None or above.deadline.due is None:
            continue
        if due > above.deadline.due:
            late.append(
                LateTask(
                    task_id=task.id, due=due, origin_id=above.id, origin_due=above.deadline.due
                )
            )
    return late


def coverage(plan: Plan, h: Hierarchy) -> list[CoverageGap]:
    """Tasks that no unit below the issuer will carry out."""
    root = issuer_unit(plan, h)
    below = _levels_below(h, root)
    gaps = []
    for task in plan.tasks:
        if task.levels is None or root.level in task.levels:
            continue  # every level carries it, or the issuer does it itself
        if not (set(task.levels) & below):
            targets = ", ".join(level.value for level in task.levels)
            gaps.append(
                CoverageGap(
                    task_id=task.id,
                    title=task.title,
                    reason=f"for level {targets}, and no unit of that level is below {root.name}",
                )
            )
    return gaps
