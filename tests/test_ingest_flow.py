"""End-to-end: returns dropped in a landing area reach the views, or are rejected."""

from __future__ import annotations

import hashlib
import logging
import shutil
import time
import uuid
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

import flows.ingest
import flows.report_tasks
import flows.tasks
import schemas.validate_batch
import transforms.run_facts
from config.settings import Settings, using_settings
from domain.reference import BQR_TEMPLATE_NAME
from flows.ingest import IngestResult, ingest, ingest_returns
from flows.report_tasks import name_this_run
from intake.summary import FileSummary
from samples.board_returns import BoardReturnContent
from schemas.batch import ValidatedBatch
from tests.builders import changed, valid_return, write
from tests.queries import query

pytestmark = pytest.mark.usefixtures("prefect_harness")

LOTHIAN, BORDERS, FIFE, GGC = "S08000024", "S08000016", "S08000029", "S08000031"


def _on(settings: Settings, warehouse_url: str) -> Settings:
    return settings.model_copy(update={"warehouse_url": warehouse_url})


def _staffing_rows(content: BoardReturnContent) -> list[tuple[object, ...]]:
    """The Staffing view rows a return should give: vacancy derived where it is empty."""
    rows = []
    for service, group, funded, in_post, given in content.staffing:
        vacant = given
        if given is None and funded is not None and in_post is not None:
            vacant = round(max(0.0, float(funded) - float(in_post)), 2)
        period = (content.board_code, content.financial_year, content.quarter)
        rows.append((*period, service, group, funded, in_post, vacant))
    return sorted(rows, key=repr)


def _rows(content: BoardReturnContent, sheet: str) -> list[tuple[object, ...]]:
    period = (content.board_code, content.financial_year, content.quarter)
    return sorted(((*period, *row) for row in content.rows(sheet)), key=repr)


def _view(url: str, view: str, columns: str) -> list[tuple[object, ...]]:
    return sorted(query(url, f"SELECT {columns} FROM {view}"), key=repr)


STAFFING = (
    "board_code, financial_year, quarter, service, staff_group, funded_wte, in_post_wte, vacant_wte"
)
ACTIVITY = (
    "board_code, financial_year, quarter, service, referrals_received, referrals_accepted, "
    "first_assessments, open_caseload, discharges, waiting_over_12_weeks, admissions, "
    "occupied_bed_days, available_bed_days"
)
FINANCE = "board_code, financial_year, quarter, service, allocation_gbp, spend_gbp, forecast_gbp"


def _with_gaps() -> BoardReturnContent:
    """A valid Lothian return that leaves some measures empty and some vacancies to derive."""
    content = valid_return(LOTHIAN)
    content.staffing.append(["IMH", "Administration", 1.0, None, None])  # nothing to derive from
    content = changed(content, "Activity", 1, 5, None)  # IMH discharges not reported
    content = changed(content, "Activity", 1, 6, 0)  # IMH waiting: zero, not empty
    return changed(content, "Finance", 1, 3, None)  # IMH forecast not reported


def test_a_valid_return_reaches_every_view(
    landing: Path, settings: Settings, warehouse_url: str
) -> None:
    """It serves a valid return's figures in staffing, activity and finance exactly as sent.

    Vacant WTE left empty is derived as max(0, funded - in post); a measure the return left
    empty, with no rule to derive it, is NULL (and a 0 stays 0).
    """
    content = _with_gaps()
    write(landing / LOTHIAN / "lothian.xlsx", content)

    result = ingest([str(landing)], _on(settings, warehouse_url))

    assert [(f.reporter_code, f.status, f.errors, f.warnings) for f in result.files] == [
        (LOTHIAN, "accepted", 0, 0)
    ]
    assert _view(warehouse_url, "staffing", STAFFING) == _staffing_rows(content)
    assert _view(warehouse_url, "activity", ACTIVITY) == _rows(content, "Activity")
    assert _view(warehouse_url, "finance", FINANCE) == _rows(content, "Finance")
    assert query(
        warehouse_url,
        "SELECT service, staff_group, in_post_wte, vacant_wte FROM staffing "
        "WHERE vacant_wte IS NULL OR in_post_wte IS NULL",
    ) == [("IMH", "Administration", None, None)]
    assert query(
        warehouse_url,
        "SELECT discharges, waiting_over_12_weeks, admissions FROM activity WHERE service = 'IMH'",
    ) == [(None, 0, None)]
    assert query(warehouse_url, "SELECT forecast_gbp FROM finance WHERE service = 'IMH'") == [
        (None,)
    ]
    assert query(
        warehouse_url, "SELECT admissions, occupied_bed_days FROM activity WHERE service = 'MBU'"
    ) == [(6, 500)]
    assert query(warehouse_url, "SELECT SUM(allocation_gbp) FROM finance") == [(1_000_000.0,)]


