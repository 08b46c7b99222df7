"""Reading the contacts CSV the data team keeps: bytes in, its records as strings out.

It is read exactly as the register is (`connectors.register_csv`: a BOM, CRLF, header
spelling and extra columns forgiven, every problem naming its physical line); what a
valid contact is belongs to `schemas.contacts`.
"""

from __future__ import annotations

from pathlib import Path

from connectors.register_csv import RegisterCsv, parse_csv_records
from domain.contacts import CONTACT_COLUMNS


def parse_contacts_csv(data: bytes, source_name: str) -> RegisterCsv:
    """The contacts CSV in `data`, named `source_name` in every problem."""
    return parse_csv_records(data, source_name, CONTACT_COLUMNS, "contacts list")


def read_contacts_csv(path: Path) -> RegisterCsv:
    """The contacts CSV at `path`; a file that cannot be opened is a problem, not a crash."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return RegisterCsv(
            source_name=path.name,
            sha256="",
            problems=(f"{path.name} could not be opened: {exc.strerror or exc}.",),
        )
    return parse_contacts_csv(data, path.name)
