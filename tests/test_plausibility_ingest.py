"""End-to-end: a return compared with its board's previous quarter, and answered in the workbook.

Real workbooks for two consecutive quarters go through the ingest flow into SQLite and
PostgreSQL; the warning reaches `validation_issues` naming both quarters and values, the
return is still accepted, an explanation written in the workbook is kept with it, and the
same figure sent again is not warned about again.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import polars as pl
import pytest
from openpyxl import load_workbook

from config.settings import Settings
from flows.ingest import ingest
from samples.board_returns import BoardReturnContent
from tests.builders import changed, valid_return, write
from tests.queries import query

pytestmark = pytest.mark.usefixtures("prefect_harness")

LOTHIAN = "S08000024"
CASELOAD = 4  # the Activity column of Open caseload (0-based); its cells are in column E
EXPLANATION = 10  # the Activity column of Explanation, after the MBU columns
ROSE = (
    "Open caseload for CPMHT rose from 40 in 2022-23 Q1 to 130 in Q2; please check it or "
    "explain it."
)
WHY = "A second team joined the service in July, bringing its caseload with it."


def _quarter(quarter: str, caseload: int, explanation: str | None = None) -> BoardReturnContent:
    """Lothian's small valid return for the quarter, CPMHT's open caseload as given."""
    content = changed(valid_return(LOTHIAN, quarter=quarter), "Activity", 0, CASELOAD, caseload)
    if explanation is not None:
        content.activity[0].append(explanation)
    return content


def _ingest(landing: Path, settings: Settings, name: str, content: BoardReturnContent) -> None:
    write(landing / LOTHIAN / name, content)
    ingest([str(landing)], settings)


def _warnings(url: str, quarter: str = "Q2") -> list[tuple[object, ...]]:
    return query(
        url,
        "SELECT s.status, i.severity, i.cell, i.value, i.message, i.explanation "
        "FROM validation_issues i JOIN submissions s ON s.submission_id = i.submission_id "
        "WHERE s.quarter = :quarter ORDER BY i.issue_id",
        quarter=quarter,
    )


def _statuses(url: str) -> list[tuple[object, ...]]:
    return query(
        url, "SELECT file_name, quarter, status, warnings FROM submissions ORDER BY submission_id"
    )


def _assert_feedback_shows_explained(feedback: Path) -> None:
    """The HTML report and the annotated copy's Feedback sheet show the warning explained."""
    (report,) = feedback.rglob("q2*.html")
    page = html.unescape(report.read_text(encoding="utf-8"))
    assert "Warning, explained" in page
    assert ROSE in page
    assert f"Explained: {WHY}" in re.sub(r"<[^>]+>", "", page)
    (copy,) = feedback.rglob("q2*.xlsx")
    sheet = load_workbook(copy)["Feedback"]
    (row,) = [r for r in sheet.iter_rows(min_row=6, values_only=True) if r[1] == "Activity!E5"]
    assert row[0] == "Warning, explained"
    assert row[3] == f"{ROSE} Explained: \u201c{WHY}\u201d"


def test_a_change_since_last_quarter_is_a_warning_naming_both_quarters(
    landing: Path, settings: Settings, warehouse_url: str
) -> None:
    """It warns at the new figure's cell, in words naming both quarters and values, and
    still accepts the return."""
    settings = settings.model_copy(update={"warehouse_url": warehouse_url})
    _ingest(landing, settings, "q1.xlsx", _quarter("Q1", 40))
    _ingest(landing, settings, "q2.xlsx", _quarter("Q2", 130))

    assert _warnings(warehouse_url) == [("accepted", "warning", "Activity!E5", "130", ROSE, None)]
    assert _statuses(warehouse_url) == [
        ("q1.xlsx", "Q1", "accepted", 0),
        ("q2.xlsx", "Q2", "accepted", 1),
    ]
    caseload = "SELECT open_caseload FROM activity WHERE quarter = 'Q2' AND service = 'CPMHT'"
    assert query(warehouse_url, caseload) == [(130,)]


def test_an_explained_warning_is_kept_and_not_raised_again_for_the_same_figure(
    landing: Path, settings: Settings, warehouse_url: str
) -> None:
    """It stores the workbook's explanation with the warning; a resubmission with the same
    figure is not warned about again, one with a changed figure is."""
    settings = settings.model_copy(update={"warehouse_url": warehouse_url})
    _ingest(landing, settings, "q1.xlsx", _quarter("Q1", 40))
    _ingest(landing, settings, "q2.xlsx", _quarter("Q2", 130, WHY))

    assert _warnings(warehouse_url) == [("accepted", "warning", "Activity!E5", "130", ROSE, WHY)]
    _assert_feedback_shows_explained(Path(str(settings.feedback_url)))

    # The same caseload again, another figure corrected, no explanation this time.
    corrected = changed(_quarter("Q2", 130), "Activity", 0, 5, 41)
    _ingest(landing, settings, "q2 corrected.xlsx", corrected)
    assert query(
        warehouse_url,
        "SELECT status, warnings FROM submissions WHERE file_name = 'q2 corrected.xlsx'",
    ) == [("accepted", 0)]

    _ingest(landing, settings, "q2 again.xlsx", _quarter("Q2", 140))
    again = query(
        warehouse_url,
        "SELECT s.status, i.cell, i.value, i.message, i.explanation FROM validation_issues i "
        "JOIN submissions s ON s.submission_id = i.submission_id "
        "WHERE s.file_name = 'q2 again.xlsx'",
    )
    assert again == [
        (
            "accepted",
            "Activity!E5",
            "140",
            ROSE.replace("130", "140"),
            None,
        )
    ]


