"""The `data_quality` view, on warehouses the ingest flow built from real workbooks.

Four boards of 2022-23 Q1 (due 30 July 2022), each with a history whose scores are known:
Lothian on time and clean; Fife late, rejected once, then accepted with one cell empty;
Greater Glasgow and Clyde on time with a warning; Borders never sent. Once on SQLite, once
on a throw-away PostgreSQL database.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest

from config.settings import Settings
from flows.ingest import ingest
from tests.builders import changed, valid_return, write
from tests.queries import query

pytestmark = pytest.mark.usefixtures("prefect_harness")

LOTHIAN, FIFE, GGC, BORDERS = "S08000024", "S08000029", "S08000031", "S08000016"
COLUMNS = (
    "days_from_due, returns_received, resubmissions_needed, errors_before_acceptance, "
    "errors_per_return, cells_expected, cells_not_reported, warnings, warnings_explained, "
    "timeliness_score, validity_score, completeness_score, resubmissions_score, "
    "warnings_explained_score, overall_score"
)


def _at(day: int, month: int) -> dt.datetime:
    return dt.datetime(2022, month, day, 10, 0, tzinfo=dt.UTC)


def build_history(landing: Path, settings: Settings) -> None:
    """Runs ingest once per arrival date, as the files would have come in."""
    write(landing / LOTHIAN / "lothian.xlsx", valid_return(LOTHIAN))
    write(landing / GGC / "ggc.xlsx", changed(valid_return(GGC), "Staffing", 0, 3, 2.5))
    ingest([str(landing)], settings.model_copy(update={"arrival_time": _at(20, 7)}))
    # Five days late, with one error: referrals accepted above received.
    write(landing / FIFE / "fife.xlsx", changed(valid_return(FIFE), "Activity", 0, 2, 130))
    ingest([str(landing)], settings.model_copy(update={"arrival_time": _at(4, 8)}))
    # Corrected, but IMH discharges left empty.
    fixed = changed(valid_return(FIFE), "Activity", 1, 5, None)
    write(landing / FIFE / "fife corrected.xlsx", fixed)
    ingest([str(landing)], settings.model_copy(update={"arrival_time": _at(9, 8)}))


def _scores(url: str) -> dict[str, dict[str, Any]]:
    names = [name.strip() for name in COLUMNS.split(",")]
    rows = query(
        url,
        f"SELECT reporter_code, {COLUMNS} FROM data_quality "
        "WHERE financial_year = '2022-23' AND quarter = 'Q1'",
    )
    return {
        str(row[0]): {
            name: float(value) if isinstance(value, float | int) and "score" in name else value
            for name, value in zip(names, row[1:], strict=True)
        }
        for row in rows
    }


def test_data_quality_scores_each_board_by_its_history(
    landing: Path, settings: Settings, warehouse_url: str
) -> None:
    """It scores lateness, errors, resubmissions, empty cells and warnings as documented."""
    build_history(landing, settings.model_copy(update={"warehouse_url": warehouse_url}))
    scores = _scores(warehouse_url)

    assert len(scores) == 14  # every board is expected, whether it sent or not
    assert scores[LOTHIAN] == {
        "days_from_due": -10,
        "returns_received": 1,
        "resubmissions_needed": 0,
        "errors_before_acceptance": 0,
        "errors_per_return": 0,
        # 4 staffing rows x 2, 3 activity rows x 6 and the MBU's 3 more, 3 finance rows x 3
        "cells_expected": 8 + 18 + 3 + 9,
        "cells_not_reported": 0,
        "warnings": 0,
        "warnings_explained": 0,
        "timeliness_score": 100.0,
        "validity_score": 100.0,
        "completeness_score": 100.0,
        "resubmissions_score": 100.0,
        "warnings_explained_score": 100.0,
        "overall_score": 100.0,
    }
    fife = scores[FIFE]
    assert fife["days_from_due"] == 5  # judged by the first return, as the tracker does
    assert fife["returns_received"] == 2
    assert fife["resubmissions_needed"] == 1
    assert fife["errors_before_acceptance"] == 1
    assert float(fife["errors_per_return"]) == 0.5
    assert (fife["cells_expected"], fife["cells_not_reported"]) == (6 + 12 + 6, 1)
    assert fife["timeliness_score"] == 75.0  # 100 - 5 x 5 days
    assert fife["validity_score"] == 95.0  # 100 - 10 x 0.5 errors per return
    assert fife["completeness_score"] == 95.8  # 23 of 24 cells
    assert fife["resubmissions_score"] == 75.0  # 100 - 25 x 1
    assert fife["warnings_explained_score"] == 100.0  # no warnings to explain
    assert fife["overall_score"] == 88.2  # (75 + 95 + 95.8 + 75 + 100) / 5

    ggc = scores[GGC]
    assert ggc["warnings"] == 1
    assert ggc["warnings_explained"] == 0
    assert ggc["warnings_explained_score"] == 0.0  # its one warning left unexplained
    assert ggc["overall_score"] == 80.0  # (100 + 100 + 100 + 100 + 0) / 5

    borders = scores[BORDERS]
    assert borders["returns_received"] == 0
    assert borders["days_from_due"] is None
    assert borders["timeliness_score"] == 0.0  # missing after its due date
    assert borders["validity_score"] is None
    assert borders["overall_score"] == 0.0


def test_status_shows_each_reporters_overall_score(
    landing: Path, settings: Settings, sqlite_url: str
) -> None:
    """`pimh status` has a Quality column: the overall score, rounded, blank when none."""
    from typer.testing import CliRunner

    from pimh.cli import app

    build_history(landing, settings)
    result = CliRunner().invoke(
        app,
        ["status", "--year", "2022-23", "--quarter", "Q1", "--warehouse", sqlite_url],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    assert "Quality" in result.output
    rows = {  # columns are apart by two spaces or more (the table has no vertical rules)
        line.split()[0]: re.split(r"\s{2,}", line.strip())
        for line in result.output.splitlines()
        if line[:1].isalnum() and line.split()[0].startswith("S08")
    }
    assert rows[LOTHIAN][-1] == "100"
    assert rows[FIFE][-1] == "88"
    assert rows[BORDERS][-1] == "0"
