"""From validated board returns to the rows of the three fact tables.

Staging in the dbt sense: rename and cast, derive what SPEC.md derives (vacancy), nothing
more. Runs on the whole batch at once; `return_index` ties each row to its return.
"""

from __future__ import annotations

from collections.abc import Collection

import polars as pl

from domain.layouts import BQR_ACTIVITY
from domain.records import RETURN_INDEX
from schemas.batch import ValidatedBatch
from schemas.bqr import derived_vacancy

_PERIOD = [RETURN_INDEX, "board_code", "financial_year", "quarter"]


def _with_period(rows: pl.DataFrame, cover: pl.DataFrame) -> pl.DataFrame:
    return rows.drop("board_code").join(cover.select(_PERIOD), on=RETURN_INDEX, how="inner")


def staffing_facts(rows: pl.DataFrame) -> pl.DataFrame:
    """One row per service and staff group; vacancy derived where the return left it empty."""
    return rows.select(
        *_PERIOD,
        pl.col("service").alias("service_code"),
        pl.col("staff_group"),
        pl.col("funded_wte").round(2),
        pl.col("in_post_wte").round(2),
        pl.coalesce(pl.col("vacant_wte"), derived_vacancy()).round(2).alias("vacant_wte"),
        pl.col("vacant_wte").is_null().alias("is_vacant_derived"),
        pl.col("sheet_row").alias("source_row"),
    )


def activity_facts(rows: pl.DataFrame) -> pl.DataFrame:
    """One row per service; counts as whole numbers."""
    return rows.select(
        *_PERIOD,
        pl.col("service").alias("service_code"),
        *(pl.col(c).cast(pl.Int64) for c in BQR_ACTIVITY.measure_keys),
        pl.col("sheet_row").alias("source_row"),
    )


def finance_facts(rows: pl.DataFrame) -> pl.DataFrame:
    """One row per service; pounds to the penny."""
    return rows.select(
        *_PERIOD,
        pl.col("service").alias("service_code"),
        *(pl.col(c).round(2) for c in ("allocation_gbp", "spend_gbp", "forecast_gbp")),
        pl.col("sheet_row").alias("source_row"),
    )


# Sheet -> (fact table, shaper).
_SHAPERS = {
    "Staffing": ("fact_staffing", staffing_facts),
    "Activity": ("fact_activity", activity_facts),
    "Finance": ("fact_finance", finance_facts),
}


def board_facts(batch: ValidatedBatch, accepted: Collection[int]) -> dict[str, pl.DataFrame]:
    """Fact rows of the accepted returns of a batch, by fact table name."""
    keep = pl.col(RETURN_INDEX).is_in(list(accepted))
    return {
        table: shape(_with_period(batch.sheets[sheet].filter(keep), batch.cover))
        for sheet, (table, shape) in _SHAPERS.items()
    }
