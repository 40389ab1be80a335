"""``kehoach hierarchy``: look at and check a hierarchy of units."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table
from rich.tree import Tree

from hierarchy.graph import Hierarchy
from hierarchy.sources import NAMED_SOURCES, load_hierarchy
from kehoach.cli.common import command, console, warn

app = typer.Typer(help="Look at and check hierarchies of units.", no_args_is_help=True)

SOURCE_HELP = f"{', '.join(NAMED_SOURCES)}, or a hierarchy YAML file"
Source = Annotated[str, typer.Option("--source", "-s", help=SOURCE_HELP)]
NoDepartments = Annotated[
    bool, typer.Option("--no-departments", help="Administrative units only, no sở/phòng/bộ phận.")
]


def _tree(h: Hierarchy, unit_id: str, depth: int) -> Tree:
    unit = h.unit(unit_id)
    label = f"[bold]{unit.name}[/] [dim]{unit.id} · {unit.kind.value}"
    if unit.roles:
        label += f" · {', '.join(unit.roles)}"
    node = Tree(label + "[/]")
    if depth > 0:
        for child in h.children(unit_id):
            node.add(_tree(h, child.id, depth - 1))
    elif h.children(unit_id):
        node.add(f"[dim]… {len(h.children(unit_id))} more[/]")
    return node


@app.command()
@command
def show(
    source: Source = "hanoi-2024",
    unit: Annotated[str | None, typer.Option(help="Start at this unit (id or name).")] = None,
    depth: Annotated[int, typer.Option(help="Levels to expand below the start.")] = 2,
    no_departments: NoDepartments = False,
) -> None:
    """Print the hierarchy as a tree."""
    h = load_hierarchy(source, departments=not no_departments)
    start = h.find(unit) if unit else h.root
    console.print(_tree(h, start.id, depth))


@app.command()
@command
def check(file: Annotated[Path, typer.Argument(help="Hierarchy YAML file.")]) -> None:
    """Validate a hierarchy file; exit 1 with the first error, naming the file, line and unit.

    Siblings with the same name are valid but warned about: a name finds neither of them, and
    their drafts carry the same heading.
    """
    h = load_hierarchy(file)
    stats = h.stats()
    console.print(
        f"[green]ok[/] {file}: {stats.total} units, {stats.depth} levels, root {h.root.name}"
    )
    for same in h.sibling_duplicates():
        parent = h.parent(same[0].id)
        under = f"{parent.name} ({parent.id})" if parent is not None else "the root"
        ids = ", ".join(u.id for u in same)
        warn(
            escape(
                f"{len(same)} units under {under} are named {same[0].name!r}: {ids}; finding "
                "them by name is ambiguous and their drafts carry the same heading"
            )
        )


@app.command()
@command
def stats(
    source: Source = "hanoi-2024",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    no_departments: NoDepartments = False,
) -> None:
    """Unit counts per level (cấp) and kind (loại)."""
    s = load_hierarchy(source, departments=not no_departments).stats()
    if as_json:
        typer.echo(s.model_dump_json(indent=2))
        return
    table = Table(title=f"{s.source}: {s.total} units, {s.depth} levels")
    table.add_column("level / kind")
    table.add_column("units", justify="right")
    for level, n in s.by_level.items():
        table.add_row(f"[bold]{level}", str(n))
    for kind, n in s.by_kind.items():
        table.add_row(f"  {kind}", str(n))
    console.print(table)
