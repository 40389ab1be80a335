"""The processes a command starts: the embedded Prefect API and the drafting workers.

An operator runs `kehoach cascade` on a shared 2-core machine and may kill it; what it
started must end with it, and a machine too busy to start Prefect's API gets one line.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, plan_dir, poll

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


def _marked(mark: str) -> list[int]:
    """Pids of processes whose environment carries ``KEHOACH_TEST_MARK=mark``."""
    needle = f"KEHOACH_TEST_MARK={mark}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if needle in (entry / "environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


def _kind(pid: int) -> str:
    """What a process of a cascade is, by its command line."""
    try:
        cmdline = (Path("/proc") / str(pid) / "cmdline").read_bytes()
    except OSError:
        return "gone"
    for needle, kind in (
        (b"kehoach.io.processes", "reaper"),
        (b"create_app", "api"),
        (b"spawn_main", "worker"),
    ):
        if needle in cmdline:
            return kind
    return "other"


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc (Linux)")
def test_kill_9_of_a_cascade_leaves_no_process_behind(tmp_path: Path) -> None:
    mark = uuid.uuid4().hex
    env = os.environ | {"KEHOACH_TEST_MARK": mark}
    env.pop("PREFECT_API_URL", None)
    out = tmp_path / "out"
    plan = EXAMPLES / "ha-noi-145-kh-ubnd.yaml"
    cli = subprocess.Popen(
        [KEHOACH, "cascade", str(plan), "--out", str(out), "--batch-size", "100"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        drafts = plan_dir(out, plan) / "drafts"

        # Killed while the workers draft: the command, the reaper, Prefect's API, 2 workers,
        # as one look at /proc sees them (a short-lived helper, such as `uname`, which
        # Python's platform module runs, may come and go between two looks).
        def running() -> dict[str, list[int]] | None:
            kinds: dict[str, list[int]] = {}
            for pid in _marked(mark):
                kinds.setdefault(_kind(pid), []).append(pid)
            ready = len(kinds.get("api", ())) == 1 and len(kinds.get("worker", ())) == 2
            return kinds if ready and drafts.is_dir() and any(drafts.rglob("*.docx")) else None

        started = poll(running, timeout=180)
        assert len(started["reaper"]) == 1, started
        os.kill(cli.pid, signal.SIGKILL)  # the command only, as `kill -9 PID` does
        cli.wait(timeout=30)
        poll(lambda: not _marked(mark), timeout=60)
        count = sum(1 for _ in drafts.rglob("*.docx"))
        assert count == sum(1 for _ in drafts.rglob("*.docx"))  # nobody is writing any more
    finally:
        for pid in _marked(mark):
            os.kill(pid, signal.SIGKILL)


def test_a_worker_ends_without_teardown_after_its_own_exit_handlers(tmp_path: Path) -> None:
    # A drafting worker, once its pool shuts it down: what it registered after starting
    # (and what it printed) is done; the libraries' handlers from before, and the
    # interpreter's teardown, are skipped.
    ran = tmp_path / "ran"
    code = (
        "import atexit, sys\n"
        "from kehoach.io.processes import skip_teardown\n"
        f"note = lambda what: open({str(ran)!r}, 'a').write(what + ' ')\n"
        "atexit.register(note, 'before')\n"
        "skip_teardown()\n"
        "atexit.register(note, 'after')\n"
        "class Torn:\n"
        "    def __del__(self): note('teardown')\n"
        "kept = Torn()\n"
        "sys.stdout.write('printed')\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout == "printed"
    assert ran.read_text().split() == ["after"]


_POOLED_RUN = """
import json, os, sys
from pathlib import Path


def main() -> None:
    os.environ.pop("PREFECT_API_URL", None)
    from flows.cascade import cascade_flow
    from flows.runtime import quiet_prefect

    out = Path(sys.argv[1])
    with quiet_prefect():
        cascade_flow(
            plan=Path(sys.argv[2]), hierarchy="hanoi-2024", out=out / "drafts", start="008",
            workers=2, batch_size=20, database_url=f"sqlite:///{out}/status.db",
        )
    apis = []
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == os.getpid() and b"create_app" in cmdline:
            apis.append(int(entry.name))
    print(json.dumps({
        "apis": len(apis),
        "server_modules": sorted(m for m in sys.modules if m.startswith("prefect.server")),
        "api_url_left": os.environ.get("PREFECT_API_URL"),
    }))


if __name__ == "__main__":
    main()
"""


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc (Linux)")
def test_a_pooled_cascade_runs_on_one_embedded_api_outside_the_command(tmp_path: Path) -> None:
    # The embedded API is a process of its own, started once: the drafting workers and
    # Prefect's threads use it too (no second API), and the command never imports Prefect's
    # server (~56 MB), which would sit beside the national hierarchy for the whole run.
    script = tmp_path / "pooled.py"
    script.write_text(_POOLED_RUN)
    env = os.environ | {"PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    env.pop("PREFECT_API_URL", None)
    plan = EXAMPLES / "hoang-mai-67-kh-ubnd.yaml"
    run = subprocess.run(
        [sys.executable, str(script), str(tmp_path), str(plan)],
        cwd=Path(__file__).parent.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    seen = json.loads(run.stdout.strip().splitlines()[-1])
    assert seen == {"apis": 1, "server_modules": [], "api_url_left": None}
    assert len(list((tmp_path / "drafts").rglob("*.docx"))) == 90
