"""Finding a unit as a clerk types it: any case, without accents, decomposed, without its kind.

Every ``--from``, ``--unit`` and flow parameter goes through :meth:`Hierarchy.find`, so these
cases hold for all of them; the last tests go through the CLI.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable
from pathlib import Path

import pytest

from hierarchy.graph import Hierarchy
from hierarchy.sources import load_hierarchy
from kehoach.cli import app
from kehoach.io.errors import HierarchyError
from tests.conftest import EXAMPLES, TINY, refused, runner

Write = Callable[[str, str], Path]

# Four communes of vn-2024 whose names differ only by accents: all are "Xa Dien Hoa".
DIEN_HOA = """\
departments: none
units:
  - {id: "VN", name: Việt Nam, kind: quoc-gia}
  - {id: "40", name: Tỉnh Nghệ An, kind: tinh, parent: "VN"}
  - {id: "423", name: Huyện Diễn Châu, kind: huyen, parent: "40"}
  - {id: "17461", name: Xã Diễn Hoa, kind: xa, parent: "423"}
  - {id: "424", name: Huyện Nghi Lộc, kind: huyen, parent: "40"}
  - {id: "17899", name: Xã Diên Hoa, kind: xa, parent: "424"}
  - {id: "49", name: Tỉnh Quảng Nam, kind: tinh, parent: "VN"}
  - {id: "508", name: Thị xã Điện Bàn, kind: thi-xa, parent: "49"}
  - {id: "20557", name: Xã Điện Hòa, kind: xa, parent: "508"}
  - {id: "56", name: Tỉnh Khánh Hòa, kind: tinh, parent: "VN"}
  - {id: "574", name: Huyện Diên Khánh, kind: huyen, parent: "56"}
  - {id: "22684", name: Xã Diên Hòa, kind: xa, parent: "574"}
