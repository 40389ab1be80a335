"""How flows run in-process: the heartbeat off, Prefect's console logging quieter."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from prefect.settings import (
    PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
    PREFECT_LOGGING_LEVEL,
    temporary_settings,
)


@contextmanager
def quiet_prefect() -> Iterator[None]:
    """Run flows in this process without the exit heartbeat wait and with WARNING logs.

    The CLI shows its own progress; Prefect still records every run and its logs.
    """
    with temporary_settings(
        {PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None, PREFECT_LOGGING_LEVEL: "WARNING"}
    ):
        yield
