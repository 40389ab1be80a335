"""The unit (đơn vị): an administrative unit or one of its departments.

A unit is a node of the hierarchy graph. Its *kind* says what it is (phường, quận, sở ...) and
its *level* (cấp) which tier of government it belongs to. The depth of the hierarchy is data:
before July 2025 a province had districts and districts had communes; since then a province has
communes directly. Both are the same model with a different graph.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Level(StrEnum):
    """Cấp: the tier a unit belongs to.

    ``trung-uong`` (central) is only the synthetic root of a nationwide hierarchy.
    ``phong-ban`` (department) is any sở / phòng / bộ phận, whatever tier it serves.
    """

    TRUNG_UONG = "trung-uong"
    TINH = "tinh"
    HUYEN = "huyen"
    XA = "xa"
    PHONG_BAN = "phong-ban"


class UnitKind(StrEnum):
    """Loại đơn vị: the legal kind of a unit, as the national data names it."""

    QUOC_GIA = "quoc-gia"
    TINH = "tinh"
    THANH_PHO = "thanh-pho"  # centrally-run city (thành phố trực thuộc trung ương)
    QUAN = "quan"
    HUYEN = "huyen"
    THI_XA = "thi-xa"
    THANH_PHO_THUOC_TINH = "thanh-pho-thuoc-tinh"  # provincial city (thành phố thuộc tỉnh)
    PHUONG = "phuong"
    XA = "xa"
    THI_TRAN = "thi-tran"
    DAC_KHU = "dac-khu"  # special zone, since 2025
    SO = "so"  # department of a province
    PHONG = "phong"  # office of a district (and of a commune since 2025)
    BO_PHAN = "bo-phan"  # section of a commune
    VAN_PHONG = "van-phong"  # the committee's own office (Văn phòng UBND)
    TRUNG_TAM = "trung-tam"  # a centre, e.g. the public-service (one-stop) centre

    @property
    def level(self) -> Level:
        return _LEVEL_OF_KIND[self]

    @property
    def is_department(self) -> bool:
        # A set lookup, not ``self.level is Level.PHONG_BAN``: loading and walking a national
        # hierarchy asks this about every unit several times (~200k calls per load).
        return self in _DEPARTMENT_KINDS

    @property
    def word(self) -> str:
        """The kind as it is written before a name: "Phường", "Quận", "Sở"."""
        return _WORD_OF_KIND[self]

    @property
    def has_seal(self) -> bool:
        """Whether a body of this kind has its own seal (con dấu), and so may issue numbered
        documents under ND 30/2020 (a "Số: …/KH-…" line, signed by its head, sealed).

        Every committee (UBND) has one. Among departments, a sở (NĐ 24/2014/NĐ-CP), a phòng
        of a district (NĐ 37/2014/NĐ-CP) or of a commune since 2025, the committee's office
        (văn phòng) and a centre (trung tâm, e.g. the public-service centre) are bodies with
        "tư cách pháp nhân, con dấu và tài khoản riêng". A bộ phận is not: a ward's sections
        are its civil servants by field, and a district's Bộ phận Một cửa works inside the
        committee's office; what they produce goes out under the committee's (or the
        office's) number and seal.
        """
        return self not in _WITHOUT_SEAL


_LEVEL_OF_KIND = {
    UnitKind.QUOC_GIA: Level.TRUNG_UONG,
    UnitKind.TINH: Level.TINH,
    UnitKind.THANH_PHO: Level.TINH,
    UnitKind.QUAN: Level.HUYEN,
    UnitKind.HUYEN: Level.HUYEN,
    UnitKind.THI_XA: Level.HUYEN,
    UnitKind.THANH_PHO_THUOC_TINH: Level.HUYEN,
    UnitKind.PHUONG: Level.XA,
    UnitKind.XA: Level.XA,
    UnitKind.THI_TRAN: Level.XA,
    UnitKind.DAC_KHU: Level.XA,
    UnitKind.SO: Level.PHONG_BAN,
    UnitKind.PHONG: Level.PHONG_BAN,
    UnitKind.BO_PHAN: Level.PHONG_BAN,
    UnitKind.VAN_PHONG: Level.PHONG_BAN,
    UnitKind.TRUNG_TAM: Level.PHONG_BAN,
}

_DEPARTMENT_KINDS = frozenset(k for k, level in _LEVEL_OF_KIND.items() if level is Level.PHONG_BAN)

#: Kinds of body that have no seal of their own (see :attr:`UnitKind.has_seal`).
_WITHOUT_SEAL = frozenset({UnitKind.BO_PHAN})

_WORD_OF_KIND = {
    UnitKind.QUOC_GIA: "",
    UnitKind.TINH: "Tỉnh",
    UnitKind.THANH_PHO: "Thành phố",
    UnitKind.QUAN: "Quận",
    UnitKind.HUYEN: "Huyện",
    UnitKind.THI_XA: "Thị xã",
    UnitKind.THANH_PHO_THUOC_TINH: "Thành phố",
    UnitKind.PHUONG: "Phường",
    UnitKind.XA: "Xã",
    UnitKind.THI_TRAN: "Thị trấn",
    UnitKind.DAC_KHU: "Đặc khu",
    UnitKind.SO: "Sở",
    UnitKind.PHONG: "Phòng",
    UnitKind.BO_PHAN: "Bộ phận",
    UnitKind.VAN_PHONG: "Văn phòng",
    UnitKind.TRUNG_TAM: "Trung tâm",
}


def nfc(text: str) -> str:
    """Unicode NFC: a name typed decomposed (NFD, "o" + combining marks) equals the composed
    form the national data is stored in."""
    return unicodedata.normalize("NFC", text)


# A tone mark (dấu thanh: huyền, sắc, hỏi, ngã, nặng) after the second vowel of an open "oa",
# "oe" or "uy" (not "qu" + "y", where "u" belongs to the consonant), in decomposed text: the
# old style "Hoà", "Khoẻ", "Thuỷ" that many keyboards still type.
_OLD_TONE = re.compile(r"(?<!q)(o(?=[ae])|u(?=y))([aey])([\u0300\u0301\u0303\u0309\u0323])(?!\w)")


def name_key(text: str) -> str:
    """A name as lookup compares it exactly: NFC, casefolded, runs of spaces made one, and
    the tone mark where the national data puts it.

    "PHƯỜNG  YÊN SỞ" and "Phường Yên Sở" have the same key; "Phuong Yen So" does not. The
    data writes the tone of an open "oa", "oe", "uy" on the first vowel ("Hòa", "Thủy", never
    "Hoà", "Thuỷ"); both placements are the same spelling, so the key moves it there.
    """
    folded = unicodedata.normalize("NFD", " ".join(text.casefold().split()))
    return nfc(_OLD_TONE.sub(r"\1\3\2", folded))


def accent_free_key(text: str) -> str:
    """A name without diacritics (dấu, accent and tone marks): "Phường Yên Sở" → "phuong yen so".

    Clerks often type names without dấu. Decomposing (NFD) splits each letter from its marks,
    which are dropped; "đ" is a letter of its own, not "d" with a mark, so it is mapped to "d"
    by hand.
    """
    bare = unicodedata.normalize("NFD", name_key(text))
    return "".join(c for c in bare if not unicodedata.combining(c)).replace("đ", "d")


def upper_vi(text: str) -> str:
    """Uppercase for document headers ("Phường Yên Sở" → "PHƯỜNG YÊN SỞ")."""
    return nfc(text).upper()


class IssuingBody(BaseModel):
    """Cơ quan ban hành: the issuing-body lines printed top left of a document.

    ``superior`` is the line of the body it belongs to (printed upright, not bold), e.g.
    "UBND PHƯỜNG YÊN SỞ" above a department; ``lines`` are the body's own name (bold), e.g.
    ["ỦY BAN NHÂN DÂN", "PHƯỜNG YÊN SỞ"].
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    superior: str | None = None
    lines: tuple[str, ...] = Field(min_length=1)


class Signer(BaseModel):
    """Người ký: who signs, as printed in the signature block.

    ``authority`` is "TM. ỦY BAN NHÂN DÂN" (on behalf of the committee) or "KT. CHỦ TỊCH"
    (for the chair, by a deputy) or None; ``title`` is "CHỦ TỊCH", "GIÁM ĐỐC" ...; ``name``
    is left blank in generated hierarchies for the clerk to fill.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    authority: str | None = None
    title: str
    name: str | None = None


ROLE_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"


class Unit(BaseModel):
    """Đơn vị: one node of the hierarchy.

    ``id`` is the national administrative code where there is one (province "01", district
    "008", ward "00340"), otherwise the parent's id and a slug ("00340-van-hoa-thong-tin").
    ``place`` is the place name for the dateline ("Yên Sở, ngày ... "). ``roles`` are the
    functional roles of a department (e.g. ``van-hoa-thong-tin``), which plans use to name a
    lead or coordinating unit independently of the level.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    name: str = Field(min_length=1)
    kind: UnitKind
    parent: str | None = None
    place: str
    issuing_body: IssuingBody
    signer: Signer
    symbol: str = Field(default="UBND", pattern=r"^[A-ZĐ0-9]+(-[A-ZĐ0-9]+)*$")
    roles: tuple[str, ...] = ()

    @field_validator("name", "place")
    @classmethod
    def _nfc(cls, value: str) -> str:
        # A control character (a stray tab, NUL or bell pasted from elsewhere) would print
        # as garbage in a document header and in folder listings: refuse it here, by name.
        bad = next((c for c in value if unicodedata.category(c) == "Cc"), None)
        if bad is not None:
            raise ValueError(f"contains the control character U+{ord(bad):04X}; retype it")
        return nfc(value).strip()

    @property
    def level(self) -> Level:
        return self.kind.level

    @property
    def is_department(self) -> bool:
        return self.kind in _DEPARTMENT_KINDS

    @property
    def short_name(self) -> str:
        """The name without its kind word: "Phường Yên Sở" → "Yên Sở"."""
        word = self.kind.word
        if word and self.name.startswith(word + " "):
            return self.name[len(word) + 1 :]
        return self.name


# What validating a Unit checks, checked by hand (see :func:`build_unit`). ``_CONTROL`` is
# Unicode's category Cc, exactly the code points U+0000–U+001F and U+007F–U+009F.
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_SYMBOL = re.compile(r"[A-ZĐ0-9]+(-[A-ZĐ0-9]+)*")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# One set of field names for every unit built here, instead of one 700-byte set per unit
# (pydantic keeps a set of the fields given on each instance; a frozen model never changes
# it, and model_copy copies it before adding to it).
_ALL_FIELDS = set(Unit.model_fields)


def _valid_text(text: str) -> bool:
    """Whether ``Unit``'s name/place validation would accept ``text`` and keep it as it is."""
    return (
        bool(text)
        and text == text.strip()
        and _CONTROL.search(text) is None
        and unicodedata.is_normalized("NFC", text)
    )


def build_unit(
    *,
    id: str,
    name: str,
    kind: UnitKind,
    parent: str | None,
    place: str,
    issuing_body: IssuingBody,
    signer: Signer,
    symbol: str = "UBND",
    roles: tuple[str, ...] = (),
) -> Unit:
    """A unit whose fields our own code produced (national data, department rules).

    Validating a Unit costs ~10 µs, most of a national load (65k units). When every
    constrained field already holds what validation would return (id and symbol match their
    patterns, name and place are NFC, stripped and free of control characters, the parts
    are already models), the unit is constructed without validating; otherwise it is
    validated, so an odd value gets exactly the validated unit or the same ValidationError.
    Units read from an operator's file are always validated (:mod:`hierarchy.yamlfile`).
    """
    if (
        type(id) is str
        and len(id) <= 64
        and _ID.fullmatch(id) is not None
        and _valid_text(name)
        and _valid_text(place)
        and isinstance(kind, UnitKind)
        and (parent is None or type(parent) is str)
        and type(issuing_body) is IssuingBody
        and type(signer) is Signer
        and _SYMBOL.fullmatch(symbol) is not None
        and type(roles) is tuple
        and all(type(r) is str for r in roles)
    ):
        return Unit.model_construct(
            _ALL_FIELDS,
            id=id,
            name=name,
            kind=kind,
            parent=parent,
            place=place,
            issuing_body=issuing_body,
            signer=signer,
            symbol=symbol,
            roles=roles,
        )
    return Unit(
        id=id,
        name=name,
        kind=kind,
        parent=parent,
        place=place,
        issuing_body=issuing_body,
        signer=signer,
        symbol=symbol,
        roles=roles,
    )


_PLACE_IS_FULL_NAME = frozenset({"Thành phố Hồ Chí Minh"})

# Every committee's chair signs the same way: one shared (frozen) signer, not 10k copies.
_CHAIR = Signer(authority="TM. ỦY BAN NHÂN DÂN", title="CHỦ TỊCH")
_LINES_GIVEN = {"lines"}  # what IssuingBody(lines=...) records as given


def committee_defaults(unit_id: str, name: str, kind: UnitKind, parent: str | None = None) -> Unit:
    """An administrative unit with the issuing body, place and signer a UBND uses.

    The chair signs on behalf of the committee ("TM. ỦY BAN NHÂN DÂN" / "CHỦ TỊCH"); a
    clerk changes it to "KT. CHỦ TỊCH" / "PHÓ CHỦ TỊCH" when a deputy signs.
    """
    name = nfc(name).strip()
    if kind is UnitKind.QUOC_GIA:
        body = IssuingBody(lines=("CHÍNH PHỦ",))
        signer = Signer(authority="TM. CHÍNH PHỦ", title="THỦ TƯỚNG")
        place = "Hà Nội"
    else:
        # Our own lines (the name is NFC and stripped above): constructed, sharing one set of
        # the fields given, as build_unit does, instead of one per committee.
        body = IssuingBody.model_construct(_LINES_GIVEN, lines=("ỦY BAN NHÂN DÂN", upper_vi(name)))
        signer = _CHAIR
        word = kind.word
        place = name[len(word) + 1 :] if word and name.startswith(word + " ") else name
        if place.isdigit() or name in _PLACE_IS_FULL_NAME:
            place = name  # "Quận 1, ngày ..."; "Thành phố Hồ Chí Minh, ngày ..."
    return build_unit(
        id=unit_id,
        name=name,
        kind=kind,
        parent=parent,
        place=place,
        issuing_body=body,
        signer=signer,
    )
