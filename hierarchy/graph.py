"""The hierarchy: a validated tree of units on a networkx DiGraph, parent → child.

Nothing here knows how many levels there are. A hierarchy is valid when it has one root, no
cycles, unique ids, every parent present, administrative units strictly below their parent's
level, no administrative unit under a department, and only known roles.
"""

from __future__ import annotations

import difflib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

import networkx as nx
from pydantic import BaseModel, ConfigDict

from hierarchy.units import Level, Unit, UnitKind, accent_free_key, name_key, nfc
from kehoach.io.errors import HierarchyError

_ADMIN_ORDER = {Level.TRUNG_UONG: 0, Level.TINH: 1, Level.HUYEN: 2, Level.XA: 3}


def _rank(unit: Unit) -> int:
    """Where a unit's level sits top-down, departments below every administrative level."""
    return _ADMIN_ORDER.get(unit.level, len(_ADMIN_ORDER))


class HierarchyStats(BaseModel):
    """Unit counts of a hierarchy, per level (cấp) and per kind (loại)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: str
    root: str
    total: int
    depth: int
    by_level: dict[str, int]
    by_kind: dict[str, int]


@dataclass(frozen=True)
class _Way:
    """One way a typed name can match a unit, and how an ambiguous match is explained."""

    key: Callable[[str], str]
    short: bool  # match the name without its kind word ("Yên Sở")
    how: str  # after "N units are named 'x'"
    remedy: str  # after "; use "


# Tried in order; the first way that matches anything decides (one unit, or ambiguous).
_WAYS = (
    _Way(name_key, short=False, how="", remedy="the id"),
    _Way(accent_free_key, short=False, how=" (ignoring accents)", remedy="the id"),
    _Way(name_key, short=True, how=" (without their kind word)", remedy="the full name or the id"),
    _Way(
        accent_free_key,
        short=True,
        how=" (without their kind word, ignoring accents)",
        remedy="the full name or the id",
    ),
)


@dataclass(frozen=True)
class _NameIndex:
    """Unit ids by name key, one mapping per way of matching (:data:`_WAYS`).

    ``suggestions`` maps every accent-free key (full and short names) to its units, for
    "did you mean" when nothing matches.
    """

    ways: tuple[dict[str, tuple[str, ...]], ...]
    suggestions: dict[str, tuple[str, ...]]

    @classmethod
    def of(cls, units: Iterable[Unit]) -> _NameIndex:
        # Departments repeat a few names thousands of times ("Bộ phận Một cửa"): each distinct
        # name (and kind, which decides the short name) is normalised once, not once per unit.
        alike: defaultdict[tuple[str, UnitKind], list[Unit]] = defaultdict(list)
        for unit in units:
            alike[unit.name, unit.kind].append(unit)
        ways: list[defaultdict[str, list[str]]] = [defaultdict(list) for _ in _WAYS]
        suggestions: defaultdict[str, list[str]] = defaultdict(list)
        for group in alike.values():
            full, short = group[0].name, group[0].short_name
            ids = [u.id for u in group]
            for way, by_key in zip(_WAYS, ways, strict=True):
                by_key[way.key(short if way.short else full)].extend(ids)
            for name in {accent_free_key(full), accent_free_key(short)}:
                suggestions[name].extend(ids)
        return cls(
            ways=tuple({k: tuple(v) for k, v in by_key.items()} for by_key in ways),
            suggestions={k: tuple(v) for k, v in suggestions.items()},
        )


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
        # Names to ids, built on the first lookup by name: a national hierarchy has ~65,000
        # units, and normalising every name on every call would cost a scan each time. Two
        # threads building it at once build the same index; the last one is kept.
        self._names: _NameIndex | None = None

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
        """The unit above; None at the top, also at the top of a subtree (its parent is not
        in it), so code that reads a whole hierarchy reads a subtree too."""
        parent_id = self.unit(unit_id).parent
        if parent_id is None or parent_id not in self.graph:
            return None
        return self.unit(parent_id)

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
        """A unit by id or by name, as a clerk types it.

        ``key`` is normalised (NFC, surrounding and repeated spaces) and tried, in order, as:
        an id ("00340"); the full name, ignoring case and where the tone mark sits ("phường
        yên sở", "Xã Điện Hoà" for "Xã Điện Hòa"); the full name ignoring accents too, with
        "đ" as "d" ("Phuong Yen So"); the name without its kind word ("Hoàng Mai", then
        "Hoang Mai"). The first of these that matches anything decides, so a name typed with
        its accents finds that unit even when another differs from it only by accents, and a
        full name wins over a short one. A short name is accepted only when it is unambiguous:
        "Long Biên" is both Quận and Phường Long Biên in Hà Nội, "Yên Sở" both Phường Yên Sở
        (Hoàng Mai) and Xã Yên Sở (Hoài Đức); guessing would cascade to the wrong unit.

        Raises :class:`HierarchyError` naming the candidates (id, and the parent's name) when
        several units match, or suggesting the closest name when none does.
        """
        typed = nfc(key).strip()
        if typed in self.graph:
            return self.unit(typed)
        index = self._name_index()
        for way, ids in zip(_WAYS, index.ways, strict=True):
            found = ids.get(way.key(typed), ())
            if len(found) == 1:
                return self.unit(found[0])
            if found:
                raise HierarchyError(
                    f"{len(found)} units are named {typed!r}{way.how}: "
                    f"{self._candidates(found, typed)}; use {way.remedy}",
                    where=self.source,
                )
        raise HierarchyError(
            f"no unit with id or name {typed!r}{self._suggestion(typed, index)}",
            where=self.source,
        )

    def sibling_duplicates(self) -> list[list[Unit]]:
        """Groups of two or more units under one parent with the same name (NFC, casefolded).

        The hierarchy is still valid (ids tell them apart), but looking either up by name is
        ambiguous and their drafts carry the same heading, so ``hierarchy check`` warns. Units
        and groups are in the order of the data.
        """
        by_parent: defaultdict[tuple[str | None, str], list[str]] = defaultdict(list)
        for key, ids in self._name_index().ways[0].items():
            if len(ids) > 1:  # most names are unique: only the repeated ones are looked at
                for uid in ids:
                    by_parent[self.unit(uid).parent, key].append(uid)
        repeated = [ids for ids in by_parent.values() if len(ids) > 1]
        if not repeated:
            return []
        order = {uid: i for i, uid in enumerate(self.graph)}
        groups = [sorted(ids, key=order.__getitem__) for ids in repeated]
        groups.sort(key=lambda ids: order[ids[0]])
        return [[self.unit(uid) for uid in ids] for ids in groups]

    def _name_index(self) -> _NameIndex:
        if self._names is None:
            nodes = self.graph.nodes
            self._names = _NameIndex.of(nodes[n]["unit"] for n in nodes)
        return self._names

    def _under(self, unit: Unit) -> str:
        return f"under {self.unit(unit.parent).name}" if unit.parent is not None else "the root"

    def _candidates(self, ids: Sequence[str], typed: str, shown: int = 5) -> str:
        """ "00xxx (under Quận Hà Đông), …": the name too where it is not what was typed.

        Higher levels first (a province before a commune of the same name), departments last.
        """
        units = sorted((self.unit(uid) for uid in ids), key=_rank)
        parts = []
        for unit in units[:shown]:
            uid = unit.id
            name = "" if name_key(unit.name) == name_key(typed) else f" {unit.name}"
            parts.append(f"{uid}{name} ({self._under(unit)})")
        more = f" and {len(ids) - shown} more" if len(ids) > shown else ""
        return ", ".join(parts) + more

    def _suggestion(self, typed: str, index: _NameIndex) -> str:
        """ "; did you mean Phường Yên Sở (00340)?", or "" when no name is close."""
        close = difflib.get_close_matches(
            accent_free_key(typed), index.suggestions, n=1, cutoff=0.8
        )
        if not close:
            return ""
        units = [self.unit(uid) for uid in index.suggestions[close[0]][:3]]
        if len(units) == 1:
            return f"; did you mean {units[0].name} ({units[0].id})?"
        named = [f"{u.name} ({u.id}, {self._under(u)})" for u in units]
        return f"; did you mean {' or '.join(named)}?"

    def with_units(self, units: Iterable[Unit]) -> Hierarchy:
        """A copy in which ``units`` replace the units of the same id; this one is unchanged.

        Only what a unit says changes (its signer, its name …), never where it sits: a unit
        whose parent differs is refused, as the tree would no longer match its edges.
        """
        graph = self.graph.copy()  # new attribute dicts: replacing a unit leaves self alone
        for unit in units:
            if unit.parent != self.unit(unit.id).parent:
                raise HierarchyError(
                    f"unit {unit.id} ({unit.name}) cannot move to parent {unit.parent!r}",
                    where=self.source,
                )
            graph.nodes[unit.id]["unit"] = unit
        return Hierarchy(graph, self.root_id, self.source)

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
