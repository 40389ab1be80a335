"""Roll-up: each unit's own figures and its subtree's, for a plan, a period and a date.

Semantics (README "Roll-up" says the same for operators):

- A task's status is counted once, at the unit that carries it out: a department for the
  tasks it leads (or that its committee gives to all departments), an administrative unit
  for the tasks it does itself (when it has no department for them). Tasks a unit only
  passes down ("UBND các phường …") are counted where they are done.
- Each task has one due date in a period: its date; the end of its window ("Trong năm
  2024" → 31/12/2024); for a recurring task (monthly, quarterly, each report period), the
  period's data cut-off: the period's occurrence is late if done after the cut-off.
- Four buckets (the national practice): done on time (done on or before the due date), done
  late, open within deadline (not done and the "as of" date is not past the due date), open
  overdue. A dated task done in an earlier period of the same year stays done; a recurring
  task needs a report for this period.
- Quotas: the target for a period is the yearly target scaled to the months the period covers
  (periods are cumulative from 15/12: Q1 = 3 months, 6M = 6 …), rounded up; the actual is the
  count reported for the period. Quotas add up across levels per task id: a district's subtree
  target for "≥12 tin/bài a year" is the sum of its wards' targets, and likewise the actuals.
- Plans: a unit whose plan has an "issue your own plan" task is on time if it issued by that
  task's due date, late if after it, missing if not issued and the date has passed, pending
  otherwise. Reports: a unit owes one report per period when it has tasks of its own to
  report on, exactly the units ``kehoach sheets`` writes a sheet for (:func:`owes_report`).
  A ward whose tasks are all carried out by its sections owes no sheet of its own: its
  sections' sheets are its report to the district, and its subtree counts them, so a
  manager's "reports missing" is the number of sheets still to come.
- subtree = own + Σ children's subtrees, for every figure (a property test checks it).
"""

from __future__ import annotations

import datetime as dt
import gc
import math
import struct
import threading
import weakref
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from collections.abc import Set as AbstractSet
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict

from hierarchy.graph import Hierarchy
from hierarchy.units import Level, Unit, UnitKind
from kehoach.plan.deadline import Deadline
from kehoach.plan.model import Group, Plan, Task
from kehoach.status.models import Snapshot, TaskState, TaskStatus
from kehoach.status.periods import Period

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class QuotaFigure(BaseModel):
    """Chỉ tiêu: reported count against the period's target."""

    model_config = _FROZEN

    actual: int = 0
    target: int = 0

    def __add__(self, other: QuotaFigure) -> QuotaFigure:
        return QuotaFigure.model_construct(
            actual=self.actual + other.actual, target=self.target + other.target
        )

    @property
    def attainment(self) -> float | None:
        return None if self.target == 0 else round(self.actual / self.target, 4)


_COUNTS = (
    "tasks",
    "done_on_time",
    "done_late",
    "open_on_time",
    "open_overdue",
    "plans_on_time",
    "plans_late",
    "plans_missing",
    "plans_pending",
    "reports_submitted",
    "reports_missing",
)


class Figures(BaseModel):
    """The roll-up figures of one unit (own) or of a whole subtree."""

    model_config = _FROZEN

    tasks: int = 0
    done_on_time: int = 0
    done_late: int = 0
    open_on_time: int = 0
    open_overdue: int = 0
    quotas: dict[str, QuotaFigure] = {}
    plans_on_time: int = 0
    plans_late: int = 0
    plans_missing: int = 0
    plans_pending: int = 0
    reports_submitted: int = 0
    reports_missing: int = 0

    def __add__(self, other: Figures) -> Figures:
        # Sums of validated figures are valid: construct without re-validating (the national
        # roll-up adds 65k of them).
        counts = {k: getattr(self, k) + getattr(other, k) for k in _COUNTS}
        quotas = dict(self.quotas)
        for key, q in other.quotas.items():
            quotas[key] = quotas[key] + q if key in quotas else q
        return Figures.model_construct(**counts, quotas=dict(sorted(quotas.items())))

    @property
    def pct_done(self) -> float | None:
        """Share of tasks done (on time or late), 0–100."""
        if self.tasks == 0:
            return None
        return round(100 * (self.done_on_time + self.done_late) / self.tasks, 1)


class UnitRollup(BaseModel):
    """One unit's line of a roll-up."""

    model_config = _FROZEN

    unit_id: str
    unit_name: str
    parent_unit_id: str | None
    level: str
    own: Figures
    subtree: Figures


class Rollup(BaseModel):
    """rollup.json: the roll-up of a plan for a period as of a date, top-down."""

    model_config = _FROZEN

    plan: str
    period: str
    as_of: dt.date
    units: list[UnitRollup]

    def unit(self, unit_id: str) -> UnitRollup:
        return next(u for u in self.units if u.unit_id == unit_id)


