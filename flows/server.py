"""The operators' Prefect server and the process that serves our deployments.

``start_server`` runs ``prefect server start`` as a child process with its home (and SQLite
database) under the project's data folder, so stopping and starting it loses nothing; the UI
is told where its API is (``PREFECT_UI_API_URL``), without which a server on any port but
4200 shows "Can't connect to Server API". ``serve_deployments`` registers the deployments
and runs their flows when the schedule or an operator's click asks: ``prefect.serve`` in one
process, rather than a work pool and a separate worker, because there is one machine and one
kind of job; a work pool pays off only when runs must go to other machines or containers.
For that case ``deploy_to_pool`` registers the same deployments with a *process* work pool
instead, and ``prefect worker start --pool NAME`` on each machine runs them from its checkout.

``prefect_database`` turns the operator's ``--prefect-db`` into the async URL Prefect's
server needs and checks it answers, so a wrong URL is one line rather than a 30-line
traceback in the server's log some 25 s later.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from flows.deployments import deployments
from flows.runtime import ServerError, healthy

if TYPE_CHECKING:
    from prefect.deployments.runner import RunnerDeployment
    from sqlalchemy import URL

#: Prefect's basic-auth setting for a server (``user:password``); its clients send
#: ``PREFECT_API_AUTH_STRING``.
AUTH_SETTING = "PREFECT_SERVER_API_AUTH_STRING"


class ServerConfig(BaseModel):
    """Where the operators' server listens and keeps its data."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    host: str = "127.0.0.1"
    port: int = 4200
    data: Path = Path("data")
    database_url: str | None = None  # PostgreSQL for Prefect itself; SQLite under data/ if None

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.port}/api"

    @property
    def reachable_api_url(self) -> str:
        """The API's address as another machine (a worker, a browser) types it: this
        machine's name when the server listens on every address (0.0.0.0, where ``api_url``
        is only good here)."""
        host = socket.gethostname() if self.host in ("0.0.0.0", "::") else self.host
        return f"http://{host}:{self.port}/api"

    @property
    def ui_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def environment(self) -> dict[str, str]:
        """The environment of the server process (and of the flows it runs)."""
        env = dict(os.environ)
        env.update(
            {
                "PREFECT_HOME": str((self.data / "prefect").resolve()),
                "PREFECT_API_URL": self.api_url,
                # A browser on another machine cannot reach 0.0.0.0: the UI gets this
                # machine's name there (the same address as api_url otherwise).
                "PREFECT_UI_API_URL": self.reachable_api_url,
                "PREFECT_SERVER_API_HOST": self.host,
                "PREFECT_SERVER_API_PORT": str(self.port),
                "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            }
        )
        # Prefect schedules runs 100 days ahead by default, so the Upcoming tab would show
        # one quarterly roll-up; a year ahead shows all four report dates of the year.
        env.setdefault("PREFECT_SERVER_SERVICES_SCHEDULER_MAX_SCHEDULED_TIME", "P370D")
        if self.database_url:
            env["PREFECT_API_DATABASE_CONNECTION_URL"] = self.database_url
        if not self.local:
            # Beyond this machine the API and UI ask for Prefect's basic auth: the server
            # checks PREFECT_SERVER_API_AUTH_STRING, its clients (served flows) send the same.
            auth = env.get(AUTH_SETTING)
            if not auth or ":" not in auth:
                raise ServerError(
                    f"listening on {self.host} exposes the Prefect API and UI: set {AUTH_SETTING}"
                    "=user:password first (the UI asks for it, flows send it)"
                )
            env.setdefault("PREFECT_API_AUTH_STRING", auth)
        return env

    @property
    def local(self) -> bool:
        """Whether only this machine can reach the server."""
        return self.host in ("127.0.0.1", "localhost", "::1")


#: The drivers an operator may name in ``--prefect-db``; Prefect's server needs asyncpg.
_POSTGRES_DRIVERS = (
    "postgres",
    "postgresql",
    "postgresql+psycopg",
    "postgresql+psycopg2",
    "postgresql+asyncpg",
)


def prefect_database(url: str, timeout: float = 10.0) -> str:
    """The ``postgresql+asyncpg://`` URL Prefect's server needs for ``url``, once it answers.

    Operators copy the status store's URL (``postgresql+psycopg://…``) or a plain
    ``postgresql://…``; Prefect's server talks to its database through asyncpg, so the driver
    is replaced. The database is connected to first, so that a wrong host, password or
    database name is one line here rather than a server that exits 25 s later with a
    traceback in its log.
    """
    import asyncio

    import sqlalchemy as sa
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = sa.make_url(url)
    except ArgumentError:
        parsed = None
    if parsed is None or parsed.drivername not in _POSTGRES_DRIVERS or not parsed.database:
        raise ServerError(
            f"--prefect-db must be a PostgreSQL URL with a database, such as "
            f"postgresql://user:password@host:5432/prefect; got {url.split('@')[-1]!r}"
        )
    asynchronous = parsed.set(drivername="postgresql+asyncpg")
    shown = asynchronous.render_as_string(hide_password=True)
    # Prefect passes this one as a server setting, not a keyword of asyncpg's connect.
    probe = asynchronous.difference_update_query(["default_transaction_isolation"])
    try:
        asyncio.run(_connect(probe, timeout))
    except Exception as exc:  # asyncpg's errors share no base class with OSError
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines() or [type(exc).__name__]
        raise ServerError(f"Prefect's database {shown} does not answer: {reason[0]}") from None
    return asynchronous.render_as_string(hide_password=False)


async def _connect(url: URL, timeout: float) -> None:
    """Open one connection to ``url`` (asyncpg's ``timeout`` bounds it) and run ``SELECT 1``."""
    import sqlalchemy as sa
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url, connect_args={"timeout": timeout})
    try:
        async with engine.connect() as conn:
            await conn.execute(sa.text("SELECT 1"))
    finally:
        await engine.dispose()


