"""What the Programme Board's quarterly report holds, as plain data between assembly and page.

`extracts.board_report` fills these from the warehouse, with disclosure control already
applied; `extracts.report_charts` and `extracts.report_page` only draw and lay them out.
A chart therefore never sees a hidden count: its values are parsed back from the text the
table publishes, and a ``*`` there is no bar and no point, only a ``*`` label.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from domain.periods import Period
from extracts.disclosure import SUPPRESSED

ChartKind = Literal["bars", "columns", "lines"]
"""Horizontal bars (one row per category), vertical columns, or lines over quarters."""


@dataclass(frozen=True)
class Series:
    """One series of a chart: a value per category (None: not shown), and the text each
    bar is labelled with (the table's own text, so ``*`` where a count is hidden)."""

    name: str
    values: tuple[float | None, ...]
    labels: tuple[str, ...]


@dataclass(frozen=True)
class Chart:
    """One chart: what it shows, along which categories, and in what unit."""

    kind: ChartKind
    title: str
    categories: tuple[str, ...]
    series: tuple[Series, ...]
    unit: str
    limit: float | None = None  # the value axis's end, e.g. 100 for percentages

    def has_data(self) -> bool:
        return any(value is not None for series in self.series for value in series.values)


@dataclass(frozen=True)
class Table:
    """A table as printed: every cell already text; `numeric` columns align right."""

    caption: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Section:
    """One section of the report: a short introduction, at most one chart, its tables."""

    key: str
    title: str
    intro: str
    tables: tuple[Table, ...]
    chart: Chart | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class BoardReport:
    """The whole report for one quarter."""

    period: Period
    produced_at: dt.datetime
    returns_line: str
    sections: tuple[Section, ...] = field(default_factory=tuple)


def published_number(text: str | None) -> float | None:
    """A published cell as a number to chart: None for a hidden, withheld or empty cell."""
    if text is None or text in {SUPPRESSED, ""}:
        return None
    return float(text.replace(",", "").replace("£", "").rstrip("%"))


def number_text(value: float | None, decimals: int = 0, prefix: str = "", suffix: str = "") -> str:
    """A figure as the report prints it (``£1,200``, ``12.50``, ``4.5%``); empty for none."""
    if value is None:
        return ""
    return f"{prefix}{value:,.{decimals}f}{suffix}"


def bar_series(name: str, texts: list[str]) -> Series:
    """A series charted from the published text of a table's column: ``*`` stays ``*``."""
    return Series(name, tuple(published_number(text) for text in texts), tuple(texts))
