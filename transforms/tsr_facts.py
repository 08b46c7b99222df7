"""From validated third-sector returns to the rows of the three third-sector fact tables.

Staging only: rename and cast. Each row carries the organisation's charity number and the
fund it reported under (checked against the register), so views need no register join.
"""

from __future__ import annotations

from collections.abc import Collection

import polars as pl

from domain.layouts import PEOPLE_COLUMNS
from domain.records import RETURN_INDEX
from schemas.batch import ValidatedBatch

_PERIOD = [RETURN_INDEX, "charity_number", "fund", "financial_year", "quarter"]


def _with_period(rows: pl.DataFrame, cover: pl.DataFrame) -> pl.DataFrame:
    return rows.join(cover.select(_PERIOD), on=RETURN_INDEX, how="inner")


def activity_facts(rows: pl.DataFrame) -> pl.DataFrame:
    """One row per board area and support type; people as whole numbers."""
    return rows.select(
        *_PERIOD,
        pl.col("board_area").alias("board_code"),
        pl.col("support_type"),
        *(pl.col(c).cast(pl.Int64) for c in PEOPLE_COLUMNS),
        pl.col("sheet_row").alias("source_row"),
    )


def outcome_facts(rows: pl.DataFrame) -> pl.DataFrame:
    """One row per outcome; people as whole numbers."""
    return rows.select(
        *_PERIOD,
        pl.col("outcome"),
        pl.col("respondents").cast(pl.Int64),
        pl.col("reporting_improvement").cast(pl.Int64),
        pl.col("sheet_row").alias("source_row"),
    )


def finance_facts(rows: pl.DataFrame) -> pl.DataFrame:
    """The return's one Finance row; pounds to the penny."""
    return rows.select(
        *_PERIOD,
        pl.col("grant_awarded_gbp").round(2),
        pl.col("spend_gbp").round(2),
        pl.col("sheet_row").alias("source_row"),
    )


# Sheet -> (fact table, shaper).
_SHAPERS = {
    "Activity": ("fact_ts_activity", activity_facts),
    "Outcomes": ("fact_ts_outcome", outcome_facts),
    "Finance": ("fact_ts_finance", finance_facts),
}


def third_sector_facts(batch: ValidatedBatch, accepted: Collection[int]) -> dict[str, pl.DataFrame]:
    """Fact rows of the accepted returns of a batch, by fact table name."""
    keep = pl.col(RETURN_INDEX).is_in(list(accepted))
    return {
        table: shape(_with_period(batch.sheets[sheet].filter(keep), batch.cover))
        for sheet, (table, shape) in _SHAPERS.items()
    }