def own_tasks(unit: Unit, plan: Plan, department_ids: AbstractSet[str]) -> list[Task]:
    """The tasks whose status ``unit`` reports (see the module docstring)."""
    return _read_tasks(unit, plan, department_ids)[0]


def _read_tasks(
    unit: Unit, plan: Plan, department_ids: AbstractSet[str]
) -> tuple[list[Task], list[Task]]:
    """``unit``'s own tasks (:func:`own_tasks`) and its "issue your own plan" tasks
    (:func:`plan_due`), in one pass over its plan.

    Reading the tasks is most of building a national roll-up's index (360k of them, spread
    over the memory of 65k plans): each is read once, for both questions.
    """
    mine: list[Task] = []
    issuing: list[Task] = []
    each, below = Group.CAC_PHONG_BAN, Group.UBND_CAP_DUOI
    if unit.is_department:
        uid = unit.id
        for t in plan.tasks:
            lead = t.lead
            if lead.unit == uid or lead.group is each:
                mine.append(t)
            if t.issues_plan and t.levels is not None and Level.PHONG_BAN in t.levels:
                issuing.append(t)
        return mine, issuing
    level = unit.level
    for t in plan.tasks:
        lead = t.lead
        group = lead.group
        if group is below:
            continue  # passed down: counted where it is done; the committees below issue
        levels = t.levels
        if t.issues_plan and (levels is None or level in levels):
            issuing.append(t)
        if department_ids and (group is each or lead.unit in department_ids):
            continue  # done by a department: counted there
        if levels is not None and level not in levels:
            continue
        mine.append(t)
    return mine, issuing


def owes_report(tasks: list[Task]) -> bool:
    """Whether a unit whose own tasks are ``tasks`` owes a report for a period.

    Only a unit that gets a sheet (one with tasks of its own) can send one; counting the
    others as owing made a district show every ward and itself as missing.
    """
    return bool(tasks)


def due_in(task: Task, period: Period) -> dt.date:
    """The one date a task is measured against in ``period``."""
    d = task.deadline
    if d.recurrence is not None or d.due is None:
        return period.end
    return d.due


def quota_target(task: Task, period: Period) -> int:
    assert task.quota is not None
    return _quota_target(task.quota.per_year(), period.months)


def plan_due(unit: Unit, plan: Plan, period: Period) -> tuple[dt.date, bool] | None:
    """When ``unit`` had to issue its own plan, and whether it re-issues it every year."""
    return _plan_due_in(_plan_terms(_read_tasks(unit, plan, set())[1]), period)


#: What a unit's "issue your own plan" tasks say whatever the period: the earliest fixed due
#: date among them (None: none has one), whether any falls due at the period's cut-off (a
#: recurrence, or no date), whether the plan is re-issued every year.
_PlanTerms = tuple[dt.date | None, bool, bool]


def _plan_terms(issuing: list[Task]) -> _PlanTerms | None:
    """The :data:`_PlanTerms` of ``issuing``; None when the unit issues no plan."""
    if not issuing:
        return None
    fixed: dt.date | None = None
    floating = yearly = False
    for t in issuing:
        d = t.deadline
        due = _fixed_due(d)
        if due is None:
            floating = True
        elif fixed is None or due < fixed:
            fixed = due
        if d.recurrence is not None:
            yearly = True
    return fixed, floating, yearly


def _plan_due_in(terms: _PlanTerms | None, period: Period) -> tuple[dt.date, bool] | None:
    """:func:`plan_due` from the unit's :data:`_PlanTerms`: the earliest of its tasks'
    :func:`due_in` dates."""
    if terms is None:
        return None
    fixed, floating, yearly = terms
    if not floating:
        assert fixed is not None
        return fixed, yearly
    end = period.end
    return (end if fixed is None or end < fixed else fixed), yearly


def _fixed_due(deadline: Deadline) -> dt.date | None:
    """A deadline's due date in every period; None when it is each period's cut-off
    (:func:`due_in`)."""
    return None if deadline.recurrence is not None else deadline.due


# A unit's eleven counts (:data:`_COUNTS`) are one int, each count in its own 32 bits: adding
# two units' figures is one int addition (a national roll-up's subtrees are 65k additions,
# not 720k), a row is a dict key as it is, and a task is added to its bucket and to the
# task count at once. The counts are of tasks, plans and reports, far below 2**32 (a whole
# country has 360k tasks): no field ever carries into the next. Above them, the quotas
# (:class:`_QuotaFields`).
_WIDTH = 32
_MASK = (1 << _WIDTH) - 1
_SHIFTS = tuple(range(0, _WIDTH * len(_COUNTS), _WIDTH))
_ONE = {name: 1 << shift for name, shift in zip(_COUNTS, _SHIFTS, strict=True)}
_ON_TIME, _LATE, _OPEN, _OVERDUE = (
    _ONE["tasks"] + _ONE[bucket]
    for bucket in ("done_on_time", "done_late", "open_on_time", "open_overdue")
)
_PLANS = tuple(_ONE[k] for k in ("plans_on_time", "plans_late", "plans_missing", "plans_pending"))
_SUBMITTED, _MISSING = _ONE["reports_submitted"], _ONE["reports_missing"]


