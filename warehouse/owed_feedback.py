"""The annotated copies the warehouse says are still owed to reporters, and their writing.

A return with problems is recorded as owed its annotated copy; the copy is made while
the warehouse loads and written after, so a run interrupted in between leaves some
unwritten. Every run finishes what earlier ones owe: the returns' bytes are in the
archive and their problems in `validation_issue`, so nothing needs the run that died.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import Engine, bindparam, select, update

from domain.issues import Issue
from warehouse.engine import write_transaction
from warehouse.tables import received_file, submission, validation_issue

# Copies finished per run: the backlog of a long outage clears over a few runs, and no
# run is held up by it for long.
OWED_PER_RUN = 200


@dataclass(frozen=True, slots=True)
class OwedCopy:
    """One recorded return still owed its annotated copy: what writing it needs."""

    submission_id: int
    archive_url: str
    file_name: str
    sha256: str
    received_at: dt.datetime
    status: str
    template: str | None
    reporter_code: str | None
    financial_year: str | None
    quarter: str | None
    feedback_url: str | None
    issues: list[Issue] = field(default_factory=list)


def owed_copies(engine: Engine, limit: int = OWED_PER_RUN) -> list[OwedCopy]:
    """The oldest returns still owed an annotated copy, with their problems in order."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(
                submission.c.submission_id,
                received_file.c.archive_url,
                submission.c.file_name,
                submission.c.sha256,
                submission.c.received_at,
                submission.c.status,
                submission.c.template,
                submission.c.reporter_code,
                submission.c.financial_year,
                submission.c.quarter,
                submission.c.feedback_url,
            )
            .join(received_file, received_file.c.sha256 == submission.c.sha256)
            .where(submission.c.is_annotation_owed)
            .order_by(submission.c.submission_id)
            .limit(limit)
        ).all()
        ids = [row.submission_id for row in rows]
        issues: dict[int, list[Issue]] = {i: [] for i in ids}
        if ids:
            for found in connection.execute(
                select(
                    validation_issue.c.submission_id,
                    validation_issue.c.severity,
                    validation_issue.c.message,
                    validation_issue.c.sheet,
                    validation_issue.c.cell,
                    validation_issue.c.value,
                    validation_issue.c.rule,
                    validation_issue.c.subject,
                    validation_issue.c.explanation,
                )
                .where(validation_issue.c.submission_id.in_(ids))
                .order_by(validation_issue.c.issue_id)
            ):
                issues[found.submission_id].append(
                    Issue(
                        found.severity,
                        found.message,
                        found.sheet,
                        found.cell,
                        found.value,
                        rule=found.rule,
                        subject=found.subject,
                        explanation=found.explanation,
                    )
                )
    return [
        OwedCopy(
            submission_id=row.submission_id,
            archive_url=row.archive_url,
            file_name=row.file_name,
            sha256=row.sha256,
            received_at=(
                row.received_at
                if row.received_at.tzinfo
                else row.received_at.replace(tzinfo=dt.UTC)
            ),
            status=row.status,
            template=row.template,
            reporter_code=row.reporter_code,
            financial_year=row.financial_year,
            quarter=row.quarter,
            feedback_url=row.feedback_url,
            issues=issues[row.submission_id],
        )
        for row in rows
    ]


def record_copies(engine: Engine, written: Mapping[int, str | None]) -> None:
    """Mark copies as no longer owed: written where given, or found impossible (None)."""
    if not written:
        return
    with write_transaction(engine) as connection:
        connection.execute(  # one statement over every copy, not one per copy
            update(submission)
            .where(submission.c.submission_id == bindparam("copy_of"))
            .values(is_annotation_owed=False, annotated_url=bindparam("copy_url")),
            [{"copy_of": key, "copy_url": url} for key, url in written.items()],
        )
