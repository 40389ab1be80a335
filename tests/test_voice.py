"""Drafts written for the child, in its own voice (issue 12): markers, section III rebuilt for
the bodies the child directs, citations along the chain, deadlines and coordinators."""

from __future__ import annotations

import datetime as dt
import difflib
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from hierarchy.graph import Hierarchy
from hierarchy.sources import load_hierarchy
from kehoach.cascade.rules import Draft
from kehoach.cascade.walk import cascade
from kehoach.cli import app
from kehoach.documents.plan_document import body_blocks
from kehoach.documents.plan_text import read_plan_text
from kehoach.io.errors import PlanError
from kehoach.plan.markers import (
    Speaker,
    markers,
    plain,
    problem,
    revoice,
    said_of_parent,
    with_deadlines,
)
from kehoach.plan.model import Plan, load_plan
from tests.conftest import EXAMPLES, plan_dir, runner

Write = Callable[[str, str], Path]
SPEAKER = Speaker(
    don_vi="phường Yên Sở",
    cap="phường",
    ubnd="UBND phường",
    cac_phong_ban="các bộ phận chuyên môn thuộc phường",
    cap_duoi=None,
    cong_tt="Trang thông tin điện tử phường",
    phong={"noi-vu": "Bộ phận Văn phòng UBND"},
    cap_tren="quận",
    ubnd_cap_tren="UBND quận",
    phong_cap_tren={"noi-vu": "Phòng Nội vụ"},
    cong_tt_cap_tren="Cổng thông tin điện tử quận",
    han={"3": "chậm nhất ngày 26/3/2024"},
)


@pytest.fixture(scope="module")
def hanoi() -> Hierarchy:
    return load_hierarchy("hanoi-2024")


@pytest.fixture(scope="module")
def yen_so_from_67(hanoi: Hierarchy) -> Plan:
    return _draft(load_plan(EXAMPLES / "hoang-mai-67-kh-ubnd.yaml"), hanoi, "00340").plan


def _draft(plan: Plan, h: Hierarchy, unit: str) -> Draft:
    return next(d for level in cascade(plan, h, start=unit) for d in level if d.unit.id == unit)


def _section_iii(plan: Plan) -> list[str]:
    return [plain(s.title or "") for s in plan.implementation]


# -- markers ---------------------------------------------------------------------------------


def test_a_marker_prints_its_words_and_is_re_spoken_for_another_unit() -> None:
    text = (
        "Tuyên truyền trên địa bàn {cap|quận}, gửi {ubnd|UBND quận} "
        "(qua {phong:noi-vu|Phòng Nội vụ})."
    )
    assert plain(text) == "Tuyên truyền trên địa bàn quận, gửi UBND quận (qua Phòng Nội vụ)."
    spoken = revoice(text, SPEAKER)
    assert plain(spoken) == (
        "Tuyên truyền trên địa bàn phường, gửi UBND phường (qua Bộ phận Văn phòng UBND)."
    )
    assert [k for k, _, _ in markers(spoken)] == ["cap", "ubnd", "phong"]  # kept for its children


def test_committees_below_are_left_out_where_there_are_none() -> None:
    text = (
        "Theo dõi {cac_phong_ban|các phòng, ban, đơn vị thuộc quận}{cap_duoi| và UBND các phường}."
    )
    assert plain(revoice(text, SPEAKER)) == "Theo dõi các bộ phận chuyên môn thuộc phường."
    district = Speaker(**{**SPEAKER.__dict__, "cap_duoi": "UBND các phường, xã"})
    assert plain(revoice(text, district)).endswith("và UBND các phường, xã.")


def test_what_the_parent_said_of_itself_becomes_what_the_child_says_of_its_parent() -> None:
    text = "Báo cáo gửi {ubnd|UBND quận} (qua {phong:noi-vu|Phòng Nội vụ}); {han:3|…}."
    down = said_of_parent(text)
    assert plain(revoice(down, SPEAKER)) == (
        "Báo cáo gửi UBND quận (qua Phòng Nội vụ); chậm nhất ngày 26/3/2024."
    )