@dataclass(frozen=True)
class _QuotaFields:
    """Where a packed row holds its quotas: above the counts, for each task id with a quota
    (sorted), three fields of ``width`` bits: how many units' quotas are in the row (a quota
    at 0 of 0 is still a quota), the actual, the target.

    So a subtree's quotas are added with its counts, in the same one addition. Actuals are
    counts people type, with no upper bound: the width (a multiple of 32) is chosen for each
    roll-up to hold the sum of all of them (:func:`_roll_up`), so no field can carry into the
    next either.
    """

    task_ids: tuple[str, ...]
    width: int

    def shift(self, task_id: str) -> int:
        """Where ``task_id``'s fields start (its count of units; actual and target follow)."""
        return len(_COUNTS) * _WIDTH + 3 * self.width * self.task_ids.index(task_id)

    @cached_property
    def _struct(self) -> struct.Struct | None:
        """The row's fields as C ints, read at once (None: wider than 64 bits)."""
        quota = {32: "I", 64: "Q"}.get(self.width)
        if quota is None:
            return None
        return struct.Struct(f"<{len(_COUNTS)}I{3 * len(self.task_ids)}{quota}")

    def unpack(self, row: int) -> tuple[int, ...]:
        """Every field of a packed row: the counts (:data:`_COUNTS` order), then each quota's
        count of units, actual and target (:attr:`task_ids` order)."""
        layout = self._struct
        if layout is not None:
            return layout.unpack(row.to_bytes(layout.size, "little"))
        counts = [row >> shift & _MASK for shift in _SHIFTS]
        width, mask = self.width, (1 << self.width) - 1
        quotas = row >> len(_COUNTS) * _WIDTH
        for _ in range(3 * len(self.task_ids)):
            counts.append(quotas & mask)
            quotas >>= width
        return tuple(counts)

    @cached_property
    def slots(self) -> tuple[tuple[str, int], ...]:
        """Each quota's task id and where its fields start in :meth:`unpack`."""
        return tuple((t, len(_COUNTS) + 3 * k) for k, t in enumerate(self.task_ids))


# Models made for the output: from values computed here out of validated inputs, so they
# are not validated again. pydantic's model_construct loops over every field in Python
# (~5 µs a model, most of a national roll-up's 140k models); ``_built`` sets the same four
# slots it sets, directly. Should pydantic's slots ever change, model_construct is used.
_SLOTS = ("__dict__", "__pydantic_fields_set__", "__pydantic_extra__", "__pydantic_private__")
_DIRECT = tuple(BaseModel.__slots__) == _SLOTS
_FIELDS_SET: dict[type[BaseModel], set[str]] = {}
_set = object.__setattr__

M = TypeVar("M", bound=BaseModel)


def _built(cls: type[M], values: dict[str, Any]) -> M:
    """``cls.model_construct(**values)`` for a model without defaults left to fill, private
    attributes, extras or post-init; ``values`` holds every field, in field order."""
    if not _DIRECT:
        return _built_all(cls, [values])[0]
    fields = _FIELDS_SET.get(cls)
    if fields is None:
        fields = _FIELDS_SET[cls] = set(cls.model_fields)  # shared: frozen models never add
    model = cls.__new__(cls)
    _set(model, "__dict__", values)
    _set(model, "__pydantic_fields_set__", fields)
    _set(model, "__pydantic_extra__", None)
    _set(model, "__pydantic_private__", None)
    return model


def _built_all(cls: type[M], values: Iterable[dict[str, Any]]) -> list[M]:
    """:func:`_built` of each of ``values``, in one loop (a call per model was a tenth of a
    national roll-up)."""
    fields = _FIELDS_SET.get(cls)
    if fields is None:
        fields = _FIELDS_SET[cls] = set(cls.model_fields)  # shared: frozen models never add
    if not _DIRECT:
        return [cls.model_construct(fields, **v) for v in values]
    new = cls.__new__
    models = []
    for v in values:
        model = new(cls)
        _set(model, "__dict__", v)
        _set(model, "__pydantic_fields_set__", fields)
        _set(model, "__pydantic_extra__", None)
        _set(model, "__pydantic_private__", None)
        models.append(model)
    return models


_QUOTA_CACHE: dict[tuple[int, int], QuotaFigure] = {}


