"""The fact rows a batch of validated returns becomes: given typed rows, expect fact rows."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from domain.layouts import (
    BQR_ACTIVITY,
    BQR_FINANCE,
    BQR_STAFFING,
    TSR_ACTIVITY,
    TSR_FINANCE,
    TSR_OUTCOMES,
    SheetLayout,
)
from domain.records import RETURN_INDEX
from domain.workbook import SHEET_ROW
from schemas.batch import ValidatedBatch
from transforms.bqr_facts import board_facts
from transforms.tsr_facts import third_sector_facts
from warehouse.tables import FACT_TABLES

LOTHIAN, FIFE = "S08000024", "S08000029"
ACCEPTED, REJECTED = 0, 1

BOARD_KEYS = {
    RETURN_INDEX: pl.Int64,
    "board_code": pl.String,
    "financial_year": pl.String,
    "quarter": pl.String,
}
CHARITY_KEYS = {
    RETURN_INDEX: pl.Int64,
    "charity_number": pl.String,
    "fund": pl.String,
    "financial_year": pl.String,
    "quarter": pl.String,
}


def typed_rows(layout: SheetLayout, *rows: dict[str, Any]) -> pl.DataFrame:
    """A sheet's validated rows as `schemas.prepare` types them; cells not named are empty."""
    schema: dict[str, Any] = {RETURN_INDEX: pl.Int64, "board_code": pl.String, SHEET_ROW: pl.Int64}
    for column in layout.columns:
        schema[f"{column.key}_text"] = pl.String
        schema[column.key] = pl.Float64 if column.is_measure else pl.String
    typed = [
        {**{f"{key}_text": str(value) for key, value in row.items() if value is not None}, **row}
        for row in rows
    ]
    return pl.DataFrame(typed, schema=schema)


def frame(schema: dict[str, Any], *rows: tuple[Any, ...]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=schema, orient="row")


def board_batch(**sheets: pl.DataFrame) -> ValidatedBatch:
    """Two Lothian returns for 2022-23 Q1: the first accepted, the second rejected."""
    cover = frame(
        {**BOARD_KEYS, "completed_by": pl.String},
        (ACCEPTED, LOTHIAN, "2022-23", "Q1", "Morag Reid"),
        (REJECTED, LOTHIAN, "2022-23", "Q1", "Morag Reid"),
    )
    empty = {
        layout.name: typed_rows(layout) for layout in (BQR_STAFFING, BQR_ACTIVITY, BQR_FINANCE)
    }
    return ValidatedBatch(cover=cover, sheets={**empty, **sheets})


def charity_batch(**sheets: pl.DataFrame) -> ValidatedBatch:
    """Two returns of SC012345 (Main Grants) for 2022-23 Q1: the first accepted."""
    cover = frame(
        {**CHARITY_KEYS, "register_fund": pl.String},
        (ACCEPTED, "SC012345", "MAIN", "2022-23", "Q1", "MAIN"),
        (REJECTED, "SC012345", "MAIN", "2022-23", "Q1", "MAIN"),
    )
    empty = {
        layout.name: typed_rows(layout) for layout in (TSR_ACTIVITY, TSR_OUTCOMES, TSR_FINANCE)
    }
    return ValidatedBatch(cover=cover, sheets={**empty, **sheets})


def test_staffing_derives_an_empty_vacancy_and_rounds_wte() -> None:
    """It keeps a given vacancy, derives max(0, funded - in post) for an empty one, flags it."""
    staffing = typed_rows(
        BQR_STAFFING,
        {RETURN_INDEX: ACCEPTED, "board_code": LOTHIAN, SHEET_ROW: 5, "service": "CPMHT",
         "staff_group": "Psychology", "funded_wte": 2.0, "in_post_wte": 1.5, "vacant_wte": 0.5},
        {RETURN_INDEX: ACCEPTED, "board_code": LOTHIAN, SHEET_ROW: 6, "service": "CPMHT",
         "staff_group": "Psychiatry", "funded_wte": 2.004, "in_post_wte": 1.25},
        {RETURN_INDEX: ACCEPTED, "board_code": LOTHIAN, SHEET_ROW: 7, "service": "IMH",
         "staff_group": "Midwifery", "funded_wte": 1.0, "in_post_wte": 1.2},
        {RETURN_INDEX: REJECTED, "board_code": LOTHIAN, SHEET_ROW: 5, "service": "IMH",
         "staff_group": "Psychology", "funded_wte": 1.0, "in_post_wte": 1.0},
    )  # fmt: skip
    facts = board_facts(board_batch(Staffing=staffing), [ACCEPTED])["fact_staffing"]
    expected = frame(
        {
            **BOARD_KEYS,
            "service_code": pl.String,
            "staff_group": pl.String,
            "funded_wte": pl.Float64,
            "in_post_wte": pl.Float64,
            "vacant_wte": pl.Float64,
            "is_vacant_derived": pl.Boolean,
            "source_row": pl.Int64,
        },
        (ACCEPTED, LOTHIAN, "2022-23", "Q1", "CPMHT", "Psychology", 2.0, 1.5, 0.5, False, 5),
        (ACCEPTED, LOTHIAN, "2022-23", "Q1", "CPMHT", "Psychiatry", 2.0, 1.25, 0.75, True, 6),
        (ACCEPTED, LOTHIAN, "2022-23", "Q1", "IMH", "Midwifery", 1.0, 1.2, 0.0, True, 7),
    )
    assert_frame_equal(facts, expected)


