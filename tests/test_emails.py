"""Reporters told by email: through a real SMTP server (aiosmtpd) the tests start and stop.

Each processed return's registered contacts get one message saying what became of it,
with its counts, its first problems and its feedback attached; an address typed on the
return is used only when registered; a mail server that goes away loses nothing; and
neither a retry nor a run killed at the worst moment sends anything twice.
"""

from __future__ import annotations

import datetime as dt
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import create_engine
from typer.testing import CliRunner

from config.settings import Settings
from feedback.emails import MailServerUnreachableError, send_owed_emails
from flows.ingest import ingest
from intake.contacts import check_contacts
from pimh.cli import app
from tests.builders import changed, valid_return, write
from tests.mail_server import MailServer, mail_server
from tests.queries import query
from tests.services import PIMH, quiet_environment
from warehouse.claims import Claimant
from warehouse.contacts import load_contacts
from warehouse.engine import open_warehouse
from warehouse.outbox import claim_email, due_emails

LOTHIAN, FIFE = "S08000024", "S08000029"
LEAD = "lead.analyst@lothian.example"
SENDER = "a.manager@example.org"  # what tests.builders types in the Cover's Email
CONTACTS = f"""reporter_code,name,email,role
{LOTHIAN},Lothian PIMH lead,{LEAD},lead
{FIFE},Fife PIMH lead,fife.lead@fife.example,lead
{FIFE},A. Manager,{SENDER},sender
"""


@pytest.fixture
def server() -> Iterator[MailServer]:
    with mail_server() as running:
        yield running


def _smtp(settings: Settings, server: MailServer, **more: object) -> Settings:
    return settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": server.port,
            "smtp_starttls": False,
            "smtp_from": "PIMH data team <pimh@data-team.example>",
            **more,
        }
    )


def _register(url: str, text: str = CONTACTS) -> None:
    engine = open_warehouse(url)
    try:
        load_contacts(engine, check_contacts(text.encode(), "contacts.csv", set()))
    finally:
        engine.dispose()


def _outbox(url: str) -> list[tuple[object, ...]]:
    return query(
        url,
        "SELECT reporter_code, outcome, recipients, state, count_attempts, last_error "
        "FROM email_outbox ORDER BY email_id",
    )


# --- what is sent, and to whom ----------------------------------------------------------


@pytest.mark.usefixtures("prefect_harness")
def test_a_rejected_return_is_emailed_once_to_its_registered_contacts_with_its_feedback(
    landing: Path, settings: Settings, server: MailServer, warehouse_url: str
) -> None:
    """It sends one message, to the registered lead only (the typed Email is not one of
    Lothian's contacts), saying rejected, with the counts, the first problem and the HTML
    report and annotated workbook attached."""
    on = _smtp(settings, server, warehouse_url=warehouse_url)
    _register(warehouse_url)
    bad = changed(valid_return(LOTHIAN), "Activity", 0, 2, 130)  # accepted above received
    write(landing / LOTHIAN / "lothian q1.xlsx", bad)

    ingest([str(landing)], on)

    assert len(server.messages) == 1
    received = server.messages[0]
    assert received.recipients == [LEAD]
    assert SENDER not in str(received.message["To"])
    subject = str(received.message["Subject"])
    assert "rejected" in subject
    assert "1 error" in subject
    assert "2022-23 Q1" in subject
    text = received.text()
    assert "was REJECTED: 1 error and 0 warnings" in text
    assert "Activity!C5" in text
    assert "Nothing from this return has been loaded" in text
    attachments = received.attachments()
    assert sorted(name.rsplit(".", 1)[1] for name in attachments) == ["html", "xlsx"]
    assert all(len(data) > 0 for data in attachments.values())
    assert any(name.endswith("-annotated.xlsx") for name in attachments)
    assert [row[:5] for row in _outbox(warehouse_url)] == [(LOTHIAN, "rejected", LEAD, "sent", 0)]

    ingest([str(landing)], on)  # the same files again: nothing new, nothing sent again
    assert len(server.messages) == 1