def start_server(config: ServerConfig, log: Path, wait: float = 120.0) -> subprocess.Popen[bytes]:
    """Start ``prefect server start`` in its own process group; return once it is healthy."""
    if healthy(config.api_url, timeout=1):
        raise ServerError(f"something already answers at {config.api_url}; stop it or use --port")
    (config.data / "prefect").mkdir(parents=True, exist_ok=True)
    log.parent.mkdir(parents=True, exist_ok=True)
    prefect = Path(sys.executable).with_name("prefect")
    command = [str(prefect), "server", "start", "--host", config.host, "--port", str(config.port)]
    with log.open("ab") as out:
        process = subprocess.Popen(
            command,
            env=config.environment(),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerError(
                f"the Prefect server stopped at start (exit {process.returncode}); see {log}"
            )
        if healthy(config.api_url):
            return process
        time.sleep(0.5)
    stop(process)
    raise ServerError(f"the Prefect server did not answer within {wait:.0f} s; see {log}")


def stop(process: subprocess.Popen[bytes], grace: float = 20.0) -> None:
    """Stop a process we started, and its children (its process group), by pid."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=grace)
    except ProcessLookupError:
        pass


def start_portal(
    config: ServerConfig,
    port: int,
    *,
    out: Path,
    plan: Path,
    hierarchy: str,
    log: Path,
    wait: float = 60.0,
) -> subprocess.Popen[bytes]:
    """Start the operators' portal (``kehoach web``) in its own process group, beside the
    Prefect server; return once its login page answers.

    A process of its own rather than a thread: the deployments' ``serve`` owns this one's
    event loop and signals, and the portal is stopped by pid like the server.
    """
    kehoach = Path(sys.executable).with_name("kehoach")
    command = [
        str(kehoach),
        "web",
        "--host",
        config.host,
        "--port",
        str(port),
        "--out",
        str(out),
        "--data",
        str(config.data),
        "--plan",
        str(plan),
        "--hierarchy",
        hierarchy,
        "--prefect-ui",
        config.ui_url,
    ]
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as sink:
        process = subprocess.Popen(
            command,
            env=config.environment(),
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://{config.host}:{port}/dang-nhap"
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerError(f"the portal stopped at start (exit {process.returncode}); see {log}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return process
        except OSError:
            pass
        time.sleep(0.3)
    stop(process)
    raise ServerError(f"the portal did not answer within {wait:.0f} s; see {log}")


def _settings_for(api_url: str | None) -> None:
    """Read Prefect's settings again (and check them) before registering deployments.

    Prefect reads its settings from the environment once, when it is imported, so setting
    ``PREFECT_API_URL`` in ``os.environ`` afterwards is not enough. (Without this, ``serve``
    fell back to an "ephemeral" API which only worked because it found the real server on the
    same port, and which timed out on a busy machine.) The flows' entrypoints are paths
    relative to the project folder, so this must run there.
    """
    from prefect.context import refresh_global_settings_context
    from prefect.settings import PREFECT_API_URL

    refresh_global_settings_context()
    if api_url is not None and PREFECT_API_URL.value() != api_url:
        raise ServerError(f"PREFECT_API_URL is {PREFECT_API_URL.value()!r}, not {api_url}")
    if not Path("flows/cascade.py").is_file():
        raise ServerError(
            "run this from the project folder: served flows start from flows/*.py there"
        )


def serve_deployments(plan: Path, hierarchy: str, out: Path, api_url: str | None = None) -> None:
    """Register the deployments with the API in ``PREFECT_API_URL`` and run what they start.

    Blocks until interrupted. Schedules stay active when it stops (``pause_on_shutdown=False``):
    stopping the operator setup loses nothing. ``api_url``: the server just started in this
    process, checked against Prefect's settings (:func:`_settings_for`).
    """
    from prefect import serve

    _settings_for(api_url)
    serve(*deployments(plan, hierarchy, out), pause_on_shutdown=False)


def deploy_to_pool(
    plan: Path,
    hierarchy: str,
    out: Path,
    pool: str,
    api_url: str | None = None,
    workdir: Path | None = None,
) -> list[str]:
    """Register the deployments with the *process* work pool ``pool`` (created if missing);
    return their names ("cascade/cascade", …).

    Nothing runs here: ``prefect worker start --pool POOL`` on any machine that reaches the
    API takes the runs and starts each flow in a subprocess. No code is shipped: each run
    starts in ``workdir`` (default: this project folder) on the worker's machine and loads
    its flow from the entrypoint there (``flows/cascade.py:cascade_flow``), so every worker
    needs the same checkout at the same path, installed, with the data and the output
    folder on shared storage. That is also where relative paths in parameters
    (``examples/…``, ``out``) are resolved.
    """
    _settings_for(api_url)
    folder = (workdir or Path.cwd()).resolve()
    ensure_process_pool(pool)
    registered = deployments(plan, hierarchy, out)
    for deployment in registered:
        _place(deployment, folder)
        deployment.apply(work_pool_name=pool)
    return [f"{d.flow_name}/{d.name}" for d in registered]


def _place(deployment: RunnerDeployment, folder: Path) -> None:
    """Start the deployment's runs in ``folder`` (a process pool's ``working_dir``), not in a
    temporary folder where ``flows/…`` would not be found."""
    deployment.job_variables = {**deployment.job_variables, "working_dir": str(folder)}


def ensure_process_pool(pool: str) -> None:
    """Create the process work pool ``pool`` with Prefect's default job template, unless it
    exists; refuse a pool of another type (a Docker or Kubernetes pool would need an image)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound
    from prefect.workers.process import ProcessWorker

    with get_client(sync_client=True) as client:
        try:
            existing = client.read_work_pool(pool)
        except ObjectNotFound:
            template = ProcessWorker.get_default_base_job_template()
            # Created meanwhile by another command: the same pool.
            with contextlib.suppress(ObjectAlreadyExists):
                client.create_work_pool(
                    WorkPoolCreate(name=pool, type="process", base_job_template=template)
                )
            return
    if existing.type != "process":
        raise ServerError(
            f"work pool {pool!r} is of type {existing.type!r}, not 'process': choose another "
            "--work-pool name (the deployments run from the checkout, with no image)"
        )
