"""Finding the table on many returns' sheets at once.

A backfill reads thousands of small sheets. Locating each sheet's table with its own
polars calls costs far more than the data (each call has a fixed cost), so the sheets of
one layout from a whole chunk of workbooks are stacked into one frame and the header row,
the columns, blank rows and the Total row are found for all of them in a few vectorised
steps. Only the header rows themselves (one per sheet) are looked at in Python, to map
each typed header to its column and name the cell of a duplicate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

import polars as pl

from connectors.text import header_key_columns
from domain.cells import column_letter
from domain.headers import header_keys
from domain.issues import Issue
from domain.layouts import ColumnLayout, SheetLayout
from domain.text import CONTROL_CHARACTERS_PATTERN
from domain.workbook import SHEET_ROW, SheetTable

_GRID: Final = "__grid"
_ROW: Final = "__row"
_FIRST: Final = "__first"
_HEADER_ROW: Final = "__header_row"
_UNNAMED: Final = "__UNNAMED__"


@dataclass(frozen=True, slots=True)
class Grid:
    """One sheet as calamine gives it: strings from row 1, columns in sheet order."""

    frame: pl.DataFrame
    first_column: int  # 0-based index in the sheet of the frame's first column


@dataclass(slots=True)
class Located:
    """What locating one sheet's table gave: the table, or the problems instead."""

    table: SheetTable | None = None
    issues: list[Issue] = field(default_factory=list)


def _positional(grid: Grid) -> pl.DataFrame:
    """The grid with columns named by position, so grids of any width stack together."""
    names = [f"{_UNNAMED}{i}" for i in range(grid.frame.width)]
    return (
        grid.frame
        if grid.frame.columns == names
        else grid.frame.rename(dict(zip(grid.frame.columns, names, strict=True)))
    )


def _stacked(grids: Sequence[Grid]) -> tuple[pl.DataFrame, list[str]]:
    """Every grid's rows in one frame, with the grid's index and the 0-based sheet row."""
    frames = [_positional(g) for g in grids if g.frame.height and g.frame.width]
    owners = [i for i, g in enumerate(grids) if g.frame.height and g.frame.width]
    heights = [grids[i].frame.height for i in owners]
    width = max((g.frame.width for g in grids), default=0)
    columns = [f"{_UNNAMED}{i}" for i in range(width)]
    if not frames:
        schema = {_GRID: pl.Int64, _ROW: pl.Int64, **dict.fromkeys(columns, pl.String)}
        return pl.DataFrame(schema=schema), columns
    index = pl.DataFrame({_GRID: owners, "h": heights}, schema={_GRID: pl.Int64, "h": pl.Int64})
    grid_of_row = index.select(pl.col(_GRID).repeat_by("h").explode()).to_series()
    stacked = (
        pl.concat(frames, how="diagonal")
        .with_columns(grid_of_row)
        .with_columns(pl.int_range(pl.len(), dtype=pl.Int64).over(_GRID).alias(_ROW))
    )
    # Control characters (a NUL from `_x0000_` in the XML, say) go here, once for the chunk:
    # no store or report can hold them (`domain.text`).
    cells = (
        pl.col(c).cast(pl.String).str.replace_all(CONTROL_CHARACTERS_PATTERN, "") for c in columns
    )
    return stacked.select(_GRID, _ROW, *cells), columns


def _header_rows(
    stacked: pl.DataFrame, columns: list[str], layout: SheetLayout
) -> dict[int, tuple[int, tuple[str | None, ...]]]:
    """Each grid's header row: the first row whose first filled cell is the first header.

    Returned as grid -> (0-based row, the row's cells), for the grids that have one.
    """
    if not columns or not stacked.height:
        return {}
    wanted = sorted(layout.first_header.match_keys)
    without_unit, with_unit = header_key_columns(pl.col(_FIRST))
    first_rows = (
        stacked.with_columns(pl.coalesce(columns).alias(_FIRST))
        .filter(pl.col(_FIRST).is_not_null())
        .filter(without_unit.is_in(wanted) | with_unit.is_in(wanted))
        .group_by(_GRID)
        .agg(pl.all().sort_by(_ROW).first())
    )
    return {
        row[0]: (row[1], tuple(row[2 : 2 + len(columns)]))
        for row in first_rows.select(_GRID, _ROW, *columns).iter_rows()
    }


@dataclass(slots=True)
class _Mapping:
    """How one grid's header maps sheet columns to layout columns."""

    source: dict[str, str] = field(default_factory=dict)
    letters: dict[str, str] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    complete: bool = True  # every required column found


