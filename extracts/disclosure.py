"""Statistical disclosure control for published tables (SPEC.md, "What the warehouse serves").

Counts of people from 1 to 4 could identify a mother, a father or an infant, so a published
extract shows them as ``*`` (zero stays ``0``: "nobody" identifies nobody), and a
percentage computed from fewer than 5 respondents is left blank.

Hiding the small counts is not enough once a table also shows totals: a row 3, 7, 9 with
total 19 published as ``*``, 7, 9, 19 gives the 3 back by subtraction. `suppress_table`
therefore adds *secondary* suppressions, chosen among the non-zero published cells, until
an attacker who reads the table cannot pin any ``*`` to a single value.

What is guaranteed, for one table as `suppress_table` publishes it:

* every line (each row, each column, the totals row and the totals column) whose total is
  published holds either no ``*`` or at least two, so no ``*`` is the lone unknown of a
  line and subtracting along rows and columns, even reusing recovered values, recovers
  nothing;
* stronger: the attacker may also know that every ``*`` is a positive count (zeros are
  shown), and narrow each ``*`` to a range using every line's total and every other range,
  over and over. No ``*`` is narrowed to a single value. This catches, for instance, a row
  1, 1, 10 whose two ``*`` must both be 1 to make its total 12.
* published counts and totals are the true ones: totals are computed from the true values,
  before anything is hidden.

Limits, what this does not protect against:

* other tables: subtracting this table's published figures from another extract's (a
  different breakdown of the same people, last quarter's cumulative figures) can reveal a
  cell. Only the publisher can check a set of extracts against each other;
* an attacker with a linear-programming solver: the ranges above are narrowed line by line,
  which is what statistical offices call interval (bounds) propagation; an exact LP audit
  of the whole table is stronger, and may, rarely, narrow a ``*`` to a range narrower than
  the line-by-line reasoning does;
* an attacker who knows this algorithm, e.g. that the secondary suppression in a line is the
  smallest non-zero count that was not already hidden;
* ``*`` says the count is positive, not which it is; the suppression pattern is public.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import polars as pl

SUPPRESSED = "*"
"""How a hidden count is published."""

WITHHELD = ""
"""How a withheld percentage is published."""

TOTAL_LABEL = "Total"
"""The row key of the totals line `suppress_table` appends."""

SMALLEST_SHOWN = 5
"""Counts of people from 1 to SMALLEST_SHOWN - 1 are hidden (SPEC.md)."""

Cell = tuple[int, int]
"""(row, column) in the table's grid of numbers, totals included."""


def is_small_count(expr: pl.Expr) -> pl.Expr:
    """True where a count of people is from 1 to 4: the cells the primary rule hides."""
    return expr.is_between(1, SMALLEST_SHOWN - 1)


def suppress_counts(expr: pl.Expr) -> pl.Expr:
    """The primary rule as one expression: counts 1 to 4 become ``*``, others their digits.

    Zero stays ``"0"`` and a missing count stays missing; the output keeps the input's name.
    """
    return (
        pl.when(is_small_count(expr))
        .then(pl.lit(SUPPRESSED))
        .otherwise(expr.cast(pl.String))
        .name.keep()
    )


def withhold_percentages(
    frame: pl.DataFrame,
    numerator: str,
    denominator: str,
    out: str,
    minimum: int = SMALLEST_SHOWN,
) -> pl.DataFrame:
    """Add `out`, the whole-number percentage numerator / denominator, as published text.

    The percentage is withheld (``""``) where fewer than `minimum` people responded, and
    also where the numerator is itself hidden: a published denominator and percentage would
    otherwise give the hidden numerator back (30% of 10 is 3). Halves round away from zero,
    as readers expect (12.5% shows as 13). The numerator and denominator are counts of
    people, so both are replaced by their published text under the primary rule.

    Only the primary rule applies here: if these counts also appear in a table with totals,
    publish that table through `suppress_table`.
    """
    num, den = pl.col(numerator), pl.col(denominator)
    shown = (den >= minimum) & ~is_small_count(num)
    percent = (100 * num / den).round(0, mode="half_away_from_zero").cast(pl.Int64)
    return frame.with_columns(
        pl.when(shown).then(percent.cast(pl.String)).otherwise(pl.lit(WITHHELD)).alias(out),
        suppress_counts(num),
        suppress_counts(den),
    )


