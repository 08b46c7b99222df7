"""Claiming received files in the warehouse, so that each is recorded and loaded once.

Any number of `pimh ingest` runs, watchers and workers, on one machine or several, may
find the same file at once. Before reading one, a run claims it here, atomically (not
in its own memory, which the others cannot see): the first claim wins and the others
pass the file by. The claim is settled in the same transaction that records the file's
submission, and that write happens only while the run still holds the claim, so even a
run that lost its claim cannot record the file twice.

A run that dies leaves its claims behind. They are taken over as soon as they are seen
to be stale: at once when the holder was a process on this machine that no longer runs,
otherwise when the claim's lease (`PIMH_CLAIM_LEASE_SECONDS`) runs out.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import socket
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from sqlalchemy import Connection, Engine, and_, bindparam, delete, select, update

from warehouse.bulk_records import insert_records
from warehouse.engine import write_transaction
from warehouse.read import as_utc
from warehouse.row_values import each_in, keep_only
from warehouse.tables import file_claim, submission

# Set by `pimh worker` for the flow runs it starts: which worker holds a claim.
WORKER_NAME: Final = "PIMH_WORKER_NAME"
# Rows per statement: well inside both backends' limits on bound parameters.
_BATCH: Final = 500


def claim_key(origin_path: str, sha256: str) -> str:
    """A file's identity for claiming: where it landed and what it holds, hashed to a key."""
    return hashlib.sha256(f"{origin_path}\0{sha256}".encode()).hexdigest()


