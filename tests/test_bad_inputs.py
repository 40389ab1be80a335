"""The catalogue of bad inputs, fed through the public CLI.

Every case asserts what an operator sees and what is left on disk: exit code 1, exactly one
line on stderr that names the file (and line, row, cell or unit) and what is wrong, no
traceback, and every file under the test's folder exactly as it was before the command.
The last cases are inputs that look dangerous but are valid: they must come out right.
"""

from __future__ import annotations

import io
import json
import subprocess
import unicodedata
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from docx import Document

from kehoach.cli import app
from kehoach.documents.nd30 import check_docx, check_task_list_docx
from kehoach.documents.plan_document import PLAN_TEMPLATE, fixed_plan_template
from kehoach.io.writing import Confined, Outcome, OutputError, write_own
from tests.conftest import EXAMPLES, TINY, edited_template, files, plan_dir, refused, runner

Write = Callable[[str, str], Path]
PLAN_67 = EXAMPLES / "hoang-mai-67-kh-ubnd.yaml"
PLAN_55 = EXAMPLES / "yen-so-55-kh-ubnd.yaml"
HOANG_MAI = EXAMPLES / "hierarchies" / "hoang-mai.yaml"


# -- hierarchy files ----------------------------------------------------------------------

CITY = '  - {id: "01", name: Thành phố Hà Nội, kind: thanh-pho}\n'
HIERARCHIES = {
    "cycle": (
        '  - {id: "008", name: Quận Hoàng Mai, kind: quan, parent: "00340"}\n'
        '  - {id: "00340", name: Phường Yên Sở, kind: phuong, parent: "008"}\n',
        r"h\.yaml:\d+: cycle of parents: 00\d+ → 00\d+ → 00\d+",
    ),
    "two-roots": (
        '  - {id: "79", name: Thành phố Hồ Chí Minh, kind: thanh-pho}\n',
        r"h\.yaml:3: 2 root units .*01 \(Thành phố Hà Nội\), 79",
    ),
    "orphan": (
        '  - {id: "00340", name: Phường Yên Sở, kind: phuong, parent: "999"}\n',
        r"h\.yaml:3: unit 00340 \(Phường Yên Sở\) names parent '999'.*\(orphan\)",
    ),
    "duplicate-id": (
        '  - {id: "008", name: Quận Hoàng Mai, kind: quan, parent: "01"}\n'
        '  - {id: "008", name: Quận Đống Đa, kind: quan, parent: "01"}\n',
        r"h\.yaml:4: duplicate unit id '008' \(Quận Đống Đa\); already used by Quận Hoàng Mai",
    ),
    "unknown-kind": (
        '  - {id: "008", name: Quận Hoàng Mai, kind: county, parent: "01"}\n',
        r"h\.yaml:3: units\.1\.kind: Input should be 'quoc-gia'",
    ),
    "department-with-children": (
        '  - {id: "01-snv", name: Sở Nội vụ, kind: so, parent: "01", roles: [noi-vu]}\n'
        '  - {id: "01-snv-x", name: Phòng Tổ chức, kind: phong, parent: "01-snv"}\n',
        r"h\.yaml:4: department 01-snv \(Sở Nội vụ\) has child 01-snv-x",
    ),
    "role-nobody-has": (
        '  - {id: "01-snv", name: Sở Nội vụ, kind: so, parent: "01", roles: [thu-vien]}\n',
        r"h\.yaml:3: unit 01-snv \(Sở Nội vụ\) has unknown role 'thu-vien'; known roles: ",
    ),
    "id-with-slash-and-dots": (
        '  - {id: "../../etc", name: Quận Hoàng Mai, kind: quan, parent: "01"}\n',
        r"h\.yaml:3: unit \.\./\.\./etc: id: String should match pattern",
    ),
    "name-with-control-character": (
        '  - {id: "008", name: "Quận Hoàng\\aMai", kind: quan, parent: "01"}\n',
        r"h\.yaml:3: unit 008: name: .*control character U\+0007",
    ),
}


@pytest.mark.parametrize("case", HIERARCHIES)
def test_bad_hierarchy(case: str, write: Write, tmp_path: Path) -> None:
    units, pattern = HIERARCHIES[case]
    path = write("h.yaml", "units:\n" + CITY + units)
    refused(tmp_path, ["hierarchy", "check", str(path)], pattern)


def test_hierarchy_without_units(write: Write, tmp_path: Path) -> None:
    path = write("h.yaml", "name: empty\nunits: []\n")
    refused(tmp_path, ["hierarchy", "check", str(path)], r"h\.yaml:\d+: units: .*at least 1")


