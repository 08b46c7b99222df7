"""What is recorded of each received file: its status, its problems (capped), its feedback."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from domain.issues import Issue
from domain.records import SubmissionRecord, SubmissionStatus
from domain.workbook import WorkbookContent
from intake.outcome import capped, needing_feedback, submission_records
from intake.triage import Triage
from schemas.batch import ReturnInput, ValidatedBatch
from schemas.validate_batch import TemplateBatch, validate_by_template
from tests.builders import changed, valid_return
from tests.received_builders import RECEIVED_AT, board_bytes, read, received, tsr_bytes
from tests.tsr_builders import CHARITY, register_frame, valid_tsr

LOTHIAN, BORDERS, FIFE = "S08000024", "S08000016", "S08000029"


def test_a_return_with_thousands_of_problems_reports_the_first_thousand() -> None:
    """It keeps the first 1,000 problems, errors first, and says how many more there were."""
    issues = [Issue("warning", "w")] * 10 + [
        Issue("error", "e", "Staffing", f"Staffing!A{n}") for n in range(5000)
    ]

    kept = capped(issues)

    assert len(kept) == 1001
    assert all(issue.is_error for issue in kept[:1000])
    assert kept[-1].message.startswith("4,010 more problems (4,000 errors)")
    assert capped(issues[:20]) == issues[:20]


def _cover(**values: object) -> pl.DataFrame:
    row = {
        "return_index": 0,
        "financial_year": "2022-23",
        "quarter": "Q1",
        "completed_by": "A. Manager",
        "email": "a.manager@example.org",
        **values,
    }
    return pl.DataFrame([row])


def test_every_received_file_but_the_already_processed_gets_one_record(tmp_path: Path) -> None:
    """It records validated returns, unreadable files, misplaced files and duplicates, in
    arrival order; a file processed on an earlier run is not recorded again."""
    lothian = board_bytes(tmp_path, valid_return(LOTHIAN))
    warned = board_bytes(tmp_path, changed(valid_return(FIFE), "Staffing", 0, 3, 2.4))
    sorted_files = Triage(
        new=[
            received(0, lothian, LOTHIAN),
            received(1, warned, FIFE),
            received(2, b"not a workbook", FIFE, "notes.txt"),
            received(4, board_bytes(tmp_path, valid_return(LOTHIAN, quarter="Q2")), BORDERS),
            received(6, tsr_bytes(tmp_path, valid_tsr()), CHARITY),
        ],
        duplicates=[received(3, lothian, LOTHIAN, "again.xlsx")],
        outside_reporter_folders=[received(5, lothian, "Lothian")],
        already_processed=[received(7, lothian, LOTHIAN)],
    )
    contents = read(sorted_files.new)
    batches = validate_by_template(sorted_files.new, contents, register_frame())

    records = submission_records(sorted_files, contents, batches)

    assert [(r.key, r.status, r.template) for r in records] == [
        (0, "accepted", "BQR"),
        (1, "accepted", "BQR"),
        (2, "rejected", None),
        (3, "duplicate", None),
        (4, "rejected", "BQR"),
        (5, "rejected", None),
        (6, "accepted", "TSR"),
    ]
    lothian_record, fife, unreadable, duplicate, borders, outside, charity = records
    assert (lothian_record.reporter_name, lothian_record.financial_year) == ("Lothian", "2022-23")
    assert (lothian_record.completed_by, lothian_record.issues) == ("A. Manager", [])
    assert [issue.severity for issue in fife.issues] == ["warning"]
    assert unreadable.issues == contents[2].issues
    assert duplicate.issues == []
    assert borders.errors
    assert borders.quarter == "Q2"
    assert "the folder 'Lothian'" in outside.issues[0].message
    assert charity.reporter_name == "Bumps and Babies"
    assert charity.reporter_code == CHARITY


def test_a_records_issues_are_capped_counting_those_never_listed() -> None:
    """Errors validation counted but did not list reject the return and are told in one line."""
    item = received(0, b"workbook bytes", LOTHIAN)
    warning = Issue("warning", "w", "Staffing", "Staffing!D5")
    batch = TemplateBatch(
        "BQR",
        [0],
        [ReturnInput(LOTHIAN, WorkbookContent(template_version="1"))],
        ValidatedBatch(issues={0: [warning]}, unlisted={0: (2000, 0)}, cover=_cover()),
    )

    (record,) = submission_records(Triage(new=[item]), [WorkbookContent()], [batch])

    assert record.status == "rejected"
    assert record.template_version == "1"
    assert record.issues[0] == warning
    assert record.issues[1].message.startswith("2,000 more problems (2,000 errors)")


def test_feedback_is_for_judged_returns_with_problems_only() -> None:
    """Returns with problems get feedback, accepted or rejected; clean ones and
    duplicates do not."""
    problem = [Issue("warning", "w")]
    fates: list[tuple[SubmissionStatus, list[Issue]]] = [
        ("accepted", []),
        ("accepted", problem),
        ("rejected", problem),
        ("duplicate", problem),
    ]
    records = [
        SubmissionRecord(key, "0" * 64, 1, "a", "f", "o", RECEIVED_AT, status, issues=issues)
        for key, (status, issues) in enumerate(fates)
    ]

    assert [r.key for r in needing_feedback(records)] == [1, 2]
