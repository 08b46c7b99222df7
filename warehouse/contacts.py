"""Loading the reporters' registered contacts, and finding who is told of a return.

The contacts list is small and kept whole by the data team, so a load replaces the list
in one transaction (whole or not at all). Who was told of each return is kept apart, in
the outbox (`warehouse.outbox`), with the addresses as they were then.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import polars as pl
from sqlalchemy import Connection, Engine, delete, insert, select

from domain.contacts import ContactsFile, address_key
from warehouse.engine import write_transaction
from warehouse.migrate import upgrade
from warehouse.tables import register_entry, reporter_contact


class ContactsError(Exception):
    """A contacts list that was not loaded, with every problem found in it."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class ContactsLoadResult:
    """What a load did: the contacts now registered, by reporter."""

    contacts: int
    reporters: int
    replaced: int


def known_charities(engine: Engine) -> set[str]:
    """Every charity number on any version of the register: those may have contacts."""
    upgrade(engine)
    with engine.connect() as connection:
        return set(connection.scalars(select(register_entry.c.charity_number).distinct()))


def load_contacts(engine: Engine, contacts: ContactsFile) -> ContactsLoadResult:
    """Replace the registered contacts with a checked list. Raises ContactsError, having
    written nothing, when the check found any problem."""
    if contacts.problems:
        raise ContactsError(list(contacts.problems))
    upgrade(engine)
    now = dt.datetime.now(dt.UTC)
    rows = contacts.entries.with_columns(pl.lit(now).alias("loaded_at")).to_dicts()
    with write_transaction(engine) as connection:
        replaced = connection.execute(delete(reporter_contact)).rowcount
        connection.execute(insert(reporter_contact), rows)
    return ContactsLoadResult(
        contacts=contacts.entries.height,
        reporters=contacts.entries["reporter_code"].n_unique(),
        replaced=int(replaced or 0),
    )


def registered_contacts(engine: Engine) -> pl.DataFrame:
    """Every registered contact, by reporter and address."""
    upgrade(engine)
    with engine.connect() as connection:
        rows = connection.execute(
            select(
                reporter_contact.c.reporter_code,
                reporter_contact.c.name,
                reporter_contact.c.email,
                reporter_contact.c.role,
            ).order_by(reporter_contact.c.reporter_code, reporter_contact.c.source_line)
        ).all()
    return pl.DataFrame(
        [tuple(r) for r in rows],
        schema=["reporter_code", "name", "email", "role"],
        orient="row",
    )


def recipients_of(
    connection: Connection, typed: Mapping[str, Collection[str | None]]
) -> dict[str, dict[str | None, list[str]]]:
    """Who is told of a return, by reporter and by the address typed on its Cover.

    Every lead of the reporter, and the sender whose registered address is the one typed
    (compared without regard to case). A typed address that is not registered is never
    used: feedback goes only to addresses the data team registered.
    """
    if not typed:
        return {}
    rows = connection.execute(
        select(reporter_contact.c.reporter_code, reporter_contact.c.email, reporter_contact.c.role)
        .where(reporter_contact.c.reporter_code.in_(list(typed)))
        .order_by(reporter_contact.c.source_line)
    ).all()
    found: dict[str, dict[str | None, list[str]]] = {}
    for reporter, addresses in typed.items():
        mine = [r for r in rows if r.reporter_code == reporter]
        for address in addresses:
            wanted = address_key(address) if address else None
            found.setdefault(reporter, {})[address] = [
                r.email for r in mine if r.role == "lead" or address_key(r.email) == wanted
            ]
    return found


def as_recipients(addresses: Sequence[str]) -> str:
    """The outbox's recipients column: the addresses, each once, comma-separated."""
    seen: dict[str, str] = {}
    for address in addresses:
        seen.setdefault(address_key(address), address)
    return ",".join(seen.values())
