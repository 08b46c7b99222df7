"""Opening the warehouse named by a SQLAlchemy URL, tuned for how each backend is used."""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import Engine, create_engine, event


def _sqlite_pragmas(dbapi_connection: Any, _: object) -> None:
    # WAL lets readers (dashboards) query while a load writes; foreign keys are off by default.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def open_warehouse(url: str) -> Engine:
    engine = create_engine(url, future=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


@functools.cache
def cached_warehouse(url: str) -> Engine:
    """One engine (and connection pool) per warehouse URL for the life of the process."""
    return open_warehouse(url)
