"""The quarterly report's charts, drawn with matplotlib as inline SVG.

No pyplot: each chart is a `matplotlib.figure.Figure` of its own on an Agg canvas, so
nothing is left in matplotlib's global state between charts or between reports. Text is
written as SVG text (``svg.fonttype: none``), so the page can be searched, read by a screen
reader and checked; fonts are the reader's own sans-serif, so nothing is fetched. The
values drawn are the published ones only (`extracts.report_model`): a hidden count has no
bar and no point, just a ``*`` label.
"""

from __future__ import annotations

import io
import math
import re
from typing import Any, Final

import matplotlib as mpl
from markupsafe import Markup, escape
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.typing import RcKeyType

from extracts.report_model import Chart

PALETTE: Final = ("#1f5c99", "#e07b39", "#5a9e6f", "#8c6bb1")
WIDTH_INCHES: Final = 7.5
_RC: Final[dict[RcKeyType, Any]] = {
    "svg.fonttype": "none",
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Arial", "Helvetica"],
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


def _plain(text: str) -> str:
    """A label drawn as written: matplotlib would read text between `$` signs as maths."""
    return text.replace("$", r"\$")


def render_chart(chart: Chart, chart_id: str) -> Markup:
    """The chart as an ``<svg>`` element to put in the page, titled for screen readers."""
    rows = len(chart.categories)
    height = (
        max(2.6, 0.5 + 0.28 * rows * max(1, len(chart.series)) ** 0.5)
        if chart.kind == "bars"
        else 3.2
    )
    with mpl.rc_context({**_RC, "svg.hashsalt": chart_id}):
        figure = Figure(figsize=(WIDTH_INCHES, height), layout="constrained")
        FigureCanvasAgg(figure)
        axes = figure.add_subplot()
        _DRAW[chart.kind](axes, chart)
        if chart.limit is not None:
            (axes.set_xlim if chart.kind == "bars" else axes.set_ylim)(0, chart.limit * 1.08)
        if len(chart.series) > 1:
            axes.legend(frameon=False, fontsize=8, loc="best")
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]
    label = escape(chart.title)
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{label}" id="{chart_id}" ', 1)
    # Scale with the page: the figure's size in points becomes its aspect ratio.
    svg = re.sub(r'(<svg[^>]*?) width="[^"]*" height="[^"]*"', r"\1", svg, count=1)
    return Markup(svg)  # noqa: S704 - matplotlib's own SVG, its text escaped by matplotlib


def _values(values: tuple[float | None, ...]) -> list[float]:
    return [math.nan if value is None else value for value in values]


def _bars(axes: Axes, chart: Chart) -> None:
    """Horizontal bars, one row per category, series side by side; labels at the bar ends."""
    count = len(chart.series)
    thickness = 0.8 / count
    positions = range(len(chart.categories))
    for index, series in enumerate(chart.series):
        offsets = [p - 0.4 + thickness * (index + 0.5) for p in positions]
        bars = axes.barh(
            offsets,
            [0.0 if v is None else v for v in series.values],
            height=thickness,
            color=PALETTE[index % len(PALETTE)],
            label=_plain(series.name),
        )
        axes.bar_label(bars, labels=[_plain(t) for t in series.labels], padding=2, fontsize=7)
    axes.set_yticks(list(positions), labels=[_plain(c) for c in chart.categories])
    axes.invert_yaxis()
    axes.set_xlabel(_plain(chart.unit))
    axes.margins(x=0.12)


def _columns(axes: Axes, chart: Chart) -> None:
    """Vertical columns, one group per category, series side by side."""
    count = len(chart.series)
    width = 0.8 / count
    positions = range(len(chart.categories))
    for index, series in enumerate(chart.series):
        offsets = [p - 0.4 + width * (index + 0.5) for p in positions]
        bars = axes.bar(
            offsets,
            [0.0 if v is None else v for v in series.values],
            width=width,
            color=PALETTE[index % len(PALETTE)],
            label=_plain(series.name),
        )
        axes.bar_label(bars, labels=[_plain(t) for t in series.labels], padding=2, fontsize=7)
    axes.set_xticks(list(positions), labels=[_plain(c) for c in chart.categories])
    axes.set_ylabel(_plain(chart.unit))
    axes.margins(y=0.15)


def _lines(axes: Axes, chart: Chart) -> None:
    """A line per series over the categories (quarters); a hidden value leaves a gap."""
    positions = list(range(len(chart.categories)))
    for index, series in enumerate(chart.series):
        axes.plot(
            positions,
            _values(series.values),
            marker="o",
            color=PALETTE[index % len(PALETTE)],
            label=_plain(series.name),
        )
    axes.set_xticks(positions, labels=[_plain(c) for c in chart.categories])
    axes.set_ylabel(_plain(chart.unit))
    axes.set_ylim(bottom=0)


_DRAW: Final = {"bars": _bars, "columns": _columns, "lines": _lines}
