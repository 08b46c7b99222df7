"""Keeping the database's views equal to their definitions, outside the migration history.

Migrations create and alter tables only; views are replaceable objects, rebuilt from
`ALL_VIEWS` whenever their compiled definitions change, as dbt rebuilds its views on
every run. Each view's fingerprint (SHA-256 of its CREATE VIEW statement in the
database's dialect) is recorded in `view_fingerprint`, so an unchanged warehouse costs a
single query to check, and editing a view never changes what an old migration does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    MetaData,
    String,
    Table,
    delete,
    insert,
    inspect,
    select,
)
from sqlalchemy.schema import DropView

from warehouse.readonly import regrant
from warehouse.tables import metadata as table_metadata
from warehouse.views.catalogue import ALL_VIEWS

# Apart from the star schema's metadata: this table serves the views' upkeep, not the data.
view_metadata = MetaData(naming_convention=table_metadata.naming_convention)

view_fingerprint = Table(
    "view_fingerprint",
    view_metadata,
    Column("view_name", String(63), primary_key=True),
    Column("ddl_sha256", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    comment=(
        "One row per view of the warehouse as last created: the SHA-256 of its CREATE VIEW "
        "statement, so that views are recreated only when their definitions change."
    ),
)


def _wanted_fingerprints(connection: Connection) -> dict[str, str]:
    return {view.name: view.fingerprint(connection.dialect) for view in ALL_VIEWS}


def _recorded_fingerprints(connection: Connection) -> dict[str, str]:
    rows = connection.execute(select(view_fingerprint.c.view_name, view_fingerprint.c.ddl_sha256))
    return dict(rows.all())


def drop_views(connection: Connection, also: Iterable[str] = ()) -> None:
    """Drop the warehouse's views, dependants first, after any named in `also`.

    `also` names views no longer defined, which may read the others. Views missing from
    the database are skipped, so this is safe on a warehouse of any age. The fingerprints
    go with the views: a migration's downgrade drops them, and the next start must make
    them again rather than find them "current".
    """
    for name in also:
        connection.execute(DropView(Table(name, MetaData()), if_exists=True))
    for view in reversed(ALL_VIEWS):
        connection.execute(view.drop())
    if inspect(connection).has_table(view_fingerprint.name):
        connection.execute(delete(view_fingerprint))


def create_views(connection: Connection) -> None:
    """Create every view, in order, and record their fingerprints (none may exist yet).

    Dropping a view dropped its grants: the read-only roles get theirs again here.
    """
    for view in ALL_VIEWS:
        connection.execute(view.create)
    regrant(connection)
    created_at = dt.datetime.now(dt.UTC)
    connection.execute(delete(view_fingerprint))
    connection.execute(
        insert(view_fingerprint),
        [
            {"view_name": name, "ddl_sha256": sha256, "created_at": created_at}
            for name, sha256 in _wanted_fingerprints(connection).items()
        ],
    )


def views_current(connection: Connection) -> bool:
    """Whether every view is as defined (read only: no lock is taken to ask)."""
    return _recorded_fingerprints(connection) == _wanted_fingerprints(connection)


def refresh_views(connection: Connection) -> bool:
    """Recreate the views if any definition differs from the one last created.

    All are rebuilt together: dropping one that others read would need them dropped too,
    and rebuilding them is cheap. Returns whether the views were rebuilt.
    """
    recorded = _recorded_fingerprints(connection)
    if recorded == _wanted_fingerprints(connection):
        return False
    drop_views(connection, also=recorded.keys() - {view.name for view in ALL_VIEWS})
    create_views(connection)
    return True
