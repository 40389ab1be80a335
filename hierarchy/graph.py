"""The hierarchy: a validated tree of units, parent → child (a networkx DiGraph on demand).

Nothing here knows how many levels there are. A hierarchy is valid when it has one root, no
cycles, unique ids, every parent present, administrative units strictly below their parent's
level, no administrative unit under a department, and only known roles.
"""

from __future__ import annotations

import difflib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from hierarchy.units import Level, Unit, UnitKind, accent_free_key, name_key, nfc
from kehoach.io.errors import HierarchyError

if TYPE_CHECKING:
    # Imported where a graph is built: networkx takes longer to import than a national
    # hierarchy takes to load, and reading a hierarchy never needs it.
    import networkx as nx

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
    """A tree of :class:`Unit`; :attr:`graph` is it as a ``networkx.DiGraph``, parent → child.

    Build it with :meth:`from_units`, which validates. Children keep the order of the data.
    The tree is held as two dicts (units by id, children by parent id), which is all that
    reading it needs; the networkx graph is built on first use of :attr:`graph`. A national
    hierarchy (65k units) loads in a third of the time and memory without it.
    """

    def __init__(self, graph: nx.DiGraph, root: str, source: str) -> None:
        nodes = graph.nodes
        units: dict[str, Unit] = {n: nodes[n]["unit"] for n in graph}
        kids = {n: [units[c] for c in succ] for n, succ in graph.succ.items() if succ}
        self._setup(units, kids, root, source, graph)

    def _setup(
        self,
        units: dict[str, Unit],
        kids: dict[str, list[Unit]],
        root: str,
        source: str,
        graph: nx.DiGraph | None = None,
    ) -> None:
        self.root_id = root
        self.source = source
        # Units by id in data order, and the children of every unit that has any, in data
        # order. Neither is changed after construction: copies share the lists.
        self._units = units
        self._kids = kids
        self._graph = graph
        # Names to ids, built on the first lookup by name: a national hierarchy has ~65,000
        # units, and normalising every name on every call would cost a scan each time. Two
        # threads building it at once build the same index; the last one is kept.
        self._names: _NameIndex | None = None
        self._position: dict[str, int] | None = None  # data order, for restricted()
        # Each unit's children split into committees and departments, on first asking: the
        # cascade asks for them several times per task of every draft (a scan each time was
        # ~3 % of the time a profiler saw deriving and writing the Hà Nội drafts).
        self._split: dict[str, tuple[tuple[Unit, ...], tuple[Unit, ...]]] = {}

    @classmethod
    def _of(
        cls, units: dict[str, Unit], kids: dict[str, list[Unit]], root: str, source: str
    ) -> Hierarchy:
        """A hierarchy of already checked dicts, without a networkx graph until asked for."""
        h = cls.__new__(cls)
        h._setup(units, kids, root, source)
        return h

    @property
    def graph(self) -> nx.DiGraph:
        """The tree as a networkx DiGraph, parent → child, each node's unit as its ``unit``
        attribute. Built on first use (two threads may both build it; the last is kept)."""
        if self._graph is None:
            import networkx as nx

            graph: nx.DiGraph = nx.DiGraph()
            graph.add_nodes_from((uid, {"unit": u}) for uid, u in self._units.items())
            graph.add_edges_from((p, c.id) for p, below in self._kids.items() for c in below)
            self._graph = graph
        return self._graph

    @classmethod
    def from_units(
        cls,
        units: Sequence[Unit],
        *,
        source: str,
        known_roles: Iterable[str] | None = None,
        locations: Sequence[str] | None = None,
    ) -> Hierarchy:
        """Validate ``units`` and build the tree.

        ``locations[i]`` is where ``units[i]`` was read from ("file.yaml:12"), so an error
        points at the line; ``known_roles`` is the role catalogue departments must draw from.
        """
        where: dict[str, str] = {}

        def at(uid: str) -> str:
            return where.get(uid, source)

        by_id: dict[str, Unit] = {}
        for i, unit in enumerate(units):
            here = locations[i] if locations is not None else source
            if unit.id in by_id:
                raise HierarchyError(
                    f"duplicate unit id {unit.id!r} ({unit.name}); already used by "
                    f"{by_id[unit.id].name} at {at(unit.id)}",
                    where=here,
                )
            by_id[unit.id] = unit
            if locations is not None:
                where[unit.id] = here
        roots: list[str] = []
        kids: dict[str, list[Unit]] = {}
        roles = set(known_roles) if known_roles is not None else None
        for uid, unit in by_id.items():
            if unit.roles:
                if roles is not None:
                    unknown = [r for r in unit.roles if r not in roles]
                    if unknown:
                        raise HierarchyError(
                            f"unit {uid} ({unit.name}) has unknown role {unknown[0]!r}; "
                            f"known roles: {', '.join(sorted(roles))}",
                            where=at(uid),
                        )
                if not unit.is_department:
                    raise HierarchyError(
                        f"unit {uid} ({unit.name}) is a {unit.kind.value}, not a department, "
                        "and cannot have roles",
                        where=at(uid),
                    )
            if unit.parent is None:
                roots.append(uid)
                continue
            if unit.parent not in by_id:
                raise HierarchyError(
                    f"unit {uid} ({unit.name}) names parent {unit.parent!r}, which is not in "
                    "the hierarchy (orphan)",
                    where=at(uid),
                )
            siblings = kids.get(unit.parent)
            if siblings is None:
                kids[unit.parent] = [unit]
            else:
                siblings.append(unit)
        cls._check_shape(by_id, kids, roots, at)
        return cls._of(by_id, kids, roots[0], source)

    @staticmethod
    def _check_shape(
        units: dict[str, Unit],
        kids: dict[str, list[Unit]],
        roots: list[str],
        at: Callable[[str], str],
    ) -> None:
        if len(roots) > 1:
            names = ", ".join(f"{r} ({units[r].name})" for r in roots[:5])
            raise HierarchyError(
                f"{len(roots)} root units (units without a parent): {names}; "
                "a hierarchy has exactly one",
                where=at(roots[1]),
            )
        if not roots:
            if not units:
                raise HierarchyError("the hierarchy has no units")
            # Every unit has a parent, so there is a loop: the graph names the one it finds
            # first (only on this error path is the graph worth building).
            import networkx as nx

            graph: nx.DiGraph = nx.DiGraph()
            graph.add_nodes_from(units)
            graph.add_edges_from((p, u.id) for p, below in kids.items() for u in below)
            cycle = nx.find_cycle(graph)
            ids = " → ".join([str(e[0]) for e in cycle] + [str(cycle[0][0])])
            raise HierarchyError(f"cycle of parents: {ids}", where=at(str(cycle[0][0])))
        reached = {roots[0]}
        frontier = [roots[0]]
        while frontier:
            frontier = [c.id for uid in frontier for c in kids.get(uid, ())]
            reached.update(frontier)
        if len(reached) != len(units):
            # A unit not below the root sits on a loop of parents or hangs below one: walk up
            # its parents until one repeats, and name that loop.
            chain = [next(n for n in units if n not in reached)]
            while (up := units[chain[-1]].parent) not in chain:
                assert up is not None  # every unit not reached has a parent
                chain.append(up)
            loop = chain[chain.index(up) :]
            ids = " → ".join([*(str(u) for u in reversed(loop)), str(loop[-1])])
            raise HierarchyError(f"cycle of parents: {ids}", where=at(loop[0]))
        for parent_id, parent in units.items():  # the order networkx lists edges in
            below = kids.get(parent_id)
            if below is None:
                continue
            for child in below:
                child_id = child.id
                if parent.is_department:
                    # A department's task list is the end of a cascade: a unit below it would
                    # silently get no draft, so it is refused.
                    raise HierarchyError(
                        f"department {parent_id} ({parent.name}) has child {child_id} "
                        f"({child.name}); a department (sở, phòng, bộ phận) has no units "
                        "below it",
                        where=at(child_id),
                    )
                if child.is_department:
                    continue
                if _ADMIN_ORDER[child.level] <= _ADMIN_ORDER[parent.level]:
                    raise HierarchyError(
                        f"unit {child_id} ({child.name}, level {child.level.value}) cannot be "
                        f"under {parent_id} ({parent.name}, level {parent.level.value})",
                        where=at(child_id),
                    )

    # -- reading ---------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._units)

    def __contains__(self, unit_id: object) -> bool:
        try:
            return unit_id in self._units
        except TypeError:  # unhashable: not an id (networkx's answer too)
            return False

    def __iter__(self) -> Iterator[Unit]:
        """Units top-down, level by level (breadth first), children in data order."""
        for level in self.levels():
            yield from level

    @property
    def root(self) -> Unit:
        return self.unit(self.root_id)

    def unit(self, unit_id: str) -> Unit:
        try:
            unit = self._units[unit_id]
        except KeyError:
            raise HierarchyError(f"unknown unit {unit_id!r}", where=self.source) from None
        return unit

    def children(self, unit_id: str) -> list[Unit]:
        """The units directly below, in data order (a new list each call)."""
        known = self._kids.get(unit_id)
        if known is None:
            self.unit(unit_id)  # an unknown id is an error, not a unit without children
            return []
        return list(known)

    def _split_children(self, unit_id: str) -> tuple[tuple[Unit, ...], tuple[Unit, ...]]:
        split = self._split.get(unit_id)
        if split is None:
            kids = self.children(unit_id)
            admin = tuple(u for u in kids if not u.is_department)
            split = self._split[unit_id] = admin, tuple(u for u in kids if u.is_department)
        return split

    def admin_children(self, unit_id: str) -> list[Unit]:
        """The administrative units directly below (no departments; a new list each call)."""
        return list(self._split_children(unit_id)[0])

    def departments(self, unit_id: str) -> list[Unit]:
        """Sở / phòng / bộ phận directly under an administrative unit (a new list each call)."""
        return list(self._split_children(unit_id)[1])

    def parent(self, unit_id: str) -> Unit | None:
        """The unit above; None at the top, also at the top of a subtree (its parent is not
        in it), so code that reads a whole hierarchy reads a subtree too."""
        parent_id = self.unit(unit_id).parent
        if parent_id is None or parent_id not in self._units:
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
        kids = self._kids
        while frontier:
            out.append(frontier)
            frontier = [c for u in frontier for c in kids.get(u.id, ())]
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
        if typed in self._units:
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
        order = {uid: i for i, uid in enumerate(self._units)}
        groups = [sorted(ids, key=order.__getitem__) for ids in repeated]
        groups.sort(key=lambda ids: order[ids[0]])
        return [[self.unit(uid) for uid in ids] for ids in groups]

    def _name_index(self) -> _NameIndex:
        if self._names is None:
            self._names = _NameIndex.of(self._units.values())
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
        replaced = dict(self._units)
        for unit in units:
            if unit.parent != self.unit(unit.id).parent:
                raise HierarchyError(
                    f"unit {unit.id} ({unit.name}) cannot move to parent {unit.parent!r}",
                    where=self.source,
                )
            replaced[unit.id] = unit
        kids = {p: [replaced[c.id] for c in below] for p, below in self._kids.items()}
        return Hierarchy._of(replaced, kids, self.root_id, self.source)

    def subtree(self, unit_id: str) -> Hierarchy:
        """The hierarchy below ``unit_id``, which becomes the root."""
        keep = {u.id for level in self.levels(unit_id) for u in level}
        units = {uid: u for uid, u in self._units.items() if uid in keep}
        kids = {p: below for p, below in self._kids.items() if p in keep}
        return Hierarchy._of(units, kids, unit_id, self.source)

    def restricted(self, keep: set[str]) -> Hierarchy:
        """Only the units of ``keep`` (with the root among them) and the links between them,
        in data order: a batch's part of the tree, small enough to send to another process
        (:func:`kehoach.cascade.partition.slice_for`)."""
        if self._position is None:  # built once: a national cascade slices ~190 times
            self._position = {uid: i for i, uid in enumerate(self._units)}
        at = self._position
        units = {uid: self._units[uid] for uid in sorted(keep & at.keys(), key=at.__getitem__)}
        kids: dict[str, list[Unit]] = {}
        for p in units:
            if (below := self._kids.get(p)) and (mine := [c for c in below if c.id in keep]):
                kids[p] = mine
        return Hierarchy._of(units, kids, self.root_id, self.source)

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