def _process_started(pid: int) -> str | None:
    """When process `pid` started, in clock ticks since boot (None when it is not running).

    With the PID this names one process for the machine's uptime, though PIDs are reused.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return None if fields[0] == "Z" else fields[19]


@dataclass(frozen=True, slots=True)
class Claimant:
    """The run making claims: a token for this run, and the process holding them."""

    token: str
    # `host:pid:start ticks`, for telling a dead holder from a live one, then the worker
    # the process runs under where it runs under one (`PIMH_WORKER_NAME`).
    holder: str

    @classmethod
    def for_this_process(cls) -> Claimant:
        pid = os.getpid()
        started = _process_started(pid) or "?"
        worker = os.environ.get(WORKER_NAME)
        holder = f"{socket.gethostname()}:{pid}:{started}" + (f" {worker}" if worker else "")
        return cls(uuid.uuid4().hex, holder)


def _holder_is_gone(holder: str) -> bool:
    """Whether the claim's holder is known to have stopped: a process on this machine that
    no longer runs. On another machine nothing is known, and the lease decides."""
    host, _, rest = holder.split(" ", 1)[0].partition(":")
    pid, _, started = rest.partition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    return _process_started(int(pid)) != started


@dataclass(slots=True)
class Claims:
    """What a run may do with each file it asked for, by claim key."""

    claimed: set[str] = field(default_factory=set)  # this run holds it: read and record it
    recorded: set[str] = field(default_factory=set)  # recorded already: nothing to do
    busy: set[str] = field(default_factory=set)  # another live run holds it


def _recorded_before_claims(
    connection: Connection, files: Sequence[tuple[str, str]]
) -> dict[str, int]:
    """Submissions of these (origin, sha256) files recorded before any claim was kept."""
    found: dict[str, int] = {}
    for start in range(0, len(files), _BATCH):
        part = files[start : start + _BATCH]
        wanted = [(sha, origin) for origin, sha in part]
        rows = connection.execute(
            select(submission.c.sha256, submission.c.origin_path, submission.c.submission_id).where(
                *each_in((submission.c.sha256,), wanted)
            )
        )
        found.update({claim_key(o, sha): int(sid) for sha, o, sid in keep_only(rows, wanted)})
    return found


def claim(
    engine: Engine,
    files: Iterable[tuple[str, str]],
    claimant: Claimant,
    lease_seconds: float,
    now: dt.datetime | None = None,
) -> Claims:
    """Claim every (origin path, sha256) for `claimant`, in one write transaction."""
    now = now or dt.datetime.now(dt.UTC)
    expires = now + dt.timedelta(seconds=lease_seconds)
    wanted = {claim_key(origin, sha): (origin, sha) for origin, sha in files}
    claims = Claims()
    keys = list(wanted)
    with write_transaction(engine) as connection:
        for start in range(0, len(keys), _BATCH):
            part = keys[start : start + _BATCH]
            mine = {"claim_token": claimant.token, "claimed_by": claimant.holder}
            rows = [
                {
                    "claim_key": key,
                    "origin_path": wanted[key][0],
                    "sha256": wanted[key][1],
                    "claimed_at": now,
                    "expires_at": expires,
                    **mine,
                }
                for key in part
            ]
            insert_records(connection, file_claim, rows, ignore_existing=True)
            _settle_part(connection, part, claimant, claims, now, expires)
        if claims.claimed:
            earlier = _recorded_before_claims(connection, [wanted[k] for k in claims.claimed])
            if earlier:
                _settle(connection, earlier, claimant.token)
                claims.claimed -= earlier.keys()
                claims.recorded |= earlier.keys()
    return claims


def _settle_part(  # noqa: PLR0917 - one batch of one claiming transaction
    connection: Connection,
    part: list[str],
    claimant: Claimant,
    claims: Claims,
    now: dt.datetime,
    expires: dt.datetime,
) -> None:
    """Sort a batch of keys into claimed, recorded and busy; take over the stale ones."""
    query = select(
        file_claim.c.claim_key,
        file_claim.c.claim_token,
        file_claim.c.claimed_by,
        file_claim.c.expires_at,
        file_claim.c.submission_id,
    ).where(file_claim.c.claim_key.in_(part))
    if connection.dialect.name == "postgresql":
        query = query.with_for_update()  # nobody else takes them over meanwhile
    stale = []
    for key, token, holder, expires_at, submission_id in connection.execute(query):
        if submission_id is not None:
            claims.recorded.add(key)
        elif token == claimant.token:
            claims.claimed.add(key)
        elif as_utc(expires_at) <= now or _holder_is_gone(holder):
            stale.append(key)
        else:
            claims.busy.add(key)
    if stale:
        connection.execute(
            update(file_claim)
            .where(file_claim.c.claim_key.in_(stale), file_claim.c.submission_id.is_(None))
            .values(
                claim_token=claimant.token,
                claimed_by=claimant.holder,
                claimed_at=now,
                expires_at=expires,
            )
        )
        claims.claimed.update(stale)


def settle_claims(connection: Connection, recorded: Mapping[str, int], token: str) -> None:
    """Mark claims held by `token` as recorded with their submission, inside the caller's
    transaction, which has already checked and locked them (`held_claims`): one statement
    for the whole chunk."""
    if recorded:
        connection.execute(
            update(file_claim)
            .where(
                file_claim.c.claim_key == bindparam("settled_key"),
                file_claim.c.claim_token == token,
                file_claim.c.submission_id.is_(None),
            )
            .values(submission_id=bindparam("settled_submission")),
            [
                {"settled_key": key, "settled_submission": submission_id}
                for key, submission_id in recorded.items()
            ],
        )


def _settle(connection: Connection, recorded: Mapping[str, int], token: str) -> set[str]:
    """`settle_claims` for claims not locked beforehand: which of them were still held."""
    settled: set[str] = set()
    for key, submission_id in recorded.items():
        result = connection.execute(
            update(file_claim)
            .where(
                and_(
                    file_claim.c.claim_key == key,
                    file_claim.c.claim_token == token,
                    file_claim.c.submission_id.is_(None),
                )
            )
            .values(submission_id=submission_id)
        )
        if result.rowcount:
            settled.add(key)
    return settled


def held_claims(connection: Connection, keys: Iterable[str], token: str) -> set[str]:
    """Which of `keys` `token` still holds unrecorded, locking them for this transaction."""
    held: set[str] = set()
    wanted = list(keys)
    for start in range(0, len(wanted), _BATCH):
        query = select(file_claim.c.claim_key).where(
            file_claim.c.claim_key.in_(wanted[start : start + _BATCH]),
            file_claim.c.claim_token == token,
            file_claim.c.submission_id.is_(None),
        )
        if connection.dialect.name == "postgresql":
            query = query.with_for_update()
        held.update(connection.scalars(query))
    return held


def release_claims(engine: Engine, claimant: Claimant) -> None:
    """Give up this run's unrecorded claims (a run that failed, so that a rerun need not
    wait for their lease)."""
    with write_transaction(engine) as connection:
        connection.execute(
            delete(file_claim).where(
                file_claim.c.claim_token == claimant.token, file_claim.c.submission_id.is_(None)
            )
        )
