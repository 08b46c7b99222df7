"""The warehouse's own quality checks, kept so a quarter's quality can be compared over time.

Whoever runs the checks (`quality`, with Great Expectations) hands over plain records;
this module only writes and reads them, so the warehouse never needs Great Expectations.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import Connection, Engine, insert, select

from warehouse.engine import write_transaction
from warehouse.tables import quality_check, quality_result

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class ExpectationOutcome:
    """What became of one expectation in one run.

    `key` names the expectation the same way in every run (e.g.
    `activity.referrals_accepted_not_above_received`), so runs compare; `detail` is the
    observed value, or why the expectation could not be evaluated.
    """

    key: str
    suite: str
    expectation_type: str
    severity: Severity
    is_passed: bool
    description: str
    count_unexpected: int | None = None
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class QualityCheck:
    """One run of the checks: over one quarter, or every quarter when both are None."""

    checked_at: dt.datetime
    financial_year: str | None
    quarter: str | None
    outcomes: tuple[ExpectationOutcome, ...]
    gx_version: str
    docs_url: str | None = None

    def failed(self, severity: Severity) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if o.severity == severity and not o.is_passed]

    @property
    def is_passed(self) -> bool:
        """A run passes when no error-level expectation failed; warnings never fail it."""
        return not self.failed("error")


@dataclass(frozen=True, slots=True)
class CheckSummary:
    """One past run as `quality_check` keeps it (without its expectations)."""

    check_id: int
    checked_at: dt.datetime
    financial_year: str | None
    quarter: str | None
    is_passed: bool
    count_expectations: int
    count_failed_errors: int
    count_failed_warnings: int
    docs_url: str | None


def record_quality_check(engine: Engine, check: QualityCheck) -> int:
    """Keep a run and each expectation's outcome in one transaction; the run's check_id."""
    with write_transaction(engine) as connection:
        check_id = connection.execute(
            insert(quality_check).returning(quality_check.c.check_id),
            {
                "checked_at": check.checked_at,
                "financial_year": check.financial_year,
                "quarter": check.quarter,
                "is_passed": check.is_passed,
                "count_expectations": len(check.outcomes),
                "count_failed_errors": len(check.failed("error")),
                "count_failed_warnings": len(check.failed("warning")),
                "gx_version": check.gx_version,
                "docs_url": check.docs_url,
            },
        ).scalar_one()
        if check.outcomes:
            connection.execute(
                insert(quality_result),
                [
                    {
                        "check_id": check_id,
                        "expectation_key": o.key,
                        "suite": o.suite,
                        "expectation_type": o.expectation_type,
                        "severity": o.severity,
                        "is_passed": o.is_passed,
                        "count_unexpected": o.count_unexpected,
                        "description": o.description,
                        "detail": o.detail,
                    }
                    for o in check.outcomes
                ],
            )
    return int(check_id)


def check_history(
    connection: Connection,
    financial_year: str | None = None,
    quarter: str | None = None,
    limit: int = 20,
) -> list[CheckSummary]:
    """The latest runs first; only those over one quarter when it is given."""
    query = select(*quality_check.c).order_by(
        quality_check.c.checked_at.desc(), quality_check.c.check_id.desc()
    )
    if financial_year is not None and quarter is not None:
        query = query.where(
            quality_check.c.financial_year == financial_year, quality_check.c.quarter == quarter
        )
    rows = connection.execute(query.limit(limit)).mappings()
    return [
        CheckSummary(
            check_id=row["check_id"],
            checked_at=row["checked_at"],
            financial_year=row["financial_year"],
            quarter=row["quarter"],
            is_passed=row["is_passed"],
            count_expectations=row["count_expectations"],
            count_failed_errors=row["count_failed_errors"],
            count_failed_warnings=row["count_failed_warnings"],
            docs_url=row["docs_url"],
        )
        for row in rows
    ]


def check_outcomes(connection: Connection, check_id: int) -> list[ExpectationOutcome]:
    """The outcomes of one past run, in the order they were checked."""
    rows = connection.execute(
        select(*quality_result.c)
        .where(quality_result.c.check_id == check_id)
        .order_by(quality_result.c.suite, quality_result.c.expectation_key)
    ).mappings()
    return [
        ExpectationOutcome(
            key=row["expectation_key"],
            suite=row["suite"],
            expectation_type=row["expectation_type"],
            severity=row["severity"],
            is_passed=row["is_passed"],
            description=row["description"],
            count_unexpected=row["count_unexpected"],
            detail=row["detail"],
        )
        for row in rows
    ]
