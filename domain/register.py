"""The register of funded organisations as the pipeline passes it around.

Every version ever loaded, one row per organisation per version, with the board areas it
serves as a list: third-sector returns are checked against the version in force for
their quarter. The CSV the data team keeps, its reader, its rules and the warehouse all
speak of the same five columns, so they are named here once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

import polars as pl

REGISTER_COLUMNS: Final = ("charity_number", "name", "fund", "award_gbp", "board_areas")
HEADER_LINE: Final = ",".join(REGISTER_COLUMNS)
# The header is line 1, so the first organisation can be no earlier than line 2.
FIRST_RECORD_LINE: Final = 2
# The warehouse keeps pounds as NUMERIC(14, 2); a larger award is a typing slip.
AWARD_MAX_GBP: Final = 999_999_999_999.99

REGISTER_SCHEMA: Final[dict[str, type[pl.DataType] | pl.DataType]] = {
    "version_id": pl.Int64,
    "in_force_from": pl.Date,
    "charity_number": pl.String,
    "name": pl.String,
    "fund": pl.String,
    "award_gbp": pl.Float64,
    "board_areas": pl.List(pl.String),
}


def empty_register() -> pl.DataFrame:
    """A register with no versions: every organisation is then unknown."""
    return pl.DataFrame(schema=REGISTER_SCHEMA)


@dataclass(frozen=True)
class RegisterFile:
    """A register CSV read and checked: its identity, its rows, and every problem found.

    `entries` and `board_areas` are empty whenever `problems` is not: a register with
    problems is never half-used.
    """

    source_name: str
    sha256: str
    problems: tuple[str, ...] = ()
    entries: pl.DataFrame = field(default_factory=pl.DataFrame)
    board_areas: pl.DataFrame = field(default_factory=pl.DataFrame)