# -- plan files ---------------------------------------------------------------------------


def _plan_55(tmp_path: Path, old: str, new: str) -> Path:
    text = PLAN_55.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "p.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


PLANS = {
    "malformed-yaml": (
        "tasks:\n",
        "tasks: [\n",
        r"p\.yaml:\d+: malformed YAML",
    ),
    "missing-field": ("summary: ", "tom_tat: ", r"p\.yaml:\d+: .*summary: Field required"),
    "date-not-in-calendar": (
        'deadline: "Chậm nhất ngày 20/2/2024"',
        'deadline: "Chậm nhất ngày 30/2/2024"',
        r"p\.yaml:\d+: tasks\.0\.deadline: .*30/2/2024 is not a date in the calendar",
    ),
    "recurrence-unreadable": (
        'deadline: "Định kỳ hàng tháng"',
        'deadline: "Hai tuần một lần"',
        r"p\.yaml:\d+: tasks\.\d+\.deadline: .*cannot read the deadline 'Hai tuần một lần'",
    ),
    "quota-below-zero": (
        "count: 12",
        "count: -12",
        r"p\.yaml:\d+: tasks\.\d+\.quota\.count: Input should be greater than or equal to 0",
    ),
    "unknown-field": ("summary: ", "sumary: ", r"p\.yaml:\d+: .*(sumary|summary)"),
    "duplicate-task-id": ('id: "2"\n', 'id: "1"\n', r"p\.yaml:\d+: task ids must be unique"),
}


@pytest.mark.parametrize("case", PLANS)
def test_bad_plan(case: str, tmp_path: Path) -> None:
    old, new, pattern = PLANS[case]
    path = _plan_55(tmp_path, old, new)
    refused(tmp_path, ["plan", "check", str(path)], pattern)


def test_plan_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_bytes(PLAN_55.read_text(encoding="utf-8").encode("cp1258", errors="replace"))
    refused(tmp_path, ["plan", "check", str(path)], r"p\.yaml:\d+: not UTF-8 text \(byte \d+\)")


def test_plan_missing(tmp_path: Path) -> None:
    refused(tmp_path, ["plan", "check", str(tmp_path / "nope.yaml")], r"nope\.yaml: file not found")


def test_deadline_after_the_parents(tmp_path: Path) -> None:
    path = _plan_55(tmp_path, 'deadline: "Trước ngày 15/3/2024"', 'deadline: "20/4/2024"')
    refused(
        tmp_path,
        ["plan", "check", str(path), "--parent", str(PLAN_67)],
        r"p\.yaml:\d+: task 1b is due 20/04/2024, after task 3 of 67/KH-UBND .*\(31/03/2024\)",
    )


def test_the_seed_plans_keep_their_parents_deadlines() -> None:
    result = runner.invoke(app, ["plan", "check", str(PLAN_55), "--parent", str(PLAN_67)])
    assert result.exit_code == 0, result.output


def _task_line(text: str, task_id: str) -> int:
    """The line of ``- id: "<task_id>"`` in a plan's text: where errors about it point."""
    return text.splitlines().index(f'  - id: "{task_id}"') + 1


# A task due before the plan's own date (20/02/2024): a day, or a whole window, before it.
BEFORE_THE_PLAN = {
    "deadline-before-the-plan": (
        ('deadline: "Chậm nhất ngày 20/2/2024"', 'deadline: "19/2/2024"'),
        "1",
        r"tasks\.0\.deadline: task 1 is due 19/02/2024 \('19/2/2024'\), before the plan's own "
        r"date 20/02/2024",
    ),
    "before-the-day-it-is-issued": (
        ('deadline: "Chậm nhất ngày 20/2/2024"', 'deadline: "Trước ngày 20/2/2024"'),
        "1",
        r"tasks\.0\.deadline: task 1 is due 19/02/2024 \('Trước ngày 20/2/2024'\), before the "
        r"plan's own date 20/02/2024",
    ),
    "window-before-the-plan": (
        ('deadline: "Trước ngày 15/3/2024"', 'deadline: "Trong năm 2023"'),
        "1b",
        r"tasks\.1\.deadline: task 1b is due 31/12/2023 \('Trong năm 2023'\), before the plan's "
        r"own date 20/02/2024",
    ),
}


@pytest.mark.parametrize("case", BEFORE_THE_PLAN)
def test_a_deadline_before_the_plans_own_date(case: str, tmp_path: Path) -> None:
    (old, new), task_id, pattern = BEFORE_THE_PLAN[case]
    path = _plan_55(tmp_path, old, new)
    line = _task_line(path.read_text(encoding="utf-8"), task_id)
    refused(tmp_path, ["plan", "check", str(path)], rf"p\.yaml:{line}: {pattern}")


