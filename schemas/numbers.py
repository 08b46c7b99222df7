"""Reading numbers typed as text (SPEC.md, reading rules).

`" 3.5 "`, `"1,200"` and `"£1,200.50"` are numbers; a decimal comma, words or `12 WTE`
are not, and stay unreadable so that a rule reports them at their cell.
"""

from __future__ import annotations

import polars as pl

# A comma is a thousands separator only in this shape; "1,2" is a typo, not 12.
_THOUSANDS = r"^\d{1,3}(,\d{3})+(\.\d+)?$"


def parse_number(text: pl.Expr) -> pl.Expr:
    """A Float64 expression reading numbers typed as text; null where the text is no number.

    Spaces, a leading pound sign (`£-5` or, as Excel shows a negative amount, `-£5`) and
    thousands separators are tolerated; anything else (a decimal comma, words, `12 WTE`,
    `inf`, `NaN`, or a number too large to be finite) stays unreadable so that a rule
    reports it.
    """
    cleaned = text.str.strip_chars().str.replace_all(r"\s+", "").str.replace(r"^(-?)£", "${1}")
    unsigned = cleaned.str.strip_prefix("-")
    without_commas = (
        pl.when(unsigned.str.contains(_THOUSANDS))
        .then(cleaned.str.replace_all(",", "", literal=True))
        .otherwise(cleaned)
    )
    numeric = without_commas.str.contains(r"^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")
    value = without_commas.cast(pl.Float64, strict=False)
    # `1e400` (or a hundred thousand digits) overflows to infinity: no figure at all.
    return pl.when(numeric & value.is_finite()).then(value).otherwise(None)