def test_a_return_with_an_error_is_rejected_whole(
    landing: Path, settings: Settings, warehouse_url: str
) -> None:
    """It loads nothing from a return with one error and records the error's cell."""
    bad = changed(valid_return(LOTHIAN), "Activity", 0, 2, 130)  # accepted above received
    write(landing / LOTHIAN / "lothian.xlsx", bad)

    result = ingest([str(landing)], _on(settings, warehouse_url))

    assert [f.status for f in result.files] == ["rejected"]
    for view in ("staffing", "activity", "finance"):
        assert query(warehouse_url, f"SELECT COUNT(*) FROM {view}") == [(0,)]
    for table in ("fact_staffing", "fact_activity", "fact_finance"):
        assert query(warehouse_url, f"SELECT COUNT(*) FROM {table}") == [(0,)]
    assert query(warehouse_url, "SELECT severity, cell, value FROM validation_issues") == [
        ("error", "Activity!C5", "130")
    ]


def test_a_return_whose_figures_cannot_be_shaped_is_recorded_rejected_by_the_flow(
    landing: Path, settings: Settings, warehouse_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Shaping the fact rows can reject a return: the flow records it so, with no figures,
    however its steps run alongside one another (the records come after the shaping)."""
    real = transforms.run_facts._SHAPERS["BQR"]

    def fails_for_borders(batch: ValidatedBatch, accepted: Collection[int]) -> object:
        shaped = batch.cover.filter(pl.col("return_index").is_in(list(accepted)))
        if BORDERS in shaped["board_code"].to_list():
            raise OverflowError("a figure polars could not cast")
        return real(batch, accepted)

    monkeypatch.setitem(transforms.run_facts._SHAPERS, "BQR", fails_for_borders)
    write(landing / LOTHIAN / "lothian.xlsx", valid_return(LOTHIAN))
    write(landing / BORDERS / "borders.xlsx", valid_return(BORDERS))

    result = ingest([str(landing)], _on(settings, warehouse_url))

    statuses = {f.reporter_code: f.status for f in result.files}
    assert statuses == {LOTHIAN: "accepted", BORDERS: "rejected"}
    assert query(warehouse_url, "SELECT DISTINCT board_code FROM fact_staffing") == [(LOTHIAN,)]
    assert query(
        warehouse_url, "SELECT status FROM submissions WHERE reporter_code = :r", r=BORDERS
    ) == [("rejected",)]


def test_a_return_rejected_when_shaped_is_not_compared_with_its_previous_quarter(
    landing: Path, settings: Settings, warehouse_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both boards treble their caseload from Q1 to Q2. Lothian's Q2 is warned about;
    Borders' Q2, whose figures cannot be shaped, is rejected with that problem alone,
    since a rejected return is neither warned about nor anyone's previous quarter."""
    settings = _on(settings, warehouse_url)
    for board in (LOTHIAN, BORDERS):
        write(landing / board / "q1.xlsx", valid_return(board, quarter="Q1"))
    assert {f.status for f in ingest([str(landing)], settings).files} == {"accepted"}
    real = transforms.run_facts._SHAPERS["BQR"]

    def fails_for_borders(batch: ValidatedBatch, accepted: Collection[int]) -> object:
        shaped = batch.cover.filter(pl.col("return_index").is_in(list(accepted)))
        if BORDERS in shaped["board_code"].to_list():
            raise OverflowError("a figure polars could not cast")
        return real(batch, accepted)

    monkeypatch.setitem(transforms.run_facts._SHAPERS, "BQR", fails_for_borders)
    for board in (LOTHIAN, BORDERS):
        trebled = changed(valid_return(board, quarter="Q2"), "Activity", 0, 4, 900)
        write(landing / board / "q2.xlsx", trebled)

    second = ingest([str(landing)], settings)

    assert {
        (f.reporter_code, f.status) for f in second.files if f.status != "already processed"
    } == {
        (LOTHIAN, "accepted"),
        (BORDERS, "rejected"),
    }
    problems = query(
        warehouse_url,
        "SELECT s.reporter_code, i.severity, i.message FROM validation_issues i "
        "JOIN submissions s ON s.submission_id = i.submission_id WHERE s.quarter = 'Q2'",
    )
    assert [(r, severity) for r, severity, _ in problems if r == BORDERS] == [(BORDERS, "error")]
    assert [m for r, _, m in problems if r == BORDERS] == [transforms.run_facts.UNSHAPEABLE]
    lothian = [(severity, m) for r, severity, m in problems if r == LOTHIAN]
    assert [severity for severity, _ in lothian] == ["warning"]
    assert "caseload" in str(lothian[0][1]).lower()


def test_a_run_that_could_not_be_renamed_completes_and_says_so(
    landing: Path,
    settings: Settings,
    warehouse_url: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Renaming is done alongside the load; Prefect's API failing it (after the task's
    retries, here none) leaves the run its first name, not a failed run of loaded work."""

    def api_down(_records: object) -> str:
        raise RuntimeError("Prefect's API is down")

    monkeypatch.setattr(flows.report_tasks, "run_name", api_down)
    monkeypatch.setattr(flows.ingest, "name_this_run", name_this_run.with_options(retries=0))
    write(landing / LOTHIAN / "lothian.xlsx", valid_return(LOTHIAN))

    with caplog.at_level(logging.WARNING):
        result = ingest([str(landing)], _on(settings, warehouse_url))

    assert [f.status for f in result.files] == ["accepted"]
    assert query(warehouse_url, "SELECT COUNT(*) FROM submissions") == [(1,)]
    assert "keeps the name it started with" in caplog.text
    assert "Prefect's API is down" in caplog.text


def test_a_check_that_breaks_fails_the_run_and_gives_its_files_back(
    landing: Path, settings: Settings, warehouse_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The templates' checks run alongside each other: one breaking (the pipeline's fault,
    not the return's) fails the run with its reason, records nothing, and releases the
    run's claims, so the next run takes the file as if the first had never been."""
    settings = _on(settings, warehouse_url)
    real = schemas.validate_batch.validate_by_template

    def broken_for_boards(*args: Any) -> Any:
        if BQR_TEMPLATE_NAME in args[3]:  # the templates whose returns it validates
            raise RuntimeError("the board checks broke")
        return real(*args)

    monkeypatch.setattr(flows.tasks, "validate_by_template", broken_for_boards)
    write(landing / LOTHIAN / "lothian.xlsx", valid_return(LOTHIAN))

    with pytest.raises(RuntimeError, match="the board checks broke"):
        ingest([str(landing)], settings)
    assert query(warehouse_url, "SELECT COUNT(*) FROM submissions") == [(0,)]

    monkeypatch.setattr(flows.tasks, "validate_by_template", real)
    again = ingest([str(landing)], settings)

    assert [f.status for f in again.files] == ["accepted"]
    assert query(warehouse_url, "SELECT COUNT(*) FROM submissions") == [(1,)]


# The flow's steps in the order the flow calls them: what the Prefect UI shows of a run.
INGEST_STEPS = [
    "prepare_warehouse",
    "find_returns",
    "receive_files",
    "claim_files",  # and sorts the claimed files into new and already processed
    "read_returns",
    "read_register",
    "validate_returns",  # one per template, at once: a board's (BQR) and a charity's (TSR)
    "validate_returns",
    "make_fact_rows",  # once per template with returns: here BQR
    "add_plausibility_warnings",  # once per template with accepted returns: here BQR
    "record_outcomes",
    "name_this_run",
    "make_annotated_copies",
    "write_html_reports",  # once every file is confirmed archived
    "load_warehouse",
    "write_annotated_copies",  # recorded as written, then any an earlier run still owes
    "send_reporter_emails",
    "publish_trackers",
    "publish_summary",
]


def _task_names(flow_run_id: uuid.UUID, expected: int) -> list[str]:
    """The names of a flow run's task runs in the order they were made (Prefect records
    task runs from their events, a moment after they end)."""
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
    from prefect.client.schemas.sorting import TaskRunSort

    this_run = FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
    deadline = time.monotonic() + 30
    with get_client(sync_client=True) as client:
        while True:
            runs = client.read_task_runs(
                flow_run_filter=this_run, sort=TaskRunSort.EXPECTED_START_TIME_ASC
            )
            if len(runs) >= expected or time.monotonic() > deadline:
                return [run.name.rsplit("-", 1)[0] for run in runs]
            time.sleep(0.2)


def test_each_step_of_the_flow_is_a_task_run_of_its_own(landing: Path, settings: Settings) -> None:
    """The run shows every step, validation, transformation and recording apart."""
    write(landing / FIFE / "fife.xlsx", changed(valid_return(FIFE), "Staffing", 0, 3, 2.4))

    with using_settings(settings):
        state = ingest_returns([str(landing)], return_state=True)

    assert [f.status for f in state.result().files] == ["accepted"]
    flow_run_id = state.state_details.flow_run_id
    assert flow_run_id is not None
    names = _task_names(flow_run_id, len(INGEST_STEPS))
    # Some steps run alongside others (the copies and the reports; the templates' checks;
    # the naming, summary and trackers), so only the orders that matter are asserted.
    assert sorted(names) == sorted(INGEST_STEPS)
    # Shaping can reject a return: it comes before the comparison and the records.
    assert names.index("make_fact_rows") < names.index("add_plausibility_warnings")
    assert names.index("add_plausibility_warnings") < names.index("record_outcomes")
    assert names.index("record_outcomes") < names.index("write_html_reports")
    assert names.index("write_html_reports") < names.index("load_warehouse")
    assert names.index("load_warehouse") < names.index("write_annotated_copies")
    assert names.index("write_annotated_copies") < names.index("send_reporter_emails")


def _archived_files(archive: Path) -> list[Path]:
    return sorted(p for p in archive.rglob("*") if p.is_file())


def test_the_same_bytes_sent_twice_are_not_loaded_twice(
    landing: Path, settings: Settings, warehouse_url: str, tmp_path: Path
) -> None:
    """It skips a file it has already handled, and records the same bytes sent anew as a duplicate.

    The same file at the same place on a later run is "already processed" (no new row);
    the same bytes under another name or in a sub-folder are recorded as `duplicate`,
    not loaded again, and archived once.
    """
    settings = _on(settings, warehouse_url)
    original = write(landing / LOTHIAN / "lothian.xlsx", valid_return(LOTHIAN))
    first = ingest([str(landing)], settings)
    assert [f.status for f in first.files] == ["accepted"]
    facts_before = query(warehouse_url, "SELECT COUNT(*) FROM fact_staffing")

    shutil.copyfile(original, landing / LOTHIAN / "lothian (copy).xlsx")
    (landing / LOTHIAN / "resent").mkdir()
    shutil.copyfile(original, landing / LOTHIAN / "resent" / "lothian.xlsx")
    (landing / BORDERS).mkdir()
    shutil.copyfile(original, landing / BORDERS / "lothian.xlsx")
    second = ingest([str(landing)], settings)

    by_name = {Path(f.file).relative_to(landing).as_posix(): f for f in second.files}
    assert {name: f.status for name, f in by_name.items()} == {
        f"{LOTHIAN}/lothian.xlsx": "already processed",
        f"{LOTHIAN}/lothian (copy).xlsx": "duplicate",
        f"{LOTHIAN}/resent/lothian.xlsx": "duplicate",
        # Another board's folder: judged afresh, and a board may send only its own return.
        f"{BORDERS}/lothian.xlsx": "rejected",
    }
    assert by_name[f"{LOTHIAN}/lothian.xlsx"].submission_id is None
    assert sorted(
        query(warehouse_url, "SELECT file_name, reporter_code, status, errors FROM submissions")
    ) == [
        ("lothian (copy).xlsx", LOTHIAN, "duplicate", 0),
        ("lothian.xlsx", BORDERS, "rejected", 1),
        ("lothian.xlsx", LOTHIAN, "accepted", 0),
        ("lothian.xlsx", LOTHIAN, "duplicate", 0),
    ]
    assert query(warehouse_url, "SELECT COUNT(*) FROM fact_staffing") == facts_before
    assert query(warehouse_url, "SELECT COUNT(DISTINCT submission_id) FROM staffing") == [(1,)]
    sha = hashlib.sha256(original.read_bytes()).hexdigest()
    assert query(warehouse_url, "SELECT DISTINCT sha256 FROM submissions") == [(sha,)]
    assert query(warehouse_url, "SELECT COUNT(*) FROM received_file") == [(1,)]
    archived = _archived_files(Path(settings.archive_url))
    assert len(archived) == 1
    assert archived[0].read_bytes() == original.read_bytes()
    feedback = {p.parent.name for p in (tmp_path / "feedback").rglob("*") if p.is_file()}
    assert feedback == {BORDERS}  # clean returns and duplicates get none


def test_a_run_with_nothing_readable_to_validate_still_records_every_file(
    landing: Path, settings: Settings
) -> None:
    """A batch of only unreadable files, and a re-run over files all seen before, both complete."""
    (landing / LOTHIAN).mkdir()
    (landing / LOTHIAN / "figures.txt").write_text("to follow")

    first = ingest([str(landing)], settings)
    again = ingest([str(landing)], settings)

    assert [(f.status, f.errors) for f in first.files] == [("rejected", 1)]
    assert [(f.status, f.submission_id) for f in again.files] == [("already processed", None)]
    assert query(settings.warehouse_url, "SELECT COUNT(*) FROM submissions") == [(1,)]


def test_a_misplaced_file_moved_into_its_board_folder_is_loaded(
    landing: Path, settings: Settings
) -> None:
    """It loads a return once the data team moves it from outside the reporter folders into one.

    Being outside every reporter folder is a problem with where the file is, not with its
    bytes, so the same bytes in the right place are not a duplicate of the rejected file.
    """
    stray = write(landing / "lothian.xlsx", valid_return(LOTHIAN))
    first = ingest([str(landing)], settings)
    assert [(f.reporter_code, f.status) for f in first.files] == [(None, "rejected")]

    (landing / LOTHIAN).mkdir()
    stray.rename(landing / LOTHIAN / "lothian.xlsx")
    second = ingest([str(landing)], settings)

    assert [(f.reporter_code, f.status) for f in second.files] == [(LOTHIAN, "accepted")]
    assert query(settings.warehouse_url, "SELECT COUNT(*) FROM staffing") == [(4,)]


def test_a_later_accepted_return_supersedes_and_a_rejected_one_does_not(
    landing: Path, settings: Settings, warehouse_url: str
) -> None:
    """The views serve the latest accepted return per board and quarter; history keeps the rest.

    The earlier return becomes `superseded` and its facts stay in fact_staffing; a later
    return that is rejected changes nothing in the views.
    """
    settings = _on(settings, warehouse_url)
    first = valid_return(LOTHIAN)
    write(landing / LOTHIAN / "v1.xlsx", first)
    ingest([str(landing)], settings)

    # The board corrects its return in place: the same name, new bytes.
    corrected = changed(first, "Staffing", 0, 2, 3.0)  # Psychiatry funded 2.0 -> 3.0
    corrected = changed(corrected, "Finance", 0, 2, 125000)
    write(landing / LOTHIAN / "v1.xlsx", corrected)
    rejected = changed(corrected, "Activity", 0, 2, 999)  # accepted above received
    write(landing / LOTHIAN / "v3 wrong.xlsx", rejected)
    result = ingest([str(landing)], settings)

    assert [(Path(f.file).name, f.status) for f in result.files] == [
        ("v1.xlsx", "accepted"),
        ("v3 wrong.xlsx", "rejected"),
    ]
    history = query(
        warehouse_url, "SELECT file_name, status FROM submissions ORDER BY submission_id"
    )
    assert history == [
        ("v1.xlsx", "superseded"),
        ("v1.xlsx", "accepted"),
        ("v3 wrong.xlsx", "rejected"),
    ]
    assert _view(warehouse_url, "staffing", STAFFING) == _staffing_rows(corrected)
    assert _view(warehouse_url, "finance", FINANCE) == _rows(corrected, "Finance")
    assert query(
        warehouse_url,
        "SELECT DISTINCT s.file_name, s.status FROM staffing v JOIN submissions s "
        "ON s.submission_id = v.submission_id",
    ) == [("v1.xlsx", "accepted")]
    superseded_facts = query(
        warehouse_url,
        "SELECT f.funded_wte FROM fact_staffing f JOIN submission s "
        "ON s.submission_id = f.submission_id "
        "WHERE s.status = 'superseded' AND f.staff_group = 'Psychiatry'",
    )
    assert superseded_facts == [(2.0,)]
    assert query(warehouse_url, "SELECT COUNT(*) FROM fact_staffing") == [(8,)]
    assert query(warehouse_url, "SELECT COUNT(*) FROM submission WHERE status = 'accepted'") == [
        (1,)
    ]


# A batch of every kind of file, ingested once per backend; the tests below read its results.


@dataclass(frozen=True, slots=True)
class MixedBatch:
    landing: Path
    archive: Path
    feedback: Path
    url: str
    result: IngestResult

    def summary(self, relative: str) -> FileSummary:
        return next(f for f in self.result.files if Path(f.file) == self.landing / relative)

    def submission(self, relative: str) -> tuple[object, ...]:
        rows = query(
            self.url,
            "SELECT submission_id, file_name, sha256, template, reporter_code, financial_year, "
            "quarter, status, received_at, errors, warnings FROM submissions "
            "WHERE origin_path = :origin",
            origin=str(self.landing / relative),
        )
        assert len(rows) == 1
        return rows[0]

    def issues(self, relative: str) -> list[tuple[object, ...]]:
        return query(
            self.url,
            "SELECT i.severity, i.sheet, i.cell, i.value FROM validation_issues i "
            "JOIN submissions s ON s.submission_id = i.submission_id "
            "WHERE s.origin_path = :origin ORDER BY i.cell",
            origin=str(self.landing / relative),
        )


CLEAN = {f"{LOTHIAN}/lothian.xlsx", f"{GGC}/ggc.xlsx"}
WARNINGS_ONLY = f"{FIFE}/fife.xlsx"
OTHER_BOARDS_RETURN = f"{BORDERS}/lothian return.xlsx"
OUTSIDE = {"stray.xlsx", "Lothian/return.xlsx"}
UNREADABLE = {f"{GGC}/corrupt.xlsx", f"{GGC}/notes.txt", f"{GGC}/empty.xlsx"}


def _write_mixed_landing(landing: Path) -> None:
    write(landing / LOTHIAN / "lothian.xlsx", valid_return(LOTHIAN))
    write(landing / GGC / "ggc.xlsx", valid_return(GGC))
    # In post above funded: a warning only.
    write(landing / WARNINGS_ONLY, changed(valid_return(FIFE), "Staffing", 0, 3, 2.4))
    write(landing / OTHER_BOARDS_RETURN, changed(valid_return(LOTHIAN), "Finance", 0, 2, 1))
    write(landing / "stray.xlsx", valid_return(LOTHIAN, quarter="Q2"))
    write(landing / "Lothian" / "return.xlsx", valid_return(LOTHIAN, quarter="Q3"))
    good = (landing / LOTHIAN / "lothian.xlsx").read_bytes()
    (landing / GGC / "corrupt.xlsx").write_bytes(good[: len(good) // 2])
    (landing / GGC / "notes.txt").write_text("Figures to follow next week.\n")
    (landing / GGC / "empty.xlsx").write_bytes(b"")


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def mixed_batch(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    prefect_harness: None,
) -> Iterator[MixedBatch]:
    """Good, warning, misplaced, outside and unreadable files ingested in one run."""
    root = tmp_path_factory.mktemp("mixed")
    database: tuple[str, str] | None = None
    if request.param == "sqlite":
        url = f"sqlite:///{root / 'warehouse.db'}"
    else:
        admin_url = str(request.getfixturevalue("postgres_admin_url"))
        name = f"pimh_test_{uuid.uuid4().hex[:12]}"
        _admin(admin_url, f'CREATE DATABASE "{name}"')
        database = (admin_url, name)
        url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    landing = root / "landing"
    _write_mixed_landing(landing)
    settings = Settings(
        warehouse_url=url,
        archive_url=str(root / "archive"),
        feedback_url=str(root / "feedback"),
        settle_seconds=0,
        reader_processes=2,  # through the isolated readers, as in production
    )
    try:
        result = ingest([str(landing)], settings)
        yield MixedBatch(landing, root / "archive", root / "feedback", url, result)
    finally:
        if database is not None:
            from warehouse.engine import cached_warehouse

            cached_warehouse.cache_clear()
            _admin(database[0], f'DROP DATABASE IF EXISTS "{database[1]}" WITH (FORCE)')


def _admin(url: str, sql: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(sql))
    finally:
        engine.dispose()


def _all_files(landing: Path) -> set[str]:
    return {p.relative_to(landing).as_posix() for p in landing.rglob("*") if p.is_file()}


def test_every_file_of_a_batch_gets_one_status(mixed_batch: MixedBatch) -> None:
    """It handles every file of the batch, bad ones included, and says what became of each."""
    statuses = {
        Path(f.file).relative_to(mixed_batch.landing).as_posix(): f.status
        for f in mixed_batch.result.files
    }
    assert statuses == {
        **dict.fromkeys(CLEAN, "accepted"),
        WARNINGS_ONLY: "accepted",
        OTHER_BOARDS_RETURN: "rejected",
        **dict.fromkeys(OUTSIDE, "rejected"),
        **dict.fromkeys(UNREADABLE, "rejected"),
    }
    assert set(statuses) == _all_files(mixed_batch.landing)
    assert all(f.submission_id is not None for f in mixed_batch.result.files)
    assert mixed_batch.result.still_changing == []


def test_bad_files_do_not_hold_back_the_good_ones(mixed_batch: MixedBatch) -> None:
    """It loads the accepted returns of a batch whatever else the batch holds."""
    for view in ("staffing", "activity", "finance"):
        assert query(
            mixed_batch.url, f"SELECT DISTINCT board_code, quarter FROM {view} ORDER BY 1"
        ) == [(LOTHIAN, "Q1"), (FIFE, "Q1"), (GGC, "Q1")]
    assert query(
        mixed_batch.url, "SELECT COUNT(*) FROM staffing WHERE board_code = :b", b=LOTHIAN
    ) == [(4,)]


def test_a_return_claiming_another_board_is_rejected_at_the_cover(mixed_batch: MixedBatch) -> None:
    """It rejects a file in Borders' folder that says it is Lothian's, naming the Board cell."""
    assert mixed_batch.submission(OTHER_BOARDS_RETURN)[3:8] == (
        "BQR",
        BORDERS,
        "2022-23",
        "Q1",
        "rejected",
    )
    assert mixed_batch.issues(OTHER_BOARDS_RETURN) == [("error", "Cover", "Cover!B5", "Lothian")]
    message = query(
        mixed_batch.url,
        "SELECT message FROM validation_issues WHERE cell = 'Cover!B5'",
    )
    assert len(message) == 1
    assert "Lothian" in str(message[0][0])
    assert "Borders" in str(message[0][0])


def test_files_outside_reporter_folders_are_archived_and_rejected_unread(
    mixed_batch: MixedBatch,
) -> None:
    """A file at the landing root or in a folder not named by a reporter code is not loaded.

    It is recorded as rejected with one file-level issue (no sheet, no cell), with no
    reporter, template or period, since it was never read.
    """
    for relative in OUTSIDE:
        row = mixed_batch.submission(relative)
        assert row[3:8] == (None, None, None, None, "rejected")
        assert row[9:] == (1, 0)
        assert mixed_batch.issues(relative) == [("error", None, None, None)]
        assert mixed_batch.summary(relative).reporter_code is None
    messages = [
        str(m)
        for (m,) in query(
            mixed_batch.url,
            "SELECT i.message FROM validation_issues i JOIN submissions s "
            "ON s.submission_id = i.submission_id WHERE s.reporter_code IS NULL",
        )
    ]
    assert any("'Lothian'" in m for m in messages)
    assert any("the landing area" in m for m in messages)


def test_unreadable_files_are_rejected_with_a_file_level_issue(mixed_batch: MixedBatch) -> None:
    """A damaged workbook, a text file and an empty file are rejected, never crashing the run."""
    for relative in UNREADABLE:
        row = mixed_batch.submission(relative)
        assert row[3:5] == (None, GGC)
        assert row[7] == "rejected"
        assert row[9:] == (1, 0)
        assert mixed_batch.issues(relative) == [("error", None, None, None)]


def test_every_received_file_is_archived_byte_for_byte(mixed_batch: MixedBatch) -> None:
    """Every file received is in the archive, byte for byte, under its SHA-256."""
    archived = query(
        mixed_batch.url,
        "SELECT s.origin_path, s.sha256, f.archive_url, f.size_bytes, s.received_at "
        "FROM submission s JOIN received_file f ON f.sha256 = s.sha256",
    )
    assert {Path(str(r[0])).relative_to(mixed_batch.landing).as_posix() for r in archived} == (
        _all_files(mixed_batch.landing)
    )
    for origin, sha256, archive_url, size, received_at in archived:
        sent = Path(str(origin)).read_bytes()
        kept = Path(str(archive_url)).read_bytes()
        assert kept == sent
        assert hashlib.sha256(kept).hexdigest() == sha256
        assert size == len(sent)
        assert Path(str(archive_url)).is_relative_to(mixed_batch.archive)
        assert received_at is not None


def test_submissions_view_tells_what_became_of_each_return(mixed_batch: MixedBatch) -> None:
    """The submissions view gives file, fingerprint, template, reporter, period, status, counts."""
    fife = mixed_batch.landing / WARNINGS_ONLY
    submission_id, *rest = mixed_batch.submission(WARNINGS_ONLY)
    assert submission_id == mixed_batch.summary(WARNINGS_ONLY).submission_id
    received_at = rest.pop(7)
    assert rest == [
        "fife.xlsx",
        hashlib.sha256(fife.read_bytes()).hexdigest(),
        "BQR",
        FIFE,
        "2022-23",
        "Q1",
        "accepted",
        0,
        1,
    ]
    assert received_at is not None
    for relative in CLEAN:
        row = mixed_batch.submission(relative)
        assert (row[3], row[7], row[9], row[10]) == ("BQR", "accepted", 0, 0)


def test_a_warnings_only_return_is_accepted_with_its_warnings(mixed_batch: MixedBatch) -> None:
    """It loads a return whose only problems are warnings, and keeps the warnings."""
    assert mixed_batch.issues(WARNINGS_ONLY) == [("warning", "Staffing", "Staffing!D5", "2.4")]
    summary = mixed_batch.summary(WARNINGS_ONLY)
    assert (summary.status, summary.errors, summary.warnings) == ("accepted", 0, 1)
    assert query(
        mixed_batch.url,
        "SELECT funded_wte, in_post_wte, vacant_wte FROM staffing "
        "WHERE board_code = :b AND staff_group = 'Psychiatry'",
        b=FIFE,
    ) == [(2.0, 2.4, 0.0)]


def test_feedback_is_written_for_returns_with_issues_only(mixed_batch: MixedBatch) -> None:
    """Returns with issues get an HTML report (and an annotated workbook where it can be read).

    Clean returns get no feedback; the submission records where its feedback went.
    """
    feedback = mixed_batch.feedback
    written = {p.relative_to(feedback).as_posix() for p in feedback.rglob("*") if p.is_file()}
    by_folder: dict[str, set[str]] = {}
    for name in written:
        folder, file_name = name.split("/")
        by_folder.setdefault(folder, set()).add(Path(file_name).suffix)
    assert by_folder == {
        FIFE: {".html", ".xlsx"},
        BORDERS: {".html", ".xlsx"},
        GGC: {".html"},  # the unreadable files: nothing to annotate
        "_unassigned": {".html", ".xlsx"},
    }
    assert len([n for n in written if n.startswith(f"{FIFE}/")]) == 2
    assert len([n for n in written if n.startswith(f"{GGC}/")]) == 3
    assert not any(n.startswith(f"{LOTHIAN}/") for n in written)
    for relative in CLEAN:
        assert mixed_batch.summary(relative).feedback is None
    fife = mixed_batch.summary(WARNINGS_ONLY)
    assert fife.feedback is not None
    assert Path(fife.feedback).read_text().lower().count("staffing!d5") >= 1
    recorded = query(
        mixed_batch.url,
        "SELECT feedback_url FROM submissions WHERE reporter_code = :b",
        b=FIFE,
    )
    assert recorded == [(fife.feedback,)]


@pytest.mark.usefixtures("prefect_harness")
def test_a_backfill_artifact_lists_only_files_needing_attention(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Past the threshold the run's artifact lists the files needing attention alone, and
    its description says where every file's fate is."""
    from prefect.artifacts import Artifact
    from prefect.client.schemas.objects import Artifact as StoredArtifact

    from flows import report_tasks
    from intake.summary import FileSummary

    monkeypatch.setattr(report_tasks, "ARTIFACT_LISTS_EVERY_FILE_UP_TO", 3)
    files = [
        FileSummary(f"/l/S08000024/clean {i}.xlsx", "S08000024", "accepted", 0, 0, None, i)
        for i in range(4)
    ]
    files.append(FileSummary("/l/S08000029/bad.xlsx", "S08000029", "rejected", 2, 0, "f", None))

    report_tasks._summary_artifact(files)

    artifact = Artifact.get("ingest-summary")
    assert isinstance(artifact, StoredArtifact)
    assert "bad.xlsx" in str(artifact.data)
    assert "clean 1.xlsx" not in str(artifact.data)
    assert "5 files handled" in (artifact.description or "")
    assert "`submissions`" in (artifact.description or "")
