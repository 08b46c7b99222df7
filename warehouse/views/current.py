"""Base views of the returns: the current accepted figures, and the submission history.

These are SPEC.md's downstream contract. Each current-figures view is one fact table cut
down to the latest accepted return per reporter and quarter, with its columns published
under their contract names: figures first, then where each row came from
(`submission_id`, `source_row`).
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import ColumnElement, Table, select

from warehouse.tables import (
    fact_activity,
    fact_finance,
    fact_staffing,
    fact_ts_activity,
    fact_ts_finance,
    fact_ts_outcome,
    submission,
    validation_issue,
)
from warehouse.views.expressions import current_rows
from warehouse.views.view import Grain, Layer, View

# Where a fact table's column name differs from the contract's.
_PUBLISHED_AS: Final = {"service_code": "service"}
_LINEAGE: Final = ("submission_id", "source_row")


def _current_figures(name: str, fact: Table, grain: Grain) -> View:
    figures: list[ColumnElement[object]] = [
        column.label(_PUBLISHED_AS[column.name]) if column.name in _PUBLISHED_AS else column
        for column in fact.c
        if column.name not in _LINEAGE
    ]
    lineage = [fact.c[name] for name in _LINEAGE]
    query = select(*figures, *lineage).select_from(current_rows(fact))
    return View(name, Layer.BASE, grain, query)


_RETURN = "of the current accepted return"

staffing: Final = _current_figures(
    "staffing",
    fact_staffing,
    Grain(
        ("board_code", "financial_year", "quarter", "service", "staff_group"),
        f"One row per board, service, staff group and quarter {_RETURN}.",
    ),
)

activity: Final = _current_figures(
    "activity",
    fact_activity,
    Grain(
        ("board_code", "financial_year", "quarter", "service"),
        f"One row per board, service and quarter {_RETURN}.",
    ),
)

finance: Final = _current_figures(
    "finance",
    fact_finance,
    Grain(
        ("board_code", "financial_year", "quarter", "service"),
        f"One row per board, service and quarter {_RETURN}.",
    ),
)

submissions: Final = View(
    "submissions",
    Layer.BASE,
    Grain(("submission_id",), "One row per file arrival, whatever became of it."),
    select(
        submission.c.submission_id,
        submission.c.file_name,
        submission.c.sha256,
        submission.c.template,
        submission.c.reporter_code,
        submission.c.financial_year,
        submission.c.quarter,
        submission.c.status,
        submission.c.received_at,
        submission.c.error_count.label("errors"),
        submission.c.warning_count.label("warnings"),
        submission.c.origin_path,
        submission.c.processed_at,
        submission.c.feedback_url,
    ),
)

validation_issues: Final = View(
    "validation_issues",
    Layer.BASE,
    Grain(("issue_id",), "One row per problem found in a submission."),
    select(
        validation_issue.c.submission_id,
        validation_issue.c.severity,
        validation_issue.c.sheet,
        validation_issue.c.cell,
        validation_issue.c.value,
        validation_issue.c.message,
        validation_issue.c.issue_id,
        # After SPEC's columns: the reporter's answer to a warning, and the warning's rule.
        validation_issue.c.explanation,
        validation_issue.c.rule,
    ),
)

third_sector_activity: Final = _current_figures(
    "third_sector_activity",
    fact_ts_activity,
    Grain(
        ("charity_number", "financial_year", "quarter", "board_code", "support_type"),
        f"One row per organisation, board area, support type and quarter {_RETURN}.",
    ),
)

third_sector_outcomes: Final = _current_figures(
    "third_sector_outcomes",
    fact_ts_outcome,
    Grain(
        ("charity_number", "financial_year", "quarter", "outcome"),
        f"One row per organisation, outcome and quarter {_RETURN}.",
    ),
)

third_sector_finance: Final = _current_figures(
    "third_sector_finance",
    fact_ts_finance,
    Grain(
        ("charity_number", "financial_year", "quarter"),
        f"One row per organisation and quarter {_RETURN}.",
    ),
)

# In the order the views were first created (the board views, then the third sector's).
RETURN_VIEWS: Final = (
    staffing,
    activity,
    finance,
    submissions,
    validation_issues,
    third_sector_activity,
    third_sector_outcomes,
    third_sector_finance,
)
