"""One downstream row's figures traced back to their cells, now and in every earlier version.

Reads the `lineage` and `submissions` views only, so whatever may read those (a read-only
role too) can explain a figure. The keys naming a row are its view's grain; a view's
measures, in order, are its sheet's layout's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from sqlalchemy import Connection, select

from domain.layouts import BQR
from warehouse.views.catalogue import VIEWS_BY_NAME
from warehouse.views.current import submissions
from warehouse.views.lineage import FIGURE_SHEETS, lineage

_PERIOD: Final = ("financial_year", "quarter")


class FigureNotFoundError(LookupError):
    """What was asked for is not in the warehouse; the message says which part, plainly."""


@dataclass(frozen=True, slots=True)
class Figure:
    measure: str
    value: float | None
    cell: str | None
    is_derived: bool


@dataclass(slots=True)
class Version:
    """One submission of the reporter's return for the quarter, and its figures for the row.

    A rejected return has no figures: nothing from it reached the warehouse tables.
    """

    submission_id: int
    file_name: str
    sha256: str
    received_at: dt.datetime
    status: str
    figures: list[Figure] = field(default_factory=list)


@dataclass(slots=True)
class Explanation:
    """A row's figures in every version of its return, in arrival order."""

    view: str
    keys: dict[str, str]
    versions: list[Version]

    @property
    def current(self) -> Version | None:
        """The version the downstream views serve, when it has this row."""
        return next((v for v in self.versions if v.status == "accepted" and v.figures), None)


def row_keys(view: str) -> tuple[str, ...]:
    """The keys naming one row of a figure view: its grain."""
    return VIEWS_BY_NAME[view].grain.keys


def reporter_key(view: str) -> str:
    """The key naming the reporter: a board sends board returns, a charity the others."""
    return "board_code" if FIGURE_SHEETS[view] in BQR.sheets else "charity_number"


def measures(view: str) -> tuple[str, ...]:
    return tuple(column.fact_key for column in FIGURE_SHEETS[view].measures)


def measure_kind(view: str, measure: str) -> str:
    """`count`, `wte` or `pounds`: how a figure of the measure is written."""
    return next(c.kind for c in FIGURE_SHEETS[view].measures if c.fact_key == measure)


def unknown_view(view: str) -> str | None:
    """Why `view` cannot be explained, or None when it can."""
    if view in FIGURE_SHEETS:
        return None
    return f"There is no view of figures called '{view}'; choose one of {', '.join(FIGURE_SHEETS)}."


_WORDS: Final = {"board_code": "board", "charity_number": "charity"}


def describe(keys: Mapping[str, str]) -> str:
    """The keys as a phrase: `board S08000024, 2022-23 Q1, service CPMHT`."""
    named = {k: v for k, v in keys.items() if k not in _PERIOD}
    words = [f"{_WORDS.get(key, key.replace('_', ' '))} {value}" for key, value in named.items()]
    if "financial_year" in keys and "quarter" in keys:
        words.insert(1 if words else 0, f"{keys['financial_year']} {keys['quarter']}")
    return ", ".join(words)


def _versions(
    connection: Connection, view: str, keys: Mapping[str, str], measure: str | None
) -> list[Version]:
    table = lineage.table
    query = select(table).where(table.c.view_name == view)
    for key, value in keys.items():
        query = query.where(table.c[key] == value)
    if measure is not None:
        query = query.where(table.c.measure == measure)
    order = {name: position for position, name in enumerate(measures(view))}
    versions: dict[int, Version] = {}
    for row in connection.execute(query).mappings():
        version = versions.setdefault(
            row["submission_id"],
            Version(
                row["submission_id"],
                row["file_name"],
                row["sha256"],
                row["received_at"],
                row["status"],
            ),
        )
        version.figures.append(
            Figure(row["measure"], row["value"], row["cell"], bool(row["is_derived"]))
        )
    for version in versions.values():
        version.figures.sort(key=lambda figure: order[figure.measure])
    return list(versions.values())


def _rejected(connection: Connection, view: str, keys: Mapping[str, str]) -> list[Version]:
    """The reporter's rejected returns for the quarter: versions with no figures."""
    table = submissions.table
    template = "BQR" if FIGURE_SHEETS[view] in BQR.sheets else "TSR"
    rows = connection.execute(
        select(table).where(
            table.c.template == template,
            table.c.reporter_code == keys[reporter_key(view)],
            table.c.financial_year == keys["financial_year"],
            table.c.quarter == keys["quarter"],
            table.c.status == "rejected",
        )
    ).mappings()
    return [
        Version(r["submission_id"], r["file_name"], r["sha256"], r["received_at"], r["status"])
        for r in rows
    ]


def _not_found(view: str, keys: Mapping[str, str], rejected: int, in_quarter: bool) -> str:
    reporter = reporter_key(view)
    who = f"{_WORDS[reporter]} {keys[reporter]}"
    period = f"{keys['financial_year']} {keys['quarter']}"
    if in_quarter:
        row = {k: v for k, v in keys.items() if k not in (reporter, *_PERIOD)}
        return f"The {view} figures of {who} for {period} have no row for {describe(row)}."
    if rejected:
        return (
            f"No {view} figures from {who} for {period} are in the warehouse: its "
            f"{rejected} return(s) for the quarter were rejected."
        )
    return f"No {view} figures from {who} for {period} are in the warehouse."


def explain_figures(
    connection: Connection, view: str, keys: Mapping[str, str], measure: str | None = None
) -> Explanation:
    """Every version of one row's figures (or of one of its measures), with their cells.

    `keys` holds the view's row keys (`row_keys`), and may narrow by more (a fund).
    Raises FigureNotFoundError, saying what is missing, when no version has the row.
    """
    problem = unknown_view(view)
    if problem is not None:
        raise FigureNotFoundError(problem)
    if measure is not None and measure not in measures(view):
        raise FigureNotFoundError(
            f"The {view} view has no measure '{measure}'; its measures are "
            f"{', '.join(measures(view))}."
        )
    found = _versions(connection, view, keys, measure)
    rejected = _rejected(connection, view, keys)
    if not found:
        reporter = reporter_key(view)
        quarter = {k: keys[k] for k in (reporter, *_PERIOD)}
        in_quarter = bool(_versions(connection, view, quarter, measure))
        raise FigureNotFoundError(_not_found(view, keys, len(rejected), in_quarter))
    versions = sorted([*found, *rejected], key=lambda v: (v.received_at, v.submission_id))
    return Explanation(view, dict(keys), versions)
