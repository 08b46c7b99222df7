"""Migrations and views: the schema the migrations build, and the views kept beside it.

Every test runs on SQLite and on PostgreSQL, each on an empty database of its own.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, event, inspect, text

from tests.queries import columns, query
from tests.spec_contract import (
    COPY,
    DOWNSTREAM_CONTRACT,
    contract_columns,
    contract_section,
    spec_path,
)
from warehouse.engine import open_warehouse
from warehouse.migrate import MIGRATED_METADATA, alembic_config, head_revision, upgrade
from warehouse.views.catalogue import ALL_VIEWS

# Every view's columns as the warehouse serves them: SPEC.md's downstream contract first,
# then the columns added since. Copied here on purpose: a change must be made deliberately.
VIEW_COLUMNS: dict[str, list[str]] = {
    "staffing": [
        "board_code", "financial_year", "quarter", "service", "staff_group", "funded_wte",
        "in_post_wte", "vacant_wte", "is_vacant_derived", "submission_id", "source_row",
    ],
    "activity": [
        "board_code", "financial_year", "quarter", "service", "referrals_received",
        "referrals_accepted", "first_assessments", "open_caseload", "discharges",
        "waiting_over_12_weeks", "admissions", "occupied_bed_days", "available_bed_days",
        "submission_id", "source_row",
    ],
    "finance": [
        "board_code", "financial_year", "quarter", "service", "allocation_gbp", "spend_gbp",
        "forecast_gbp", "submission_id", "source_row",
    ],
    "submissions": [
        "submission_id", "file_name", "sha256", "template", "reporter_code", "financial_year",
        "quarter", "status", "received_at", "errors", "warnings", "origin_path",
        "processed_at", "feedback_url",
    ],
    "validation_issues": [
        "submission_id", "severity", "sheet", "cell", "value", "message", "issue_id",
        "explanation", "rule",
    ],
    "third_sector_activity": [
        "charity_number", "fund", "financial_year", "quarter", "board_code", "support_type",
        "mothers", "fathers_partners", "infants", "other_carers", "submission_id", "source_row",
    ],
    "third_sector_outcomes": [
        "charity_number", "fund", "financial_year", "quarter", "outcome", "respondents",
        "reporting_improvement", "submission_id", "source_row",
    ],
    "third_sector_finance": [
        "charity_number", "fund", "financial_year", "quarter", "grant_awarded_gbp", "spend_gbp",
        "submission_id", "source_row",
    ],
    "reporting_quarters": ["financial_year", "quarter", "starts_on", "ends_on", "due_on"],
    "register_in_force": ["financial_year", "quarter", "version_id"],
    "register": [
        "financial_year", "quarter", "charity_number", "name", "fund", "award_gbp", "version_id",
    ],
    "national_services": ["financial_year", "quarter", "service", "boards_running"],
    "national_staffing": [
        "financial_year", "quarter", "service", "staff_group", "boards", "funded_wte",
        "in_post_wte", "vacant_wte", "vacancy_rate_pct",
    ],
    "national_activity": [
        "financial_year", "quarter", "service", "boards", "referrals_received",
        "referrals_accepted", "first_assessments", "open_caseload", "discharges",
        "waiting_over_12_weeks", "admissions", "occupied_bed_days", "available_bed_days",
    ],
    "national_finance": [
        "financial_year", "quarter", "service", "boards", "allocation_gbp", "spend_gbp",
        "forecast_gbp", "spend_pct_of_allocation",
    ],
    "national_funds": [
        "financial_year", "quarter", "fund", "organisations", "total_award_gbp",
        "average_award_gbp", "organisations_reporting", "grant_awarded_gbp", "spend_gbp",
        "spend_pct_of_grant",
    ],
    "national_people_supported": [
        "financial_year", "quarter", "board_code", "organisations", "mothers",
        "fathers_partners", "infants", "other_carers", "people_supported",
    ],
    "national_outcomes": [
        "financial_year", "quarter", "outcome", "organisations_reporting", "respondents",
        "reporting_improvement", "percent_improved",
    ],
    "submission_tracker": [
        "financial_year", "quarter", "reporter_code", "reporter_type", "reporter_name", "fund",
        "status", "received_late", "due_on", "first_received_at", "last_received_at",
        "submission_id", "errors", "warnings",
    ],
    "data_quality": [
        "financial_year", "quarter", "reporter_code", "reporter_type", "reporter_name", "due_on",
        "first_received_at", "days_from_due", "returns_received", "resubmissions_needed",
        "errors_before_acceptance", "errors_per_return", "accepted_submission_id",
        "cells_expected", "cells_not_reported", "warnings", "warnings_explained",
        "timeliness_score", "validity_score", "completeness_score", "resubmissions_score",
        "warnings_explained_score", "overall_score",
    ],
    "lineage": [
        "view_name", "board_code", "charity_number", "fund", "financial_year", "quarter",
        "service", "staff_group", "support_type", "outcome", "measure", "value",
        "submission_id", "file_name", "sha256", "sheet", "cell", "source_row", "received_at",
        "status", "is_current", "is_derived",
    ],
}  # fmt: skip

# The views as migrations 0001 and 0002 left them, in the order they made them, each with
# what it read then (`register` read `register_in_force`). Their bodies are cut down to
# those reads: what matters is that PostgreSQL refuses to drop a view others depend on.
VIEWS_AS_0002_LEFT_THEM: dict[str, tuple[str, ...]] = {
    "staffing": ("fact_staffing", "submission"),
    "activity": ("fact_activity", "submission"),
    "finance": ("fact_finance", "submission"),
    "submissions": ("submission",),
    "validation_issues": ("validation_issue",),
    "third_sector_activity": ("fact_ts_activity", "submission"),
    "third_sector_outcomes": ("fact_ts_outcome", "submission"),
    "third_sector_finance": ("fact_ts_finance", "submission"),
    "reporting_quarters": ("dim_quarter",),
    "register_in_force": ("dim_quarter", "register_version"),
    "register": ("register_in_force", "register_entry"),
    "national_services": ("staffing", "activity"),
    "national_staffing": ("staffing",),
    "national_activity": ("activity",),
    "national_finance": ("finance",),
    "national_funds": ("register", "reporting_quarters", "third_sector_finance"),
    "national_people_supported": ("third_sector_activity",),
    "national_outcomes": ("third_sector_outcomes",),
    "submission_tracker": ("reporting_quarters", "dim_board", "register", "submission"),
}


@pytest.fixture
def engine(warehouse_url: str) -> Iterator[Engine]:
    """An engine on an empty database, not yet migrated."""
    engine = open_warehouse(warehouse_url)
    try:
        yield engine
    finally:
        engine.dispose()


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _migrate(engine: Engine, direction: str, revision: str) -> None:
    """Run only Alembic's migrations (no views), as `alembic upgrade/downgrade REVISION`."""
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        getattr(command, direction)(config, revision)


