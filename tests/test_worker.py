"""Flows on other machines: `kehoach server --work-pool` and a `prefect worker` that runs them.

The worker here starts in a folder of its own with a Prefect home of its own, as it would on
another machine, and knows only the API's address. A cascade run created on the server's
deployment must come back COMPLETED with its drafts and manifest on disk: proof that the
deployment carries what a worker needs (the entrypoint and the checkout to start in), not
only that a run was handed out.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from docx import Document

from tests.conftest import EXAMPLES, REPO, api_call, api_post, free_port, plan_dir, poll

POOL = "kehoach-test"
PLAN = EXAMPLES / "hoang-mai-67-kh-ubnd.yaml"
WANTED = {"cascade", "rollup-nd09", "reminders-weekly", "report", "issue-plan", "import-plan"}


def _start(
    command: list[str], cwd: Path, env: dict[str, str], log: Path
) -> subprocess.Popen[bytes]:
    """A child in its own process group, so that stopping it by pid stops its children."""
    with log.open("wb") as sink:
        return subprocess.Popen(
            command, cwd=cwd, env=env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
        )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, dict[str, str], Path]]:
    """`kehoach server --work-pool` on a free port: its API, the deployments' ids, its log."""
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = os.environ | {"KEHOACH_DATABASE_URL": f"sqlite:///{tmp_path / 'status.sqlite3'}"}
    env.pop("PREFECT_API_URL", None)
    log = tmp_path / "kehoach-server.out"
    kehoach = str(Path(sys.executable).with_name("kehoach"))
    command = [kehoach, "server", "--port", str(port), "--data", str(tmp_path / "data")]
    command += ["--out", str(tmp_path / "out"), "--portal-port", "0", "--work-pool", POOL]
    process = _start(command, REPO, env, log)
    try:

        def deployments() -> dict[str, str]:
            if process.poll() is not None:
                raise AssertionError(log.read_text())
            try:
                found = api_post(f"{api}/deployments/filter", {})
            except OSError:
                return {}
            return {str(d["name"]): str(d["id"]) for d in found if d["work_pool_name"] == POOL}

        ids = poll(lambda: (d := deployments()) and set(d) >= WANTED and d, timeout=180)
        yield api, ids, log
    finally:
        _stop(process)


@pytest.mark.slow
@pytest.mark.server
def test_a_cascade_deployment_runs_through_a_process_worker(
    server: tuple[str, dict[str, str], Path], tmp_path: Path
) -> None:
    api, ids, log = server
    with urllib.request.urlopen(f"{api}/work_pools/{POOL}", timeout=10) as response:
        assert json.loads(response.read())["type"] == "process"
    # What the operator is told to run on the other machines (printed once all are registered).
    poll(lambda: f"prefect worker start --pool {POOL}" in log.read_text("utf-8"), timeout=60)

    with urllib.request.urlopen(f"{api}/deployments/{ids['cascade']}", timeout=10) as response:
        deployment = json.loads(response.read())
    assert deployment["entrypoint"] == "flows/cascade.py:cascade_flow"
    assert deployment["job_variables"]["working_dir"] == str(REPO)  # the checkout, not a tmp dir

    out = tmp_path / "shared-out"
    created = api_call(
        f"{api}/deployments/{ids['cascade']}/create_flow_run",
        {"parameters": {"plan": str(PLAN), "start": "00340", "out": str(out)}},
    )
    assert isinstance(created, dict)
    run_id = created["id"]

    # "Another machine": its own folder and Prefect home, only the API's address in common.
    elsewhere = tmp_path / "worker"
    elsewhere.mkdir()
    env = os.environ | {
        "PREFECT_API_URL": api,
        "PREFECT_HOME": str(elsewhere / "prefect-home"),
        "KEHOACH_DATABASE_URL": f"sqlite:///{tmp_path / 'status.sqlite3'}",
    }
    prefect = str(Path(sys.executable).with_name("prefect"))
    worker_log = tmp_path / "worker.out"
    worker = _start(
        [prefect, "worker", "start", "--pool", POOL, "--run-once"], elsewhere, env, worker_log
    )
    try:

        def ended() -> dict[str, object] | None:
            [run] = api_post(f"{api}/flow_runs/filter", {"flow_runs": {"id": {"any_": [run_id]}}})
            state = run["state"]
            assert isinstance(state, dict)
            return run if state["type"] in ("FAILED", "CRASHED", "COMPLETED") else None

        run = poll(ended, timeout=300)
        state = run["state"]
        assert isinstance(state, dict)
        assert state["type"] == "COMPLETED", (state, worker_log.read_text(errors="replace"))
        assert run["work_pool_name"] == POOL
        poll(lambda: worker.poll() is not None, timeout=60)  # --run-once: it ends with the run
        assert worker.returncode == 0, worker_log.read_text(errors="replace")
    finally:
        _stop(worker)

    folder = plan_dir(out, PLAN)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    drafts = sorted(folder.rglob("*.docx"))
    assert len(drafts) == len(manifest["drafts"]) == 6  # the ward and its five departments
    [ward] = [d for d in manifest["drafts"] if d["unit_id"] == "00340"]
    text = "\n".join(p.text for p in Document(str(folder / ward["path"])).paragraphs)
    assert "Yên Sở" in text
    assert not (elsewhere / "out").exists()  # relative paths were the checkout's, not here


def test_beyond_this_machine_workers_and_the_ui_are_told_this_machines_name(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """On 0.0.0.0 the API's own address is no use elsewhere: other machines get the name."""
    from flows.server import AUTH_SETTING, ServerConfig

    monkeypatch.setenv(AUTH_SETTING, "admin:mat-khau")
    monkeypatch.setattr("socket.gethostname", lambda: "may-chu")
    everywhere = ServerConfig(host="0.0.0.0", port=4200, data=tmp_path)
    assert everywhere.reachable_api_url == "http://may-chu:4200/api"
    assert everywhere.environment()["PREFECT_UI_API_URL"] == "http://may-chu:4200/api"
    here = ServerConfig(port=4321, data=tmp_path)
    assert here.environment()["PREFECT_UI_API_URL"] == here.api_url == here.reachable_api_url
