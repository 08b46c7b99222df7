"""Third Sector Returns as charities really send them, for tests, demos and benchmarks.

The third-sector twin of `samples.board_returns`: the same `Quirks` bend the canonical
layout the same ways (titles, header spellings, sheet name case, blank rows, a Total row,
numbers as text, a shifted table), written by the same helpers so that both templates
exercise the reader alike. Finance has a single data row and a figure in its first
column, so it never gets a Total row: nobody totals one row, and there is no label
cell for the word "Total".
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import xlsxwriter

from domain.periods import quarter_bounds
from domain.reference import (
    BOARDS,
    FUNDS,
    OUTCOMES,
    SUPPORT_TYPES,
    TEMPLATE_VERSION,
    TSR_TEMPLATE_NAME,
)
from return_templates.common import check_period
from return_templates.tsr import COVER_LABELS, DATA_SHEETS, check_charity, fund_label
from samples.board_returns import (
    CANONICAL,
    FIRST_NAMES,
    LAST_NAMES,
    Cell,
    Quirks,
    Row,
    columns_total_row,
    data_cell,
    sheet_title,
    write_cover_sheet,
    write_table,
)

# Sheets whose last row may be a Total (see the module docstring for Finance).
_TOTALLED_SHEETS: Final = frozenset({"Activity", "Outcomes"})
# Pounds of annual award per person newly supported in a quarter, roughly: a £60,000
# Main Grant supports a few dozen people a quarter, a £8,000 Small Grant a handful.
_POUNDS_PER_PERSON: Final = 1_500.0
_MIN_PEOPLE, _MAX_PEOPLE = 6, 90
_NOT_ALNUM: Final = re.compile(r"[^a-z0-9]")


@dataclass(slots=True)
class ThirdSectorReturnContent:
    """What one charity's return says. Cells may be strings so any quirk can be written."""

    charity_number: str
    organisation: str
    fund_label: str  # as written on the Cover, e.g. "Main Grants"
    financial_year: str
    quarter: str
    completed_by: str = ""
    email: str = ""
    # [board area, support type, mothers, fathers_partners, infants, other_carers]
    activity: list[Row] = field(default_factory=list)
    # [outcome code, respondents, reporting improvement]
    outcomes: list[Row] = field(default_factory=list)
    # [grant awarded, spend in quarter]: normally one row
    finance: list[Row] = field(default_factory=list)

    def rows(self, sheet_name: str) -> list[Row]:
        """The data rows of a data sheet, by its canonical name."""
        return {"Activity": self.activity, "Outcomes": self.outcomes, "Finance": self.finance}[
            sheet_name
        ]


def write_third_sector_return(
    path: Path, content: ThirdSectorReturnContent, quirks: Quirks = CANONICAL
) -> None:
    """Write a TSR workbook as a charity might send it: the content, bent by the quirks."""
    end = quarter_bounds(content.financial_year, content.quarter)[1]
    workbook = xlsxwriter.Workbook(str(path), {"in_memory": True})
    try:
        # A fixed creation date makes the bytes a function of the content alone.
        workbook.set_properties({"created": dt.datetime.combine(end, dt.time())})
        values = (TSR_TEMPLATE_NAME, TEMPLATE_VERSION, content.charity_number,
                  content.organisation, content.fund_label, content.financial_year,
                  content.quarter, content.completed_by, content.email)  # fmt: skip
        write_cover_sheet(workbook, quirks, COVER_LABELS, values)
        for sheet_name, columns in DATA_SHEETS.items():
            sheet = workbook.add_worksheet(sheet_title(sheet_name, quirks))
            rows = content.rows(sheet_name)
            if quirks.total_row and sheet_name in _TOTALLED_SHEETS:
                rows = [*rows, columns_total_row(columns, rows)]
            titles = (
                f"{sheet_name}: {content.organisation}",
                f"{content.financial_year} {content.quarter}",
            )
            write_table(sheet, columns, titles, rows, quirks)
    finally:
        workbook.close()


def realistic_third_sector_return(  # noqa: PLR0917 - the signature other code is written against
    charity_number: str,
    organisation: str,
    fund: str,
    award_gbp: float,
    board_areas: Sequence[str],
    financial_year: str,
    quarter: str,
    rng: random.Random,
) -> ThirdSectorReturnContent:
    """A plausible return with no errors, sized to the award, for a register entry.

    `fund` is the register's code (MAIN or SMALL) and `board_areas` the board codes the
    register says the charity serves. Board areas are written as codes.
    """
    check_charity(charity_number)
    if fund not in FUNDS:
        raise ValueError(f"{fund!r} is not a fund code: use one of {', '.join(FUNDS)}.")
    unknown = [area for area in board_areas if area not in BOARDS]
    if unknown or not board_areas:
        raise ValueError(
            f"board areas must be territorial board codes, at least one; got {list(board_areas)}"
        )
    if award_gbp < 0:
        raise ValueError(f"award_gbp must be 0 or more, not {award_gbp}")
    check_period(financial_year, quarter)
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    domain = _NOT_ALNUM.sub("", organisation.lower())[:24] or charity_number.lower()
    content = ThirdSectorReturnContent(
        charity_number=charity_number,
        organisation=organisation,
        fund_label=fund_label(fund),
        financial_year=financial_year,
        quarter=quarter,
        completed_by=f"{first} {last}",
        email=f"{first}.{last}@{domain}.org.uk".lower(),
    )
    areas = list(dict.fromkeys(board_areas))
    people = min(_MAX_PEOPLE, max(_MIN_PEOPLE, award_gbp / _POUNDS_PER_PERSON))
    people *= rng.uniform(0.7, 1.3)
    cells = [(area, support) for area in areas for support in _support_offered(rng)]
    for area, support in cells:
        content.activity.append(_activity_row(area, support, people / len(cells), rng))
    parents = sum(int(row[2] or 0) + int(row[3] or 0) for row in content.activity)
    for code in OUTCOMES:
        respondents = round(parents * rng.uniform(0.3, 0.8))
        content.outcomes.append([code, respondents, round(respondents * rng.uniform(0.5, 0.9))])
    spend = round(award_gbp / 4 * rng.uniform(0.75, 1.1), 2)
    content.finance.append([float(award_gbp), spend])
    return content


def _support_offered(rng: random.Random) -> list[str]:
    """One to three support types, in the template's order, as a small charity offers."""
    chosen = set(rng.sample(SUPPORT_TYPES, k=rng.randint(1, 3)))
    return [s for s in SUPPORT_TYPES if s in chosen]


def _activity_row(area: str, support: str, mean: float, rng: random.Random) -> Row:
    """People newly supported: mostly mothers, fewer partners, infants with their parents."""
    mothers = 0 if rng.random() < 0.1 else max(0, round(mean * rng.uniform(0.5, 1.5)))
    fathers = round(mothers * rng.uniform(0.0, 0.4))
    infants = round(mothers * rng.uniform(0.5, 1.1))
    other_carers = rng.choice((0, 0, 0, 1, 2)) if mothers else 0
    return [area, support, mothers, fathers, infants, other_carers]


__all__ = [
    "CANONICAL",
    "Cell",
    "Quirks",
    "Row",
    "ThirdSectorReturnContent",
    "data_cell",
    "realistic_third_sector_return",
    "write_third_sector_return",
]
