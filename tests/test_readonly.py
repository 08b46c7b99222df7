"""Read-only access: `pimh warehouse grant-readonly ROLE`, tried by logging in as the role.

Against the real PostgreSQL server: the role reads every view of SPEC.md's downstream
contract and `lineage`, still after the views are recreated; it writes nothing and reads
no table, least of all those holding reporters' names and e-mail addresses.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner, Result

from config.settings import Settings
from flows.ingest import ingest
from pimh.cli import app
from tests.builders import valid_return, write
from tests.queries import query
from tests.spec_contract import DOWNSTREAM_CONTRACT
from warehouse.engine import open_warehouse
from warehouse.migrate import upgrade

PASSWORD = "correct horse battery staple"
READABLE = (*DOWNSTREAM_CONTRACT, "lineage")
PRIVATE = ("submission", "validation_issue", "fact_staffing", "received_file", "file_claim")
INSUFFICIENT_PRIVILEGE = "42501"
READ_ONLY_TRANSACTION = "25006"


def _grant(url: str, role: str, **env: str) -> Result:
    return CliRunner().invoke(
        app,
        ["warehouse", "grant-readonly", role, "--warehouse", url],
        env={"COLUMNS": "200", **env},
    )


def _ingest(tmp_path: Path, url: str, board: str) -> None:
    landing = tmp_path / f"landing-{board}"
    write(landing / board / f"{board}.xlsx", valid_return(board))
    ingest(
        [str(landing)],
        Settings(
            warehouse_url=url,
            archive_url=str(tmp_path / "archive"),
            feedback_url=str(tmp_path / "feedback"),
            settle_seconds=0,
            reader_processes=0,
        ),
    )


def _as(url: str, role: str) -> str:
    return make_url(url).set(username=role, password=PASSWORD).render_as_string(False)


def _sqlstate(url: str, sql: str, *, read_write: bool = False) -> str | None:
    """The SQLSTATE `sql` fails with when run as the URL's role (None: it worked)."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            if read_write:  # past the role's read-only default, to meet its privileges
                connection.execute(text("SET TRANSACTION READ WRITE"))
            connection.execute(text(sql))
    except DBAPIError as exc:
        return str(getattr(exc.orig, "sqlstate", "?"))
    finally:
        engine.dispose()
    return None


@pytest.fixture
def role(postgres_url: str) -> Iterator[str]:
    """A role name of the test's own (roles belong to the whole server), dropped after."""
    name = f"analyst_{uuid.uuid4().hex[:8]}"
    yield name
    engine = create_engine(postgres_url)
    with engine.begin() as connection:
        exists = connection.execute(
            text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": name}
        ).first()
        if exists:
            connection.execute(text(f'DROP OWNED BY "{name}"'))
            connection.execute(text(f'DROP ROLE "{name}"'))
    engine.dispose()


@pytest.mark.postgres
@pytest.mark.usefixtures("prefect_harness")
def test_a_read_only_role_reads_the_views_and_nothing_else(
    tmp_path: Path, postgres_url: str, role: str
) -> None:
    """It logs in and reads every contract view and `lineage`; it cannot write a table,
    even in a read-write transaction, nor read the tables with reporters' details; and it
    still reads every view once the views have been recreated and another return loaded."""
    _ingest(tmp_path, postgres_url, "S08000024")

    result = _grant(postgres_url, role, PIMH_READONLY_PASSWORD=PASSWORD)

    assert result.exit_code == 0, result.output
    assert f"Created the login role {role}" in result.output
    assert PASSWORD not in result.output
    assert query(
        postgres_url,
        "SELECT rolcanlogin, rolsuper, rolpassword LIKE 'SCRAM-SHA-256$%' FROM pg_authid "
        "WHERE rolname = :r",
        r=role,
    ) == [(True, False, True)]
    reader = _as(postgres_url, role)
    for view in READABLE:
        assert _sqlstate(reader, f"SELECT * FROM {view}") is None, view
    assert query(reader, "SELECT COUNT(*) FROM staffing") == [(4,)]
    explained = CliRunner().invoke(
        app,
        ["explain", "finance", "--board", "S08000024", "--service", "IMH", "--year", "2022-23",
         "--quarter", "Q1", "--warehouse", reader],
    )  # fmt: skip
    assert explained.exit_code == 0, explained.output
    assert "Finance!B6" in explained.output
    for table in PRIVATE:
        assert _sqlstate(reader, f"SELECT * FROM {table}") == INSUFFICIENT_PRIVILEGE, table
    writes = (
        "INSERT INTO dim_service (service_code, service_name) VALUES ('X', 'X')",
        "UPDATE submission SET contact_email = 'x@example.org'",
        "DELETE FROM fact_staffing",
        "CREATE TABLE mine (n integer)",
    )
    for sql in writes:
        assert _sqlstate(reader, sql) == READ_ONLY_TRANSACTION, sql
        assert _sqlstate(reader, sql, read_write=True) == INSUFFICIENT_PRIVILEGE, sql

    # A changed view definition: the next start drops and recreates every view.
    before = query(postgres_url, "SELECT MAX(created_at) FROM view_fingerprint")
    with create_engine(postgres_url).begin() as connection:
        connection.execute(
            text("UPDATE view_fingerprint SET ddl_sha256 = :old WHERE view_name = 'staffing'"),
            {"old": "0" * 64},
        )
    _ingest(tmp_path, postgres_url, "S08000016")

    assert query(postgres_url, "SELECT MAX(created_at) FROM view_fingerprint") != before
    for view in READABLE:
        assert _sqlstate(reader, f"SELECT * FROM {view}") is None, view
    assert query(reader, "SELECT COUNT(DISTINCT board_code) FROM staffing") == [(2,)]
    assert _sqlstate(reader, "SELECT * FROM submission") == INSUFFICIENT_PRIVILEGE