def _quota(actual: int, target: int) -> QuotaFigure:
    """A QuotaFigure, one shared (frozen) object per distinct value."""
    known = _QUOTA_CACHE.get((actual, target))
    if known is None:
        if len(_QUOTA_CACHE) > 100_000:
            _QUOTA_CACHE.clear()
        known = _QUOTA_CACHE[actual, target] = _built(
            QuotaFigure, {"actual": actual, "target": target}
        )
    return known


def _figures(row: int, fields: _QuotaFields) -> Figures:
    """Figures of a packed row (its quotas where ``fields`` says)."""
    v = fields.unpack(row)
    quotas: dict[str, QuotaFigure] = {}
    for task_id, k in fields.slots:
        if v[k]:
            quotas[task_id] = _QUOTA_CACHE.get((v[k + 1], v[k + 2])) or _quota(v[k + 1], v[k + 2])
    return _built(
        Figures,
        {
            "tasks": v[0],
            "done_on_time": v[1],
            "done_late": v[2],
            "open_on_time": v[3],
            "open_overdue": v[4],
            "quotas": quotas,
            "plans_on_time": v[5],
            "plans_late": v[6],
            "plans_missing": v[7],
            "plans_pending": v[8],
            "reports_submitted": v[9],
            "reports_missing": v[10],
        },
    )


_FIGURE_FIELDS = tuple(Figures.model_fields)
assert (*_COUNTS[:5], "quotas", *_COUNTS[5:]) == _FIGURE_FIELDS


def period_rank(key: str, period: Period) -> tuple[int, bool] | None:
    """Where a status of the period ``key`` ("2024-Q1") stands for ``period``: its rank in
    the year (Q1 < 6M < 9M < Y) and whether it is ``period`` itself; None when it does not
    count for ``period`` at all (another year, a later period). The one rule both
    :func:`latest_statuses` and the roll-up read statuses by, each once per distinct key."""
    year, _, kind = key.partition("-")
    rank = _PERIOD_ORDER.get(kind, 99)
    if int(year) != period.year or rank > _PERIOD_ORDER[period.kind.value]:
        return None
    return rank, kind == period.kind.value


class _Ranks(dict[str, tuple[int, bool] | None]):
    """:func:`period_rank` of each period string for one ``period``, worked out on its first
    lookup: a national snapshot has 141k statuses and a handful of periods."""

    def __init__(self, period: Period) -> None:
        super().__init__()
        self.period = period

    def __missing__(self, key: str) -> tuple[int, bool] | None:
        rank = self[key] = period_rank(key, self.period)
        return rank


def latest_statuses(
    snapshot: Snapshot, plans: Mapping[str, Plan], period: Period
) -> dict[str, dict[str, TaskStatus]]:
    """unit → task → the status that counts for ``period``.

    A record of this period wins; a dated task done in an earlier period of the same year
    stays done; a recurring task needs a record of this period.
    """
    ranks = _Ranks(period)  # each distinct period string ("2024-Q1") parsed once
    # A unit's recurring tasks, read only for a unit with a record of an earlier period.
    recurring: dict[str, set[str]] = {}
    out: dict[str, dict[str, TaskStatus]] = {}
    for s in snapshot.statuses:  # the store returns them oldest first
        key = s.period
        known = ranks[key]
        if known is None:
            continue
        rank, this_period = known
        if not this_period:
            if s.state is not TaskState.HOAN_THANH:
                continue
            tasks = recurring.get(s.unit_id)
            if tasks is None:
                plan = plans.get(s.unit_id)
                tasks = recurring[s.unit_id] = (
                    {t.id for t in plan.tasks if t.deadline.recurrence} if plan else set()
                )
            if s.task_id in tasks:
                continue
        by_task = out.get(s.unit_id)
        if by_task is None:
            by_task = out[s.unit_id] = {}
        if this_period:
            by_task[s.task_id] = s  # no record ranks above this period's: the latest wins
            continue
        current = by_task.get(s.task_id)
        if current is None or _PERIOD_ORDER[current.period.partition("-")[2]] <= rank:
            by_task[s.task_id] = s
    return out


@dataclass(frozen=True)
class _Shape:
    """What a unit's own figures depend on besides its statuses, in any period.

    Many units share one (all the sections of one kind in a province, at the same deadlines):
    a national roll-up has 65k units and far fewer shapes, and what a period makes of a shape
    (due dates, quota targets, the row with nothing reported) is worked out once per shape.
    """

    #: The unit's own tasks, in plan order: each task's id, its due date in every period
    #: (None: the period's cut-off, :func:`due_in`), whether it recurs.
    tasks: tuple[tuple[str, dt.date | None, bool], ...]
    #: The own tasks with a quota: each task's id and its yearly target (:func:`quota_target`).
    quotas: tuple[tuple[str, int], ...]
    #: When the unit issues its own plan (None: it issues none, or it is the issuer).
    plan: _PlanTerms | None
    owes_report: bool


