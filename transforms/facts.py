"""Fact rows from validated sheet rows, shaped column by column from the template's layout.

Staging in the dbt sense: rename and cast, derive what SPEC.md derives, nothing more. A
column's kind decides its fact form (counts whole, WTE and pounds to the penny, codes
under their fact names), so a column added to a layout reaches its fact table unasked.
Runs on the whole batch at once; `return_index` ties each row to its return.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

import polars as pl

from domain.layouts import EXPLANATION_KEY, ColumnLayout, SheetLayout, TemplateLayout
from domain.records import RETURN_INDEX
from domain.workbook import SHEET_ROW
from schemas.batch import ValidatedBatch

# Expressions that stand in for a layout column in its fact table (a SPEC.md derivation),
# by column key; they are evaluated on the validated rows, before any rounding.
Derivations = Mapping[str, Sequence[pl.Expr]]


def fact_column(column: ColumnLayout) -> pl.Expr:
    """The fact-table form of a layout column's validated values."""
    value = pl.col(column.key)
    if column.kind == "count":
        value = value.cast(pl.Int64)
    elif column.kind in ("wte", "pounds"):
        value = value.round(2)
    return value.alias(column.fact_key)


def explanation_only(layout: SheetLayout) -> pl.Expr:
    """Rows whose only entry beside their codes is an Explanation: e.g. why a service
    reported last quarter has no figures now. They are answers, not figures."""
    measures = layout.measure_keys
    if EXPLANATION_KEY not in {c.key for c in layout.columns} or not measures:
        return pl.lit(False)
    return pl.col(EXPLANATION_KEY).is_not_null() & pl.all_horizontal(
        pl.col(key).is_null() for key in measures
    )


def fact_rows(
    layout: SheetLayout,
    rows: pl.DataFrame,
    keys: Sequence[str],
    derived: Derivations | None = None,
) -> pl.DataFrame:
    """`keys`, then every figure column of the sheet in layout order, then the source sheet
    row. A row holding only an explanation (no figure) answers a warning and is no figure
    row: it is left out (`explanation_only`)."""
    instead = derived or {}
    return rows.filter(~explanation_only(layout)).select(
        *keys,
        *(
            expr
            for column in layout.figure_columns
            for expr in instead.get(column.key, (fact_column(column),))
        ),
        pl.col(SHEET_ROW).alias("source_row"),
    )


def template_facts(
    template: TemplateLayout,
    batch: ValidatedBatch,
    accepted: Collection[int],
    period: Sequence[str],
    derived: Mapping[str, Derivations] | None = None,
) -> dict[str, pl.DataFrame]:
    """Fact rows of the accepted returns of a batch, by fact table name.

    `period` names the Cover columns every fact row carries (the return index first);
    `derived` gives each sheet's derivations by sheet name.
    """
    keep = pl.col(RETURN_INDEX).is_in(list(accepted))
    cover = batch.cover.select(period)
    # A sheet's own copy of a Cover column (the board its rows were checked against)
    # gives way to the Cover's.
    carried = [key for key in period if key != RETURN_INDEX]
    return {
        sheet.fact_table: fact_rows(
            sheet,
            batch.sheets[sheet.name]
            .filter(keep)
            .drop(carried, strict=False)
            .join(cover, on=RETURN_INDEX, how="inner"),
            period,
            (derived or {}).get(sheet.name),
        )
        for sheet in template.sheets
    }
