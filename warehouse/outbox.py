"""The outbox of emails telling reporters what became of their returns.

A row is written in the transaction that records the submission (`warehouse.load`), so
an email is owed exactly when the submission exists: a crash before the commit leaves
neither, a crash after it leaves the email owed, and whichever run comes next sends it.

Sending is at most once. A run claims one row at a time with a conditional update
(`pending`/`failed` to `sending`, under its token) just before handing that message to
the mail server, and marks it `sent` after. Only the run holding the claim marks it, so
two runs never both send. If the run dies between the server taking the message and the
mark, nobody can know whether it went: the row is left `sending`, and once its holder is
seen to be gone (a process on this machine that no longer runs, or the lease run out) it
becomes `unconfirmed`, shown in `pimh status`, and is never sent again by itself; the
data team resends it with `pimh contacts resend` if the reporter did not get it. A
failure the server reports (refused, unreachable) is certain not to have been delivered,
so it is retried with backoff until `PIMH_EMAIL_MAX_ATTEMPTS`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

from sqlalchemy import Connection, Engine, and_, func, or_, select, update

from domain.issues import Issue
from domain.records import SubmissionRecord
from warehouse.bulk_records import insert_records
from warehouse.claims import Claimant, _holder_is_gone
from warehouse.contacts import as_recipients, recipients_of
from warehouse.engine import write_transaction
from warehouse.read import as_utc
from warehouse.tables import email_outbox, submission, validation_issue

# Emails sent per run: a long outage's backlog clears over a few runs.
EMAILS_PER_RUN: Final = 200
# Problems quoted in an email's body; the attached report lists every one.
PROBLEMS_QUOTED: Final = 5
# Longest wait between two attempts, however many failed.
LONGEST_WAIT: Final = dt.timedelta(hours=6)
# A `sending` row held this long by a run on another machine is taken to be abandoned.
SENDING_LEASE: Final = dt.timedelta(minutes=30)
WAITING_STATES: Final = ("pending", "failed", "sending")
STUCK_STATES: Final = ("gave_up", "unconfirmed")
_TELLABLE: Final = ("accepted", "superseded", "rejected")


def outcome_of(status: str, warnings: int) -> str:
    """What the email says became of the return (a return superseded on arrival by a later
    one was accepted all the same)."""
    if status == "rejected":
        return "rejected"
    return "accepted with warnings" if warnings else "accepted"


def queue_emails(
    connection: Connection, records: Sequence[SubmissionRecord], ids: dict[int, int]
) -> None:
    """Owe an email for each judged return with a reporter, in the caller's transaction:
    to its reporter's registered contacts (`warehouse.contacts.recipients_of`), or marked
    `no_contact` when none is registered."""
    told = [r for r in records if r.status in _TELLABLE and r.reporter_code and r.key in ids]
    if not told:
        return
    typed: dict[str, set[str | None]] = {}
    for record in told:
        typed.setdefault(str(record.reporter_code), set()).add(record.contact_email)
    recipients = recipients_of(connection, typed)
    now = dt.datetime.now(dt.UTC)
    rows = []
    for record in told:
        to = recipients.get(str(record.reporter_code), {}).get(record.contact_email, [])
        rows.append(
            {
                "submission_id": ids[record.key],
                "reporter_code": record.reporter_code,
                "reporter_name": record.reporter_name,
                "outcome": outcome_of(record.status, record.warnings),
                "recipients": as_recipients(to),
                "state": "pending" if to else "no_contact",
                "queued_at": now,
                "next_attempt_at": now,
                "count_attempts": 0,
            }
        )
    insert_records(connection, email_outbox, rows)


@dataclass(frozen=True, slots=True)
class OwedEmail:
    """One email owed, with everything writing it needs from the submission it is about."""

    email_id: int
    submission_id: int
    reporter_code: str
    reporter_name: str | None
    outcome: str
    recipients: tuple[str, ...]
    count_attempts: int
    file_name: str
    sha256: str
    received_at: dt.datetime
    template: str | None
    financial_year: str | None
    quarter: str | None
    errors: int
    warnings: int
    report_url: str | None
    annotated_url: str | None
    problems: list[Issue] = field(default_factory=list)


def due_emails(engine: Engine, now: dt.datetime, limit: int = EMAILS_PER_RUN) -> list[OwedEmail]:
    """The oldest emails due now whose attachments are written (no annotated copy still
    owed), with their first problems."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(
                email_outbox.c.email_id,
                email_outbox.c.submission_id,
                email_outbox.c.reporter_code,
                email_outbox.c.reporter_name,
                email_outbox.c.outcome,
                email_outbox.c.recipients,
                email_outbox.c.count_attempts,
                submission.c.file_name,
                submission.c.sha256,
                submission.c.received_at,
                submission.c.template,
                submission.c.financial_year,
                submission.c.quarter,
                submission.c.error_count,
                submission.c.warning_count,
                submission.c.feedback_url,
                submission.c.annotated_url,
            )
            .join(submission, submission.c.submission_id == email_outbox.c.submission_id)
            .where(
                email_outbox.c.state.in_(("pending", "failed")),
                email_outbox.c.next_attempt_at <= now,
                ~submission.c.is_annotation_owed,
            )
            .order_by(email_outbox.c.email_id)
            .limit(limit)
        ).all()
        problems = _first_problems(connection, [r.submission_id for r in rows])
    return [
        OwedEmail(
            email_id=r.email_id,
            submission_id=r.submission_id,
            reporter_code=r.reporter_code,
            reporter_name=r.reporter_name,
            outcome=r.outcome,
            recipients=tuple(a for a in r.recipients.split(",") if a),
            count_attempts=r.count_attempts,
            file_name=r.file_name,
            sha256=r.sha256,
            received_at=as_utc(r.received_at),
            template=r.template,
            financial_year=r.financial_year,
            quarter=r.quarter,
            errors=r.error_count,
            warnings=r.warning_count,
            report_url=r.feedback_url,
            annotated_url=r.annotated_url,
            problems=problems.get(r.submission_id, []),
        )
        for r in rows
    ]