@dataclass(frozen=True, eq=False)
class RollupIndex:
    """The columns of a roll-up of one hierarchy's units below ``root`` under ``plans``, built
    once and read by every roll-up over them (:func:`roll_up`).

    Only statuses, plan issues, reports, the period and the "as of" date change between two
    roll-ups of the same plans; which units are rolled up, in what order, under which parent,
    which tasks each unit reports on and when they fall due do not. Reading that out of the
    plans (360k tasks nationally, each plan its own objects) costs more than all the rest of a
    roll-up, so it is done here, once. Built by :func:`rollup_index`.
    """

    root: str
    #: The units rolled up, top-down (a parent before its children): what each unit's line
    #: says (id, name, parent's id, level); its position is its index in every column.
    lines: tuple[tuple[str, str, str | None, str], ...]
    #: Each unit's position by id.
    position: Mapping[str, int]
    #: Where each unit's subtree is added: (its position, its parent's), the last unit
    #: first, so that every child's subtree is complete before its parent's is added up; a
    #: unit whose parent is not rolled up (the root, a parent without a plan) is not listed.
    upward: tuple[tuple[int, int], ...]
    #: Each unit's :class:`_Shape`, as a position in :attr:`shapes`.
    shape_of: tuple[int, ...]
    shapes: tuple[_Shape, ...]
    #: How many units have each shape.
    units_per_shape: tuple[int, ...]
    #: The ids of the tasks with a quota, sorted: where the packed rows hold quotas.
    quota_ids: tuple[str, ...]
    #: More than any shape's number of tasks: a unit's position × stride + a task's position
    #: in its shape is one number per unit and task.
    stride: int
    #: The plans it was built from, to tell whether it still describes a mapping it is given.
    plans: Mapping[str, Plan] = field(repr=False)

    def describes(self, plans: Mapping[str, Plan], root: str) -> bool:
        """Whether this index is that of ``plans`` below ``root`` (of its hierarchy).

        A mapping is compared entry by entry, each plan first by identity (a national one in
        a few milliseconds): a plan added, removed or replaced since the index was built makes
        it another index, even when the mapping is the same object changed in place.
        """
        return root == self.root and self.plans == (
            plans if isinstance(plans, dict) else dict(plans)
        )


def rollup_index(h: Hierarchy, plans: Mapping[str, Plan], root: str) -> RollupIndex:
    """The :class:`RollupIndex` of the units with a plan below (and including) ``root``."""
    with _no_gc():  # as the roll-up: ~200k new tuples beside millions of plan objects
        return _index(h, plans, root)


def _index(h: Hierarchy, plans: Mapping[str, Plan], root: str) -> RollupIndex:
    lines: list[tuple[str, str, str | None, str]] = []
    position: dict[str, int] = {}
    up: list[int] = []
    units: list[Unit] = []
    # Each unit's departments with a plan (the tasks it leaves to them are counted there),
    # gathered in the same walk: asking the hierarchy for them cost 15 µs a unit.
    departments: dict[int, set[str]] = {}
    for level in h.levels(root):
        for u in level:
            uid = u.id
            if uid in plans:
                kind, parent_id = u.kind, u.parent
                parent = -1 if uid == root else position.get(parent_id or "", -1)
                if parent >= 0 and kind in _DEPARTMENT_KINDS:
                    theirs = departments.get(parent)
                    if theirs is None:
                        theirs = departments[parent] = set()
                    theirs.add(uid)
                up.append(parent)
                position[uid] = len(units)
                units.append(u)
                lines.append(
                    (uid, u.name, None if uid == root else parent_id, _LEVEL_OF_KIND[kind])
                )
    # Each distinct shape by its fields (a plain tuple: hashed and compared in C, where a
    # dataclass per unit cost a fifth of the index), its position, and the shapes in order.
    positions: dict[tuple[Any, ...], int] = {}
    shapes: list[_Shape] = []
    shape_of: list[int] = []
    none: set[str] = set()  # a department has nothing below it; own_tasks does not ask
    for i, unit in enumerate(units):
        uid = unit.id
        tasks, issuing = _read_tasks(unit, plans[uid], departments.get(i, none))
        deadlines = [t.deadline for t in tasks]
        fields = (
            tuple(
                [
                    (t.id, _fixed_due(d), d.recurrence is not None)
                    for t, d in zip(tasks, deadlines, strict=True)
                ]
            ),
            tuple([(t.id, t.quota.per_year()) for t in tasks if t.quota is not None]),
            None if uid == root else _plan_terms(issuing),
            owes_report(tasks),
        )
        known = positions.get(fields)
        if known is None:
            known = positions[fields] = len(shapes)
            shapes.append(_Shape(*fields))
        shape_of.append(known)
    return RollupIndex(
        root=root,
        lines=tuple(lines),
        position=position,
        upward=tuple((i, up[i]) for i in range(len(up) - 1, -1, -1) if up[i] >= 0),
        shape_of=tuple(shape_of),
        shapes=tuple(shapes),
        units_per_shape=tuple(map(Counter(shape_of).__getitem__, range(len(shapes)))),
        quota_ids=tuple(sorted({task_id for s in shapes for task_id, _ in s.quotas})),
        stride=1 + max((len(s.tasks) for s in shapes), default=0),
        plans=dict(plans),
    )


