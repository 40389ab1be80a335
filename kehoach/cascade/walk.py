"""The one walk over the hierarchy that every use of the cascade rules goes through.

Deriving drafts for a batch of subtrees, drafting the top of the tree in the flow, checking
every role a task needs before anything is written, and listing every unit's plan for a
roll-up are the same walk: depth-first below some starting units, each child derived from its
parent's result, only into the units the run is about (its *scope*). It is written once here,
with what is derived at each step as a parameter, so the four cannot drift apart.

Depth-first with an explicit stack holds only the results on the current path, so memory
stays flat however wide the tree; the units of each depth still come out in the order a
level-by-level walk gives (both follow the data's order of children).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from typing import TypeVar

from hierarchy.graph import Hierarchy
from hierarchy.units import Level, Unit
from kehoach.cascade.issued import IssuedPlan, derived_from
from kehoach.cascade.rules import (
    CascadeError,
    CascadeSettings,
    Draft,
    child_draft,
    derive_tasks,
    issuer_unit,
    resolve_issuer_plan,
    wanted,
)
from kehoach.plan.model import Plan, Task

C = TypeVar("C")  # what a unit hands to its children
R = TypeVar("R")  # what the walk yields for a unit


def walk(
    h: Hierarchy,
    starts: Iterable[tuple[Unit, C, Unit]],
    step: Callable[[C, Unit, Unit], tuple[R, C]],
    admit: Callable[[Unit], bool],
) -> Iterator[R]:
    """Derive every admitted unit from each ``(parent, parent's carry, unit)`` of ``starts``
    downwards: ``step(carry, parent, unit)`` gives the unit's result and its own carry.

    A unit is derived only if ``admit(unit)``, and so are the units below it; departments
    end a branch (nothing is below them).
    """
    stack = list(reversed(list(starts)))
    while stack:
        parent, carry, unit = stack.pop()
        result, passed = step(carry, parent, unit)
        yield result
        if unit.is_department:
            continue
        for child in reversed(h.children(unit.id)):
            if admit(child):
                stack.append((unit, passed, child))


def scope(
    h: Hierarchy, root: Unit, start: str | None, settings: CascadeSettings
) -> set[str] | None:
    """The units a cascade from ``root`` drafts; None when it is every unit below ``root``.

    With ``start`` (a unit id or name, found as people type it): the units on the way from
    ``root`` down to it, and its whole subtree. ``settings.to_level`` then keeps only the
    levels asked for.
    """
    keep: set[str] | None = None
    if start is not None:
        target = h.find(start)
        chain = [u.id for u in h.path(target.id)]
        if root.id not in chain:
            raise CascadeError(
                f"{target.name} ({target.id}) is not below the plan's issuer "
                f"{root.name} ({root.id})"
            )
        keep = set(chain[chain.index(root.id) :])
        keep |= {u.id for level in h.levels(target.id) for u in level}
    if settings.to_level is not None:
        units = h if keep is None else (h.unit(i) for i in keep)
        keep = {u.id for u in units if u.id == root.id or wanted(u, settings)}
    return keep


def admits(scope_ids: set[str] | None, settings: CascadeSettings) -> Callable[[Unit], bool]:
    """Whether a unit is one the cascade drafts: in scope and at a level asked for."""
    if scope_ids is None:
        return lambda unit: wanted(unit, settings)
    return lambda unit: unit.id in scope_ids and wanted(unit, settings)


def drafts_below(
    h: Hierarchy,
    starts: Iterable[tuple[Unit, Plan, Unit]],
    settings: CascadeSettings,
    admit: Callable[[Unit], bool],
    issued: Mapping[str, IssuedPlan] | None = None,
) -> Iterator[Draft]:
    """Every draft below ``starts`` (parent, parent's plan, unit), depth-first.

    ``issued`` holds the plans units issued, by unit: a unit's children implement its issued
    plan (its number and date cited, its edits carried down) instead of its draft.
    """
    issued = issued or {}

    def step(plan: Plan, parent: Unit, unit: Unit) -> tuple[Draft, Plan]:
        source, origin = derived_from(plan, parent.id, issued)
        draft = child_draft(source, parent, unit, h, settings)
        return draft.model_copy(update={"derived_from": origin}), draft.plan

    return walk(h, starts, step, admit)


def _top(plan: Plan, h: Hierarchy) -> tuple[Unit, Plan, list[tuple[Unit, Plan, Unit]]]:
    root = issuer_unit(plan, h)
    resolved = resolve_issuer_plan(plan, root, h)
    return root, resolved, [(root, resolved, child) for child in h.children(root.id)]


def check_assignments(
    plan: Plan,
    h: Hierarchy,
    settings: CascadeSettings,
    scope_ids: set[str] | None = None,
    issued: Mapping[str, IssuedPlan] | None = None,
) -> int:
    """Raise :class:`CascadeError` if any unit in scope lacks a department a task needs.

    A cascade runs this before it writes anything, so a hierarchy that cannot carry the plan
    fails with one error and no half-written folder. It derives only the annexes of
    administrative units (the one step that resolves roles), through the same walk and rules
    the drafts use, and each *shape* of unit once: whether a task finds its department
    depends on the tasks, the unit's level, the levels below it, whether it has committees
    below and its departments' roles, never on names. Units of one shape under parents of one
    shape (most wards of a province) are checked by the first of them, which is also the one
    the error would name. Returns how many units were checked.
    """
    root, resolved, _ = _top(plan, h)
    in_scope = admits(scope_ids, settings)
    below = _levels_below_each(h, root.id)
    by_shape: dict[Hashable, tuple[Task, ...]] = {}
    Carry = tuple[tuple[Task, ...], Hashable]

    def step(carry: Carry, parent: Unit, unit: Unit) -> tuple[None, Carry]:
        tasks, parent_shape = carry
        shape = (
            parent_shape,
            unit.level,
            below[unit.id],
            bool(h.admin_children(unit.id)),
            tuple(d.roles for d in h.departments(unit.id)),
        )
        if shape not in by_shape:
            by_shape[shape] = derive_tasks(tasks, parent, unit, h, settings)
        return None, (by_shape[shape], shape)

    top: Carry = (resolved.tasks, root.level)
    starts = [(root, top, c) for c in h.admin_children(root.id) if in_scope(c)]
    admin = walk(h, starts, step, lambda u: not u.is_department and in_scope(u))
    return sum(1 for _ in admin)


def _levels_below_each(h: Hierarchy, root: str) -> dict[str, frozenset[Level]]:
    """For every unit below ``root``, the levels of the units below it, in one bottom-up pass."""
    out: dict[str, frozenset[Level]] = {}
    for level in reversed(h.levels(root)):
        for unit in level:
            found: set[Level] = set()
            for child in h.children(unit.id):
                found.add(child.level)
                found |= out[child.id]
            out[unit.id] = frozenset(found)
    return out


def cascade(
    plan: Plan,
    h: Hierarchy,
    settings: CascadeSettings | None = None,
    start: str | None = None,
    issued: Mapping[str, IssuedPlan] | None = None,
) -> Iterator[list[Draft]]:
    """Drafts level by level below the plan's issuer, top first (what tests and small tools
    read; a real run drafts batches of subtrees, :mod:`kehoach.cascade.run`).

    With ``start`` (a unit below the issuer), only the units on the way to it and its subtree
    are drafted. Each yielded list is one level; a level's drafts are the parents of the next.
    Below a unit in ``issued``, the drafts implement its issued plan.
    """
    settings = settings or CascadeSettings()
    root, _, starts = _top(plan, h)
    admit = admits(scope(h, root, start, settings), settings)
    depth = {root.id: 0}
    levels: list[list[Draft]] = []
    issued = {k: v for k, v in (issued or {}).items() if k != root.id}
    for draft in drafts_below(h, [s for s in starts if admit(s[2])], settings, admit, issued):
        d = depth[draft.unit.id] = depth[draft.parent_unit_id or root.id] + 1
        while len(levels) < d:
            levels.append([])
        levels[d - 1].append(draft)
    yield from levels


def plans_by_unit(
    plan: Plan,
    h: Hierarchy,
    settings: CascadeSettings | None = None,
    issued: Mapping[str, IssuedPlan] | None = None,
) -> dict[str, Plan]:
    """The issuer's plan and every draft below it, by unit id (what a roll-up measures);
    with ``issued``, a unit that issued its plan has it instead of its draft, and the units
    below it their drafts from it."""
    settings = settings or CascadeSettings()
    root, resolved, starts = _top(plan, h)
    plans = {root.id: resolved}
    admit = admits(None, settings)
    issued = {k: v for k, v in (issued or {}).items() if k != root.id}
    for draft in drafts_below(h, [s for s in starts if admit(s[2])], settings, admit, issued):
        mine = issued.get(draft.unit.id)
        plans[draft.unit.id] = draft.plan if mine is None else mine.plan
    return plans
