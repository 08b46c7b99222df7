"""Reading the register of funded organisations as it stood for a quarter.

The register changes over the years; every version loaded is kept, and a quarter is
checked against the version in force for it: the latest `in_force_from` on or before the
quarter's first day, the latest loaded among equals (the same rule as the `register_in_force`
view, so validation and the tracker agree).
"""

from __future__ import annotations

import polars as pl
from sqlalchemy import Engine, select

from domain.periods import quarter_bounds
from domain.register import REGISTER_SCHEMA
from schemas.validate_tsr import versions_in_force
from warehouse.tables import register_board_area, register_entry, register_version


def all_register_versions(engine: Engine) -> pl.DataFrame:
    """Every entry of every register version, with the board areas it serves as a list."""
    with engine.connect() as connection:
        entries = connection.execute(
            select(
                register_entry.c.version_id,
                register_version.c.in_force_from,
                register_entry.c.charity_number,
                register_entry.c.name,
                register_entry.c.fund,
                register_entry.c.award_gbp,
            ).join(register_version, register_version.c.version_id == register_entry.c.version_id)
        ).all()
        areas = connection.execute(
            select(
                register_board_area.c.version_id,
                register_board_area.c.charity_number,
                register_board_area.c.board_code,
            )
        ).all()
    columns = [c for c in REGISTER_SCHEMA if c != "board_areas"]
    frame = pl.DataFrame(
        [tuple(row) for row in entries],
        schema={c: REGISTER_SCHEMA[c] for c in columns},
        orient="row",
    )
    served = (
        pl.DataFrame(
            [tuple(row) for row in areas],
            schema={"version_id": pl.Int64, "charity_number": pl.String, "board_code": pl.String},
            orient="row",
        )
        .group_by("version_id", "charity_number")
        .agg(pl.col("board_code").sort().alias("board_areas"))
    )
    return frame.join(served, on=["version_id", "charity_number"], how="left").with_columns(
        pl.col("board_areas").fill_null(pl.lit([], dtype=pl.List(pl.String)))
    )


def version_in_force(versions: pl.DataFrame, financial_year: str, quarter: str) -> int | None:
    """The register version in force for a quarter, or None when none was loaded for it."""
    quarter_bounds(financial_year, quarter)  # a malformed period is an error, not "none"
    period = pl.DataFrame({"financial_year": [financial_year], "quarter": [quarter]})
    found = versions_in_force(versions, period) if versions.height else period.clear()
    return int(found["version_id"][0]) if found.height else None


def register_in_force(versions: pl.DataFrame, financial_year: str, quarter: str) -> pl.DataFrame:
    """The register's entries as they stood for a quarter (empty when none was loaded)."""
    version = version_in_force(versions, financial_year, quarter)
    return (
        versions.filter(pl.col("version_id") == version)
        if version is not None
        else versions.clear()
    )


def register_entry_for(
    engine: Engine, charity_number: str, financial_year: str, quarter: str
) -> dict[str, object] | None:
    """One organisation's register entry for a quarter, or None when it is not on it."""
    found = register_in_force(all_register_versions(engine), financial_year, quarter).filter(
        pl.col("charity_number") == charity_number
    )
    return found.row(0, named=True) if found.height else None
