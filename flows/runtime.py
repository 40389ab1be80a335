"""How flows run in-process: the heartbeat off, Prefect's console logging quieter."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
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
