"""How flows run in-process: which Prefect API, the heartbeat off, console logging quieter.

With no ``PREFECT_API_URL`` the flows run on Prefect's embedded (ephemeral) API, a server in a
child process that takes 7–10 s to start here and longer on a busy machine; Prefect gives it
20 s by default, which a busy 2-core machine exceeded. It is started here, once, with a
longer wait, so that a machine too busy to start it gets one line that says what to do.
"""

from __future__ import annotations

import atexit
import base64
import inspect
import logging
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import Any, ParamSpec, TypeVar, cast

import prefect
from prefect.context import refresh_global_settings_context
from prefect.settings import (
    PREFECT_API_URL,
    PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
    PREFECT_LOGGING_LEVEL,
    PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS,
    get_current_settings,
    temporary_settings,
)
from prefect.settings.legacy import Setting
from prefect.states import Failed
from prefect.utilities.annotations import quote

from kehoach.io.errors import KehoachError

T = TypeVar("T")
P = ParamSpec("P")
R = TypeVar("R")

#: How long the embedded API may take to start (Prefect's default, 20 s, is too short for a
#: busy machine). ``PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS`` set by hand wins.
EMBEDDED_STARTUP_SECONDS = 180


class ServerError(KehoachError):
    """A Prefect API (the operators' server or the embedded one) cannot be started or reached."""


def healthy(api_url: str, timeout: float = 2.0) -> bool:
    """Whether the API answers its health check."""
    request = urllib.request.Request(f"{api_url}/health")
    auth = os.environ.get("PREFECT_API_AUTH_STRING")
    if auth:  # a server with basic auth (listening beyond 127.0.0.1) asks for it
        request.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return bool(response.status == 200)
    except OSError:
        return False


#: The embedded API this process started: one per process, shared by every run in it.
_embedded: dict[str, Any] = {}


def _free_port() -> int:
    """A TCP port on 127.0.0.1 free at the time of asking (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _stop(process: subprocess.Popen[bytes]) -> None:
    """End the embedded API: SIGTERM, then SIGKILL if it has not ended after 5 s."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def start_embedded_api() -> str:
    """Start Prefect's embedded API now (once per process) and return its URL, or raise one
    clear ServerError.

    Prefect would start it on the first API call, deep inside a flow run, where a time-out
    surfaces as a 180-line traceback. It is the command Prefect's own ``SubprocessASGIServer``
    runs (uvicorn over Prefect's ``create_app``, the UI off, with this process's settings),
    launched from here so that this process never imports Prefect's server: that import
    alone is ~56 MB (FastAPI, SQLAlchemy's server models, docket, redis, beartype) in the
    process that holds the national hierarchy and the cascade's manifest. Runs reach it
    through ``PREFECT_API_URL`` (:func:`_api_for_every_thread`).
    """
    process = _embedded.get("process")
    if process is not None and process.poll() is None:
        return str(_embedded["url"])
    timeout = float(PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS.value())
    env = {
        **os.environ,
        "PREFECT_UI_ENABLED": "0",
        "PREFECT__SERVER_EPHEMERAL": "1",
        "PREFECT__SERVER_FINAL": "1",
        **get_current_settings().to_environment_variables(exclude_unset=True),
    }
    app_dir = str(Path(prefect.__file__).parent.parent)
    deadline = time.monotonic() + timeout
    while True:
        port = _free_port()
        url = f"http://127.0.0.1:{port}/api"
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--app-dir", app_dir, "--factory",
             "prefect.server.api.server:create_app", "--host", "127.0.0.1", "--port",
             str(port), "--log-level", "error", "--lifespan", "on"],
            env=env,
        )  # fmt: skip
        while process.poll() is None and time.monotonic() < deadline:
            if healthy(url, timeout=1.0):
                _embedded.update(process=process, url=url)
                atexit.register(_stop, process)
                return url
            time.sleep(0.1)
        # uvicorn exits with 3 when it cannot bind: another process took the port meanwhile
        if process.poll() == 3 and time.monotonic() < deadline:
            continue
        _stop(process)
        raise ServerError(
            f"the embedded Prefect API did not start within {timeout:g} s (the machine may be "
            "busy); run the command again, or start `kehoach server` in another terminal and "
            "set PREFECT_API_URL=http://127.0.0.1:4200/api"
        )


@contextmanager
def _api_for_every_thread(url: str) -> Iterator[None]:
    """Point every run in this process, in every thread, and the processes it starts, at
    ``url``.

    Prefect's settings in a context (``temporary_settings``) are seen by the thread that set
    them only: Prefect's process pool forwards its workers' events from a thread of its own,
    which, finding no API there, started a second embedded API inside the first pooled run
    (measured: Hà Nội 11 → 16 s). So the URL also goes into the environment, which the
    drafting workers inherit, and into Prefect's process-wide settings, which are read from
    the environment; both are restored afterwards.
    """
    before = os.environ.get("PREFECT_API_URL")
    os.environ["PREFECT_API_URL"] = url
    refresh_global_settings_context()
    try:
        with temporary_settings({PREFECT_API_URL: url}):
            yield
    finally:
        if before is None:
            os.environ.pop("PREFECT_API_URL", None)
        else:
            os.environ["PREFECT_API_URL"] = before
        refresh_global_settings_context()


