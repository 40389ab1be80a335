"""``kehoach plan``: check a plan file; import a received plan (DOCX, PDF, TXT)."""

from __future__ import annotations

import datetime as dt
import getpass
from pathlib import Path
from typing import Annotated

import typer

from hierarchy.sources import load_hierarchy
from kehoach.cascade.issued import Overrides, read_issued
from kehoach.cascade.rules import issuer_unit, late_tasks, resolve_issuer_plan
from kehoach.cli.common import command, console, warn
from kehoach.documents.importing import import_plan, plan_yaml
from kehoach.documents.plan_document import render_plan
from kehoach.io.errors import InputFileError, PlanError
from kehoach.io.reading import load_yaml
from kehoach.io.writing import write_new
from kehoach.plan.deadline import format_date
from kehoach.plan.model import Plan, load_plan, task_line

app = typer.Typer(
    help="Check plans (kế hoạch); import a received one; record the plans units issued.",
    no_args_is_help=True,
)


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


@app.command()
@command
def render(
    file: Annotated[Path, typer.Argument(help="The plan file (YAML).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="The DOCX to write.")],
    template: Annotated[
        Path | None, typer.Option(help="DOCX template (default: templates/docx/ke-hoach.docx).")
    ] = None,
    hierarchy: Annotated[
        str | None,
        typer.Option(
            "--hierarchy",
            "-H",
            help="Name the issuer's departments as this hierarchy does (Sở Nội vụ for noi-vu).",
        ),
    ] = None,
    force: Annotated[bool, typer.Option(help="Replace an existing --output file.")] = False,
) -> None:
    """Lay a plan out as its DOCX under ND 30: the document a unit signs and sends, as its
    drafts are laid out (an issued plan keeps its number and date)."""
    plan = load_plan(file)
    if hierarchy:
        h = load_hierarchy(hierarchy)
        plan = resolve_issuer_plan(plan, issuer_unit(plan, h), h)
    data = render_plan(plan, template) if template else render_plan(plan)
    write_new(output, data, replace=force)
    console.print(f"[green]rendered[/] {file} → {output}: {describe(plan)}", highlight=False)


@app.command("import")
@command
def import_(
    file: Annotated[Path, typer.Argument(help="The received plan: .docx, .pdf or .txt.")],
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write the plan YAML here (else to stdout)."),
    ] = None,
    hierarchy: Annotated[
        str | None,
        typer.Option(
            "--hierarchy",
            help="Resolve the issuer and its departments in this hierarchy (hanoi-2024, FILE).",
        ),
    ] = None,
    force: Annotated[bool, typer.Option(help="Replace an existing --output file.")] = False,
) -> None:
    """Read a plan laid out under ND 30 into a plan file: header, preamble and its citations,
    parts, Tổ chức thực hiện, budget, Nơi nhận, signer, and the annex's tasks.

    What cannot be mapped is kept as text and listed, one warning line each (also as comments
    at the top of the YAML). Nothing is written when the file cannot be imported.
    """
    if output is not None and output.exists() and not force:
        raise InputFileError("exists; choose another -o or pass --force", where=output)
    h = load_hierarchy(hierarchy) if hierarchy else None
    imported = import_plan(file, h)
    text = plan_yaml(imported, file.name)
    for w in imported.warnings:
        warn(f"{file}: {w}")
    if output is None:
        typer.echo(text, nl=False)
        return
    write_new(output, text.encode("utf-8"), replace=force)
    console.print(
        f"[green]imported[/] {file} → {output}: {describe(imported.plan)}"
        f"{f' · {len(imported.warnings)} warnings' if imported.warnings else ''}",
        highlight=False,
    )


@app.command()
@command
def issue(
    draft: Annotated[
        Path, typer.Argument(help="The signed DOCX: the unit's draft, numbered and dated.")
    ],
    number: Annotated[
        str | None, typer.Option(help="Its number, 67 or 67/KH-UBND (default: as written).")
    ] = None,
    date: Annotated[
        dt.datetime | None,
        typer.Option(formats=["%d/%m/%Y", "%Y-%m-%d"], help="Its date (default: as written)."),
    ] = None,
    signer: Annotated[str | None, typer.Option(help="Who signed it (default: as written).")] = None,
    folder: Annotated[
        Path | None,
        typer.Option(help="The cascade's plan folder (default: the one above DRAFT)."),
    ] = None,
    db: Annotated[
        str | None,
        typer.Option(
            "--db", help="Database URL (default: KEHOACH_DATABASE_URL or data/kehoach.sqlite3)."
        ),
    ] = None,
    by: Annotated[
        str | None, typer.Option("--by", help="Who enters it (default: your login name).")
    ] = None,
    server: Annotated[
        bool, typer.Option("--server", help="Run on the Prefect server (PREFECT_API_URL).")
    ] = False,
    watch: Annotated[bool, typer.Option(help="With --server: wait for the run to end.")] = False,
) -> None:
    """Record the plan a unit issued, so the next cascade drafts the units below from it.

    The options win over what the document says. Refused, with nothing recorded: a file that
    is not the unit's draft, a document of another unit, a date before the plan it
    implements, a number the unit already used that year.
    """
    from kehoach.status.store.db import connect, issue_plan

    day = date.date() if date else None
    overrides = Overrides.typed(number, day, signer)
    if server:
        from kehoach.cli.cascade_cmd import print_triggered

        params: dict[str, object] = {"draft": draft, "number": number, "date": day}
        params |= {"signer": signer, "folder": folder, "database_url": db, "entered_by": by}
        print_triggered("issue-plan/issue-plan", params, watch)
        return
    try:
        data = draft.read_bytes()
    except OSError as exc:
        raise PlanError(f"cannot read the document: {exc.strerror}", where=draft) from None
    plan = read_issued(draft, folder)
    done = issue_plan(
        connect(db),
        plan,
        data,
        draft,
        entered_by=by or getpass.getuser(),
        folder=folder,
        overrides=overrides,
    )
    i = done.issued
    what = "recorded" if done.recorded else "already recorded (nothing changed)"
    console.print(
        f"[green]{what}[/] {i.number} of {format_date(i.date)}, {i.issuer}, implementing "
        f"{i.implements}; signed by {i.signer or '(not named)'}; {len(i.plan.tasks)} tasks; "
        f"SHA-256 {i.sha256[:12]}…",
        highlight=False,
    )
    console.print(
        f"cascade {i.plan_key} again to draft the units below {i.plan.issuer.name} from it",
        highlight=False,
    )
