"""The real national administrative units, from the ``vietnamadminunits`` package (MIT).

The package ships one SQLite file with both structures: ``admin_units_legacy`` (before
1 July 2025: 63 provinces, 696 districts, 10,035 communes) and ``admin_units`` (since: 34
provinces, 3,321 communes). We read that file directly and read-only, not through the
package's Python API, which loads large JSON parsers we do not need.
"""

from __future__ import annotations

import importlib.util
import sqlite3
from enum import StrEnum
from pathlib import Path

from hierarchy.units import Unit, UnitKind, committee_defaults
from kehoach.io.errors import HierarchyError

NATION_ID = "VN"


class Structure(StrEnum):
    """Which administrative structure: 2024 (three levels) or 2025 (two levels)."""

    Y2024 = "2024"
    Y2025 = "2025"


_PROVINCE_KIND = {"Tỉnh": UnitKind.TINH, "Thành phố": UnitKind.THANH_PHO}
_DISTRICT_KIND = {
    "Quận": UnitKind.QUAN,
    "Huyện": UnitKind.HUYEN,
    "Thị xã": UnitKind.THI_XA,
    "Thành phố": UnitKind.THANH_PHO_THUOC_TINH,
}
_COMMUNE_KIND = {
    "Phường": UnitKind.PHUONG,
    "Xã": UnitKind.XA,
    "Thị trấn": UnitKind.THI_TRAN,
    "Đặc khu": UnitKind.DAC_KHU,
}


def dataset_path() -> Path:
    """Where the installed ``vietnamadminunits`` keeps its SQLite file."""
    spec = importlib.util.find_spec("vietnamadminunits")
    if spec is None or not spec.submodule_search_locations:
        raise HierarchyError("the package vietnamadminunits is not installed (pip install -e .)")
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "dataset.db"
    if not path.is_file():
        raise HierarchyError("vietnamadminunits has no data/dataset.db", where=path)
    return path


def _province_kind(name: str) -> UnitKind:
    return UnitKind.THANH_PHO if name.startswith("Thành phố ") else UnitKind.TINH


def _is_province(key: str, code: str, name: str) -> bool:
    """Whether ``key`` names this province: "01", "Thành phố Hà Nội" or "Hà Nội"."""
    key = key.strip().casefold()
    short = name.removeprefix("Thành phố ").removeprefix("Tỉnh ")
    return key in (code, name.casefold(), short.casefold())


def national_units(structure: Structure, province: str | None = None) -> list[Unit]:
    """Administrative units (no departments), parents before children, ordered by code.

    With ``province`` (a code like "01", or a name like "Hà Nội"), only that province, which is
    then the root; otherwise a synthetic root ``VN`` (Việt Nam) above all provinces.
    """
    uri = f"file:{dataset_path()}?mode=ro"
    with sqlite3.connect(uri, uri=True) as conn:
        if structure is Structure.Y2024:
            rows = conn.execute(
                "SELECT provinceCode, province, districtCode, district, districtType, "
                "wardCode, ward, wardType FROM admin_units_legacy "
                "ORDER BY provinceCode, districtCode, wardCode"
            ).fetchall()
        else:
            rows = conn.execute(
                "SELECT provinceCode, province, NULL, NULL, NULL, wardCode, ward, wardType "
                "FROM admin_units ORDER BY provinceCode, wardCode"
            ).fetchall()
    if province is not None:
        rows = [r for r in rows if _is_province(province, r[0], r[1])]
        if not rows:
            raise HierarchyError(f"no province {province!r} in the {structure.value} structure")
    units: list[Unit] = []
    seen: set[str] = set()
    if province is None:
        units.append(committee_defaults(NATION_ID, "Việt Nam", UnitKind.QUOC_GIA))
    for p_code, p_name, d_code, d_name, d_type, w_code, w_name, w_type in rows:
        if p_code not in seen:
            seen.add(p_code)
            parent = None if province is not None else NATION_ID
            units.append(committee_defaults(p_code, p_name, _province_kind(p_name), parent))
        commune_parent = p_code
        if d_code is not None:
            commune_parent = d_code
            if d_code not in seen:
                seen.add(d_code)
                units.append(committee_defaults(d_code, d_name, _DISTRICT_KIND[d_type], p_code))
        if w_code is not None and w_code not in seen:
            seen.add(w_code)
            units.append(committee_defaults(w_code, w_name, _COMMUNE_KIND[w_type], commune_parent))
    return units
