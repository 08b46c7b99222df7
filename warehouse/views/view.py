"""What a warehouse view is: a name, its grain, its layer and one SQLAlchemy Core query.

A view is declared once, as a query; its CREATE VIEW statement, its columns (for the views
built on it) and the tables it reads are all derived from that query, so nothing about a
view is written down twice.
"""

from __future__ import annotations

import enum
import functools
import hashlib
from dataclasses import dataclass, field

from sqlalchemy import Dialect, MetaData, SelectBase, Table
from sqlalchemy.schema import CreateView, DropView
from sqlalchemy.sql.util import find_tables


class Layer(enum.IntEnum):
    """How far a view sits from the tables; each layer reads only from the one below.

    Like a dbt project's staging models and marts: a view that answers a question (a roll-up)
    never reaches past the current figures into the tables where superseded returns live.
    """

    # Reads tables only: the current accepted return of a fact table, the audit trail, and
    # the calendar and register as they stand for each quarter.
    BASE = 1
    # Reads base views and dimension tables only: national figures and the tracker.
    ROLLUP = 2


@dataclass(frozen=True)
class Grain:
    """What one row of a view stands for.

    `keys` are the columns that identify a row (unique together), for the checks and the
    documentation built from the views; `description` says the same for people.
    """

    keys: tuple[str, ...]
    description: str


# Compared by identity: a query's `==` builds SQL rather than comparing.
@dataclass(frozen=True, eq=False)
class View:
    name: str
    layer: Layer
    grain: Grain
    query: SelectBase
    # The view as a table, for queries over it (its columns are the query's, in order).
    table: Table = field(init=False, repr=False, compare=False)
    create: CreateView = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Each view's table gets a MetaData of its own, so that no create_all() or Alembic
        # comparison ever mistakes a view for a table.
        create = CreateView(self.query, self.name, metadata=MetaData())
        object.__setattr__(self, "create", create)
        object.__setattr__(self, "table", create.table)
        missing = set(self.grain.keys) - set(self.columns)
        if missing:
            raise ValueError(f"view {self.name}: grain keys {sorted(missing)} are not columns")

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(self.table.c.keys())

    @property
    def reads(self) -> frozenset[str]:
        """The tables and views this view selects from, by name."""
        return frozenset(table.name for table in find_tables(self.query))

    def ddl(self, dialect: Dialect) -> str:
        """The CREATE VIEW statement in the dialect's SQL, values written in line."""
        return _compiled(self.create, dialect)

    def fingerprint(self, dialect: Dialect) -> str:
        """SHA-256 of `ddl`: equal fingerprints mean the database holds this definition."""
        return hashlib.sha256(self.ddl(dialect).encode()).hexdigest()

    def drop(self) -> DropView:
        return DropView(self.table, if_exists=True)


@functools.lru_cache(maxsize=256)
def _compiled(create: CreateView, dialect: Dialect) -> str:
    """Compiled once per view and engine's dialect in a process: every run checks every
    view's fingerprint before it loads, and compiling them all cost 50 ms a run."""
    return str(create.compile(dialect=dialect))
