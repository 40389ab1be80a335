"""The real national data: unit counts of both structures and a known path."""

from __future__ import annotations

import pytest

from hierarchy.national import Structure, national_units
from hierarchy.sources import load_hierarchy
from hierarchy.units import UnitKind


def test_hanoi_2024_has_30_districts_and_526_communes() -> None:
    s = load_hierarchy("hanoi-2024").stats()
    assert s.by_level["huyen"] == 30
    assert s.by_level["xa"] == 526
    assert s.by_kind["quan"] == 12 and s.by_kind["huyen"] == 17 and s.by_kind["thi-xa"] == 1
    assert s.depth == 4  # city → district → ward → department


def test_hanoi_path_to_yen_so_and_its_departments() -> None:
    h = load_hierarchy("hanoi-2024")
    ward = h.find("Phường Yên Sở")
    assert ward.id == "00340"
    assert [(u.id, u.name) for u in h.path(ward.id)] == [
        ("01", "Thành phố Hà Nội"),
        ("008", "Quận Hoàng Mai"),
        ("00340", "Phường Yên Sở"),
    ]
    roles = {r for d in h.departments("00340") for r in d.roles}
    assert {"van-phong", "van-hoa-thong-tin", "tu-phap", "mot-cua", "noi-vu"} <= roles


def test_hanoi_2025_is_two_levels_with_126_communes() -> None:
    h = load_hierarchy("hanoi-2025")
    s = h.stats()
    assert s.by_level["xa"] == 126
    assert "huyen" not in s.by_level
    assert s.depth == 3  # city → commune → department
    commune = h.admin_children("01")[0]
    assert {d.kind for d in h.departments(commune.id)} >= {UnitKind.PHONG, UnitKind.VAN_PHONG}


@pytest.mark.slow  # the whole country (vn-2024, vn-2025)
@pytest.mark.parametrize(
    ("structure", "provinces", "districts", "communes"),
    [(Structure.Y2024, 63, 696, 10035), (Structure.Y2025, 34, 0, 3321)],
)
def test_nationwide_counts(
    structure: Structure, provinces: int, districts: int, communes: int
) -> None:
    units = national_units(structure)
    by_level: dict[str, int] = {}
    for u in units:
        by_level[u.level.value] = by_level.get(u.level.value, 0) + 1
    assert by_level.get("tinh") == provinces
    assert by_level.get("huyen", 0) == districts
    assert by_level.get("xa") == communes
    assert by_level.get("trung-uong") == 1


def test_unknown_province_is_an_error() -> None:
    from kehoach.io.errors import HierarchyError

    with pytest.raises(HierarchyError, match="no province 'Atlantis'"):
        national_units(Structure.Y2024, "Atlantis")
