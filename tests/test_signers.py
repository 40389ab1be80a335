"""The signers file: who signs for each unit, applied to a hierarchy and printed in drafts."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from docx import Document

from hierarchy.signers import read_signers, with_signers
from hierarchy.sources import load_hierarchy
from kehoach.cascade.drafting import render_draft
from kehoach.cascade.walk import cascade
from kehoach.io.errors import KehoachError
from kehoach.plan.model import load_plan
from tests.conftest import EXAMPLES, plan_dir, refused, runner

Write = Callable[[str, str], Path]
HOANG_MAI = EXAMPLES / "hierarchies" / "hoang-mai.yaml"
PLAN_67 = EXAMPLES / "hoang-mai-67-kh-ubnd.yaml"
SIGNERS = """\
# Who signs for each unit (unit id: authority, title, name)
"00337": {authority: KT. CHỦ TỊCH, title: phó chủ tịch, name: Nguyễn  Văn An}
008-phong-van-hoa-thong-tin:
  name: Lê Thị Hoa
00337-vhtt: Phạm Minh Đức
"""


def signature(data: bytes) -> list[str]:
    """The printed lines of a draft's signature: the right cell of the Nơi nhận table, or the
    tab-separated line of a task list's two signatures."""
    doc = Document(io.BytesIO(data))
    sign = next((t for t in doc.tables if "Nơi nhận:" in t.rows[0].cells[0].text), None)
    if sign is not None:
        return [p.text for p in sign.rows[0].cells[1].paragraphs]
    lines = [p.text for p in doc.paragraphs]
    start = next(i for i, t in enumerate(lines) if "NGƯỜI LẬP" in t)
    return [t.split("\t")[-1] for t in lines[start:]]


def test_a_signers_file_gives_units_their_signers(write: Write) -> None:
    h = load_hierarchy(HOANG_MAI)
    signed = with_signers(h, read_signers(write("signers.yaml", SIGNERS)))
    ward = signed.unit("00337").signer
    assert (ward.authority, ward.title, ward.name) == (
        "KT. CHỦ TỊCH",
        "PHÓ CHỦ TỊCH",
        "Nguyễn Văn An",
    )
    phong = signed.unit("008-phong-van-hoa-thong-tin").signer
    assert (phong.authority, phong.title, phong.name) == (None, "TRƯỞNG PHÒNG", "Lê Thị Hoa")
    assert signed.unit("00337-vhtt").signer.name == "Phạm Minh Đức"
    assert signed.unit("00340").signer == h.unit("00340").signer  # not listed: as it was
    assert h.unit("00337").signer.name is None  # a copy: the hierarchy itself is unchanged
    assert [u.id for u in signed] == [u.id for u in h]


def test_a_csv_file_as_excel_saves_it(write: Write) -> None:
    path = write("nguoi-ky.csv", "unit_id;authority;title;name\n00337;;;Nguyễn Văn An\n")
    signed = with_signers(load_hierarchy(HOANG_MAI), read_signers(path))
    assert signed.unit("00337").signer.model_dump() == {
        "authority": "TM. ỦY BAN NHÂN DÂN",  # an empty cell keeps the hierarchy's value
        "title": "CHỦ TỊCH",
        "name": "Nguyễn Văn An",
    }


@pytest.mark.parametrize(
    ("name", "text", "error"),
    [
        (
            "s.yaml",
            '"00337": {name: A}\n99999: {name: B}\n',
            r"s\.yaml:2: unknown unit id '99999' in the hierarchy .*hoang-mai\.yaml$",
        ),
        (
            "s.yaml",
            "Phường Trần Phú: {name: A}\n",
            r"s\.yaml:1: unknown unit id 'Phường Trần Phú'; that is the name of Phường Trần Phú "
            r"\(00337\): write its id$",
        ),
        ("s.yaml", '"00337": {chuc_vu: A}\n', r"s\.yaml:1: unknown field 'chuc_vu' for unit 00337"),
        (
            "s.csv",
            "unit_id,authority,title,name\n00337,,,A\n0033x,,,B\n",
            r"s\.csv:3: unknown unit id",
        ),
        ("s.csv", "unit_id,authority,title,name\n00337,,,A\n00337,,,B\n", r"s\.csv:3: .*twice"),
        ("s.csv", "id,name\n00337,A\n", r"s\.csv:1: the first line must be the header"),
    ],
)
def test_a_bad_entry_is_one_error_at_its_line(
    write: Write, name: str, text: str, error: str
) -> None:
    with pytest.raises(KehoachError, match=error) as caught:
        load_hierarchy(HOANG_MAI, signers=write(name, text))
    assert caught.value.lines() == [str(caught.value)]


def test_drafts_print_the_signer_or_a_blank_line(write: Write) -> None:
    plain = load_hierarchy(HOANG_MAI)
    signed = load_hierarchy(HOANG_MAI, signers=write("signers.yaml", SIGNERS))
    plan = load_plan(PLAN_67)
    for h, ward_name, phong_name, vhtt_name in (
        (plain, "", "", ""),
        (signed, "Nguyễn Văn An", "Lê Thị Hoa", "Phạm Minh Đức"),
    ):
        drafts = {d.unit.id: d for level in cascade(plan, h) for d in level}
        ward = signature(render_draft(drafts["00337"]))
        assert [t for t in ward if t] == [
            *(
                ["KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"]
                if ward_name
                else ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"]
            ),
            *([ward_name] if ward_name else []),
        ]
        assert ward[-5:] == ["", "", "", "", ward_name]  # room to sign, then the name line
        assert signature(render_draft(drafts["008-phong-van-hoa-thong-tin"]))[-1] == phong_name
        assert signature(render_draft(drafts["00337-vhtt"]))[-1] == vhtt_name


@pytest.mark.usefixtures("prefect_api")
def test_cascade_with_a_signers_file_prints_the_names(tmp_path: Path, write: Write) -> None:
    from kehoach.cli import app

    out = tmp_path / "out"
    path = write("signers.yaml", SIGNERS)
    args = ["cascade", str(PLAN_67), "-H", str(HOANG_MAI), "--out", str(out)]
    result = runner.invoke(app, [*args, "--signers", str(path)])
    assert result.exit_code == 0, result.output
    drafts = plan_dir(out, PLAN_67, str(HOANG_MAI)) / "drafts" / "01-ha-noi" / "008-hoang-mai"
    ward = signature((drafts / "00337-tran-phu" / "00337-phuong-tran-phu.docx").read_bytes())
    assert ward[:2] == ["KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"] and ward[-1] == "Nguyễn Văn An"
    phong = drafts / "008-phong-van-hoa-thong-tin-phong-van-hoa-va-thong-tin.docx"
    assert signature(phong.read_bytes())[-1] == "Lê Thị Hoa"

    bad = write("bad.yaml", SIGNERS + "'99999': {name: Không Có}\n")
    refused(
        tmp_path,
        [*args, "--signers", str(bad)],
        r"^error: .*bad\.yaml:6: unknown unit id '99999'",
    )
