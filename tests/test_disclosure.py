"""Statistical disclosure control of published extracts (SPEC.md, "What the warehouse serves").

Counts of people from 1 to 4 are shown as `*`, zero stays 0, percentages from fewer than 5
respondents are not shown; secondary suppression keeps totals from giving a hidden count
back; text a spreadsheet would run as a formula is neutralised.

The property tests play the attacker: they read only the published table (as a reader of
the extract would) and try to work out every `*`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extracts import neutralise_text, suppress_counts, suppress_table, withhold_percentages

Cell = tuple[int, int]
Grid = list[list[int | None]]


def table(**columns: list[int]) -> pl.DataFrame:
    """A table of counts by board area: areas A, B, C... in order."""
    height = len(next(iter(columns.values())))
    areas = [chr(ord("A") + i) for i in range(height)]
    return pl.DataFrame(
        {"area": areas, **columns}, schema_overrides=dict.fromkeys(columns, pl.Int64)
    )


def published(frame: pl.DataFrame, columns: list[str]) -> dict[str, list[str]]:
    """The published cells, area by area: {"A": ["*", "10", ...], ..., "Total": [...]}."""
    return {row[0]: list(row[1:]) for row in frame.select("area", *columns).rows()}


# --- the primary rule ---------------------------------------------------------------------------


def test_it_hides_counts_of_one_to_four_and_shows_zero_and_five() -> None:
    """SPEC.md: counts of people from 1 to 4 are shown as *, and zero stays 0."""
    counts = pl.DataFrame({"n": [0, 1, 3, 4, 5, 27, None]}, schema={"n": pl.Int64})
    shown = counts.select(suppress_counts(pl.col("n")))["n"].to_list()
    assert shown == ["0", "*", "*", "*", "5", "27", None]


# --- tables with totals --------------------------------------------------------------------------


def test_it_publishes_true_totals_and_hides_only_what_it_must() -> None:
    """Totals are the sums of the true counts; a 2x2 block of * in rows and columns of
    published totals already protects itself, so nothing else is hidden."""
    frame = suppress_table(table(x=[3, 4, 10], y=[2, 1, 20]), "area", ["x", "y"])
    assert published(frame, ["x", "y", "total"]) == {
        "A": ["*", "*", "5"],
        "B": ["*", "*", "5"],
        "C": ["10", "20", "30"],
        "Total": ["17", "23", "40"],
    }


def test_it_hides_a_second_cell_so_a_lone_hidden_count_cannot_be_worked_out() -> None:
    """It suppresses a second cell so a lone suppressed count cannot be worked out from the
    row total: with 3, 10, 12 and total 25, hiding only the 3 would give it back as 25 - 22.
    The second cell is the smallest non-zero count of the row, not its total."""
    frame = suppress_table(
        table(x=[3, 20, 30], y=[10, 40, 50], z=[12, 60, 70]), "area", ["x", "y", "z"]
    )
    row = published(frame, ["x", "y", "z", "total"])["A"]
    assert row == ["*", "*", "12", "25"]
    assert subtraction_attack(frame, total_row=True, total_column=True) == {}


def test_it_hides_a_total_of_one_to_four() -> None:
    """A total is a count of people too: a row total of 1 or 2 is shown as *."""
    frame = suppress_table(table(x=[1, 0, 10], y=[0, 2, 20]), "area", ["x", "y"])
    rows = published(frame, ["x", "y", "total"])
    assert rows["A"] == ["*", "0", "*"]
    assert rows["B"] == ["0", "*", "*"]


def test_it_never_hides_a_zero_to_protect_another_cell() -> None:
    """A zero is shown as 0 whatever happens: hiding it as the second cell would add no
    doubt, since the reader would still know the hidden count from the rest."""
    frame = suppress_table(
        table(x=[3, 20, 30], y=[0, 40, 50], z=[8, 60, 70]), "area", ["x", "y", "z"]
    )
    assert published(frame, ["x", "y", "z", "total"])["A"][:3] == ["*", "0", "*"]


def test_it_does_not_leave_hidden_ones_that_must_all_be_one() -> None:
    """A row 1, 1, 10 with total 12 shown as *, *, 10, 12: both * are positive, so both must
    be 1. A third cell is hidden."""
    frame = suppress_table(
        table(x=[1, 20, 30], y=[1, 40, 50], z=[10, 60, 70]), "area", ["x", "y", "z"]
    )
    assert published(frame, ["x", "y", "z"])["A"] == ["*", "*", "*"]
    assert interval_attack(frame, total_row=True, total_column=True) == {}


def test_it_finds_counts_pinned_across_rows_and_columns() -> None:
    """Two * in every line is not always enough. Here, with 0, 0, 1 / 0, 0, 5 / 0, 1, 1
    and only the lone * fixed, the area totals * + 5 + * = 8 with the C total at least 2
    (two positive *) pin A's total to 1, and everything else follows. It hides more."""
    frame = suppress_table(
        table(c0=[0, 0, 0], c1=[0, 0, 1], c2=[1, 5, 1]), "area", ["c0", "c1", "c2"]
    )
    assert published(frame, ["c2", "total"])["B"] == ["*", "*"]
    assert interval_attack(frame, total_row=True, total_column=True) == {}


