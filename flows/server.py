"""The operators' Prefect server and the process that serves our deployments.

``start_server`` runs ``prefect server start`` as a child process with its home (and SQLite
database) under the project's data folder, so stopping and starting it loses nothing; the UI
is told where its API is (``PREFECT_UI_API_URL``), without which a server on any port but
4200 shows "Can't connect to Server API". ``serve_deployments`` registers the deployments
and runs their flows when the schedule or an operator's click asks: ``prefect.serve`` in one
process, rather than a work pool and a separate worker, because there is one machine and one
kind of job; a work pool pays off only when runs must go to other machines or containers.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from flows.deployments import deployments
from flows.runtime import ServerError, healthy

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
    def ui_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def environment(self) -> dict[str, str]:
        """The environment of the server process (and of the flows it runs)."""
        env = dict(os.environ)
        env.update(
            {
                "PREFECT_HOME": str((self.data / "prefect").resolve()),
                "PREFECT_API_URL": self.api_url,
                "PREFECT_UI_API_URL": self.api_url,
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


def serve_deployments(plan: Path, hierarchy: str, out: Path, api_url: str | None = None) -> None:
    """Register the deployments with the API in ``PREFECT_API_URL`` and run what they start.

    Blocks until interrupted. Schedules stay active when it stops (``pause_on_shutdown=False``):
    stopping the operator setup loses nothing.

    ``api_url``: the server just started in this process. Prefect reads its settings from the
    environment once, when it is imported, so setting ``PREFECT_API_URL`` in ``os.environ``
    afterwards is not enough: the settings are read again here, and checked. (Without that,
    ``serve`` fell back to an "ephemeral" API which only worked because it found the real
    server on the same port, and which timed out on a busy machine.)
    """
    from prefect import serve
    from prefect.context import refresh_global_settings_context
    from prefect.settings import PREFECT_API_URL

    refresh_global_settings_context()
    if api_url is not None and PREFECT_API_URL.value() != api_url:
        raise ServerError(f"PREFECT_API_URL is {PREFECT_API_URL.value()!r}, not {api_url}")

    if not Path("flows/cascade.py").is_file():
        raise ServerError(
            "run this from the project folder: served flows start from flows/*.py there"
        )

    serve(*deployments(plan, hierarchy, out), pause_on_shutdown=False)
