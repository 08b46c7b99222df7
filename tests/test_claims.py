"""Claiming files in the warehouse: each file recorded and loaded once, however many runs."""

from __future__ import annotations

import datetime as dt
import os
import socket
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, update

from tests.queries import query
from tests.warehouse_builders import facts, record
from warehouse.claims import Claimant, claim, claim_key, release_claims
from warehouse.engine import open_warehouse, write_transaction
from warehouse.load import load_submissions
from warehouse.migrate import upgrade
from warehouse.tables import file_claim

LOTHIAN, FIFE = "S08000024", "S08000029"
LEASE = 600.0


@pytest.fixture
def engine(warehouse_url: str) -> Iterator[Engine]:
    engine = open_warehouse(warehouse_url)
    upgrade(engine)
    try:
        yield engine
    finally:
        engine.dispose()


def _files(*records: object) -> list[tuple[str, str]]:
    return [(r.origin_path, r.sha256) for r in records]  # type: ignore[attr-defined]


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def test_the_first_claim_wins_and_the_second_run_passes_the_files_by(engine: Engine) -> None:
    first, second = Claimant.for_this_process(), Claimant.for_this_process()
    files = _files(record(0, LOTHIAN), record(1, FIFE))

    mine = claim(engine, files, first, LEASE)
    theirs = claim(engine, files, second, LEASE)

    assert len(mine.claimed) == 2
    assert theirs.claimed == set()
    assert theirs.busy == mine.claimed


def test_a_recorded_file_is_never_claimed_again(engine: Engine) -> None:
    """Once a run records a file, its claim is settled: every later run finds it recorded."""
    run = Claimant.for_this_process()
    lothian = record(0, LOTHIAN)
    claim(engine, _files(lothian), run, LEASE)
    load_submissions(engine, [lothian], facts([lothian]), claim_token=run.token)

    later = claim(engine, _files(lothian), Claimant.for_this_process(), LEASE)

    assert later.recorded == {claim_key(lothian.origin_path, lothian.sha256)}
    assert later.claimed == set()


def test_a_file_recorded_before_claims_were_kept_is_recorded(engine: Engine) -> None:
    """A warehouse loaded before claims existed: its recorded files count as recorded."""
    lothian = record(0, LOTHIAN)
    load_submissions(engine, [lothian], facts([lothian]))

    found = claim(engine, _files(lothian), Claimant.for_this_process(), LEASE)

    assert found.recorded == {claim_key(lothian.origin_path, lothian.sha256)}


def test_a_claim_of_a_process_that_died_on_this_machine_is_taken_at_once(engine: Engine) -> None:
    files = _files(record(0, LOTHIAN))
    # A holder on this host whose process start time does not match: it has gone.
    dead = Claimant("d" * 32, f"{socket.gethostname()}:{os.getpid()}:1")
    claim(engine, files, dead, LEASE)

    retaken = claim(engine, files, Claimant.for_this_process(), LEASE)

    assert len(retaken.claimed) == 1


def test_another_machines_claim_is_taken_only_once_its_lease_ran_out(engine: Engine) -> None:
    files = _files(record(0, LOTHIAN))
    elsewhere = Claimant("e" * 32, "another-host:123:456")
    claim(engine, files, elsewhere, LEASE)

    assert claim(engine, files, Claimant.for_this_process(), LEASE).busy
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=LEASE + 1)
    assert len(claim(engine, files, Claimant.for_this_process(), LEASE, now=later).claimed) == 1


def test_a_run_that_lost_its_claim_records_nothing(engine: Engine) -> None:
    """A slow run whose claim was taken over writes no submission for the file, so the
    file cannot be recorded twice whichever run finishes first."""
    slow, fast = Claimant.for_this_process(), Claimant.for_this_process()
    lothian = record(0, LOTHIAN)
    claim(engine, _files(lothian), slow, LEASE)
    with write_transaction(engine) as connection:  # the lease ran out and `fast` took it
        connection.execute(update(file_claim).values(claim_token=fast.token))

    loaded = load_submissions(engine, [lothian], facts([lothian]), claim_token=slow.token)

    assert loaded.ids == {}
    assert loaded.taken_elsewhere == {0}
    assert query(_url(engine), "SELECT COUNT(*) FROM submission") == [(0,)]


def test_a_failed_run_gives_its_claims_back(engine: Engine) -> None:
    run = Claimant.for_this_process()
    files = _files(record(0, LOTHIAN), record(1, FIFE))
    claim(engine, files, run, LEASE)

    release_claims(engine, run)

    assert len(claim(engine, files, Claimant.for_this_process(), LEASE).claimed) == 2
