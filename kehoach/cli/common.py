"""What every command shares: the consoles and turning operator errors into one line."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from kehoach.io.errors import KehoachError

console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)

P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def operator_errors() -> Iterator[None]:
    """Print an input error as one line on stderr and exit 1; let real bugs show a trace."""
    try:
        yield
    except KehoachError as exc:
        err_console.print(
            f"[bold red]error:[/] {exc}", markup=True, highlight=False, soft_wrap=True
        )
        raise typer.Exit(1) from None


def warn(message: str) -> None:
    """One warning line on stderr."""
    err_console.print(f"[yellow]warning:[/] {message}", markup=True, highlight=False)


def command(func: Callable[P, R]) -> Callable[P, R]:
    """Decorator: run a command body under :func:`operator_errors`."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with operator_errors():
            return func(*args, **kwargs)

    return wrapper


def print_counts(title: str, what: str, counts: dict[str, int]) -> None:
    """A two-column table of counts per level (or kind)."""
    table = Table(title=title)
    table.add_column("level")
    table.add_column(what, justify="right")
    for key, n in counts.items():
        table.add_row(key, str(n))
    console.print(table)
