"""Data-quality scores per reporter and quarter, in the style of NHS England's DQMI.

The Data Quality Maturity Index scores each provider's data item by item and averages the
scores into one; here each return expected for a quarter that has begun is scored on five
measures, each from 0 (worst) to 100 (best), and the overall score is their mean:

* timeliness: 100 when the first return arrived (UTC date) on or before the due date, 5
  points fewer for each day after it, 0 from 20 days late and for a return still missing
  once due. Days are counted as the tracker judges lateness (`submission_tracker`).
* validity: 100 less 10 points for each error per return received, 0 at 10 or more:
  the errors of every return the reporter sent for the quarter (rejected ones included),
  divided by how many returns it sent. A return accepted first time scores 100.
* completeness: the percentage of the cells the current accepted return was expected to
  fill that it did fill. Expected are the measures a template requires on every row (not
  the optional ones: vacant WTE is derived when empty), and the Mother and Baby Unit
  columns on MBU rows.
* resubmissions: 100 less 25 points for each rejected return the reporter had to send
  again, 0 from four.
* warnings explained: the percentage of the current return's warnings that the reporter
  explained in the workbook (its Explanation columns); 100 when there were none.

overall_score is the mean of the measures that are not NULL, to one decimal: a return
still missing after its due date scores 0 (timeliness only); one not yet due and not sent
has no scores at all. Equal weights keep the score explainable in one sentence.
"""

from __future__ import annotations

from functools import reduce
from operator import add
from typing import Any, Final

from sqlalchemy import (
    ColumnElement,
    Numeric,
    and_,
    case,
    func,
    literal,
    select,
    union_all,
)

from domain.layouts import (
    BQR_ACTIVITY,
    BQR_FINANCE,
    BQR_STAFFING,
    MBU_ONLY_COLUMNS,
    TSR_ACTIVITY,
    TSR_FINANCE,
    TSR_OUTCOMES,
    SheetLayout,
)
from warehouse.views.current import (
    activity,
    finance,
    staffing,
    submissions,
    third_sector_activity,
    third_sector_finance,
    third_sector_outcomes,
    validation_issues,
)
from warehouse.views.expressions import days_after, utc_date
from warehouse.views.submission_tracker import expected_returns
from warehouse.views.view import Grain, Layer, View

POINTS_PER_DAY_LATE: Final = 5
POINTS_PER_ERROR: Final = 10
POINTS_PER_REJECTION: Final = 25

_sub = submissions.table

# Each reporter's returns for a quarter that were read far enough to know whose they are
# (the tracker's rule); a duplicate is the same bytes again, not another return.
_returns = (
    select(
        _sub.c.reporter_code,
        _sub.c.financial_year,
        _sub.c.quarter,
        func.min(_sub.c.received_at).label("first_received_at"),
        func.count().label("returns_received"),
        func.sum(case((_sub.c.status == "rejected", 1), else_=0)).label("returns_rejected"),
        func.sum(_sub.c.errors).label("errors"),
        func.max(case((_sub.c.status == "accepted", _sub.c.submission_id))).label("accepted_id"),
    )
    .where(
        _sub.c.status.in_(("accepted", "rejected", "superseded")),
        _sub.c.reporter_code.is_not(None),
        _sub.c.financial_year.is_not(None),
        _sub.c.quarter.is_not(None),
    )
    .group_by(_sub.c.reporter_code, _sub.c.financial_year, _sub.c.quarter)
    .cte("returns_sent")
)


def _cells(view: View, sheet: SheetLayout) -> Any:
    """Per current accepted return: the cells of `sheet` it was expected to fill, and how
    many of those it left empty."""
    c = view.table.c
    expected: list[tuple[ColumnElement[Any], ColumnElement[bool] | None]] = []
    for column in sheet.measures:
        if column.key in MBU_ONLY_COLUMNS:
            expected.append((c[column.fact_key], c.service == "MBU"))
        elif not column.optional:
            expected.append((c[column.fact_key], None))
    is_expected = [literal(1) if when is None else case((when, 1), else_=0) for _, when in expected]
    is_empty = [
        case((value.is_(None), 1), else_=0)
        if when is None
        else case((and_(when, value.is_(None)), 1), else_=0)
        for value, when in expected
    ]
    return select(
        c.submission_id,
        func.sum(reduce(add, is_expected)).label("cells_expected"),
        func.sum(reduce(add, is_empty)).label("cells_not_reported"),
    ).group_by(c.submission_id)


_sheets = union_all(
    _cells(staffing, BQR_STAFFING),
    _cells(activity, BQR_ACTIVITY),
    _cells(finance, BQR_FINANCE),
    _cells(third_sector_activity, TSR_ACTIVITY),
    _cells(third_sector_outcomes, TSR_OUTCOMES),
    _cells(third_sector_finance, TSR_FINANCE),
).subquery("sheet_cells")

