"""The blank Third Sector Return (TSR v1) that the data team sends to each funded charity.

Charities fill it in by hand, often without a data analyst, so the blank does as much
checking as Excel allows: dropdowns for board areas, support types, outcome codes and the
fund, whole numbers for people, pounds for money. Headers are the layout's printed form
(`schemas.layouts.TSR`), so the reader and the blank cannot drift apart.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

from domain.layouts import TSR_ACTIVITY, TSR_COVER, TSR_FINANCE, TSR_OUTCOMES, SheetLayout
from domain.reference import (
    BOARDS,
    CHARITY_NUMBER_PATTERN,
    FUNDS,
    OUTCOMES,
    SUPPORT_TYPES,
    TEMPLATE_VERSION,
    TSR_TEMPLATE_NAME,
)
from return_templates.common import (
    HEADER_ROW,
    Column,
    Validation,
    check_period,
    input_message,
    number_validation,
    template_workbook,
    with_error,
    write_cover,
    write_data_sheet,
)


def _printed(layout: SheetLayout, key: str) -> str:
    return layout.column(key).printed


ACTIVITY_COLUMNS: Final[tuple[Column, ...]] = (
    Column(
        _printed(TSR_ACTIVITY, "board_area"),
        "board_area",
        "Choose the NHS board area the people supported live in: one row per board area "
        "and support type.",
    ),
    Column(_printed(TSR_ACTIVITY, "support_type"), "support_type", "Choose the support type."),
    Column(
        _printed(TSR_ACTIVITY, "mothers"),
        "count",
        "Mothers and birthing parents newly supported this quarter (whole number).",
    ),
    Column(
        _printed(TSR_ACTIVITY, "fathers_partners"),
        "count",
        "Fathers and partners newly supported this quarter (whole number).",
    ),
    Column(
        _printed(TSR_ACTIVITY, "infants"),
        "count",
        "Infants newly supported this quarter (whole number).",
    ),
    Column(
        _printed(TSR_ACTIVITY, "other_carers"),
        "count",
        "Other carers (grandparents, kinship or foster carers) newly supported this quarter.",
    ),
)
OUTCOME_COLUMNS: Final[tuple[Column, ...]] = (
    Column(
        _printed(TSR_OUTCOMES, "outcome"),
        "outcome",
        "The fund outcome the row reports on. The five are filled in for you, one per row; "
        "what each means is listed to the right.",
    ),
    Column(
        _printed(TSR_OUTCOMES, "respondents"),
        "count",
        "People asked about this outcome this quarter (whole number).",
    ),
    Column(
        _printed(TSR_OUTCOMES, "reporting_improvement"),
        "count",
        "Of the people asked, how many reported an improvement; not above Respondents.",
    ),
)
FINANCE_COLUMNS: Final[tuple[Column, ...]] = (
    Column(
        _printed(TSR_FINANCE, "grant_awarded_gbp"),
        "pounds",
        "Your grant for the financial year, in pounds, as in your award letter.",
    ),
    Column(
        _printed(TSR_FINANCE, "spend_gbp"),
        "pounds",
        "Spend of the grant in this quarter, in pounds.",
    ),
)

DATA_SHEETS: Final[dict[str, tuple[Column, ...]]] = {
    "Activity": ACTIVITY_COLUMNS,
    "Outcomes": OUTCOME_COLUMNS,
    "Finance": FINANCE_COLUMNS,
}
SHEET_GUIDANCE: Final[dict[str, str]] = {
    "Activity": "One row per board area and support type. Count people newly supported this "
    "quarter. Leave a cell empty if not reported; 0 means zero.",
    "Outcomes": "One row per outcome. Leave a row's figures empty if you did not ask about it "
    "this quarter.",
    "Finance": "One row: your grant for the year and your spend this quarter, in pounds.",
}
COVER_LABELS: Final[tuple[str, ...]] = tuple(TSR_COVER.values())
# Every board area with every support type fits on Activity; Finance is one row by contract.
INPUT_ROWS: Final[dict[str, int]] = {
    "Activity": len(BOARDS) * len(SUPPORT_TYPES),
    "Outcomes": len(OUTCOMES),
    "Finance": 1,
}
# Alphabetical, as people look a name up in a dropdown; the reader accepts names or codes.
BOARD_AREA_CHOICES: Final[tuple[str, ...]] = tuple(sorted(BOARDS.values()))
FUND_CHOICES: Final[tuple[str, ...]] = tuple(FUNDS.values())

_COVER_MESSAGES: Final[dict[str, str]] = {
    "Organisation": "Your organisation's name, as on your award letter.",
    "Fund": "The fund stream your grant is from: Main Grants or Small Grants.",
    "Completed by": "Your name. Kept in the audit trail, never published.",
    "Email": "Where we send feedback on this return. Kept in the audit trail, never published.",
}
# The key to the outcome codes sits to the right of the Outcomes table, past a gap column,
# where the reader (which reads only the table's own headers) never looks.
_OUTCOME_KEY_COLUMN: Final = len(OUTCOME_COLUMNS) + 1


def check_charity(charity_number: str) -> None:
    """Refuse what is not a Scottish charity number: the landing folder is named by it."""
    if not CHARITY_NUMBER_PATTERN.fullmatch(charity_number):
        raise ValueError(
            f"{charity_number!r} is not a Scottish charity number: write SC and six digits, "
            "e.g. SC012345."
        )


def fund_label(fund: str) -> str:
    """The Cover's name for a fund given by register code (MAIN) or by name (Main Grants)."""
    if fund in FUNDS:
        return FUNDS[fund]
    if fund in FUNDS.values():
        return fund
    raise ValueError(
        f"{fund!r} is not a fund: use one of {', '.join(FUNDS)} ({', '.join(FUNDS.values())})."
    )


