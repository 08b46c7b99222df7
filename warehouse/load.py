"""Writing submissions, their issues and their figures to the warehouse.

A chunk of returns is written in one transaction (fast for a backfill); if it fails, each
return of the chunk is tried in its own transaction, so that one return's failure costs
only that return. A return the warehouse refuses on its own (a value no column can hold,
say) is recorded instead as rejected with a file-level problem, so no file is left
unrecorded and the rest go on. Only a warehouse that cannot be reached fails the load
(after every other return is in), and the task retries.

Loading is idempotent: a submission already recorded (same bytes, origin and arrival
time) is not written twice, so a retried task is safe. With a claim token, a record is
written only while its run still holds the file's claim (`warehouse.claims`), and the
claim is settled in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Final

import polars as pl
from sqlalchemy import Connection, Engine, select
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, ProgrammingError

from config.faults import checkpoint
from domain.issues import file_problem
from domain.records import RETURN_INDEX, SubmissionRecord
from warehouse.bulk import insert_rows
from warehouse.claims import claim_key, held_claims, settle_claims
from warehouse.engine import write_transaction
from warehouse.outbox import queue_emails
from warehouse.submissions import (
    already_loaded,
    decide_current,
    insert_submissions,
    lock_periods,
    record_files,
    record_quarters,
)
from warehouse.tables import FACT_TABLES, source_column, submission

# What the database says when a return's own values cannot be stored (as opposed to the
# database being unreachable, which is worth a retry).
_REFUSED: Final = (DataError, IntegrityError, ProgrammingError)

UNSTORABLE: Final = (
    "The return could not be stored in the warehouse, so it was not loaded. The PIMH data "
    "team has been told. Check the return for unusual values (very long text, symbols) and "
    "send it again, or contact the data team."
)


# The tables a run's fact rows land in, by the name the transforms key them by: the facts,
# and the column letters their figures were read from.
_FIGURE_TABLES: Final = {**FACT_TABLES, source_column.name: source_column}


@dataclass(slots=True)
class LoadResult:
    """Each loaded record's submission id by key, and what loading decided differently."""

    ids: dict[int, int] = field(default_factory=dict)
    # Recorded as rejected because the warehouse refused them: their feedback is owed anew.
    refused: list[SubmissionRecord] = field(default_factory=list)
    # Not written: another run holds (or has recorded) the file.
    taken_elsewhere: set[int] = field(default_factory=set)
    # The status each written record was given (a return that lost to a later arrival, or
    # whose bytes another run loaded first, is not recorded as it was judged).
    statuses: dict[int, str] = field(default_factory=dict)


def _chunks(records: Sequence[SubmissionRecord], size: int) -> Iterator[list[SubmissionRecord]]:
    for start in range(0, len(records), size):
        yield list(records[start : start + size])


def _write_chunk(
    connection: Connection,
    records: Sequence[SubmissionRecord],
    facts: dict[str, pl.DataFrame],
    claim_token: str | None,
    result: LoadResult,
) -> None:
    ids = already_loaded(connection, records)
    result.ids.update(ids)
    todo = [r for r in records if r.key not in ids]
    if claim_token is not None and todo:
        keys = {r.key: claim_key(r.origin_path, r.sha256) for r in todo}
        held = held_claims(connection, keys.values(), claim_token)
        result.taken_elsewhere.update(k for k, key in keys.items() if key not in held)
        todo = [r for r in todo if keys[r.key] in held]
    if not todo:
        return
    record_files(connection, todo)
    record_quarters(connection, todo)
    lock_periods(connection, todo)
    decided = decide_current(connection, todo)
    result.statuses.update({r.key: r.status for r in decided})
    new_ids = insert_submissions(connection, decided)
    _insert_figures(connection, decided, new_ids, facts)
    queue_emails(connection, decided, new_ids)
    if claim_token is not None:
        settle_claims(
            connection,
            {claim_key(r.origin_path, r.sha256): new_ids[r.key] for r in decided},
            claim_token,
        )
    result.ids.update(new_ids)


def _insert_figures(
    connection: Connection,
    records: Sequence[SubmissionRecord],
    ids: dict[int, int],
    facts: dict[str, pl.DataFrame],
) -> None:
    """The fact rows of the records recorded as accepted or superseded (history kept)."""
    loaded = [r.key for r in records if r.status in ("accepted", "superseded")]
    if not loaded:
        return
    id_map = pl.DataFrame(
        {RETURN_INDEX: loaded, "submission_id": [ids[k] for k in loaded]},
        schema={RETURN_INDEX: pl.Int64, "submission_id": pl.Int64},
    )
    for name, frame in facts.items():
        rows = frame.join(id_map, on=RETURN_INDEX).drop(RETURN_INDEX)
        if rows.height:
            insert_rows(connection, _FIGURE_TABLES[name], rows)


def _refused(record: SubmissionRecord) -> SubmissionRecord:
    """The record as it can always be stored: rejected, with only the file-level problem
    (what it held is what the warehouse refused)."""
    return replace(
        record,
        status="rejected",
        issues=[file_problem(UNSTORABLE)],
        completed_by=None,
        contact_email=None,
        feedback_url=None,
    )


def _load_one(
    engine: Engine,
    record: SubmissionRecord,
    facts: dict[str, pl.DataFrame],
    claim_token: str | None,
    result: LoadResult,
) -> None:
    """One record in its own transaction; refused, recorded as rejected instead."""
    try:
        with write_transaction(engine) as connection:
            _write_chunk(connection, [record], facts, claim_token, result)
    except _REFUSED:
        instead = _refused(record)
        with write_transaction(engine) as connection:
            _write_chunk(connection, [instead], {}, claim_token, result)
        if instead.key in result.ids:
            result.refused.append(instead)


def load_submissions(
    engine: Engine,
    records: Sequence[SubmissionRecord],
    facts: dict[str, pl.DataFrame],
    chunk_size: int = 500,
    claim_token: str | None = None,
) -> LoadResult:
    """Write the records in arrival order (see the module docstring).

    `facts` holds, per fact table name, the fact rows of the accepted records keyed by
    `return_index` (equal to the record's `key`).
    """
    result = LoadResult()
    failure: DBAPIError | None = None
    for chunk in _chunks(records, chunk_size):
        try:
            with write_transaction(engine) as connection:
                _write_chunk(connection, chunk, facts, claim_token, result)
            checkpoint("after_load_chunk")
            continue
        except DBAPIError as exc:
            if not isinstance(exc, _REFUSED):
                failure = failure or exc
        for record in chunk:
            try:
                _load_one(engine, record, facts, claim_token, result)
            except DBAPIError as record_exc:
                failure = failure or record_exc
    # Every other return is in; an unreachable warehouse still fails the load (and the
    # task retries).
    if failure is not None:
        raise failure
    return result


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
