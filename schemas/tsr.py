"""The rules of the Third Sector Return, one pandera model per sheet and one for the Cover.

Like the board models, each sheet's model is its rules class with the layout's columns
added (`schemas.sheet_model`), and validates many returns at once. Rules that need the
register (is the charity funded, under which fund, for how much, in which board areas)
read columns joined from the register in force for the return's quarter: `register_fund`,
`register_award_gbp`, `register_areas` (null where the charity is not on it).
"""

from __future__ import annotations

import pandera.polars as pa
import polars as pl
from pandera.api.polars.types import PolarsData

from domain.layouts import TSR_ACTIVITY, TSR_FINANCE, TSR_OUTCOMES
from schemas.bqr import TOLERANCE
from schemas.checks import (
    SheetRowsModel,
    first_of_key,
    known_code,
    ok,
)
from schemas.sheet_model import sheet_model


class TsrActivityRules(SheetRowsModel):
    """One row per board area and support type of a charity's return."""

    @pa.check("board_area", name="board_area_known")
    def board_area_known(cls, data: PolarsData) -> pl.LazyFrame:
        return known_code(data)

    @pa.check("board_area", name="board_area_not_on_register")
    def board_area_on_register(cls, data: PolarsData) -> pl.LazyFrame:
        areas = pl.col("register_areas")
        served = areas.list.contains(pl.col("board_area"))
        return ok(data, pl.col("board_area").is_null() | areas.is_null() | served.fill_null(True))

    @pa.check("support_type", name="support_type_known")
    def support_type_known(cls, data: PolarsData) -> pl.LazyFrame:
        return known_code(data)

    @pa.check("board_area", name="one_row_per_area_and_support_type")
    def one_row_per_key(cls, data: PolarsData) -> pl.LazyFrame:
        return first_of_key(data, "board_area", "support_type")


class TsrOutcomesRules(SheetRowsModel):
    """One row per outcome of the fund's framework."""

    @pa.check("outcome", name="outcome_known")
    def outcome_known(cls, data: PolarsData) -> pl.LazyFrame:
        return known_code(data)

    @pa.check("reporting_improvement", name="improvement_within_respondents")
    def improvement_within_respondents(cls, data: PolarsData) -> pl.LazyFrame:
        over = pl.col("reporting_improvement") > pl.col("respondents")
        return ok(data, ~over.fill_null(False))

    @pa.check("outcome", name="one_row_per_outcome")
    def one_row_per_outcome(cls, data: PolarsData) -> pl.LazyFrame:
        return first_of_key(data, "outcome")


class TsrFinanceRules(SheetRowsModel):
    """The one data row of a charity's Finance sheet."""

    @pa.check("grant_awarded_gbp", name="grant_matches_register")
    def grant_matches_register(cls, data: PolarsData) -> pl.LazyFrame:
        differs = (pl.col("grant_awarded_gbp") - pl.col("register_award_gbp")).abs() > TOLERANCE
        return ok(data, ~differs.fill_null(False))

    @pa.check("grant_awarded_gbp", name="finance_one_row")
    def finance_one_row(cls, data: PolarsData) -> pl.LazyFrame:
        return ok(data, pl.int_range(pl.len()).over("return_index") == 0)


class TsrCoverModel(pa.DataFrameModel):
    """One row per return: which charity, which fund, which quarter, against the register."""

    return_index: int
    folder_code: str = pa.Field(nullable=True)
    charity_number_text: str = pa.Field(nullable=True)
    charity_number: str = pa.Field(nullable=True)
    fund_text: str = pa.Field(nullable=True)
    fund: str = pa.Field(nullable=True)
    financial_year_text: str = pa.Field(nullable=True)
    financial_year: str = pa.Field(nullable=True)
    quarter_text: str = pa.Field(nullable=True)
    quarter: str = pa.Field(nullable=True)
    register_loaded: bool = pa.Field(nullable=True)
    register_fund: str = pa.Field(nullable=True)
    finance_rows: int = pa.Field(nullable=True)

    @pa.check("charity_number", name="charity_number_valid")
    def charity_number_valid(cls, data: PolarsData) -> pl.LazyFrame:
        return known_code(data)

    @pa.check("charity_number", name="charity_matches_folder")
    def charity_matches_folder(cls, data: PolarsData) -> pl.LazyFrame:
        mismatch = pl.col("charity_number") != pl.col("folder_code")
        return ok(data, ~mismatch.fill_null(False))

    @pa.check("charity_number", name="charity_on_register")
    def charity_on_register(cls, data: PolarsData) -> pl.LazyFrame:
        # Only judged once number and quarter are known: otherwise another rule says why.
        unknown = pl.col("charity_number").is_null() | pl.col("quarter").is_null()
        return ok(
            data,
            unknown | pl.col("financial_year").is_null() | pl.col("register_fund").is_not_null(),
        )

    @pa.check("fund", name="fund_known")
    def fund_known(cls, data: PolarsData) -> pl.LazyFrame:
        return known_code(data)

    @pa.check("fund", name="fund_matches_register")
    def fund_matches_register(cls, data: PolarsData) -> pl.LazyFrame:
        mismatch = pl.col("fund") != pl.col("register_fund")
        return ok(data, ~mismatch.fill_null(False))

    @pa.check("financial_year", name="financial_year_valid")
    def financial_year_valid(cls, data: PolarsData) -> pl.LazyFrame:
        return known_code(data)

    @pa.check("quarter", name="quarter_valid")
    def quarter_valid(cls, data: PolarsData) -> pl.LazyFrame:
        return known_code(data)

    @pa.check("finance_rows", name="finance_has_a_row")
    def finance_has_a_row(cls, data: PolarsData) -> pl.LazyFrame:
        return ok(data, pl.col("finance_rows").is_null() | (pl.col("finance_rows") >= 1))

    class Config:
        strict = False
        coerce = False


TsrActivityModel = sheet_model(TSR_ACTIVITY, TsrActivityRules, "TsrActivityModel")
TsrOutcomesModel = sheet_model(TSR_OUTCOMES, TsrOutcomesRules, "TsrOutcomesModel")
TsrFinanceModel = sheet_model(TSR_FINANCE, TsrFinanceRules, "TsrFinanceModel")

TSR_SHEET_MODELS: dict[str, type[SheetRowsModel]] = {
    TSR_ACTIVITY.name: TsrActivityModel,
    TSR_OUTCOMES.name: TsrOutcomesModel,
    TSR_FINANCE.name: TsrFinanceModel,
}