def _validation(column: Column) -> Validation:
    """The Excel data validation for a column's input cells."""
    options: Validation
    if column.kind == "board_area":
        options = {"validate": "list", "source": list(BOARD_AREA_CHOICES)}
    elif column.kind == "support_type":
        options = {"validate": "list", "source": list(SUPPORT_TYPES)}
    elif column.kind == "outcome":
        options = {"validate": "list", "source": list(OUTCOMES)}
    else:
        options = number_validation(column)
    return with_error(options, column)


def _cover_validations() -> dict[str, Validation]:
    validations = {label: input_message(label, text) for label, text in _COVER_MESSAGES.items()}
    validations["Fund"].update(
        {
            "validate": "list",
            "source": list(FUND_CHOICES),
            "error_title": "Fund",
            "error_message": f"Choose {' or '.join(FUND_CHOICES)}.",
        }
    )
    return validations


def write_blank_tsr(  # noqa: PLR0917 - the signature other code is written against
    path: Path,
    charity_number: str,
    financial_year: str,
    quarter: str,
    organisation: str | None = None,
    fund: str | None = None,
) -> None:
    """Write a blank TSR for one charity and quarter to `path` (an .xlsx file).

    The Cover names the charity and period so the return identifies itself; Organisation
    and Fund (register code or name) are filled in when known, else left for the charity.
    Outcomes comes with the five outcome codes in place, one per row.
    """
    check_charity(charity_number)
    check_period(financial_year, quarter)
    fund_name = fund_label(fund) if fund else ""
    who = organisation or charity_number
    values = {
        "Template": TSR_TEMPLATE_NAME,
        "Template version": TEMPLATE_VERSION,
        "Charity number": charity_number,
        "Organisation": organisation or "",
        "Fund": fund_name,
        "Financial year": financial_year,
        "Quarter": quarter,
    }
    with template_workbook(path, TSR_TEMPLATE_NAME, financial_year, quarter) as (
        workbook,
        formats,
    ):
        write_cover(
            workbook,
            formats,
            TSR_TEMPLATE_NAME,
            labels=COVER_LABELS,
            values=values,
            validations=_cover_validations(),
        )
        for sheet_name, columns in DATA_SHEETS.items():
            sheet = write_data_sheet(
                workbook,
                formats,
                sheet_name,
                columns,
                title=f"{sheet_name}: {who}, {financial_year} {quarter}",
                guidance=SHEET_GUIDANCE[sheet_name],
                input_rows=INPUT_ROWS[sheet_name],
                validation=_validation,
                prefilled={0: list(OUTCOMES)} if sheet_name == "Outcomes" else None,
            )
            if sheet_name == "Outcomes":
                _write_outcome_key(sheet, formats)


def _write_outcome_key(sheet: Any, formats: dict[str, Any]) -> None:
    """What each outcome code means, beside the table, so nobody has to look it up."""
    column = _OUTCOME_KEY_COLUMN
    sheet.set_column(column, column, 90)
    sheet.write_string(HEADER_ROW - 1, column, "What the outcome codes mean", formats["label"])
    for row, (code, meaning) in enumerate(OUTCOMES.items(), start=HEADER_ROW):
        sheet.write_string(row, column, f"{code}: {meaning}")
