"""The warehouse's quality checks: Great Expectations suites over warehouses the pipeline
filled, whole and deliberately broken, on SQLite and PostgreSQL; `pimh quality`, its Data
Docs and history; the `check-warehouse` flow's artifact; and the ingest flow kept free of
Great Expectations."""

from __future__ import annotations

import contextlib
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner, Result

from config.settings import Settings, using_settings
from domain.reference import BOARDS
from flows.ingest import ingest
from intake.register import read_register
from pimh.cli import app
from tests.builders import valid_return, write
from tests.queries import query
from tests.reliability import demo_quarter
from warehouse.engine import cached_warehouse, open_warehouse
from warehouse.register_load import load_register
from warehouse.tables import fact_staffing, submission

pytestmark = pytest.mark.usefixtures("prefect_harness")

YEAR, QUARTER = "2022-23", "Q1"
FIFE, LOTHIAN = "S08000029", "S08000024"


def _settings(root: Path, url: str) -> Settings:
    return Settings(
        warehouse_url=url,
        archive_url=str(root / "archive"),
        feedback_url=str(root / "feedback"),
        settle_seconds=0,
        reader_processes=0,
    )


@pytest.fixture(scope="module")
def demo_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite warehouse the pipeline filled with the demo's on-time returns (13 boards and
    31 charities accepted, some rejected), made once; each test works on a copy."""
    root = tmp_path_factory.mktemp("demo-warehouse")
    landing, register = demo_quarter(root)
    database = root / "warehouse.db"
    settings = _settings(root, f"sqlite:///{database}")
    load_register(open_warehouse(settings.warehouse_url), read_register(register))
    ingest([str(landing)], settings)
    cached_warehouse.cache_clear()
    return database


@pytest.fixture
def warehouse(demo_warehouse: Path, tmp_path: Path) -> str:
    copy = tmp_path / "warehouse.db"
    # SQLite's own backup, not a file copy: the last commits may still be in the
    # write-ahead log beside the file, which a copy of the file alone would leave behind.
    with (
        contextlib.closing(sqlite3.connect(demo_warehouse)) as source,
        contextlib.closing(sqlite3.connect(copy)) as target,
    ):
        source.backup(target)
    return f"sqlite:///{copy}"


def _quality(url: str, docs: Path, *extra: str) -> Result:
    return CliRunner().invoke(
        app,
        ["quality", "--warehouse", url, "--docs", str(docs), *extra],
        env={"COLUMNS": "80"},
    )


def _execute(url: str, *statements: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            for statement in statements:
                connection.execute(text(statement))
    finally:
        engine.dispose()


def _results(url: str) -> dict[str, tuple[object, ...]]:
    """The latest check's outcome per expectation: (severity, passed)."""
    rows = query(
        url,
        "SELECT expectation_key, severity, is_passed FROM quality_result "
        "WHERE check_id = (SELECT MAX(check_id) FROM quality_check)",
    )
    return {str(key): (severity, bool(passed)) for key, severity, passed in rows}


def _failed(url: str) -> dict[str, object]:
    return {key: severity for key, (severity, passed) in _results(url).items() if not passed}


def _accepted_above_received(url: str, board: str) -> None:
    _execute(
        url,
        "UPDATE fact_activity SET referrals_accepted = referrals_received + 5 "
        f"WHERE board_code = '{board}' AND service_code = 'CPMHT'",
    )


def _duplicate_return(url: str, board: str) -> None:
    """A second current return for the board, as if the one-current-return index had gone."""
    kept = [c.name for c in submission.c if c.name != "submission_id"]
    figures = [c.name for c in fact_staffing.c if c.name != "submission_id"]
    _execute(
        url,
        "DROP INDEX uq_submission_current",
        f"INSERT INTO submission ({', '.join(kept)}) SELECT {', '.join(kept)} FROM submission "
        f"WHERE reporter_code = '{board}' AND status = 'accepted'",
        f"INSERT INTO fact_staffing (submission_id, {', '.join(figures)}) "
        f"SELECT (SELECT MAX(submission_id) FROM submission), {', '.join(figures)} "
        f"FROM fact_staffing WHERE submission_id = (SELECT MIN(submission_id) FROM submission "
        f"WHERE reporter_code = '{board}' AND status = 'accepted')",
    )


