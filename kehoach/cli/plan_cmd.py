"""``kehoach plan``: check a plan file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kehoach.cli.common import command, console
from kehoach.plan import Plan, load_plan

app = typer.Typer(help="Check plans (kế hoạch).", no_args_is_help=True)


def describe(plan: Plan) -> str:
    """One line an operator recognises a plan by."""
    quotas = sum(1 for t in plan.tasks if t.quota)
    return (
        f"{plan.doc_type} {plan.number_symbol.strip()} · {plan.issuer.name} · "
        f"{plan.dateline} · {len(plan.tasks)} tasks ({quotas} with quotas)"
    )


@app.command()
@command
def check(file: Annotated[Path, typer.Argument(help="Plan YAML file.")]) -> None:
    """Validate a plan file; exit 1 with the first error, naming the file, line and field."""
    plan = load_plan(file)
    console.print(f"[green]ok[/] {file}: {describe(plan)}", highlight=False)
