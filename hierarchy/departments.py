"""Departments generated for every administrative unit by a rule set per level.

Which sở / phòng / bộ phận exist, with their roles, is data (``hierarchy/data/*.yaml``), so a
province that names its offices differently edits a file, not code. A rule set may override
the list for one unit by id (``remove`` slugs, ``add`` rules).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hierarchy.units import (
    ROLE_PATTERN,
    IssuingBody,
    Level,
    Signer,
    Unit,
    UnitKind,
    build_unit,
    upper_vi,
)
from kehoach.io.errors import HierarchyError
from kehoach.io.reading import describe_validation_error, load_yaml, strip_lines

DATA_DIR = Path(__file__).parent / "data"
BUILTIN_RULE_SETS = {"rules-2024": "departments-2024.yaml", "rules-2025": "departments-2025.yaml"}


class DepartmentRule(BaseModel):
    """One department every unit of a level has (optionally only units of some kinds)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    slug: str = Field(pattern=ROLE_PATTERN)
    kind: UnitKind
    name: str = Field(min_length=1)
    roles: tuple[str, ...] = ()
    symbol: str = Field(pattern=r"^[A-ZĐ0-9]+$")
    title: str = Field(min_length=1, description="signer's title, e.g. TRƯỞNG PHÒNG")
    kinds: tuple[UnitKind, ...] | None = None


class UnitOverride(BaseModel):
    """Changes to one unit's generated departments."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    remove: tuple[str, ...] = ()
    add: tuple[DepartmentRule, ...] = ()


class RuleSet(BaseModel):
    """Quy tắc phòng ban: the departments of each level, and per-unit overrides."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    levels: dict[Level, tuple[DepartmentRule, ...]]
    overrides: dict[str, UnitOverride] = {}

    def rules_for(self, unit: Unit) -> list[DepartmentRule]:
        rules = [
            r for r in self.levels.get(unit.level, ()) if r.kinds is None or unit.kind in r.kinds
        ]
        override = self.overrides.get(unit.id)
        if override:
            rules = [r for r in rules if r.slug not in override.remove] + list(override.add)
        return rules


@cache
def known_roles() -> frozenset[str]:
    """The role catalogue, ``hierarchy/data/roles.yaml``."""
    data = strip_lines(load_yaml(DATA_DIR / "roles.yaml"))
    return frozenset(data)


@cache
def role_descriptions() -> dict[str, str]:
    return {str(k): str(v) for k, v in strip_lines(load_yaml(DATA_DIR / "roles.yaml")).items()}


def load_rule_set(name_or_path: str | Path) -> RuleSet:
    """A built-in rule set by name (``rules-2024``, ``rules-2025``) or a YAML file."""
    key = str(name_or_path)
    path = DATA_DIR / BUILTIN_RULE_SETS[key] if key in BUILTIN_RULE_SETS else Path(key)
    return _load_rule_set(path)


@cache
def _load_rule_set(path: Path) -> RuleSet:
    raw: Any = load_yaml(path)
    try:
        rule_set = RuleSet.model_validate(strip_lines(raw))
    except ValidationError as exc:
        where, what = describe_validation_error(exc, raw, path)
        raise HierarchyError(what, where=where) from None
    roles = known_roles()
    for rules in [*rule_set.levels.values(), *(o.add for o in rule_set.overrides.values())]:
        for rule in rules:
            for role in rule.roles:
                if role not in roles:
                    raise HierarchyError(
                        f"department {rule.slug!r} has unknown role {role!r}; add it to "
                        f"{DATA_DIR / 'roles.yaml'} first",
                        where=path,
                    )
    return rule_set


def department(parent: Unit, rule: DepartmentRule) -> Unit:
    """The department ``rule`` describes, under administrative unit ``parent``.

    Each part is valid on its own, but together they may not be: a 60-character unit id
    plus ``-van-phong`` is longer than an id may be. That is refused as the unit's error.
    """
    return _Departments().of(parent, rule)


_BODY_FIELDS = set(IssuingBody.model_fields)  # shared, as in hierarchy.units.build_unit


class _Departments:
    """Builds departments, sharing what repeats between them.

    A national hierarchy has 55k departments from a few dozen rules: the same names ("Bộ
    phận Một cửa"), signers and superior lines thousands of times. Each distinct one is
    made once and shared (all are immutable), which keeps a loaded hierarchy small and
    skips re-normalising the same text.
    """

    def __init__(self) -> None:
        self._upper: dict[str, str] = {}
        self._lines: dict[str, tuple[str, ...]] = {}  # a department's name → its own line
        self._signers: dict[str, Signer] = {}
        self._superior: dict[str, str | None] = {}

    def upper(self, text: str) -> str:
        known = self._upper.get(text)
        if known is None:
            known = self._upper[text] = upper_vi(text)
        return known

    def lines(self, name: str) -> tuple[str, ...]:
        """The issuing body's own line of a department named ``name``, one tuple per name."""
        known = self._lines.get(name)
        if known is None:
            known = self._lines[name] = (self.upper(name),)
        return known

    def of(self, parent: Unit, rule: DepartmentRule) -> Unit:
        try:
            return self._build(parent, rule)
        except ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join(str(p) for p in err["loc"])
            raise HierarchyError(
                f"the department {rule.slug!r} generated for unit {parent.id} ({parent.name}) "
                f"is invalid: {field}: {err['msg']}",
                where=f"unit {parent.id}",
            ) from None

    def _build(self, parent: Unit, rule: DepartmentRule) -> Unit:
        name = rule.name.replace("{unit}", parent.name)
        if parent.id in self._superior:
            superior = self._superior[parent.id]
        else:
            superior = self._superior[parent.id] = (
                f"UBND {self.upper(parent.name)}" if parent.level is not Level.TRUNG_UONG else None
            )
        signer = self._signers.get(rule.title)
        if signer is None:
            signer = self._signers[rule.title] = Signer(title=rule.title)
        return build_unit(
            id=f"{parent.id}-{rule.slug}",
            name=name,
            kind=rule.kind,
            parent=parent.id,
            place=parent.place,
            # Both lines are ours (a Unit's name, upper-cased): constructed, not validated.
            issuing_body=IssuingBody.model_construct(
                _BODY_FIELDS, superior=superior, lines=self.lines(name)
            ),
            signer=signer,
            symbol=rule.symbol,
            roles=rule.roles,
        )


def generate_departments(units: Iterable[Unit], rule_set: RuleSet) -> list[Unit]:
    """The departments of every administrative unit in ``units``, in unit order."""
    made = _Departments()
    return [
        made.of(unit, rule)
        for unit in units
        if not unit.is_department
        for rule in rule_set.rules_for(unit)
    ]
