"""Annotated copies an interrupted run owes are written by the next run, from the warehouse.

Before, after a kill between the load and the copies, 27 of 56 returns with problems never
got their annotated workbook (the HTML reports all were written).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

from openpyxl import load_workbook

from connectors.archive import archive
from domain.issues import Issue
from domain.records import SubmissionRecord
from feedback.subject import FeedbackSubject
from feedback.writer import write_html_report
from flows.report_tasks import finish_owed_copies
from tests.builders import changed, valid_return, write
from tests.queries import query
from warehouse.engine import cached_warehouse, open_warehouse
from warehouse.load import load_submissions
from warehouse.migrate import upgrade

FIFE = "S08000029"
RECEIVED_AT = dt.datetime(2022, 7, 20, 9, 30, tzinfo=dt.UTC)


def _owed_return(tmp_path: Path, warehouse_url: str) -> Path:
    """A rejected return recorded as owed its copy, its HTML report written, and no copy:
    what a run killed after loading leaves."""
    data = write(
        tmp_path / "fife.xlsx", changed(valid_return(FIFE), "Staffing", 0, 2, -1)
    ).read_bytes()
    sha256 = hashlib.sha256(data).hexdigest()
    feedback = tmp_path / "feedback"
    issue = Issue(
        "error", "Funded WTE must be between 0 and 200; found -1.", "Staffing", "Staffing!C5", "-1"
    )
    subject = FeedbackSubject(
        FIFE, "Fife", "fife.xlsx", sha256, RECEIVED_AT, "rejected", "BQR", "2022-23", "Q1"
    )
    record = SubmissionRecord(
        key=0,
        sha256=sha256,
        size_bytes=len(data),
        archive_url=archive(str(tmp_path / "archive"), sha256, "fife.xlsx", data),
        file_name="fife.xlsx",
        origin_path=str(tmp_path / "landing" / FIFE / "fife.xlsx"),
        received_at=RECEIVED_AT,
        status="rejected",
        template="BQR",
        reporter_code=FIFE,
        financial_year="2022-23",
        quarter="Q1",
        feedback_url=write_html_report(str(feedback), subject, [issue]),
        annotation_owed=True,
        issues=[issue],
    )
    engine = open_warehouse(warehouse_url)
    upgrade(engine)
    load_submissions(engine, [record], {})
    engine.dispose()
    return feedback / FIFE


def test_the_next_run_writes_the_copy_an_interrupted_run_owed(
    tmp_path: Path, warehouse_url: str
) -> None:
    folder = _owed_return(tmp_path, warehouse_url)
    assert [p.suffix for p in folder.iterdir()] == [".html"]

    finished = finish_owed_copies(cached_warehouse(warehouse_url), 0)

    assert finished == 1
    [copy] = [p for p in folder.iterdir() if p.name.endswith("-annotated.xlsx")]
    marked = load_workbook(copy)
    assert "Funded WTE" in str(marked["Staffing"]["C5"].comment.text)
    assert query(warehouse_url, "SELECT is_annotation_owed, annotated_url FROM submission") == [
        (False, str(copy))
    ]
    assert finish_owed_copies(cached_warehouse(warehouse_url), 0) == 0  # nothing owed any more
