"""``kehoach plan``: check a plan file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kehoach.cascade.rules import late_tasks
from kehoach.cli.common import command, console, warn
from kehoach.io.errors import PlanError
from kehoach.io.reading import load_yaml
from kehoach.plan.deadline import format_date
from kehoach.plan.model import Plan, load_plan, task_line

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
    """Validate a plan file; exit 1 with the first error, naming the file, line and field.

    A task due after the plan's term is a warning (one line each), not an error: exit 0.
    """
    plan = load_plan(file)
    raw = load_yaml(file)

    def at(task_id: str) -> str:
        line = task_line(raw, task_id)
        return f"{file}:{line}" if line else str(file)

    if parent is not None:
        above = load_plan(parent)
        late = late_tasks(plan, above)
        if late:
            first = late[0]
            more = f" (and {len(late) - 1} more)" if len(late) > 1 else ""
            raise PlanError(
                f"task {first.task_id} is due {format_date(first.due)}, after task "
                f"{first.origin_id} of {above.number_symbol.strip()} that it implements "
                f"({format_date(first.origin_due)}){more}; a unit finishes first, so it can "
                "report upward",
                where=at(first.task_id),
            )
    for task in plan.after_term():
        warn(
            f"{at(task.id)}: task {task.id} is due {task.deadline.due_text}, after the plan's "
            f"term ({plan.term.text}); check the year"
        )
    if not plan.has_markers:
        warn(
            f"{file}: no self-reference markers ({{cap|quận}}, {{ubnd|UBND quận}} …, README "
            "\"The plan\"); a child's draft copies this plan's text as it is written"
        )
    console.print(f"[green]ok[/] {file}: {describe(plan)}", highlight=False)