# The indexes roll_up has built, per hierarchy (gone with it) and root: the portal rolls up
# the same plans on every request, from each user's unit. Only the latest plans of a root
# are kept (a new mapping replaces the index of the old one), and a few dozen roots.
_INDEXES: weakref.WeakKeyDictionary[Hierarchy, dict[str, RollupIndex]] = weakref.WeakKeyDictionary()
_INDEXES_LOCK = threading.Lock()
_ROOTS_KEPT = 32


def _index_of(h: Hierarchy, plans: Mapping[str, Plan], root: str) -> RollupIndex:
    """The :class:`RollupIndex` of ``plans`` below ``root``: the one built before when it
    still describes them, else a new one (kept for the next roll-up)."""
    with _INDEXES_LOCK:
        known = _INDEXES.get(h, {}).get(root)
    if known is not None and known.describes(plans, root):
        return known
    index = rollup_index(h, plans, root)  # outside the lock: other roll-ups go on meanwhile
    with _INDEXES_LOCK:
        by_root = _INDEXES.setdefault(h, {})
        by_root.pop(root, None)
        while len(by_root) >= _ROOTS_KEPT:
            del by_root[next(iter(by_root))]  # the root indexed longest ago
        by_root[root] = index
    return index


def roll_up(
    h: Hierarchy,
    plans: Mapping[str, Plan],
    snapshot: Snapshot,
    period: Period,
    as_of: dt.date,
    plan_key: str,
    root: str,
    *,
    index: RollupIndex | None = None,
) -> Rollup:
    """Own and subtree figures for every unit with a plan below (and including) ``root``.

    ``index`` is :func:`rollup_index` of ``h``, ``plans`` and ``root``; without it the index
    built by an earlier roll-up over the same hierarchy, root and plans is used (or built now
    and kept), so a second roll-up costs only what depends on the statuses and the period.
    """
    if index is None:
        index = _index_of(h, plans, root)
    elif not index.describes(plans, root):
        raise ValueError(f"the roll-up index given is not that of these plans below {root}")
    with _no_gc():
        return _roll_up(index, snapshot, period, as_of, plan_key)


@contextmanager
def _no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector: the roll-up allocates ~100k short-lived objects
    next to a million live ones (hierarchy, plans), and each automatic full collection would
    walk all of them; nothing here makes reference cycles."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


@dataclass(frozen=True)
class _Terms:
    """What one period and "as of" date make of a :class:`_Shape`."""

    #: The unit's row with nothing reported: every task open, its quotas at 0 of the target,
    #: no plan issued, no report.
    base: int
    #: Task id → what a status of the task changes: (the task's position in the shape, its
    #: due date, what done on time adds to :attr:`base`, what done late adds, where the
    #: status's count is added (0: no quota), whether the task recurs).
    tasks: dict[str, tuple[int, dt.date, int, int, int, bool]]
    #: When the plan was due, whether it is re-issued yearly, and what :attr:`base` counts for
    #: it (missing or pending); None when the unit issues no plan.
    plan: tuple[dt.date, bool, int] | None


def _terms(shape: _Shape, period: Period, as_of: dt.date, fields: _QuotaFields) -> _Terms:
    end, months, width = period.end, period.months, fields.width
    base = 0
    quotas = dict(shape.quotas)
    tasks: dict[str, tuple[int, dt.date, int, int, int, bool]] = {}
    for at, (task_id, fixed, recurs) in enumerate(shape.tasks):
        due = end if fixed is None else fixed
        opened = _OPEN if as_of <= due else _OVERDUE
        base += opened
        count_shift = 0
        if task_id in quotas:
            shift = fields.shift(task_id)
            base += 1 << shift | _quota_target(quotas[task_id], months) << shift + 2 * width
            count_shift = shift + width
        tasks[task_id] = (at, due, _ON_TIME - opened, _LATE - opened, count_shift, recurs)
    plan = None
    expected = _plan_due_in(shape.plan, period)
    if expected is not None:
        due, yearly = expected
        unissued = _PLANS[2 if as_of > due else 3]
        base += unissued
        plan = (due, yearly, unissued)
    if shape.owes_report:
        base += _MISSING
    return _Terms(base, tasks, plan)


