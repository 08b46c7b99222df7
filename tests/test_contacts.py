"""The reporters' contacts list: read and checked like the register, loaded whole or not.

Every problem names the CSV line and the column's value in plain English, all at once;
unknown reporters and addresses that are not addresses are refused; spreadsheet habits
are forgiven.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from domain.contacts import is_email_address
from intake.contacts import check_contacts
from pimh.cli import app
from tests.queries import query
from warehouse.engine import open_warehouse
from warehouse.outbox import Backoff

HEADER = "reporter_code,name,email,role"
CHARITY = "SC040000"


def _problems(*lines: str, known: set[str] | None = None) -> list[str]:
    data = "\n".join([HEADER, *lines]).encode()
    return list(check_contacts(data, "contacts.csv", known or {CHARITY}).problems)


def test_spreadsheet_habits_are_forgiven_and_normalised() -> None:
    """A BOM, CRLF, header spelling, a board's name, a lower-case charity number and
    `Lead` are all read as meant; blank lines are skipped; extra columns are ignored."""
    data = (
        "\ufeffReporter Code,Name,EMAIL,Role,Notes\r\n"
        "NHS Lothian,Ann Lead, ann@nhs.scot ,Lead,x\r\n"
        "\r\n"
        "sc040000,Bob Sender,bob@charity.org.uk,sender,\r\n"
        "S08000029,Cy Default,cy@nhs.scot,,\r\n"
    ).encode()
    checked = check_contacts(data, "contacts.csv", {CHARITY})
    assert checked.problems == ()
    assert checked.entries.rows() == [
        ("S08000024", "Ann Lead", "ann@nhs.scot", "lead", 2),
        (CHARITY, "Bob Sender", "bob@charity.org.uk", "sender", 4),
        ("S08000029", "Cy Default", "cy@nhs.scot", "lead", 5),
    ]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            "S08000099,A,a@nhs.scot,lead",
            "contacts.csv line 2: 'S08000099' is not a board code or name, nor a charity number",
        ),
        (",A,a@nhs.scot,lead", "contacts.csv line 2: reporter_code is empty"),
        (
            "SC999999,A,a@x.org,lead",
            "contacts.csv line 2: charity number 'SC999999' is not on the register of funded "
            "organisations",
        ),
        ("S08000024,,a@nhs.scot,lead", "contacts.csv line 2: name is empty"),
        ("S08000024,A,,lead", "contacts.csv line 2: email is empty"),
        (
            "S08000024,A,a.nhs.scot,lead",
            "contacts.csv line 2: 'a.nhs.scot' is not an email address (it has no '@')",
        ),
        ("S08000024,A,a b@nhs.scot,lead", "(it contains a space)"),
        ('S08000024,A,"a@nhs.scot, b@nhs.scot",lead', "give one address per line"),
        ("S08000024,A,a@localhost,lead", "its domain has no dot"),
        ("S08000024,A,a..b@nhs.scot,lead", "'a..b@nhs.scot' is not an email address"),
        (
            "S08000024,A,a@nhs.scot,boss",
            "contacts.csv line 2: 'boss' is not a role; expected lead or sender",
        ),
        ("S08000024,A,a@nhs.scot,lead,extra", "contacts.csv line 2: 5 values where the header"),
    ],
)
def test_each_rule_names_the_line_and_the_value(line: str, message: str) -> None:
    (problem,) = _problems(line)
    assert message in problem


def test_every_problem_is_found_in_one_pass_in_line_order() -> None:
    problems = _problems(
        "S08000024,Ann,ann@nhs.scot,lead",
        "S08000099,,not-an-address,boss",
        "S08000024,Ann again,ANN@nhs.scot,sender",
    )
    assert [p.split(":")[0] for p in problems] == ["contacts.csv line 3"] * 4 + [
        "contacts.csv line 4"
    ]
    assert "already a contact of S08000024 on line 2" in problems[-1]


def test_a_header_with_no_contact_or_a_missing_column_is_a_problem() -> None:
    assert "no contact follows the header" in _problems()[0]
    data = b"reporter_code,name,role\nS08000024,Ann,lead\n"
    (problem,) = check_contacts(data, "contacts.csv", set()).problems
    assert problem.startswith("contacts.csv line 1: the header has no 'email' column")


@given(
    local=st.from_regex(r"[a-z0-9_+-]{1,20}(\.[a-z0-9_+-]{1,10}){0,2}", fullmatch=True),
    domain=st.from_regex(r"[a-z0-9]{1,20}(\.[a-z]{2,10}){1,3}", fullmatch=True),
)
def test_every_ordinary_address_is_accepted(local: str, domain: str) -> None:
    assert is_email_address(f"{local}@{domain}")


@given(text=st.text(min_size=1, max_size=40))
def test_no_address_with_a_space_a_comma_or_no_at_sign_is_accepted(text: str) -> None:
    if " " in text or "," in text or "@" not in text:
        assert not is_email_address(text)


def test_backoff_doubles_and_stops_at_six_hours() -> None:
    backoff = Backoff(dt.timedelta(seconds=60), max_attempts=10)
    assert [backoff.wait(n).total_seconds() for n in (1, 2, 3)] == [60, 120, 240]
    assert backoff.wait(30) == dt.timedelta(hours=6)


# --- the command --------------------------------------------------------------------------


def test_pimh_contacts_load_prints_every_problem_and_stores_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'w.db'}"
    bad = tmp_path / "contacts.csv"
    bad.write_text(f"{HEADER}\nS08000024,Ann,ann at nhs.scot,lead\nSC123456,Bob,bob@x.org,\n")
    result = CliRunner().invoke(app, ["contacts", "load", str(bad), "--warehouse", url])
    assert result.exit_code == 2
    assert "was not loaded: 2 problems to fix" in result.output
    assert "contacts.csv line 2: 'ann at nhs.scot' is not an email address" in result.output
    assert "Traceback" not in result.output
    assert query(url, "SELECT COUNT(*) FROM reporter_contact") == [(0,)]


def test_pimh_contacts_load_replaces_the_list_and_list_shows_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'w.db'}"
    first, second = tmp_path / "one.csv", tmp_path / "two.csv"
    first.write_text(f"{HEADER}\nS08000024,Ann,ann@nhs.scot,lead\nS08000029,Cy,cy@nhs.scot,\n")
    second.write_text(f"{HEADER}\nS08000024,Dee,dee@nhs.scot,sender\n")
    runner = CliRunner()
    loaded = runner.invoke(app, ["contacts", "load", str(first), "--warehouse", url])
    assert "2 contacts for 2 reporters (replacing 0)" in loaded.output
    again = runner.invoke(app, ["contacts", "load", str(second), "--warehouse", url])
    assert "1 contact for 1 reporter (replacing 2)" in again.output
    listed = runner.invoke(app, ["contacts", "list", "--warehouse", url], terminal_width=120)
    assert "dee@nhs.scot" in listed.output
    assert "ann@nhs.scot" not in listed.output
    open_warehouse(url).dispose()


def test_pimh_contacts_resend_names_an_email_that_does_not_exist(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'w.db'}"
    result = CliRunner().invoke(app, ["contacts", "resend", "7", "--warehouse", url])
    assert result.exit_code == 2
    assert "There is no email 7" in result.output
