"""How each problem in the register reads, for the person who edits the CSV.

Every sentence names the file, the line and the value found, and says what was expected,
so the register can be put right without asking anyone what a message means.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

import polars as pl

from domain.reference import BOARDS
from domain.register import AWARD_MAX_GBP, FIRST_RECORD_LINE
from domain.text import shown
from schemas.boards import board_meant

Row = Mapping[str, Any]
Wording = Callable[[Row, str], list[str]]


def _at(row: Row, file: str) -> str:
    return f"{file} line {row['source_line']}"


def _fields(row: Row, file: str) -> list[str]:
    return [
        f"{_at(row, file)}: {row['field_count']} values where the header has "
        f"{row['header_width']} columns (found '{shown(row['raw_line'])}'); a name or amount "
        "containing a comma must be in double quotes."
    ]


def _charity_number(row: Row, file: str) -> list[str]:
    text = row["charity_number_text"]
    if text is None or not text.strip():
        return [
            f"{_at(row, file)}: charity_number is empty; expected a Scottish charity "
            "number (SC followed by six digits)."
        ]
    return [
        f"{_at(row, file)}: '{shown(text)}' is not a Scottish charity number (SC followed by "
        "six digits)."
    ]


def _duplicate(row: Row, file: str) -> list[str]:
    return [
        f"{_at(row, file)}: charity number '{shown(row['charity_number_text'])}' is already on "
        f"line {row['first_line']}; each organisation is listed once."
    ]


def _name(row: Row, file: str) -> list[str]:
    return [f"{_at(row, file)}: name is empty; expected the organisation's name."]


def _fund(row: Row, file: str) -> list[str]:
    text = row["fund_text"]
    found = (
        "fund is empty" if text is None or not text.strip() else f"'{shown(text)}' is not a fund"
    )
    return [f"{_at(row, file)}: {found}; expected MAIN or SMALL (Main Grants or Small Grants)."]


def _award_number(row: Row, file: str) -> list[str]:
    text = row["award_gbp_text"]
    if text is None or not text.strip():
        return [f"{_at(row, file)}: award_gbp is empty; expected the award in pounds, e.g. 25000."]
    return [
        f"{_at(row, file)}: '{shown(text)}' is not an amount in pounds; expected a number such as "
        "25000 or £25,000."
    ]


def _award_negative(row: Row, file: str) -> list[str]:
    return [
        f"{_at(row, file)}: '{shown(row['award_gbp_text'])}' is a negative award; expected an "
        "amount of £0 or more."
    ]


def _award_too_large(row: Row, file: str) -> list[str]:
    return [
        f"{_at(row, file)}: '{shown(row['award_gbp_text'])}' is more than the warehouse can hold "
        f"(£{AWARD_MAX_GBP:,.2f}); check the amount."
    ]


def _boards_given(row: Row, file: str) -> list[str]:
    return [
        f"{_at(row, file)}: board_areas is empty; expected at least one NHS board code, "
        "e.g. S08000024 (several separated by ';')."
    ]


def _unknown_board(piece: str) -> str:
    found = f"'{shown(piece)}' in board_areas is not an NHS board code or name"
    if "," in piece:
        return f"{found}; separate several boards with ';'."
    code = board_meant(piece)
    if code is not None:
        return f"{found}; did you mean {code} ({BOARDS[code]})?"
    return f"{found}; expected a code such as S08000024."


def _boards_known(row: Row, file: str) -> list[str]:
    return [f"{_at(row, file)}: {_unknown_board(p)}" for p in row["unknown_boards"]]


# Each check of `schemas.register.RegisterModel`, in the order a line's problems are listed.
WORDING: Final[dict[str, Wording]] = {
    "fields_fit_header": _fields,
    "charity_number_valid": _charity_number,
    "charity_number_once": _duplicate,
    "name_given": _name,
    "fund_known": _fund,
    "award_is_number": _award_number,
    "award_not_negative": _award_negative,
    "award_fits_warehouse": _award_too_large,
    "board_areas_given": _boards_given,
    "board_areas_known": _boards_known,
}


def no_organisation(file: str) -> str:
    return (
        f"{file} line {FIRST_RECORD_LINE}: no organisation follows the header; "
        "a register lists at least one organisation."
    )


def problem_sentences(failed: pl.DataFrame, file: str) -> list[str]:
    """Every failed check (a row per line and check, the check named in `check`) as a
    sentence, line by line; a line with too many values is reported on its own, since its
    later values sit under the wrong columns."""
    order = {check: i for i, check in enumerate(WORDING)}
    by_line: dict[int, list[tuple[int, list[str]]]] = {}
    for row in failed.iter_rows(named=True):
        check = row["check"]
        by_line.setdefault(row["source_line"], []).append((order[check], WORDING[check](row, file)))
    problems: list[str] = []
    for line in sorted(by_line):
        found = sorted(by_line[line])
        if found[0][0] == order["fields_fit_header"]:
            found = found[:1]
        problems.extend(message for _, messages in found for message in messages)
    return problems
