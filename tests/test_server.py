"""The operators' server as it runs for real: `kehoach server` on a free port, its scheduled
deployments, and the scheduled runs its scheduler creates.

A schedule that shows "active" in the UI is not enough: under SQLAlchemy 2.1 Prefect 3.8.8's
scheduler failed every minute and never created a run, and nobody would have noticed before a
report deadline passed. So this test reads the *upcoming scheduled runs* from the API and
checks their local times, and reads the server's log for errors from its services.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import REPO, api_call, api_post, free_port, poll

pytestmark = [pytest.mark.slow, pytest.mark.server]

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def _next_rollup(after: dt.datetime) -> dt.datetime:
    """The next 07:00 on 20/3, 20/6, 20/9 or 20/12 in Vietnam after ``after``."""
    local = after.astimezone(VIETNAM)
    for year in (local.year, local.year + 1):
        for month in (3, 6, 9, 12):
            candidate = dt.datetime(year, month, 20, 7, tzinfo=VIETNAM)
            if candidate > local:
                return candidate
    raise AssertionError("unreachable")


def _next_monday_8(after: dt.datetime) -> dt.datetime:
    local = after.astimezone(VIETNAM)
    day = local.date()
    while True:
        candidate = dt.datetime.combine(day, dt.time(8), tzinfo=VIETNAM)
        if candidate.weekday() == 0 and candidate > local:
            return candidate
        day += dt.timedelta(days=1)


class Server:
    """A `kehoach server` started for this module's tests."""

    def __init__(self, api: str, data: Path, deployments: dict[str, str], began: dt.datetime):
        self.api, self.data, self.deployments, self.began = api, data, deployments, began

    def post(self, path: str, body: dict[str, object]) -> list[dict[str, object]]:
        return api_post(f"{self.api}{path}", body)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp_path = tmp_path_factory.mktemp("server")
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    data = tmp_path / "data"
    env = os.environ | {
        "KEHOACH_DATABASE_URL": f"sqlite:///{tmp_path / 'status.sqlite3'}",
        # The scheduler looks every minute by default; every 5 s here so the test is short.
        # The code path (and the SQLAlchemy 2.1 failure it would hit) is the same.
        "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "5",
    }
    env.pop("PREFECT_API_URL", None)
    command = [
        str(Path(sys.executable).with_name("kehoach")),
        *("server", "--port", str(port), "--data", str(data), "--out", str(tmp_path / "out")),
    ]
    began = dt.datetime.now(dt.UTC)
    output = tmp_path / "kehoach-server.out"
    process = subprocess.Popen(
        command,
        cwd=REPO,
        env=env,
        stdout=output.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:

        def deployments() -> dict[str, str]:
            if process.poll() is not None:
                raise AssertionError(output.read_text())
            try:
                found = api_post(f"{api}/deployments/filter", {})
            except OSError:
                return {}
            return {str(d["name"]): str(d["id"]) for d in found}

        wanted = {
            "cascade",
            "rollup-nd09",
            "reminders-weekly",
            "report",
            "issue-plan",
            "import-plan",
        }
        ids = poll(lambda: (d := deployments()) and wanted <= set(d) and d, timeout=180)
        yield Server(api, data, ids, began)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)


def test_the_server_schedules_the_rollups_and_reminders_at_their_local_times(
    server: Server,
) -> None:
    def scheduled(name: str) -> list[dt.datetime]:
        runs = server.post(
            "/flow_runs/filter",
            {
                "flow_runs": {
                    "deployment_id": {"any_": [server.deployments[name]]},
                    "state": {"type": {"any_": ["SCHEDULED"]}},
                },
                "sort": "EXPECTED_START_TIME_ASC",
            },
        )
        return [dt.datetime.fromisoformat(str(r["expected_start_time"])) for r in runs]

    try:
        # The four report dates of the coming year; the next three Mondays (the minimum
        # Prefect schedules ahead).
        rollups = poll(lambda: len(r := scheduled("rollup-nd09")) >= 4 and r, timeout=120)
        reminders = poll(lambda: len(r := scheduled("reminders-weekly")) >= 3 and r, 120)
    except AssertionError:
        raise AssertionError(
            "no scheduled runs; the server log says:\n" + "\n".join(_errors(server.data)[:20])
        ) from None

    local = [t.astimezone(VIETNAM) for t in rollups]
    assert all((t.day, t.hour, t.minute) == (20, 7, 0) for t in local), local
    assert {t.month for t in local} == {3, 6, 9, 12}, local  # each period's schedule has runs
    assert local[0] == _next_rollup(server.began)
    weekly = [t.astimezone(VIETNAM) for t in reminders]
    assert all((t.weekday(), t.hour, t.minute) == (0, 8, 0) for t in weekly), weekly
    assert weekly[0] == _next_monday_8(server.began)
    assert all(b - a == dt.timedelta(days=7) for a, b in itertools.pairwise(weekly))
    assert not _errors(server.data), "\n".join(_errors(server.data)[:20])


def test_a_run_started_with_a_missing_plan_fails_with_one_line(server: Server) -> None:
    """What an operator sees after a typo in the plan's path on the deployment's form."""
    missing = "/nonexistent/ke-hoach.yaml"
    created = api_call(
        f"{server.api}/deployments/{server.deployments['cascade']}/create_flow_run",
        {"parameters": {"plan": missing}},
    )
    assert isinstance(created, dict)
    run_id = created["id"]

    def ended() -> dict[str, object] | None:
        runs = server.post("/flow_runs/filter", {"flow_runs": {"id": {"any_": [run_id]}}})
        state = runs[0]["state"]
        assert isinstance(state, dict)
        return state if state["type"] in ("FAILED", "CRASHED", "COMPLETED") else None

    state = poll(ended, timeout=180)
    assert state["type"] == "FAILED", state
    message = str(state["message"])
    assert message.startswith(missing) and "\n" not in message, message
    logs = server.post("/logs/filter", {"logs": {"flow_run_id": {"any_": [run_id]}}})
    lines = [str(line["message"]) for line in logs]
    assert not [line for line in lines if "Traceback" in line], "\n".join(lines)
    assert sum(missing in line for line in lines) <= 2, "\n".join(lines)


def _errors(data: Path) -> list[str]:
    """Lines of the server's log that report an error (a failing service logs them)."""
    log = (data / "prefect-server.log").read_text(encoding="utf-8", errors="replace")
    return [line for line in log.splitlines() if "ERROR" in line or "Traceback" in line]
