"""Resolving the many ways a board's name is written to its GSS code.

SPEC.md: matching forgives case, "&"/"and", a leading "NHS" and punctuation, and never
guesses between two boards. We compare whole normalised names (plus a few abbreviations
in common use), never substrings, so a name is either one board or none.
"""

from __future__ import annotations

import difflib
import re
from typing import Final

from domain.reference import BOARDS

_PUNCTUATION = re.compile(r"[^a-z0-9 ]")
_SPACES = re.compile(r"\s+")

# Abbreviations boards use for themselves; each names exactly one board.
_ALIASES: Final[dict[str, str]] = {
    "ggc": "S08000031",
    "gg and c": "S08000031",
    "glasgow and clyde": "S08000031",
    "a and a": "S08000015",
    "ayrshire arran": "S08000015",
    "d and g": "S08000017",
    "eilean siar": "S08000028",
    "na h eileanan siar": "S08000028",
}


def normalise_board_name(text: str) -> str:
    """Lower case, "&" as "and", punctuation and a leading "NHS" dropped, spaces folded."""
    # Dots and apostrophes join letters ("N.H.S.", "St John's"); other punctuation separates.
    lowered = text.lower().replace("&", " and ").replace(".", "").replace("'", "")
    cleaned = _SPACES.sub(" ", _PUNCTUATION.sub(" ", lowered)).strip()
    for prefix in ("nhs ", "the nhs "):
        if cleaned.startswith(prefix):
            cleaned = cleaned[len(prefix) :]
    for suffix in (" health board", " nhs board", " board"):
        if cleaned.endswith(suffix):
            cleaned = cleaned[: -len(suffix)]
    return cleaned.strip()


# Suggestions come from the boards' own names only: an alias is never offered as a name.
_CODE_BY_OWN_NAME: Final = {normalise_board_name(name): code for code, name in BOARDS.items()}
_BY_NAME: Final[dict[str, str]] = {**_CODE_BY_OWN_NAME, **_ALIASES}


def resolve_board(text: str | None) -> str | None:
    """The board code a name or code denotes, or None when it is unknown."""
    if text is None:
        return None
    stripped = text.strip().upper()
    if stripped in BOARDS:
        return stripped
    return _BY_NAME.get(normalise_board_name(text))


# How close a misspelt name must be to a board's for the board to be offered. A feedback
# message lists up to three boards for the reporter to choose from, so a loose match still
# helps ("Lothain": Lothian, Tayside or Forth Valley). The register names one board as
# *the* board meant, so it must be close: "Narnia" -> Lanarkshire would be a guess dressed
# up as help. No single cut-off does both (Forth Valley scores 0.42 against "Lothain",
# Lanarkshire 0.47 against "Narnia").
LISTED_CUTOFF: Final = 0.4
MEANT_CUTOFF: Final = 0.75


def closest_board_codes(text: str, *, limit: int, cutoff: float) -> list[str]:
    """The codes of the boards whose names are closest to an unrecognised one, best first."""
    matches = difflib.get_close_matches(
        normalise_board_name(text), _CODE_BY_OWN_NAME, n=limit, cutoff=cutoff
    )
    return [_CODE_BY_OWN_NAME[match] for match in matches]


def closest_boards(text: str, limit: int = 3) -> list[str]:
    """Board names closest to an unrecognised one, for the feedback message."""
    return [BOARDS[code] for code in closest_board_codes(text, limit=limit, cutoff=LISTED_CUTOFF)]


def board_meant(text: str) -> str | None:
    """The code of the one board a misspelt name was surely meant to be, or None."""
    codes = closest_board_codes(text, limit=1, cutoff=MEANT_CUTOFF)
    return codes[0] if codes else None