def test_a_deadline_after_the_term_is_a_warning(tmp_path: Path) -> None:
    path = _plan_55(tmp_path, 'deadline: "Trước ngày 15/3/2024"', 'deadline: "Trong năm 2025"')
    before = files(tmp_path)
    result = runner.invoke(app, ["plan", "check", str(path)])
    assert result.exit_code == 0, result.output
    line = _task_line(path.read_text(encoding="utf-8"), "1b")
    assert result.stderr.splitlines() == [
        f"warning: {path}:{line}: task 1b is due 31/12/2025 ('Trong năm 2025'), after the "
        "plan's term (2024); check the year"
    ]
    assert result.stdout.startswith(f"ok {path}: ")
    assert files(tmp_path) == before


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.name)
def test_the_seed_plans_have_no_deadline_before_them_or_after_their_term(path: Path) -> None:
    result = runner.invoke(app, ["plan", "check", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""


# -- templates ----------------------------------------------------------------------------


def template_with(tmp_path: Path, tag: str) -> Path:
    """A copy of the plan template whose summary tag is replaced by ``tag``."""
    out = tmp_path / "t.docx"
    with zipfile.ZipFile(PLAN_TEMPLATE) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "word/document.xml":
                assert b"{{ summary }}" in data
                data = data.replace(b"{{ summary }}", tag.encode())
            dst.writestr(info, data)
    return out


TEMPLATES = {
    "unknown-tag": ("{{ tom_tat }}", r"t\.docx: word/document\.xml: 'tom_tat' is undefined"),
    "syntax-error": ("{{ summary", r"t\.docx: word/document\.xml: template syntax error"),
    "python-internals": (
        "{{ summary.__class__.__mro__[1].__subclasses__() }}",
        r"t\.docx: word/document\.xml: (forbidden in a template|.*undefined)",
    ),
}


@pytest.mark.parametrize("case", TEMPLATES)
def test_bad_template(case: str, tmp_path: Path) -> None:
    tag, pattern = TEMPLATES[case]
    path = template_with(tmp_path, tag)
    refused(tmp_path, ["template", "check", str(path)], pattern)


def _misformatted(tmp_path: Path) -> Path:
    """The default template in Arial with a line round the header and signature tables."""
    tnr = 'w:ascii="Times New Roman" w:hAnsi="Times New Roman"'
    edits = {
        "word/document.xml": [
            (tnr, tnr.replace("Times New Roman", "Arial"), -1),
            ('<w:top w:val="nil"/>', '<w:top w:val="single" w:sz="4"/>', -1),
        ]
    }
    return edited_template(tmp_path, edits, "mau.docx")


def test_template_check_lists_each_problem_with_its_fix(tmp_path: Path) -> None:
    path = _misformatted(tmp_path)
    result = runner.invoke(app, ["template", "check", str(path)])
    assert result.exit_code == 1, result.output
    assert result.stdout.splitlines() == [
        f"{path}: font is Arial in 46 runs; ND 30 requires Times New Roman: in Word/LibreOffice "
        "select all (Ctrl+A) and choose Times New Roman, also in Styles → Default Paragraph "
        "Style (Word: Normal)",
        f"{path}: the header table has visible borders: select the table → Borders → No Border "
        "(LibreOffice: Table → Properties → Borders → no borders)",
        f"{path}: the signature table (Nơi nhận) has visible borders: select the table → "
        "Borders → No Border (LibreOffice: Table → Properties → Borders → no borders)",
    ]
    assert result.stderr.splitlines() == [
        f"error: {path}: 3 ND30 problems, each listed above with its fix; for fonts and "
        "borders, --fix writes a corrected copy"
    ]


def test_template_check_fix_writes_a_corrected_copy(tmp_path: Path) -> None:
    path = _misformatted(tmp_path)
    before = path.read_bytes()
    result = runner.invoke(app, ["template", "check", str(path), "--fix"])
    assert result.exit_code == 0, result.output
    fixed = tmp_path / "mau.fixed.docx"
    assert result.stdout.splitlines() == [
        f"wrote {fixed}: Times New Roman, borderless header and signature tables",
        f"ok {fixed}: renders the sample and follows ND30",
    ]
    assert path.read_bytes() == before
    assert fixed_plan_template(fixed) == fixed.read_bytes()  # a second fix changes nothing


def test_template_check_fix_never_overwrites_the_template(tmp_path: Path) -> None:
    path = _misformatted(tmp_path)
    refused(
        tmp_path,
        ["template", "check", str(path), "--fix", "-o", str(path)],
        r"mau\.docx: --fix writes a copy; choose another --out",
    )


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_api")
def test_a_cascade_with_a_misformatted_template_warns_and_drafts(tmp_path: Path) -> None:
    """A layout problem is the operator's to fix, not a reason to stop: each is one warning
    with its fix, and every draft is written."""
    path = _misformatted(tmp_path)
    out = tmp_path / "out"
    args = ["cascade", str(PLAN_67), "-H", str(HOANG_MAI), "--from", "00340", "--out", str(out)]
    result = runner.invoke(app, [*args, "--template", str(path)])
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stdout.splitlines() if line.startswith("warning:")]
    assert [w.split(": ", 3)[2] for w in warnings] == [
        "font is Arial in 46 runs; ND 30 requires Times New Roman",
        "the header table has visible borders",
        "the signature table (Nơi nhận) has visible borders",
    ]
    assert warnings[0].startswith(f"warning: template {path}: font is Arial")
    assert "select all (Ctrl+A) and choose Times New Roman" in warnings[0]
    folder = plan_dir(out, PLAN_67, str(HOANG_MAI))
    drafts = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["drafts"]
    assert drafts and all((folder / d["path"]).is_file() for d in drafts)


# -- cascades: every check before the first file --------------------------------------------


@pytest.mark.usefixtures("prefect_api")
class TestCascadeRefuses:
    """A cascade that cannot finish does not start: the output folder is never created."""

    def cascade(self, tmp_path: Path, *args: str, plan: Path = PLAN_67) -> list[str]:
        return ["cascade", str(plan), "--out", str(tmp_path / "out"), *args]

    def test_a_task_whose_lead_role_the_child_lacks(self, tmp_path: Path, write: Write) -> None:
        text = HOANG_MAI.read_text(encoding="utf-8")
        text = text.replace(
            "roles: [van-hoa-thong-tin, chuyen-doi-so]", "roles: [van-hoa-thong-tin]"
        )
        h = write("h.yaml", text)
        refused(
            tmp_path,
            self.cascade(tmp_path, "-H", str(h)),
            r"unit 00337: task 11 .* needs a department with role 'chuyen-doi-so', and "
            r"Phường Trần Phú \(00337\) has none",
        )
        assert not (tmp_path / "out").exists()

    def test_an_issuer_not_in_the_hierarchy(self, tmp_path: Path, write: Write) -> None:
        h = write(
            "h.yaml", "units:\n  - {id: '79', name: Thành phố Hồ Chí Minh, kind: thanh-pho}\n"
        )
        refused(
            tmp_path,
            self.cascade(tmp_path, "-H", str(h)),
            r"the plan is issued by unit 008 \(UBND quận Hoàng Mai\), which is not in the "
            r"hierarchy .*h\.yaml",
        )

    def test_a_start_unit_not_below_the_issuer(self, tmp_path: Path) -> None:
        refused(
            tmp_path,
            self.cascade(tmp_path, "--from", "Quận Đống Đa"),
            r"Quận Đống Đa \(006\) is not below the plan's issuer Quận Hoàng Mai \(008\)",
        )

    @pytest.mark.parametrize("case", TEMPLATES)
    def test_a_broken_template(self, case: str, tmp_path: Path) -> None:
        tag, pattern = TEMPLATES[case]
        path = template_with(tmp_path, tag)
        refused(
            tmp_path, self.cascade(tmp_path, "-H", str(HOANG_MAI), "--template", str(path)), pattern
        )
        assert not (tmp_path / "out").exists()

    def test_a_read_only_folder(self, tmp_path: Path, mounted: Mount) -> None:
        folder = mounted(tmp_path / "ro", "ro")
        args = ["cascade", str(PLAN_67), "-H", str(HOANG_MAI), "--out", str(folder / "out")]
        refused(tmp_path, args, r"/008-67-kh-ubnd-2024/hoang-mai: cannot write in .*/ro: Read-only")

    def test_a_full_disk(self, tmp_path: Path, mounted: Mount) -> None:
        folder = mounted(tmp_path / "full", "size=64k")
        args = ["cascade", str(PLAN_67), "-H", str(HOANG_MAI), "--out", str(folder / "out")]
        refused(tmp_path, args, r"/hoang-mai: 0\.\d MB free, and the drafts need about \d+\.\d MB")


Mount = Callable[[Path, str], Path]


@pytest.fixture
def mounted() -> Iterator[Mount]:
    """Mount a small tmpfs (read-only or of a given size): a real refusal, even for root."""
    points: list[Path] = []

    def mount(point: Path, options: str) -> Path:
        point.mkdir()
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(point)],
            capture_output=True,
            check=False,
        )
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
        points.append(point)
        return point

    yield mount
    for point in points:
        subprocess.run(["umount", str(point)], check=False)


