"""How units are named in running text, and how a parent's wording becomes a child's.

A child plan copies its parent's purposes, requirements and content with the parent's own
name and words replaced by the child's ("quận Hoàng Mai" → "phường Yên Sở", "các phòng, ban,
đơn vị thuộc quận" → "các bộ phận chuyên môn thuộc phường"). Mentions of the parent as a
higher body ("đề xuất Quận khen thưởng") cannot be told apart from self-references by rule,
so only unambiguous phrases are replaced; the clerk reads every draft before signing.
"""

from __future__ import annotations

import re
from collections.abc import Callable

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


class Rewording:
    """Replaces a parent's self-references with a child's.

    Two passes: first the parent's name ("thành phố Hà Nội" → "quận Hoàng Mai"), then the
    generic phrases ("trên địa bàn thành phố" → "trên địa bàn quận"), so a generic phrase
    never swallows the start of a name. Within a pass, the longest phrase wins and nothing
    replaced is replaced again.
    """

    def __init__(
        self, parent: Unit, child: Unit, parent_departments: str, child_departments: str
    ) -> None:
        pw, cw = kind_word(parent), kind_word(child)
        names = [
            (in_sentence(parent), in_sentence(child)),
            (parent.name, child.name),
            (parent.name.upper(), child.name.upper()),
        ]
        phrases = [
            (f"{parent_departments} thuộc {pw}", f"{child_departments} thuộc {cw}"),
            (parent_departments, child_departments),
            (upper_first(parent_departments), upper_first(child_departments)),
            (f"trên địa bàn {pw}", f"trên địa bàn {cw}"),
            (f"UBND {pw}", f"UBND {cw}"),
        ]
        self._passes = [_replacer(names), _replacer(phrases)]

    def __call__(self, text: str) -> str:
        for replace in self._passes:
            text = replace(text)
        return text


def _replacer(pairs: list[tuple[str, str]]) -> Callable[[str], str]:
    mapping = {a: b for a, b in pairs if a and a != b}
    if not mapping:
        return lambda text: text
    pattern = re.compile("|".join(re.escape(a) for a in sorted(mapping, key=len, reverse=True)))
    return lambda text: pattern.sub(lambda m: mapping[m.group(0)], text)
