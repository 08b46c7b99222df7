"""The row-value IN: the same rows as a plain one, found through the index on SQLite."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Column, Index, MetaData, String, Table, create_engine, select, tuple_

from warehouse.row_values import row_in

_metadata = MetaData()
_pairs = Table("pairs", _metadata, Column("a", String), Column("b", String))
Index("ix_pairs_a", _pairs.c.a)
_ENGINE = create_engine("sqlite://")
_metadata.create_all(_ENGINE)
_LETTERS = st.sampled_from("pqrs")


@settings(max_examples=50, deadline=None)
@given(
    stored=st.lists(st.tuples(_LETTERS, _LETTERS), max_size=12),
    wanted=st.sets(st.tuples(_LETTERS, _LETTERS), min_size=1, max_size=6),
)
def test_the_same_rows_as_a_plain_row_value_in(
    stored: list[tuple[str, str]], wanted: set[tuple[str, str]]
) -> None:
    with _ENGINE.begin() as connection:
        connection.execute(_pairs.delete())
        if stored:
            connection.execute(_pairs.insert(), [{"a": a, "b": b} for a, b in stored])
        plain = connection.execute(
            select(_pairs.c.a, _pairs.c.b).where(tuple_(_pairs.c.a, _pairs.c.b).in_(list(wanted)))
        ).all()
        found = connection.execute(
            select(_pairs.c.a, _pairs.c.b).where(row_in((_pairs.c.a, _pairs.c.b), wanted))
        ).all()
    assert sorted(found) == sorted(plain)


def test_sqlite_searches_the_index_instead_of_scanning() -> None:
    query = select(_pairs.c.b).where(row_in((_pairs.c.a, _pairs.c.b), [("p", "q"), ("r", "s")]))
    with _ENGINE.connect() as connection:
        compiled = query.compile(connection, compile_kwargs={"render_postcompile": True})
        plan = connection.exec_driver_sql(
            f"EXPLAIN QUERY PLAN {compiled}", tuple(compiled.params.values())
        ).all()
    details = " ".join(str(row[-1]) for row in plan)
    assert "USING INDEX ix_pairs_a" in details, details
    assert "SCAN pairs" not in details, details
