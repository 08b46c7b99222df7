"""The submission tracker: every return expected for a quarter, and what became of it.

Expected are every board, and every organisation on the register in force, for each
quarter that has begun. A return is late when its first arrival (UTC calendar date) was
after the due date, even if a later correction was the one accepted.
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import String, and_, case, cast, false, func, literal, null, select, true, union_all

from warehouse.tables import dim_board
from warehouse.views.calendar import register, reporting_quarters
from warehouse.views.current import submissions
from warehouse.views.expressions import utc_date
from warehouse.views.view import Grain, Layer, View

_quarters, _register, _sub = reporting_quarters.table, register.table, submissions.table

# Every return expected for a quarter that has begun; the data-quality scores share it.
expected_returns: Final = union_all(
    select(
        _quarters.c.financial_year,
        _quarters.c.quarter,
        _quarters.c.due_on,
        dim_board.c.board_code.label("reporter_code"),
        literal("board").label("reporter_type"),
        dim_board.c.board_name.label("reporter_name"),
        cast(null(), String(8)).label("fund"),
    ).select_from(_quarters.join(dim_board, true())),
    select(
        _quarters.c.financial_year,
        _quarters.c.quarter,
        _quarters.c.due_on,
        _register.c.charity_number,
        literal("organisation"),
        _register.c.name,
        _register.c.fund,
    ).select_from(
        _quarters.join(
            _register,
            and_(
                _register.c.financial_year == _quarters.c.financial_year,
                _register.c.quarter == _quarters.c.quarter,
            ),
        )
    ),
).cte("expected")

# Each reporter's returns for a quarter that were read far enough to know whose they are.
_arrivals = (
    select(
        _sub.c.reporter_code,
        _sub.c.financial_year,
        _sub.c.quarter,
        func.min(_sub.c.received_at).label("first_received_at"),
        func.max(_sub.c.received_at).label("last_received_at"),
        func.max(case((_sub.c.status == "accepted", _sub.c.submission_id))).label("accepted_id"),
        func.max(_sub.c.submission_id).label("latest_id"),
    )
    .where(
        _sub.c.status.in_(("accepted", "rejected", "superseded")),
        _sub.c.reporter_code.is_not(None),
        _sub.c.financial_year.is_not(None),
        _sub.c.quarter.is_not(None),
    )
    .group_by(_sub.c.reporter_code, _sub.c.financial_year, _sub.c.quarter)
    .cte("arrivals")
)

_shown = _sub.alias("shown")  # the accepted return, else the latest rejected one
_accepted = _arrivals.c.accepted_id.is_not(None)
_received_late = utc_date(_arrivals.c.first_received_at) > expected_returns.c.due_on

submission_tracker: Final = View(
    "submission_tracker",
    Layer.ROLLUP,
    Grain(
        ("financial_year", "quarter", "reporter_code"),
        "One row per quarter that has begun and reporter expected to send a return for it.",
    ),
    select(
        expected_returns.c.financial_year,
        expected_returns.c.quarter,
        expected_returns.c.reporter_code,
        expected_returns.c.reporter_type,
        expected_returns.c.reporter_name,
        expected_returns.c.fund,
        case(
            (and_(_accepted, _received_late), "late"),
            (_accepted, "accepted"),
            (_arrivals.c.latest_id.is_not(None), "rejected"),
            else_="missing",
        ).label("status"),
        func.coalesce(_received_late, false()).label("received_late"),
        expected_returns.c.due_on,
        _arrivals.c.first_received_at,
        _arrivals.c.last_received_at,
        _shown.c.submission_id,
        _shown.c.errors,
        _shown.c.warnings,
    ).select_from(
        expected_returns.outerjoin(
            _arrivals,
            and_(
                _arrivals.c.reporter_code == expected_returns.c.reporter_code,
                _arrivals.c.financial_year == expected_returns.c.financial_year,
                _arrivals.c.quarter == expected_returns.c.quarter,
            ),
        ).outerjoin(
            _shown,
            _shown.c.submission_id == func.coalesce(_arrivals.c.accepted_id, _arrivals.c.latest_id),
        )
    ),
)
