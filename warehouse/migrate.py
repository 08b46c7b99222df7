"""Bringing a warehouse database to the current schema and views.

Every command calls `upgrade` on start, so an empty database (SQLite file or PostgreSQL)
needs no separate set-up step, and an up-to-date one costs a few small reads: whether it
has a schema revision, which, and its views' fingerprints.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Final

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, MetaData, text

from warehouse.engine import write_transaction
from warehouse.tables import metadata
from warehouse.views.refresh import (
    create_views,
    drop_views,
    refresh_views,
    view_metadata,
    views_current,
)

MIGRATIONS = Path(__file__).with_name("migrations")

# What the migrations build, as Alembic compares it with a database: the star schema and
# the views' bookkeeping.
MIGRATED_METADATA: Final[tuple[MetaData, ...]] = (metadata, view_metadata)


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


@functools.cache
def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _at_head(connection: Connection) -> bool:
    return MigrationContext.configure(connection).get_current_revision() == head_revision()


# Any number of commands, watchers and workers may start at once against one empty
# warehouse: one migrates, the others wait for it and find nothing left to do. This key
# names the PostgreSQL advisory lock they queue on (SQLite: the database's write lock).
MIGRATION_LOCK: Final = 7_305_021_943


def _current(engine: Engine) -> bool:
    """Whether the schema and views are up to date: a read, taking no lock."""
    with engine.connect() as connection:
        # At head means the fingerprints' table exists: the check stops before it otherwise.
        return _at_head(connection) and views_current(connection)


def upgrade(engine: Engine) -> None:
    """Migrate the tables to the newest schema, then bring the views up to date.

    An up-to-date warehouse costs a few reads. Otherwise the work happens in one
    transaction, the only one that changes the warehouse's structure, under a lock that
    concurrent starts queue on; whoever gets it second finds the work done. Pending
    migrations run with the views dropped, since they may alter tables the views read
    (PostgreSQL refuses, and SQLite's table rebuilds break, with views in the way).
    """
    if _current(engine):
        return
    with write_transaction(engine) as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        if _at_head(connection):
            refresh_views(connection)
            return
        drop_views(connection)
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
        create_views(connection)
