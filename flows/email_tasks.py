"""The ingest flow's step that tells reporters by email, after their feedback is written.

Only the sending is here; what is owed was written with each submission (see
`warehouse.outbox`), so this step can fail, or the run die, without losing an email.
"""

from __future__ import annotations

from typing import Final

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import task_run

from config.settings import current_settings
from feedback.emails import EmailRun, send_owed_emails
from warehouse.engine import cached_warehouse

# A mail server that cannot be reached is tried again this soon within the run; after the
# last, the emails wait (with backoff, in the outbox) for a later run.
MAIL_SERVER_DELAYS: Final[list[float]] = [2, 10]


@task(
    cache_policy=NO_CACHE,
    retries=len(MAIL_SERVER_DELAYS),
    retry_delay_seconds=MAIL_SERVER_DELAYS,
)
def send_reporter_emails(warehouse_url: str) -> EmailRun:
    """Send the emails owed to reporters whose feedback is written (this run's and any
    earlier run's); off unless PIMH_SMTP_HOST (or PIMH_EMAIL_PICKUP_URL) is set."""
    attempt = task_run.run_count  # 0 outside a Prefect run (a test calling .fn())
    last_try = attempt == 0 or attempt > len(MAIL_SERVER_DELAYS)
    run = send_owed_emails(cached_warehouse(warehouse_url), current_settings(), last_try=last_try)
    if run.is_on and (run.sent or run.failed or run.unconfirmed):
        get_run_logger().info(
            "Reporter emails: %d sent, %d failed (to be retried), %d unconfirmed.",
            run.sent,
            run.failed,
            run.unconfirmed,
        )
    return run
