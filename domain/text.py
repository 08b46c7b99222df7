"""Text that came from a reporter, made safe to store and short enough to show.

A cell can hold 32,767 characters and a CSV field any number; either may hold control
characters (an `_x0000_` in the sheet's XML is a NUL, which PostgreSQL cannot store).
Such text is cleaned once where it is read, and every message or report that quotes
it quotes a readable length, saying when it was cut.
"""

from __future__ import annotations

import re
from typing import Final

# C0 controls and DEL, except tab, line feed and carriage return (which cells may hold).
CONTROL_CHARACTERS_PATTERN: Final = r"[\x00-\x08\x0B\x0C\x0E-\x1F\x7F]"
_CONTROL_CHARACTERS: Final = re.compile(CONTROL_CHARACTERS_PATTERN)

# Enough to recognise a value in its cell; a problem never needs more.
QUOTED_CHARACTERS: Final = 120


def without_controls(text: str) -> str:
    """`text` without the control characters no store or report can hold."""
    return _CONTROL_CHARACTERS.sub("", text)


def shown(text: str, limit: int = QUOTED_CHARACTERS) -> str:
    """`text` as a message or report quotes it: whole when short, else its start, saying so."""
    if len(text) <= limit:
        return text
    return f"{text[: limit - 1]}… (cut: {len(text):,} characters in all)"