def _schema_differences(engine: Engine) -> list[object]:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": True}
        )
        # Alembic compares a sequence of MetaData as it does `target_metadata`; its stub
        # names one MetaData only.
        return list(compare_metadata(context, list(MIGRATED_METADATA)))  # type: ignore[arg-type]


def _view_names(engine: Engine) -> set[str]:
    return set(inspect(engine).get_view_names())


def _assert_views_as_defined(engine: Engine) -> None:
    url = _url(engine)
    assert _view_names(engine) == set(VIEW_COLUMNS)
    for name, names in VIEW_COLUMNS.items():
        assert columns(url, name) == names, name


def _revisions() -> list[str]:
    """Every migration's revision, oldest first."""
    script = ScriptDirectory.from_config(alembic_config())
    return [r.revision for r in reversed(list(script.walk_revisions("base", "heads")))]


def _revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def _assert_contract_kept(engine: Engine, after: str) -> None:
    """Every view of SPEC.md's downstream contract exists, its columns SPEC's names in
    SPEC's order (columns the project added come after them, as SPEC allows)."""
    url = _url(engine)
    present = _view_names(engine)
    for name, spec_columns in DOWNSTREAM_CONTRACT.items():
        assert name in present, f"{name} missing after {after}"
        served = columns(url, name)
        assert served[: len(spec_columns)] == spec_columns, f"{name} after {after}"


def test_the_contract_the_tests_read_is_spec_md_s() -> None:
    """The copy of SPEC.md's downstream contract the tests read is SPEC.md's, word for word
    (checked where SPEC.md is at hand), and names SPEC's eight views."""
    copy = COPY.read_text(encoding="utf-8")
    assert list(DOWNSTREAM_CONTRACT) == [
        "staffing", "activity", "finance", "third_sector_activity", "third_sector_outcomes",
        "third_sector_finance", "submissions", "validation_issues",
    ]  # fmt: skip
    spec = spec_path()
    if not spec.exists():
        pytest.skip(f"SPEC.md is not at {spec} (set PIMH_SPEC) to compare the copy with")
    text = spec.read_text(encoding="utf-8")
    assert contract_section(text) == contract_section(copy)
    assert contract_columns(text) == DOWNSTREAM_CONTRACT


def test_the_views_defined_serve_the_contract_first() -> None:
    """Each contract view's columns as defined start with SPEC's, in SPEC's order."""
    for name, spec_columns in DOWNSTREAM_CONTRACT.items():
        assert VIEW_COLUMNS[name][: len(spec_columns)] == spec_columns, name


def test_the_contract_holds_after_every_migration(engine: Engine) -> None:
    """Upgraded one revision at a time from empty; at each revision the warehouse is
    brought up as every command brings it (`warehouse.migrate.upgrade`: the remaining
    migrations, then the views), and every contract view is there with SPEC's columns.
    Then it goes back to that revision (its views dropped) and on to the next."""
    revisions = _revisions()
    assert revisions[-1] == head_revision()
    for revision in revisions:
        _migrate(engine, "upgrade", revision)
        assert _revision(engine) == revision

        upgrade(engine)

        assert _revision(engine) == head_revision()
        _assert_contract_kept(engine, revision)
        assert _schema_differences(engine) == []
        if revision != revisions[-1]:
            _migrate(engine, "downgrade", revision)
            assert _view_names(engine) == set()
    _assert_views_as_defined(engine)


