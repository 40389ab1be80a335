"""How flows run in-process: which Prefect API, the heartbeat off, console logging quieter.

With no ``PREFECT_API_URL`` the flows run on Prefect's embedded (ephemeral) API, a server in a
child process that takes 7–10 s to start here and longer on a busy machine; Prefect gives it
20 s by default, which a busy 2-core machine exceeded. It is started here, once, with a
longer wait, so that a machine too busy to start it gets one line that says what to do.
"""

from __future__ import annotations

import base64
import inspect
import logging
import os
import re
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import Any, ParamSpec, TypeVar, cast

from prefect.settings import (
    PREFECT_API_URL,
    PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
    PREFECT_LOGGING_LEVEL,
    PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS,
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


def start_embedded_api() -> str:
    """Start Prefect's embedded API now (once per process) and return its URL, or raise one
    clear ServerError.

    Prefect would start it on the first API call, deep inside a flow run, where a time-out
    surfaces as a 180-line traceback. The flows then use this same server (Prefect keeps one
    per process); so do the drafting workers, given its URL (:func:`quiet_prefect`): a
    process without one would start an embedded API of its own.

    It must be Prefect's own server object, not the same server launched another way (which
    would spare this process importing Prefect's server, ~55 MB): Prefect's process pool
    forwards its workers' events from a thread that does not see these settings, to that
    object's server, and starts it if it is not running: a second API inside the first
    pooled run of each process (measured: Hà Nội 11 → 16 s).
    """
    from prefect.server.api.server import SubprocessASGIServer

    timeout = PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS.value()
    server = SubprocessASGIServer()
    try:
        server.start(timeout=timeout)
    except RuntimeError:
        raise ServerError(
            f"the embedded Prefect API did not start within {timeout} s (the machine may be "
            "busy); run the command again, or start `kehoach server` in another terminal and "
            "set PREFECT_API_URL=http://127.0.0.1:4200/api"
        ) from None
    return str(server.api_url)


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
            with temporary_settings({PREFECT_API_URL: start_embedded_api()}):
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
