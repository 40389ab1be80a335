"""``kehoach server`` and ``kehoach serve``: the operators' Prefect server and deployments."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Annotated

import typer

from kehoach.cli.common import command, console

PLAN = Path("examples/ha-noi-145-kh-ubnd.yaml")
# The options both commands share: what the served deployments are about, and where they write.
PlanOpt = Annotated[Path, typer.Option(help="Plan the scheduled roll-ups and reminders are about.")]
HierarchyOpt = Annotated[str, typer.Option(help="Hierarchy source for the deployments.")]
OutOpt = Annotated[Path, typer.Option(help="Output folder for drafts, roll-ups and reports.")]


@command
def server(
    host: Annotated[
        str, typer.Option(help="Address to listen on (keep 127.0.0.1 unless behind a proxy).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port of the API and UI.")] = 4200,
    data: Annotated[Path, typer.Option(help="Folder for the server's database and logs.")] = Path(
        "data"
    ),
    serve: Annotated[bool, typer.Option(help="Also register and run the deployments.")] = True,
    plan: PlanOpt = PLAN,
    hierarchy: HierarchyOpt = "hanoi-2024",
    out: OutOpt = Path("out"),
    portal_port: Annotated[
        int, typer.Option(help="Port of the operators' portal (Cổng điều hành); 0: none.")
    ] = 8080,
    prefect_db: Annotated[
        str | None,
        typer.Option(
            help="PostgreSQL URL for Prefect's own database (default: SQLite under --data)."
        ),
    ] = None,
    work_pool: Annotated[
        str | None,
        typer.Option(
            help="Register the deployments with this process work pool (created if missing) "
            "instead of serving them here; `prefect worker start --pool NAME` runs them."
        ),
    ] = None,
) -> None:
    """Start the operator setup: a Prefect server with its UI, and the deployments served.

    Ctrl-C stops both; the server's database stays under --data, schedules stay active.
    """
    from flows.server import ServerConfig, prefect_database, start_portal, start_server, stop

    database_url = prefect_database(prefect_db) if prefect_db else None
    config = ServerConfig(host=host, port=port, data=data, database_url=database_url)
    config.environment()  # beyond 127.0.0.1 without Prefect's basic auth: refused here
    # A service manager stops us with SIGTERM: turn it into an exit so the server stops too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    log = data / "prefect-server.log"
    process = start_server(config, log=log)
    console.print(f"Prefect server (pid {process.pid}) at [bold]{config.ui_url}[/], log {log}")
    portal = None
    try:
        if portal_port:
            portal_log = data / "portal.log"
            portal = start_portal(
                config, portal_port, out=out, plan=plan, hierarchy=hierarchy, log=portal_log
            )
            console.print(
                f"Cổng điều hành (pid {portal.pid}) at "
                f"[bold]http://{host}:{portal_port}[/], log {portal_log}",
                highlight=False,
            )
        if serve and work_pool:
            os.environ.update(
                {k: v for k, v in config.environment().items() if k.startswith("PREFECT_")}
            )
            from flows.server import deploy_to_pool

            names = deploy_to_pool(plan, hierarchy, out, work_pool, api_url=config.api_url)
            auth = "" if config.local else "PREFECT_API_AUTH_STRING=user:password "
            console.print(
                f"Deployments in work pool [bold]{work_pool}[/]: {', '.join(names)}; on each "
                f"machine that runs them: {auth}"
                f"PREFECT_API_URL={config.reachable_api_url} "
                f".venv/bin/prefect worker start --pool {work_pool} (Ctrl-C stops the server)",
                highlight=False,
            )
            process.wait()
        elif serve:
            os.environ.update(
                {k: v for k, v in config.environment().items() if k.startswith("PREFECT_")}
            )
            console.print(
                "Serving deployments: cascade, rollup-nd09, reminders-weekly, report, issue-plan,"
                " import-plan (Ctrl-C stops)"
            )
            from flows.server import serve_deployments

            serve_deployments(plan, hierarchy, out, api_url=config.api_url)
        else:
            process.wait()
    except KeyboardInterrupt:
        console.print("stopping…")
    finally:
        if portal is not None:
            stop(portal)
        stop(process)


@command
def serve(
    api: Annotated[
        str | None, typer.Option(help="API URL of a running server (default: PREFECT_API_URL).")
    ] = None,
    plan: PlanOpt = PLAN,
    hierarchy: HierarchyOpt = "hanoi-2024",
    out: OutOpt = Path("out"),
) -> None:
    """Register the deployments with a running Prefect server and run their flows."""
    from flows.runtime import ServerError, healthy
    from flows.server import serve_deployments

    url = api or os.environ.get("PREFECT_API_URL")
    if not url:
        raise ServerError(
            "no Prefect server: give --api http://127.0.0.1:4200/api or set PREFECT_API_URL"
        )
    if not healthy(url):
        raise ServerError(
            f"the Prefect server at {url} does not answer; start it with `kehoach server`"
        )
    os.environ["PREFECT_API_URL"] = url
    serve_deployments(plan, hierarchy, out, api_url=url)
