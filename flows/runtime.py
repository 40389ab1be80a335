"""How flows run in-process: the heartbeat off, Prefect's console logging quieter."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar, cast

from prefect.settings import (
    PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
    PREFECT_LOGGING_LEVEL,
    temporary_settings,
)
from prefect.utilities.annotations import quote

T = TypeVar("T")


@contextmanager
def quiet_prefect() -> Iterator[None]:
    """Run flows in this process without the exit heartbeat wait and with WARNING logs.

    The CLI shows its own progress; Prefect still records every run and its logs.
    """
    with temporary_settings(
        {PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None, PREFECT_LOGGING_LEVEL: "WARNING"}
    ):
        yield


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
