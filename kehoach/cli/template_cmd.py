"""``kehoach template``: check a DOCX template an operator edited in Word or LibreOffice."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kehoach.cli.common import command, console
from kehoach.documents.docx import TemplateError
from kehoach.documents.plan_document import fixed_plan_template, lint_plan_template
from kehoach.io.writing import write_if_changed

app = typer.Typer(help="Check DOCX templates (docxtpl).", no_args_is_help=True)


@app.command()
@command
def check(
    file: Annotated[Path, typer.Argument(help="Plan template (.docx).")],
    fix: Annotated[
        bool,
        typer.Option(
            "--fix",
            help="Write a copy in Times New Roman with borderless header and signature tables "
            "(FILE.fixed.docx; FILE itself is never changed), then check the copy.",
        ),
    ] = False,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Where --fix writes the copy.")
    ] = None,
) -> None:
    """Render a plan template with the sample data and list its ND30 layout problems, each
    with its fix; exit 1 if there is any, or if a tag is broken (one error line)."""
    if fix:
        target = out or file.with_name(f"{file.stem}.fixed.docx")
        if target.resolve() == file.resolve():
            raise TemplateError("--fix writes a copy; choose another --out", where=file)
        write_if_changed(target.parent, Path(target.name), fixed_plan_template(file))
        console.print(f"wrote {target}: Times New Roman, borderless header and signature tables")
        file = target
    problems = lint_plan_template(file)
    for problem in problems:
        console.print(f"{file}: {problem}", markup=False, highlight=False)
    if problems:
        hint = "" if fix else "; for fonts and borders, --fix writes a corrected copy"
        raise TemplateError(
            f"{len(problems)} ND30 problem{'s' if len(problems) > 1 else ''}, each listed "
            f"above with its fix{hint}",
            where=file,
        )
    console.print(f"[green]ok[/] {file}: renders the sample and follows ND30", highlight=False)
