"""``kehoach web`` (the operators' portal alone) and ``kehoach user add|list|disable``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from kehoach.cli.common import command, console
from kehoach.io.errors import KehoachError

app = typer.Typer(help="The portal's users: add, list, disable.", no_args_is_help=True)

DbOpt = Annotated[
    str | None,
    typer.Option(
        "--db", help="Database URL (default: KEHOACH_DATABASE_URL or data/kehoach.sqlite3)."
    ),
]
PORTAL_PORT = 8080


@app.command("add")
@command
def add(
    username: Annotated[str, typer.Argument(help="Login name.")],
    unit: Annotated[str, typer.Option(help="The user's unit: id or name.")],
    role: Annotated[
        str, typer.Option(help="quan-tri (administrator, at the top unit) or can-bo (officer).")
    ] = "can-bo",
    hierarchy: Annotated[str, typer.Option(help="Hierarchy the unit is found in.")] = "hanoi-2024",
    password: Annotated[
        str,
        typer.Option(
            prompt="Mật khẩu", hide_input=True, confirmation_prompt=True, help="Asked if not given."
        ),
    ] = "",
    db: DbOpt = None,
) -> None:
    """Add a portal user: a unit (they see and act on its subtree) and a role."""
    from hierarchy.sources import load_hierarchy
    from kehoach.status.store.db import connect
    from kehoach.status.store.users import Role, add_user
    from kehoach.web.auth import hash_password

    try:
        the_role = Role(role)
    except ValueError:
        raise KehoachError(f"role must be quan-tri or can-bo, not {role!r}") from None
    h = load_hierarchy(hierarchy)
    found = h.find(unit)
    if the_role is Role.QUAN_TRI and found.id != h.root_id:
        raise KehoachError(
            f"an administrator (quan-tri) belongs to the top unit {h.root.name} ({h.root_id}), "
            f"not {found.name}"
        )
    if len(password) < 10:
        raise KehoachError("the password must have at least 10 characters")
    user = add_user(connect(db), username, found.id, the_role, hash_password(password))
    console.print(f"user {user.username} added: {the_role.label}, {found.name} ({found.id})")


@app.command("list")
@command
def list_(db: DbOpt = None) -> None:
    """Every portal user, their unit and role, and whether they may log in."""
    from kehoach.status.store.db import connect
    from kehoach.status.store.users import list_users

    table = Table()
    for col in ("user", "unit", "role", "active"):
        table.add_column(col)
    for u in list_users(connect(db)):
        table.add_row(u.username, u.unit_id, u.role.label, "yes" if u.active else "no")
    console.print(table)


@app.command("disable")
@command
def disable(username: Annotated[str, typer.Argument(help="Login name.")], db: DbOpt = None) -> None:
    """Disable a user: they cannot log in, and their open sessions end at their next click."""
    from kehoach.status.store.db import connect
    from kehoach.status.store.users import disable_user

    disable_user(connect(db), username)
    console.print(f"user {username} disabled")


@command
def web(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port of the portal.")] = PORTAL_PORT,
    out: Annotated[Path, typer.Option(help="Output folder of the cascades.")] = Path("out"),
    data: Annotated[Path, typer.Option(help="Folder for uploads and the portal's secret.")] = Path(
        "data"
    ),
    plan: Annotated[Path, typer.Option(help="Plan the report pages are about.")] = Path(
        "examples/ha-noi-145-kh-ubnd.yaml"
    ),
    hierarchy: Annotated[str, typer.Option(help="Hierarchy source of that plan.")] = "hanoi-2024",
    period: Annotated[str, typer.Option(help="Report period shown first.")] = "2024-Q1",
    db: DbOpt = None,
    prefect_ui: Annotated[
        str | None, typer.Option(help="The Prefect UI's address, linked from every page.")
    ] = None,
    secure_cookies: Annotated[
        bool, typer.Option(help="Send cookies over HTTPS only (behind a TLS proxy).")
    ] = False,
) -> None:
    """Serve the operators' portal (Cổng điều hành) alone; `kehoach server` starts it too."""
    import uvicorn

    from kehoach.web.app import create_app
    from kehoach.web.settings import PortalConfig

    config = PortalConfig(
        out=out,
        data=data,
        plan=plan,
        hierarchy=hierarchy,
        period=period,
        database_url=db,
        prefect_ui_url=prefect_ui,
        secure_cookies=secure_cookies,
    )
    portal = create_app(config)
    console.print(f"Cổng điều hành at [bold]http://{host}:{port}[/]", highlight=False)
    uvicorn.run(portal, host=host, port=port, log_level="warning")
