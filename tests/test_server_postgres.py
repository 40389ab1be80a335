"""`kehoach server --prefect-db` against a real PostgreSQL: Prefect's own tables there.

CI starts a PostgreSQL (.ci/postgres.sh) and sets KEHOACH_TEST_POSTGRES_URL, the status
store's ``postgresql+psycopg://`` URL. The test gives that same kind of URL, pointed at a new
database of its own, to ``--prefect-db`` (the server turns it into the asyncpg URL Prefect
needs), then reads the deployments and a scheduled run from the API *and* from PostgreSQL's
tables, so a server that quietly fell back to SQLite would fail it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

from kehoach.cli import app
from tests.conftest import REPO, api_post, free_port, poll, runner

POSTGRES = os.environ.get("KEHOACH_TEST_POSTGRES_URL")
WANTED = {"cascade", "rollup-nd09", "reminders-weekly", "report", "issue-plan", "import-plan"}


@contextmanager
def prefect_database() -> Iterator[str]:
    """A new, empty ``prefect_test_…`` database beside the status store's, dropped afterwards
    (its own, so Prefect's tables and the store's tests never meet)."""
    assert POSTGRES is not None
    server = sa.make_url(POSTGRES)
    name = f"prefect_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.mark.slow
@pytest.mark.server
@pytest.mark.skipif(
    not POSTGRES, reason="set KEHOACH_TEST_POSTGRES_URL (CI does: .ci/run starts a PostgreSQL)"
)
def test_the_server_keeps_prefects_deployments_and_runs_in_postgresql(tmp_path: Path) -> None:
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    data = tmp_path / "data"
    env = os.environ | {
        "KEHOACH_DATABASE_URL": f"sqlite:///{tmp_path / 'status.sqlite3'}",
        "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "5",  # a minute by default
    }
    env.pop("PREFECT_API_URL", None)
    with prefect_database() as url:
        kehoach = str(Path(sys.executable).with_name("kehoach"))
        command = [kehoach, "server", "--port", str(port), "--data", str(data)]
        command += ["--out", str(tmp_path / "out"), "--portal-port", "0", "--prefect-db", url]
        log = tmp_path / "kehoach-server.out"
        with log.open("wb") as sink:
            process = subprocess.Popen(
                command,
                cwd=REPO,
                env=env,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:

            def deployments() -> dict[str, str]:
                if process.poll() is not None:
                    raise AssertionError(log.read_text(errors="replace"))
                try:
                    found = api_post(f"{api}/deployments/filter", {})
                except OSError:
                    return {}
                return {str(d["name"]): str(d["id"]) for d in found}

            ids = poll(lambda: (d := deployments()) and set(d) >= WANTED and d, timeout=180)
            scheduled = {
                "flow_runs": {
                    "deployment_id": {"any_": [ids["rollup-nd09"]]},
                    "state": {"type": {"any_": ["SCHEDULED"]}},
                }
            }
            runs = poll(lambda: api_post(f"{api}/flow_runs/filter", scheduled), timeout=120)

            # The same rows, read from PostgreSQL itself.
            engine = sa.create_engine(url)
            try:
                with engine.connect() as conn:
                    names = set(conn.execute(sa.text("SELECT name FROM deployment")).scalars())
                    in_table = set(
                        conn.execute(
                            sa.text(
                                "SELECT CAST(id AS TEXT) FROM flow_run "
                                "WHERE deployment_id = CAST(:d AS UUID) "
                                "AND state_type = 'SCHEDULED'"
                            ),
                            {"d": ids["rollup-nd09"]},
                        ).scalars()
                    )
            finally:
                engine.dispose()
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=60)

    assert names >= WANTED
    assert {str(r["id"]) for r in runs} <= in_table and in_table
    assert not list((data / "prefect").glob("*.db")), "Prefect used SQLite under --data"


def test_an_unreachable_prefect_database_is_one_line_before_anything_starts(
    tmp_path: Path,
) -> None:
    """Port 1 on this machine: nobody listens, so the check fails at once, server unstarted."""
    url = "postgresql://kehoach:mat-khau@127.0.0.1:1/prefect"
    args = ["server", "--port", str(free_port()), "--data", str(tmp_path / "data")]
    result = runner.invoke(app, [*args, "--portal-port", "0", "--prefect-db", url])
    assert result.exit_code == 1, result.output
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error: Prefect's database postgresql+asyncpg://kehoach:***@"), line
    assert "does not answer" in line and "mat-khau" not in line
    assert not (tmp_path / "data").exists()  # nothing started, nothing written


def test_a_prefect_database_that_is_not_postgresql_is_refused(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["server", "--data", str(tmp_path), "--prefect-db", "sqlite:///prefect.db"]
    )
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("error: --prefect-db must be a PostgreSQL URL")
