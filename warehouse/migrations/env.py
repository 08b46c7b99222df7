"""Alembic environment: runs on a connection the caller hands over, or on the configured URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, engine_from_config, pool

from warehouse.migrate import MIGRATED_METADATA

config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=list(MIGRATED_METADATA),
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    engine = engine_from_config(
        config.get_section(config.config_ini_section, {}),
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    with engine.connect() as own_connection:
        _run(own_connection)