def test_every_expectation_holds_on_a_warehouse_the_pipeline_filled(
    warehouse: str, tmp_path: Path
) -> None:
    """It checks every downstream view and the views together, passes, prints a table that
    reads at 80 columns, builds Data Docs and keeps the result in the warehouse."""
    docs = tmp_path / "docs"

    result = _quality(warehouse, docs, "--year", YEAR, "--quarter", QUARTER)

    assert result.exit_code == 0, result.output
    assert "Quality check passed" in result.output
    # Only the Data Docs' address may run on (folded, it would not open as a link).
    lines = [line for line in result.output.splitlines() if "file://" not in line]
    assert max(len(line) for line in lines) <= 80
    outcomes = _results(warehouse)
    assert _failed(warehouse) == {}
    suites = {key.split(".")[0] for key in outcomes}
    assert suites == {
        "staffing", "activity", "finance", "third_sector_activity", "third_sector_outcomes",
        "third_sector_finance", "submissions", "validation_issues", "across_views",
    }  # fmt: skip
    for key in (
        "activity.referrals_accepted_not_above_referrals_received",
        "activity.occupied_bed_days_not_above_available_bed_days",
        "staffing.one_row_per_key",
        "staffing.service_known",
        "finance.spend_gbp_in_range",
        "submissions.one_current_return_per_reporter_and_quarter",
        "across_views.figures_have_a_submission",
        "across_views.national_activity_equals_sum_of_activity",
    ):
        assert outcomes[key] == ("error", True), key
    assert outcomes["across_views.board_services_agree"] == ("warning", True)
    assert (docs / "index.html").is_file()
    [page] = (docs / "checks").glob("check-*.html")
    assert f"Data Docs: {page.resolve().as_uri()}" in result.output
    [suite_page] = (docs / "validations" / "activity").rglob("*.html")
    assert f"../{suite_page.relative_to(docs).as_posix()}" in page.read_text()
    assert query(
        warehouse,
        "SELECT financial_year, quarter, is_passed, count_failed_errors FROM quality_check",
    ) == [(YEAR, QUARTER, 1, 0)]


def test_a_broken_warehouse_fails_the_named_expectations_and_history_shows_it(
    warehouse: str, tmp_path: Path
) -> None:
    """Accepted referrals above received and a second current return fail their named
    expectations; the command exits 1, and --history lists the failed check after the passed."""
    first = _quality(warehouse, tmp_path / "docs")
    assert first.exit_code == 0, first.output
    _accepted_above_received(warehouse, FIFE)
    _duplicate_return(warehouse, FIFE)

    result = _quality(warehouse, tmp_path / "docs")

    assert result.exit_code == 1, result.output
    assert _failed(warehouse) == {
        "activity.referrals_accepted_not_above_referrals_received": "error",
        "staffing.one_row_per_key": "error",
        "submissions.one_current_return_per_reporter_and_quarter": "error",
        # Fife's staffing is counted twice in the roll-up, as in the view it sums.
    }
    assert "activity.referrals_accepted_not_above_referrals_received" in result.output
    assert "FAIL" in result.output
    assert FIFE in result.output  # the rows found are shown

    history = _quality(warehouse, tmp_path / "docs", "--history")

    assert history.exit_code == 0, history.output
    lines = [line for line in history.output.splitlines() if "every quarter" in line]
    assert ["failed" in lines[0], "passed" in lines[1]] == [True, True]
    assert query(
        warehouse, "SELECT is_passed, count_failed_errors FROM quality_check ORDER BY check_id"
    ) == [(1, 0), (0, 3)]


def test_a_failed_warning_is_shown_and_does_not_fail_the_check(
    warehouse: str, tmp_path: Path
) -> None:
    """A board whose finance leaves out a service it staffs fails the warning only: exit 0."""
    _execute(
        warehouse,
        "DELETE FROM fact_finance WHERE board_code = 'S08000029' AND service_code = 'IMH'",
    )

    result = _quality(warehouse, tmp_path / "docs", "--year", YEAR, "--quarter", QUARTER)

    assert result.exit_code == 0, result.output
    assert _failed(warehouse) == {"across_views.board_services_agree": "warning"}
    assert "warn" in result.output
    assert "'service': 'IMH'" in result.output


def test_an_unreachable_warehouse_is_a_plain_message_and_exit_2(tmp_path: Path) -> None:
    url = "postgresql+psycopg://pimh:secret@127.0.0.1:1/pimh"

    result = _quality(url, tmp_path / "docs")

    assert result.exit_code == 2
    assert "could not be reached" in result.output
    assert "secret" not in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "docs").exists()


def test_year_and_quarter_go_together(warehouse: str, tmp_path: Path) -> None:
    result = _quality(warehouse, tmp_path / "docs", "--year", YEAR)

    assert result.exit_code == 2
    assert "--year and --quarter together" in result.output


@pytest.mark.postgres
def test_the_same_checks_pass_and_fail_on_postgresql(tmp_path: Path, postgres_url: str) -> None:
    """On PostgreSQL: a loaded warehouse passes; accepted above received fails it, exit 1.
    The password in the URL is written nowhere in the Data Docs."""
    landing = tmp_path / "landing"
    for board in (LOTHIAN, FIFE):
        write(landing / board / f"{BOARDS[board]}.xlsx", valid_return(board))
    ingest([str(landing)], _settings(tmp_path, postgres_url))
    # PostgreSQL here trusts local connections, so any password works: it must not leak.
    with_password = postgres_url.replace("postgres@", "postgres:not-for-docs@", 1)
    docs = tmp_path / "docs"

    passed = _quality(with_password, docs, "--year", YEAR, "--quarter", QUARTER)
    assert passed.exit_code == 0, passed.output
    assert {k: v for k, v in _failed(postgres_url).items() if v == "error"} == {}

    _accepted_above_received(postgres_url, FIFE)
    failed = _quality(with_password, docs, "--year", YEAR, "--quarter", QUARTER)

    assert failed.exit_code == 1, failed.output
    assert {k: v for k, v in _failed(postgres_url).items() if v == "error"} == {
        "activity.referrals_accepted_not_above_referrals_received": "error"
    }
    assert (docs / "index.html").is_file()
    for page in docs.rglob("*"):
        if page.is_file() and page.suffix in {".html", ".json", ".js"}:
            assert "not-for-docs" not in page.read_text(errors="replace"), page


