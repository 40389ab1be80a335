"""``kehoach cascade``: run the cascade flow in-process, with a progress bar and a summary."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markdown import Markdown
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from hierarchy.units import Level
from kehoach.cli.common import command, console, print_counts, warn

if TYPE_CHECKING:
    from kehoach.cascade.run import CascadeOutcome


def run_cascade(
    plan: Path,
    hierarchy: str,
    out: Path,
    to: Level | None = None,
    start: str | None = None,
    template: Path | None = None,
    batch_size: int = 400,
    signers: Path | None = None,
    lint: bool = True,
    db: str | None = None,
    workers: int | None = None,
    dask: str | None = None,
) -> CascadeOutcome:
    """Run the cascade flow in this process with a Rich progress bar; print the summary."""
    from flows.cascade import cascade_flow, progress_hook
    from flows.runners import WORKERS
    from flows.runtime import quiet_prefect

    with (
        quiet_prefect(warn),
        Progress(
            TextColumn("[bold]Drafting"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.description}"),
            console=console,
        ) as bar,
    ):
        job = bar.add_task("starting Prefect…", total=None)

        def advance(done: int, total: int, message: str) -> None:
            bar.update(job, completed=done, total=total, description=message)

        token = progress_hook.set(advance)
        try:
            result = cascade_flow(
                plan=plan,
                hierarchy=hierarchy,
                out=out,
                to_level=to,
                start=start,
                xac_nhan=True,  # typed on the command line: no quick run by accident
                template=template,
                batch_size=batch_size,
                signers=signers,
                lint=lint,
                database_url=db,
                workers=workers or WORKERS,
                dask=dask,
            )
        finally:
            progress_hook.reset(token)
    print_counts(
        f"Drafts of {result.plan.number or result.plan.summary}", "drafts", result.drafts_per_level
    )
    for gap in result.coverage:
        console.print(f"[yellow]warning:[/] task {gap.task_id} reaches no unit: {gap.reason}")
    for problem in result.template_warnings:
        console.print(f"[yellow]warning:[/] template {escape(f'{template}: {problem}')}")
    resumed = f", {result.resumed} from batches already finished" if result.resumed else ""
    console.print(
        f"{result.total} drafts in {result.folder}/drafts ({result.written} written, "
        f"{result.unchanged} unchanged{resumed}), manifest {result.folder}/manifest.json, "
        f"{result.seconds:.1f} s in the flow",
        highlight=False,
    )
    if result.issued:
        console.print(
            f"{result.from_issued} drafts implement the plans units issued: "
            f"{', '.join(result.issued)}",
            highlight=False,
        )
    if result.edited:
        console.print(
            f"[yellow]{len(result.edited)} kept: edited by hand[/] since the product wrote "
            f"them (not overwritten; listed as edited in the manifest), e.g. {result.edited[0]}",
            highlight=False,
        )
    if result.stale:
        console.print(
            f"[yellow]{len(result.stale)} drafts of units no longer in the hierarchy[/] left in "
            f"place (listed as stale in the manifest), e.g. {result.stale[0]}",
            highlight=False,
        )
    if result.swept:
        console.print(f"removed {result.swept} temporary files an interrupted run left behind")
    if result.lint:
        found = sum(result.lint.values())
        kinds = ", ".join(f"{k}: {n}" for k, n in result.lint.items() if n)
        colour = "yellow" if found else "green"
        console.print(
            f"[{colour}]draft check: {found} findings[/]" + (f" ({kinds})" if kinds else ""),
            highlight=False,
        )
        for line in result.lint_first:
            console.print(f"  {escape(line)}", highlight=False)
        if found > len(result.lint_first):
            console.print(f"  … all of them: kehoach draft lint {result.folder}", highlight=False)
    return result


@command
def cascade(
    plan: Annotated[Path, typer.Argument(help="The parent plan (YAML).")],
    hierarchy: Annotated[
        str,
        typer.Option(
            "--hierarchy", "-H", help="hanoi-2024, hanoi-2025, vn-2024, vn-2025 or a YAML file."
        ),
    ] = "hanoi-2024",
    out: Annotated[Path, typer.Option(help="Output folder for drafts and manifest.json.")] = Path(
        "out"
    ),
    to: Annotated[
        Level | None,
        typer.Option("--to", help="Deepest level to draft (default: all, with departments)."),
    ] = None,
    start: Annotated[
        str | None,
        typer.Option("--from", help="Only this unit (id or name) and the units below it."),
    ] = None,
    template: Annotated[
        Path | None,
        typer.Option(help="DOCX template (default: templates/docx/ke-hoach.docx)."),
    ] = None,
    batch_size: Annotated[
        int, typer.Option(min=1, help="Units per task and per journal entry (whole subtrees).")
    ] = 400,
    signers: Annotated[
        Path | None,
        typer.Option(
            help="Who signs for each unit: YAML or CSV of unit id → authority, title, name."
        ),
    ] = None,
    lint: Annotated[
        bool, typer.Option(help="Check every draft as it is written (as kehoach draft lint does).")
    ] = True,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="Status database with the plans units issued (default: KEHOACH_DATABASE_URL "
            "or data/kehoach.sqlite3, if it exists).",
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(min=1, help="Drafting processes on this machine (default: one per core)."),
    ] = None,
    dask: Annotated[
        str | None,
        typer.Option(
            "--dask",
            help="Draft the batches on a Dask cluster: its scheduler's address, "
            "tcp://HOST:8786 (default: KEHOACH_DASK_ADDRESS, else this machine).",
        ),
    ] = None,
    server: Annotated[
        bool, typer.Option("--server", help="Run on the Prefect server (PREFECT_API_URL).")
    ] = False,
    watch: Annotated[bool, typer.Option(help="With --server: wait for the run to end.")] = False,
) -> None:
    """Derive and write the draft plan (DOCX) of every unit below the plan's issuer.

    Below a unit that issued its plan (kehoach plan issue), the drafts implement that plan.

    Run it again after an interruption: finished batches are skipped, the rest is drafted.
    """
    if server:
        from flows.form import level_choice

        # The deployment's form takes the level by its Vietnamese name; a command typed
        # without --from is the whole plan, as in-process (xac_nhan).
        params = {"plan": plan, "hierarchy": hierarchy, "out": out, "to_level": level_choice(to)}
        params |= {"start": start, "xac_nhan": not start}
        params |= {"template": template, "batch_size": batch_size}
        params |= {"signers": signers, "lint": lint, "database_url": db, "dask": dask}
        if workers:
            params["workers"] = workers
        print_triggered("cascade/cascade", params, watch)
        return
    run_cascade(
        plan, hierarchy, out, to, start, template, batch_size, signers, lint, db, workers, dask
    )


def print_triggered(deployment: str, parameters: dict[str, object], watch: bool) -> None:
    """Start a deployment run on the server and say where to watch it; with ``watch``, wait
    for its end and print its final state, its message and the summary it left (its markdown
    and table artifacts), as the in-process command prints its own."""
    from flows.trigger import trigger

    run = trigger(deployment, parameters, watch)
    console.print(f"{run.name}: {run.state} — {run.url}", highlight=False)
    if run.message and run.state != "COMPLETED":
        console.print(f"[red]{escape(run.message)}[/]", highlight=False)
    for summary in run.summaries:
        if summary.type == "markdown":
            console.print(Markdown(summary.markdown))
        elif summary.rows:
            table = Table(title=summary.description, title_justify="left")
            for column in summary.rows[0]:
                table.add_column(escape(str(column)))
            for row in summary.rows[:SUMMARY_ROWS]:
                table.add_row(*(escape(str(v)) for v in row.values()))
            console.print(table)
            if len(summary.rows) > SUMMARY_ROWS:
                console.print(
                    f"… {len(summary.rows) - SUMMARY_ROWS} more rows: {run.url}", highlight=False
                )
    if watch and run.state != "COMPLETED":
        raise typer.Exit(1)


#: Rows of a run's table printed by ``--watch`` (the UI shows the rest).
SUMMARY_ROWS = 15
