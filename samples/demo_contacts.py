"""The demo's contacts list: one lead for every board and funded charity.

Addresses are on the reserved `.example` domain (RFC 2606), so an email the demo makes can
never reach anyone. The addresses typed on the demo's returns are not registered, so the
demo also shows that a typed address is never written to.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from pathlib import Path

from domain.contacts import CONTACT_COLUMNS
from domain.reference import BOARDS
from samples.third_sector_demo import RegisterEntry


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def demo_contacts(register: Sequence[RegisterEntry]) -> list[tuple[str, str, str, str]]:
    """(reporter_code, name, email, role): a PIMH lead per board and a returns contact per
    charity on the register."""
    rows = [
        (code, f"PIMH lead, NHS {name}", f"pimh.lead@{_slug(name)}.nhs.example", "lead")
        for code, name in BOARDS.items()
    ]
    rows += [
        (e.charity_number, f"Returns, {e.name}", f"returns@{_slug(e.name)}.example", "lead")
        for e in register
    ]
    return rows


def write_contacts(path: Path, rows: Sequence[tuple[str, str, str, str]]) -> Path:
    """The contacts list as the data team keeps it (reporter_code,name,email,role)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CONTACT_COLUMNS)
        writer.writerows(rows)
    return path
