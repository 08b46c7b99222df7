"""Sending the emails the outbox owes reporters: one message per return, at most once.

See `warehouse.outbox` for the claim that makes sending at most once. Here: what is due
is read with its attachments (from the feedback storage, through fsspec, since the run
sending need not be the one that wrote them), the server is reached once per run, and
each message is claimed, handed over and marked in turn. A server that cannot be reached
is the transient case: the caller may retry at once (Prefect's task retries); on the last
try the emails are marked failed and wait, with backoff, for a later run.
"""

from __future__ import annotations

import datetime as dt
import posixpath
import smtplib
from collections.abc import Sequence
from dataclasses import dataclass

import fsspec
from sqlalchemy import Engine

from config.faults import checkpoint
from config.settings import Settings
from connectors.mail import Mailer, mailer_for, without_secrets
from feedback.email_message import Attachment, compose, message_id
from feedback.writer import report_stem
from warehouse.claims import Claimant
from warehouse.outbox import (
    Backoff,
    OwedEmail,
    claim_email,
    due_emails,
    mark_failed,
    mark_sent,
    settle_abandoned,
)


class MailServerUnreachableError(Exception):
    """The mail server could not be reached or refused the login; nothing was sent."""


@dataclass(slots=True)
class EmailRun:
    """What one run did with the outbox."""

    is_on: bool = True
    sent: int = 0
    failed: int = 0
    # Owed but not sent now: attachments still being written, or the connection was lost.
    left: int = 0
    # Left `sending` by a run that died, found now (never sent again by itself).
    unconfirmed: int = 0
    errors: list[str] | None = None


def read_attachments(email: OwedEmail) -> list[Attachment]:
    """The HTML report and the annotated workbook, where the feedback step wrote them; a
    return with no problems has neither. Raises OSError when one cannot be read."""
    found = []
    for url in (email.report_url, email.annotated_url):
        if url:
            fs, path = fsspec.core.url_to_fs(url)
            data: bytes = fs.cat_file(path)
            found.append(Attachment(posixpath.basename(path), data))
    return found


def _reason(exc: BaseException, settings: Settings) -> str:
    where = f"{settings.smtp_host}:{settings.smtp_port}" if settings.smtp_host else "pickup"
    text = str(exc).strip() or type(exc).__name__
    return without_secrets(f"Mail server {where}: {type(exc).__name__}: {text}", settings)


def _backoff(settings: Settings) -> Backoff:
    return Backoff(dt.timedelta(seconds=settings.email_retry_seconds), settings.email_max_attempts)


def _send_each(
    engine: Engine,
    mailer: Mailer,
    *,
    due: Sequence[OwedEmail],
    settings: Settings,
    now: dt.datetime,
    run: EmailRun,
) -> None:
    claimant = Claimant.for_this_process()
    backoff = _backoff(settings)
    errors: list[str] = []
    for position, email in enumerate(due):
        try:
            attachments = read_attachments(email)
        except OSError as exc:
            mark_failed(engine, [email], f"Attachment unreadable: {exc}", now, backoff)
            run.failed += 1
            continue
        msgid = message_id(email, settings.smtp_from)
        message = compose(email, attachments, sender=settings.smtp_from, msgid=msgid)
        if not claim_email(engine, email.email_id, claimant, msgid, now):
            continue  # another run took it
        checkpoint("before_email_sent")
        try:
            mailer.send(
                message,
                email.reporter_code,
                f"{report_stem(email.file_name)}-{email.sha256[:12]}-email{email.email_id}",
            )
        except (OSError, smtplib.SMTPException) as exc:
            reason = _reason(exc, settings)
            mark_failed(engine, [email], reason, now, backoff, claimant=claimant)
            run.failed += 1
            errors.append(reason)
            lost = isinstance(exc, smtplib.SMTPServerDisconnected) or not isinstance(
                exc, smtplib.SMTPException
            )
            if lost:
                run.left += len(due) - position - 1  # the connection is gone: next run
                break
            continue
        checkpoint("after_email_sent")
        mark_sent(engine, email.email_id, claimant, dt.datetime.now(dt.UTC))
        run.sent += 1
    run.errors = errors


def send_owed_emails(
    engine: Engine, settings: Settings, *, now: dt.datetime | None = None, last_try: bool = True
) -> EmailRun:
    """Send every email due (up to `warehouse.outbox.EMAILS_PER_RUN`); what happened.

    With `last_try` False, a server that cannot be reached raises MailServerUnreachableError,
    touching nothing, so that the caller can try again soon; otherwise the due emails are
    marked failed, to be tried by a later run after their backoff.
    """
    now = now or dt.datetime.now(dt.UTC)
    run = EmailRun(unconfirmed=settle_abandoned(engine, now))
    mailer = mailer_for(settings)
    if mailer is None:
        run.is_on = False
        return run
    due = due_emails(engine, now)
    if not due:
        return run
    try:
        opened = mailer.__enter__()
    except (OSError, smtplib.SMTPException) as exc:
        reason = _reason(exc, settings)
        if not last_try:
            raise MailServerUnreachableError(reason) from None
        mark_failed(engine, due, reason, now, _backoff(settings))
        run.failed, run.errors = len(due), [reason]
        return run
    try:
        _send_each(engine, opened, due=due, settings=settings, now=now, run=run)
    finally:
        opened.__exit__(None, None, None)
    return run