def _first_problems(connection: Connection, ids: list[int]) -> dict[int, list[Issue]]:
    """The first few problems of each submission, errors first, in the order found."""
    if not ids:
        return {}
    ranked = (
        select(
            validation_issue.c.submission_id,
            validation_issue.c.severity,
            validation_issue.c.message,
            validation_issue.c.sheet,
            validation_issue.c.cell,
            validation_issue.c.value,
            func.row_number()
            .over(
                partition_by=validation_issue.c.submission_id,
                order_by=(validation_issue.c.severity, validation_issue.c.issue_id),
            )
            .label("rank"),
        )
        .where(validation_issue.c.submission_id.in_(ids))
        .subquery()
    )
    found: dict[int, list[Issue]] = {}
    for row in connection.execute(
        select(ranked)
        .where(ranked.c.rank <= PROBLEMS_QUOTED)
        .order_by(ranked.c.submission_id, ranked.c.rank)
    ):
        found.setdefault(row.submission_id, []).append(
            Issue(row.severity, row.message, row.sheet, row.cell, row.value)
        )
    return found


def claim_email(
    engine: Engine, email_id: int, claimant: Claimant, message_id: str, now: dt.datetime
) -> bool:
    """Take one due email for sending; False when another run took it (or it is no longer
    due). The conditional update is the claim: of two runs, one changes the row."""
    with write_transaction(engine) as connection:
        changed = connection.execute(
            update(email_outbox)
            .where(
                email_outbox.c.email_id == email_id,
                email_outbox.c.state.in_(("pending", "failed")),
                email_outbox.c.next_attempt_at <= now,
            )
            .values(
                state="sending",
                claim_token=claimant.token,
                claimed_by=claimant.holder,
                claimed_at=now,
                message_id=message_id,
            )
        ).rowcount
    return changed == 1


def mark_sent(engine: Engine, email_id: int, claimant: Claimant, now: dt.datetime) -> None:
    """The server took the message: sent (only by the run that claimed it)."""
    with write_transaction(engine) as connection:
        connection.execute(
            update(email_outbox)
            .where(
                email_outbox.c.email_id == email_id,
                email_outbox.c.state == "sending",
                email_outbox.c.claim_token == claimant.token,
            )
            .values(state="sent", sent_at=now, last_error=None)
        )


@dataclass(frozen=True, slots=True)
class Backoff:
    """How failed emails are tried again: after `first_wait`, doubling each time (never
    more than LONGEST_WAIT), and given up after `max_attempts`."""

    first_wait: dt.timedelta
    max_attempts: int

    def wait(self, attempts: int) -> dt.timedelta:
        """How long after its `attempts`-th failure an email is tried again."""
        wait: dt.timedelta = self.first_wait * 2 ** max(attempts - 1, 0)
        return min(wait, LONGEST_WAIT)


