"""Turning the reader's string tables into typed frames ready for validation.

Many returns are validated in one pandera call (per-return Python does not scale to a
backfill), so each sheet's rows from every return are stacked with their return index.
Each measure keeps its typed text beside the parsed number so a rule can quote it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from domain.layouts import SheetLayout
from domain.records import RETURN_INDEX
from domain.workbook import SHEET_ROW, SheetTable
from schemas.boards import resolve_board
from schemas.codes import CODE_LOOKUPS, lookup_code
from schemas.numbers import parse_number

BOARD_CODE = "board_code"


def text_column(key: str) -> str:
    """The column holding what the reporter typed for a parsed measure or code."""
    return f"{key}_text"


@dataclass(frozen=True, slots=True)
class SheetPart:
    """One return's table for a sheet, with what the sheet's rules need to know about it."""

    return_index: int
    board_code: str | None
    table: SheetTable


def _boards_named(stacked: pl.DataFrame, layout: SheetLayout) -> dict[str, dict[str, str]]:
    """For each column naming a board, the code of every distinct name written in it.

    Boards are resolved by the forgiving board-name rule (SPEC.md), once per distinct
    value, not per row: a column holds few names.
    """
    found: dict[str, dict[str, str]] = {}
    for column in layout.columns:
        if column.codes == "board":
            names = stacked.get_column(column.key).drop_nulls().unique().to_list()
            found[column.key] = {
                name: code for name in names if (code := resolve_board(name)) is not None
            }
    return found


def _typed(layout: SheetLayout, boards: dict[str, dict[str, str]]) -> list[pl.Expr]:
    exprs: list[pl.Expr] = []
    for column in layout.columns:
        raw = pl.col(column.key)
        if column.key in boards:
            exprs += [
                raw.alias(text_column(column.key)),
                raw.replace_strict(boards[column.key], default=None, return_dtype=pl.String).alias(
                    column.key
                ),
            ]
        elif column.codes is not None:
            exprs += [
                raw.alias(text_column(column.key)),
                lookup_code(raw, CODE_LOOKUPS[column.codes]).alias(column.key),
            ]
        elif column.kind == "text":
            exprs.append(raw)
        else:
            exprs += [raw.alias(text_column(column.key)), parse_number(raw).alias(column.key)]
    return exprs


def empty_sheet_frame(layout: SheetLayout) -> pl.DataFrame:
    schema: dict[str, pl.DataType | type[pl.DataType]] = {
        RETURN_INDEX: pl.Int64,
        BOARD_CODE: pl.String,
        SHEET_ROW: pl.Int64,
    }
    for column in layout.columns:
        schema[column.key] = pl.String
    return pl.DataFrame(schema=schema)


def stack_sheet(layout: SheetLayout, parts: Sequence[SheetPart]) -> pl.DataFrame:
    """All returns' rows of one sheet, typed: one row per data row of every return.

    Frames are stacked as they are and each row's return is attached afterwards in one
    vectorised step: per-return polars calls would dominate a backfill of small sheets.
    """
    columns = [SHEET_ROW, *(c.key for c in layout.columns)]
    # Each table's slice of its batch's frame, taken once (a backfill has thousands).
    kept = [(part, frame) for part in parts if (frame := part.table.frame).height]
    # The reader already orders a table's columns so; select only when one does not.
    frames = [frame if frame.columns == columns else frame.select(columns) for _, frame in kept]
    if not frames:
        stacked = empty_sheet_frame(layout)
    else:
        owners = pl.DataFrame(
            {
                RETURN_INDEX: [part.return_index for part, _ in kept],
                "rows": [frame.height for _, frame in kept],
            },
            schema={RETURN_INDEX: pl.Int64, "rows": pl.Int64},
        )
        boards = pl.DataFrame(
            {
                RETURN_INDEX: [p.return_index for p in parts],
                BOARD_CODE: [p.board_code for p in parts],
            },
            schema={RETURN_INDEX: pl.Int64, BOARD_CODE: pl.String},
        )
        index = owners.select(pl.col(RETURN_INDEX).repeat_by("rows").explode())
        stacked = (
            pl.concat(frames, how="vertical_relaxed")
            .with_columns(index.to_series())
            .join(boards, on=RETURN_INDEX, how="left", maintain_order="left")
        )
    return stacked.select(
        pl.col(RETURN_INDEX),
        pl.col(BOARD_CODE),
        pl.col(SHEET_ROW),
        *_typed(layout, _boards_named(stacked, layout)),
    )
