"""Base views of the calendar and the register: who is expected to report, for which quarter.

The register changes by versions (`register_version`); the version in force for a quarter
is the latest whose in_force_from is on or before the quarter's start, the latest loaded
among equals. Both register views read the tables with that one rule, so neither depends
on the other.
"""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import ColumnElement, ScalarSelect, func, select

from warehouse.tables import dim_quarter, register_entry, register_version
from warehouse.views.view import Grain, Layer, View


def _version_in_force(quarter_starts_on: ColumnElement[Any]) -> ScalarSelect[int]:
    candidate = register_version.alias("candidate")
    return (
        select(candidate.c.version_id)
        .where(candidate.c.in_force_from <= quarter_starts_on)
        .order_by(candidate.c.in_force_from.desc(), candidate.c.version_id.desc())
        .limit(1)
        .scalar_subquery()
    )


# Quarters that have begun: the tracker and the fund roll-ups list these.
reporting_quarters: Final = View(
    "reporting_quarters",
    Layer.BASE,
    Grain(("financial_year", "quarter"), "One row per quarter of the calendar that has begun."),
    select(dim_quarter).where(dim_quarter.c.starts_on <= func.current_date()),
)

register_in_force: Final = View(
    "register_in_force",
    Layer.BASE,
    Grain(
        ("financial_year", "quarter"),
        "One row per quarter of the calendar that a register version is in force for.",
    ),
    select(
        dim_quarter.c.financial_year, dim_quarter.c.quarter, register_version.c.version_id
    ).select_from(
        dim_quarter.join(
            register_version,
            register_version.c.version_id == _version_in_force(dim_quarter.c.starts_on),
        )
    ),
)

register: Final = View(
    "register",
    Layer.BASE,
    Grain(
        ("financial_year", "quarter", "charity_number"),
        "One row per quarter and organisation on the register version in force for it.",
    ),
    select(
        dim_quarter.c.financial_year,
        dim_quarter.c.quarter,
        register_entry.c.charity_number,
        register_entry.c.name,
        register_entry.c.fund,
        register_entry.c.award_gbp,
        register_entry.c.version_id,
    ).select_from(
        dim_quarter.join(
            register_entry,
            register_entry.c.version_id == _version_in_force(dim_quarter.c.starts_on),
        )
    ),
)

CALENDAR_VIEWS: Final = (reporting_quarters, register_in_force, register)
