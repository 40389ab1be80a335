"""``kehoach template``: check a DOCX template an operator edited in Word."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kehoach.cli.common import command, console
from kehoach.documents.docx import TemplateError
from kehoach.documents.plan_document import lint_plan_template

app = typer.Typer(help="Check DOCX templates (docxtpl).", no_args_is_help=True)


@app.command()
@command
def check(file: Annotated[Path, typer.Argument(help="Plan template (.docx).")]) -> None:
    """Render a plan template with the sample data; exit 1 on a broken tag or an ND30 problem."""
    problems = lint_plan_template(file)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise TemplateError(f"does not follow ND30: {problems[0]}{more}", where=file)
    console.print(f"[green]ok[/] {file}: renders the sample and follows ND30", highlight=False)
