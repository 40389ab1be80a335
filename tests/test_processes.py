"""The processes a command starts: the embedded Prefect API and the drafting workers.

An operator runs `kehoach cascade` on a shared 2-core machine and may kill it; what it
started must end with it, and a machine too busy to start Prefect's API gets one line.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES

KEHOACH = str(Path(sys.executable).with_name("kehoach"))
pytestmark = pytest.mark.slow


def test_an_embedded_api_that_cannot_start_in_time_is_one_line(tmp_path: Path) -> None:
    env = os.environ | {"PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "1"}
    env.pop("PREFECT_API_URL", None)
    plan = EXAMPLES / "hoang-mai-67-kh-ubnd.yaml"
    run = subprocess.run(
        [KEHOACH, "cascade", str(plan), "--from", "00340", "--out", str(tmp_path / "out")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 1, run.stdout + run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert "the embedded Prefect API did not start within 1 s" in lines[0]
    assert "PREFECT_API_URL" in lines[0]
    assert "Traceback" not in run.stdout + run.stderr
    assert not (tmp_path / "out").exists()