@pytest.mark.postgres
def test_an_existing_role_is_brought_back_to_read_only(postgres_url: str, role: str) -> None:
    """A role given more since (a table, creating databases) has it taken away again, and
    keeps its password when asked to."""
    upgrade(open_warehouse(postgres_url))
    assert _grant(postgres_url, role, PIMH_READONLY_PASSWORD=PASSWORD).exit_code == 0
    with create_engine(postgres_url).begin() as connection:
        connection.execute(text(f'GRANT SELECT, INSERT ON submission TO "{role}"'))
        connection.execute(text(f'ALTER ROLE "{role}" CREATEDB'))
    reader = _as(postgres_url, role)
    assert _sqlstate(reader, "SELECT * FROM submission") is None

    result = CliRunner().invoke(
        app, ["warehouse", "grant-readonly", role, "--keep-password", "--warehouse", postgres_url]
    )

    assert result.exit_code == 0, result.output
    assert f"Updated the login role {role}" in result.output
    assert _sqlstate(reader, "SELECT * FROM submission") == INSUFFICIENT_PRIVILEGE
    assert query(postgres_url, "SELECT rolcreatedb FROM pg_roles WHERE rolname = :r", r=role) == [
        (False,)
    ]
    assert query(postgres_url, "SELECT role_name FROM readonly_role") == [(role,)]


@pytest.mark.postgres
def test_a_role_that_cannot_be_read_only_is_refused(postgres_url: str) -> None:
    """A superuser (here, the warehouse's own role), a name that needs quoting, and no
    password given: exit 2 and one plain sentence each, nothing changed."""
    upgrade(open_warehouse(postgres_url))
    cases = {
        "postgres": "is a superuser or the warehouse's own role",
        'Robert"; DROP TABLE submission; --': "cannot be a read-only role's name",
        f"new_{uuid.uuid4().hex[:8]}": "No password: set PIMH_READONLY_PASSWORD",
    }
    for role, expected in cases.items():
        env = {"PIMH_READONLY_PASSWORD": PASSWORD} if not role.startswith("new_") else {}
        result = _grant(postgres_url, role, **env)
        assert result.exit_code == 2, (role, result.output)
        assert expected in " ".join(result.output.split()), result.output
    assert query(postgres_url, "SELECT COUNT(*) FROM readonly_role") == [(0,)]
    assert query(postgres_url, "SELECT rolsuper FROM pg_roles WHERE rolname = 'postgres'") == [
        (True,)
    ]


def test_sqlite_says_read_only_roles_are_for_postgresql(sqlite_url: str) -> None:
    """A SQLite warehouse has no roles: a plain message and exit 2."""
    result = _grant(sqlite_url, "analyst", PIMH_READONLY_PASSWORD=PASSWORD)

    assert result.exit_code == 2
    assert "Read-only roles are a PostgreSQL feature" in result.output


@pytest.mark.postgres
def test_a_role_reaching_a_table_through_another_is_refused(postgres_url: str, role: str) -> None:
    """A role that belongs to one that may read `submission` would still read it: refused,
    and nothing about the role is changed."""
    upgrade(open_warehouse(postgres_url))
    group = f"{role}_group"
    with create_engine(postgres_url).begin() as connection:
        connection.execute(text(f'CREATE ROLE "{role}" NOLOGIN'))
        connection.execute(text(f'CREATE ROLE "{group}" NOLOGIN'))
        connection.execute(text(f'GRANT SELECT ON submission TO "{group}"'))
        connection.execute(text(f'GRANT "{group}" TO "{role}"'))
    try:
        result = _grant(postgres_url, role, PIMH_READONLY_PASSWORD=PASSWORD)

        assert result.exit_code == 2, result.output
        assert f"The role {role} could still read or change submission" in " ".join(
            result.output.split()
        )
        assert query(
            postgres_url, "SELECT rolcanlogin FROM pg_roles WHERE rolname = :r", r=role
        ) == [(False,)]
        assert query(postgres_url, "SELECT COUNT(*) FROM readonly_role") == [(0,)]
    finally:
        with create_engine(postgres_url).begin() as connection:
            connection.execute(text(f'DROP OWNED BY "{group}"'))
            connection.execute(text(f'DROP ROLE "{group}"'))
