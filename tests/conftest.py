"""Shared test helpers: tiny hierarchies written to temporary files."""

from __future__ import annotations

import hashlib
import json
import re
import socket
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest
from typer.testing import CliRunner

from kehoach.cli import app
from kehoach.documents.plan_document import PLAN_TEMPLATE

T = TypeVar("T")
runner = CliRunner()
REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"

TINY = """\
name: tiny
departments: {departments}
units:
  - {{id: "01", name: Thành phố Hà Nội, kind: thanh-pho}}
  - {{id: "008", name: Quận Hoàng Mai, kind: quan, parent: "01"}}
  - {{id: "00340", name: Phường Yên Sở, kind: phuong, parent: "008"}}
  - {{id: "00337", name: Phường Trần Phú, kind: phuong, parent: "008"}}
"""


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write ``text`` to ``tmp_path/name`` and return the path."""

    def _write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return _write


@pytest.fixture
def tiny_file(write: Callable[[str, str], Path]) -> Path:
    """City → district → two wards, departments from the 2024 rules."""
    return write("tiny.yaml", TINY.format(departments="rules-2024"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that runs Prefect (its test harness is a server) belongs to the slow tier."""
    for item in items:
        if "prefect_api" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def prefect_api() -> Iterator[None]:
    """One Prefect test harness (a temporary API and database) for the whole session.

    It costs ~16 s to start, so only flow tests ask for it; unit tests call core functions.
    """
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    with (
        prefect_test_harness(server_startup_timeout=120),
        temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}),
    ):
        yield


def files(root: Path) -> dict[str, str]:
    """Every file below ``root`` and a hash of its bytes."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def refused(root: Path, args: list[str], pattern: str, *more: str) -> str:
    """Run the CLI; assert one clear error line matching ``pattern`` and nothing changed.

    Input with several errors (a report with three wrong cells) is refused with one line
    per error: ``more`` are the patterns of the lines after the first, in order.
    """
    before = files(root)
    result = runner.invoke(app, args)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    patterns = [pattern, *more]
    assert len(lines) == len(patterns), result.stderr
    for line, expected in zip(lines, patterns, strict=True):
        assert line.startswith("error: "), line
        assert re.search(expected, line), line
    assert files(root) == before
    return lines[0]


def plan_dir(out: Path, plan: Path, hierarchy: str = "hanoi-2024") -> Path:
    """Where a cascade of the plan file ``plan`` over ``hierarchy`` writes under ``out``."""
    from kehoach.cascade.manifest import plan_folder
    from kehoach.plan.model import load_plan

    return plan_folder(out, load_plan(plan), hierarchy)


#: Replacements ``(old, new, count)`` per part of a DOCX (count -1: all).
Edits = dict[str, list[tuple[str, str, int]]]


def edited_template(tmp_path: Path, edits: Edits, name: str = "edited.docx") -> Path:
    """A copy of the default plan template with ``edits`` made in its XML parts."""
    out = tmp_path / name
    with zipfile.ZipFile(PLAN_TEMPLATE) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info).decode("utf-8")
            for old, new, count in edits.get(info.filename, []):
                assert old in data, (info.filename, old)
                data = data.replace(old, new, count)
            dst.writestr(info, data)
    return out


def free_port() -> int:
    """A TCP port nobody listens on now, for a server a test starts."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def poll(condition: Callable[[], T], timeout: float, every: float = 0.2) -> T:
    """Wait until ``condition()`` is truthy and return it; fail after ``timeout`` seconds.

    Tests wait for what they need to see, never a fixed time.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"still not true after {timeout:.0f} s: {condition}")
        time.sleep(every)


def api_call(url: str, body: dict[str, object]) -> object:
    """POST ``body``; a 503 is the server's SQLite busy for a moment, which Prefect's own
    client retries, and so does this."""
    request = urllib.request.Request(
        url, json.dumps(body).encode(), {"content-type": "application/json"}
    )

    def answer() -> list[object] | None:
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return [json.loads(response.read())]
        except urllib.error.HTTPError as exc:
            if exc.code != 503:
                raise
            return None

    return poll(answer, timeout=60, every=0.5)[0]


def api_post(url: str, body: dict[str, object]) -> list[dict[str, object]]:
    data = api_call(url, body)
    assert isinstance(data, list)
    return data
