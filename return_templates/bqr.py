"""The blank Board Quarterly Return (BQR v1) that the data team sends to each board.

The layout here is the canonical one from SPEC.md: the reader is written to it and the
sample generator copies it, so the column lists below are the one place it is spelled
out in code. Excel data validation in the blank stops most mistakes at the keyboard, which
is cheaper for everyone than an error report a month later.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from domain.cells import column_letter
from domain.reference import (
    BOARDS,
    BQR_TEMPLATE_NAME,
    MBU_HOST_BOARDS,
    SERVICES,
    STAFF_GROUPS,
    TEMPLATE_VERSION,
)
from return_templates.common import (
    COVER_FIRST_LABEL_ROW,
    HEADER_ROW,
    Column,
    ColumnKind,
    Validation,
    check_period,
    input_message,
    number_validation,
    template_workbook,
    with_error,
    write_cover,
    write_data_sheet,
)

_SERVICE_HELP: Final = "Choose the service code from the list: one row per service you run."

STAFFING_COLUMNS: Final[tuple[Column, ...]] = (
    Column("Service", "service", "Choose the service code from the list."),
    Column("Staff group", "staff_group", "Choose the staff group from the list."),
    Column("Funded WTE", "wte", "Funded whole-time equivalent, 0 to 200, two decimals."),
    Column("In post WTE", "wte", "WTE in post on the last day of the quarter, 0 to 200."),
    Column("Vacant WTE", "wte", "Funded minus in post (0 if over-established). May be left empty."),
)
ACTIVITY_COLUMNS: Final[tuple[Column, ...]] = (
    Column("Service", "service", _SERVICE_HELP),
    Column("Referrals received", "count", "Referrals received in the quarter (whole number)."),
    Column("Referrals accepted", "count", "Referrals accepted in the quarter; not above received."),
    Column("First assessments", "count", "First assessments carried out in the quarter."),
    Column("Open caseload", "count", "People on the caseload on the last day of the quarter."),
    Column("Discharges", "count", "People discharged in the quarter."),
    Column(
        "Waiting over 12 weeks",
        "count",
        "People waiting over 12 weeks for a first assessment on the last day of the quarter.",
    ),
    Column("Admissions", "count", "Mother and Baby Unit rows only: admissions in the quarter."),
    Column("Occupied bed days", "count", "MBU rows only: occupied bed days; not above available."),
    Column("Available bed days", "count", "MBU rows only: bed days available in the quarter."),
)
FINANCE_COLUMNS: Final[tuple[Column, ...]] = (
    Column("Service", "service", _SERVICE_HELP),
    Column("Allocation", "pounds", "Programme allocation for the financial year, in pounds."),
    Column("Spend in quarter", "pounds", "Spend in this quarter, in pounds."),
    Column("Forecast full year", "pounds", "Forecast spend for the financial year, in pounds."),
)

DATA_SHEETS: Final[dict[str, tuple[Column, ...]]] = {
    "Staffing": STAFFING_COLUMNS,
    "Activity": ACTIVITY_COLUMNS,
    "Finance": FINANCE_COLUMNS,
}
SHEET_GUIDANCE: Final[dict[str, str]] = {
    "Staffing": "One row per service and staff group. Leave Vacant WTE empty to have it derived.",
    "Activity": "One row per service you run. Leave a cell empty if not reported; 0 means zero.",
    "Finance": "One row per service you run. Amounts in pounds.",
}
COVER_LABELS: Final[tuple[str, ...]] = (
    "Template",
    "Template version",
    "Board",
    "Financial year",
    "Quarter",
    "Completed by",
    "Email",
)

INPUT_ROWS: Final[dict[str, int]] = {"Staffing": 40, "Activity": 4, "Finance": 4}

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


def _validation(column: Column, services: tuple[str, ...]) -> Validation:
    """The Excel data validation for a column's input cells."""
    options: Validation
    if column.kind == "service":
        options = {"validate": "list", "source": list(services)}
    elif column.kind == "staff_group":
        options = {"validate": "list", "source": list(STAFF_GROUPS)}
    else:
        options = number_validation(column)
    return with_error(options, column)


def write_blank_bqr(path: Path, board_code: str, financial_year: str, quarter: str) -> None:
    """Write a blank BQR for one board and quarter to `path` (an .xlsx file).

    The Cover is pre-filled so the return identifies itself; the board fills in the
    data sheets, whose dropdowns offer only the services that board may report.
    """
    check_board(board_code)
    check_period(financial_year, quarter)
    board_name = BOARDS[board_code]
    services = board_services(board_code)
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
        for sheet_name, columns in DATA_SHEETS.items():
            write_data_sheet(
                workbook,
                formats,
                sheet_name,
                columns,
                title=f"{sheet_name}: {board_name}, {financial_year} {quarter}",
                guidance=SHEET_GUIDANCE[sheet_name],
                input_rows=INPUT_ROWS[sheet_name],
                validation=lambda column: _validation(column, services),
            )


def input_range(sheet_name: str, column_index: int) -> str:
    """The A1 range of a column's input cells in the blank, e.g. `B5:B44` on Staffing."""
    letter = column_letter(column_index)
    return f"{letter}{HEADER_ROW + 1}:{letter}{HEADER_ROW + INPUT_ROWS[sheet_name]}"


__all__ = [
    "ACTIVITY_COLUMNS",
    "COVER_FIRST_LABEL_ROW",
    "COVER_LABELS",
    "DATA_SHEETS",
    "FINANCE_COLUMNS",
    "HEADER_ROW",
    "INPUT_ROWS",
    "SHEET_GUIDANCE",
    "STAFFING_COLUMNS",
    "Column",
    "ColumnKind",
    "board_services",
    "check_board",
    "check_period",
    "input_range",
    "write_blank_bqr",
]
