"""Looking up the coded values boards type (services, staff groups, quarters) forgivingly.

Case, spacing and punctuation are forgiven and a service may be written by its full name;
anything else is left unresolved (null) for a rule to report.
"""

from __future__ import annotations

import re
from typing import Final

import polars as pl

from domain.layouts import CodeList
from domain.reference import FUNDS, OUTCOMES, SERVICES, STAFF_GROUPS, SUPPORT_TYPES

_NOT_ALNUM = re.compile(r"[^a-z0-9]")


def code_key(text: str) -> str:
    return _NOT_ALNUM.sub("", text.lower())


SERVICE_LOOKUP: Final[dict[str, str]] = {
    **{code_key(name): code for code, name in SERVICES.items()},
    **{code_key(code): code for code in SERVICES},
}
STAFF_GROUP_LOOKUP: Final[dict[str, str]] = {code_key(group): group for group in STAFF_GROUPS}
SUPPORT_TYPE_LOOKUP: Final[dict[str, str]] = {code_key(t): t for t in SUPPORT_TYPES}
# An outcome may be given by its code or by the words of the outcome framework.
OUTCOME_LOOKUP: Final[dict[str, str]] = {
    **{code_key(words): code for code, words in OUTCOMES.items()},
    **{code_key(code): code for code in OUTCOMES},
}
# A fund by its name on the Cover ("Main Grants"), its register code, or the short name.
FUND_LOOKUP: Final[dict[str, str]] = {
    **{code_key(name): code for code, name in FUNDS.items()},
    **{code_key(code): code for code in FUNDS},
    **{code_key(name.split()[0]): code for code, name in FUNDS.items()},
}

# The lookup of each code list a data sheet's column may take; boards are resolved by the
# forgiving board-name rule instead (`schemas.boards`).
CODE_LOOKUPS: Final[dict[CodeList, dict[str, str]]] = {
    "service": SERVICE_LOOKUP,
    "staff_group": STAFF_GROUP_LOOKUP,
    "support_type": SUPPORT_TYPE_LOOKUP,
    "outcome": OUTCOME_LOOKUP,
}


def lookup_text(text: str | None, lookup: dict[str, str]) -> str | None:
    """`lookup_code` for one value (a Cover field)."""
    return lookup.get(code_key(text)) if text is not None else None


def lookup_code(text: pl.Expr, lookup: dict[str, str]) -> pl.Expr:
    """The canonical code for typed text, or null when the text names nothing known."""
    key = text.str.to_lowercase().str.replace_all(r"[^a-z0-9]", "")
    return key.replace_strict(lookup, default=None, return_dtype=pl.String)
