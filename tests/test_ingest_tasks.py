"""The ingest flow's steps, each run as a plain function, without Prefect's engine."""

from __future__ import annotations

from concurrent.futures import Future
from pathlib import Path
from typing import cast

import pytest
from prefect.futures import PrefectFuture

from domain.records import SubmissionRecord
from flows.report_tasks import make_annotated_copies, write_annotated_copies, write_html_reports
from intake.landed import settled_returns
from intake.outcome import submission_records
from intake.received import Archiving
from intake.triage import Triage
from schemas.validate_batch import validate_by_template
from tests.builders import changed, valid_return, write
from tests.received_builders import board_bytes, read, received
from tests.tsr_builders import register_frame
from warehouse.engine import cached_warehouse
from warehouse.migrate import upgrade

LOTHIAN, FIFE = "S08000024", "S08000029"


def test_a_file_found_through_overlapping_locations_is_taken_once(tmp_path: Path) -> None:
    """A landing area and one of its reporter folders name the same file: one arrival."""
    landing = tmp_path / "landing"
    write(landing / LOTHIAN / "lothian.xlsx", valid_return(LOTHIAN))
    write(landing / FIFE / "fife.xlsx", valid_return(FIFE))

    ready, still_changing = settled_returns([str(landing), str(landing / LOTHIAN)], 0, 0)

    assert sorted(file.file_name for file in ready) == ["fife.xlsx", "lothian.xlsx"]
    assert still_changing == []


def _records(tmp_path: Path) -> tuple[list[SubmissionRecord], Triage]:
    """A clean Lothian return and a Fife return with a warning, landed under tmp_path, judged."""
    warned = changed(valid_return(FIFE), "Staffing", 0, 3, 2.4)
    landing = str(tmp_path / "landing")
    clean = board_bytes(tmp_path, valid_return(LOTHIAN))
    sorted_files = Triage(
        new=[
            received(0, clean, LOTHIAN, "lothian.xlsx", landing),
            received(1, board_bytes(tmp_path, warned), FIFE, "fife.xlsx", landing),
        ]
    )
    contents = read(sorted_files.new)
    batches = validate_by_template(sorted_files.new, contents, register_frame())
    return submission_records(sorted_files, contents, batches), sorted_files


class _Made:
    """Stands in for the future of the submitted copy-making step."""

    def __init__(self, copies: list[bytes | None]) -> None:
        self.future: Future[list[bytes | None]] = Future()
        self.future.set_result(copies)

    def result(self) -> list[bytes | None]:
        return self.future.result()


def _archived(tmp_path: Path) -> Archiving:
    """A batch's archiving with every copy already kept."""
    return Archiving(archive_root=str(tmp_path / "archive"))


def test_feedback_is_written_for_the_return_with_problems_only(
    tmp_path: Path, sqlite_url: str
) -> None:
    """Its HTML report is written and its location recorded, then its annotated copy
    beside it; the clean return gets neither."""
    records, sorted_files = _records(tmp_path)
    feedback = tmp_path / "feedback"
    upgrade(cached_warehouse(sqlite_url))

    copies = make_annotated_copies.fn(records, sorted_files.new, 0)
    places = write_html_reports.fn(_archived(tmp_path), records, sorted_files.new, str(feedback))
    made = cast("PrefectFuture[list[bytes | None]]", _Made(copies))
    written_by_id = write_annotated_copies.fn(
        made, places, records, {1: 41, 0: 40}, warehouse_url=sqlite_url, workers=0
    )

    clean, warned = records
    assert warned.annotation_owed
    assert not clean.annotation_owed
    assert list(written_by_id) == [41]
    assert str(written_by_id[41]).endswith("-annotated.xlsx")
    assert clean.feedback_url is None
    assert warned.feedback_url is not None
    assert Path(warned.feedback_url).read_text().lower().count("staffing!d5") >= 1
    assert [(root, subject.file_name) for root, subject in places] == [(str(feedback), "fife.xlsx")]
    written = sorted(p.name for p in (feedback / FIFE).iterdir())
    assert len(written) == 2
    assert written[0].endswith("-annotated.xlsx")
    assert written[1].endswith(".html")


def test_feedback_goes_beside_the_landing_area_when_no_place_is_set(tmp_path: Path) -> None:
    records, sorted_files = _records(tmp_path)

    places = write_html_reports.fn(_archived(tmp_path), records, sorted_files.new, None)

    assert [root for root, _ in places] == [str(tmp_path / "feedback")]
    assert records[1].feedback_url is not None
    assert Path(records[1].feedback_url).parent == tmp_path / "feedback" / FIFE


def test_no_report_is_written_before_every_file_is_in_the_archive(tmp_path: Path) -> None:
    """A file whose archive copy cannot be stored stops the reports: nothing is written
    about a file before its copy is kept (Prefect retries the step)."""
    records, sorted_files = _records(tmp_path)
    feedback = tmp_path / "feedback"
    blocked = tmp_path / "archive"
    blocked.write_bytes(b"a file where the archive folder should be")
    archiving = Archiving(archive_root=str(blocked), failed=list(sorted_files.new))

    with pytest.raises(OSError, match="could not be archived"):
        write_html_reports.fn(archiving, records, sorted_files.new, str(feedback))

    assert not feedback.exists()
    assert all(record.feedback_url is None for record in records)
