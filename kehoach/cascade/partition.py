"""Splitting a cascade into batches of whole subtrees, sized for a task.

A task per unit costs more than the unit's work (a Prefect task run ~6 ms, a draft ~2 ms), and
the hierarchy is wide at the bottom (a province has ~10 districts, 150 communes, 1,000
departments). So the cascade hands out *subtrees*: a batch is a list of units whose whole
subtree fits in about ``max_units``; a unit whose subtree is larger is drafted by the flow
itself and its children are handed out instead. Each batch can then be drafted depth-first
with only one subtree in memory, in another process.
"""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import BaseModel, ConfigDict

from hierarchy.graph import Hierarchy


class Partition(BaseModel):
    """``expanded``: drafted by the flow, top-down; ``batches``: lists of subtree roots."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    expanded: list[str]
    batches: list[list[str]]
    sizes: dict[str, int]

    @property
    def total(self) -> int:
        """How many drafts the cascade writes (every unit below the root in scope)."""
        return len(self.expanded) + sum(self.sizes[u] for batch in self.batches for u in batch)


def subtree_sizes(h: Hierarchy, root: str, scope: set[str] | None = None) -> dict[str, int]:
    """Units in each subtree below ``root`` (itself included), counting only ``scope``."""
    sizes: dict[str, int] = {}
    for level in reversed(h.levels(root)):
        for unit in level:
            if scope is not None and unit.id not in scope:
                continue
            sizes[unit.id] = 1 + sum(sizes.get(c.id, 0) for c in h.children(unit.id))
    return sizes


def partition(h: Hierarchy, root: str, max_units: int, scope: set[str] | None = None) -> Partition:
    """Batches of subtrees below ``root`` of at most ``max_units`` units each, where possible."""
    sizes = subtree_sizes(h, root, scope)
    expanded: list[str] = []
    subtrees: list[str] = []
    frontier = [root]
    while frontier:
        nxt = []
        for unit_id in frontier:
            for child in h.children(unit_id):
                if child.id not in sizes:
                    continue
                if sizes[child.id] > max_units and sizes[child.id] > 1:
                    expanded.append(child.id)
                    nxt.append(child.id)
                else:
                    subtrees.append(child.id)
        frontier = nxt
    batches: list[list[str]] = []
    current: list[str] = []
    filled = 0
    for unit_id in subtrees:
        if current and filled + sizes[unit_id] > max_units:
            batches.append(current)
            current, filled = [], 0
        current.append(unit_id)
        filled += sizes[unit_id]
    if current:
        batches.append(current)
    return Partition(expanded=expanded, batches=batches, sizes=sizes)


def slice_for(h: Hierarchy, roots: list[str]) -> Hierarchy:
    """The part of ``h`` a batch needs: the roots' subtrees, their ancestors (for folder names)
    and their parents' departments (for rewording). Small to send to another process."""
    nodes: set[str] = set()
    for root in roots:
        nodes |= {u.id for u in h.path(root)}
        nodes |= {u.id for level in h.levels(root) for u in level}
        parent = h.unit(root).parent
        if parent is not None:
            nodes |= {d.id for d in h.departments(parent)}
    return h.restricted(nodes)


def subtree_ids(h: Hierarchy, roots: list[str]) -> Iterator[str]:
    """Every unit id in the subtrees of ``roots`` (roots included)."""
    for root in roots:
        for level in h.levels(root):
            for unit in level:
                yield unit.id


#: About how many units one task drafts when there are enough to go round: ~10 s of drafting
#: here. A Prefect task run costs its worker 0.3–0.7 s before the task's code starts (a new
#: API client with its TLS context, the settings rebuilt from the flow's; measured with
#: py-spy on the national cascade), which with the journal's 400-unit batches as tasks was a
#: third of the drafting time.
TASK_UNITS = 3000


def task_groups(sizes: list[int], slots: int, most: int = TASK_UNITS) -> list[list[int]]:
    """The batches (by index, with ``sizes[i]`` units each) that each task drafts in turn.

    Consecutive batches are grouped into tasks of about equal size, of about ``most`` units,
    but never fewer tasks than two per slot, so no worker sits idle while the last ends. A
    batch stays what the journal records and a rerun skips; a group only saves task runs.
    """
    total = sum(sizes)
    count = min(len(sizes), max(2 * slots, -(-total // most)))
    groups: list[list[int]] = []
    filled = 0
    for i, size in enumerate(sizes):
        # A new group once this one holds its share of the units drafted so far.
        if not groups or filled * count >= len(groups) * total:
            groups.append([])
        groups[-1].append(i)
        filled += size
    return groups