def test_a_sentence_starting_at_a_marker_capitalises_each_speakers_words() -> None:
    """A text is taken apart once and re-spoken by each child: where a sentence starts is
    judged on the printed text before the marker (an item's "a) ", a stop), whoever speaks."""
    text = (
        "a) {cap|quận} chỉ đạo; gửi {ubnd|UBND quận}. {cap|quận} báo cáo, "
        "{cap|quận} theo dõi; {han:3|chậm nhất ngày 15/3/2024}. {han:3|chậm nhất …}."
    )
    district = Speaker(**{**SPEAKER.__dict__, "cap": "quận", "ubnd": "UBND quận"})
    for speaker, kind in ((SPEAKER, "phường"), (district, "quận"), (SPEAKER, "phường")):
        assert plain(revoice(text, speaker)) == (
            f"a) {kind.title()} chỉ đạo; gửi UBND {kind}. {kind.title()} báo cáo, {kind} "
            "theo dõi; chậm nhất ngày 26/3/2024. Chậm nhất ngày 26/3/2024."
        )
    assert plain(with_deadlines(text, {"3": "trong tháng 3/2024"})) == (
        "a) quận chỉ đạo; gửi UBND quận. quận báo cáo, quận theo dõi; trong tháng 3/2024. "
        "Trong tháng 3/2024."
    )


def test_a_name_with_braces_does_not_break_a_marker() -> None:
    odd = Speaker(**{**SPEAKER.__dict__, "don_vi": "phường {{ 7*7 }} | A"})
    spoken = revoice("của {don_vi|quận Hoàng Mai}", odd)
    assert problem(spoken) is None
    assert plain(spoken) == "của phường {{ 7*7 }} | A"


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("{quan|quận}", "unknown marker"),
        ("{phong|Phòng Nội vụ}", "marker phong is written {phong:…|…}"),
        ("{cap:x|quận}", "marker cap is written {cap|…}"),
        ("trên địa bàn {cap|quận", "not closed"),
    ],
)
def test_a_wrong_marker_is_refused_at_its_line(write: Write, text: str, why: str) -> None:
    source = (EXAMPLES / "yen-so-55-kh-ubnd.yaml").read_text(encoding="utf-8")
    path = write("p.yaml", source.replace("trên địa bàn {cap|phường}.", f"{text}.", 1))
    with pytest.raises(PlanError, match=why) as err:
        load_plan(path)
    assert err.value.where is not None and "p.yaml" in err.value.where


# -- the Yên Sở draft of 67/KH-UBND beside the real 55/KH-UBND ----------------------------------


def test_yen_so_addresses_the_five_bodies_of_the_real_55_in_order(yen_so_from_67: Plan) -> None:
    real = load_plan(EXAMPLES / "yen-so-55-kh-ubnd.yaml")
    ours = [
        (s.assignee.group, s.assignee.unit) for s in yen_so_from_67.implementation if s.assignee
    ]
    theirs = [(s.assignee.group, s.assignee.role) for s in real.implementation]
    assert len(ours) == len(theirs) == 5
    assert ours[0][0] is not None and theirs[0][0] is not None  # all the sections, first
    roles = {"00340-van-phong": "van-phong", "00340-van-hoa-thong-tin": "van-hoa-thong-tin"}
    roles |= {"00340-mot-cua": "mot-cua", "00340-tu-phap": "tu-phap"}
    assert [roles[u] for _, u in ours[1:] if u] == [r for _, r in theirs[1:]]
    assert _section_iii(yen_so_from_67) == [
        "Các bộ phận chuyên môn thuộc phường",
        "Bộ phận Văn phòng UBND",
        "Bộ phận Văn hóa và Thông tin",
        "Bộ phận Một cửa",
        "Bộ phận Tư pháp",
    ]


CITY_IN_A_CITY = """\
name: city-in-a-city
departments: rules-2024
units:
  - {id: "01", name: Thành phố Hà Nội, kind: thanh-pho}
  - {id: "269", name: Thành phố Sơn Tây, kind: thanh-pho-thuoc-tinh, parent: "01"}
  - {id: "09574", name: Phường Lê Lợi, kind: phuong, parent: "269"}
"""


