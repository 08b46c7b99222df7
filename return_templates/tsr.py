"""The blank Third Sector Return (TSR v1) that the data team sends to each funded charity.

Charities fill it in by hand, often without a data analyst, so the blank does as much
checking as Excel allows: dropdowns for board areas, support types, outcome codes and the
fund, whole numbers for people, pounds for money. Headers, help and input checks come from
the template's layout (`domain.layouts.TSR`), so the reader and the blank cannot drift
apart.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

from domain.layouts import TSR, TSR_COVER, TSR_OUTCOMES
from domain.reference import (
    CHARITY_NUMBER_PATTERN,
    FUNDS,
    OUTCOMES,
    TEMPLATE_VERSION,
    TSR_TEMPLATE_NAME,
)
from return_templates.common import (
    HEADER_ROW,
    Column,
    Validation,
    blank_columns,
    check_period,
    input_message,
    template_workbook,
    write_cover,
    write_data_sheet,
)

DATA_SHEETS: Final[dict[str, tuple[Column, ...]]] = {
    sheet.name: blank_columns(sheet) for sheet in TSR.sheets
}
COVER_LABELS: Final[tuple[str, ...]] = tuple(TSR_COVER.values())
FUND_CHOICES: Final[tuple[str, ...]] = tuple(FUNDS.values())

_COVER_MESSAGES: Final[dict[str, str]] = {
    "Organisation": "Your organisation's name, as on your award letter.",
    "Fund": "The fund stream your grant is from: Main Grants or Small Grants.",
    "Completed by": "Your name. Kept in the audit trail, never published.",
    "Email": "Where we send feedback on this return. Kept in the audit trail, never published.",
}
# The key to the outcome codes sits to the right of the Outcomes table, past a gap column,
# where the reader (which reads only the table's own headers) never looks.
_OUTCOME_KEY_COLUMN: Final = len(TSR_OUTCOMES.columns) + 1


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
        for layout in TSR.sheets:
            outcomes = layout is TSR_OUTCOMES
            sheet = write_data_sheet(
                workbook,
                formats,
                layout,
                title=f"{layout.name}: {who}, {financial_year} {quarter}",
                prefilled={0: list(OUTCOMES)} if outcomes else None,
            )
            if outcomes:
                _write_outcome_key(sheet, formats)


def _write_outcome_key(sheet: Any, formats: dict[str, Any]) -> None:
    """What each outcome code means, beside the table, so nobody has to look it up."""
    column = _OUTCOME_KEY_COLUMN
    sheet.set_column(column, column, 90)
    sheet.write_string(HEADER_ROW - 1, column, "What the outcome codes mean", formats["label"])
    for row, (code, meaning) in enumerate(OUTCOMES.items(), start=HEADER_ROW):
        sheet.write_string(row, column, f"{code}: {meaning}")