@pytest.mark.usefixtures("prefect_harness")
def test_the_typed_email_is_used_only_when_it_is_a_registered_contact(
    landing: Path, settings: Settings, server: MailServer
) -> None:
    """A return with warnings from Fife, whose Cover names a registered sender, goes to the
    lead and that sender; accepted with warnings, attachments included."""
    _register(settings.warehouse_url)
    warned = changed(valid_return(FIFE), "Staffing", 0, 3, 2.4)  # in post above funded
    write(landing / FIFE / "fife.xlsx", warned)

    ingest([str(landing)], _smtp(settings, server))

    (received,) = server.messages
    assert sorted(received.recipients) == sorted(["fife.lead@fife.example", SENDER])
    assert "accepted with warnings (0 errors, 1 warning)" in str(received.message["Subject"])
    assert "Its figures are now in the national warehouse" in received.text()
    assert len(received.attachments()) == 2


@pytest.mark.usefixtures("prefect_harness")
def test_a_clean_return_is_told_accepted_and_a_reporter_without_contacts_is_not_emailed(
    landing: Path, settings: Settings, server: MailServer
) -> None:
    """A clean return has no feedback files to attach; a return from a reporter with no
    registered contact is recorded as having nobody to tell, and nothing is sent."""
    _register(settings.warehouse_url)
    write(landing / LOTHIAN / "lothian.xlsx", valid_return(LOTHIAN))
    write(landing / "S08000016" / "borders.xlsx", valid_return("S08000016"))

    ingest([str(landing)], _smtp(settings, server))

    (received,) = server.messages
    assert received.recipients == [LEAD]
    assert "accepted (0 errors, 0 warnings)" in str(received.message["Subject"])
    assert received.attachments() == {}
    states = {row[0]: row[3] for row in _outbox(settings.warehouse_url)}
    assert states == {LOTHIAN: "sent", "S08000016": "no_contact"}


@pytest.mark.usefixtures("prefect_harness")
def test_without_a_mail_server_the_emails_are_written_as_eml_files(
    landing: Path, settings: Settings, tmp_path: Path
) -> None:
    """With no PIMH_SMTP_HOST but a pickup folder, each email is an .eml file there."""
    _register(settings.warehouse_url)
    write(landing / LOTHIAN / "lothian.xlsx", changed(valid_return(LOTHIAN), "Activity", 0, 2, 130))
    pickup = tmp_path / "feedback" / "emails"

    ingest([str(landing)], settings.model_copy(update={"email_pickup_url": str(pickup)}))

    (eml,) = (pickup / LOTHIAN).glob("*.eml")
    assert b"rejected" in eml.read_bytes()
    assert LEAD.encode() in eml.read_bytes()


