"""Writing test third-sector returns and registers: a valid start, changed one cell at a time."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

import polars as pl

from domain.register import REGISTER_SCHEMA
from samples.board_returns import CANONICAL, Quirks
from samples.third_sector_returns import ThirdSectorReturnContent, write_third_sector_return

CHARITY = "SC012345"
LOTHIAN, GGC = "S08000024", "S08000031"
SINCE_EVER = dt.date(2019, 4, 1)


def valid_tsr(
    charity: str = CHARITY, year: str = "2022-23", quarter: str = "Q1"
) -> ThirdSectorReturnContent:
    """A small valid TSR (Main Grants, Lothian and GG&C): data rows from sheet row 5.

    Activity rows 5-6, Outcomes rows 5-9 (framework order), Finance row 5.
    """
    return ThirdSectorReturnContent(
        charity_number=charity,
        organisation="Bumps and Babies",
        fund_label="Main Grants",
        financial_year=year,
        quarter=quarter,
        completed_by="A. Volunteer",
        email="a.volunteer@example.org",
        activity=[
            ["NHS Lothian", "Peer support", 10, 3, 12, 0],
            [GGC, "Counselling", 4, 1, 5, 2],
        ],
        outcomes=[
            ["LESS_ISOLATED", 20, 17],
            ["MEET_INFANT_NEEDS", 20, 15],
            ["WARM_RELATIONSHIP", 10, 8],
            ["SUPPORT_AT_RISK", 8, 6],
            ["WELLBEING", 20, 12],
        ],
        finance=[[58000, 14000.5]],
    )


def register_frame(*entries: dict[str, object]) -> pl.DataFrame:
    """A register (every version) as `warehouse.register.all_register_versions` gives it."""
    rows = [
        {
            "version_id": 1,
            "in_force_from": SINCE_EVER,
            "charity_number": CHARITY,
            "name": "Bumps and Babies",
            "fund": "MAIN",
            "award_gbp": 58000.0,
            "board_areas": [LOTHIAN, GGC],
            **entry,
        }
        for entry in (entries or ({},))
    ]
    return pl.DataFrame(rows, schema=REGISTER_SCHEMA)


def write_tsr(path: Path, content: ThirdSectorReturnContent, quirks: Quirks = CANONICAL) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_third_sector_return(path, content, quirks)
    return path


def changed_tsr(
    content: ThirdSectorReturnContent, sheet: str, row: int, column: int, value: object
) -> ThirdSectorReturnContent:
    """A copy of `content` with one data cell replaced (row and column 0-based in the table)."""
    new = copy.deepcopy(content)
    new.rows(sheet)[row][column] = value  # type: ignore[call-overload]
    return new
