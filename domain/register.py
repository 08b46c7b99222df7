"""The register of funded organisations as the pipeline passes it around.

Every version ever loaded, one row per organisation per version, with the board areas it
serves as a list: third-sector returns are checked against the version in force for
their quarter.
"""

from __future__ import annotations

from typing import Final

import polars as pl

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
