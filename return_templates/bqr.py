"""The blank Board Quarterly Return (BQR v1) that the data team sends to each board.

The layout here is the canonical one from SPEC.md: the reader is written to it and the
sample generator copies it, so the column lists below are the one place it is spelled
out in code. Excel data validation in the blank stops most mistakes at the keyboard, which
is cheaper for everyone than an error report a month later.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

import xlsxwriter

from schemas.issues import column_letter
from schemas.reference import (
    BOARDS,
    BQR_TEMPLATE_NAME,
    MBU_HOST_BOARDS,
    QUARTERS,
    SERVICES,
    STAFF_GROUPS,
    TEMPLATE_VERSION,
    parse_financial_year,
    quarter_bounds,
)

ColumnKind = Literal["service", "staff_group", "wte", "count", "pounds"]


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a data sheet: its header, the kind of value and what to enter.

    `help` is the input message Excel shows on the header cell (at most 255 characters).
    """

    header: str
    kind: ColumnKind
    help: str


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

HEADER_ROW: Final = 4  # 1-based, as Excel shows it; rows 1-3 are title, guidance, spacer
COVER_FIRST_LABEL_ROW: Final = 3
INPUT_ROWS: Final[dict[str, int]] = {"Staffing": 40, "Activity": 4, "Finance": 4}

_COVER_MESSAGES: Final[dict[str, str]] = {
    "Completed by": "Your name. Kept in the audit trail, never published.",
    "Email": "Where we send feedback on this return. Kept in the audit trail, never published.",
}
_NUMBER_FORMATS: Final[dict[ColumnKind, str]] = {
    "wte": "0.00",
    "count": "0",
    "pounds": "£#,##0.00",
}
_VALIDATION_ERRORS: Final[dict[ColumnKind, str]] = {
    "wte": "Enter a WTE between 0 and 200.",
    "count": "Enter a whole number, 0 or more.",
    "pounds": "Enter an amount in pounds, 0 or more.",
    "service": "Choose a service code from the list.",
    "staff_group": "Choose a staff group from the list.",
}


def board_services(board_code: str) -> tuple[str, ...]:
    """Service codes a board may report: a Mother and Baby Unit only where one exists."""
    return tuple(s for s in SERVICES if s != "MBU" or board_code in MBU_HOST_BOARDS)


def check_period(financial_year: str, quarter: str) -> None:
    """Refuse a period the reader would refuse, before anyone fills a template in for it."""
    if parse_financial_year(financial_year) is None:
        raise ValueError(
            f"{financial_year!r} is not a financial year: write it like 2022-23 "
            "(the year it starts, a hyphen, the last two digits of the next year)."
        )
    if quarter not in QUARTERS:
        raise ValueError(f"{quarter!r} is not a quarter: use one of {', '.join(QUARTERS)}.")


def check_board(board_code: str) -> None:
    """Refuse an unknown board code; templates are keyed by GSS code, never by name."""
    if board_code not in BOARDS:
        raise ValueError(
            f"{board_code!r} is not a territorial board code: use a GSS code such as "
            "S08000024 (Lothian)."
        )


def _validation(column: Column, services: tuple[str, ...]) -> dict[str, Any]:
    """The Excel data validation for a column's input cells."""
    options: dict[str, Any]
    if column.kind == "service":
        options = {"validate": "list", "source": list(services)}
    elif column.kind == "staff_group":
        options = {"validate": "list", "source": list(STAFF_GROUPS)}
    elif column.kind == "wte":
        options = {"validate": "decimal", "criteria": "between", "minimum": 0, "maximum": 200}
    elif column.kind == "count":
        options = {"validate": "integer", "criteria": ">=", "value": 0}
    else:
        options = {"validate": "decimal", "criteria": ">=", "value": 0}
    options.update(
        {
            "error_title": f"{column.header}"[:32],
            "error_message": _VALIDATION_ERRORS[column.kind],
        }
    )
    return options