def _quota_target(per_year: int, months: int) -> int:
    """:func:`quota_target` of a yearly target."""
    return math.ceil(per_year * months / 12)


def _roll_up(
    index: RollupIndex,
    snapshot: Snapshot,
    period: Period,
    as_of: dt.date,
    plan_key: str,
) -> Rollup:
    # Columnar: the units of the index as positions 0..n-1, each unit's own figures a packed
    # row (:data:`_COUNTS`, :class:`_QuotaFields`): its shape's row with nothing reported,
    # then what each status, issue and report changes; the subtrees summed by one pass up the
    # parent array (deepest first); models are made only for the output. The semantics are
    # those of adding Figures up the tree (module docstring), ~10x faster over a whole country.
    # The quota fields hold the largest sum there can be: every unit, every target (known
    # from the shapes), every count (known once read: read again, wider, if it overflows).
    months = period.months
    most = max(
        len(index.lines),
        sum(
            n * sum(_quota_target(per_year, months) for _, per_year in shape.quotas)
            for shape, n in zip(index.shapes, index.units_per_shape, strict=True)
        ),
    )
    width = _WIDTH * max(1, -(-most.bit_length() // _WIDTH))
    while True:
        fields = _QuotaFields(index.quota_ids, width)
        own_rows, actuals = _own_rows(index, snapshot, period, as_of, fields)
        if actuals < 1 << width:
            break
        width = _WIDTH * -(-actuals.bit_length() // _WIDTH)
    sub_rows = list(own_rows)
    for i, parent in index.upward:
        sub_rows[parent] += sub_rows[i]
    # Units of the same kind often have the same own figures (7k distinct among 65k): one
    # (frozen) Figures per distinct row.
    made: dict[int, Figures] = {}
    values = []
    for (uid, name, parent_id, level), row, sub_row in zip(
        index.lines, own_rows, sub_rows, strict=True
    ):
        own = made.get(row)
        if own is None:
            own = made[row] = _figures(row, fields)
        if sub_row == row:  # nothing added below (a unit without children)
            subtree = own
        else:
            below = made.get(sub_row)
            if below is None:
                below = made[sub_row] = _figures(sub_row, fields)
            subtree = below
        values.append(
            {
                "unit_id": uid,
                "unit_name": name,
                "parent_unit_id": parent_id,
                "level": level,
                "own": own,
                "subtree": subtree,
            }
        )
    rows = _built_all(UnitRollup, values)
    return Rollup(plan=plan_key, period=period.key, as_of=as_of, units=rows)


def _own_rows(
    index: RollupIndex,
    snapshot: Snapshot,
    period: Period,
    as_of: dt.date,
    fields: _QuotaFields,
) -> tuple[list[int], int]:
    """Each unit's own packed row, and at least the sum of the quotas' actuals in them.

    The statuses are read once, in the store's order (oldest first), each added to its unit's
    row as it comes; the one that counts for a task is :func:`latest_statuses`'s: a record of
    this period replaces any before it, a record of an earlier period of the year counts
    only when the task is done and does not recur, and only when no record of this period or
    of a later earlier period counts (what it added is taken back when one replaces it).
    Reading them once, not into per-unit dicts and then again, is a third of the roll-up less:
    141k statuses nationally, each in its own place in memory.
    """
    terms = [_terms(shape, period, as_of, fields) for shape in index.shapes]
    shape_of, position = index.shape_of, index.position
    rows = [terms[s].base for s in shape_of]
    stride = index.stride
    actuals = 0
    done = TaskState.HOAN_THANH
    this = period.key
    mine = _PERIOD_ORDER[period.kind.value]
    ranks = _Ranks(period)  # each distinct period string's rank (period_rank), once
    # What the status that counts for a task added to its unit's row, by unit position ×
    # stride + task position; and of those, the ones of an earlier period, by their rank.
    added: dict[int, int] = {}
    earlier: dict[int, int] = {}
    last_uid: str | None = None
    at = -1
    tasks: dict[str, tuple[int, dt.date, int, int, int, bool]] | None = None
    for status in snapshot.statuses:
        uid = status.unit_id
        if uid != last_uid:  # a unit's statuses come together: look it up once for them
            last_uid = uid
            found = position.get(uid)
            if found is None:
                tasks = None  # not rolled up here
            else:
                at, tasks = found, terms[shape_of[found]].tasks
        if tasks is None:
            continue
        known = tasks.get(status.task_id)
        if known is None:
            continue  # not a task the unit reports on
        state = status.state
        rank = mine
        key = status.period
        if key != this:
            ranked = ranks[key]
            if ranked is None:
                continue
            rank, this_period = ranked
            if not this_period and (state is not done or known[5]):
                continue  # undone, or recurring: needs a report of this period
        task_at, due, on_time, late, count_shift, _ = known
        change = 0
        if state is done:
            done_on = status.done_on
            change = on_time if done_on is None or done_on <= due else late
        if count_shift:
            count = status.count
            if count:
                change += count << count_shift
                actuals += count
        slot = at * stride + task_at
        before = added.get(slot)
        if before is not None:
            if rank == mine:
                earlier.pop(slot, None)
            elif slot not in earlier or earlier[slot] > rank:
                continue  # a record of this period, or of a later one, counts instead
            rows[at] += change - before
        else:
            rows[at] += change
        added[slot] = change
        if rank != mine:
            earlier[slot] = rank
    for issue in {i.unit_id: i for i in snapshot.issues}.values():
        found = position.get(issue.unit_id)
        plan = None if found is None else terms[shape_of[found]].plan
        if found is None or plan is None:
            continue
        due, yearly, unissued = plan
        if yearly and issue.issued_on.year != period.year:
            continue  # last year's plan does not count for this year
        rows[found] += _PLANS[0 if issue.issued_on <= due else 1] - unissued
    for uid in set(snapshot.reported):
        found = position.get(uid)
        if found is not None and index.shapes[shape_of[found]].owes_report:
            rows[found] += _SUBMITTED - _MISSING
    return rows, actuals


_PERIOD_ORDER = {p: i for i, p in enumerate(("Q1", "6M", "9M", "Y"))}


_LEVEL_OF_KIND = {kind: kind.level.value for kind in UnitKind}
_DEPARTMENT_KINDS = frozenset(kind for kind in UnitKind if kind.is_department)


def check_sums(rollup: Rollup) -> list[str]:
    """Units whose subtree is not own + Σ children's subtrees (empty when consistent)."""
    children: dict[str, list[UnitRollup]] = {}
    for u in rollup.units:
        if u.parent_unit_id is not None:
            children.setdefault(u.parent_unit_id, []).append(u)
    bad = []
    for u in rollup.units:
        total = u.own
        for c in children.get(u.unit_id, []):
            total = total + c.subtree
        if total != u.subtree:
            bad.append(u.unit_id)
    return bad


#: The levels as operators name them (a slug such as ``phong-ban`` is for files and code).
LEVEL_LABELS: dict[str, str] = {
    Level.TRUNG_UONG.value: "Trung ương",
    Level.TINH.value: "Cấp tỉnh",
    Level.HUYEN.value: "Cấp huyện",
    Level.XA.value: "Cấp xã",
    Level.PHONG_BAN.value: "Phòng, ban",
}


def level_label(level: str) -> str:
    """ "Cấp huyện" for ``huyen``; an unknown slug as it is."""
    return LEVEL_LABELS.get(level, level)


def _behind(u: UnitRollup) -> tuple[float, int, int, int, str]:
    s = u.subtree
    share = s.open_overdue / s.tasks if s.tasks else 0.0
    return (-share, -s.open_overdue, -s.reports_missing, -s.plans_missing, u.unit_name)


def behind_first(rollup: Rollup) -> list[UnitRollup]:
    """The administrative units below the issuer, the furthest behind first.

    Measured on each unit's subtree (it and everything below it) by the share of tasks
    overdue, then by overdue tasks, reports and plans missing: a share, so a ward with most
    of its tasks overdue comes before the district that averages it with its good wards,
    and a manager reads the wards to call before the districts' totals.
    """
    top = rollup.units[0].unit_id if rollup.units else None
    units = [u for u in rollup.units if u.unit_id != top and u.level != Level.PHONG_BAN.value]
    return sorted(units, key=_behind)


def table_rows(rollup: Rollup, units: list[UnitRollup]) -> list[dict[str, object]]:
    """Rows of the roll-up table operators read (the UI's artifact), with Vietnamese headers."""
    names = {u.unit_id: u.unit_name for u in rollup.units}
    rows: list[dict[str, object]] = []
    for u in units:
        s = u.subtree
        rows.append(
            {
                "Đơn vị": u.unit_name,
                "Cấp": level_label(u.level),
                "Trực thuộc": names.get(u.parent_unit_id or "", ""),
                "Nhiệm vụ": s.tasks,
                "Hoàn thành đúng hạn": s.done_on_time,
                "Hoàn thành quá hạn": s.done_late,
                "Đang thực hiện, trong hạn": s.open_on_time,
                "Quá hạn, chưa hoàn thành": s.open_overdue,
                "Tỷ lệ hoàn thành (%)": s.pct_done if s.pct_done is not None else "",
                "Chưa ban hành kế hoạch": s.plans_missing,
                "Báo cáo còn thiếu": s.reports_missing,
            }
        )
    return rows
