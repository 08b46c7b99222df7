"""Audit rows inserted fast are stored exactly as SQLAlchemy's own INSERT stores them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    insert,
    select,
)

from warehouse.bulk_records import insert_records
from warehouse.engine import cached_warehouse, write_transaction
from warehouse.migrate import upgrade
from warehouse.tables import file_claim

_metadata = MetaData()
_audit = Table(
    "audit",
    _metadata,
    Column("row_id", Integer, primary_key=True),
    Column("label", String),
    Column("at", DateTime(timezone=True)),
    Column("flag", Boolean),
)
_with_default = Table(
    "with_default",
    _metadata,
    Column("row_id", Integer, primary_key=True),
    Column("label", String, default="filled in by Python"),
)
_ENGINE = create_engine("sqlite://")
_metadata.create_all(_ENGINE)

_rows = st.lists(
    st.fixed_dictionaries(
        {
            "label": st.one_of(st.none(), st.text(max_size=8)),
            "at": st.one_of(
                st.none(),
                st.datetimes(
                    min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2200, 1, 1)
                ).map(lambda moment: moment.replace(tzinfo=dt.UTC)),
            ),
            "flag": st.one_of(st.none(), st.booleans()),
        }
    ),
    min_size=1,
    max_size=8,
)


def _stored(table: Table) -> list[tuple[Any, ...]]:
    """What SQLite holds, as SQLite holds it (timestamps as text), and as read back."""
    with _ENGINE.connect() as connection:
        raw = connection.exec_driver_sql(f"SELECT * FROM {table.name} ORDER BY 1").all()
        read = connection.execute(select(table).order_by(table.c.row_id)).all()
    return [tuple(r) for r in raw] + [tuple(r) for r in read]


@settings(max_examples=60, deadline=None)
@given(rows=_rows)
def test_sqlite_stores_what_sqlalchemys_insert_stores(rows: list[dict[str, Any]]) -> None:
    numbered = [{"row_id": i, **row} for i, row in enumerate(rows)]
    with _ENGINE.begin() as connection:
        connection.execute(_audit.delete())
        connection.execute(insert(_audit), numbered)
    expected = _stored(_audit)
    with _ENGINE.begin() as connection:
        connection.execute(_audit.delete())
        insert_records(connection, _audit, numbered)
    assert _stored(_audit) == expected


def test_rows_already_stored_are_left_out_only_when_asked() -> None:
    with _ENGINE.begin() as connection:
        connection.execute(_audit.delete())
        insert_records(connection, _audit, [{"row_id": 1, "label": "first"}])
        insert_records(
            connection,
            _audit,
            [{"row_id": 1, "label": "again"}, {"row_id": 2, "label": "new"}],
            ignore_existing=True,
        )
        labels = connection.execute(select(_audit.c.label).order_by(_audit.c.row_id)).scalars()
        assert list(labels) == ["first", "new"]
    with pytest.raises(Exception, match="UNIQUE"), _ENGINE.begin() as connection:
        insert_records(connection, _audit, [{"row_id": 1, "label": "twice"}])


def test_a_column_python_fills_in_takes_sqlalchemys_own_path() -> None:
    with _ENGINE.begin() as connection:
        insert_records(connection, _with_default, [{"row_id": 7}])
        assert connection.execute(select(_with_default.c.label)).scalar() == "filled in by Python"


def test_an_unknown_column_is_refused() -> None:
    with pytest.raises(ValueError, match="no column"), _ENGINE.begin() as connection:
        insert_records(connection, _audit, [{"row_id": 1, "colour": "red"}])


@pytest.mark.parametrize("warehouse_url", ["sqlite", "postgres"], indirect=True)
def test_a_claim_on_either_backend(warehouse_url: str) -> None:
    """A warehouse table's row, timestamps and all, reads back as it was given; a claim
    already made is kept as it was."""
    engine = cached_warehouse(warehouse_url)
    upgrade(engine)
    at = dt.datetime(2026, 12, 2, 9, 30, 15, 123456, tzinfo=dt.UTC)
    claim = {
        "claim_key": "k1",
        "origin_path": "/landing/S08000024/q1.xlsx",
        "sha256": "0" * 64,
        "claimed_at": at,
        "expires_at": at + dt.timedelta(minutes=10),
        "claim_token": "mine",
        "claimed_by": "host:1:2",
    }
    with write_transaction(engine) as connection:
        insert_records(connection, file_claim, [claim], ignore_existing=True)
        insert_records(
            connection, file_claim, [{**claim, "claim_token": "theirs"}], ignore_existing=True
        )
    with engine.connect() as connection:
        token, claimed_at = connection.execute(
            select(file_claim.c.claim_token, file_claim.c.claimed_at)
        ).one()
    assert token == "mine"
    assert claimed_at.replace(tzinfo=claimed_at.tzinfo or dt.UTC) == at
