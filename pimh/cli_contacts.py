"""`pimh contacts`: who reporters' feedback is emailed to, and how the emails are going.

The data team keeps the contacts list by hand, so every problem in it is printed in
plain English at once (no traceback) and nothing is stored until the whole file is right.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy.exc import ArgumentError, DBAPIError

from config.settings import Settings
from pimh.options import WarehouseOption
from pimh.warehouse_failures import unreachable

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

contacts_app = typer.Typer(
    help="Reporters' registered contacts, and the emails telling them of their returns.",
    no_args_is_help=True,
)
CONTACTS_PROBLEMS_EXIT = 2
T = TypeVar("T")

# How each outbox state reads, in `pimh status` and `pimh contacts outbox`.
STATE_WORDING = {
    "pending": "waiting",
    "sending": "being sent",
    "failed": "failed, to be retried",
    "gave_up": "given up",
    "unconfirmed": "unconfirmed (the run sending it stopped)",
    "sent": "sent",
    "no_contact": "no registered contact",
}


def _console() -> Console:
    return Console()


def _count(number: int, word: str) -> str:
    plural = word[:-1] + "ies" if word.endswith("y") else word + "s"
    return f"{number} {word if number == 1 else plural}"


def _fail(message: str) -> NoReturn:
    _console().print(f"[red]{escape(message)}[/]", highlight=False, soft_wrap=True)
    raise typer.Exit(code=CONTACTS_PROBLEMS_EXIT)


def _with_warehouse(url: str | None, work: Callable[[Engine], T]) -> T:
    """`work` on the (migrated) warehouse; an unreachable one is a sentence and exit 2."""
    from warehouse.engine import open_warehouse
    from warehouse.migrate import upgrade

    url = url or Settings().warehouse_url
    try:
        engine = open_warehouse(url)
        try:
            upgrade(engine)
            return work(engine)
        finally:
            engine.dispose()
    except (DBAPIError, ArgumentError) as exc:
        _fail(unreachable(exc, url))


@contextmanager
def _connection(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as connection:
        yield connection


@contacts_app.command("load")
def load(
    csv_path: Annotated[Path, typer.Argument(metavar="FILE.csv", help="The contacts CSV to load.")],
    warehouse: WarehouseOption = None,
) -> None:
    """Check a contacts CSV (reporter_code,name,email,role) and make it the contacts list.

    The list replaces the one loaded before. Exits 2, storing nothing, when the file has
    any problem (an unknown reporter, an address that is not one, a role not lead/sender).
    """
    from intake.contacts import read_contacts
    from warehouse.contacts import ContactsError, known_charities, load_contacts

    def work(engine: Engine) -> None:
        contacts = read_contacts(csv_path, known_charities(engine))
        try:
            result = load_contacts(engine, contacts)
        except ContactsError as exc:
            count = f"{len(exc.problems)} problem{'s' if len(exc.problems) != 1 else ''}"
            _console().print(
                f"[red]The contacts list {escape(csv_path.name)} was not loaded: {count} to "
                "fix.[/]",
                highlight=False,
            )
            for problem in exc.problems:
                _console().print(f"  • {problem}", highlight=False, soft_wrap=True, markup=False)
            raise typer.Exit(code=CONTACTS_PROBLEMS_EXIT) from None
        _console().print(
            f"[green]Loaded {escape(csv_path.name)}[/]: {_count(result.contacts, 'contact')} for "
            f"{_count(result.reporters, 'reporter')} (replacing {result.replaced}).",
            highlight=False,
        )

    _with_warehouse(warehouse, work)


@contacts_app.command("list")
def list_contacts(warehouse: WarehouseOption = None) -> None:
    """Show every registered contact, by reporter."""
    from warehouse.contacts import registered_contacts

    contacts = _with_warehouse(warehouse, registered_contacts)
    if contacts.is_empty():
        _console().print("No contacts are registered: load them with pimh contacts load FILE.")
        return
    table = Table(title="Registered contacts")
    for name in ("Reporter", "Name", "Email", "Role"):
        table.add_column(name, overflow="fold")
    for row in contacts.iter_rows(named=True):
        table.add_row(row["reporter_code"], escape(row["name"]), escape(row["email"]), row["role"])
    _console().print(table)


@contacts_app.command("outbox")
def outbox(
    show_all: Annotated[bool, typer.Option("--all", help="Sent emails too.")] = False,
    warehouse: WarehouseOption = None,
) -> None:
    """Show the emails to reporters not yet sent (waiting, failed, unconfirmed)."""
    from warehouse.outbox import outbox_rows

    def work(engine: Engine) -> list[dict[str, object]]:
        with _connection(engine) as connection:
            return outbox_rows(connection, everything=show_all)

    rows = _with_warehouse(warehouse, work)
    if not rows:
        _console().print("No emails are waiting: every one owed has been sent.")
        return
    table = Table(title="Emails to reporters")
    for name in ("Id", "Reporter", "Quarter", "Outcome", "State", "To"):
        table.add_column(name, overflow="fold", no_wrap=name in {"Id", "Reporter", "Quarter"})
    for row in rows:
        quarter = f"{row['financial_year'] or ''} {row['quarter'] or ''}".strip()
        table.add_row(
            str(row["email_id"]),
            str(row["reporter_code"]),
            quarter,
            str(row["outcome"]),
            STATE_WORDING.get(str(row["state"]), str(row["state"])),
            escape(str(row["recipients"]).replace(",", ", ")),
        )
    _console().print(table)
    for row in rows:
        if row["last_error"]:
            tries = _count(int(str(row["count_attempts"])), "try")
            _console().print(
                f"  • Email {row['email_id']} ({tries}): {row['last_error']}",
                highlight=False,
                markup=False,
                soft_wrap=True,
            )


@contacts_app.command("resend")
def resend(
    email_id: Annotated[int, typer.Argument(help="The email's Id, from pimh contacts outbox.")],
    warehouse: WarehouseOption = None,
) -> None:
    """Send an email again at the next run (one unconfirmed, given up, failed or sent)."""
    from warehouse.outbox import resend as owe_again

    state = _with_warehouse(warehouse, lambda engine: owe_again(engine, email_id))
    if state is None:
        _fail(f"There is no email {email_id}; see pimh contacts outbox --all.")
    if state in ("sending", "no_contact"):
        _fail(f"Email {email_id} is {STATE_WORDING[state]}: it cannot be sent again now.")
    _console().print(f"Email {email_id} ({STATE_WORDING[state]}) will be sent by the next run.")


def email_line(connection: Connection) -> str | None:
    """One line for `pimh status` about emails not yet sent; None when there are none."""
    from warehouse.outbox import STUCK_STATES, WAITING_STATES, outbox_counts

    counts = outbox_counts(connection)
    shown = [s for s in (*WAITING_STATES, *STUCK_STATES) if counts.get(s)]
    if not shown:
        return None
    parts = ", ".join(f"{counts[s]} {STATE_WORDING[s]}" for s in shown)
    off = "" if Settings().smtp_host else " (email is off: PIMH_SMTP_HOST is not set)"
    return f"Emails to reporters: {parts}{off}; see pimh contacts outbox."