def test_it_checks_totals_it_is_given_and_recomputes_them() -> None:
    """A total column or "Total" row already in the table is kept when it adds up, refused
    when it does not (publishing a total that disagrees with its cells would be wrong)."""
    counts = table(x=[6, 7], y=[8, 9])
    expected = suppress_table(counts, "area", ["x", "y"])
    with_totals = pl.concat(
        [
            counts.with_columns(total=pl.col("x") + pl.col("y")),
            table(x=[13], y=[17]).with_columns(area=pl.lit("Total"), total=pl.lit(30, pl.Int64)),
        ]
    )
    assert suppress_table(with_totals, "area", ["x", "y"]).equals(expected)
    with pytest.raises(ValueError, match="sum"):
        suppress_table(counts.with_columns(total=pl.lit(1, pl.Int64)), "area", ["x", "y"])
    with pytest.raises(ValueError, match="Total"):
        suppress_table(with_totals.with_columns(x=pl.lit(99, pl.Int64)), "area", ["x", "y"])


@pytest.mark.parametrize(
    ("counts", "message"),
    [
        (
            pl.DataFrame({"area": ["A"], "x": [None]}, schema={"area": pl.String, "x": pl.Int64}),
            "missing",
        ),
        (table(x=[-1]), "negative"),
        (pl.DataFrame({"area": ["A"], "x": [1.5]}), "whole-number"),
        (pl.DataFrame({"area": ["A"]}), "no column x"),
    ],
    ids=["missing", "negative", "fractional", "absent"],
)
def test_it_refuses_what_is_not_a_table_of_counts(counts: pl.DataFrame, message: str) -> None:
    """Missing, negative or fractional counts are upstream errors; guessing would publish
    wrong figures."""
    with pytest.raises(ValueError, match=message):
        suppress_table(counts, "area", ["x"])


# --- percentages ------------------------------------------------------------------------------


def test_it_withholds_percentages_from_fewer_than_five_respondents() -> None:
    """SPEC.md: percentages from fewer than 5 respondents are not shown. Nor where the
    numerator is hidden: 30% of 10 would give the hidden 3 back. Halves round up."""
    outcomes = pl.DataFrame({"respondents": [4, 5, 10, 10, 0, 40], "improving": [2, 5, 3, 7, 0, 5]})
    result = withhold_percentages(outcomes, "improving", "respondents", "percent_improving")
    assert result.to_dict(as_series=False) == {
        "respondents": ["*", "5", "10", "10", "0", "40"],
        "improving": ["*", "5", "*", "7", "0", "5"],
        "percent_improving": ["", "100", "", "70", "", "13"],
    }


# --- formula injection ----------------------------------------------------------------------------


