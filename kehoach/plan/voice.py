"""Who speaks in a plan: the words a unit of the hierarchy uses for itself and its parent.

:mod:`kehoach.plan.markers` marks where a plan speaks of its issuer; this module says what a
given unit says there, from the hierarchy: its name, kind, departments, committees below, web
portal and its parent's bodies.
"""

from __future__ import annotations

from collections.abc import Mapping

from hierarchy.graph import Hierarchy
from hierarchy.units import Level, Unit
from kehoach.plan.markers import Speaker
from kehoach.plan.wording import (
    departments_phrase,
    in_sentence,
    kind_word,
    subordinates_phrase,
    upper_first,
)


def portal(unit: Unit, *, named: bool = False) -> str:
    """The unit's web portal as its plans name it (``named``: with its name, see
    :func:`speaker_of`)."""
    word = in_sentence(unit) if named else kind_word(unit)
    if unit.level is Level.XA:
        return f"Trang thông tin điện tử {word}"
    if unit.level is Level.TINH and not named:
        return f"Cổng thông tin điện tử {upper_first(word)}"
    return f"Cổng thông tin điện tử {word}"


def _kind(unit: Unit) -> str:
    """A province is "Thành phố", "Tỉnh" in its own plans; a district "quận"; a ward "phường"."""
    return upper_first(kind_word(unit)) if unit.level is Level.TINH else kind_word(unit)


def body_of(unit: Unit, *, named: bool = False) -> str:
    """The unit as a body, without its name: "UBND Thành phố", "UBND quận" (``named``: with
    it, "UBND thành phố Hải Phòng")."""
    return f"UBND {in_sentence(unit) if named else _kind(unit)}"


def all_departments(unit: Unit, h: Hierarchy) -> str:
    """ "các phòng, ban, đơn vị thuộc quận", "các sở, ban, ngành Thành phố"."""
    phrase = departments_phrase(h.departments(unit.id), unit.level)
    if unit.level is Level.TINH:
        return f"{phrase} {_kind(unit)}"
    return f"{phrase} thuộc {_kind(unit)}"


def _roles(unit: Unit, h: Hierarchy) -> dict[str, str]:
    names: dict[str, str] = {}
    for dept in h.departments(unit.id):
        for role in dept.roles:
            names.setdefault(role, dept.name)
    return names


def speaker_of(unit: Unit, h: Hierarchy, deadlines: Mapping[str, str] | None = None) -> Speaker:
    """How ``unit`` speaks in its own plan (``deadlines``: its tasks' deadline words by id).

    A unit speaks of its parent by kind ("báo cáo UBND quận", "ngân sách Thành phố"), except
    under a parent of its own kind: Thành phố Thủy Nguyên reports to Thành phố Hải Phòng, and
    its "UBND Thành phố" would read as its own committee ("UBND thành phố"), so there it names
    the parent, "UBND thành phố Hải Phòng", as a clerk there writes it.
    """
    parent = h.parent(unit.id)
    children = h.admin_children(unit.id)
    has_parent = parent is not None and parent.level is not Level.TRUNG_UONG
    named = parent is not None and kind_word(parent) == kind_word(unit)
    return Speaker(
        don_vi=in_sentence(unit),
        cap=_kind(unit),
        ubnd=body_of(unit),
        cac_phong_ban=all_departments(unit, h),
        cap_duoi=subordinates_phrase(children) if children else None,
        cong_tt=portal(unit),
        phong=_roles(unit, h),
        don_vi_cap_tren=in_sentence(parent) if has_parent and parent else None,
        cap_tren=(
            (in_sentence(parent) if named else _kind(parent)) if has_parent and parent else None
        ),
        ubnd_cap_tren=body_of(parent, named=named) if has_parent and parent else None,
        phong_cap_tren=_roles(parent, h) if parent else {},
        cong_tt_cap_tren=portal(parent, named=named) if has_parent and parent else None,
        han=dict(deadlines or {}),
    )