def test_a_city_under_a_city_names_the_one_it_reports_to(write: Write, tmp_path: Path) -> None:
    """Thành phố Thủy Nguyên under Thành phố Hải Phòng (vn-2024), here Sơn Tây made a city:
    "gửi UBND Thành phố (qua Sở Nội vụ)" in its plan reads as its own committee, so it names
    the city above; its ward, a phường, still says "UBND thành phố" of Sơn Tây."""
    h = write("h.yaml", CITY_IN_A_CITY)
    out = tmp_path / "o"
    plan = EXAMPLES / "ha-noi-145-kh-ubnd.yaml"
    result = runner.invoke(app, ["cascade", str(plan), "-H", str(h), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "draft check: 0 findings" in result.output
    folder = plan_dir(out, plan, str(h))

    def body(unit: str) -> str:
        entries = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["drafts"]
        (path,) = [e["path"] for e in entries if e["unit_id"] == unit]
        return "\n".join(b.text for b in read_plan_text((folder / path).read_bytes()).body)

    city = body("269")
    assert "gửi UBND thành phố Hà Nội (qua Sở Nội vụ)" in city
    assert "UBND Thành phố (qua" not in city
    assert "UBND thành phố (qua Phòng Nội vụ)" in body("09574")


def test_yen_so_speaks_in_its_own_voice(yen_so_from_67: Plan) -> None:
    text = "\n".join(b.text for b in body_blocks(yen_so_from_67))
    assert "UBND phường yêu cầu các bộ phận chuyên môn thuộc phường" in text
    assert "từ ngân sách quận cấp cho phường" in text
    assert "gửi UBND quận (qua Phòng Nội vụ)" in text  # the ward reports to the district
    assert "gửi UBND phường (qua Bộ phận Văn phòng UBND)" in text  # its sections to the ward
    for foreign in ("Phòng Nội vụ phát động", "UBND quận yêu cầu", "trên địa bàn quận"):
        assert foreign not in text
    # Cited documents stay as their issuers wrote them.
    assert "mô hình chính quyền đô thị quận Hoàng Mai, giai đoạn 2021 – 2025" in text


def test_one_task_has_one_deadline_in_body_and_annex(yen_so_from_67: Plan) -> None:
    sections_plans = next(t for t in yen_so_from_67.tasks if t.id == "3")
    due = sections_plans.deadline.due
    assert due is not None
    words = f"chậm nhất ngày {due.day}/{due.month}/{due.year}"
    text = "\n".join(b.text for b in body_blocks(yen_so_from_67))
    assert f"Thời gian hoàn thành xây dựng kế hoạch: {words}" in text
    assert "31/3/2024" not in text and "15/3/2024" not in text


def test_sections_of_iii_read_like_the_real_55(yen_so_from_67: Plan) -> None:
    """How close each part is to what Yên Sở really wrote (the closing note quotes it)."""
    real = load_plan(EXAMPLES / "yen-so-55-kh-ubnd.yaml")
    for ours, theirs in zip(yen_so_from_67.implementation, real.implementation, strict=True):
        a = " ".join(plain(p) for p in ours.paragraphs)
        b = " ".join(plain(p) for p in theirs.paragraphs)
        assert difflib.SequenceMatcher(None, a, b).ratio() > 0.3, ours.title


def test_a_duty_a_ward_department_is_given_is_not_repeated_to_all_of_them(
    yen_so_from_67: Plan,
) -> None:
    """67 asks the wards to hold the Cuộc thi, the Đối thoại and to report to the district;
    the ward's plan gives each to the department that does it, as the real 55 does, not
    again to all its departments."""
    parts = {
        plain(s.title or ""): [plain(p) for p in s.paragraphs]
        for s in yen_so_from_67.implementation
    }
    everyone = " ".join(parts["Các bộ phận chuyên môn thuộc phường"])
    said = " ".join(" ".join(ps) for ps in parts.values())
    assert "Cuộc thi" not in everyone and "Đối thoại" not in everyone
    assert "phát động và tổ chức Cuộc thi" in " ".join(parts["Bộ phận Văn hóa và Thông tin"])
    assert "tổ chức Đối thoại" in " ".join(parts["Bộ phận Văn phòng UBND"])
    assert "tổ chức Đối thoại" in " ".join(parts["Bộ phận Một cửa"])
    assert said.count("gửi UBND quận (qua Phòng Nội vụ)") == 1  # by Văn phòng, once
    # What the district asked of its wards and their departments alike is still there.
    assert "Hằng quý có ít nhất 01 tin/bài về thực hiện CCHC gửi đăng" in everyone
    assert "gửi UBND phường (qua Bộ phận Văn phòng UBND)" in everyone


def test_a_committee_duty_joined_to_another_is_kept_whole(hanoi: Hierarchy, write: Write) -> None:
    """A report to the district that also asks something no department is given stays with
    all the ward's departments: dropping it for its report would lose the rest."""
    source = (EXAMPLES / "hoang-mai-67-kh-ubnd.yaml").read_text(encoding="utf-8")
    report = "của phường gửi {ubnd|UBND quận} (qua {phong:noi-vu|Phòng Nội vụ})."
    joined = source.replace(report, report[:-1] + "; lưu trữ hồ sơ tuyên truyền tại phường.")
    assert joined != source
    ward = _draft(load_plan(write("67.yaml", joined)), hanoi, "00340").plan
    everyone = " ".join(plain(p) for p in ward.implementation[0].paragraphs)
    assert "lưu trữ hồ sơ tuyên truyền tại phường" in everyone


def test_the_report_to_the_parent_is_the_offices_to_prepare(hanoi: Hierarchy) -> None:
    """145 asks the districts' and the wards' committees to report to whoever directs them.
    The committee reports; its departments report to it. So the district's Phòng Nội vụ and
    the ward's Bộ phận Văn phòng UBND (which holds the home-affairs role there) advise their
    committee to report, and the departments as a whole are not told to report upward."""
    plan = load_plan(EXAMPLES / "ha-noi-145-kh-ubnd.yaml")
    for unit, office, report in [
        ("008", "Phòng Nội vụ", "Tham mưu UBND quận báo cáo kết quả thông tin, tuyên truyền "
         "CCHC định kỳ quý 1, 6 tháng, 9 tháng, năm (lồng ghép trong báo cáo CCHC định kỳ) "
         "gửi UBND Thành phố (qua Sở Nội vụ)."),
        ("00340", "Bộ phận Văn phòng UBND", "Tham mưu UBND phường định kỳ quý 1, 6 tháng, 9 "
         "tháng, năm báo cáo kết quả thực hiện (lồng ghép trong báo cáo CCHC định kỳ) gửi UBND "
         "quận (qua Phòng Nội vụ)."),
    ]:  # fmt: skip
        draft = _draft(plan, hanoi, unit).plan
        parts = {
            plain(s.title or ""): [plain(p) for p in s.paragraphs] for s in draft.implementation
        }
        everyone = " ".join(next(iter(parts.values())))
        above = "UBND Thành phố" if unit == "008" else "UBND quận"
        assert f"gửi {above}" not in everyone, unit
        assert f"- {report}" in parts[office], unit
        assert sum(report in p for ps in parts.values() for p in ps) == 1, unit
    # What all the ward's departments report through its Văn phòng, the Văn phòng itself
    # reports straight to the ward's committee.
    (office,) = [
        d
        for level in cascade(plan, hanoi, start="00340")
        for d in level
        if d.unit.name == "Bộ phận Văn phòng UBND" and d.parent_unit_id == "00340"
    ]
    assert office.task_list is not None
    duties = " ".join(plain(p) for s in office.plan.content for p in s.paragraphs)
    assert "báo cáo CCHC định kỳ gửi UBND phường." in duties
    assert "(qua Bộ phận Văn phòng UBND)" not in duties


# -- citations, deadlines, coordinators ------------------------------------------------------


def test_a_ward_cites_the_city_plan_and_its_districts_draft_with_blanks(hanoi: Hierarchy) -> None:
    ward = _draft(load_plan(EXAMPLES / "ha-noi-145-kh-ubnd.yaml"), hanoi, "00340").plan
    assert ward.preamble is not None
    assert ward.preamble.startswith(
        "Thực hiện Kế hoạch số 145/KH-UBND ngày 14/06/2021 của UBND Thành phố về thông tin, "
        "tuyên truyền cải cách hành chính nhà nước của thành phố Hà Nội giai đoạn 2021 - 2025, "
        "Kế hoạch số      /KH-UBND ngày      /      /2021 của UBND quận Hoàng Mai về "
    )
    assert _section_iii(ward)[0] == "Các bộ phận chuyên môn thuộc phường"
    assert not any(t.startswith(("Sở ", "Phòng ", "UBND các")) for t in _section_iii(ward))


def test_a_district_directs_its_own_bodies_and_its_wards(hanoi: Hierarchy) -> None:
    district = _draft(load_plan(EXAMPLES / "ha-noi-145-kh-ubnd.yaml"), hanoi, "008").plan
    parts = _section_iii(district)
    assert parts[0] == "Các phòng, ban, đơn vị thuộc quận" and parts[-1].startswith("UBND các")
    assert not any(p.startswith("Sở ") or "quận, huyện, thị xã" in p for p in parts)


def test_a_commune_issues_its_plan_after_its_district(write: Write) -> None:
    """A plan over two levels, due 31/3: the district by 26/3 (its wards' lead time before),
    each ward by 31/3 — never before the district plan it implements."""
    h = load_hierarchy(EXAMPLES / "hierarchies" / "hoang-mai.yaml")
    source = (EXAMPLES / "ha-noi-145-kh-ubnd.yaml").read_text(encoding="utf-8")
    rest = "\n    issues_plan: true\n    levels: [huyen, xa]"
    dated = source.replace(
        f'    deadline: "Định kỳ hàng năm (trong Quý I)"{rest}',
        f'    deadline: "Chậm nhất ngày 31/3/2022"{rest}',
    )
    assert dated != source
    plan = load_plan(write("145.yaml", dated))
    levels = list(cascade(plan, h, start="00340"))
    district = next(d for d in levels[0] if d.unit.id == "008").plan
    ward = next(d for d in levels[1] if d.unit.id == "00340").plan
    assert {t.id: t.deadline.due for t in district.tasks}["2"] == dt.date(2022, 3, 26)
    assert {t.id: t.deadline.due for t in ward.tasks}["2"] == dt.date(2022, 3, 31)


def test_the_lead_is_never_its_own_coordinator(hanoi: Hierarchy) -> None:
    for unit in ("008", "00340"):
        plan = _draft(load_plan(EXAMPLES / "ha-noi-145-kh-ubnd.yaml"), hanoi, unit).plan
        for task in plan.tasks:
            names = [c.label for c in task.coordinating]
            assert task.lead.label not in names, (unit, task.id)
            assert len(names) == len(set(names)), (unit, task.id)


def test_a_plan_without_markers_is_copied_verbatim_and_plan_check_warns(
    write: Write, hanoi: Hierarchy
) -> None:
    source = (EXAMPLES / "hoang-mai-67-kh-ubnd.yaml").read_text(encoding="utf-8")
    bare = write("bare.yaml", plain(source))
    plan = load_plan(bare)
    assert not plan.has_markers
    ward = _draft(plan, hanoi, "00340").plan
    assert ward.purposes[1] == plan.purposes[1]  # "trên địa bàn quận": copied as written
    result = runner.invoke(app, ["plan", "check", str(bare)])
    assert result.exit_code == 0, result.output
    assert "no self-reference markers" in result.stderr
    marked = runner.invoke(app, ["plan", "check", str(EXAMPLES / "hoang-mai-67-kh-ubnd.yaml")])
    assert "no self-reference markers" not in marked.stderr