# -- inputs that look dangerous and are valid -----------------------------------------------


@pytest.mark.usefixtures("prefect_api")
def test_special_characters_are_printed_literally(tmp_path: Path, write: Write) -> None:
    text = PLAN_67.read_text(encoding="utf-8")
    odd = "Tuyên truyền & vận động <b>{{ 7*7 }}</b> {% if x %}"
    title = 'annex_title: "MỘT SỐ NHIỆM VỤ CỤ THỂ VỀ CÔNG TÁC TUYÊN TRUYỀN CCHC NĂM 2024"'
    assert title in text
    task = 'title: "Tổ chức các hoạt động, sự kiện tuyên truyền về chuyển đổi số'
    assert task in text  # task 11: every department of every level takes part
    text = text.replace(title, f"annex_title: '{odd}'").replace(task, f'title: "{odd}')
    plan = write("p.yaml", text)
    h = write("h.yaml", TINY.format(departments="rules-2024"))
    out = tmp_path / "o"
    result = runner.invoke(app, ["cascade", str(plan), "-H", str(h), "--out", str(out)])
    assert result.exit_code == 0, result.output
    folder = plan_dir(out, plan, str(h))
    drafts = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["drafts"]
    assert len(drafts) == 18  # two wards, the district's six departments, the wards' ten
    for d in drafts:  # every draft is whole, and prints the text as written
        data = (folder / d["path"]).read_bytes()
        doc = Document(io.BytesIO(data))
        cells = [c.text for t in doc.tables for r in t.rows for c in r.cells]
        assert any(c.startswith(odd) for c in cells), d["path"]  # the task's row
        if d["document"] == "ke-hoach":
            assert odd in [p.text for p in doc.paragraphs]  # the annex's title
            assert check_docx(data) == []  # whole: recipients, signature, annex
        else:
            assert check_task_list_docx(data) == []


