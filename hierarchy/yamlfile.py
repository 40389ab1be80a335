"""A hierarchy an operator writes by hand, as YAML.

One flat list of units, each naming its parent by id; this is also the shape a spreadsheet
export has, and it lets validation say exactly which line closes a cycle or names a missing
parent. Only ``id``, ``name``, ``kind`` and ``parent`` are required: the issuing body, place
and signer default to what a People's Committee (or its department) prints.

    name: Phường Yên Sở (ví dụ)
    departments: rules-2024        # generate departments; or rules-2025, none, or a file
    units:
      - {id: "008", name: Quận Hoàng Mai, kind: quan}
      - {id: "00340", name: Phường Yên Sở, kind: phuong, parent: "008"}
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from hierarchy.departments import RuleSet, load_rule_set
from hierarchy.units import IssuingBody, Signer, Unit, UnitKind, committee_defaults, upper_vi
from kehoach.io.errors import HierarchyError
from kehoach.io.reading import LINE_KEY, describe_validation_error, load_yaml, strip_lines

_DEPARTMENT_TITLE = {
    UnitKind.SO: "GIÁM ĐỐC",
    UnitKind.PHONG: "TRƯỞNG PHÒNG",
    UnitKind.BO_PHAN: "PHỤ TRÁCH BỘ PHẬN",
    UnitKind.VAN_PHONG: "CHÁNH VĂN PHÒNG",
    UnitKind.TRUNG_TAM: "GIÁM ĐỐC",
}


class UnitEntry(BaseModel):
    """One unit as written in the file; omitted fields take the defaults of its kind."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    name: str
    kind: UnitKind
    parent: str | None = None
    place: str | None = None
    issuing_body: IssuingBody | None = None
    signer: Signer | None = None
    symbol: str | None = None
    roles: tuple[str, ...] = ()


class HierarchyFile(BaseModel):
    """The whole file: a name, which department rules to apply, and the units."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str | None = None
    departments: str = Field(default="none", description="rules-2024, rules-2025, none, or a file")
    units: tuple[UnitEntry, ...] = Field(min_length=1)

    @field_validator("departments")
    @classmethod
    def _printable(cls, value: str) -> str:
        # The value may be a file name: a NUL in it would fail inside the OS call, untyped.
        bad = next((c for c in value if unicodedata.category(c) == "Cc"), None)
        if bad is not None:
            raise ValueError(f"contains the control character U+{ord(bad):04X}; retype it")
        return value


def _complete(entry: UnitEntry, parent: Unit | None) -> Unit:
    """Fill in the defaults of an entry, given its already-built parent (if any)."""
    if entry.kind.is_department:
        parent_name = upper_vi(parent.name) if parent is not None else None
        base: dict[str, Any] = {
            "place": parent.place if parent is not None else entry.name,
            "issuing_body": IssuingBody(
                superior=f"UBND {parent_name}" if parent_name else None,
                lines=(upper_vi(entry.name),),
            ),
            "signer": Signer(title=_DEPARTMENT_TITLE.get(entry.kind, "TRƯỞNG PHÒNG")),
        }
    else:
        base = committee_defaults(entry.id, entry.name, entry.kind).model_dump(
            include={"place", "issuing_body", "signer"}
        )
    given = entry.model_dump(exclude_none=True, exclude_defaults=True)
    return Unit.model_validate({**base, **given, "id": entry.id, "kind": entry.kind})


def _build(entry: UnitEntry, parent: Unit | None, where: str) -> Unit:
    try:
        return _complete(entry, parent)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"])
        raise HierarchyError(f"unit {entry.id}: {field}: {err['msg']}", where=where) from None


def load_hierarchy_file(path: Path) -> tuple[list[Unit], list[str], RuleSet | None]:
    """Units of a hierarchy file (parents completed first), their locations, and rules."""
    raw = load_yaml(path)
    if not isinstance(raw, dict):
        raise HierarchyError("a hierarchy file is a mapping with a 'units' list", where=path)
    try:
        doc = HierarchyFile.model_validate(strip_lines(raw))
    except ValidationError as exc:
        where, what = describe_validation_error(exc, raw, path)
        raise HierarchyError(what, where=where) from None
    lines = [f"{path}:{item.get(LINE_KEY, '?')}" for item in raw["units"]]
    # Administrative units need nothing from their parent; departments take their parent's
    # name and place. Build in sweeps so a file may list units in any order, without
    # recursion; whatever is left (orphans, cycles) is built bare and rejected by validation.
    units: list[Unit | None] = [None] * len(doc.units)
    first: dict[str, Unit] = {}
    pending = list(range(len(doc.units)))
    while pending:
        left = []
        for i in pending:
            entry = doc.units[i]
            parent = first.get(entry.parent) if entry.parent else None
            if entry.kind.is_department and entry.parent and parent is None:
                left.append(i)
                continue
            unit = units[i] = _build(entry, parent, lines[i])
            first.setdefault(entry.id, unit)
        if len(left) == len(pending):
            for i in left:
                units[i] = _build(doc.units[i], None, lines[i])
            break
        pending = left
    _refuse_parent_loops(doc.units, lines)  # after building, so every id is a valid one
    rules = None
    if doc.departments != "none":
        target = doc.departments
        if target.endswith((".yaml", ".yml")):
            try:
                target = str((path.parent / target).resolve())
            except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop
                raise HierarchyError(
                    f"departments: cannot find the rule set file {target!r}: {exc}", where=path
                ) from None
        rules = load_rule_set(target)
    return [u for u in units if u is not None], lines, rules


def _refuse_parent_loops(entries: Sequence[UnitEntry], lines: Sequence[str]) -> None:
    """Refuse units whose chain of parents loops, naming the line of a unit on the loop.

    The graph finds loops too, but searches for one from a unit it cannot reach from the
    root by following *children*, and a unit merely hanging below a loop has none (it
    failed with networkx's NetworkXNoCycle). Following parents always ends at the root, at
    a missing parent (the graph names that orphan) or on the loop.
    """
    parent_of: dict[str, str | None] = {}
    line_of: dict[str, str] = {}
    for entry, line in zip(entries, lines, strict=True):
        parent_of.setdefault(entry.id, entry.parent)  # a duplicate id is the graph's error
        line_of.setdefault(entry.id, line)
    checked: set[str] = set()
    for start in parent_of:
        chain: list[str] = []
        node: str | None = start
        while node is not None and node in parent_of and node not in checked:
            if node in chain:
                loop = chain[chain.index(node) :]
                ids = " → ".join([*loop, node])
                raise HierarchyError(f"cycle of parents: {ids}", where=line_of[node])
            chain.append(node)
            node = parent_of[node]
        checked.update(chain)


def units_without_departments(units: list[Unit]) -> list[Unit]:
    """Administrative units that list no department of their own (rules fill those in)."""
    has_departments = {u.parent for u in units if u.is_department}
    return [u for u in units if not u.is_department and u.id not in has_departments]
