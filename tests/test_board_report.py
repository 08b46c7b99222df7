"""`pimh report`: the Programme Board's quarterly report, opened in real headless Chromium.

The warehouse is built by the ingest flow from real workbooks: two boards and one charity
whose return counts 3 mothers supported in Lothian and 3 respondents to one outcome, the
small counts disclosure control must hide. The page is opened from its file with every
other request refused, as it would be opened offline.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from config.settings import Settings
from domain.periods import quarter_problem
from extracts.disclosure import SUPPRESSED
from flows.ingest import ingest
from intake.register import read_register
from pimh.cli import app
from tests.builders import valid_return, write
from tests.tsr_builders import CHARITY, GGC, LOTHIAN, valid_tsr, write_tsr
from warehouse.engine import open_warehouse
from warehouse.register_load import load_register

FIFE = "S08000029"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SECTIONS = ("services", "staffing", "activity", "finance", "people", "outcomes", "timeliness",
            "quality")  # fmt: skip
THREE = re.compile(r"(?<![\d.,])3(?![\d.,%])")
"""The hidden count 3 as a figure of its own (not the 3 of 30, 2.3 or Q3)."""
FRESH_CHART = """
import sys
from extracts.report_charts import render_chart
from extracts.report_model import Chart, bar_series
render_chart(Chart("lines", "t", ("Q1", "Q2"), (bar_series("P", ["7", "*"]),), "P"), "c")
print("matplotlib.pyplot" in sys.modules)
"""


def invoke(args: list[str]) -> Result:
    return CliRunner().invoke(app, args, env={"COLUMNS": "200"})


def small_counts_return() -> Any:
    """A charity's return with 3 mothers in Lothian and 3 respondents to LESS_ISOLATED."""
    content = valid_tsr()
    content.activity = [
        [LOTHIAN, "Peer support", 3, 0, 0, 0],
        [GGC, "Counselling", 40, 10, 30, 6],
    ]
    content.outcomes[0] = ["LESS_ISOLATED", 3, 3]
    return content


@pytest.fixture
def small_counts_url(tmp_path: Path, settings: Settings, prefect_harness: None) -> str:
    """A warehouse the pipeline built: Lothian and Fife, and the charity's small counts."""
    register = tmp_path / "register.csv"
    register.write_text(
        "charity_number,name,fund,award_gbp,board_areas\n"
        f"{CHARITY},Bumps and Babies,MAIN,58000,{LOTHIAN};{GGC}\n",
        encoding="utf-8",
    )
    load_register(open_warehouse(settings.warehouse_url), read_register(register))
    landing = tmp_path / "landing"
    write(landing / LOTHIAN / "lothian.xlsx", valid_return(LOTHIAN))
    write(landing / FIFE / "fife.xlsx", valid_return(FIFE))
    write_tsr(landing / CHARITY / "q1.xlsx", small_counts_return())
    arrival = dt.datetime(2022, 7, 20, 9, 0, tzinfo=dt.UTC)
    result = ingest([str(landing)], settings.model_copy(update={"arrival_time": arrival}))
    assert [f.status for f in result.files] == ["accepted"] * 3
    return settings.warehouse_url


def open_in_chromium(page_path: Path) -> dict[str, Any]:
    """What a reader's browser makes of the page: console errors, requests other than the
    file itself (refused), the text, and each chart's drawn size, paths and SVG text."""
    from playwright.sync_api import Route, sync_playwright

    own_url = page_path.resolve().as_uri()
    outside: list[str] = []
    errors: list[str] = []

    def only_the_file(route: Route) -> None:
        if route.request.url == own_url:
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_FLAGS
        )
        try:
            page = browser.new_page()
            page.route("**/*", only_the_file)
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(own_url, wait_until="load")
            charts = page.eval_on_selector_all(
                "figure.chart",
                """figures => figures.map(f => {
                    const svg = f.querySelector('svg');
                    const box = svg.getBoundingClientRect();
                    return {key: f.dataset.chart, width: box.width, height: box.height,
                            paths: svg.querySelectorAll('path').length,
                            texts: [...svg.querySelectorAll('text')].map(t => t.textContent)};
                })""",
            )
            tables = page.eval_on_selector_all(
                "table",
                """tables => Object.fromEntries(tables.map(t => [t.dataset.table,
                    [...t.querySelectorAll('tbody tr')].map(
                        r => [...r.cells].map(c => c.textContent.trim()))]))""",
            )
            text = page.inner_text("body")
            page.emulate_media(media="print")
            breaks = page.eval_on_selector_all(
                "section", "sections => sections.map(s => getComputedStyle(s).breakBefore)"
            )
        finally:
            browser.close()
    return {"errors": errors, "outside": outside, "charts": charts, "tables": tables,
            "text": text, "print breaks": breaks}  # fmt: skip


def _row(rows: list[list[str]], first: str) -> list[str]:
    return next(row for row in rows if row[0] == first)