"""


@pytest.fixture(scope="module")
def hanoi() -> Hierarchy:
    return load_hierarchy("hanoi-2024")


@pytest.fixture
def dien_hoa(write: Write) -> Hierarchy:
    return load_hierarchy(write("dien-hoa.yaml", DIEN_HOA))


@pytest.mark.parametrize(
    "typed",
    [
        "Phuong Yen So",
        "phuong yen so",
        "phường yên sở",
        "PHƯỜNG YÊN SỞ",
        unicodedata.normalize("NFD", "Phường Yên Sở"),
        unicodedata.normalize("NFD", "PHUONG YEN SO"),
        "  Phường   Yên Sở ",
        "00340",
    ],
)
def test_yen_so_is_found_however_it_is_typed(hanoi: Hierarchy, typed: str) -> None:
    assert hanoi.find(typed).id == "00340"


def test_đ_is_typed_as_d(hanoi: Hierarchy) -> None:
    assert hanoi.find("Quan Dong Da").name == "Quận Đống Đa"


def test_the_name_without_its_kind_word_when_it_is_unique(hanoi: Hierarchy) -> None:
    assert hanoi.find("Hoàng Mai").id == "008"
    assert hanoi.find("hoang mai").id == "008"
    assert hanoi.find("Hà Nội").id == "01"


def test_the_name_without_its_kind_word_is_refused_when_two_units_have_it(
    hanoi: Hierarchy,
) -> None:
    with pytest.raises(HierarchyError) as err:
        hanoi.find("Yen So")
    message = str(err.value)
    assert "2 units are named 'Yen So'" in message
    assert "00340 Phường Yên Sở (under Quận Hoàng Mai)" in message
    assert "09856 Xã Yên Sở (under Huyện Hoài Đức)" in message
    assert message.endswith("use the full name or the id")


@pytest.mark.parametrize(
    ("typed", "unit_id"),
    [
        ("Xã Diễn Hoa", "17461"),
        ("xã diên hoa", "17899"),
        ("XÃ ĐIỆN HÒA", "20557"),
        (unicodedata.normalize("NFD", "Xã Điện Hòa"), "20557"),
        ("Xã Điện Hoà", "20557"),  # the tone written on the "a", as older keyboards put it
        ("Xã Diên Hòa", "22684"),
    ],
)
def test_the_name_typed_with_its_accents_wins(
    dien_hoa: Hierarchy, typed: str, unit_id: str
) -> None:
    assert dien_hoa.find(typed).id == unit_id


def test_a_name_without_accents_that_four_units_have_lists_them(dien_hoa: Hierarchy) -> None:
    with pytest.raises(HierarchyError) as err:
        dien_hoa.find("Xa Dien Hoa")
    message = str(err.value)
    assert "\n" not in message
    assert "4 units are named 'Xa Dien Hoa' (ignoring accents)" in message
    for candidate in [
        "17461 Xã Diễn Hoa (under Huyện Diễn Châu)",
        "17899 Xã Diên Hoa (under Huyện Nghi Lộc)",
        "20557 Xã Điện Hòa (under Thị xã Điện Bàn)",
        "22684 Xã Diên Hòa (under Huyện Diên Khánh)",
    ]:
        assert candidate in message
    assert message.endswith("; use the id")


def test_an_exact_name_two_units_share_lists_their_ids_and_parents(hanoi: Hierarchy) -> None:
    with pytest.raises(HierarchyError) as err:
        hanoi.find("phường quang trung")
    assert str(err.value) == (
        "hanoi-2024: 2 units are named 'phường quang trung': 00214 (under Quận Đống Đa), "
        "09538 (under Quận Hà Đông); use the id"
    )


def test_a_name_thousands_share_is_one_line_with_a_count(hanoi: Hierarchy) -> None:
    with pytest.raises(HierarchyError) as err:
        hanoi.find("Bộ phận Văn phòng UBND")
    message = str(err.value)
    assert message.startswith("hanoi-2024: 526 units are named 'Bộ phận Văn phòng UBND': ")
    assert "00340-van-phong" not in message  # five are shown, then how many more
    assert " and 521 more; use the id" in message


@pytest.mark.parametrize(
    ("typed", "suggested"),
    [
        ("Phuong Yen Soo", "; did you mean Phường Yên Sở (00340)?"),
        ("Phường Yên Xở", "; did you mean Phường Yên Sở (00340)?"),
        ("Quan Hoang Mia", "; did you mean Quận Hoàng Mai (008)?"),
    ],
)
def test_an_unknown_name_suggests_the_closest(hanoi: Hierarchy, typed: str, suggested: str) -> None:
    with pytest.raises(HierarchyError) as err:
        hanoi.find(typed)
    assert str(err.value) == f"hanoi-2024: no unit with id or name {typed!r}{suggested}"


def test_a_close_name_several_units_share_suggests_each_with_its_parent(
    hanoi: Hierarchy,
) -> None:
    with pytest.raises(HierarchyError) as err:
        hanoi.find("Yen Soo")
    assert str(err.value).endswith(
        "; did you mean Phường Yên Sở (00340, under Quận Hoàng Mai) or "
        "Xã Yên Sở (09856, under Huyện Hoài Đức)?"
    )


def test_a_name_like_nothing_suggests_nothing(hanoi: Hierarchy) -> None:
    with pytest.raises(HierarchyError) as err:
        hanoi.find("Atlantis")
    assert str(err.value) == "hanoi-2024: no unit with id or name 'Atlantis'"


def test_siblings_with_the_same_name_are_reported(write: Write) -> None:
    text = TINY.format(departments="none") + (
        '  - {id: "00341", name: PHƯỜNG YÊN SỞ, kind: phuong, parent: "008"}\n'
        '  - {id: "006", name: Quận Đống Đa, kind: quan, parent: "01"}\n'
        '  - {id: "00235", name: Phường Yên Sở, kind: phuong, parent: "006"}\n'
    )
    h = load_hierarchy(write("h.yaml", text))
    groups = h.sibling_duplicates()
    assert [[u.id for u in same] for same in groups] == [["00340", "00341"]]
    assert (
        load_hierarchy(write("t.yaml", TINY.format(departments="rules-2024"))).sibling_duplicates()
        == []
    )


def test_hierarchy_check_warns_about_siblings_with_the_same_name(write: Write) -> None:
    text = TINY.format(departments="rules-2024").replace(
        "Phường Trần Phú", unicodedata.normalize("NFD", "phường yên sở")
    )
    result = runner.invoke(app, ["hierarchy", "check", str(write("h.yaml", text))])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("ok ")
    assert result.stderr.splitlines() == [
        "warning: 2 units under Quận Hoàng Mai (008) are named 'Phường Yên Sở': 00340, "
        "00337; finding them by name is ambiguous and their drafts carry the same heading"
    ]


def test_hierarchy_check_is_quiet_when_names_are_unique(tiny_file: Path) -> None:
    result = runner.invoke(app, ["hierarchy", "check", str(tiny_file)])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""


def test_the_cli_refuses_an_ambiguous_unit_in_one_line(tmp_path: Path) -> None:
    refused(
        tmp_path,
        ["hierarchy", "show", "--unit", "Yen So"],
        r"^error: hanoi-2024: 2 units are named 'Yen So' .*00340 Phường Yên Sở "
        r"\(under Quận Hoàng Mai\), 09856 Xã Yên Sở \(under Huyện Hoài Đức\); use the full",
    )


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_api")
def test_cascade_from_a_ward_typed_without_accents(tmp_path: Path) -> None:
    out = tmp_path / "out"
    plan = EXAMPLES / "hoang-mai-67-kh-ubnd.yaml"
    result = runner.invoke(
        app, ["cascade", str(plan), "--from", "Phuong Yen So", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    manifest = json.loads(next(out.rglob("manifest.json")).read_text(encoding="utf-8"))
    drafted = {d["unit_id"]: d for d in manifest["drafts"]}
    assert "00340" in drafted
    assert drafted["00340"]["unit_name"] == "Phường Yên Sở"
    # Only Yên Sở and its own departments: no other ward of Hoàng Mai.
    assert {d["parent_unit_id"] for d in manifest["drafts"]} == {"008", "00340"}
    assert all(uid == "00340" or uid.startswith("00340-") for uid in drafted)
