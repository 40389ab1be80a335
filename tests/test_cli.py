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
