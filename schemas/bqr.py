"""The rules of the Board Quarterly Return, one pandera model per sheet.

Each sheet's rules are a class of `@pa.check` methods; its model adds the sheet's columns
from the layout (`schemas.sheet_model`), and a rule on every measure of a kind takes its
columns from the layout too. Each model validates the rows of many returns at once (see
`schemas.prepare`). Every check has a name that `schemas.rules` turns into a sentence a
board manager understands; whether a failed check is an error or a warning is decided
there too.
"""

from __future__ import annotations

import pandera.polars as pa
import polars as pl
from pandera.api.polars.types import PolarsData

from domain.layouts import BQR_ACTIVITY, BQR_FINANCE, BQR_STAFFING, LARGEST, MBU_ONLY_COLUMNS
from domain.reference import MBU_HOST_BOARDS
from schemas.checks import (
    SheetRowsModel,
    first_of_key,
    known_code,
    ok,
)
from schemas.sheet_model import sheet_model

TOLERANCE = 0.01


def _mbu_from_host(data: PolarsData) -> pl.LazyFrame:
    return ok(
        data,
        (pl.col("service") != "MBU")
        | pl.col("service").is_null()
        | pl.col("board_code").is_null()
        | pl.col("board_code").is_in(sorted(MBU_HOST_BOARDS)),
    )


def derived_vacancy() -> pl.Expr:
    """max(0, funded - in post), null unless both are reported (SPEC.md, Staffing)."""
    difference = pl.col("funded_wte") - pl.col("in_post_wte")
    return pl.when(difference < 0).then(pl.lit(0.0)).otherwise(difference)


class _BoardSheetRules(SheetRowsModel):
    """What every board sheet's rows share: a service, and the board whose return it is."""

    board_code: str = pa.Field(nullable=True)

    @pa.check("service", name="service_known")
    def service_known(cls, data: PolarsData) -> pl.LazyFrame:
        return known_code(data)

    @pa.check("service", name="mbu_from_host_board")
    def mbu_from_host_board(cls, data: PolarsData) -> pl.LazyFrame:
        return _mbu_from_host(data)


class StaffingRules(_BoardSheetRules):
    """One row per service and staff group of a board's return."""

    @pa.check("staff_group", name="staff_group_known")
    def staff_group_known(cls, data: PolarsData) -> pl.LazyFrame:
        return known_code(data)

    @pa.check("funded_wte", "in_post_wte", name="wte_range")
    def wte_range(cls, data: PolarsData) -> pl.LazyFrame:
        value = pl.col(data.key)
        return ok(data, value.is_null() | value.is_between(0, LARGEST["wte"]))

    @pa.check(*BQR_STAFFING.keys("wte"), name="wte_two_decimals")
    def wte_two_decimals(cls, data: PolarsData) -> pl.LazyFrame:
        value = pl.col(data.key)
        return ok(data, value.is_null() | ((value - value.round(2)).abs() < 1e-9))

    @pa.check("vacant_wte", name="vacancy_arithmetic")
    def vacancy_arithmetic(cls, data: PolarsData) -> pl.LazyFrame:
        expected = derived_vacancy()
        return ok(
            data,
            pl.col("vacant_wte").is_null()
            | expected.is_null()
            | ((pl.col("vacant_wte") - expected).abs() <= TOLERANCE + 1e-9),
        )

    @pa.check("in_post_wte", name="in_post_above_funded")
    def in_post_above_funded(cls, data: PolarsData) -> pl.LazyFrame:
        return ok(data, ~(pl.col("in_post_wte") > pl.col("funded_wte")).fill_null(False))

    @pa.check("service", name="one_row_per_service_and_staff_group")
    def one_row_per_key(cls, data: PolarsData) -> pl.LazyFrame:
        return first_of_key(data, "service", "staff_group")


