"""How units are named in running text: "UBND phường Yên Sở", "các bộ phận chuyên môn".

A child's draft never rewords its parent's text by replacing strings (that changed the
titles of cited documents): the parent marks where it speaks of itself
(:mod:`kehoach.plan.markers`) and these functions give the child's words there.
"""

from __future__ import annotations

from hierarchy.units import Level, Unit, UnitKind


def lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def kind_word(unit: Unit) -> str:
    """ "phường", "quận", "thành phố" as used inside a sentence."""
    return unit.kind.word.lower()


def cited_name(unit: Unit) -> str:
    """How other documents name the unit's issuing body: "UBND phường Yên Sở"."""
    if unit.is_department:
        return unit.name
    if unit.kind is UnitKind.QUOC_GIA:
        return "Chính phủ"
    return f"UBND {kind_word(unit)} {unit.short_name}"


def in_sentence(unit: Unit) -> str:
    """The unit's name inside a sentence: "phường Yên Sở", "Quận 1" stays "quận 1"."""
    if unit.is_department or unit.kind is UnitKind.QUOC_GIA:
        return unit.name
    return f"{kind_word(unit)} {unit.short_name}"


def departments_phrase(departments: list[Unit], level: Level) -> str:
    """How a plan addresses all departments of a unit: "các bộ phận chuyên môn"."""
    kinds = {d.kind for d in departments}
    if level is Level.TINH or UnitKind.SO in kinds:
        return "các sở, ban, ngành"
    if UnitKind.BO_PHAN in kinds and UnitKind.PHONG not in kinds:
        return "các bộ phận chuyên môn"
    if level is Level.XA:
        return "các phòng chuyên môn"
    return "các phòng, ban, đơn vị"


def subordinates_phrase(children: list[Unit]) -> str:
    """How a plan addresses the committees one level down: "UBND các phường, xã"."""
    words: list[str] = []
    for child in children:
        word = kind_word(child)
        if word not in words:
            words.append(word)
    return f"UBND các {', '.join(words)}" if words else "UBND cấp dưới"
