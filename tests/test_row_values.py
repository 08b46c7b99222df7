"""Many tuples looked up at once: exactly the rows a plain row-value IN finds, found
through the index on SQLite."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Column, Index, MetaData, String, Table, create_engine, select, tuple_

from warehouse.row_values import each_in, keep_only

_metadata = MetaData()
_pairs = Table("pairs", _metadata, Column("a", String), Column("b", String), Column("c", String))
Index("ix_pairs_a", _pairs.c.a)
_ENGINE = create_engine("sqlite://")
_metadata.create_all(_ENGINE)
_LETTERS = st.sampled_from("pqrs")
_MAYBE = st.one_of(st.none(), _LETTERS)


@settings(max_examples=80, deadline=None)
@given(
    stored=st.lists(st.tuples(_MAYBE, _MAYBE, _LETTERS), max_size=12),
    wanted=st.sets(st.tuples(_MAYBE, _MAYBE), min_size=1, max_size=6),
    width=st.sampled_from([1, 2]),
)
def test_exactly_the_rows_of_a_plain_row_value_in(
    stored: list[tuple[str | None, str | None, str]],
    wanted: set[tuple[str | None, str | None]],
    width: int,
) -> None:
    """With the first column alone or both IN their values, then narrowed: the rows a
    row-value IN finds, the other columns with them (None, stored or asked for, never
    matches)."""
    with _ENGINE.begin() as connection:
        connection.execute(_pairs.delete())
        if stored:
            connection.execute(_pairs.insert(), [{"a": a, "b": b, "c": c} for a, b, c in stored])
        plain = connection.execute(
            select(_pairs.c.a, _pairs.c.b, _pairs.c.c).where(
                tuple_(_pairs.c.a, _pairs.c.b).in_(list(wanted))
            )
        ).all()
        found = connection.execute(
            select(_pairs.c.a, _pairs.c.b, _pairs.c.c).where(
                *each_in((_pairs.c.a, _pairs.c.b)[:width], wanted)
            )
        ).all()
    assert sorted(keep_only(found, wanted)) == sorted(plain)


def test_only_the_distinct_values_are_bound() -> None:
    """A backfill's 1,920 periods bind their few reporters, years and quarters, not every
    value of every period."""
    periods = [(f"R{n % 48}", f"20{n % 40:02d}", f"Q{n % 4 + 1}") for n in range(1920)]
    query = select(_pairs.c.a).where(*each_in((_pairs.c.a, _pairs.c.b, _pairs.c.c), periods))
    compiled = query.compile(_ENGINE, compile_kwargs={"render_postcompile": True})
    assert len(compiled.params) == 48 + 40 + 4


def test_sqlite_searches_the_index_instead_of_scanning() -> None:
    query = select(_pairs.c.b).where(*each_in((_pairs.c.a, _pairs.c.b), [("p", "q"), ("r", "s")]))
    with _ENGINE.connect() as connection:
        compiled = query.compile(connection, compile_kwargs={"render_postcompile": True})
        plan = connection.exec_driver_sql(
            f"EXPLAIN QUERY PLAN {compiled}", tuple(compiled.params.values())
        ).all()
    details = " ".join(str(row[-1]) for row in plan)
    assert "USING INDEX ix_pairs_a" in details, details
    assert "SCAN pairs" not in details, details
