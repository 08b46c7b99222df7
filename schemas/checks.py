"""The building blocks of every sheet's rules, and pandera's verdict read back.

Each template's models (`schemas.bqr`, `schemas.tsr`, `schemas.register`) declare
their rules with these; `failure_cases` turns pandera's failures into one frame that
`schemas.batch` maps back to cells.
"""

from __future__ import annotations

from typing import Any

import pandera.polars as pa
import polars as pl
from pandera.api.polars.types import PolarsData

from domain.layouts import LARGEST, ColumnKind


def ok(data: PolarsData, expr: pl.Expr) -> pl.LazyFrame:
    return data.lazyframe.select(expr)


def parsed_as_number(data: PolarsData) -> pl.LazyFrame:
    return ok(data, pl.col(f"{data.key}_text").is_null() | pl.col(data.key).is_not_null())


def whole_and_not_negative(data: PolarsData) -> pl.LazyFrame:
    value = pl.col(data.key)
    return ok(data, value.is_null() | ((value >= 0) & (value == value.floor())))


def not_negative(data: PolarsData) -> pl.LazyFrame:
    value = pl.col(data.key)
    return ok(data, value.is_null() | (value >= 0))


def within_largest(data: PolarsData, kind: ColumnKind) -> pl.LazyFrame:
    """No figure larger than a return can sensibly hold (`domain.layouts.LARGEST`)."""
    value = pl.col(data.key)
    return ok(data, value.is_null() | (value <= LARGEST[kind]))


def known_code(data: PolarsData) -> pl.LazyFrame:
    return ok(data, pl.col(data.key).is_not_null())


def first_of_key(data: PolarsData, *keys: str) -> pl.LazyFrame:
    """True for the first row of each key within a return; later twins fail."""
    group = ["return_index", *keys]
    return ok(
        data,
        pl.any_horizontal(pl.col(k).is_null() for k in keys)
        | (pl.int_range(pl.len()).over(group) == 0),
    )


class SheetRowsModel(pa.DataFrameModel):
    """The rows of one sheet from many returns: each knows its return and sheet row."""

    return_index: int
    sheet_row: int

    class Config:
        strict = False
        coerce = False


def failure_cases(model: type[pa.DataFrameModel], frame: pl.DataFrame) -> pl.DataFrame:
    """Every failed check of `model` on `frame` (empty when all pass), in one pass."""
    try:
        model.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases: Any = exc.failure_cases
        return pl.DataFrame(cases).select("column", "check", "index")
    return pl.DataFrame(schema={"column": pl.String, "check": pl.String, "index": pl.Int32})