@contextmanager
def quiet_prefect(warn: Callable[[str], None] = print) -> Iterator[None]:
    """Run flows in this process without the exit heartbeat wait and with WARNING logs.

    The CLI shows its own progress; Prefect still records every run and its logs. When
    PREFECT_API_URL names a server that does not answer, the work is not lost to it: the
    run goes to the embedded API instead, and ``warn`` says so in one line.
    """
    settings: dict[Setting, Any] = {
        PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None,
        PREFECT_LOGGING_LEVEL: "WARNING",
    }
    if "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS" not in os.environ:
        settings[PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS] = EMBEDDED_STARTUP_SECONDS
    api = PREFECT_API_URL.value()
    if api and not healthy(api):
        warn(
            f"the Prefect server at {api} does not answer; running on the embedded API "
            "instead (this run will not show in that server's UI)"
        )
        settings[PREFECT_API_URL] = None
    # Run and task logs (a failed run's traceback among them) go to the API, for the run's
    # page, and not to the console, where the CLI prints the error as one line.
    run_loggers = [logging.getLogger(name) for name in ("prefect.flow_runs", "prefect.task_runs")]
    before = [lg.propagate for lg in run_loggers]
    for lg in run_loggers:
        lg.propagate = False
    try:
        with temporary_settings(settings):
            if PREFECT_API_URL.value():
                yield
                return
            # Worker processes (Prefect's process pool, Dask) inherit the settings: the URL
            # sends them to this process's embedded API rather than to one of their own.
            with _api_for_every_thread(start_embedded_api()):
                yield
    finally:
        for lg, propagate in zip(run_loggers, before, strict=True):
            lg.propagate = propagate


class _InputErrorsInOneLine(logging.Filter):
    """Run logs without a traceback for bad input (a :class:`KehoachError`).

    Prefect logs a failing task's exception with its traceback; for input an operator can
    fix, the flow logs the one-line message instead (:func:`one_line_errors`), so the task's
    record is dropped. Tracebacks of real bugs stay.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, KehoachError)


for _name in ("prefect.flow_runs", "prefect.task_runs"):
    logging.getLogger(_name).addFilter(_InputErrorsInOneLine())


def one_line_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Decorate a flow so bad input fails its run with the input error's one line.

    The run's state message is the error itself ("plan.yaml: no such file"), and its log has
    that line once, with no traceback; called from Python, the flow still raises the error.
    Other exceptions (bugs) propagate as Prefect reports them, traceback included.
    """

    @wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except KehoachError as exc:
            from prefect import get_run_logger

            get_run_logger().error("%s", exc)
            return cast(R, Failed(message=str(exc), data=exc))

    # Prefect builds the run's parameters from the signature, resolving its annotations in
    # the function's module; resolve them here in the flow's own module, not this one.
    run.__signature__ = inspect.signature(fn, eval_str=True)  # type: ignore[attr-defined]
    return run


def artifact_key(*parts: str) -> str:
    """A Prefect artifact key from ``parts`` ("rollup", "01-145-kh-ubnd-2021", "2024-Q1").

    Prefect accepts only lowercase letters, numbers and dashes, and the UI shows the latest
    artifact of a key: so every key names its plan (the plan folder, issuer and year
    included, as two plans may share a number) and what else tells two runs apart.
    """
    text = "-".join(parts).lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def opaque(value: T) -> T:
    """``value`` wrapped so Prefect passes it to a task as it is.

    Prefect walks task arguments looking for futures; for thousands of plans that walk costs
    more than the task. ``quote`` stops it; the cast keeps the argument's type for mypy.
    """
    return cast(T, quote(value))


def run_name(kind: str) -> Callable[[], str]:
    """A flow-run name that says what the run does: "cascade 145/KH-UBND → Phường Yên Sở".

    Operators scan the runs list by these names, so they name the plan (its number, read from
    the file) and the unit or period the run is about.
    """

    def name() -> str:
        from prefect.runtime import flow_run

        from kehoach.plan.markers import plain
        from kehoach.plan.model import load_plan

        params = flow_run.parameters
        try:
            plan = load_plan(Path(str(params["plan"])))
            what = plan.number_symbol.strip() if not plan.is_draft else plain(plan.summary)[:40]
        except Exception:  # a bad plan fails in the flow with a clear message; name it anyway
            what = Path(str(params.get("plan", "?"))).name
        target = params.get("start") or params.get("unit") or params.get("to_level")
        period = params.get("period")
        parts = [kind, what]
        if period:
            parts.append(str(period))
        if target:
            parts.append(f"→ {target}")
        return " ".join(parts)

    return name
