"""How a typed header or label is matched to the template's (SPEC.md, reading rules).

Headers match ignoring case, spaces, underscores and units in brackets: `Funded WTE`,
`funded_wte` and `Funded (WTE)` are one header. The patterns are shared with the
reader's vectorised form of the same rule (`connectors.text`).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Final

BRACKETED_PATTERN: Final = r"[\(\[][^\)\]]*[\)\]]"
NOT_ALNUM_PATTERN: Final = r"[^a-z0-9]"
_BRACKETED: Final = re.compile(BRACKETED_PATTERN)
_NOT_ALNUM: Final = re.compile(NOT_ALNUM_PATTERN)


@lru_cache(maxsize=8192)
def header_keys(text: str) -> frozenset[str]:
    """Keys a typed header or label may match: with its bracketed unit dropped, or kept.

    Cached: the same few dozen headers and labels recur in every return of a backfill.
    """
    lowered = text.lower()
    without_unit = _NOT_ALNUM.sub("", _BRACKETED.sub("", lowered))
    with_unit = _NOT_ALNUM.sub("", lowered)
    return frozenset({without_unit, with_unit})


def canonical_keys(name: str, unit: str | None = None) -> frozenset[str]:
    """Keys of a template header `name` whose optional unit a board may write or leave out."""
    base = _NOT_ALNUM.sub("", name.lower())
    if unit is None:
        return frozenset({base})
    return frozenset({base, base + _NOT_ALNUM.sub("", unit.lower())})
