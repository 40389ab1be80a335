"""How flows run in-process: the heartbeat off, Prefect's console logging quieter."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar, cast

from prefect.settings import (
    PREFECT_API_URL,
    PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
    PREFECT_LOGGING_LEVEL,
    temporary_settings,
)
from prefect.settings.legacy import Setting
from prefect.utilities.annotations import quote

from flows.server import healthy

T = TypeVar("T")


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
            yield
    finally:
        for lg, propagate in zip(run_loggers, before, strict=True):
            lg.propagate = propagate


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

        from kehoach.plan import load_plan

        params = flow_run.parameters
        try:
            plan = load_plan(Path(str(params["plan"])))
            what = plan.number_symbol.strip() if not plan.is_draft else plan.summary[:40]
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
