"""Where each measure of an accepted return was read: its sheet and column letter.

The reader finds a sheet's columns by their headers, so the same measure can sit in
column D of one return and F of another. A fact row keeps its sheet row (`source_row`);
these rows keep, per return, sheet and measure, the column letter, so every figure's cell
(`Staffing!D14`) can be named without storing a cell per figure.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Final

import polars as pl

from domain.layouts import TemplateLayout
from domain.records import RETURN_INDEX
from schemas.batch import ReturnInput

SOURCE_COLUMNS: Final = "source_column"
"""The key of these rows among a run's fact rows: the warehouse table they land in."""

_SCHEMA: Final = {
    RETURN_INDEX: pl.Int64,
    "sheet": pl.String,
    "measure": pl.String,
    "column_letter": pl.String,
}


def source_columns(
    template: TemplateLayout, returns: Sequence[ReturnInput], accepted: Collection[int]
) -> pl.DataFrame:
    """One row per accepted return (by position), sheet and measure column it had.

    An optional column a return left off has no letter, and so no row.
    """
    rows = [
        (position, sheet.name, column.fact_key, letter)
        for position in sorted(accepted)
        for sheet in template.sheets
        if (table := returns[position].content.sheets.get(sheet.name)) is not None
        for column in sheet.measures
        if (letter := table.letters.get(column.key)) is not None
    ]
    return pl.DataFrame(rows, schema=_SCHEMA, orient="row")