def suppress_table(
    frame: pl.DataFrame,
    row_key: str,
    value_columns: list[str],
    *,
    total_row: bool = True,
    total_column: str | None = "total",
) -> pl.DataFrame:
    """The publishable form of a table of counts of people, every cell as text.

    `frame` has one row per category (`row_key`, e.g. the board area) and whole-number
    counts in `value_columns`. The result has `row_key`, the value columns and, unless
    `total_column` is None, each row's total; with `total_row`, a last row keyed
    ``"Total"`` holds the column totals. Totals come from the true counts. A total already
    in `frame` (the `total_column`, or a ``"Total"`` row) is checked against the counts and
    recomputed. Then counts and totals from 1 to 4 are hidden, and further non-zero cells
    are hidden until no ``*`` can be worked out from the published totals (see the module
    docstring for exactly what that guarantees).

    Raises ValueError for missing or negative counts and totals that do not add up: those
    are errors upstream, and guessing here would publish wrong figures.
    """
    body = _category_rows(frame, row_key, value_columns, total_row=total_row)
    _check_supplied_totals(frame, row_key, value_columns, total_column)
    true = _with_totals(body, row_key, value_columns, total_row, total_column)
    numbers = [*value_columns, *([total_column] if total_column else [])]

    grid = _Grid.of(
        true.select(numbers).rows(),
        total_row=total_row,
        total_column=total_column is not None,
    )
    primary = true.select(is_small_count(pl.col(numbers))).rows()
    hidden = grid.protect({(i, j) for i, row in enumerate(primary) for j, h in enumerate(row) if h})
    mask = [[(i, j) in hidden for i in range(true.height)] for j in range(len(numbers))]
    return true.select(
        pl.col(row_key),
        *(
            pl.when(pl.lit(pl.Series(mask[j], dtype=pl.Boolean)))
            .then(pl.lit(SUPPRESSED))
            .otherwise(suppress_counts(pl.col(name)))
            .alias(name)
            for j, name in enumerate(numbers)
        ),
    )


# --- the frame around the grid ------------------------------------------------------------------


def _category_rows(
    frame: pl.DataFrame, row_key: str, value_columns: list[str], *, total_row: bool
) -> pl.DataFrame:
    """The category rows with text keys and Int64 counts, after checking they are counts."""
    missing = [name for name in (row_key, *value_columns) if name not in frame.columns]
    if missing:
        raise ValueError(f"no column {', '.join(missing)} in the table")
    for name in value_columns:
        if not frame.schema[name].is_integer():
            raise ValueError(f"{name} holds {frame.schema[name]}, not whole-number counts")
    values = pl.col(value_columns)
    if frame.select(pl.any_horizontal(values.is_null().any())).item():
        raise ValueError("a count is missing: decide upstream what an empty cell means")
    if frame.select(pl.any_horizontal((values < 0).any())).item():
        raise ValueError("a count is negative: counts of people cannot be")

    keyed = frame.with_columns(pl.col(row_key).cast(pl.String))
    is_total = pl.col(row_key).eq_missing(TOTAL_LABEL)
    body = keyed.filter(~is_total)
    supplied = keyed.filter(is_total)
    if supplied.height:
        if not total_row:
            raise ValueError(f"a {TOTAL_LABEL!r} row was supplied but total_row is False")
        sums = body.select(values.sum()).rows()
        if supplied.height > 1 or supplied.select(values).rows() != sums:
            raise ValueError(f"the {TOTAL_LABEL!r} row does not equal the column sums")
    return body.select(pl.col(row_key), values.cast(pl.Int64))


def _check_supplied_totals(
    frame: pl.DataFrame, row_key: str, value_columns: list[str], total_column: str | None
) -> None:
    """A row-total column already in `frame` must equal the sum of the counts it totals."""
    if total_column is None or total_column not in frame.columns:
        return
    if total_column in value_columns:
        raise ValueError(f"{total_column} cannot be both a count and the row total")
    wrong = frame.filter(
        pl.col(total_column).ne_missing(pl.sum_horizontal(value_columns))
        & pl.col(row_key).cast(pl.String).ne_missing(TOTAL_LABEL)
    )
    if wrong.height:
        rows = wrong[row_key].to_list()
        raise ValueError(f"{total_column} does not equal the sum of the counts in rows {rows}")


def _with_totals(
    body: pl.DataFrame,
    row_key: str,
    value_columns: list[str],
    total_row: bool,
    total_column: str | None,
) -> pl.DataFrame:
    """The true table: category rows, then the row totals and the totals row if asked for."""
    table = body
    if total_column is not None:
        table = table.with_columns(pl.sum_horizontal(value_columns).alias(total_column))
    if total_row:
        numbers = [c for c in table.columns if c != row_key]
        totals = table.select(pl.lit(TOTAL_LABEL).alias(row_key), pl.col(numbers).sum())
        table = pl.concat([table, totals])
    return table


# --- choosing the secondary suppressions --------------------------------------------------------


@dataclass(frozen=True)
class _Line:
    """A row or column whose published total is the sum of its other cells."""

    members: tuple[Cell, ...]
    total: Cell

    @property
    def cells(self) -> tuple[Cell, ...]:
        return (*self.members, self.total)