def test_staffing_takes_the_board_from_the_cover() -> None:
    """It files rows under the Cover's board, whatever board the sheet's rows were checked for."""
    staffing = typed_rows(
        BQR_STAFFING,
        {RETURN_INDEX: ACCEPTED, "board_code": None, SHEET_ROW: 5, "service": "CPMHT",
         "staff_group": "Psychology", "funded_wte": 1.0, "in_post_wte": 1.0, "vacant_wte": 0.0},
    )  # fmt: skip
    facts = board_facts(board_batch(Staffing=staffing), [ACCEPTED])["fact_staffing"]
    assert facts.select("board_code", "vacant_wte", "is_vacant_derived").rows() == [
        (LOTHIAN, 0.0, False)
    ]


def test_activity_counts_are_whole_numbers_and_not_reported_stays_null() -> None:
    """It stores counts as integers and leaves a cell the board left empty NULL, not 0."""
    activity = typed_rows(
        BQR_ACTIVITY,
        {RETURN_INDEX: ACCEPTED, "board_code": LOTHIAN, SHEET_ROW: 5, "service": "CPMHT",
         "referrals_received": 120.0, "referrals_accepted": 100.0, "first_assessments": 90.0,
         "open_caseload": 300.0, "discharges": 0.0, "waiting_over_12_weeks": 4.0},
        {RETURN_INDEX: ACCEPTED, "board_code": LOTHIAN, SHEET_ROW: 6, "service": "MBU",
         "referrals_received": 30.0, "admissions": 20.0, "occupied_bed_days": 400.0,
         "available_bed_days": 552.0},
        {RETURN_INDEX: REJECTED, "board_code": LOTHIAN, SHEET_ROW: 5, "service": "IMH",
         "referrals_received": 1.0},
    )  # fmt: skip
    facts = board_facts(board_batch(Activity=activity), [ACCEPTED])["fact_activity"]
    counts = [column.key for column in BQR_ACTIVITY.measures]
    expected = frame(
        {
            **BOARD_KEYS,
            "service_code": pl.String,
            **dict.fromkeys(counts, pl.Int64),
            "source_row": pl.Int64,
        },
        (ACCEPTED, LOTHIAN, "2022-23", "Q1", "CPMHT", 120, 100, 90, 300, 0, 4, None, None, None, 5),
        (ACCEPTED, LOTHIAN, "2022-23", "Q1", "MBU", 30, *[None] * 5, 20, 400, 552, 6),
    )
    assert_frame_equal(facts, expected)


def test_finance_pounds_are_kept_to_the_penny() -> None:
    """It rounds amounts to two decimals and leaves an empty amount NULL."""
    finance = typed_rows(
        BQR_FINANCE,
        {RETURN_INDEX: ACCEPTED, "board_code": LOTHIAN, SHEET_ROW: 5, "service": "CPMHT",
         "allocation_gbp": 2_400_000.0, "spend_gbp": 580_123.456, "forecast_gbp": None},
    )  # fmt: skip
    facts = board_facts(board_batch(Finance=finance), [ACCEPTED])["fact_finance"]
    expected = frame(
        {
            **BOARD_KEYS,
            "service_code": pl.String,
            "allocation_gbp": pl.Float64,
            "spend_gbp": pl.Float64,
            "forecast_gbp": pl.Float64,
            "source_row": pl.Int64,
        },
        (ACCEPTED, LOTHIAN, "2022-23", "Q1", "CPMHT", 2_400_000.0, 580_123.46, None, 5),
    )
    assert_frame_equal(facts, expected)


