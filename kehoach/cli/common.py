"""What every command shares: the consoles and turning operator errors into one line."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from kehoach.io.errors import KehoachError

console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)

P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def operator_errors() -> Iterator[None]:
    """Print an input error on stderr and exit 1; let real bugs show a trace.

    One line per problem: most errors are one, an import that found several problems in its
    files lists each (``KehoachError.lines``), every line with its own file and place. The
    text is the operator's (cell values, names), so it is escaped: "[/b]" in a header cell
    is printed as written, not read as Rich markup.
    """
    try:
        yield
    except KehoachError as exc:
        for line in exc.lines():
            err_console.print(
                f"[bold red]error:[/] {escape(line)}", markup=True, highlight=False, soft_wrap=True
            )
        raise typer.Exit(1) from None


def warn(message: str) -> None:
    """One warning line on stderr (the message is printed as written, not as markup)."""
    err_console.print(f"[yellow]warning:[/] {escape(message)}", markup=True, highlight=False)


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
