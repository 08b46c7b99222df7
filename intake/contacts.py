"""Taking in a contacts file: reading its CSV, then checking it against the list's rules.

Reading (`connectors.contacts_csv`) and the rules (`schemas.contacts`) know nothing of
each other; this is where a file becomes a checked `ContactsFile`, ready for the warehouse.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from connectors.contacts_csv import parse_contacts_csv, read_contacts_csv
from connectors.register_csv import RegisterCsv
from domain.contacts import ContactsFile
from schemas.contacts import check_contacts_records


def _checked(read: RegisterCsv, known_charities: Collection[str]) -> ContactsFile:
    if read.records is None:
        return ContactsFile(read.source_name, read.sha256, problems=read.problems)
    return check_contacts_records(
        read.records,
        source_name=read.source_name,
        sha256=read.sha256,
        known_charities=known_charities,
    )


def check_contacts(data: bytes, source_name: str, known_charities: Collection[str]) -> ContactsFile:
    """The contacts in `data` (a CSV file's bytes) with every problem they have."""
    return _checked(parse_contacts_csv(data, source_name), known_charities)


def read_contacts(path: Path, known_charities: Collection[str]) -> ContactsFile:
    """The contacts CSV at `path`, checked; a file that cannot be opened is a problem too."""
    return _checked(read_contacts_csv(path), known_charities)