@pytest.mark.usefixtures("prefect_harness")
def test_the_mail_server_login_is_used_and_its_password_is_never_recorded(
    landing: Path, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """With the right password the email goes; with a wrong one it fails, and the
    password appears in neither the outbox, the logs, nor the settings' repr."""
    _register(settings.warehouse_url)
    write(landing / LOTHIAN / "lothian.xlsx", valid_return(LOTHIAN))
    ingest([str(landing)], settings)
    engine = open_warehouse(settings.warehouse_url)
    with mail_server(login=("pimh", "right-Pa55")) as server:
        wrong = _smtp(settings, server, smtp_username="pimh", smtp_password=SecretStr("wrong-Pa55"))
        assert send_owed_emails(engine, wrong).failed == 1
        ((*_, state, _attempts, error),) = _outbox(settings.warehouse_url)
        assert state == "failed"
        assert "SMTPAuthenticationError" in str(error)
        right = _smtp(settings, server, smtp_username="pimh", smtp_password=SecretStr("right-Pa55"))
        later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
        assert send_owed_emails(engine, right, now=later).sent == 1
    engine.dispose()
    assert len(server.messages) == 1
    for text in (str(error), caplog.text, repr(wrong), repr(right)):
        assert "Pa55" not in text


# --- outages, retries and kills -----------------------------------------------------------


@pytest.mark.usefixtures("prefect_harness")
def test_a_mail_server_outage_loses_nothing_and_the_next_run_sends_each_email_once(
    landing: Path, settings: Settings
) -> None:
    """With the server down the email waits, failed with the reason and a backoff; once
    the server is back the next run sends it, and the run after sends nothing."""
    _register(settings.warehouse_url)
    write(landing / LOTHIAN / "lothian.xlsx", changed(valid_return(LOTHIAN), "Activity", 0, 2, 130))
    ingest([str(landing)], settings)  # email off: owed, not sent
    assert [row[3] for row in _outbox(settings.warehouse_url)] == ["pending"]
    engine = open_warehouse(settings.warehouse_url)
    with mail_server(started=False) as server:
        on = _smtp(settings, server, email_retry_seconds=60)
        now = dt.datetime.now(dt.UTC)

        down = send_owed_emails(engine, on, now=now)

        assert (down.sent, down.failed) == (0, 1)
        ((*_, state, attempts, error),) = _outbox(settings.warehouse_url)
        assert (state, attempts) == ("failed", 1)
        assert f"127.0.0.1:{server.port}" in str(error)
        assert due_emails(engine, now + dt.timedelta(seconds=30)) == []  # backing off

        server.start()
        later = now + dt.timedelta(seconds=61)
        assert send_owed_emails(engine, on, now=later).sent == 1
        assert send_owed_emails(engine, on, now=later + dt.timedelta(hours=1)).sent == 0
        assert len(server.messages) == 1
        assert [row[3] for row in _outbox(settings.warehouse_url)] == ["sent"]
    engine.dispose()


@pytest.mark.usefixtures("prefect_harness")
def test_an_early_try_at_an_unreachable_server_raises_and_leaves_the_outbox_alone(
    landing: Path, settings: Settings
) -> None:
    """Before Prefect's last retry, an unreachable server is an exception (retried soon)
    and no attempt is counted."""
    _register(settings.warehouse_url)
    write(landing / LOTHIAN / "lothian.xlsx", valid_return(LOTHIAN))
    ingest([str(landing)], settings)
    engine = open_warehouse(settings.warehouse_url)
    with mail_server(started=False) as server, pytest.raises(MailServerUnreachableError):
        send_owed_emails(engine, _smtp(settings, server), last_try=False)
    assert [row[3:5] for row in _outbox(settings.warehouse_url)] == [("pending", 0)]
    engine.dispose()


@pytest.mark.usefixtures("prefect_harness")
def test_emails_not_yet_sent_are_shown_by_pimh_status_and_pimh_contacts_outbox(
    landing: Path, settings: Settings
) -> None:
    _register(settings.warehouse_url)
    write(landing / LOTHIAN / "lothian.xlsx", valid_return(LOTHIAN))
    ingest([str(landing)], settings)
    url = ["--warehouse", settings.warehouse_url]
    runner = CliRunner()
    status = runner.invoke(app, ["status", "--year", "2022-23", "--quarter", "Q1", *url])
    assert status.exit_code == 0, status.output
    assert "Emails to reporters: 1 waiting (email is off: PIMH_SMTP_HOST is not set)" in (
        " ".join(status.output.split())
    )
    outbox = runner.invoke(app, ["contacts", "outbox", *url], env={"COLUMNS": "200"})
    assert LEAD in outbox.output
    assert "waiting" in outbox.output


@pytest.mark.usefixtures("prefect_harness")
def test_two_runs_claiming_one_email_only_one_gets_it(
    landing: Path, settings: Settings, warehouse_url: str
) -> None:
    """The claim is a conditional update: the second claimant is refused."""
    on = settings.model_copy(update={"warehouse_url": warehouse_url})
    _register(warehouse_url)
    write(landing / LOTHIAN / "lothian.xlsx", valid_return(LOTHIAN))
    ingest([str(landing)], on)
    engine = open_warehouse(warehouse_url)
    now = dt.datetime.now(dt.UTC)
    (owed,) = due_emails(engine, now)
    first, second = Claimant.for_this_process(), Claimant.for_this_process()
    assert claim_email(engine, owed.email_id, first, "<a@b>", now)
    assert not claim_email(engine, owed.email_id, second, "<a@b>", now)
    assert due_emails(engine, now) == []
    engine.dispose()
    create_engine(warehouse_url).dispose()


@pytest.mark.usefixtures("prefect_harness")
def test_an_email_left_sending_by_a_dead_run_is_unconfirmed_until_the_data_team_resends_it(
    landing: Path, settings: Settings, server: MailServer
) -> None:
    """Claimed by a process that no longer runs, the email is not sent again by itself;
    `pimh contacts resend` owes it again and the next run sends it once."""
    _register(settings.warehouse_url)
    write(landing / LOTHIAN / "lothian.xlsx", valid_return(LOTHIAN))
    ingest([str(landing)], settings)
    engine = open_warehouse(settings.warehouse_url)
    now = dt.datetime.now(dt.UTC)
    (owed,) = due_emails(engine, now)
    dead = Claimant("0" * 32, f"{socket.gethostname()}:999999999:1")
    assert claim_email(engine, owed.email_id, dead, "<x@y>", now)

    on = _smtp(settings, server)
    assert send_owed_emails(engine, on).unconfirmed == 1
    assert send_owed_emails(engine, on).sent == 0
    ((*_, state, _attempts, error),) = _outbox(settings.warehouse_url)
    assert state == "unconfirmed"
    assert f"pimh contacts resend {owed.email_id}" in str(error)

    url = ["--warehouse", settings.warehouse_url]
    resent = CliRunner().invoke(app, ["contacts", "resend", str(owed.email_id), *url])
    assert resent.exit_code == 0, resent.output
    assert send_owed_emails(engine, on).sent == 1
    assert send_owed_emails(engine, on).sent == 0
    engine.dispose()
    assert len(server.messages) == 1


def _run_pimh_ingest(
    landing: Path, root: Path, server: MailServer, prefect_api: str, **fault: str
) -> subprocess.CompletedProcess[str]:
    env = quiet_environment(
        root / "prefect-home",
        PIMH_WAREHOUSE_URL=f"sqlite:///{root / 'warehouse.db'}",
        PIMH_ARCHIVE_URL=str(root / "archive"),
        PIMH_FEEDBACK_URL=str(root / "feedback"),
        PIMH_SETTLE_SECONDS="0",
        PIMH_READER_PROCESSES="0",
        PREFECT_API_URL=prefect_api,
        **server.environment(),
        **fault,
    )
    return subprocess.run(
        [*PIMH, "ingest", str(landing)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.parametrize(
    ("point", "sent_by_killed_run", "state_after_rerun"),
    [
        # Killed once the submission is committed, before anything is sent: the next run
        # sends it.
        ("after_load_chunk", 0, "sent"),
        # Killed after the server took the message, before it was marked sent: never sent
        # again (at most once), shown as unconfirmed for the data team.
        ("after_email_sent", 1, "unconfirmed"),
    ],
)
def test_a_run_killed_between_commit_and_send_then_run_again_sends_each_email_once(
    point: str,
    sent_by_killed_run: int,
    state_after_rerun: str,
    *,
    landing: Path,
    tmp_path: Path,
    server: MailServer,
    prefect_api: str,
) -> None:
    root = tmp_path / "place"
    root.mkdir()
    _register(f"sqlite:///{root / 'warehouse.db'}")
    write(landing / LOTHIAN / "lothian.xlsx", changed(valid_return(LOTHIAN), "Activity", 0, 2, 130))

    killed = _run_pimh_ingest(landing, root, server, prefect_api, PIMH_FAULT_AT=point)
    assert killed.returncode == -9, killed.stdout + killed.stderr
    assert len(server.messages) == sent_by_killed_run

    rerun = _run_pimh_ingest(landing, root, server, prefect_api)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert len(server.messages) == 1
    assert len(server.messages[0].attachments()) == 2
    ((*_, state, _attempts, _error),) = _outbox(f"sqlite:///{root / 'warehouse.db'}")
    assert state == state_after_rerun