_completeness = (
    select(
        _sheets.c.submission_id,
        func.sum(_sheets.c.cells_expected).label("cells_expected"),
        func.sum(_sheets.c.cells_not_reported).label("cells_not_reported"),
    )
    .group_by(_sheets.c.submission_id)
    .cte("completeness")
)

_accepted = _sub.alias("current_return")
_days_from_due = days_after(utc_date(_returns.c.first_received_at), expected_returns.c.due_on)

# The current return's warnings that its reporter explained in the workbook.
_issues = validation_issues.table
_WARNINGS_EXPLAINED: Final = (
    select(func.count())
    .where(
        _issues.c.submission_id == _accepted.c.submission_id,
        _issues.c.severity == "warning",
        _issues.c.explanation.is_not(None),
    )
    .scalar_subquery()
)


def _floored(points: ColumnElement[Any]) -> ColumnElement[Any]:
    """A score of 100 less `points`, never below 0."""
    score = 100 - points
    return case((score < 0, 0), else_=score)


def _ratio(part: ColumnElement[Any], whole: ColumnElement[Any]) -> ColumnElement[Any]:
    """part / whole in decimals on both backends (integer / integer truncates), each side
    bracketed: op("/") keeps the division as written, where SQLAlchemy's own `/` would
    cast the divisor."""
    return (1.0 * part.self_group()).op("/", return_type=Numeric())(whole.self_group())


def _percentage(part: ColumnElement[Any], whole: ColumnElement[Any]) -> ColumnElement[Any]:
    """100 x part / whole to one decimal; NULL unless whole > 0."""
    return case((whole > 0, func.round(100 * _ratio(part, whole), 1)))


_timeliness = case(
    (
        _returns.c.first_received_at.is_(None),
        case((expected_returns.c.due_on < func.current_date(), 0)),
    ),
    (_days_from_due <= 0, 100),
    else_=_floored(POINTS_PER_DAY_LATE * _days_from_due),
)
_errors_per_return = _ratio(_returns.c.errors, _returns.c.returns_received)
_validity = case(
    (
        _returns.c.returns_received > 0,
        func.round(_floored(POINTS_PER_ERROR * _errors_per_return), 1),
    )
)
_filled = _completeness.c
_completeness_pct = _percentage(
    _filled.cells_expected - _filled.cells_not_reported, _filled.cells_expected
)
_resubmissions = case(
    (_returns.c.returns_received > 0, _floored(POINTS_PER_REJECTION * _returns.c.returns_rejected))
)
_warnings_explained_pct = case(
    (_accepted.c.warnings == 0, 100),
    else_=_percentage(_WARNINGS_EXPLAINED, _accepted.c.warnings),
)

_SCORES: Final = (
    _timeliness,
    _validity,
    _completeness_pct,
    _resubmissions,
    _warnings_explained_pct,
)
_scored = reduce(add, (case((score.is_(None), 0), else_=1) for score in _SCORES))
_overall = case(
    (
        _scored > 0,
        func.round(_ratio(reduce(add, (func.coalesce(score, 0) for score in _SCORES)), _scored), 1),
    )
)

data_quality: Final = View(
    "data_quality",
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
        expected_returns.c.due_on,
        _returns.c.first_received_at,
        _days_from_due.label("days_from_due"),
        func.coalesce(_returns.c.returns_received, 0).label("returns_received"),
        func.coalesce(_returns.c.returns_rejected, 0).label("resubmissions_needed"),
        func.coalesce(_returns.c.errors, 0).label("errors_before_acceptance"),
        func.round(_errors_per_return, 2).label("errors_per_return"),
        _accepted.c.submission_id.label("accepted_submission_id"),
        _completeness.c.cells_expected,
        _completeness.c.cells_not_reported,
        _accepted.c.warnings,
        _WARNINGS_EXPLAINED.label("warnings_explained"),
        _timeliness.label("timeliness_score"),
        _validity.label("validity_score"),
        _completeness_pct.label("completeness_score"),
        _resubmissions.label("resubmissions_score"),
        _warnings_explained_pct.label("warnings_explained_score"),
        _overall.label("overall_score"),
    ).select_from(
        expected_returns.outerjoin(
            _returns,
            and_(
                _returns.c.reporter_code == expected_returns.c.reporter_code,
                _returns.c.financial_year == expected_returns.c.financial_year,
                _returns.c.quarter == expected_returns.c.quarter,
            ),
        )
        .outerjoin(_accepted, _accepted.c.submission_id == _returns.c.accepted_id)
        .outerjoin(_completeness, _completeness.c.submission_id == _returns.c.accepted_id)
    ),
)
