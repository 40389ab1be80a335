"""``kehoach plan``: check a plan file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kehoach.cascade.rules import late_tasks
from kehoach.cli.common import command, console
from kehoach.io.errors import PlanError
from kehoach.io.reading import LINE_KEY, load_yaml
from kehoach.plan.deadline import format_date
from kehoach.plan.model import Plan, load_plan

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
def check(
    file: Annotated[Path, typer.Argument(help="Plan YAML file.")],
    parent: Annotated[
        Path | None,
        typer.Option(help="The plan it implements (YAML): no task may be due after its own."),
    ] = None,
) -> None:
    """Validate a plan file; exit 1 with the first error, naming the file, line and field."""
    plan = load_plan(file)
    if parent is not None:
        above = load_plan(parent)
        late = late_tasks(plan, above)
        if late:
            first = late[0]
            raw = load_yaml(file)
            line = next(
                (
                    t.get(LINE_KEY)
                    for t in raw.get("tasks", [])
                    if str(t.get("id")) == first.task_id
                ),
                None,
            )
            more = f" (and {len(late) - 1} more)" if len(late) > 1 else ""
            raise PlanError(
                f"task {first.task_id} is due {format_date(first.due)}, after task "
                f"{first.origin_id} of {above.number_symbol.strip()} that it implements "
                f"({format_date(first.origin_due)}){more}; a unit finishes first, so it can "
                "report upward",
                where=f"{file}:{line}" if line else file,
            )
    console.print(f"[green]ok[/] {file}: {describe(plan)}", highlight=False)
