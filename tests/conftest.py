"""Fixtures shared by the test suite: warehouses on both backends, settings, Prefect.

PostgreSQL tests use a real server: a throw-away database per test, dropped afterwards.
The server is PIMH_TEST_POSTGRES_URL (default: the machine's service on 127.0.0.1:5432).
Where it is unreachable they skip, unless CI or PIMH_REQUIRE_POSTGRES is set, where
they fail: CI must run them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings as hypothesis_settings
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from config.settings import Settings
from pimh.prefect_env import apply_defaults
from tests.reliability import demo_quarter, run_ingest, snapshot, sqlite_place
from tests.services import processes, start_prefect_server

apply_defaults()

# Property tests check what is true of every input, not how fast: with two pytest workers
# on two cores (and CI beside them) a 200 ms deadline fails a correct test now and then.
hypothesis_settings.register_profile("pimh", deadline=None)
hypothesis_settings.load_profile("pimh")

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def _postgres_required() -> bool:
    return bool(os.environ.get("CI") or os.environ.get("PIMH_REQUIRE_POSTGRES"))


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    url = os.environ.get("PIMH_TEST_POSTGRES_URL", DEFAULT_POSTGRES)
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as exc:
        message = f"PostgreSQL is not reachable at {make_url(url).render_as_string()}: {exc}"
        if _postgres_required():
            pytest.fail(message)
        pytest.skip(message)
    finally:
        engine.dispose()
    return url


@pytest.fixture
def postgres_url(postgres_admin_url: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test."""
    name = f"pimh_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(postgres_admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        from warehouse.engine import cached_warehouse

        cached_warehouse.cache_clear()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'warehouse.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def warehouse_url(request: pytest.FixtureRequest) -> str:
    """An empty warehouse database, once on SQLite and once on PostgreSQL."""
    return str(request.getfixturevalue(f"{request.param}_url"))


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    folder = tmp_path / "landing"
    folder.mkdir()
    return folder


@pytest.fixture
def settings(tmp_path: Path, sqlite_url: str) -> Settings:
    """Settings for a test: everything under tmp_path, files taken at once."""
    return Settings(
        warehouse_url=sqlite_url,
        archive_url=str(tmp_path / "archive"),
        feedback_url=str(tmp_path / "feedback"),
        settle_seconds=0,
        reader_processes=0,
    )


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One temporary Prefect server for every flow test of the session."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


# --- the running pipeline: real processes (tests/services.py, tests/reliability.py) -------


@pytest.fixture(scope="session")
def prefect_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One real Prefect server for the session's runs of `pimh` in subprocesses (each run
    then starts no temporary server of its own), stopped by its PID at the end."""
    with processes() as running:
        yield start_prefect_server(running, tmp_path_factory.mktemp("prefect"))


@pytest.fixture(scope="session")
def quarter(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return demo_quarter(tmp_path_factory.mktemp("quarter"))


@pytest.fixture(scope="session")
def clean(
    quarter: tuple[Path, Path], prefect_api: str, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """What a run that is never interrupted leaves."""
    place = sqlite_place(tmp_path_factory.mktemp("clean"))
    result = run_ingest(place, *quarter, prefect_api)
    assert result.returncode == 0, result.stdout + result.stderr
    left = snapshot(place, quarter[0])
    assert len(left["submissions"]) == 44  # 13 boards and 31 charities
    assert left["feedback files"]
    return left
