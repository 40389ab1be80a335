"""The hierarchy core on tiny graphs: shape, navigation, departments and validation errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from hierarchy.graph import Hierarchy
from hierarchy.sources import load_hierarchy
from hierarchy.units import Level, UnitKind, committee_defaults
from kehoach.io.errors import HierarchyError, InputFileError
from tests.conftest import TINY

Write = Callable[[str, str], Path]


def test_tiny_hierarchy_levels_and_paths(tiny_file: Path) -> None:
    h = load_hierarchy(tiny_file)
    assert h.root.id == "01"
    assert [u.name for u in h.path("00340")] == [
        "Thành phố Hà Nội",
        "Quận Hoàng Mai",
        "Phường Yên Sở",
    ]
    levels = h.levels()
    assert [len(level) for level in levels] == [1, 8, 8, 10]
    assert {u.level for u in levels[1]} == {Level.HUYEN, Level.PHONG_BAN}
    assert [u.name for u in h.admin_children("008")] == ["Phường Yên Sở", "Phường Trần Phú"]


def test_generated_departments_have_roles_and_issuing_body(tiny_file: Path) -> None:
    h = load_hierarchy(tiny_file)
    vhtt = h.unit("00340-van-hoa-thong-tin")
    assert vhtt.name == "Bộ phận Văn hóa và Thông tin"
    assert vhtt.kind is UnitKind.BO_PHAN
    assert "van-hoa-thong-tin" in vhtt.roles
    assert vhtt.issuing_body.superior == "UBND PHƯỜNG YÊN SỞ"
    assert vhtt.issuing_body.lines == ("BỘ PHẬN VĂN HÓA VÀ THÔNG TIN",)
    assert vhtt.place == "Yên Sở"
    district_office = h.unit("008-phong-van-hoa-thong-tin")
    assert district_office.name == "Phòng Văn hóa và Thông tin"
    city = [d.name for d in h.departments("01")]
    assert "Sở Thông tin và Truyền thông" in city
    assert "Văn phòng UBND Thành phố Hà Nội" in city


def test_committee_defaults_print_as_documents_do() -> None:
    ward = committee_defaults("00340", "Phường Yên Sở", UnitKind.PHUONG, "008")
    assert ward.issuing_body.lines == ("ỦY BAN NHÂN DÂN", "PHƯỜNG YÊN SỞ")
    assert ward.place == "Yên Sở"
    assert (ward.signer.authority, ward.signer.title) == ("TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH")
    assert committee_defaults("760", "Quận 1", UnitKind.QUAN).place == "Quận 1"


def test_no_departments_option_and_subtree(tiny_file: Path) -> None:
    h = load_hierarchy(tiny_file, departments=False)
    assert len(h) == 4
    sub = load_hierarchy(tiny_file).subtree("00340")
    assert sub.root.name == "Phường Yên Sở"
    assert len(sub) == 6


def test_units_listing_their_own_departments_get_no_generated_ones(write: Write) -> None:
    text = TINY.format(departments="rules-2024") + (
        '  - {id: 00337-vp, name: Bộ phận Văn phòng, kind: bo-phan, parent: "00337", '
        "roles: [van-phong]}\n"
    )
    h = load_hierarchy(write("own.yaml", text))
    assert [d.id for d in h.departments("00337")] == ["00337-vp"]
    assert len(h.departments("00340")) == 5


def test_rule_set_override_removes_and_adds(write: Write) -> None:
    rules = write(
        "rules.yaml",
        """\
name: custom
levels:
  xa:
    - {slug: vp, kind: bo-phan, name: Bộ phận Văn phòng, roles: [van-phong], symbol: VP, title: T}
    - {slug: mc, kind: bo-phan, name: Bộ phận Một cửa, roles: [mot-cua], symbol: MC, title: T}
overrides:
  "00340":
    remove: [mc]
    add: [{slug: tp, kind: bo-phan, name: Bộ phận Tư pháp, roles: [tu-phap], symbol: TP, title: T}]
""",
    )
    h = load_hierarchy(write("h.yaml", TINY.format(departments="rules.yaml")))
    assert [d.name for d in h.departments("00340")] == ["Bộ phận Văn phòng", "Bộ phận Tư pháp"]
    assert [d.name for d in h.departments("00337")] == ["Bộ phận Văn phòng", "Bộ phận Một cửa"]
    assert h.departments("008") == []
    assert rules.exists()


def test_find_by_name_and_decomposed_unicode(write: Write) -> None:
    import unicodedata

    decomposed = unicodedata.normalize("NFD", "Phường Yên Sở")
    text = TINY.format(departments="none").replace("Phường Yên Sở", decomposed)
    h = load_hierarchy(write("nfd.yaml", text))
    assert h.find("Phường Yên Sở").id == "00340"
    assert h.unit("00340").name == "Phường Yên Sở"


def test_leading_zero_codes_stay_text(write: Write) -> None:
    text = TINY.format(departments="none").replace('"008"', "008").replace('"00340"', "00340")
    h = load_hierarchy(write("unquoted.yaml", text))
    assert "00340" in h
    assert h.unit("00340").parent == "008"


def test_stats_count_levels_and_kinds(tiny_file: Path) -> None:
    s = load_hierarchy(tiny_file).stats()
    assert s.by_level == {"huyen": 1, "phong-ban": 23, "tinh": 1, "xa": 2}
    assert s.by_kind["phuong"] == 2
    assert s.total == 27
    assert s.depth == 4


# -- validation: each error names the file, the line and the unit ---------------------------

BAD_HIERARCHIES = {
    "cycle": (
        """\
