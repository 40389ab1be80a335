"""Shared test helpers: tiny hierarchies written to temporary files."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

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