def test_it_neutralises_text_a_spreadsheet_would_run_as_a_formula() -> None:
    """Text beginning with =, +, - or @ gets a leading ' in CSV and XLSX; other text and
    numbers (negative ones included) are untouched."""
    frame = pl.DataFrame(
        {
            "name": ["=SUM(A1)", "+1", "-x", "@cmd", "a=b", "plain", None],
            "tag": pl.Series(["=1", "b", "c", "d", "e", "f", "g"], dtype=pl.Categorical),
            "n": [-1, 2, 3, 4, 5, 6, 7],
        }
    )
    result = neutralise_text(frame)
    assert result["name"].to_list() == ["'=SUM(A1)", "'+1", "'-x", "'@cmd", "a=b", "plain", None]
    assert result["tag"].to_list()[:2] == ["'=1", "b"]
    assert result["n"].to_list() == frame["n"].to_list()


# --- the attacker ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """A published row or column: its cells add up to its total cell."""

    members: tuple[Cell, ...]
    total: Cell


def lines(height: int, width: int, *, total_row: bool, total_column: bool) -> list[Line]:
    """The published sums of a grid whose last row/column are the totals, where published."""
    found: list[Line] = []
    if total_column:
        found += [
            Line(tuple((i, j) for j in range(width - 1)), (i, width - 1)) for i in range(height)
        ]
    if total_row:
        found += [
            Line(tuple((i, j) for i in range(height - 1)), (height - 1, j)) for j in range(width)
        ]
    return found


def read_grid(frame: pl.DataFrame, columns: list[str]) -> Grid:
    """What a reader sees: every number, None where the extract shows *."""
    return [
        [None if cell == "*" else int(cell) for cell in row] for row in frame.select(columns).rows()
    ]


def published_columns(frame: pl.DataFrame) -> list[str]:
    return [c for c in frame.columns if c != "area"]


def subtraction_attack(
    frame: pl.DataFrame, *, total_row: bool, total_column: bool
) -> dict[Cell, int]:
    """Every * the reader works out exactly: a line with one unknown gives it as its total
    minus the rest; recovered values feed further lines until nothing more comes out."""
    columns = published_columns(frame)
    grid = read_grid(frame, columns)
    sums = lines(len(grid), len(columns), total_row=total_row, total_column=total_column)
    recovered: dict[Cell, int] = {}
    progress = True
    while progress:
        progress = False
        for line in sums:
            cells = (*line.members, line.total)
            unknown = [c for c in cells if grid[c[0]][c[1]] is None]
            if len(unknown) != 1:
                continue
            (cell,) = unknown
            members = sum(grid[i][j] or 0 for i, j in line.members)
            total = grid[line.total[0]][line.total[1]] or 0
            grid[cell[0]][cell[1]] = members if cell == line.total else total - members
            recovered[cell] = grid[cell[0]][cell[1]] or 0
            progress = True
    return recovered


def interval_attack(frame: pl.DataFrame, *, total_row: bool, total_column: bool) -> dict[Cell, int]:
    """Every * the reader pins down knowing each * is a positive count (zeros are shown):
    each line's total bounds each of its * by what the others can be, repeatedly."""
    columns = published_columns(frame)
    grid = read_grid(frame, columns)
    sums = lines(len(grid), len(columns), total_row=total_row, total_column=total_column)
    stars = [(i, j) for i, row in enumerate(grid) for j, v in enumerate(row) if v is None]
    low: dict[Cell, float] = dict.fromkeys(stars, 1)
    high: dict[Cell, float] = dict.fromkeys(stars, math.inf)

    def bounds(cell: Cell) -> tuple[float, float]:
        value = grid[cell[0]][cell[1]]
        return (low[cell], high[cell]) if value is None else (value, value)

    progress = True
    while progress:
        progress = False
        for line in sums:
            member_bounds = [bounds(c) for c in line.members]
            total_low, total_high = bounds(line.total)
            for index, cell in enumerate(line.members):
                if cell not in low:
                    continue
                others_low = sum(lo for k, (lo, _) in enumerate(member_bounds) if k != index)
                others_high = sum(hi for k, (_, hi) in enumerate(member_bounds) if k != index)
                progress |= tighten(
                    low, high, cell, total_low - others_high, total_high - others_low
                )
            if line.total in low:
                progress |= tighten(
                    low,
                    high,
                    line.total,
                    sum(lo for lo, _ in member_bounds),
                    sum(hi for _, hi in member_bounds),
                )
    return {cell: int(low[cell]) for cell in stars if low[cell] == high[cell]}


