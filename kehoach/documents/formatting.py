"""Fonts and table borders as Word prints them, and restoring the default template's.

An editor writes the same look in different XML: LibreOffice drops a table's explicit "no
border" (a table without a style has none anyway), leaves ``w:ascii`` off runs that inherit
it, and adds its own styles ("Heading" in Liberation Sans) that no paragraph uses. So the
ND30 check reads what prints: a font where a run, a style the document uses, or the
document default sets it; a border where cell, table and table-style borders combine into a
visible line. :func:`restore_fonts_and_borders` puts back Times New Roman everywhere and the
default template's borderless header and signature tables, for ``kehoach template check
--fix``: the two things an office suite changes behind the operator's back.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable

from docx.opc.oxml import serialize_part_xml
from docx.oxml.ns import qn
from docx.oxml.parser import OxmlElement, parse_xml
from docx.oxml.xmlchemy import BaseOxmlElement

from kehoach.documents.docx import repack

FONT = "Times New Roman"
#: The parts whose runs print text (headers carry the page number).
_TEXT_PARTS = re.compile(r"^word/(document|header\d*|footer\d*|footnotes|endnotes)\.xml$")
_SLOTS = ("ascii", "hAnsi", "eastAsia", "cs")
_THEME_SLOTS = ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme")
_EDGE = {"start": "left", "end": "right"}  # the names LibreOffice and Word 2010+ may write
_SIDES = ("top", "left", "bottom", "right", "insideH", "insideV")
#: What follows ``w:tblBorders`` inside ``w:tblPr`` (the schema's order; Word insists on it).
_AFTER_BORDERS = ("w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook", "w:tblCaption")
_RFONTS = f"{qn('w:rPr')}/{qn('w:rFonts')}"


def part(archive: zipfile.ZipFile, name: str) -> BaseOxmlElement | None:
    """The parsed XML part ``name``, None when missing or not XML."""
    try:
        return parse_xml(archive.read(name))
    except (KeyError, SyntaxError):  # lxml's XMLSyntaxError is a SyntaxError
        return None


def styles_of(archive: zipfile.ZipFile) -> dict[str, BaseOxmlElement]:
    """The styles of a package by id."""
    styles = part(archive, "word/styles.xml")
    if styles is None:
        return {}
    return {st.get(qn("w:styleId"), ""): st for st in styles.iterfind(qn("w:style"))}


def _fonts_of(rfonts: BaseOxmlElement | None) -> set[str]:
    """The fonts other than Times New Roman an ``w:rFonts`` sets, theme fonts by their slot."""
    if rfonts is None:
        return set()
    names = {v for v in (rfonts.get(qn(f"w:{s}")) for s in _SLOTS) if v and v != FONT}
    themes = {t for t in (rfonts.get(qn(f"w:{s}")) for s in _THEME_SLOTS) if t}
    return names | {f"a theme font ({t})" for t in themes}


def _is_default(style: BaseOxmlElement) -> bool:
    return style.get(qn("w:default")) in ("1", "true")


def _used_styles(
    parts: Iterable[BaseOxmlElement], styles: dict[str, BaseOxmlElement]
) -> list[BaseOxmlElement]:
    """The styles text prints in: those the parts name, the defaults, what they are based on."""
    tags = [qn("w:pStyle"), qn("w:rStyle"), qn("w:tblStyle")]
    wanted = {el.get(qn("w:val"), "") for p in parts for tag in tags for el in p.iter(tag)}
    wanted |= {i for i, st in styles.items() if _is_default(st)}
    seen: dict[str, BaseOxmlElement] = {}
    while wanted:
        style_id = wanted.pop()
        style = styles.get(style_id)
        if style is None or style_id in seen:
            continue
        seen[style_id] = style
        based = style.find(qn("w:basedOn"))
        if based is not None:
            wanted.add(based.get(qn("w:val"), ""))
    return list(seen.values())


def _style_name(style: BaseOxmlElement) -> str:
    name = style.find(qn("w:name"))
    return str(name.get(qn("w:val")) if name is not None else style.get(qn("w:styleId")))


def font_problems(archive: zipfile.ZipFile) -> list[str]:
    """One line per font other than Times New Roman: where it prints, and the fix."""
    found = (part(archive, n) for n in archive.namelist() if _TEXT_PARTS.match(n))
    parts = [x for x in found if x is not None]
    in_styles: dict[str, list[BaseOxmlElement]] = {}
    for style in _used_styles(parts, styles_of(archive)):
        for font in _fonts_of(style.find(_RFONTS)):
            in_styles.setdefault(font, []).append(style)
    in_runs: dict[str, int] = {}
    for p in parts:
        for run in p.iter(qn("w:r")):
            for font in _fonts_of(run.find(_RFONTS)):
                in_runs[font] = in_runs.get(font, 0) + 1
    problems = []
    for font in sorted(in_styles.keys() | in_runs.keys()):
        owners = in_styles.get(font, [])
        where = (
            [f"styles.xml ({', '.join(sorted(_style_name(s) for s in owners))})"] if owners else []
        )
        if font in in_runs:
            where.append(f"{in_runs[font]} run{'s' if in_runs[font] > 1 else ''}")
        theme = " by name, not “+Body”/“+Headings”" if font.startswith("a theme") else ""
        # The default paragraph style is named in every fix; other styles only where used.
        others = sorted(
            _style_name(s)
            for s in owners
            if not (_is_default(s) and s.get(qn("w:type")) == "paragraph")
        )
        problems.append(
            f"font is {font} in {' and '.join(where)}; ND 30 requires {FONT}: in Word/"
            f"LibreOffice select all (Ctrl+A) and choose {FONT}{theme}, also in Styles → "
            "Default Paragraph Style (Word: Normal)"
            + (
                f" and the style{'s' if len(others) > 1 else ''} {', '.join(others)}"
                if others
                else ""
            )
        )
    styles = part(archive, "word/styles.xml")
    default = None if styles is None else styles.find(f".//{qn('w:rPrDefault')}/{_RFONTS}")
    if default is None or any(default.get(qn(f"w:{s}")) != FONT for s in _SLOTS):
        problems.append(
            f"the document's default font is not {FONT} for Latin, Asian and complex scripts: "
            f"Word: Home → Font (Ctrl+D) → {FONT} → Set As Default; LibreOffice: Styles → "
            f"Default Paragraph Style → Modify → Font → {FONT} (Western, Asian and CTL)"
        )
    elif _fonts_of(default):
        problems.append(
            f"the document's default font is a theme font: Word: Home → Font (Ctrl+D) → "
            f"{FONT} by name → Set As Default"
        )
    return problems


def _edges(borders: BaseOxmlElement | None) -> dict[str, bool]:
    """The edges a ``w:tblBorders``/``w:tcBorders`` sets, and whether each shows a line."""
    if borders is None:
        return {}
    out = {}
    for b in borders:
        if isinstance(b.tag, str):
            name = b.tag.rsplit("}", 1)[-1]
            out[_EDGE.get(name, name)] = b.get(qn("w:val")) not in ("nil", "none")
    return out


def _style_borders(style_id: str | None, styles: dict[str, BaseOxmlElement]) -> dict[str, bool]:
    """The table borders a table style gives, its ``basedOn`` chain included."""
    chain: list[BaseOxmlElement] = []
    while style_id and (style := styles.get(style_id)) is not None and style not in chain:
        chain.append(style)
        based = style.find(qn("w:basedOn"))
        style_id = based.get(qn("w:val")) if based is not None else None
    edges: dict[str, bool] = {}
    for style in reversed(chain):
        edges |= _edges(style.find(f"{qn('w:tblPr')}/{qn('w:tblBorders')}"))
    return edges


def visible_borders(tbl: BaseOxmlElement, styles: dict[str, BaseOxmlElement]) -> bool:
    """True if an edge of a cell of ``tbl`` shows a line: its own border, else the table's,
    else its style's (or the default table style's)."""
    tbl_pr = tbl.find(qn("w:tblPr"))
    named = tbl_pr.find(qn("w:tblStyle")) if tbl_pr is not None else None
    if named is not None:
        style_id = named.get(qn("w:val"))
    else:
        defaults = (i for i, st in styles.items() if st.get(qn("w:type")) == "table")
        style_id = next((i for i in defaults if _is_default(styles[i])), None)
    own = tbl_pr.find(qn("w:tblBorders")) if tbl_pr is not None else None
    outer = _style_borders(style_id, styles) | _edges(own)
    rows = tbl.findall(qn("w:tr"))
    for i, row in enumerate(rows):
        cells = row.findall(qn("w:tc"))
        for j, cell in enumerate(cells):
            inner = _edges(cell.find(f"{qn('w:tcPr')}/{qn('w:tcBorders')}"))
            sides = {
                "top": "top" if i == 0 else "insideH",
                "bottom": "bottom" if i == len(rows) - 1 else "insideH",
                "left": "left" if j == 0 else "insideV",
                "right": "right" if j == len(cells) - 1 else "insideV",
            }
            if any(inner.get(side, outer.get(edge, False)) for side, edge in sides.items()):
                return True
    return False


def _times_new_roman(root: BaseOxmlElement) -> None:
    """Every ``w:rFonts`` of ``root`` names Times New Roman on all slots, no theme fonts."""
    for rfonts in root.iter(qn("w:rFonts")):
        for slot in _THEME_SLOTS:
            rfonts.attrib.pop(qn(f"w:{slot}"), None)
        for slot in _SLOTS:
            rfonts.set(qn(f"w:{slot}"), FONT)


def _borderless(tbl: BaseOxmlElement) -> None:
    """No line on any edge of ``tbl``, as the default template's header and signature."""
    tbl_pr = tbl.find(qn("w:tblPr"))
    if tbl_pr is None:
        tbl_pr = OxmlElement("w:tblPr")
        tbl.insert(0, tbl_pr)
    for old in tbl_pr.findall(qn("w:tblBorders")):
        tbl_pr.remove(old)
    borders = OxmlElement("w:tblBorders")
    for side in _SIDES:
        borders.append(OxmlElement(f"w:{side}", {qn("w:val"): "nil"}))
    tbl_pr.insert_element_before(borders, *_AFTER_BORDERS)
    for tc_borders in list(tbl.iter(qn("w:tcBorders"))):
        tc_borders.getparent().remove(tc_borders)


def _text(el: BaseOxmlElement) -> str:
    return "".join(t.text or "" for t in el.iter(qn("w:t")))


def restore_fonts_and_borders(data: bytes) -> bytes:
    """A copy of the template ``data`` in Times New Roman throughout, with the header table
    (the body's first) and the signature table (the one with "Nơi nhận:") borderless.

    Everything else is kept, tags included; the operator's file is never touched.
    """

    def edit(name: str, body: bytes) -> bytes:
        if name != "word/styles.xml" and not _TEXT_PARTS.match(name):
            return body
        root = parse_xml(body)
        if name == "word/styles.xml":  # a default without fonts falls back to the suite's
            for rpr in root.iterfind(f".//{qn('w:rPrDefault')}/{qn('w:rPr')}"):
                rpr.get_or_add_rFonts()
        _times_new_roman(root)
        if name == "word/document.xml":
            tables = root.findall(f"{qn('w:body')}/{qn('w:tbl')}")
            sign = [t for t in tables[1:] if "Nơi nhận:" in _text(t)]
            for tbl in tables[:1] + sign[:1]:
                _borderless(tbl)
        return serialize_part_xml(root)

    return repack(data, edit)
