"""The registered contacts of reporters, who are told by email what became of a return.

Feedback goes only to addresses the data team has registered: an address typed on a
return's Cover could be anyone's, and a feedback report names the reporter's figures and
problems. The contacts CSV, its reader, its rules and the warehouse speak of the same four
columns, so they are named here once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final

import polars as pl

CONTACT_COLUMNS: Final = ("reporter_code", "name", "email", "role")
CONTACTS_HEADER: Final = ",".join(CONTACT_COLUMNS)

# What each role is told. A lead hears of every return the reporter sends; a sender only
# of the returns whose Cover names them in its Email cell.
ROLES: Final[dict[str, str]] = {
    "lead": "told of every return the reporter sends",
    "sender": "told of a return when its Cover's Email names them",
}
# An empty role cell: the contact is told of every return.
DEFAULT_ROLE: Final = "lead"

# An email address as the HTML standard's `<input type=email>` accepts it (WHATWG's "valid
# e-mail address"), with a dot required in the domain: a pattern, not a DNS lookup, so a
# slip such as a space, a missing '@' or 'nhs,scot' is caught and nothing is resolved.
# Dots may not begin or end the local part or come two together (checked apart).
EMAIL_PATTERN: Final = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+"
    r"@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
EMAIL_MAX_CHARS: Final = 254


def is_email_address(text: str) -> bool:
    """Whether `text` (already trimmed) is an address feedback may be sent to."""
    local = text.partition("@")[0]
    return (
        len(text) <= EMAIL_MAX_CHARS
        and EMAIL_PATTERN.fullmatch(text) is not None
        and ".." not in text
        and not local.startswith(".")
        and not local.endswith(".")
    )


def address_key(address: str) -> str:
    """The form two addresses are compared in: trimmed and lower-cased (mail servers treat
    the domain, and in practice the local part, without regard to case)."""
    return address.strip().lower()


@dataclass(frozen=True)
class ContactsFile:
    """A contacts CSV read and checked: its identity, its rows, and every problem found.

    `entries` (reporter_code, name, email, role, source_line) is empty whenever
    `problems` is not: a contacts list with problems is never half-used.
    """

    source_name: str
    sha256: str
    problems: tuple[str, ...] = ()
    entries: pl.DataFrame = field(default_factory=pl.DataFrame)
