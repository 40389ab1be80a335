"""The CLI through Typer's runner: exit codes, one-line errors, JSON output, help."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import click
import pytest
from typer.main import get_command
from typer.testing import CliRunner

from kehoach.cli import app
from tests.conftest import EXAMPLES

runner = CliRunner()
Write = Callable[[str, str], Path]


def test_stats_json_reports_hanoi_districts_and_wards() -> None:
    result = runner.invoke(app, ["hierarchy", "stats", "--source", "hanoi-2024", "--json"])
    assert result.exit_code == 0, result.output
    stats = json.loads(result.stdout)
    assert stats["by_level"]["huyen"] == 30
    assert stats["by_level"]["xa"] == 526


def test_check_accepts_the_example_hierarchy() -> None:
    result = runner.invoke(
        app, ["hierarchy", "check", str(EXAMPLES / "hierarchies" / "hoang-mai.yaml")]
    )
    assert result.exit_code == 0, result.output
    assert "ok" in result.stdout and "25 units" in result.stdout


@pytest.mark.parametrize(
    ("units", "expected"),
    [
        (
            '  - {id: "008", name: Quận Hoàng Mai, kind: quan, parent: "00340"}\n'
            '  - {id: "00340", name: Phường Yên Sở, kind: phuong, parent: "008"}\n',
            "cycle of parents",
        ),
        (
            '  - {id: "008", name: Quận Hoàng Mai, kind: quan, parent: "01"}\n'
            '  - {id: "008", name: Quận Đống Đa, kind: quan, parent: "01"}\n',
            "duplicate unit id '008' (Quận Đống Đa)",
        ),
    ],
)
def test_check_fails_with_one_line_naming_the_unit(units: str, expected: str, write: Write) -> None:
    path = write(
        "h.yaml", 'units:\n  - {id: "01", name: Thành phố Hà Nội, kind: thanh-pho}\n' + units
    )
    result = runner.invoke(app, ["hierarchy", "check", str(path)])
    assert result.exit_code == 1
    assert expected in result.stderr
    assert str(path) in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_plan_check_ok_and_error(write: Write) -> None:
    ok = runner.invoke(app, ["plan", "check", str(EXAMPLES / "yen-so-55-kh-ubnd.yaml")])
    assert ok.exit_code == 0, ok.output
    assert "55/KH-UBND" in ok.stdout and "8 tasks" in ok.stdout
    bad = runner.invoke(app, ["plan", "check", str(write("p.yaml", "number: [\n"))])
    assert bad.exit_code == 1
    assert "p.yaml:2: malformed YAML" in bad.stderr


def test_schema_is_json_schema() -> None:
    for name, title in (("plan", "Plan"), ("hierarchy", "HierarchyFile")):
        result = runner.invoke(app, ["schema", name])
        assert result.exit_code == 0
        assert json.loads(result.stdout)["title"] == title


def test_show_prints_the_tree_below_a_unit() -> None:
    result = runner.invoke(app, ["hierarchy", "show", "--unit", "Phường Yên Sở", "--depth", "1"])
    assert result.exit_code == 0, result.output
    assert "Bộ phận Văn hóa và Thông tin" in result.stdout


def test_demo_summarises_hierarchy_and_plans() -> None:
    result = runner.invoke(app, ["demo", "--examples", str(EXAMPLES), "--no-cascade"])
    assert result.exit_code == 0, result.output
    assert "Thành phố Hà Nội → Quận Hoàng Mai → Phường Yên Sở" in result.stdout
    assert "3 plans valid" in result.stdout


def _commands(group: click.Command, prefix: str = "") -> list[tuple[str, click.Command]]:
    out = [(prefix.strip(), group)]
    if isinstance(group, click.Group):
        for name, cmd in group.commands.items():
            out += _commands(cmd, f"{prefix} {name}")
    return out


def test_every_command_has_help() -> None:
    for name, cmd in _commands(get_command(app)):
        assert (cmd.help or "").strip(), f"command {name!r} has no help text"
        for param in cmd.params:
            if isinstance(param, click.Option):
                assert param.help, f"option {param.name} of {name!r} has no help"


def test_status_commands_set_import_and_refuse(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    plan = str(EXAMPLES / "hoang-mai-67-kh-ubnd.yaml")
    ok = runner.invoke(
        app,
        [
            "status",
            "set",
            "--plan",
            plan,
            "--unit",
            "00340-van-hoa-thong-tin",
            "--period",
            "2024-Q1",
            "--task",
            "5",
            "--state",
            "hoan-thanh",
            "--done-on",
            "01/03/2024",
            "--count",
            "3",
            "--db",
            db,
            "--by",
            "tester",
        ],
    )
    assert ok.exit_code == 0, ok.output
    hist = runner.invoke(
        app,
        [
            "status",
            "history",
            "--plan",
            plan,
            "--unit",
            "00340-van-hoa-thong-tin",
            "--task",
            "5",
            "--db",
            db,
        ],
    )
    assert "hoan-thanh" in hist.stdout and "tester" in hist.stdout
    late = runner.invoke(
        app,
        [
            "status",
            "set",
            "--plan",
            plan,
            "--unit",
            "00340-van-hoa-thong-tin",
            "--period",
            "2024-Q1",
            "--task",
            "5",
            "--state",
            "hoan-thanh",
            "--done-on",
            "2024-05-01",
            "--db",
            db,
        ],
    )
    assert late.exit_code == 1 and "01/05/2024 is outside 2024-Q1" in late.stderr
    sheets = runner.invoke(
        app,
        [
            "sheets",
            "--plan",
            plan,
            "--period",
            "2024-Q1",
            "--out",
            str(tmp_path / "out"),
            "--from",
            "00340",
        ],
    )
    assert sheets.exit_code == 0, sheets.output
    files = sorted((tmp_path / "out").rglob("*.2024-Q1.xlsx"))
    assert len(files) == 5  # the ward's five sections; the ward itself reports nothing of its own
    again = runner.invoke(
        app,
        [
            "sheets",
            "--plan",
            plan,
            "--period",
            "2024-Q1",
            "--out",
            str(tmp_path / "out"),
            "--from",
            "00340",
        ],
    )
    assert "0 sheets written, 5 kept" in again.stdout
    bad = files[0]
    from openpyxl import load_workbook

    wb = load_workbook(bad)
    wb["BaoCao"]["E11"] = "???"
    wb.save(bad)
    refused = runner.invoke(app, ["status", "import", *map(str, files), "--plan", plan, "--db", db])
    assert refused.exit_code == 1
    assert f"{bad}, sheet BaoCao, cell E11: '???' is not a state" in refused.stderr
    hist = runner.invoke(
        app,
        [
            "status",
            "history",
            "--plan",
            plan,
            "--unit",
            "00340-van-hoa-thong-tin",
            "--task",
            "5",
            "--db",
            db,
        ],
    )
    assert hist.stdout.count("hoan-thanh") == 1  # the refused import added nothing


def test_server_unreachable_is_one_line() -> None:
    plan = str(EXAMPLES / "hoang-mai-67-kh-ubnd.yaml")
    result = runner.invoke(
        app, ["cascade", plan, "--server"], env={"PREFECT_API_URL": "http://127.0.0.1:9/api"}
    )
    assert result.exit_code == 1
    assert "the Prefect server at http://127.0.0.1:9/api does not answer" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