def test_every_migration_downgrades_one_step_at_a_time(engine: Engine) -> None:
    """From head back to empty one revision at a time, each step dropping the views, then
    up again to head with the contract kept."""
    upgrade(engine)
    revisions = _revisions()
    for previous in [*reversed(revisions[:-1]), "base"]:
        _migrate(engine, "downgrade", previous)
        assert _revision(engine) == (None if previous == "base" else previous)
        assert _view_names(engine) == set()
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}

    upgrade(engine)

    _assert_contract_kept(engine, "downgrading to base and upgrading again")
    _assert_views_as_defined(engine)


def test_the_migrations_build_exactly_the_tables_the_code_declares(engine: Engine) -> None:
    """Alembic's autogenerate finds nothing to change between head and warehouse.tables."""
    upgrade(engine)

    assert _schema_differences(engine) == []


def test_an_empty_database_upgrades_downgrades_and_upgrades_again(engine: Engine) -> None:
    """Head, then base (no table or view left), then head again, with the views each time."""
    upgrade(engine)
    _assert_views_as_defined(engine)

    _migrate(engine, "downgrade", "base")
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    assert _view_names(engine) == set()

    upgrade(engine)
    _assert_views_as_defined(engine)
    assert _schema_differences(engine) == []
    url = _url(engine)
    assert query(url, "SELECT COUNT(*) FROM dim_board") == [(14,)]
    assert query(url, "SELECT COUNT(*) FROM dim_quarter") == [(84,)]


def test_every_view_exists_after_upgrade_with_its_columns_in_order(engine: Engine) -> None:
    """Each view the warehouse defines is created, with its columns in order."""
    upgrade(engine)

    _assert_views_as_defined(engine)
    assert {view.name: list(view.columns) for view in ALL_VIEWS} == VIEW_COLUMNS


def test_a_warehouse_left_at_0002_with_its_views_upgrades_to_head(engine: Engine) -> None:
    """The views 0002 made (in their old dependencies) are replaced; the data stay."""
    _migrate(engine, "upgrade", "0002")
    with engine.begin() as connection:
        for name, reads in VIEWS_AS_0002_LEFT_THEM.items():
            connection.execute(text(f"CREATE VIEW {name} AS SELECT 1 AS n FROM {', '.join(reads)}"))
    url = _url(engine)
    quarters = query(url, "SELECT * FROM dim_quarter ORDER BY starts_on")

    upgrade(engine)

    _assert_views_as_defined(engine)
    assert query(url, "SELECT version_num FROM alembic_version") == [(head_revision(),)]
    assert query(url, "SELECT * FROM dim_quarter ORDER BY starts_on") == quarters
    assert query(url, "SELECT COUNT(*) FROM view_fingerprint") == [(len(VIEW_COLUMNS),)]


def test_an_up_to_date_warehouse_is_only_read_at_start(engine: Engine) -> None:
    """A second upgrade reads the revision and the fingerprints, and changes nothing."""
    upgrade(engine)
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))

    upgrade(engine)

    # SQLite's transactions are begun explicitly (warehouse.engine): not a query.
    queries = [s for s in statements if s.strip().upper() != "BEGIN"]
    assert len(queries) <= 3
    assert all(s.lstrip().upper().startswith(("SELECT", "PRAGMA")) for s in queries)


def test_a_view_whose_definition_changed_is_made_again(engine: Engine) -> None:
    """A view that differs from its recorded fingerprint is rebuilt by the next upgrade."""
    upgrade(engine)
    with engine.begin() as connection:
        connection.execute(text("DROP VIEW national_staffing"))
        connection.execute(text("CREATE VIEW national_staffing AS SELECT 1 AS n"))
        connection.execute(
            text("UPDATE view_fingerprint SET ddl_sha256 = :old WHERE view_name = :name"),
            {"old": "0" * 64, "name": "national_staffing"},
        )

    upgrade(engine)

    assert columns(_url(engine), "national_staffing") == VIEW_COLUMNS["national_staffing"]
    assert _schema_differences(engine) == []


def test_a_view_no_longer_defined_is_dropped(engine: Engine) -> None:
    """A recorded view the code no longer defines goes, even one reading a current view."""
    upgrade(engine)
    with engine.begin() as connection:
        connection.execute(text("CREATE VIEW retired_view AS SELECT * FROM staffing"))
        connection.execute(
            text(
                "INSERT INTO view_fingerprint (view_name, ddl_sha256, created_at) "
                "VALUES ('retired_view', :sha, CURRENT_TIMESTAMP)"
            ),
            {"sha": "0" * 64},
        )

    upgrade(engine)

    _assert_views_as_defined(engine)
    assert query(_url(engine), "SELECT COUNT(*) FROM view_fingerprint") == [(len(VIEW_COLUMNS),)]