def mark_failed(
    engine: Engine,
    emails: Sequence[OwedEmail],
    error: str,
    now: dt.datetime,
    backoff: Backoff,
    *,
    claimant: Claimant | None = None,
) -> None:
    """These emails were certainly not delivered (the server refused them or could not
    be reached): tried again after a wait, or given up after `backoff.max_attempts`.
    With a claimant, only the rows it holds; without, only rows nobody holds."""
    held = (
        and_(email_outbox.c.state == "sending", email_outbox.c.claim_token == claimant.token)
        if claimant
        else email_outbox.c.state.in_(("pending", "failed"))
    )
    with write_transaction(engine) as connection:
        for email in emails:
            attempts = email.count_attempts + 1
            connection.execute(
                update(email_outbox)
                .where(email_outbox.c.email_id == email.email_id, held)
                .values(
                    state="gave_up" if attempts >= backoff.max_attempts else "failed",
                    count_attempts=attempts,
                    next_attempt_at=now + backoff.wait(attempts),
                    last_error=error[:2000],
                    claim_token=None,
                )
            )


UNCONFIRMED: Final = (
    "The run sending this email stopped before it could record whether the mail server "
    "took it, so it is not sent again by itself (emails are sent at most once). Ask the "
    "recipients; resend it with: pimh contacts resend {email_id}"
)


def settle_abandoned(engine: Engine, now: dt.datetime, lease: dt.timedelta = SENDING_LEASE) -> int:
    """Emails left `sending` by a run that is gone, marked `unconfirmed`; how many."""
    with write_transaction(engine) as connection:
        rows = connection.execute(
            select(
                email_outbox.c.email_id, email_outbox.c.claimed_by, email_outbox.c.claimed_at
            ).where(email_outbox.c.state == "sending")
        ).all()
        gone = [
            r.email_id
            for r in rows
            if _holder_is_gone(r.claimed_by or "")
            or r.claimed_at is None
            or as_utc(r.claimed_at) + lease <= now
        ]
        for email_id in gone:
            connection.execute(
                update(email_outbox)
                .where(email_outbox.c.email_id == email_id, email_outbox.c.state == "sending")
                .values(state="unconfirmed", last_error=UNCONFIRMED.format(email_id=email_id))
            )
    return len(gone)


def resend(engine: Engine, email_id: int) -> str | None:
    """Owe an email again, to be sent by the next run; the state it was in (None: no such
    email). An email being sent, or with nobody to send to, is left as it is."""
    with write_transaction(engine) as connection:
        state = connection.scalar(
            select(email_outbox.c.state).where(email_outbox.c.email_id == email_id)
        )
        if state is None or state in ("sending", "no_contact"):
            return state
        connection.execute(
            update(email_outbox)
            .where(email_outbox.c.email_id == email_id)
            .values(
                state="pending",
                next_attempt_at=dt.datetime.now(dt.UTC),
                count_attempts=0,
                claim_token=None,
            )
        )
    return str(state)


def outbox_counts(connection: Connection) -> dict[str, int]:
    """How many emails are in each state."""
    rows = connection.execute(
        select(email_outbox.c.state, func.count()).group_by(email_outbox.c.state)
    )
    return {str(state): int(count) for state, count in rows}


def outbox_rows(
    connection: Connection, *, everything: bool, limit: int = 200
) -> list[dict[str, object]]:
    """The outbox's rows for the data team, newest first: those not yet sent (or all)."""
    query = (
        select(
            email_outbox.c.email_id,
            email_outbox.c.reporter_code,
            submission.c.financial_year,
            submission.c.quarter,
            submission.c.file_name,
            email_outbox.c.outcome,
            email_outbox.c.recipients,
            email_outbox.c.state,
            email_outbox.c.count_attempts,
            email_outbox.c.next_attempt_at,
            email_outbox.c.sent_at,
            email_outbox.c.last_error,
        )
        .join(submission, submission.c.submission_id == email_outbox.c.submission_id)
        .order_by(email_outbox.c.email_id.desc())
        .limit(limit)
    )
    if not everything:
        query = query.where(
            or_(email_outbox.c.state.in_(WAITING_STATES), email_outbox.c.state.in_(STUCK_STATES))
        )
    return [dict(row._mapping) for row in connection.execute(query)]
