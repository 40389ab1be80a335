"""The hierarchy: a validated tree of units on a networkx DiGraph, parent → child.

Nothing here knows how many levels there are. A hierarchy is valid when it has one root, no
cycles, unique ids, every parent present, administrative units strictly below their parent's
level, no administrative unit under a department, and only known roles.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence

import networkx as nx
from pydantic import BaseModel, ConfigDict

from hierarchy.units import Level, Unit
from kehoach.io.errors import HierarchyError

_ADMIN_ORDER = {Level.TRUNG_UONG: 0, Level.TINH: 1, Level.HUYEN: 2, Level.XA: 3}


class HierarchyStats(BaseModel):
    """Unit counts of a hierarchy, per level (cấp) and per kind (loại)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: str
    root: str
    total: int
    depth: int
    by_level: dict[str, int]
    by_kind: dict[str, int]


class Hierarchy:
    """A tree of :class:`Unit` on ``networkx.DiGraph``; edges go parent → child.

    Build it with :meth:`from_units`, which validates. Children keep the order of the data.
    """

    def __init__(self, graph: nx.DiGraph, root: str, source: str) -> None:
        self.graph = graph
        self.root_id = root
        self.source = source
        # Children per unit, built on first use: derivation asks for a unit's departments
        # once per task, and networkx's successor walk costs more than the lookup.
        self._children: dict[str, list[Unit]] = {}

    @classmethod
    def from_units(
        cls,
        units: Sequence[Unit],
        *,
        source: str,
        known_roles: Iterable[str] | None = None,
        locations: Sequence[str] | None = None,
    ) -> Hierarchy:
        """Validate ``units`` and build the graph.

        ``locations[i]`` is where ``units[i]`` was read from ("file.yaml:12"), so an error
        points at the line; ``known_roles`` is the role catalogue departments must draw from.
        """
        where: dict[str, str] = {}

        def at(uid: str) -> str:
            return where.get(uid, source)

        graph: nx.DiGraph = nx.DiGraph()
        for i, unit in enumerate(units):
            here = locations[i] if locations is not None else source
            if unit.id in graph:
                raise HierarchyError(
                    f"duplicate unit id {unit.id!r} ({unit.name}); already used by "
                    f"{graph.nodes[unit.id]['unit'].name} at {at(unit.id)}",
                    where=here,
                )
            graph.add_node(unit.id, unit=unit)
            where[unit.id] = here
        roots: list[str] = []
        roles = set(known_roles) if known_roles is not None else None
        for uid, data in graph.nodes(data=True):
            unit = data["unit"]
            if roles is not None:
                unknown = [r for r in unit.roles if r not in roles]
                if unknown:
                    raise HierarchyError(
                        f"unit {uid} ({unit.name}) has unknown role {unknown[0]!r}; "
                        f"known roles: {', '.join(sorted(roles))}",
                        where=at(uid),
                    )
            if unit.roles and not unit.is_department:
                raise HierarchyError(
                    f"unit {uid} ({unit.name}) is a {unit.kind.value}, not a department, "
                    "and cannot have roles",
                    where=at(uid),
                )
            if unit.parent is None:
                roots.append(uid)
                continue
            if unit.parent not in graph:
                raise HierarchyError(
                    f"unit {uid} ({unit.name}) names parent {unit.parent!r}, which is not in "
                    "the hierarchy (orphan)",
                    where=at(uid),
                )
            graph.add_edge(unit.parent, uid)
        cls._check_shape(graph, roots, at)
        return cls(graph, roots[0], source)

    @staticmethod
    def _check_shape(graph: nx.DiGraph, roots: list[str], at: Callable[[str], str]) -> None:
        if len(roots) > 1:
            names = ", ".join(f"{r} ({graph.nodes[r]['unit'].name})" for r in roots[:5])
            raise HierarchyError(
                f"{len(roots)} root units (units without a parent): {names}; "
                "a hierarchy has exactly one",
                where=at(roots[1]),
            )
        if not roots:
            cycle = nx.find_cycle(graph) if graph.number_of_nodes() else []
            if not cycle:
                raise HierarchyError("the hierarchy has no units")
            ids = " → ".join([str(e[0]) for e in cycle] + [str(cycle[0][0])])
            raise HierarchyError(f"cycle of parents: {ids}", where=at(str(cycle[0][0])))
        reached = nx.descendants(graph, roots[0]) | {roots[0]}
        if len(reached) != graph.number_of_nodes():
            # A unit not below the root sits on a loop of parents or hangs below one: walk up
            # its parents until one repeats, and name that loop.
            chain = [next(n for n in graph if n not in reached)]
            while (up := graph.nodes[chain[-1]]["unit"].parent) not in chain:
                chain.append(up)
            loop = chain[chain.index(up) :]
            ids = " → ".join([*(str(u) for u in reversed(loop)), str(loop[-1])])
            raise HierarchyError(f"cycle of parents: {ids}", where=at(loop[0]))
        for parent_id, child_id in graph.edges:
            parent: Unit = graph.nodes[parent_id]["unit"]
            child: Unit = graph.nodes[child_id]["unit"]
            if parent.is_department:
                # A department's task list is the end of a cascade: a unit below it would
                # silently get no draft, so it is refused.
                raise HierarchyError(
                    f"department {parent_id} ({parent.name}) has child {child_id} "
                    f"({child.name}); a department (sở, phòng, bộ phận) has no units below it",
                    where=at(child_id),
                )
            if child.is_department:
                continue
            if _ADMIN_ORDER[child.level] <= _ADMIN_ORDER[parent.level]:
                raise HierarchyError(
                    f"unit {child_id} ({child.name}, level {child.level.value}) cannot be under "
                    f"{parent_id} ({parent.name}, level {parent.level.value})",
                    where=at(child_id),
                )

    # -- reading ---------------------------------------------------------------------------

    def __len__(self) -> int:
        return int(self.graph.number_of_nodes())

    def __contains__(self, unit_id: object) -> bool:
        return unit_id in self.graph

    def __iter__(self) -> Iterator[Unit]:
        """Units top-down, level by level (breadth first), children in data order."""
        for level in self.levels():
            yield from level

    @property
    def root(self) -> Unit:
        return self.unit(self.root_id)

    def unit(self, unit_id: str) -> Unit:
        try:
            unit: Unit = self.graph.nodes[unit_id]["unit"]
        except KeyError:
            raise HierarchyError(f"unknown unit {unit_id!r}", where=self.source) from None
        return unit

    def children(self, unit_id: str) -> list[Unit]:
        """The units directly below, in data order (a new list each call)."""
        known = self._children.get(unit_id)
        if known is None:
            nodes = self.graph.nodes
            known = self._children[unit_id] = [
                nodes[c]["unit"] for c in self.graph.successors(unit_id)
            ]
        return list(known)

    def admin_children(self, unit_id: str) -> list[Unit]:
        """The administrative units directly below (no departments)."""
        return [u for u in self.children(unit_id) if not u.is_department]

    def departments(self, unit_id: str) -> list[Unit]:
        """Sở / phòng / bộ phận directly under an administrative unit."""
        return [u for u in self.children(unit_id) if u.is_department]

    def parent(self, unit_id: str) -> Unit | None:
        parent_id = self.unit(unit_id).parent
        return self.unit(parent_id) if parent_id is not None else None

    def path(self, unit_id: str) -> list[Unit]:
        """Units from the root down to ``unit_id`` inclusive."""
        chain = [self.unit(unit_id)]
        while chain[-1].parent is not None:
            chain.append(self.unit(chain[-1].parent))
        return chain[::-1]

    def levels(self, start: str | None = None) -> list[list[Unit]]:
        """Units grouped by depth below ``start`` (the root by default), top first."""
        frontier = [self.unit(start or self.root_id)]
        out: list[list[Unit]] = []
        while frontier:
            out.append(frontier)
            frontier = [c for u in frontier for c in self.children(u.id)]
        return out

    def find(self, key: str) -> Unit:
        """A unit by id, or by exact name if that name is unique ("Phường Yên Sở")."""
        if key in self.graph:
            return self.unit(key)
        matches = [u for u in self if u.name.casefold() == key.strip().casefold()]
        if len(matches) == 1:
            return matches[0]
        if matches:
            ids = ", ".join(f"{u.id} (under {u.parent})" for u in matches[:5])
            raise HierarchyError(f"{len(matches)} units are named {key!r}: {ids}; use the id")
        raise HierarchyError(f"no unit with id or name {key!r}", where=self.source)

    def subtree(self, unit_id: str) -> Hierarchy:
        """The hierarchy below ``unit_id``, which becomes the root."""
        nodes = nx.descendants(self.graph, unit_id) | {unit_id}
        return Hierarchy(self.graph.subgraph(nodes).copy(), unit_id, self.source)

    def stats(self) -> HierarchyStats:
        units = list(self)
        return HierarchyStats(
            source=self.source,
            root=self.root_id,
            total=len(units),
            depth=len(self.levels()),
            by_level=dict(sorted(Counter(u.level.value for u in units).items())),
            by_kind=dict(sorted(Counter(u.kind.value for u in units).items())),
        )