class ActivityRules(_BoardSheetRules):
    """One row per service of a board's return."""

    @pa.check("referrals_accepted", name="accepted_within_received")
    def accepted_within_received(cls, data: PolarsData) -> pl.LazyFrame:
        over = pl.col("referrals_accepted") > pl.col("referrals_received")
        return ok(data, ~over.fill_null(False))

    @pa.check(*MBU_ONLY_COLUMNS, name="mbu_only")
    def mbu_only(cls, data: PolarsData) -> pl.LazyFrame:
        return ok(
            data,
            pl.col(data.key).is_null()
            | (pl.col("service") == "MBU").fill_null(True)
            | pl.col(f"{data.key}_text").is_null(),
        )

    @pa.check("occupied_bed_days", name="occupied_within_available")
    def occupied_within_available(cls, data: PolarsData) -> pl.LazyFrame:
        over = pl.col("occupied_bed_days") > pl.col("available_bed_days")
        return ok(data, ~over.fill_null(False))

    @pa.check("service", name="one_row_per_service")
    def one_row_per_service(cls, data: PolarsData) -> pl.LazyFrame:
        return first_of_key(data, "service")


class FinanceRules(_BoardSheetRules):
    """One row per service of a board's return."""

    @pa.check("forecast_gbp", name="forecast_within_allocation")
    def forecast_within_allocation(cls, data: PolarsData) -> pl.LazyFrame:
        # A negative allocation is already an error; a percentage of it means nothing.
        allocation = pl.col("allocation_gbp")
        over = (pl.col("forecast_gbp") > allocation * 1.1 + 1e-9) & (allocation >= 0)
        return ok(data, ~over.fill_null(False))

    @pa.check("service", name="one_row_per_service")
    def one_row_per_service(cls, data: PolarsData) -> pl.LazyFrame:
        return first_of_key(data, "service")


class CoverModel(pa.DataFrameModel):
    """One row per return: who sent it and for which quarter."""

    return_index: int
    folder_code: str = pa.Field(nullable=True)
    board_text: str = pa.Field(nullable=True)
    board_code: str = pa.Field(nullable=True)
    financial_year_text: str = pa.Field(nullable=True)
    financial_year: str = pa.Field(nullable=True)
    quarter_text: str = pa.Field(nullable=True)
    quarter: str = pa.Field(nullable=True)

    @pa.check("board_code", name="board_known")
    def board_known(cls, data: PolarsData) -> pl.LazyFrame:
        return known_code(data)

    @pa.check("board_code", name="board_matches_folder")
    def board_matches_folder(cls, data: PolarsData) -> pl.LazyFrame:
        mismatch = pl.col("board_code") != pl.col("folder_code")
        return ok(data, ~mismatch.fill_null(False))

    @pa.check("financial_year", name="financial_year_valid")
    def financial_year_valid(cls, data: PolarsData) -> pl.LazyFrame:
        return known_code(data)

    @pa.check("quarter", name="quarter_valid")
    def quarter_valid(cls, data: PolarsData) -> pl.LazyFrame:
        return known_code(data)

    class Config:
        strict = False
        coerce = False


class TotalsModel(pa.DataFrameModel):
    """One row per figure of a Total row: what the board typed and what its column adds to."""

    return_index: int
    sheet: str
    column: str
    sheet_row: int
    declared_text: str = pa.Field(nullable=True)
    declared: float = pa.Field(nullable=True)
    computed: float = pa.Field(nullable=True)

    @pa.check("declared", name="total_is_number")
    def total_is_number(cls, data: PolarsData) -> pl.LazyFrame:
        return ok(data, pl.col("declared_text").is_null() | pl.col("declared").is_not_null())

    @pa.check("declared", name="total_adds_up")
    def total_adds_up(cls, data: PolarsData) -> pl.LazyFrame:
        difference = (pl.col("declared") - pl.col("computed").fill_null(0.0)).abs()
        return ok(data, pl.col("declared").is_null() | (difference <= TOLERANCE + 1e-9))

    class Config:
        strict = False
        coerce = False


StaffingModel = sheet_model(BQR_STAFFING, StaffingRules, "StaffingModel")
ActivityModel = sheet_model(BQR_ACTIVITY, ActivityRules, "ActivityModel")
FinanceModel = sheet_model(BQR_FINANCE, FinanceRules, "FinanceModel")

SHEET_MODELS: dict[str, type[_BoardSheetRules]] = {
    BQR_STAFFING.name: StaffingModel,
    BQR_ACTIVITY.name: ActivityModel,
    BQR_FINANCE.name: FinanceModel,
}
