"""The quarterly report as one self-contained HTML page: CSS and SVG charts inline.

Nothing is fetched when the page opens (no fonts, scripts, images or style sheets from
anywhere), so it opens offline and from an email attachment, and prints with each section
on a page of its own. Names come from the register and the returns, so the template
autoescapes; only matplotlib's SVG is inserted as markup.
"""

from __future__ import annotations

from functools import lru_cache

from jinja2 import Environment, PackageLoader, StrictUndefined

from extracts.disclosure import SMALLEST_SHOWN, SUPPRESSED
from extracts.report_charts import render_chart
from extracts.report_model import BoardReport


def render_board_report(report: BoardReport) -> str:
    """The whole page for `report`."""
    charts = {
        section.key: render_chart(section.chart, f"chart-{section.key}")
        for section in report.sections
        # A chart of nothing is only axes: the table already says nothing was reported.
        if section.chart is not None and section.chart.categories
    }
    return (
        _environment()
        .get_template("quarterly_report.html.j2")
        .render(
            report=report,
            charts=charts,
            produced=f"{report.produced_at.day} {report.produced_at:%B %Y at %H:%M} UTC",
            suppressed=SUPPRESSED,
            smallest_shown=SMALLEST_SHOWN,
        )
    )


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("extracts", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