@dataclass(frozen=True)
class _Grid:
    """The true numbers, totals included, and which lines tie them together.

    A row is a line only when row totals are published, a column only when the totals row
    is; without a published total, a line constrains nothing an attacker can use.
    """

    values: Sequence[Sequence[int]]
    lines: tuple[_Line, ...]
    through: dict[Cell, list[_Line]] = field(default_factory=dict)

    @classmethod
    def of(cls, values: Sequence[Sequence[int]], *, total_row: bool, total_column: bool) -> _Grid:
        height, width = len(values), len(values[0]) if values else 0
        lines: list[_Line] = []
        if total_column:
            lines += [
                _Line(tuple((i, j) for j in range(width - 1)), (i, width - 1))
                for i in range(height)
            ]
        if total_row:
            lines += [
                _Line(tuple((i, j) for i in range(height - 1)), (height - 1, j))
                for j in range(width)
            ]
        grid = cls(values, tuple(lines))
        for line in lines:
            for cell in line.cells:
                grid.through.setdefault(cell, []).append(line)
        return grid

    def value(self, cell: Cell) -> int:
        return self.values[cell[0]][cell[1]]

    @property
    def cells(self) -> list[Cell]:
        return [(i, j) for i, row in enumerate(self.values) for j in range(len(row))]

    def is_total(self, cell: Cell) -> bool:
        return any(line.total == cell for line in self.through.get(cell, []))

    def protect(self, primary: set[Cell]) -> set[Cell]:
        """`primary` plus the fewest-looking complements that leave no hidden cell pinned.

        Greedy, one cell at a time. Each step adds a hidden cell, so it ends; at worst every
        non-zero cell is hidden, and then doubling every hidden value is another consistent
        table, so nothing is pinned.
        """
        hidden = set(primary)
        while (cell := self._next_complement(hidden)) is not None:
            hidden.add(cell)
        return hidden

    def _next_complement(self, hidden: set[Cell]) -> Cell | None:
        """The next cell to hide, or None when no hidden cell can be worked out."""
        for line in self.lines:  # a lone * is its line's total minus the rest
            if sum(cell in hidden for cell in line.cells) == 1:
                return self._choose(hidden, line.cells)
        for line in self.lines:  # every * in the line must be 1 to make the total
            stars = [cell for cell in line.cells if cell in hidden]
            if stars and line.total not in hidden and sum(map(self.value, stars)) == len(stars):
                return self._choose(hidden, line.cells)
        pinned = sorted(self.pinned(hidden))
        if not pinned:
            return None
        near = [cell for line in self.through[pinned[0]] for cell in line.cells]
        return self._choose(hidden, near) or self._choose(hidden, self.cells)

    def _choose(self, hidden: set[Cell], candidates: Iterable[Cell]) -> Cell | None:
        """The complement that costs least: not a total, fixing crossing lines, smallest.

        A zero cannot serve: it is published as structural, so hiding it would add no
        uncertainty to the line.
        """

        def cost(cell: Cell) -> tuple[bool, int, int, int, Cell]:
            counts = [sum(c in hidden for c in line.cells) for line in self.through.get(cell, [])]
            # lines with a lone * that this cell would fix; lines it would leave with one.
            return (self.is_total(cell), -counts.count(1), counts.count(0), self.value(cell), cell)

        options = [c for c in dict.fromkeys(candidates) if c not in hidden and self.value(c)]
        return min(options, key=cost) if options else None

    def pinned(self, hidden: set[Cell]) -> set[Cell]:
        """Hidden cells an attacker narrows to one value from the published table.

        The attacker knows each * is at least 1 and, line by line, bounds each * by its
        line's total minus the bounds of the line's other cells, until nothing changes.
        Bounds only ever tighten around the true value, so this ends.
        """
        low = dict.fromkeys(hidden, 1.0)
        high = dict.fromkeys(hidden, math.inf)
        changed = True
        while changed:
            changed = False
            for line in self.lines:
                # sum(members) - total = 0, i.e. sum(sign * cell) = 0.
                terms = [(cell, 1) for cell in line.members] + [(line.total, -1)]
                unknown = [(cell, sign) for cell, sign in terms if cell in hidden]
                known = sum(sign * self.value(c) for c, sign in terms if c not in hidden)
                for cell, sign in unknown:
                    others = [(c, s) for c, s in unknown if c != cell]
                    least = known + sum(s * (low[c] if s > 0 else high[c]) for c, s in others)
                    most = known + sum(s * (high[c] if s > 0 else low[c]) for c, s in others)
                    # sign * cell = -(known + others), so cell lies in one of these ranges.
                    lo, hi = (-most, -least) if sign > 0 else (least, most)
                    if lo > low[cell] or hi < high[cell]:
                        low[cell], high[cell] = max(low[cell], lo), min(high[cell], hi)
                        changed = True
        return {cell for cell in hidden if low[cell] == high[cell]}
