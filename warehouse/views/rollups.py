"""National roll-ups per quarter, built on the base views' current figures only."""

from __future__ import annotations

from functools import reduce
from operator import add
from typing import Final

from sqlalchemy import SelectBase, and_, func, select, union

from domain.layouts import (
    BQR_ACTIVITY,
    BQR_FINANCE,
    BQR_STAFFING,
    PEOPLE_COLUMNS,
    TSR_ACTIVITY,
    TSR_OUTCOMES,
)
from warehouse.views.calendar import register, reporting_quarters
from warehouse.views.current import (
    activity,
    finance,
    staffing,
    third_sector_activity,
    third_sector_finance,
    third_sector_outcomes,
)
from warehouse.views.expressions import percent, totals
from warehouse.views.view import Grain, Layer, View

_PERIOD: Final = ("financial_year", "quarter")


def _rollup(name: str, keys: tuple[str, ...], description: str, query: SelectBase) -> View:
    return View(name, Layer.ROLLUP, Grain((*_PERIOD, *keys), description), query)


# A board runs a service in a quarter if it reported staff or activity for it.
_served = union(
    select(*(staffing.table.c[key] for key in ("board_code", *_PERIOD, "service"))),
    select(*(activity.table.c[key] for key in ("board_code", *_PERIOD, "service"))),
).subquery("served")

national_services: Final = _rollup(
    "national_services",
    ("service",),
    "One row per quarter and service that at least one board runs.",
    select(
        _served.c.financial_year,
        _served.c.quarter,
        _served.c.service,
        func.count(_served.c.board_code.distinct()).label("boards_running"),
    ).group_by(_served.c.financial_year, _served.c.quarter, _served.c.service),
)

_staff = staffing.table.c
national_staffing: Final = _rollup(
    "national_staffing",
    ("service", "staff_group"),
    "One row per quarter, service and staff group that any board reported.",
    select(
        _staff.financial_year,
        _staff.quarter,
        _staff.service,
        _staff.staff_group,
        func.count().label("boards"),
        *totals(staffing.table, BQR_STAFFING),
        percent(func.sum(_staff.vacant_wte), func.sum(_staff.funded_wte)).label("vacancy_rate_pct"),
    ).group_by(_staff.financial_year, _staff.quarter, _staff.service, _staff.staff_group),
)

_act = activity.table.c
national_activity: Final = _rollup(
    "national_activity",
    ("service",),
    "One row per quarter and service that any board reported activity for.",
    select(
        _act.financial_year,
        _act.quarter,
        _act.service,
        func.count().label("boards"),
        *totals(activity.table, BQR_ACTIVITY),
    ).group_by(_act.financial_year, _act.quarter, _act.service),
)

_fin = finance.table.c
national_finance: Final = _rollup(
    "national_finance",
    ("service",),
    "One row per quarter and service that any board reported finance for.",
    select(
        _fin.financial_year,
        _fin.quarter,
        _fin.service,
        func.count().label("boards"),
        *totals(finance.table, BQR_FINANCE),
        percent(func.sum(_fin.spend_gbp), func.sum(_fin.allocation_gbp)).label(
            "spend_pct_of_allocation"
        ),
    ).group_by(_fin.financial_year, _fin.quarter, _fin.service),
)

# Every organisation on the register counts towards its fund, whether it has reported or not.
_reg, _began, _spent = register.table.c, reporting_quarters.table.c, third_sector_finance.table.c
national_funds: Final = _rollup(
    "national_funds",
    ("fund",),
    "One row per quarter that has begun and fund with organisations on the register.",
    select(
        _reg.financial_year,
        _reg.quarter,
        _reg.fund,
        func.count().label("organisations"),
        func.sum(_reg.award_gbp).label("total_award_gbp"),
        func.round(func.avg(_reg.award_gbp), 2).label("average_award_gbp"),
        func.count(_spent.charity_number).label("organisations_reporting"),
        func.sum(_spent.grant_awarded_gbp).label("grant_awarded_gbp"),
        func.sum(_spent.spend_gbp).label("spend_gbp"),
        percent(func.sum(_spent.spend_gbp), func.sum(_spent.grant_awarded_gbp)).label(
            "spend_pct_of_grant"
        ),
    )
    .select_from(
        register.table.join(
            reporting_quarters.table,
            and_(_began.financial_year == _reg.financial_year, _began.quarter == _reg.quarter),
        ).outerjoin(
            third_sector_finance.table,
            and_(
                _spent.charity_number == _reg.charity_number,
                _spent.financial_year == _reg.financial_year,
                _spent.quarter == _reg.quarter,
            ),
        )
    )
    .group_by(_reg.financial_year, _reg.quarter, _reg.fund),
)

_people = third_sector_activity.table.c
national_people_supported: Final = _rollup(
    "national_people_supported",
    ("board_code",),
    "One row per quarter and board area that any organisation reported support in.",
    select(
        _people.financial_year,
        _people.quarter,
        _people.board_code,
        func.count(_people.charity_number.distinct()).label("organisations"),
        *totals(third_sector_activity.table, TSR_ACTIVITY),
        # A group left blank counts as nobody in the total.
        func.sum(reduce(add, (func.coalesce(_people[key], 0) for key in PEOPLE_COLUMNS))).label(
            "people_supported"
        ),
    ).group_by(_people.financial_year, _people.quarter, _people.board_code),
)

_out = third_sector_outcomes.table.c
national_outcomes: Final = _rollup(
    "national_outcomes",
    ("outcome",),
    "One row per quarter and outcome that any organisation reported.",
    select(
        _out.financial_year,
        _out.quarter,
        _out.outcome,
        func.count().label("organisations_reporting"),
        *totals(third_sector_outcomes.table, TSR_OUTCOMES),
        percent(func.sum(_out.reporting_improvement), func.sum(_out.respondents)).label(
            "percent_improved"
        ),
    ).group_by(_out.financial_year, _out.quarter, _out.outcome),
)

NATIONAL_VIEWS: Final = (
    national_services,
    national_staffing,
    national_activity,
    national_finance,
    national_funds,
    national_people_supported,
    national_outcomes,
)