def test_decomposed_unicode_matches_the_composed_name(write: Write) -> None:
    decomposed = unicodedata.normalize("NFD", TINY.format(departments="none"))
    assert decomposed != TINY.format(departments="none")
    path = write("h.yaml", decomposed)
    result = runner.invoke(
        app, ["hierarchy", "show", "--source", str(path), "--unit", "Phường Yên Sở"]
    )
    assert result.exit_code == 0, result.output
    assert "00340" in result.stdout


@pytest.mark.usefixtures("prefect_api")
def test_names_with_slashes_and_dots_stay_inside_the_output_folder(
    tmp_path: Path, write: Write
) -> None:
    text = TINY.format(departments="rules-2024").replace(
        "name: Phường Yên Sở", "name: Phường ../../Yên/Sở"
    )
    h = write("h.yaml", text)
    out = tmp_path / "o"
    result = runner.invoke(app, ["cascade", str(PLAN_67), "-H", str(h), "--out", str(out)])
    assert result.exit_code == 0, result.output
    written = [p for p in tmp_path.rglob("*.docx")]
    assert written and all(p.resolve().is_relative_to(out.resolve()) for p in written)
    assert any(p.name == "00340-phuong-yen-so.docx" for p in written)


@pytest.mark.parametrize("batch", [False, True], ids=["one file", "a batch's paths"])
def test_a_link_inside_the_output_folder_does_not_lead_a_draft_out(
    tmp_path: Path, batch: bool
) -> None:
    root, outside = tmp_path / "out", tmp_path / "elsewhere"
    (root / "a").mkdir(parents=True)
    outside.mkdir()
    (root / "b").symlink_to(outside, target_is_directory=True)
    (root / "a" / "f.docx").symlink_to(outside / "f.docx")
    confined = Confined(root) if batch else None
    for relative in ("b/f.docx", "a/f.docx", "a/../../elsewhere/f.docx", "../f.docx"):
        with pytest.raises(OutputError, match="leaves the output folder"):
            write_own(root, Path(relative), b"x", None, confined=confined)
    assert list(outside.iterdir()) == []
    assert write_own(root, Path("a/g.docx"), b"x", None, confined=confined) is Outcome.WRITTEN
    assert write_own(root, Path("c/d/g.docx"), b"x", None, confined=confined) is Outcome.WRITTEN
    assert (root / "a" / "g.docx").read_bytes() == (root / "c" / "d" / "g.docx").read_bytes()