def test_the_report_renders_offline_with_every_chart_and_no_hidden_count(
    tmp_path: Path, small_counts_url: str
) -> None:
    """It opens with no console error and no outside request, draws each chart, and shows
    the hidden counts as * in tables and charts alike, never as 3."""
    out = tmp_path / "report.html"
    result = invoke(
        ["report", "--year", "2022-23", "--quarter", "Q1", str(out), "--warehouse",
         small_counts_url]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    seen = open_in_chromium(out)

    assert seen["errors"] == []
    assert seen["outside"] == []
    charts = {chart["key"]: chart for chart in seen["charts"]}
    assert tuple(charts) == SECTIONS
    for chart in charts.values():
        assert chart["width"] > 100, chart["key"]
        assert chart["height"] > 50, chart["key"]
        assert chart["paths"] > 5, chart["key"]

    people = seen["tables"]["people-1"]
    lothian = _row(people, "Lothian")
    assert lothian[1] == SUPPRESSED  # 3 mothers
    assert lothian[-1] == SUPPRESSED  # and the area's total, also 3
    assert not any(THREE.search(cell) for row in people for cell in row)
    people_chart = charts["people"]["texts"]
    assert SUPPRESSED in people_chart
    assert not any(THREE.search(text) for text in people_chart), people_chart

    outcomes = seen["tables"]["outcomes-1"]
    isolated = _row(outcomes, "Less isolated")
    assert isolated[2:] == [SUPPRESSED, SUPPRESSED, SUPPRESSED]  # respondents, improved, %
    outcome_labels = [t for t in charts["outcomes"]["texts"] if t.strip()]
    assert SUPPRESSED in outcome_labels
    assert not any(THREE.search(text) for text in outcome_labels), outcome_labels

    assert (
        "Accepted returns: 2 of 14 NHS boards and 1 of 1 third-sector organisations."
        in (seen["text"])
    )
    quality = seen["tables"]["quality-1"]
    assert _row(quality, "Lothian")[-1] == "100.0"
    assert seen["print breaks"] == ["page"] * len(SECTIONS)  # each section on a new page


def test_charts_leave_matplotlib_as_they_found_it() -> None:
    """Drawing uses a Figure of its own: no pyplot, and the global settings are untouched."""
    import matplotlib as mpl

    from extracts.report_charts import render_chart
    from extracts.report_model import Chart, bar_series

    before = dict(mpl.rcParams)
    chart = Chart("bars", "A $5 title", ("A", "B"), (bar_series("People", ["12", "*"]),), "People")
    svg = render_chart(chart, "chart-test")
    assert svg.startswith('<svg role="img" aria-label="A $5 title" id="chart-test"')
    assert "<text" in svg
    assert dict(mpl.rcParams) == before
    # Other libraries in this process may load pyplot; a fresh one shows the charts do not.
    fresh = subprocess.run(
        [sys.executable, "-c", FRESH_CHART], capture_output=True, text=True, check=False
    )
    assert fresh.stdout.strip() == "False", fresh.stderr


def test_report_refuses_to_overwrite_without_force(tmp_path: Path, small_counts_url: str) -> None:
    """An existing file is left as it was unless --force is given."""
    out = tmp_path / "report.html"
    out.write_text("the board's copy", encoding="utf-8")
    args = ["report", "--year", "2022-23", "--quarter", "Q1", str(out), "--warehouse",
            small_counts_url]  # fmt: skip
    refused = invoke(args)
    assert refused.exit_code == 2
    assert "already exists; use --force to overwrite" in refused.output
    assert out.read_text(encoding="utf-8") == "the board's copy"
    forced = invoke([*args, "--force"])
    assert forced.exit_code == 0, forced.output
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


@pytest.mark.parametrize(
    ("year", "quarter", "message"),
    [
        ("2022-23", "Q5", quarter_problem("Q5")),
        ("2022-24", "Q1", "'2022-24' is not a financial year"),
        ("2030-31", "Q1", "has not begun"),
    ],
)
def test_report_explains_a_bad_quarter_plainly(
    tmp_path: Path, sqlite_url: str, year: str, quarter: str, message: str
) -> None:
    """A malformed or future quarter is one sentence and exit 2, and no file is written."""
    out = tmp_path / "report.html"
    result = invoke(
        ["report", "--year", year, "--quarter", quarter, str(out), "--warehouse", sqlite_url]
    )
    assert result.exit_code == 2
    assert message in result.output.replace("\n", " ")
    assert "Traceback" not in result.output
    assert not out.exists()


def test_report_of_an_empty_warehouse_says_there_is_nothing_to_report(
    tmp_path: Path, sqlite_url: str
) -> None:
    out = tmp_path / "report.html"
    result = invoke(
        ["report", "--year", "2022-23", "--quarter", "Q1", str(out), "--warehouse", sqlite_url]
    )
    assert result.exit_code == 2
    assert "no accepted returns for 2022-23 Q1" in result.output.replace("\n", " ")
    assert not out.exists()


def test_a_section_with_nothing_reported_has_its_table_but_no_empty_chart() -> None:
    """No axes around nothing: the table says nothing was reported for the quarter."""
    from domain.periods import Period
    from extracts.report_model import BoardReport, Chart, Section, Table
    from extracts.report_page import render_board_report

    empty = Section(
        "people",
        "People",
        "Nobody yet.",
        (Table("People by area", ("Board area", "Total"), ()),),
        Chart("bars", "People by area", (), (), "People"),
    )
    page = render_board_report(
        BoardReport(Period("2022-23", "Q1"), dt.datetime.now(dt.UTC), "None yet.", (empty,))
    )
    assert "<svg" not in page
    assert "Nothing reported for this quarter." in page