def test_rejected_returns_make_no_board_facts() -> None:
    """It gives every board fact table, empty when no return of the batch was accepted."""
    staffing = typed_rows(
        BQR_STAFFING,
        {RETURN_INDEX: REJECTED, "board_code": LOTHIAN, SHEET_ROW: 5, "service": "CPMHT",
         "staff_group": "Psychology", "funded_wte": 1.0, "in_post_wte": 1.0},
    )  # fmt: skip
    facts = board_facts(board_batch(Staffing=staffing), [])
    assert sorted(facts) == ["fact_activity", "fact_finance", "fact_staffing"]
    assert all(rows.is_empty() for rows in facts.values())


def test_third_sector_activity_names_the_board_area_by_its_code() -> None:
    """It stores the board area as board_code, counts as integers, empty counts as NULL."""
    activity = typed_rows(
        TSR_ACTIVITY,
        {RETURN_INDEX: ACCEPTED, SHEET_ROW: 5, "board_area_text": "NHS Fife", "board_area": FIFE,
         "support_type": "Peer support", "mothers": 12.0, "fathers_partners": 3.0,
         "infants": 10.0},
        {RETURN_INDEX: REJECTED, SHEET_ROW: 5, "board_area": LOTHIAN, "support_type": "Other",
         "mothers": 1.0},
    )  # fmt: skip
    facts = third_sector_facts(charity_batch(Activity=activity), [ACCEPTED])["fact_ts_activity"]
    expected = frame(
        {
            **CHARITY_KEYS,
            "board_code": pl.String,
            "support_type": pl.String,
            "mothers": pl.Int64,
            "fathers_partners": pl.Int64,
            "infants": pl.Int64,
            "other_carers": pl.Int64,
            "source_row": pl.Int64,
        },
        (ACCEPTED, "SC012345", "MAIN", "2022-23", "Q1", FIFE, "Peer support", 12, 3, 10, None, 5),
    )
    assert_frame_equal(facts, expected)


def test_third_sector_outcomes_are_whole_numbers() -> None:
    """It keeps one row per outcome, and an outcome not asked about stays NULL."""
    outcomes = typed_rows(
        TSR_OUTCOMES,
        {RETURN_INDEX: ACCEPTED, SHEET_ROW: 5, "outcome": "LESS_ISOLATED", "respondents": 20.0,
         "reporting_improvement": 17.0},
        {RETURN_INDEX: ACCEPTED, SHEET_ROW: 6, "outcome": "WELLBEING"},
    )  # fmt: skip
    facts = third_sector_facts(charity_batch(Outcomes=outcomes), [ACCEPTED])["fact_ts_outcome"]
    expected = frame(
        {
            **CHARITY_KEYS,
            "outcome": pl.String,
            "respondents": pl.Int64,
            "reporting_improvement": pl.Int64,
            "source_row": pl.Int64,
        },
        (ACCEPTED, "SC012345", "MAIN", "2022-23", "Q1", "LESS_ISOLATED", 20, 17, 5),
        (ACCEPTED, "SC012345", "MAIN", "2022-23", "Q1", "WELLBEING", None, None, 6),
    )
    assert_frame_equal(facts, expected)


def test_third_sector_finance_is_kept_to_the_penny() -> None:
    """It rounds the grant and the spend to two decimals."""
    finance = typed_rows(
        TSR_FINANCE,
        {RETURN_INDEX: ACCEPTED, SHEET_ROW: 5, "grant_awarded_gbp": 25_000.0,
         "spend_gbp": 6_250.126},
        {RETURN_INDEX: REJECTED, SHEET_ROW: 5, "grant_awarded_gbp": 1.0, "spend_gbp": 1.0},
    )  # fmt: skip
    facts = third_sector_facts(charity_batch(Finance=finance), [ACCEPTED])["fact_ts_finance"]
    expected = frame(
        {
            **CHARITY_KEYS,
            "grant_awarded_gbp": pl.Float64,
            "spend_gbp": pl.Float64,
            "source_row": pl.Int64,
        },
        (ACCEPTED, "SC012345", "MAIN", "2022-23", "Q1", 25_000.0, 6_250.13, 5),
    )
    assert_frame_equal(facts, expected)


@pytest.mark.parametrize(
    ("facts", "batch"),
    [(board_facts, board_batch()), (third_sector_facts, charity_batch())],
    ids=["board", "third sector"],
)
def test_fact_rows_fill_their_tables_columns(
    facts: Callable[[ValidatedBatch, Collection[int]], dict[str, pl.DataFrame]],
    batch: ValidatedBatch,
) -> None:
    """It names every column as its fact table does; only the submission id is the load's."""
    for table, rows in facts(batch, [ACCEPTED]).items():
        columns = [c.name for c in FACT_TABLES[table].columns if c.name != "submission_id"]
        assert sorted(set(rows.columns) - {RETURN_INDEX}) == sorted(columns)
