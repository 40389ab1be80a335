"""The ``kehoach`` application: sub-commands assembled in one place."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from pydantic import BaseModel

from hierarchy.sources import load_hierarchy
from hierarchy.yamlfile import HierarchyFile
from kehoach.cascade.manifest import plan_folder
from kehoach.cli import (
    cascade_cmd,
    draft_cmd,
    hierarchy_cmd,
    plan_cmd,
    server_cmd,
    status_cmd,
    template_cmd,
    web_cmd,
)
from kehoach.cli.common import command, console, print_counts
from kehoach.io.processes import reap_on_exit
from kehoach.plan.model import Plan, load_plan

app = typer.Typer(
    help="kehoach: cascade plans (kế hoạch) down the administrative hierarchy.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(hierarchy_cmd.app, name="hierarchy")
app.add_typer(plan_cmd.app, name="plan")
app.add_typer(template_cmd.app, name="template")
app.command()(cascade_cmd.cascade)
app.add_typer(draft_cmd.app, name="draft")
app.add_typer(status_cmd.app, name="status")
app.command()(status_cmd.sheets)
app.command()(status_cmd.rollup)
app.command()(status_cmd.remind)
app.command()(status_cmd.report)
app.command()(server_cmd.server)
app.command()(server_cmd.serve)
app.command()(web_cmd.web)
app.add_typer(web_cmd.app, name="user")


class SchemaName(StrEnum):
    plan = "plan"
    hierarchy = "hierarchy"


SCHEMAS: dict[SchemaName, type[BaseModel]] = {
    SchemaName.plan: Plan,
    SchemaName.hierarchy: HierarchyFile,
}


@app.command()
@command
def schema(name: Annotated[SchemaName, typer.Argument(help="Which file format.")]) -> None:
    """Print the JSON Schema of a file format (for editors and other tools)."""
    typer.echo(json.dumps(SCHEMAS[name].model_json_schema(), ensure_ascii=False, indent=2))


@app.command()
@command
def demo(
    examples: Annotated[Path, typer.Option(help="Folder of example plans.")] = Path("examples"),
    source: Annotated[str, typer.Option(help="Hierarchy source.")] = "hanoi-2024",
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("out"),
    cascade: Annotated[
        bool, typer.Option(help="Also cascade 145/KH-UBND, take in reports and roll up.")
    ] = True,
    database: Annotated[
        str | None, typer.Option("--db", help="Database URL (default: data/kehoach.sqlite3).")
    ] = None,
) -> None:
    """The main job on the embedded default: Hà Nội's hierarchy, the seed plans, the cascade."""
    h = load_hierarchy(source)
    s = h.stats()
    print_counts(f"Hierarchy {s.source}: {s.total} units", "units", s.by_level)
    path = " → ".join(u.name for u in h.path(h.find("Phường Yên Sở").id))
    console.print(f"Path: {path}")
    plans = sorted(examples.glob("*.yaml"))
    for file in plans:
        console.print(f"  {file.name}: {plan_cmd.describe(load_plan(file))}", highlight=False)
    console.print(f"[green]{len(plans)} plans valid[/]")
    if cascade:
        plan = examples / "ha-noi-145-kh-ubnd.yaml"
        result = cascade_cmd.run_cascade(plan, source, out)
        folder = Path(result.folder)
        ward = next(p for p in (folder / "drafts").rglob("00340-phuong-yen-so.docx"))
        console.print(
            f"Open one: {ward}  ({folder / 'manifest.json'} lists all {result.total})",
            highlight=False,
        )
        # The structure in force since 1 July 2025: city → commune → department.
        now = cascade_cmd.run_cascade(plan, "hanoi-2025", out)
        console.print(
            f"Since July 2025 (hanoi-2025): {now.total} drafts in {now.folder}", highlight=False
        )
        _demo_status(plan, source, out, database)


def _demo_status(plan: Path, source: str, out: Path, database: str | None) -> None:
    """Second half of the job: sample units report, the status is rolled up and reported."""
    from kehoach.status.demo import fill_sheet
    from kehoach.status.intake import read_files
    from kehoach.status.periods import Period
    from kehoach.status.store.db import connect, record

    period = Period.parse("2024-Q1")
    parent, h, plans, key = status_cmd.load_context(plan, source)
    engine = connect(database)
    status_cmd.sheets(plan=plan, period=period.key, hierarchy=source, out=out, start="008")
    folder = plan_folder(out, parent, source)
    files = sorted((folder / "drafts").rglob(f"*.{period.key}.xlsx"))
    for file in files:
        fill_sheet(file, period, seed=file.name)
    submissions = read_files(files, plans, h, key, entered_by="demo")
    record(engine, submissions)
    console.print(f"Imported {len(submissions)} filled sheets (Quận Hoàng Mai and its wards)")
    status_cmd.rollup(
        plan=plan,
        period=period.key,
        hierarchy=source,
        as_of=None,
        json_file=None,
        out=out,
        db=database,
        server=False,
        watch=False,
    )
    status_cmd.report(
        plan=plan, unit="01", period=period.key, hierarchy=source, as_of=None, out=out, db=database
    )


#: Prefect settings for in-process runs from the CLI, unless the operator set them: the
#: CLI shows its own progress, so Prefect's console shows only warnings (run logs go to the
#: API only, see flows.runtime.quiet_prefect), and no usage analytics leave the machine.
IN_PROCESS_PREFECT = {
    "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": "WARNING",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
}


def _spawned_workers_skip_the_cli() -> None:
    """Name this process's main module ``kehoach.cli.__main__`` (``python -m kehoach.cli``).

    Drafting workers are spawned (Prefect's process pool), and a spawned process first runs
    its parent's main script again, here the ``kehoach`` script, importing the whole command
    line (Typer, Rich, every command's imports: ~30 MB and seconds per worker) before its
    first batch. Python skips that for a main module named ``<package>.__main__``, which
    runs only when asked to; the worker then imports just the task's module.
    """
    here = sys.modules.get("__main__")
    if here is not None and getattr(here, "__spec__", None) is None:
        here.__spec__ = importlib.util.find_spec("kehoach.cli.__main__")


def main() -> None:
    """The ``kehoach`` command. What it starts (drafting workers, Prefect's embedded API, a
    server) ends with it, however it ends (:func:`kehoach.io.processes.reap_on_exit`)."""
    reap_on_exit()
    _spawned_workers_skip_the_cli()
    for key, value in IN_PROCESS_PREFECT.items():
        os.environ.setdefault(key, value)
    app()