def tighten(
    low: dict[Cell, float], high: dict[Cell, float], cell: Cell, lo: float, hi: float
) -> bool:
    """Narrow the cell's range to [lo, hi]; True if it narrowed."""
    if lo <= low[cell] and hi >= high[cell]:
        return False
    low[cell], high[cell] = max(low[cell], lo), min(high[cell], hi)
    return True


# --- properties over random tables --------------------------------------------------------------

# About half the counts 0..5, so small counts (and zeros) are common, as in a rural board.
counts = st.one_of(st.integers(0, 5), st.integers(0, 30))


@dataclass(frozen=True)
class Case:
    """A random table and how it is published."""

    counts: pl.DataFrame
    total_row: bool
    total_column: str | None

    def publish(self) -> pl.DataFrame:
        values = [c for c in self.counts.columns if c != "area"]
        return suppress_table(
            self.counts, "area", values, total_row=self.total_row, total_column=self.total_column
        )

    def truth(self) -> list[list[int]]:
        """The true grid, totals included, laid out as published."""
        frame = self.counts.drop("area")
        if self.total_column:
            frame = frame.with_columns(pl.sum_horizontal(pl.all()).alias(self.total_column))
        if self.total_row:
            frame = pl.concat([frame, frame.sum()])
        return [list(row) for row in frame.rows()]


@st.composite
def cases(draw: st.DrawFn) -> Case:
    height, width = draw(st.integers(2, 6)), draw(st.integers(2, 5))
    grid = draw(
        st.lists(st.lists(counts, min_size=width, max_size=width), min_size=height, max_size=height)
    )
    frame = table(**{f"c{j}": [row[j] for row in grid] for j in range(width)})
    total_row, total_column = draw(
        st.sampled_from([(True, "total"), (True, None), (False, "total")])
    )
    return Case(frame, total_row, total_column)


properties = settings(deadline=None, max_examples=200, suppress_health_check=[HealthCheck.too_slow])


def attack_args(case: Case) -> dict[str, bool]:
    return {"total_row": case.total_row, "total_column": case.total_column is not None}


@properties
@given(cases())
def test_no_hidden_count_can_be_worked_out_by_subtraction(case: Case) -> None:
    """A reader subtracting along rows and columns, reusing every value recovered, recovers
    no * at all."""
    frame = case.publish()
    assert subtraction_attack(frame, **attack_args(case)) == {}


@properties
@given(cases())
def test_every_line_with_a_hidden_count_hides_at_least_two(case: Case) -> None:
    """Every row and column whose total is published, the totals line included, has no *
    or at least two (counting its total)."""
    frame = case.publish()
    grid = read_grid(frame, published_columns(frame))
    for line in lines(len(grid), len(grid[0]), **attack_args(case)):
        stars = sum(grid[i][j] is None for i, j in (*line.members, line.total))
        assert stars != 1, line


@properties
@given(cases())
def test_no_hidden_count_is_pinned_by_knowing_stars_are_positive(case: Case) -> None:
    """Stronger: a reader who also knows every * is at least 1 and narrows each * to a
    range, line by line and round again, narrows none to a single value."""
    frame = case.publish()
    assert interval_attack(frame, **attack_args(case)) == {}


@properties
@given(cases())
def test_published_figures_are_the_true_ones(case: Case) -> None:
    """Every figure shown, totals included, is the true count or true sum; every count of 1
    to 4 is hidden; zeros are always shown."""
    frame = case.publish()
    shown = frame.select(published_columns(frame)).rows()
    assert frame["area"].to_list() == [*case.counts["area"], *(["Total"] * case.total_row)]
    for published_row, true_row in zip(shown, case.truth(), strict=True):
        for cell, value in zip(published_row, true_row, strict=True):
            if 1 <= value <= 4:
                assert cell == "*"
            elif value == 0:
                assert cell == "0"
            else:
                assert cell in {"*", str(value)}
