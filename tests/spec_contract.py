"""SPEC.md's downstream contract, read from its words: each view and its columns, in order.

The contract lives in SPEC.md, outside the repository; `downstream_contract.md` beside
this module is a verbatim copy of its section, so the tests read the contract wherever
they run, and `test_migrations` checks the copy against SPEC.md wherever that is at hand
(PIMH_SPEC names it; by default the programme's shared folder).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Final

HEADING: Final = "### The downstream contract"
COPY: Final = Path(__file__).with_name("downstream_contract.md")
_ROW: Final = re.compile(r"^\|\s*`(?P<view>\w+)`\s*\|(?P<columns>[^|]+)\|\s*$")


def spec_path() -> Path:
    return Path(os.environ.get("PIMH_SPEC", "/work/shared/SPEC.md"))


def contract_section(text: str) -> str:
    """The section from its heading to the next heading of its level or above."""
    start = text.index(HEADING)
    following = re.search(r"^#{1,3} ", text[start + len(HEADING) :], flags=re.MULTILINE)
    end = start + len(HEADING) + following.start() if following else len(text)
    return text[start:end].strip()


def contract_columns(text: str) -> dict[str, list[str]]:
    """Each view of the section's table and its columns, in the table's order."""
    views = {}
    for line in contract_section(text).splitlines():
        match = _ROW.match(line.strip())
        if match:
            views[match["view"]] = [c.strip() for c in match["columns"].split(",")]
    if not views:
        raise ValueError("the downstream contract's table has no rows")
    return views


DOWNSTREAM_CONTRACT: Final = contract_columns(COPY.read_text(encoding="utf-8"))
"""SPEC.md's downstream views and their columns, in order."""