def test_the_check_warehouse_flow_publishes_its_artifact(warehouse: str, tmp_path: Path) -> None:
    """The flow's run has a `warehouse-quality` Markdown artifact with the verdict and a link
    to the Data Docs; it completes when only error-level expectations held."""
    from prefect.artifacts import Artifact
    from prefect.client.schemas.objects import Artifact as StoredArtifact

    from flows.quality import QUALITY_ARTIFACT, check_warehouse

    settings = _settings(tmp_path, warehouse).model_copy(
        update={"quality_docs_dir": tmp_path / "flow-docs"}
    )
    with using_settings(settings):
        state = check_warehouse(YEAR, QUARTER, return_state=True)

    assert state.is_completed(), state.message
    artifact = Artifact.get(QUALITY_ARTIFACT)
    assert isinstance(artifact, StoredArtifact)
    assert artifact.flow_run_id == state.state_details.flow_run_id
    markdown = str(artifact.data)
    assert f"# Warehouse quality ({YEAR} {QUARTER}): passed" in markdown
    [(docs_url,)] = query(warehouse, "SELECT docs_url FROM quality_check")
    assert f"[Data Docs]({docs_url})" in markdown
    assert str(docs_url).startswith((tmp_path / "flow-docs" / "checks").resolve().as_uri())
    assert "| across_views |" in markdown
    assert warehouse not in markdown


def test_the_check_warehouse_flow_fails_when_an_error_level_expectation_fails(
    warehouse: str, tmp_path: Path
) -> None:
    """Its run fails (red in the UI) and the artifact names the failed expectation."""
    from prefect.artifacts import Artifact
    from prefect.client.schemas.objects import Artifact as StoredArtifact

    from flows.quality import QUALITY_ARTIFACT, check_warehouse

    _accepted_above_received(warehouse, FIFE)
    settings = _settings(tmp_path, warehouse).model_copy(
        update={"quality_docs_dir": tmp_path / "flow-docs"}
    )
    with using_settings(settings):
        state = check_warehouse(return_state=True)

    assert state.is_failed()
    artifact = Artifact.get(QUALITY_ARTIFACT)
    assert isinstance(artifact, StoredArtifact)
    assert "FAILED" in str(artifact.data)
    assert "`activity.referrals_accepted_not_above_referrals_received`" in str(artifact.data)


def test_the_ingest_flow_and_the_service_never_import_great_expectations() -> None:
    """Great Expectations' import costs seconds: ingest runs, the service that registers the
    check-warehouse flow, and the pimh command itself start without it."""
    code = (
        "import sys; import flows.ingest, flows.service, flows.quality, pimh.cli; "
        "print('great_expectations' in sys.modules)"
    )
    found = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert found.stdout.strip() == "False", found.stderr


def test_the_service_checks_the_warehouse_after_each_completed_ingest_run() -> None:
    """check-warehouse is deployed beside ingest and sweep, triggered by any ingest run's
    Completed event, one run at a time (later triggers wait, so the last load is checked)."""
    from prefect.events import DeploymentEventTrigger
    from prefect.events.schemas.events import ResourceSpecification

    from flows.service import deployments

    made = {d.name: d for d in deployments("/landing", Settings())}

    assert set(made) == {"ingest", "sweep", "after-ingest"}
    quality = made["after-ingest"]
    assert quality.flow_name == "check-warehouse"
    [trigger] = quality.triggers
    assert isinstance(trigger, DeploymentEventTrigger)
    assert trigger.expect == {"prefect.flow-run.Completed"}
    assert isinstance(trigger.match_related, ResourceSpecification)
    assert trigger.match_related.root == {
        "prefect.resource.role": "flow",
        "prefect.resource.name": "ingest-returns",
    }
    assert quality.concurrency_limit == 1
    assert quality.parameters == {}


def test_every_expectation_names_itself_and_its_severity() -> None:
    """Each expectation's meta holds a key unique across suites and a severity; only the
    services' agreement is a warning."""
    from quality.suites import warehouse_suites

    suites = warehouse_suites()
    metas = [e.meta or {} for suite in suites for e in suite.expectations]
    keys = [m["key"] for m in metas]

    assert len(keys) == len(set(keys))
    assert {m["severity"] for m in metas} == {"error", "warning"}
    assert [m["key"] for m in metas if m["severity"] == "warning"] == [
        "across_views.board_services_agree"
    ]
    assert all(e.description for suite in suites for e in suite.expectations), (
        "every expectation says in plain English what it expects"
    )
