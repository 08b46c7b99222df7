"""How each problem in the contacts CSV reads, for the data team member keeping the file.

Every sentence names the file, the line and the value found, and says what was expected,
so the list can be put right without asking anyone what a message means.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from domain.contacts import CONTACTS_HEADER, ROLES
from domain.register import FIRST_RECORD_LINE
from domain.text import shown
from schemas.boards import board_meant
from schemas.csv_wording import Row, Wording, at, too_many_values
from schemas.csv_wording import problem_sentences as csv_problem_sentences

_fields: Final = too_many_values("a name")


def _reporter_code(row: Row, file: str) -> list[str]:
    text = row["reporter_text"]
    if text is None or not text.strip():
        return [
            f"{at(row, file)}: reporter_code is empty; expected a board code such as "
            "S08000024 or a charity number such as SC012345."
        ]
    found = f"'{shown(text)}' is not a board code or name, nor a charity number"
    code = board_meant(text)
    if code is not None:
        return [f"{at(row, file)}: {found}; did you mean {code}?"]
    return [f"{at(row, file)}: {found} (SC followed by six digits)."]


def _reporter_known(row: Row, file: str) -> list[str]:
    return [
        f"{at(row, file)}: charity number '{shown(row['reporter_text'])}' is not on the "
        "register of funded organisations; load the register first (pimh register load), "
        "or correct the number."
    ]


def _name(row: Row, file: str) -> list[str]:
    return [f"{at(row, file)}: name is empty; expected the contact's name."]


def _why_not_address(text: str) -> str:
    if "@" not in text:
        return "it has no '@'"
    if "," in text or ";" in text or text.count("@") > 1:
        return "it holds more than one address or a comma; give one address per line"
    if any(c.isspace() for c in text):
        return "it contains a space"
    if "." not in text.partition("@")[2]:
        return "its domain has no dot, as in nhs.scot"
    return "it is not in the form name@organisation.domain"


def _email(row: Row, file: str) -> list[str]:
    text = row["email_text"]
    if text is None or not text.strip():
        return [f"{at(row, file)}: email is empty; expected an address such as a.b@nhs.scot."]
    return [
        f"{at(row, file)}: '{shown(text.strip())}' is not an email address "
        f"({_why_not_address(text.strip())}); expected an address such as a.b@nhs.scot."
    ]


def _duplicate(row: Row, file: str) -> list[str]:
    return [
        f"{at(row, file)}: '{shown(row['email_text'].strip())}' is already a contact of "
        f"{row['reporter_code']} on line {row['first_line']}; list each address once per "
        "reporter."
    ]


def _role(row: Row, file: str) -> list[str]:
    return [
        f"{at(row, file)}: '{shown(row['role_text'].strip())}' is not a role; expected "
        f"{' or '.join(ROLES)} (or empty, meaning lead)."
    ]


# Each check of `schemas.contacts.ContactsModel`, in the order a line's problems are listed.
WORDING: Final[dict[str, Wording]] = {
    "fields_fit_header": _fields,
    "reporter_code_valid": _reporter_code,
    "reporter_known": _reporter_known,
    "name_given": _name,
    "email_valid": _email,
    "email_once": _duplicate,
    "role_known": _role,
}


def no_contact(file: str) -> str:
    return (
        f"{file} line {FIRST_RECORD_LINE}: no contact follows the header; a contacts list "
        f"lists at least one contact under {CONTACTS_HEADER}."
    )


def problem_sentences(failed: pl.DataFrame, file: str) -> list[str]:
    """Every failed check as a sentence, line by line (see `schemas.csv_wording`)."""
    return csv_problem_sentences(failed, file, WORDING)
