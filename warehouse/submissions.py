"""Recording a chunk's submissions: the audit trail of every file, and which return is current.

For each reporter and quarter the current return is the latest arrival that was
accepted, whatever order concurrent runs finish in: a return that arrived earlier than
the one already current is recorded as `superseded` at once. The same bytes from the same
reporter, already loaded by a run that finished first, are a `duplicate`. Both are
decided inside the transaction that writes, with the reporter and quarter locked on
PostgreSQL (SQLite's writers are already one at a time), so two loads of one quarter
never both become current.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import Connection, func, insert, select, tuple_, update

from domain.periods import due_date, quarter_bounds
from domain.records import SubmissionRecord
from warehouse.bulk_records import insert_records
from warehouse.read import as_utc
from warehouse.row_values import each_in, keep_only
from warehouse.tables import dim_quarter, received_file, submission, validation_issue

Period = tuple[str | None, str | None, str | None]


def period_of(record: SubmissionRecord) -> Period:
    return (record.reporter_code, record.financial_year, record.quarter)


def already_loaded(connection: Connection, records: Sequence[SubmissionRecord]) -> dict[int, int]:
    """Submission ids, by record key, of records this same load wrote before (a retry)."""
    wanted = {(r.sha256, r.origin_path): r for r in records}
    rows = connection.execute(
        select(
            submission.c.sha256,
            submission.c.origin_path,
            submission.c.submission_id,
            submission.c.received_at,
        ).where(*each_in((submission.c.sha256,), wanted))
    )
    found: dict[int, int] = {}
    for sha256, origin, submission_id, received_at in keep_only(rows, wanted):
        record = wanted[(sha256, origin)]
        if as_utc(received_at) == record.received_at:
            found[record.key] = submission_id
    return found


def record_files(connection: Connection, records: Sequence[SubmissionRecord]) -> None:
    shas = {r.sha256: r for r in records}
    known = set(
        connection.scalars(select(received_file.c.sha256).where(received_file.c.sha256.in_(shas)))
    )
    new = [
        {
            "sha256": r.sha256,
            "size_bytes": r.size_bytes,
            "archive_url": r.archive_url,
            "first_received_at": r.received_at,
        }
        for sha, r in shas.items()
        if sha not in known
    ]
    if new:
        insert_records(connection, received_file, new)


def record_quarters(connection: Connection, records: Sequence[SubmissionRecord]) -> None:
    periods: set[tuple[str, str]] = {
        (r.financial_year, r.quarter)
        for r in records
        if r.status == "accepted" and r.financial_year and r.quarter
    }
    if not periods:
        return
    known = {
        (str(year), str(quarter))
        for year, quarter in connection.execute(
            select(dim_quarter.c.financial_year, dim_quarter.c.quarter).where(
                tuple_(dim_quarter.c.financial_year, dim_quarter.c.quarter).in_(list(periods))
            )
        )
    }
    new = []
    for year, quarter in sorted(periods - known):
        starts, ends = quarter_bounds(year, quarter)
        new.append(
            {
                "financial_year": year,
                "quarter": quarter,
                "starts_on": starts,
                "ends_on": ends,
                "due_on": due_date(year, quarter),
            }
        )
    if new:
        connection.execute(insert(dim_quarter), new)


def lock_periods(connection: Connection, records: Sequence[SubmissionRecord]) -> None:
    """Hold each accepted record's reporter and quarter until the transaction ends.

    PostgreSQL advisory locks, taken in one order so two loads never deadlock; SQLite's
    write lock already makes writers take turns.
    """
    if connection.dialect.name != "postgresql":
        return
    keys = sorted({"|".join(map(str, period_of(r))) for r in records if r.status == "accepted"})
    for key in keys:
        connection.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(key, 0))))


def _loaded_before(
    connection: Connection, accepted: Sequence[SubmissionRecord]
) -> set[tuple[str, str | None]]:
    """(sha256, reporter) of these contents already loaded for the same reporter."""
    pairs = list({(r.sha256, r.reporter_code) for r in accepted})
    rows = connection.execute(
        select(submission.c.sha256, submission.c.reporter_code).where(
            *each_in((submission.c.sha256,), pairs),
            submission.c.status.in_(("accepted", "superseded")),
        )
    )
    return {(sha, reporter) for sha, reporter in keep_only(rows, pairs)}


def _current(
    connection: Connection, periods: list[Period]
) -> dict[Period, tuple[int, dt.datetime]]:
    """The current accepted return of each period: its submission id and arrival time."""
    rows = connection.execute(
        select(
            submission.c.reporter_code,
            submission.c.financial_year,
            submission.c.quarter,
            submission.c.submission_id,
            submission.c.received_at,
        ).where(
            # The index of current returns leads with reporter and year.
            *each_in(
                (submission.c.reporter_code, submission.c.financial_year, submission.c.quarter),
                periods,
            ),
            submission.c.status == "accepted",
        )
    )
    return {(r, y, q): (int(sid), as_utc(at)) for r, y, q, sid, at in keep_only(rows, periods)}


def decide_current(
    connection: Connection, records: Sequence[SubmissionRecord]
) -> list[SubmissionRecord]:
    """The records as they will be recorded: duplicates found since sorting made so, and
    each accepted record current, or superseded by a later arrival already recorded or in
    this chunk. Returns the records (changed copies where decided otherwise)."""
    accepted = [r for r in records if r.status == "accepted"]
    if not accepted:
        return list(records)
    seen = _loaded_before(connection, accepted)
    decided = [
        replace(r, status="duplicate", issues=[])
        if r.status == "accepted" and (r.sha256, r.reporter_code) in seen
        else r
        for r in records
    ]
    candidates = [r for r in decided if r.status == "accepted"]
    if not candidates:
        return decided
    current = _current(connection, list({period_of(r) for r in candidates}))
    # The latest arrival wins; among equal arrival times the one recorded last.
    winners: dict[Period, SubmissionRecord] = {}
    for record in candidates:
        best = winners.get(period_of(record))
        if best is None or record.received_at >= best.received_at:
            winners[period_of(record)] = record
    displaced = [p for p, w in winners.items() if p in current and current[p][1] <= w.received_at]
    if displaced:
        connection.execute(
            update(submission)
            .where(
                submission.c.submission_id.in_([current[p][0] for p in displaced]),
                submission.c.status == "accepted",
            )
            .values(status="superseded")
        )
    keep = {w.key for p, w in winners.items() if p not in current or p in displaced}
    return [
        r if r.status != "accepted" or r.key in keep else replace(r, status="superseded")
        for r in decided
    ]


def insert_submissions(
    connection: Connection, records: Sequence[SubmissionRecord]
) -> dict[int, int]:
    """Insert the (decided) records; their submission ids by key.

    The ids come back with each row's origin, which is unique among a chunk's records
    (each is one landed file): asking for them in the records' order instead made
    SQLAlchemy insert row by row on SQLite, which cannot promise RETURNING's order.
    """
    processed_at = dt.datetime.now(dt.UTC)
    values = [_row(record, processed_at) for record in records]
    new_ids = _inserted_ids(connection, records, values)
    issues = [
        {
            "submission_id": new_ids[r.key],
            "severity": i.severity,
            "sheet": i.sheet,
            "cell": i.cell,
            "value": i.value,
            "message": i.message,
            "rule": i.rule,
            "subject": i.subject,
            "explanation": i.explanation,
        }
        for r in records
        for i in r.issues
    ]
    insert_records(connection, validation_issue, issues)
    return new_ids


def _inserted_ids(
    connection: Connection, records: Sequence[SubmissionRecord], values: list[dict[str, Any]]
) -> dict[int, int]:
    origins = [record.origin_path for record in records]
    if len(set(origins)) < len(origins):  # never from one run; in order, row by row, then
        ordered = connection.execute(
            insert(submission).returning(submission.c.submission_id, sort_by_parameter_order=True),
            values,
        ).scalars()
        return {record.key: int(i) for record, i in zip(records, ordered, strict=True)}
    rows = connection.execute(
        insert(submission).returning(submission.c.origin_path, submission.c.submission_id),
        values,
    )
    by_origin = {origin: int(i) for origin, i in rows}
    return {record.key: by_origin[record.origin_path] for record in records}


def _row(record: SubmissionRecord, processed_at: dt.datetime) -> dict[str, Any]:
    return {
        "sha256": record.sha256,
        "file_name": record.file_name,
        "origin_path": record.origin_path,
        "received_at": record.received_at,
        "processed_at": processed_at,
        "template": record.template,
        "template_version": record.template_version,
        "reporter_code": record.reporter_code,
        "financial_year": record.financial_year,
        "quarter": record.quarter,
        "status": record.status,
        "error_count": record.errors,
        "warning_count": record.warnings,
        "completed_by": record.completed_by,
        "contact_email": record.contact_email,
        "feedback_url": record.feedback_url,
        "is_annotation_owed": record.annotation_owed,
    }
