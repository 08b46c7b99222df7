"""Loading a version of the register of funded organisations into the warehouse.

Third-sector returns are checked against the register in force for their quarter, so a
version is loaded whole or not at all, and old versions are never changed or dropped:
a return from 2021 stays checkable against the register as it stood then.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import polars as pl
from sqlalchemy import Connection, Engine, insert, select

from domain.periods import FIRST_PROGRAMME_YEAR, financial_year_label, quarter_bounds
from domain.register import RegisterFile
from warehouse.engine import write_transaction
from warehouse.migrate import upgrade
from warehouse.tables import register_board_area, register_entry, register_version

# "Since the programme began": the first day of its first financial year.
PROGRAMME_START = quarter_bounds(financial_year_label(FIRST_PROGRAMME_YEAR), "Q1")[0]


class RegisterError(Exception):
    """A register that was not loaded, with every problem found in it."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class RegisterLoadResult:
    """What a load did; the fund counts and total describe the version now stored."""

    version_id: int
    entries: int
    already_loaded: bool
    in_force_from: dt.date
    organisations_by_fund: dict[str, int]
    total_award_gbp: float


def _summary(entries: pl.DataFrame) -> tuple[dict[str, int], float]:
    counts = entries.group_by("fund").len().sort("fund")
    by_fund = dict(zip(counts["fund"].to_list(), counts["len"].to_list(), strict=True))
    return by_fund, float(entries["award_gbp"].sum())


def _current_same_version(
    connection: Connection, sha256: str, in_force_from: dt.date
) -> int | None:
    """The version holding these bytes when it is already the one in force from this date.

    Only the latest version for the date counts: reloading an older file after a newer one
    must make it current again, so that is a new version, not a no-op.
    """
    latest = connection.execute(
        select(register_version.c.version_id, register_version.c.sha256)
        .where(register_version.c.in_force_from == in_force_from)
        .order_by(register_version.c.version_id.desc())
        .limit(1)
    ).first()
    if latest is None or latest.sha256 != sha256:
        return None
    return int(latest.version_id)


def _write_version(connection: Connection, register: RegisterFile, in_force_from: dt.date) -> int:
    version_id: int = connection.execute(
        insert(register_version).returning(register_version.c.version_id),
        {
            "loaded_at": dt.datetime.now(dt.UTC),
            "in_force_from": in_force_from,
            "source_name": register.source_name,
            "sha256": register.sha256,
            "entry_count": register.entries.height,
        },
    ).scalar_one()
    tagged = pl.lit(version_id, dtype=pl.Int64).alias("version_id")
    entries: list[dict[str, Any]] = register.entries.with_columns(tagged).to_dicts()
    areas: list[dict[str, Any]] = register.board_areas.with_columns(tagged).to_dicts()
    connection.execute(insert(register_entry), entries)
    connection.execute(insert(register_board_area), areas)
    return version_id


def load_register(
    engine: Engine, register: RegisterFile, *, in_force_from: dt.date | None = None
) -> RegisterLoadResult:
    """Store a checked register as a new version, in force from `in_force_from` (default:
    since the programme began). Raises RegisterError, having written nothing, when the
    check found any problem: a register is loaded whole or not at all."""
    if register.problems:
        raise RegisterError(list(register.problems))
    starts = in_force_from or PROGRAMME_START
    upgrade(engine)
    with write_transaction(engine) as connection:
        existing = _current_same_version(connection, register.sha256, starts)
        version_id = existing or _write_version(connection, register, starts)
    by_fund, total = _summary(register.entries)
    return RegisterLoadResult(
        version_id=version_id,
        entries=register.entries.height,
        already_loaded=existing is not None,
        in_force_from=starts,
        organisations_by_fund=by_fund,
        total_award_gbp=total,
    )
