"""Writing submissions, their issues and their figures to the warehouse.

A chunk of returns is written in one transaction (fast for a backfill); if it fails, each
return of the chunk is tried in its own transaction, so a failure leaves the warehouse as
it was for that return and does not hold back the others (the first failure is raised
once every return has been tried). Loading is idempotent: a submission already recorded
(same bytes, origin and arrival time) is not written twice, so a retried task is safe.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence

import polars as pl
from sqlalchemy import Connection, Engine, Table, insert, select, tuple_, update
from sqlalchemy.exc import DBAPIError

from domain.periods import due_date, quarter_bounds
from domain.records import RETURN_INDEX, SubmissionRecord
from warehouse.engine import write_transaction
from warehouse.tables import (
    FACT_TABLES,
    dim_quarter,
    received_file,
    submission,
    validation_issue,
)


def _chunks(records: Sequence[SubmissionRecord], size: int) -> Iterator[list[SubmissionRecord]]:
    for start in range(0, len(records), size):
        yield list(records[start : start + size])


def _already_loaded(connection: Connection, records: Sequence[SubmissionRecord]) -> dict[int, int]:
    wanted = {(r.sha256, r.origin_path): r for r in records}
    rows = connection.execute(
        select(
            submission.c.submission_id,
            submission.c.sha256,
            submission.c.origin_path,
            submission.c.received_at,
        ).where(tuple_(submission.c.sha256, submission.c.origin_path).in_(list(wanted)))
    )
    found: dict[int, int] = {}
    for submission_id, sha256, origin, received_at in rows:
        record = wanted[(sha256, origin)]
        stored = received_at if received_at.tzinfo else received_at.replace(tzinfo=dt.UTC)
        if stored == record.received_at:
            found[record.key] = submission_id
    return found


def _record_files(connection: Connection, records: Sequence[SubmissionRecord]) -> None:
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
        connection.execute(insert(received_file), new)


def _record_quarters(connection: Connection, records: Sequence[SubmissionRecord]) -> None:
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


def _period(record: SubmissionRecord) -> tuple[str | None, str | None, str | None]:
    return (record.reporter_code, record.financial_year, record.quarter)


def _insert_submissions(
    connection: Connection, records: Sequence[SubmissionRecord]
) -> dict[int, int]:
    """Insert a chunk's submissions in one statement; the latest accepted per period wins.

    Accepted returns already in the warehouse for the same reporter and quarter become
    `superseded`, and so does an accepted return superseded later in this same chunk.
    """
    accepted = [r for r in records if r.status == "accepted"]
    if accepted:
        periods = list({_period(r) for r in accepted})
        connection.execute(
            update(submission)
            .where(
                tuple_(
                    submission.c.reporter_code, submission.c.financial_year, submission.c.quarter
                ).in_(periods),
                submission.c.status == "accepted",
            )
            .values(status="superseded")
        )
    latest = {_period(r): r.key for r in accepted}
    processed_at = dt.datetime.now(dt.UTC)
    values = [
        {
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
            "status": (
                "superseded"
                if record.status == "accepted" and latest[_period(record)] != record.key
                else record.status
            ),
            "error_count": sum(i.is_error for i in record.issues),
            "warning_count": sum(not i.is_error for i in record.issues),
            "completed_by": record.completed_by,
            "contact_email": record.contact_email,
            "feedback_url": record.feedback_url,
        }
        for record in records
    ]
    ids = connection.execute(
        insert(submission).returning(submission.c.submission_id, sort_by_parameter_order=True),
        values,
    ).scalars()
    return {record.key: int(i) for record, i in zip(records, ids, strict=True)}


def _write_chunk(
    connection: Connection,
    records: Sequence[SubmissionRecord],
    facts: dict[str, pl.DataFrame],
) -> dict[int, int]:
    ids = _already_loaded(connection, records)
    todo = [r for r in records if r.key not in ids]
    if not todo:
        return ids
    _record_files(connection, todo)
    _record_quarters(connection, todo)
    new_ids = _insert_submissions(connection, todo)
    issues = [
        {
            "submission_id": new_ids[r.key],
            "severity": i.severity,
            "sheet": i.sheet,
            "cell": i.cell,
            "value": i.value,
            "message": i.message,
        }
        for r in todo
        for i in r.issues
    ]
    if issues:
        connection.execute(insert(validation_issue), issues)
    accepted = [k for k, r in ((r.key, r) for r in todo) if r.status == "accepted"]
    if accepted:
        id_map = pl.DataFrame(
            {RETURN_INDEX: accepted, "submission_id": [new_ids[k] for k in accepted]},
            schema={RETURN_INDEX: pl.Int64, "submission_id": pl.Int64},
        )
        for name, frame in facts.items():
            rows = frame.join(id_map, on=RETURN_INDEX).drop(RETURN_INDEX)
            table = FACT_TABLES[name]
            if rows.height:
                insert_rows(connection, table, rows)
    return {**ids, **new_ids}


# COPY reads the text polars writes: NULL is this marker, never a value of a fact column
# (codes and numbers).
_COPY_NULL = "\\N"


def insert_rows(connection: Connection, table: Table, rows: pl.DataFrame) -> None:
    """Append `rows` (columns named as the table's) inside the connection's transaction.

    On PostgreSQL, through COPY fed with CSV that polars writes in one call: several times
    faster than a multi-row INSERT for a backfill's tens of thousands of figures. On
    SQLite, one compiled INSERT executed over the rows as tuples. Elsewhere, a Core
    executemany.
    """
    unknown = set(rows.columns) - set(table.columns.keys())
    if unknown:
        raise ValueError(f"{table.name} has no column(s) {sorted(unknown)}")
    if connection.dialect.name == "sqlite":
        # The statement compiled once and the rows passed as plain tuples: SQLAlchemy's
        # per-row parameter processing cost more than SQLite's own work here.
        ordered = [c.name for c in table.columns if c.name in rows.columns]  # as compiled
        compiled = insert(table).compile(dialect=connection.dialect, column_keys=ordered)
        connection.exec_driver_sql(str(compiled), rows.select(ordered).rows())
        return
    if (connection.dialect.name, connection.dialect.driver) != ("postgresql", "psycopg"):
        connection.execute(insert(table), rows.to_dicts())
        return
    quote = connection.dialect.identifier_preparer
    columns = ", ".join(quote.quote(name) for name in rows.columns)
    statement = (
        f"COPY {quote.format_table(table)} ({columns}) FROM STDIN "
        f"WITH (FORMAT csv, NULL '{_COPY_NULL}')"
    )
    driver = connection.connection.driver_connection
    assert driver is not None  # a live connection inside a transaction
    dbapi_error = connection.dialect.loaded_dbapi.Error
    try:
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            copy.write(rows.write_csv(include_header=False, null_value=_COPY_NULL))
    except dbapi_error as exc:  # as SQLAlchemy would raise it (IntegrityError, DataError...)
        raise DBAPIError.instance(statement, None, exc, dbapi_error) from exc


def load_submissions(
    engine: Engine,
    records: Sequence[SubmissionRecord],
    facts: dict[str, pl.DataFrame],
    chunk_size: int = 500,
) -> dict[int, int]:
    """Write the records in arrival order; returns each record's submission_id by key.

    `facts` holds, per fact table name, the fact rows of the accepted records keyed by
    `return_index` (equal to the record's `key`).
    """
    ids: dict[int, int] = {}
    failure: DBAPIError | None = None
    for chunk in _chunks(records, chunk_size):
        try:
            with write_transaction(engine) as connection:
                ids.update(_write_chunk(connection, chunk, facts))
        except DBAPIError as exc:
            if len(chunk) == 1:
                failure = failure or exc
                continue
            for record in chunk:
                try:
                    with write_transaction(engine) as connection:
                        ids.update(_write_chunk(connection, [record], facts))
                except DBAPIError as record_exc:
                    failure = failure or record_exc
    # Every other return is in; the failure still fails the load (and the task retries).
    if failure is not None:
        raise failure
    return ids


def known_files(engine: Engine, sha256s: Sequence[str]) -> dict[str, set[tuple[str, str | None]]]:
    """(origin path, reporter folder) of every earlier arrival of each of these contents.

    The reporter is None for an arrival that was rejected: sending the same bytes again
    is then judged afresh (the register or the rules may have changed), not a duplicate.
    """
    seen: dict[str, set[tuple[str, str | None]]] = {}
    with engine.connect() as connection:
        for start in range(0, len(sha256s), 500):
            part = list(sha256s[start : start + 500])
            rows = connection.execute(
                select(
                    submission.c.sha256,
                    submission.c.origin_path,
                    submission.c.reporter_code,
                    submission.c.status,
                ).where(submission.c.sha256.in_(part))
            )
            for sha256, origin, reporter, status in rows:
                judged = None if status == "rejected" else reporter
                seen.setdefault(sha256, set()).add((origin, judged))
    return seen
