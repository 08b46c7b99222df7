"""The header-matching rule of `domain.headers` as polars expressions, for whole columns.

The reader locates the header rows of a whole chunk of workbooks in a few vectorised
steps; this is the same rule, written for polars.
"""

from __future__ import annotations

import polars as pl

from domain.headers import BRACKETED_PATTERN, NOT_ALNUM_PATTERN


def header_key_columns(text: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """`header_keys` as polars expressions (without the unit, with it), for whole columns."""
    lowered = text.str.to_lowercase()
    without_unit = lowered.str.replace_all(BRACKETED_PATTERN, "").str.replace_all(
        NOT_ALNUM_PATTERN, ""
    )
    return without_unit, lowered.str.replace_all(NOT_ALNUM_PATTERN, "")