units:
  - {id: "01", name: Thành phố Hà Nội, kind: thanh-pho}
  - {id: "008", name: Quận Hoàng Mai, kind: quan, parent: "00340"}
  - {id: "00340", name: Phường Yên Sở, kind: phuong, parent: "008"}
""",
        r"cycle of parents: (008 → 00340 → 008|00340 → 008 → 00340)",
    ),
    "two-roots": (
        """\
units:
  - {id: "01", name: Thành phố Hà Nội, kind: thanh-pho}
  - {id: "79", name: Thành phố Hồ Chí Minh, kind: thanh-pho}
""",
        r"bad\.yaml:3: 2 root units .*01 \(Thành phố Hà Nội\), 79",
    ),
    "orphan": (
        """\
units:
  - {id: "01", name: Thành phố Hà Nội, kind: thanh-pho}
  - {id: "00340", name: Phường Yên Sở, kind: phuong, parent: "999"}
""",
        r"bad\.yaml:3: unit 00340 \(Phường Yên Sở\) names parent '999'.*orphan",
    ),
    "duplicate-id": (
        """\
units:
  - {id: "01", name: Thành phố Hà Nội, kind: thanh-pho}
  - {id: "008", name: Quận Hoàng Mai, kind: quan, parent: "01"}
  - {id: "008", name: Quận Thanh Xuân, kind: quan, parent: "01"}
""",
        r"bad\.yaml:4: duplicate unit id '008' \(Quận Thanh Xuân\); already used by "
        r"Quận Hoàng Mai at .*bad\.yaml:3",
    ),
    "unknown-kind": (
        """\
units:
  - {id: "01", name: Thành phố Hà Nội, kind: thanh-pho}
  - {id: "008", name: Quận Hoàng Mai, kind: county, parent: "01"}
""",
        r"bad\.yaml:3: units\.1\.kind: Input should be 'quoc-gia', 'tinh'",
    ),
    "department-with-admin-child": (
        """\
units:
  - {id: "01", name: Thành phố Hà Nội, kind: thanh-pho}
  - {id: "01-snv", name: Sở Nội vụ, kind: so, parent: "01", roles: [noi-vu]}
  - {id: "008", name: Quận Hoàng Mai, kind: quan, parent: "01-snv"}
""",
        r"bad\.yaml:4: department 01-snv \(Sở Nội vụ\) has child 008",
    ),
    "unknown-role": (
        """\
units:
  - {id: "01", name: Thành phố Hà Nội, kind: thanh-pho}
  - {id: "01-snv", name: Sở Nội vụ, kind: so, parent: "01", roles: [bao-chi]}
""",
        r"bad\.yaml:3: unit 01-snv \(Sở Nội vụ\) has unknown role 'bao-chi'",
    ),
    "level-upside-down": (
        """\
units:
  - {id: "00340", name: Phường Yên Sở, kind: phuong}
  - {id: "008", name: Quận Hoàng Mai, kind: quan, parent: "00340"}
""",
        r"bad\.yaml:3: unit 008 \(Quận Hoàng Mai, level huyen\) cannot be under 00340",
    ),
    "malformed-yaml": (
        'units:\n  - {id: "01", name: Thành phố Hà Nội, kind: thanh-pho\n  - {id: 2}\n',
        r"bad\.yaml:3: malformed YAML",
    ),
    "no-units": ("name: empty\nunits: []\n", r"bad\.yaml:1: units: .* at least 1 item"),
    "unknown-field": (
        'units:\n  - {id: "01", name: Hà Nội, kind: thanh-pho, parnt: "x"}\n',
        r"bad\.yaml:2: units\.0\.parnt: Extra inputs are not permitted",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_HIERARCHIES))
def test_bad_hierarchy_names_file_line_and_unit(case: str, write: Write) -> None:
    text, pattern = BAD_HIERARCHIES[case]
    with pytest.raises((HierarchyError, InputFileError), match=pattern):
        load_hierarchy(write("bad.yaml", text))


def test_not_utf8_is_named(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("units:\n  - {id: '01', name: Hà Nam, kind: tinh}\n".encode("cp1258"))
    with pytest.raises(InputFileError, match=r"latin1\.yaml:2: not UTF-8"):
        load_hierarchy(path)


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match=r"nope\.yaml: file not found"):
        load_hierarchy(tmp_path / "nope.yaml")


def test_from_units_rejects_empty() -> None:
    with pytest.raises(HierarchyError, match="no units"):
        Hierarchy.from_units([], source="test")


def test_a_unit_hanging_below_a_loop_names_the_loop() -> None:
    units = [
        committee_defaults("01", "Thành phố Hà Nội", UnitKind.THANH_PHO),
        committee_defaults("C", "Phường C", UnitKind.PHUONG, "A"),
        committee_defaults("A", "Quận A", UnitKind.QUAN, "B"),
        committee_defaults("B", "Quận B", UnitKind.QUAN, "A"),
    ]
    with pytest.raises(HierarchyError, match=r"cycle of parents: B → A → B"):
        Hierarchy.from_units(units, source="x")
