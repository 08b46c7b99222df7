"""Looking up the coded values boards type (services, staff groups, quarters) forgivingly.

Case, spacing and punctuation are forgiven and a service may be written by its full name;
anything else is left unresolved (null) for a rule to report.
"""

from __future__ import annotations

import re
from typing import Final

import polars as pl

from schemas.reference import QUARTERS, SERVICES, STAFF_GROUPS

_NOT_ALNUM = re.compile(r"[^a-z0-9]")


def code_key(text: str) -> str:
    return _NOT_ALNUM.sub("", text.lower())


SERVICE_LOOKUP: Final[dict[str, str]] = {
    **{code_key(name): code for code, name in SERVICES.items()},
    **{code_key(code): code for code in SERVICES},
}
STAFF_GROUP_LOOKUP: Final[dict[str, str]] = {code_key(group): group for group in STAFF_GROUPS}
QUARTER_LOOKUP: Final[dict[str, str]] = {code_key(q): q for q in QUARTERS}


def lookup_code(text: pl.Expr, lookup: dict[str, str]) -> pl.Expr:
    """The canonical code for typed text, or null when the text names nothing known."""
    key = text.str.to_lowercase().str.replace_all(r"[^a-z0-9]", "")
    return key.replace_strict(lookup, default=None, return_dtype=pl.String)
