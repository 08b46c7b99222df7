"""Bringing a warehouse database to the current schema and views.

Every command calls `upgrade` on start, so an empty database (SQLite file or PostgreSQL)
needs no separate set-up step, and an up-to-date one costs three small queries: whether
it has a schema revision, which, and its views' fingerprints.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Final

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, MetaData

from warehouse.tables import metadata
from warehouse.views.refresh import create_views, drop_views, refresh_views, view_metadata

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
def _head() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _at_head(connection: Connection) -> bool:
    return MigrationContext.configure(connection).get_current_revision() == _head()


def upgrade(engine: Engine) -> None:
    """Migrate the tables to the newest schema, then bring the views up to date.

    Both happen in one transaction, the only one that changes the warehouse's structure.
    Pending migrations run with the views dropped, since they may alter tables the views
    read (PostgreSQL refuses, and SQLite's table rebuilds break, with views in the way).
    """
    with engine.begin() as connection:
        if _at_head(connection):
            refresh_views(connection)
            return
        drop_views(connection)
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
        create_views(connection)
