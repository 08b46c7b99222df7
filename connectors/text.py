"""Normalising the free text boards type into headers, labels and numbers.

SPEC.md's reading rules: headers match ignoring case, spaces, underscores and units in
brackets; numbers typed as text (`" 3.5 "`, `"1,200"`, `"£1,200.50"`) are numbers.
"""

from __future__ import annotations

import re
from functools import lru_cache

import polars as pl

_BRACKETED_PATTERN = r"[\(\[][^\)\]]*[\)\]]"
_NOT_ALNUM_PATTERN = r"[^a-z0-9]"
_BRACKETED = re.compile(_BRACKETED_PATTERN)
_NOT_ALNUM = re.compile(_NOT_ALNUM_PATTERN)

# A comma is a thousands separator only in this shape; "1,2" is a typo, not 12.
_THOUSANDS = r"^\d{1,3}(,\d{3})+(\.\d+)?$"


@lru_cache(maxsize=8192)
def header_keys(text: str) -> frozenset[str]:
    """Keys a typed header or label may match: with its bracketed unit dropped, or kept.

    Cached: the same few dozen headers and labels recur in every return of a backfill.
    """
    lowered = text.lower()
    without_unit = _NOT_ALNUM.sub("", _BRACKETED.sub("", lowered))
    with_unit = _NOT_ALNUM.sub("", lowered)
    return frozenset({without_unit, with_unit})


def header_key_columns(text: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """`header_keys` as polars expressions (without the unit, with it), for whole columns."""
    lowered = text.str.to_lowercase()
    without_unit = lowered.str.replace_all(_BRACKETED_PATTERN, "").str.replace_all(
        _NOT_ALNUM_PATTERN, ""
    )
    return without_unit, lowered.str.replace_all(_NOT_ALNUM_PATTERN, "")


def canonical_keys(name: str, unit: str | None = None) -> frozenset[str]:
    """Keys of a template header `name` whose optional unit a board may write or leave out."""
    base = _NOT_ALNUM.sub("", name.lower())
    if unit is None:
        return frozenset({base})
    return frozenset({base, base + _NOT_ALNUM.sub("", unit.lower())})


def parse_number(text: pl.Expr) -> pl.Expr:
    """A Float64 expression reading numbers typed as text; null where the text is no number.

    Spaces, a leading pound sign (`£-5` or, as Excel shows a negative amount, `-£5`) and
    thousands separators are tolerated; anything else (a decimal comma, words, `12 WTE`)
    stays unreadable so that a rule reports it.
    """
    cleaned = text.str.strip_chars().str.replace_all(r"\s+", "").str.replace(r"^(-?)£", "${1}")
    unsigned = cleaned.str.strip_prefix("-")
    without_commas = (
        pl.when(unsigned.str.contains(_THOUSANDS))
        .then(cleaned.str.replace_all(",", "", literal=True))
        .otherwise(cleaned)
    )
    numeric = without_commas.str.contains(r"^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")
    return pl.when(numeric).then(without_commas.cast(pl.Float64, strict=False)).otherwise(None)
