"""Who signs for each unit: a file an operator fills once, applied to a hierarchy.

A generated hierarchy knows each unit's signature block ("TM. ỦY BAN NHÂN DÂN" / "CHỦ TỊCH",
"TRƯỞNG PHÒNG") but not who holds the office, so every draft leaves the name blank for the
clerk. The signers file gives, per unit id, the authority, title and name (người ký) as they
are printed; a unit it does not list keeps what the hierarchy has, and a field left out (or
empty) keeps the hierarchy's value too, so a file may give only the names. YAML:

    "00340": {authority: TM. ỦY BAN NHÂN DÂN, title: CHỦ TỊCH, name: Trương Thành Tâm}
    "008": {authority: KT. CHỦ TỊCH, title: PHÓ CHỦ TỊCH, name: Nguyễn Văn An}
    00340-van-hoa-thong-tin: Lê Thị Hoa      # a name alone

or CSV with the header ``unit_id,authority,title,name``. Authority and title are printed in
capitals (ND 30), whatever case they are typed in. An id the hierarchy does not have is
refused with one error naming the file and line.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from hierarchy.graph import Hierarchy
from hierarchy.units import Signer, nfc, upper_vi
from kehoach.io.errors import HierarchyError, InputFileError
from kehoach.io.reading import LINE_KEY, load_yaml, read_text

CSV_HEADER = ("unit_id", "authority", "title", "name")


class SignerEntry(BaseModel):
    """One unit's signature block as the file gives it; None keeps the hierarchy's value.

    ``where`` is the file and line, for errors.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    unit_id: str
    authority: str | None = None
    title: str | None = None
    name: str | None = None
    where: str

    @field_validator("authority", "title", "name", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        if value is None or not isinstance(value, str | int | float):
            return value
        text = " ".join(nfc(str(value)).split())
        return text or None

    @field_validator("authority", "title")
    @classmethod
    def _capitals(cls, value: str | None) -> str | None:
        return upper_vi(value) if value else value

    def applied_to(self, signer: Signer) -> Signer:
        """``signer`` with this entry's fields in place of its own."""
        given = self.model_dump(include={"authority", "title", "name"}, exclude_none=True)
        return signer.model_copy(update=given)


def _field_error(exc: ValidationError, unit_id: str, where: str) -> HierarchyError:
    err = exc.errors()[0]
    field = ".".join(str(p) for p in err["loc"])
    if err["type"] == "extra_forbidden":
        what = f"unknown field {field!r} for unit {unit_id}; the fields are authority, title, name"
    else:
        what = f"unit {unit_id}: {field}: {err['msg']}"
    return HierarchyError(what, where=where)


def _yaml_entries(path: Path) -> list[SignerEntry]:
    raw = load_yaml(path)
    if raw is None:
        return []
    if not isinstance(raw, dict):
        raise HierarchyError(
            "a signers file is a mapping of unit id → {authority, title, name}", where=path
        )
    lines = read_text(path).splitlines()
    entries = []
    for key, value in raw.items():
        if key == LINE_KEY:
            continue
        unit_id = str(key)
        line = _key_line(lines, unit_id) or (
            value.get(LINE_KEY) if isinstance(value, dict) else None
        )
        where = f"{path}:{line}" if line else str(path)
        if isinstance(value, str):
            value = {"name": value}
        if not isinstance(value, dict):
            raise HierarchyError(
                f"unit {unit_id}: expected {{authority, title, name}} or a name, not {value!r}",
                where=where,
            )
        fields = {k: v for k, v in value.items() if k != LINE_KEY}
        try:
            entries.append(
                SignerEntry.model_validate({**fields, "unit_id": unit_id, "where": where})
            )
        except ValidationError as exc:
            raise _field_error(exc, unit_id, where) from None
    return entries


def _key_line(lines: Sequence[str], key: str) -> int | None:
    """The line where top-level key ``key`` is written (quoted or not)."""
    pattern = re.compile(rf"^([\"']?){re.escape(key)}\1\s*:")
    return next((i + 1 for i, text in enumerate(lines) if pattern.match(text)), None)


def _csv_entries(path: Path) -> list[SignerEntry]:
    text = read_text(path)
    first = text.splitlines()[0] if text.strip() else ""
    # Excel set to Vietnamese saves CSV with ";" between fields.
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = next(reader, None)
    if header is None or tuple(h.strip().lower() for h in header) != CSV_HEADER:
        raise HierarchyError(
            f"the first line must be the header {','.join(CSV_HEADER)}", where=f"{path}:1"
        )
    entries = []
    for row in reader:
        where = f"{path}:{reader.line_num}"
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(CSV_HEADER):
            raise HierarchyError(
                f"{len(row)} columns, expected {len(CSV_HEADER)} ({','.join(CSV_HEADER)})",
                where=where,
            )
        unit_id, *values = (cell.strip() for cell in row)
        fields = dict(zip(CSV_HEADER[1:], values, strict=True))
        try:
            entries.append(
                SignerEntry.model_validate({**fields, "unit_id": unit_id, "where": where})
            )
        except ValidationError as exc:
            raise _field_error(exc, unit_id, where) from None
    return entries


def read_signers(path: Path) -> list[SignerEntry]:
    """The entries of a signers file, YAML or CSV (by its suffix), each with its line.

    A unit listed twice is refused at its second line (YAML refuses the repeated key).
    """
    if path.suffix.lower() == ".csv":
        entries = _csv_entries(path)
    elif path.suffix.lower() in (".yaml", ".yml"):
        entries = _yaml_entries(path)
    else:
        raise InputFileError("a signers file is .yaml, .yml or .csv", where=path)
    seen: dict[str, str] = {}
    for e in entries:
        if e.unit_id in seen:
            raise HierarchyError(
                f"unit {e.unit_id} is listed twice; first at {seen[e.unit_id]}", where=e.where
            )
        seen[e.unit_id] = e.where
    return entries


def with_signers(h: Hierarchy, entries: Sequence[SignerEntry]) -> Hierarchy:
    """A copy of ``h`` whose units sign as ``entries`` say; ``h`` itself is unchanged.

    An id ``h`` does not have is refused, naming the entry's file and line (and the id of a
    unit whose *name* was written instead of its id).
    """
    changed = []
    for e in entries:
        if e.unit_id not in h:
            raise HierarchyError(
                f"unknown unit id {e.unit_id!r}{_hint(h, e.unit_id)}", where=e.where
            )
        unit = h.unit(e.unit_id)
        changed.append(unit.model_copy(update={"signer": e.applied_to(unit.signer)}))
    return h.with_units(changed)


def _hint(h: Hierarchy, key: str) -> str:
    try:
        unit = h.find(key)
    except HierarchyError:
        return f" in the hierarchy {h.source}"
    return f"; that is the name of {unit.name} ({unit.id}): write its id"


def apply_signers(h: Hierarchy, path: Path) -> Hierarchy:
    """``h`` with the signers of the file ``path`` (:func:`read_signers`, :func:`with_signers`)."""
    return with_signers(h, read_signers(path))
