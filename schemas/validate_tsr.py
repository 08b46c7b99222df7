"""Validating a batch of third-sector returns, against the register in force for each.

The same machinery as board returns (`schemas.batch`): one pandera call per sheet over
the whole batch. What differs is the register: whether an organisation may report, under
which fund, for how much and where is reference data the data team loads, and a quarter
is checked against the version of the register in force for it.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from domain.layouts import TSR
from domain.periods import quarter_bounds, read_financial_year, read_quarter
from domain.records import RETURN_INDEX
from domain.reference import charity_number
from schemas.batch import (
    ReturnInput,
    ValidatedBatch,
    cover_value,
    record_cover_issues,
    validate_sheets,
)
from schemas.checks import failure_cases
from schemas.codes import FUND_LOOKUP, lookup_text
from schemas.rules import COVER_CHECK_SHEET, COVER_FIELD, COVER_WORDING
from schemas.tsr import TSR_SHEET_MODELS, TsrCoverModel

_PERIOD = ["financial_year", "quarter"]


def _cover_rows(returns: Sequence[ReturnInput]) -> pl.DataFrame:
    rows = []
    for index, item in enumerate(returns):
        content = item.content
        year_text = cover_value(content, "financial_year")
        quarter_text = cover_value(content, "quarter")
        number_text = cover_value(content, "charity_number")
        fund_text = cover_value(content, "fund")
        finance = content.sheets.get("Finance")
        rows.append(
            {
                RETURN_INDEX: index,
                "folder_code": item.folder_code,
                "charity_number_text": number_text,
                "charity_number": charity_number(number_text),
                "organisation": cover_value(content, "organisation"),
                "fund_text": fund_text,
                "fund": lookup_text(fund_text, FUND_LOOKUP),
                "financial_year_text": year_text,
                "financial_year": read_financial_year(year_text),
                "quarter_text": quarter_text,
                "quarter": read_quarter(quarter_text),
                "completed_by": cover_value(content, "completed_by"),
                "email": cover_value(content, "email"),
                "finance_rows": finance.frame.height if finance is not None else None,
            }
        )
    text_columns = [k for k in rows[0] if k not in (RETURN_INDEX, "finance_rows")]
    return pl.DataFrame(
        rows,
        schema_overrides={
            RETURN_INDEX: pl.Int64,
            "finance_rows": pl.Int64,
            **dict.fromkeys(text_columns, pl.String),
        },
        infer_schema_length=None,
    )


def versions_in_force(register: pl.DataFrame, periods: pl.DataFrame) -> pl.DataFrame:
    """(financial_year, quarter, version_id) of the register version in force per period.

    The latest `in_force_from` on or before the quarter's first day, the latest loaded among
    equals: the rule the `register_in_force` view states in SQL.
    """
    starts = periods.with_columns(
        pl.struct(_PERIOD)
        .map_elements(
            lambda p: quarter_bounds(p["financial_year"], p["quarter"])[0], return_dtype=pl.Date
        )
        .alias("starts_on")
    )
    versions = register.select("version_id", "in_force_from").unique()
    return (
        starts.join(versions, how="cross")
        .filter(pl.col("in_force_from") <= pl.col("starts_on"))
        .sort(["in_force_from", "version_id"], descending=True)
        .group_by(_PERIOD, maintain_order=True)
        .first()
        .select(*_PERIOD, "version_id")
    )


def _with_register(cover: pl.DataFrame, register: pl.DataFrame) -> pl.DataFrame:
    """The Cover rows with what the register in force says of each charity."""
    periods = cover.select(_PERIOD).drop_nulls().unique()
    in_force = (
        versions_in_force(register, periods)
        if periods.height and register.height
        else pl.DataFrame(
            schema={"financial_year": pl.String, "quarter": pl.String, "version_id": pl.Int64}
        )
    )
    entries = in_force.join(register, on="version_id").select(
        *_PERIOD,
        "charity_number",
        pl.col("fund").alias("register_fund"),
        pl.col("award_gbp").alias("register_award_gbp"),
        pl.col("board_areas").alias("register_areas"),
        pl.col("name").alias("register_name"),
    )
    return (
        cover.join(
            in_force.select(*_PERIOD, pl.lit(True).alias("register_loaded")), on=_PERIOD, how="left"
        )
        .join(entries, on=[*_PERIOD, "charity_number"], how="left")
        .with_columns(pl.col("register_loaded").fill_null(False))
    )


def validate_third_sector_returns(
    returns: Sequence[ReturnInput], register: pl.DataFrame
) -> ValidatedBatch:
    """Every TSR rule over every return of the batch; all problems, not the first.

    `register` holds every version of the register (`warehouse.register.all_register_versions`).
    """
    batch = ValidatedBatch()
    if not returns:
        return batch
    batch.cover = _with_register(_cover_rows(returns), register)
    cover_failures = failure_cases(TsrCoverModel, batch.cover)
    record_cover_issues(
        batch,
        returns,
        cover_failures,
        wording=COVER_WORDING,
        field_of=COVER_FIELD,
        sheet_of=COVER_CHECK_SHEET,
    )
    register_columns = batch.cover.select(RETURN_INDEX, "register_areas", "register_award_gbp")

    def enrich(_sheet: str, rows: pl.DataFrame) -> pl.DataFrame:
        return rows.join(register_columns, on=RETURN_INDEX, how="left", maintain_order="left")

    validate_sheets(TSR, TSR_SHEET_MODELS, returns, batch, {}, enrich=enrich)
    return batch