def write_blank_bqr(path: Path, board_code: str, financial_year: str, quarter: str) -> None:
    """Write a blank BQR for one board and quarter to `path` (an .xlsx file).

    The Cover is pre-filled so the return identifies itself; the board fills in the
    data sheets, whose dropdowns offer only the services that board may report.
    """
    check_board(board_code)
    check_period(financial_year, quarter)
    board_name = BOARDS[board_code]
    services = board_services(board_code)
    # A fixed creation date keeps the bytes identical for identical inputs.
    created = dt.datetime.combine(quarter_bounds(financial_year, quarter)[1], dt.time())
    workbook = xlsxwriter.Workbook(str(path), {"in_memory": True})
    try:
        workbook.set_properties({"title": BQR_TEMPLATE_NAME, "created": created})
        formats = {
            "title": workbook.add_format({"bold": True, "font_size": 14}),
            "guidance": workbook.add_format({"italic": True, "font_color": "#595959"}),
            "header": workbook.add_format(
                {"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True}
            ),
            "label": workbook.add_format({"bold": True}),
            "input": workbook.add_format({"bg_color": "#FFF2CC", "border": 1}),
        }
        for kind, number_format in _NUMBER_FORMATS.items():
            formats[kind] = workbook.add_format(
                {"num_format": number_format, "bg_color": "#FFF2CC", "border": 1}
            )
        _write_cover(workbook, formats, board_name, financial_year, quarter)
        for sheet_name in DATA_SHEETS:
            title = f"{sheet_name}: {board_name}, {financial_year} {quarter}"
            _write_data_sheet(workbook, formats, sheet_name, title=title, services=services)
    finally:
        workbook.close()


def _write_cover(
    workbook: Any, formats: dict[str, Any], board_name: str, financial_year: str, quarter: str
) -> None:
    """The Cover names the template, version, board and period the return is for."""
    sheet = workbook.add_worksheet("Cover")
    sheet.set_column(0, 0, 20)
    sheet.set_column(1, 1, 40)
    sheet.write_string(0, 0, BQR_TEMPLATE_NAME, formats["title"])
    values = {
        "Template": BQR_TEMPLATE_NAME,
        "Template version": TEMPLATE_VERSION,
        "Board": board_name,
        "Financial year": financial_year,
        "Quarter": quarter,
    }
    for offset, label in enumerate(COVER_LABELS):
        row = COVER_FIRST_LABEL_ROW - 1 + offset
        sheet.write_string(row, 0, label, formats["label"])
        if label in values:
            sheet.write_string(row, 1, values[label])
        else:
            sheet.write_blank(row, 1, None, formats["input"])
    for label, message in _COVER_MESSAGES.items():
        row = COVER_FIRST_LABEL_ROW - 1 + COVER_LABELS.index(label)
        sheet.data_validation(
            row, 1, row, 1, {"validate": "any", "input_title": label, "input_message": message}
        )


def _write_data_sheet(
    workbook: Any,
    formats: dict[str, Any],
    sheet_name: str,
    *,
    title: str,
    services: tuple[str, ...],
) -> None:
    """Title, guidance, header on row 4, then validated input rows."""
    sheet = workbook.add_worksheet(sheet_name)
    sheet.write_string(0, 0, title, formats["title"])
    sheet.write_string(1, 0, SHEET_GUIDANCE[sheet_name], formats["guidance"])
    header_index = HEADER_ROW - 1
    first, last = header_index + 1, header_index + INPUT_ROWS[sheet_name]
    for col, column in enumerate(DATA_SHEETS[sheet_name]):
        sheet.set_column(col, col, 24 if column.kind == "staff_group" else 16)
        sheet.write_string(header_index, col, column.header, formats["header"])
        sheet.data_validation(
            header_index,
            col,
            header_index,
            col,
            {"validate": "any", "input_title": column.header[:32], "input_message": column.help},
        )
        cell_format = formats.get(column.kind, formats["input"])
        for row in range(first, last + 1):
            sheet.write_blank(row, col, None, cell_format)
        sheet.data_validation(first, col, last, col, _validation(column, services))
    sheet.freeze_panes(header_index + 1, 0)


def input_range(sheet_name: str, column_index: int) -> str:
    """The A1 range of a column's input cells in the blank, e.g. `B5:B44` on Staffing."""
    letter = column_letter(column_index)
    return f"{letter}{HEADER_ROW + 1}:{letter}{HEADER_ROW + INPUT_ROWS[sheet_name]}"
