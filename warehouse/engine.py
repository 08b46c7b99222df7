"""Opening the warehouse named by a SQLAlchemy URL, tuned for how each backend is used.

SQLite: pysqlite's own transaction handling starts a transaction only at the first
write, so a run's reads and its writes would see different moments, and two processes
that both read and then write could fail each other with "database is locked" at once
rather than wait. Transactions are therefore begun explicitly: plain `BEGIN` for
reading, `BEGIN IMMEDIATE` (the write lock, waited for up to the busy timeout) for every
transaction opened with `write_transaction`, so concurrent runs and workers queue.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Final

from sqlalchemy import Connection, Engine, create_engine, event

WRITING: Final = "pimh_writing"
# How long a SQLite writer waits for another's write lock before giving up.
SQLITE_BUSY_MILLISECONDS: Final = 60_000


def _sqlite_connect(dbapi_connection: Any, _: object) -> None:
    # WAL lets readers (dashboards) query while a load writes; foreign keys are off by default.
    dbapi_connection.isolation_level = None  # transactions begin in `_sqlite_begin`
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MILLISECONDS}")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    writing = connection.get_execution_options().get(WRITING, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")


def open_warehouse(url: str) -> Engine:
    # A server's connections can go away (a restart, an outage): each is checked as it is
    # taken from the pool, so a retry after an outage gets a live one.
    engine = create_engine(url, pool_pre_ping=not url.startswith("sqlite"))
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that will write: on SQLite it holds the write lock from its start.

    Committed when the block ends, rolled back if it raises (as `Engine.begin`).
    """
    with engine.execution_options(**{WRITING: True}).begin() as connection:
        yield connection


@functools.cache
def cached_warehouse(url: str) -> Engine:
    """One engine (and connection pool) per warehouse URL for the life of the process."""
    return open_warehouse(url)
