"""``kehoach draft``: check the drafts a cascade wrote, as the clerk who signs them reads."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from hierarchy.sources import load_hierarchy
from kehoach.cascade.lint import lint_out
from kehoach.cli.common import command, console, err_console
from kehoach.plan.model import load_plan

app = typer.Typer(help="Check the drafts a cascade wrote.", no_args_is_help=True)


@app.command()
@command
def lint(
    out: Annotated[
        Path,
        typer.Argument(
            help="A plan folder (out/<plan>/<hierarchy>, with manifest.json) or an --out "
            "folder holding several."
        ),
    ],
    plan: Annotated[
        Path | None,
        typer.Option(
            help="The issuer's plan (YAML) the drafts implement: the drafts right below it "
            "are compared with its text (without it, with its number, date and summary)."
        ),
    ] = None,
    hierarchy: Annotated[
        str | None,
        typer.Option(
            "--hierarchy",
            "-H",
            help="Hierarchy source, instead of the one the manifest names.",
        ),
    ] = None,
    max_findings: Annotated[
        int, typer.Option("--max", min=0, help="Exit 0 with up to this many findings.")
    ] = 0,
) -> None:
    """List what a clerk would object to in every draft, one line each (draft: where: kind:
    what), then the count of each kind; exit 1 if there are more findings than --max."""
    report = lint_out(
        out,
        plan=load_plan(plan) if plan is not None else None,
        hierarchy=load_hierarchy(hierarchy) if hierarchy is not None else None,
    )
    if report.findings:  # one write: a Hà Nội cascade today has 60,000 lines
        typer.echo("\n".join(f.line for f in report.findings))
    for note in report.notes:
        err_console.print(f"note: {note}", markup=False, highlight=False)
    table = Table(title=f"Findings in {report.drafts} drafts")
    table.add_column("kind")
    table.add_column("findings", justify="right")
    for kind, n in report.counts.items():
        table.add_row(kind, str(n))
    console.print(table)
    if report.total > max_findings:
        raise typer.Exit(1)