def test_two_quarters_in_one_run_compare_with_each_other(landing: Path, settings: Settings) -> None:
    """It compares a return with the previous quarter's return of the same run."""
    write(landing / LOTHIAN / "q1.xlsx", _quarter("Q1", 40))
    write(landing / LOTHIAN / "q2.xlsx", _quarter("Q2", 130))
    ingest([str(landing)], settings)

    assert _warnings(settings.warehouse_url) == [
        ("accepted", "warning", "Activity!E5", "130", ROSE, None)
    ]
    assert _warnings(settings.warehouse_url, "Q1") == []


def test_a_return_without_the_explanation_column_stays_valid(
    landing: Path, settings: Settings
) -> None:
    """A return made from the first blanks, with no Explanation column, is read as before."""
    path = write(landing / LOTHIAN / "v1.xlsx", valid_return(LOTHIAN))
    workbook = load_workbook(path)
    for name in ("Staffing", "Activity", "Finance"):
        sheet = workbook[name]
        assert sheet.cell(4, sheet.max_column).value == "Explanation"
        sheet.delete_cols(sheet.max_column)
    workbook.save(path)

    ingest([str(landing)], settings)

    assert _statuses(settings.warehouse_url) == [("v1.xlsx", "Q1", "accepted", 0)]
    assert query(settings.warehouse_url, "SELECT COUNT(*) FROM validation_issues") == [(0,)]
    assert query(settings.warehouse_url, "SELECT COUNT(*) FROM activity") == [(3,)]


def test_a_service_that_stopped_is_answered_by_a_row_with_only_its_code(
    landing: Path, settings: Settings
) -> None:
    """It warns about a service reported last quarter and missing now; a row with only the
    service's code and an explanation answers it and is not loaded as figures."""
    _ingest(landing, settings, "q1.xlsx", _quarter("Q1", 40))
    q2 = _quarter("Q2", 40)
    q2.staffing = [row for row in q2.staffing if row[0] != "IMH"]
    q2.finance = [row for row in q2.finance if row[0] != "IMH"]
    q2.activity = [row for row in q2.activity if row[0] != "IMH"]
    q2.activity.append(["IMH", *([None] * 9), "The IMH team closed at the end of June."])
    _ingest(landing, settings, "q2.xlsx", q2)

    (warning,) = _warnings(settings.warehouse_url)
    assert warning[:4] == ("accepted", "warning", "Activity!A7", None)
    assert str(warning[4]).startswith(
        "IMH was reported in 2022-23 Q1 but has no row in this return for Q2."
    )
    assert warning[5] == "The IMH team closed at the end of June."
    services = "SELECT service FROM activity WHERE quarter = 'Q2' ORDER BY service"
    assert query(settings.warehouse_url, services) == [("CPMHT",), ("MBU",)]


def test_only_the_periods_asked_for_are_read_back(
    landing: Path, settings: Settings, warehouse_url: str
) -> None:
    """The figures and the explained warnings of the quarters asked for, not those of
    another quarter of a year asked for (the reads ask by reporter, year and quarter
    apart, and keep only the periods wanted)."""
    from warehouse.engine import cached_warehouse
    from warehouse.previous import explained_warnings, previous_figures

    settings = settings.model_copy(update={"warehouse_url": warehouse_url})
    _ingest(landing, settings, "q1.xlsx", _quarter("Q1", 40))
    _ingest(landing, settings, "q2.xlsx", _quarter("Q2", 130, WHY))
    engine = cached_warehouse(warehouse_url)
    # 2022-23 Q2 and 2023-24 Q1 are within the years and quarters asked for, but neither
    # period is.
    asked = [("2022-23", "Q1"), ("2023-24", "Q2")]

    figures = previous_figures(engine, [("BQR", LOTHIAN, y, q) for y, q in asked])
    explained = explained_warnings(engine, [(LOTHIAN, y, q) for y, q in asked])

    periods = figures.select("reporter_code", "financial_year", "quarter").unique().rows()
    assert periods == [(LOTHIAN, "2022-23", "Q1")]
    caseload = figures.filter(
        (pl.col("measure") == "open_caseload") & (pl.col("subject") == "CPMHT")
    )
    assert caseload.get_column("value").to_list() == [40]
    assert explained.is_empty()
    q2 = explained_warnings(engine, [(LOTHIAN, "2022-23", "Q2")])
    assert q2.select("quarter", "rule", "value").rows() == [("Q2", "count_jump", "130")]
