"""Validating a batch of board returns in one pandera call per sheet.

A backfill validates thousands of returns; one call per sheet over all of them, with the
failures split back per return afterwards, keeps the cost linear and small.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from domain.layouts import BQR
from domain.periods import read_financial_year, read_quarter
from domain.records import RETURN_INDEX
from schemas.batch import (
    LISTED_PER_SHEET,
    ReturnInput,
    ValidatedBatch,
    cover_value,
    record_cover_issues,
    validate_sheets,
)
from schemas.boards import resolve_board
from schemas.bqr import SHEET_MODELS, CoverModel
from schemas.checks import failure_cases
from schemas.rules import COVER_FIELD, COVER_WORDING

# A board's return: the shape every template's batch takes.
BoardReturn = ReturnInput

__all__ = [
    "LISTED_PER_SHEET",
    "BoardReturn",
    "ValidatedBatch",
    "validate_board_returns",
]


def _cover_frame(returns: Sequence[BoardReturn]) -> pl.DataFrame:
    rows = []
    for index, item in enumerate(returns):
        year_text = cover_value(item.content, "financial_year")
        quarter_text = cover_value(item.content, "quarter")
        board_text = cover_value(item.content, "board")
        rows.append(
            {
                RETURN_INDEX: index,
                "folder_code": item.folder_code,
                "board_text": board_text,
                "board_code": resolve_board(board_text),
                "financial_year_text": year_text,
                "financial_year": read_financial_year(year_text),
                "quarter_text": quarter_text,
                "quarter": read_quarter(quarter_text),
                "completed_by": cover_value(item.content, "completed_by"),
                "email": cover_value(item.content, "email"),
            }
        )
    # Text columns stay text even when every return of the batch left a field empty.
    text_columns = dict.fromkeys((k for k in rows[0] if k != RETURN_INDEX), pl.String)
    return pl.DataFrame(
        rows, schema_overrides={RETURN_INDEX: pl.Int64, **text_columns}, infer_schema_length=None
    )


def validate_board_returns(returns: Sequence[BoardReturn]) -> ValidatedBatch:
    """Every BQR rule over every return of the batch; all problems, not the first."""
    batch = ValidatedBatch()
    if not returns:
        return batch
    batch.cover = _cover_frame(returns)
    cover_failures = failure_cases(CoverModel, batch.cover)
    board_of: dict[int, str | None] = dict(
        zip(batch.cover[RETURN_INDEX].to_list(), batch.cover["board_code"].to_list(), strict=True)
    )
    record_cover_issues(
        batch, returns, cover_failures, wording=COVER_WORDING, field_of=COVER_FIELD, sheet_of={}
    )
    validate_sheets(BQR, SHEET_MODELS, returns, batch, board_of)
    return batch
