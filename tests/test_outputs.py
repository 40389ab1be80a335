"""Outputs that are never lost: a folder per plan, drafts edited by hand kept, stale ones kept.

Through the CLI, as an operator runs it, on the hand-written Hoàng Mai hierarchy (fast): the
files on disk and the manifest are what is checked.
"""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import docx
import pytest

from hierarchy.sources import load_hierarchy
from kehoach.cli import app
from tests.conftest import EXAMPLES, files, plan_dir, runner

pytestmark = pytest.mark.slow  # the embedded Prefect API
HOANG_MAI = EXAMPLES / "hierarchies" / "hoang-mai.yaml"
PLAN_67 = EXAMPLES / "hoang-mai-67-kh-ubnd.yaml"
PLAN_55 = EXAMPLES / "yen-so-55-kh-ubnd.yaml"


def cascade(out: Path, plan: Path, hierarchy: Path = HOANG_MAI) -> str:
    result = runner.invoke(app, ["cascade", str(plan), "-H", str(hierarchy), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return result.stdout


def manifest(folder: Path) -> dict[str, object]:
    data = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def entries(folder: Path) -> dict[str, dict[str, str]]:
    return {e["unit_id"]: e for e in manifest(folder)["drafts"]}  # type: ignore[attr-defined]


def edit(path: Path, words: str) -> bytes:
    """What a clerk does: open the draft in Word, add a line, save."""
    document = docx.Document(str(path))
    document.add_paragraph(words)
    buf = io.BytesIO()
    document.save(buf)
    path.write_bytes(buf.getvalue())
    return buf.getvalue()


def test_two_plans_in_one_out_keep_both_sets_of_drafts(tmp_path: Path) -> None:
    out = tmp_path / "out"
    cascade(out, PLAN_67)
    first = plan_dir(out, PLAN_67, str(HOANG_MAI))
    before = files(first)
    cascade(out, PLAN_55)
    second = plan_dir(out, PLAN_55, str(HOANG_MAI))
    assert first == out / "008-67-kh-ubnd-2024" / "hoang-mai"
    assert second == out / "00340-55-kh-ubnd-2024" / "hoang-mai"
    below = load_hierarchy(HOANG_MAI).subtree("008")
    assert set(entries(first)) == {u.id for u in below} - {"008"}
    assert files(first) == before  # the second plan touched nothing of the first
    assert set(entries(second)) == {u for u in entries(first) if u.startswith("00340-")}
    for folder in (first, second):
        for e in entries(folder).values():
            data = (folder / e["path"]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == e["sha256"]


def test_a_draft_edited_by_hand_is_kept_as_the_clerk_saved_it(tmp_path: Path) -> None:
    out = tmp_path / "out"
    cascade(out, PLAN_67)
    folder = plan_dir(out, PLAN_67, str(HOANG_MAI))
    ward = folder / entries(folder)["00340"]["path"]
    product = entries(folder)["00340"]["sha256"]
    saved = edit(ward, "Bộ phận Văn phòng UBND phường theo dõi, tổng hợp.")

    again = cascade(out, PLAN_67)
    assert "1 kept: edited by hand" in again
    assert ward.read_bytes() == saved
    entry = entries(folder)["00340"]
    assert entry["state"] == "edited"
    assert entry["sha256"] == product  # what the product wrote, so the edit stays visible
    assert all(e["state"] == "written" for u, e in entries(folder).items() if u != "00340")

    # The parent plan changes: every other draft follows it, the edited one is still kept.
    changed = tmp_path / "67.yaml"
    text = PLAN_67.read_text(encoding="utf-8")
    changed.write_text(text.replace("năm 2024", "năm 2024 (sửa đổi)", 1), encoding="utf-8")
    assert changed.read_text(encoding="utf-8") != text
    third = cascade(out, changed)
    assert "1 kept: edited by hand" in third
    assert ward.read_bytes() == saved


def test_a_file_a_person_put_where_a_draft_goes_is_kept(tmp_path: Path) -> None:
    out = tmp_path / "out"
    folder = plan_dir(out, PLAN_67, str(HOANG_MAI))
    mine = folder / "drafts/01-ha-noi/008-hoang-mai/00340-yen-so/00340-phuong-yen-so.docx"
    mine.parent.mkdir(parents=True)
    mine.write_bytes(b"a file someone wrote")
    assert "1 kept: edited by hand" in cascade(out, PLAN_67)
    assert mine.read_bytes() == b"a file someone wrote"


def test_drafts_of_units_that_left_the_hierarchy_are_reported_and_left(tmp_path: Path) -> None:
    out = tmp_path / "out"
    hierarchy = tmp_path / "h" / HOANG_MAI.name
    hierarchy.parent.mkdir()
    hierarchy.write_text(HOANG_MAI.read_text(encoding="utf-8"), encoding="utf-8")
    cascade(out, PLAN_67, hierarchy)
    folder = plan_dir(out, PLAN_67, str(hierarchy))
    gone = entries(folder)["00337-mot-cua"]
    # The operator edits the hierarchy: Trần Phú's Bộ phận Một cửa gets another id.
    text = hierarchy.read_text(encoding="utf-8")
    hierarchy.write_text(text.replace("00337-mot-cua", "00337-mc"), encoding="utf-8")
    again = cascade(out, PLAN_67, hierarchy)
    assert "1 drafts of units no longer in the hierarchy" in again
    assert (folder / gone["path"]).is_file()  # left in place: a clerk may have worked on it
    assert "00337-mot-cua" not in entries(folder) and "00337-mc" in entries(folder)
    stale = manifest(folder)["stale"]
    assert [e["unit_id"] for e in stale] == ["00337-mot-cua"]  # type: ignore[attr-defined]
    assert "1 drafts of units no longer in the hierarchy" in cascade(out, PLAN_67, hierarchy)


def test_another_hierarchy_is_not_merged_into_a_plans_folder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    cascade(out, PLAN_67)
    other = tmp_path / "elsewhere" / HOANG_MAI.name  # same name, so the same folder
    other.parent.mkdir()
    other.write_text(HOANG_MAI.read_text(encoding="utf-8"), encoding="utf-8")
    before = files(out)
    result = runner.invoke(app, ["cascade", str(PLAN_67), "-H", str(other), "--out", str(out)])
    assert result.exit_code == 1, result.output
    assert "holds drafts over hierarchy" in result.stderr
    assert files(out) == before
