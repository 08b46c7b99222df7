"""Neutralising text a spreadsheet would run as a formula (CSV and formula injection).

A published CSV or XLSX is opened in Excel or LibreOffice, which treat a cell starting with
``=``, ``+``, ``-`` or ``@`` as a formula: an organisation name typed as
``=HYPERLINK(...)`` in a return would run on every reader's machine. Prefixing ``'`` makes
the spreadsheet show the text as typed. Tab and carriage return are included too, as OWASP
advises, since some spreadsheets skip them before reading a formula.

The price is a visible ``'`` before text that was harmless, such as ``-`` for "none"; that
is the usual trade, and a reader still sees what was typed. Numbers are not text and keep
their sign.
"""

from __future__ import annotations

import polars as pl
import polars.selectors as cs

FORMULA_STARTS = "=+-@\t\r"
"""Leading characters that make a spreadsheet read a cell as a formula."""

_FORMULA_START = r"^([=+\-@\t\r])"


def neutralise_text(frame: pl.DataFrame) -> pl.DataFrame:
    """`frame` with ``'`` before every text cell that starts like a formula.

    Applies to String, Categorical and Enum columns (the latter two come back as String,
    since the neutralised text is no longer one of their categories); numbers, dates and
    missing cells are untouched.
    """
    text = cs.by_dtype(pl.String, pl.Categorical, pl.Enum)
    return frame.with_columns(text.cast(pl.String).str.replace(_FORMULA_START, "'$1"))
