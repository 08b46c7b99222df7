"""`pimh warehouse ...`: looking after the warehouse itself, for its administrators.

`grant-readonly ROLE` gives analysts and dashboards a PostgreSQL login that can read the
downstream views and nothing else (`warehouse.readonly`). Its password comes from
PIMH_READONLY_PASSWORD or a prompt, never a flag, and is never printed.
"""

from __future__ import annotations

import sys
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from sqlalchemy.exc import SQLAlchemyError

from config.access import ReadOnlyAccess
from config.settings import Settings
from pimh.options import WarehouseOption
from pimh.warehouse_failures import first_line, shown_url

warehouse_app = typer.Typer(help="Look after the warehouse itself.", no_args_is_help=True)


def _console() -> Console:
    return Console()


def _fail(message: str) -> NoReturn:
    _console().print(f"[red]{escape(message)}[/]", highlight=False, soft_wrap=True)
    raise typer.Exit(code=2)


def _password(keep: bool) -> str | None:
    """From the environment, else asked for (twice, hidden) at a terminal; None to keep."""
    if keep:
        return None
    given = ReadOnlyAccess().readonly_password
    if given is not None:
        return given.get_secret_value()
    if not sys.stdin.isatty():
        _fail(
            "No password: set PIMH_READONLY_PASSWORD, or run this at a terminal to be asked, "
            "or give --keep-password to leave an existing role's password as it is."
        )
    password: str = typer.prompt("Password for the role", hide_input=True, confirmation_prompt=True)
    return password


@warehouse_app.command("grant-readonly")
def grant_readonly(
    role: Annotated[str, typer.Argument(help="The role to create or update, e.g. analyst.")],
    keep_password: Annotated[
        bool, typer.Option("--keep-password", help="Leave an existing role's password as is.")
    ] = False,
    warehouse: WarehouseOption = None,
) -> None:
    """Create or update a login role that can only read the downstream views (PostgreSQL)."""
    from alembic.util.exc import CommandError

    from warehouse.engine import open_warehouse, write_transaction
    from warehouse.migrate import upgrade
    from warehouse.readonly import READABLE_VIEWS, ReadOnlyRoleError, check_role_name
    from warehouse.readonly import grant_readonly as grant

    url = warehouse or Settings().warehouse_url
    try:
        engine = open_warehouse(url)
    except SQLAlchemyError as exc:
        _fail(f"The warehouse URL {shown_url(url)} is not usable: {exc}")
    try:
        if engine.dialect.name != "postgresql":
            _fail(
                "Read-only roles are a PostgreSQL feature; this warehouse is "
                f"{engine.dialect.name} ({shown_url(url)}). Share an export instead "
                "(pimh export)."
            )
        check_role_name(role)
        password = _password(keep_password)
        upgrade(engine)
        with write_transaction(engine) as connection:
            created = grant(connection, role, password)
    except ReadOnlyRoleError as exc:
        _fail(str(exc))
    except (SQLAlchemyError, CommandError) as exc:
        _fail(f"The warehouse at {shown_url(url)} could not be changed: {first_line(exc)}")
    finally:
        engine.dispose()
    _console().print(
        f"{'Created' if created else 'Updated'} the login role [bold]{escape(role)}[/]: it can "
        f"SELECT {', '.join(READABLE_VIEWS)}, and nothing else.",
        highlight=False,
        soft_wrap=True,
    )