def _map_header(
    layout: SheetLayout,
    match_keys: list[tuple[ColumnLayout, frozenset[str]]],
    cells: tuple[str | None, ...],
    row: int,
    first_column: int,
) -> _Mapping:
    """Which column holds which layout column, from the header row's cells (1-based `row`).

    `match_keys` is each layout column with the header keys it answers to.
    """
    mapping = _Mapping()
    start = next(i for i, cell in enumerate(cells) if cell is not None)
    for position, text in list(enumerate(cells))[start:]:
        if text is None:
            continue
        keys = header_keys(text)
        match = next((c for c, c_keys in match_keys if c_keys & keys), None)
        if match is None:
            continue
        letter = column_letter(first_column + position)
        if match.key in mapping.source:
            mapping.issues.append(
                Issue(
                    "error",
                    f"The column '{match.printed}' appears twice; keep one and delete the other.",
                    sheet=layout.name,
                    cell=f"{layout.name}!{letter}{row}",
                    value=text,
                )
            )
            continue
        mapping.source[match.key] = f"{_UNNAMED}{position}"
        mapping.letters[match.key] = letter
    for column in layout.columns:
        if column.key not in mapping.source and not column.optional:
            mapping.complete = False
            mapping.issues.append(
                Issue(
                    "error",
                    f"The {layout.name} sheet has no '{column.printed}' column in its header "
                    f"row (row {row}).",
                    sheet=layout.name,
                    cell=layout.name,
                )
            )
    return mapping


def _no_table(layout: SheetLayout) -> Issue:
    return Issue(
        "error",
        f"The {layout.name} sheet has no table: no row starts with the header "
        f"'{layout.first_header.header}'.",
        sheet=layout.name,
        cell=layout.name,
    )


def _bodies(
    stacked: pl.DataFrame,
    layout: SheetLayout,
    headers: dict[int, int],
    mappings: dict[int, _Mapping],
) -> pl.DataFrame:
    """The rows under each header, columns renamed to layout keys, cleaned, blank rows out.

    Grids that spell their headers alike share one select: a handful of polars calls for
    the whole batch rather than a few per sheet.
    """
    names = [c.key for c in layout.columns]
    by_signature: dict[tuple[str | None, ...], list[int]] = {}
    for grid, mapping in mappings.items():
        by_signature.setdefault(tuple(mapping.source.get(k) for k in names), []).append(grid)
    header_of = pl.DataFrame(
        {_GRID: list(headers), _HEADER_ROW: list(headers.values())},
        schema={_GRID: pl.Int64, _HEADER_ROW: pl.Int64},
    )
    below = stacked.join(header_of, on=_GRID, how="inner").filter(
        pl.col(_ROW) > pl.col(_HEADER_ROW)
    )
    parts = [
        below.filter(pl.col(_GRID).is_in(grids)).select(
            _GRID,
            (pl.col(_ROW) + 1).alias(SHEET_ROW),
            *(
                pl.col(src).alias(key) if src else pl.lit(None, pl.String).alias(key)
                for key, src in zip(names, signature, strict=True)
            ),
        )
        for signature, grids in by_signature.items()
    ]
    schema = {_GRID: pl.Int64, SHEET_ROW: pl.Int64, **dict.fromkeys(names, pl.String)}
    if not parts:
        return pl.DataFrame(schema=schema)
    return (
        pl.concat(parts, how="vertical_relaxed")
        .with_columns(pl.col(names).str.strip_chars().replace("", None))
        .filter(~pl.all_horizontal(pl.col(names).is_null()))
        .sort(_GRID, SHEET_ROW)
    )


def _split_totals(
    body: pl.DataFrame, layout: SheetLayout
) -> tuple[pl.DataFrame, dict[int, tuple[int, dict[str, str | None]]]]:
    """Each grid's last row, when its first cell says Total, taken out of the body."""
    first_key = layout.first_header.key
    is_total = (pl.col(_GRID) != pl.col(_GRID).shift(-1)).fill_null(True) & (
        pl.col(first_key).str.to_lowercase() == "total"
    )
    flagged = body.with_columns(is_total.alias("__total"))
    totals = {
        row[_GRID]: (int(row[SHEET_ROW]), {k: row[k] for k in [c.key for c in layout.columns][1:]})
        for row in flagged.filter(pl.col("__total")).iter_rows(named=True)
    }
    return flagged.filter(~pl.col("__total")).drop("__total"), totals


def locate_tables(layout: SheetLayout, grids: Sequence[Grid]) -> list[Located]:
    """The table on each grid (in order), or the problems that stop it being read."""
    located = [Located() for _ in grids]
    stacked, columns = _stacked(grids)
    headers = _header_rows(stacked, columns, layout)
    mappings: dict[int, _Mapping] = {}
    match_keys = [(column, column.match_keys) for column in layout.columns]
    for index, grid in enumerate(grids):
        if index not in headers:
            located[index].issues.append(_no_table(layout))
            continue
        row, cells = headers[index]
        mapping = _map_header(layout, match_keys, cells, row + 1, grid.first_column)
        located[index].issues.extend(mapping.issues)
        if mapping.complete:
            mappings[index] = mapping
    body = _bodies(stacked, layout, {g: headers[g][0] for g in mappings}, mappings)
    body, totals = _split_totals(body, layout)
    counts = dict(body.group_by(_GRID).len().iter_rows())
    rows = body.drop(_GRID)
    start = 0
    for index in sorted(mappings):
        length = counts.get(index, 0)
        table = SheetTable(layout.name, rows, mappings[index].letters, start=start, length=length)
        if index in totals:
            table.total_row, table.total = totals[index]
        located[index].table = table
        start += length
    return located


__all__ = ["Grid", "Located", "locate_tables"]
