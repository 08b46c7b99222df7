"""The blank Board Quarterly Return (BQR v1) that the data team sends to each board.

Its sheets, headers, help texts and input checks come from the template's layout
(`domain.layouts.BQR`), the same declarations the reader and the rules use, so the blank
and the reader cannot drift apart. Excel data validation in the blank stops most mistakes
at the keyboard, which is cheaper for everyone than an error report a month later.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from domain.cells import column_letter
from domain.layouts import BQR, BQR_COVER, sheet_layout
from domain.reference import (
    BOARDS,
    BQR_TEMPLATE_NAME,
    MBU_HOST_BOARDS,
    SERVICES,
    TEMPLATE_VERSION,
)
from return_templates.common import (
    CODE_CHOICES,
    COVER_FIRST_LABEL_ROW,
    HEADER_ROW,
    Column,
    ColumnKind,
    blank_columns,
    check_period,
    input_message,
    input_validation,
    template_workbook,
    write_cover,
    write_data_sheet,
)

DATA_SHEETS: Final[dict[str, tuple[Column, ...]]] = {
    sheet.name: blank_columns(sheet) for sheet in BQR.sheets
}
COVER_LABELS: Final[tuple[str, ...]] = tuple(BQR_COVER.values())

_COVER_MESSAGES: Final[dict[str, str]] = {
    "Completed by": "Your name. Kept in the audit trail, never published.",
    "Email": "Where we send feedback on this return. Kept in the audit trail, never published.",
}


def board_services(board_code: str) -> tuple[str, ...]:
    """Service codes a board may report: a Mother and Baby Unit only where one exists."""
    return tuple(s for s in SERVICES if s != "MBU" or board_code in MBU_HOST_BOARDS)


def check_board(board_code: str) -> None:
    """Refuse an unknown board code; templates are keyed by GSS code, never by name."""
    if board_code not in BOARDS:
        raise ValueError(
            f"{board_code!r} is not a territorial board code: use a GSS code such as "
            "S08000024 (Lothian)."
        )


def write_blank_bqr(path: Path, board_code: str, financial_year: str, quarter: str) -> None:
    """Write a blank BQR for one board and quarter to `path` (an .xlsx file).

    The Cover is pre-filled so the return identifies itself; the board fills in the
    data sheets, whose dropdowns offer only the services that board may report.
    """
    check_board(board_code)
    check_period(financial_year, quarter)
    board_name = BOARDS[board_code]
    choices = {**CODE_CHOICES, "service": board_services(board_code)}
    with template_workbook(path, BQR_TEMPLATE_NAME, financial_year, quarter) as (
        workbook,
        formats,
    ):
        values = {
            "Template": BQR_TEMPLATE_NAME,
            "Template version": TEMPLATE_VERSION,
            "Board": board_name,
            "Financial year": financial_year,
            "Quarter": quarter,
        }
        messages = {label: input_message(label, text) for label, text in _COVER_MESSAGES.items()}
        write_cover(
            workbook,
            formats,
            BQR_TEMPLATE_NAME,
            labels=COVER_LABELS,
            values=values,
            validations=messages,
        )
        for sheet in BQR.sheets:
            write_data_sheet(
                workbook,
                formats,
                sheet,
                title=f"{sheet.name}: {board_name}, {financial_year} {quarter}",
                validation=lambda column: input_validation(column, choices),
            )


def input_range(sheet_name: str, column_index: int) -> str:
    """The A1 range of a column's input cells in the blank, e.g. `B5:B44` on Staffing."""
    letter = column_letter(column_index)
    last = HEADER_ROW + sheet_layout(BQR, sheet_name).input_rows
    return f"{letter}{HEADER_ROW + 1}:{letter}{last}"


__all__ = [
    "COVER_FIRST_LABEL_ROW",
    "COVER_LABELS",
    "DATA_SHEETS",
    "HEADER_ROW",
    "Column",
    "ColumnKind",
    "board_services",
    "check_board",
    "check_period",
    "input_range",
    "write_blank_bqr",
]
