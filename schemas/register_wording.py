"""How each problem in the register reads, for the person who edits the CSV.

Every sentence names the file, the line and the value found, and says what was expected,
so the register can be put right without asking anyone what a message means.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from domain.reference import BOARDS
from domain.register import AWARD_MAX_GBP, FIRST_RECORD_LINE
from domain.text import shown
from schemas.boards import board_meant
from schemas.csv_wording import Row, Wording, at, too_many_values
from schemas.csv_wording import problem_sentences as csv_problem_sentences

_fields: Final = too_many_values("a name or amount")


def _charity_number(row: Row, file: str) -> list[str]:
    text = row["charity_number_text"]
    if text is None or not text.strip():
        return [
            f"{at(row, file)}: charity_number is empty; expected a Scottish charity "
            "number (SC followed by six digits)."
        ]
    return [
        f"{at(row, file)}: '{shown(text)}' is not a Scottish charity number (SC followed by "
        "six digits)."
    ]


def _duplicate(row: Row, file: str) -> list[str]:
    return [
        f"{at(row, file)}: charity number '{shown(row['charity_number_text'])}' is already on "
        f"line {row['first_line']}; each organisation is listed once."
    ]


def _name(row: Row, file: str) -> list[str]:
    return [f"{at(row, file)}: name is empty; expected the organisation's name."]


def _fund(row: Row, file: str) -> list[str]:
    text = row["fund_text"]
    found = (
        "fund is empty" if text is None or not text.strip() else f"'{shown(text)}' is not a fund"
    )
    return [f"{at(row, file)}: {found}; expected MAIN or SMALL (Main Grants or Small Grants)."]


def _award_number(row: Row, file: str) -> list[str]:
    text = row["award_gbp_text"]
    if text is None or not text.strip():
        return [f"{at(row, file)}: award_gbp is empty; expected the award in pounds, e.g. 25000."]
    return [
        f"{at(row, file)}: '{shown(text)}' is not an amount in pounds; expected a number such as "
        "25000 or £25,000."
    ]


def _award_negative(row: Row, file: str) -> list[str]:
    return [
        f"{at(row, file)}: '{shown(row['award_gbp_text'])}' is a negative award; expected an "
        "amount of £0 or more."
    ]


def _award_too_large(row: Row, file: str) -> list[str]:
    return [
        f"{at(row, file)}: '{shown(row['award_gbp_text'])}' is more than the warehouse can hold "
        f"(£{AWARD_MAX_GBP:,.2f}); check the amount."
    ]


def _boards_given(row: Row, file: str) -> list[str]:
    return [
        f"{at(row, file)}: board_areas is empty; expected at least one NHS board code, "
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
    return [f"{at(row, file)}: {_unknown_board(p)}" for p in row["unknown_boards"]]


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
    """Every failed check as a sentence, line by line (see `schemas.csv_wording`)."""
    return csv_problem_sentences(failed, file, WORDING)
