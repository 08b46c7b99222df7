"""The warehouse: its schema, the downstream views, and how loads keep it consistent."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator

import polars as pl
import pytest
from sqlalchemy import Engine, insert
from sqlalchemy.exc import DBAPIError, IntegrityError

from domain.issues import Issue
from domain.records import RETURN_INDEX
from tests.queries import columns, query
from tests.warehouse_builders import facts as _facts
from tests.warehouse_builders import record as _record
from warehouse.engine import open_warehouse
from warehouse.load import UNSTORABLE, load_submissions
from warehouse.migrate import upgrade
from warehouse.tables import metadata, received_file, submission
from warehouse.views.catalogue import ALL_VIEWS
from warehouse.views.view import Layer

LOTHIAN, BORDERS, FIFE = "S08000024", "S08000016", "S08000029"

# The downstream contract (SPEC.md, "What the warehouse serves"), copied here on purpose:
# a change to the views that breaks it must fail this test, not silently update it.
SPEC_VIEWS: dict[str, list[str]] = {
    "staffing": [
        "board_code", "financial_year", "quarter", "service", "staff_group", "funded_wte",
        "in_post_wte", "vacant_wte",
    ],
    "activity": [
        "board_code", "financial_year", "quarter", "service", "referrals_received",
        "referrals_accepted", "first_assessments", "open_caseload", "discharges",
        "waiting_over_12_weeks", "admissions", "occupied_bed_days", "available_bed_days",
    ],
    "finance": [
        "board_code", "financial_year", "quarter", "service", "allocation_gbp", "spend_gbp",
        "forecast_gbp",
    ],
    "submissions": [
        "submission_id", "file_name", "sha256", "template", "reporter_code", "financial_year",
        "quarter", "status", "received_at", "errors", "warnings",
    ],
    "validation_issues": ["submission_id", "severity", "sheet", "cell", "value", "message"],
}  # fmt: skip


@pytest.fixture
def engine(warehouse_url: str) -> Iterator[Engine]:
    """An engine on an empty warehouse, brought to the current schema."""
    engine = open_warehouse(warehouse_url)
    upgrade(engine)
    try:
        yield engine
    finally:
        engine.dispose()


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _counts(url: str) -> dict[str, object]:
    tables = (
        "received_file",
        "submission",
        "validation_issue",
        "fact_staffing",
        "fact_activity",
        "fact_finance",
    )
    return {t: query(url, f"SELECT COUNT(*) FROM {t}")[0][0] for t in tables}


def test_upgrade_builds_an_empty_warehouse_and_is_idempotent(warehouse_url: str) -> None:
    """It creates the schema, seeds the dimensions, and a second upgrade changes nothing."""
    engine = open_warehouse(warehouse_url)
    try:
        upgrade(engine)
        assert query(warehouse_url, "SELECT COUNT(*) FROM dim_board") == [(14,)]
        assert query(warehouse_url, "SELECT COUNT(*) FROM dim_service") == [(4,)]
        assert query(warehouse_url, "SELECT COUNT(*) FROM dim_staff_group") == [(12,)]
        assert query(
            warehouse_url, "SELECT board_code FROM dim_board WHERE hosts_mbu ORDER BY board_code"
        ) == [(LOTHIAN,), ("S08000031",)]
        assert set(_counts(warehouse_url).values()) == {0}
        for view in SPEC_VIEWS:
            assert query(warehouse_url, f"SELECT COUNT(*) FROM {view}") == [(0,)]
        version = query(warehouse_url, "SELECT version_num FROM alembic_version")

        record = _record(0, LOTHIAN)
        load_submissions(engine, [record], _facts([record]))
        before = _counts(warehouse_url)
        upgrade(engine)
        upgrade(engine)

        assert query(warehouse_url, "SELECT version_num FROM alembic_version") == version
        assert len(version) == 1
        assert _counts(warehouse_url) == before
        assert query(warehouse_url, "SELECT COUNT(*) FROM dim_board") == [(14,)]
    finally:
        engine.dispose()


@pytest.mark.parametrize("view", list(SPEC_VIEWS))
def test_views_keep_the_downstream_contract(engine: Engine, view: str) -> None:
    """Each SPEC view exists with exactly the SPEC's columns first, in order (extras after)."""
    names = columns(_url(engine), view)
    assert names[: len(SPEC_VIEWS[view])] == SPEC_VIEWS[view]


def test_each_view_reads_only_from_the_layer_below() -> None:
    """Base views read tables; roll-ups read base views created before them, and dimensions.

    So no roll-up reaches the fact tables, where superseded returns still are.
    """
    tables = set(metadata.tables)
    dimensions = {name for name in tables if name.startswith("dim_")}
    created_base: set[str] = set()
    for view in ALL_VIEWS:
        if view.layer is Layer.BASE:
            assert view.reads <= tables, view.name
            created_base.add(view.name)
        else:
            assert view.layer is Layer.ROLLUP
            assert view.reads <= created_base | dimensions, view.name


def test_load_writes_submissions_issues_and_facts(engine: Engine) -> None:
    """It writes each record's submission, its issues and, for accepted returns, its figures."""
    warning = Issue("warning", "In post above funded", "Staffing", "Staffing!D5", "2.4")
    error = Issue("error", "Accepted above received", "Activity", "Activity!C5", "130")
    accepted = _record(0, LOTHIAN, issues=[warning])
    rejected = _record(1, BORDERS, status="rejected", issues=[error])
    url = _url(engine)

    ids = load_submissions(engine, [accepted, rejected], _facts([accepted])).ids

    assert sorted(ids) == [0, 1]
    assert query(
        url,
        "SELECT submission_id, file_name, sha256, template, reporter_code, "
        "financial_year, quarter, status, errors, warnings FROM submissions "
        "ORDER BY submission_id",
    ) == [
        (
            ids[0],
            "return 0.xlsx",
            accepted.sha256,
            "BQR",
            LOTHIAN,
            "2022-23",
            "Q1",
            "accepted",
            0,
            1,
        ),
        (
            ids[1],
            "return 1.xlsx",
            rejected.sha256,
            "BQR",
            BORDERS,
            "2022-23",
            "Q1",
            "rejected",
            1,
            0,
        ),
    ]
    assert query(
        url,
        "SELECT submission_id, severity, sheet, cell, value, message "
        "FROM validation_issues ORDER BY submission_id",
    ) == [
        (ids[0], "warning", "Staffing", "Staffing!D5", "2.4", "In post above funded"),
        (ids[1], "error", "Activity", "Activity!C5", "130", "Accepted above received"),
    ]
    assert query(
        url, "SELECT board_code, service, funded_wte, vacant_wte FROM staffing ORDER BY service"
    ) == [(LOTHIAN, "CPMHT", 2.0, 0.5), (LOTHIAN, "IMH", 2.0, 0.5)]
    assert query(url, "SELECT allocation_gbp, spend_gbp FROM finance WHERE service = 'IMH'") == [
        (1000.5, 250.25)
    ]
    assert query(
        url,
        "SELECT financial_year, quarter, starts_on, due_on FROM dim_quarter "
        "WHERE financial_year = '2022-23' AND quarter = 'Q1'",
    ) in (
        [("2022-23", "Q1", dt.date(2022, 4, 1), dt.date(2022, 7, 30))],
        [("2022-23", "Q1", "2022-04-01", "2022-07-30")],  # SQLite keeps dates as text
    )


def test_a_return_the_warehouse_refuses_is_recorded_rejected_and_its_chunk_loads(
    engine: Engine,
) -> None:
    """A return whose rows break a constraint leaves none of its figures; the rest of its
    chunk loads, and it is recorded as rejected with a file-level problem, not left out.

    The chunk is retried one return per transaction, every return is tried, and nothing is
    raised: the run goes on with the rest (before, it failed and every rerun failed again).
    """
    first, broken, last = _record(0, LOTHIAN), _record(1, BORDERS), _record(2, FIFE)
    facts = _facts([first, broken, last])
    # Two Finance rows for one service of one return: the fact table's key refuses them.
    duplicate_row = facts["fact_finance"].filter(pl.col(RETURN_INDEX) == 1).head(1)
    facts["fact_finance"] = pl.concat([facts["fact_finance"], duplicate_row])
    url = _url(engine)

    loaded = load_submissions(engine, [first, broken, last], facts, chunk_size=10)

    assert sorted(loaded.ids) == [0, 1, 2]
    assert [r.key for r in loaded.refused] == [1]
    assert query(
        url, "SELECT reporter_code, status, error_count FROM submission ORDER BY reporter_code"
    ) == [(BORDERS, "rejected", 1), (LOTHIAN, "accepted", 0), (FIFE, "accepted", 0)]
    assert query(
        url,
        "SELECT severity, sheet, cell, message FROM validation_issue WHERE submission_id = :i",
        i=loaded.ids[1],
    ) == [("error", None, None, UNSTORABLE)]
    for table in ("fact_staffing", "fact_activity", "fact_finance"):
        assert query(url, f"SELECT DISTINCT board_code FROM {table} ORDER BY board_code") == [
            (LOTHIAN,),
            (FIFE,),
        ]

    # Loading the same records again (a retried task) changes nothing.
    again = load_submissions(engine, [first, broken, last], _facts([first, broken, last]))
    assert again.ids == loaded.ids
    assert query(url, "SELECT COUNT(*) FROM submission") == [(3,)]


def test_a_single_refused_return_is_recorded_without_its_figures(engine: Engine) -> None:
    """A one-return load that breaks a constraint records the file as rejected, with the
    file-level problem only, and writes none of its figures."""
    record = _record(0, LOTHIAN, issues=[Issue("warning", "note", "Finance", "Finance!D5")])
    facts = _facts([record])
    facts["fact_staffing"] = facts["fact_staffing"].with_columns(
        pl.lit("NOT A BOARD").alias("board_code")
    )
    url = _url(engine)

    loaded = load_submissions(engine, [record], facts)

    assert [r.status for r in loaded.refused] == ["rejected"]
    counts = _counts(url)
    assert counts["submission"] == 1
    assert counts["validation_issue"] == 1
    assert {table: n for table, n in counts.items() if table.startswith("fact_")} == dict.fromkeys(
        [t for t in counts if t.startswith("fact_")], 0
    )
    assert query(url, "SELECT status, completed_by FROM submission") == [("rejected", None)]


def test_an_unreachable_warehouse_still_fails_the_load(engine: Engine) -> None:
    """Only a database that cannot be reached fails a load, after trying every return."""
    record = _record(0, LOTHIAN)
    unreachable = open_warehouse("postgresql+psycopg://nobody@127.0.0.1:1/none")

    with pytest.raises(DBAPIError):
        load_submissions(unreachable, [record], _facts([record]))


def test_load_is_idempotent(engine: Engine) -> None:
    """Loading the same records twice (a retried task) writes them once, with the same ids."""
    records = [
        _record(0, LOTHIAN, issues=[Issue("warning", "w", "Staffing", "Staffing!D5")]),
        _record(
            1, BORDERS, status="rejected", issues=[Issue("error", "e", "Activity", "Activity!C5")]
        ),
        _record(2, FIFE),
    ]
    facts = _facts([records[0], records[2]])
    url = _url(engine)

    first = load_submissions(engine, records, facts, chunk_size=2)
    counts = _counts(url)
    second = load_submissions(engine, records, facts, chunk_size=2)

    assert second.ids == first.ids
    assert _counts(url) == counts
    assert counts["submission"] == 3
    assert counts["validation_issue"] == 2
    assert query(url, "SELECT status FROM submission ORDER BY submission_id") == [
        ("accepted",),
        ("rejected",),
        ("accepted",),
    ]


def test_a_later_accepted_return_in_the_same_load_supersedes_the_earlier(engine: Engine) -> None:
    """Of two accepted returns for one board and quarter, the later is current in the views."""
    earlier, later = _record(0, LOTHIAN), _record(1, LOTHIAN)
    later.sha256 = hashlib.sha256(b"corrected").hexdigest()
    other_quarter = _record(2, LOTHIAN, quarter="Q2")
    url = _url(engine)

    ids = load_submissions(
        engine, [earlier, later, other_quarter], _facts([earlier, later, other_quarter])
    ).ids

    assert query(url, "SELECT submission_id, status FROM submission ORDER BY submission_id") == [
        (ids[0], "superseded"),
        (ids[1], "accepted"),
        (ids[2], "accepted"),
    ]
    assert query(url, "SELECT DISTINCT submission_id FROM staffing ORDER BY 1") == [
        (ids[1],),
        (ids[2],),
    ]
    assert query(url, "SELECT COUNT(*) FROM fact_staffing") == [(6,)]


def _submission_row(sha256: str, board: str, status: str, quarter: str = "Q1") -> dict[str, object]:
    now = dt.datetime.now(dt.UTC)
    return {
        "sha256": sha256,
        "file_name": "r.xlsx",
        "origin_path": f"landing/{board}/r.xlsx",
        "received_at": now,
        "processed_at": now,
        "template": "BQR",
        "reporter_code": board,
        "financial_year": "2022-23",
        "quarter": quarter,
        "status": status,
        "error_count": 0,
        "warning_count": 0,
    }


def test_only_one_accepted_submission_per_reporter_and_quarter(engine: Engine) -> None:
    """The database itself refuses a second accepted return for a reporter and quarter.

    Any number of rejected, superseded or duplicate rows may sit beside it, and the same
    reporter may have an accepted return for another quarter.
    """
    sha = "a" * 64
    with engine.begin() as connection:
        connection.execute(
            insert(received_file),
            {
                "sha256": sha,
                "size_bytes": 1,
                "archive_url": "x",
                "first_received_at": dt.datetime.now(dt.UTC),
            },
        )
        connection.execute(
            insert(submission),
            [
                _submission_row(sha, LOTHIAN, "accepted"),
                _submission_row(sha, LOTHIAN, "rejected"),
                _submission_row(sha, LOTHIAN, "rejected"),
                _submission_row(sha, LOTHIAN, "superseded"),
                _submission_row(sha, LOTHIAN, "duplicate"),
                _submission_row(sha, LOTHIAN, "accepted", quarter="Q2"),
                _submission_row(sha, BORDERS, "accepted"),
            ],
        )

    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(insert(submission), _submission_row(sha, LOTHIAN, "accepted"))

    assert query(_url(engine), "SELECT COUNT(*) FROM submission WHERE status = 'accepted'") == [
        (3,)
    ]


def test_figures_load_exactly_with_blanks_and_flags(engine: Engine) -> None:
    """Figures reach the fact tables as given, blanks as NULL and flags as booleans, on
    SQLite (executemany) and PostgreSQL (COPY fed by polars) alike."""
    record = _record(0, LOTHIAN)
    facts = _facts([record])
    facts["fact_staffing"] = facts["fact_staffing"].with_columns(
        pl.Series("vacant_wte", [None, 0.25], dtype=pl.Float64),
        pl.Series("is_vacant_derived", [False, True]),
    )

    load_submissions(engine, [record], facts)

    rows = query(
        _url(engine),
        "SELECT service_code, funded_wte, vacant_wte, is_vacant_derived, source_row "
        "FROM fact_staffing ORDER BY service_code",
    )
    assert [
        (r[0], float(str(r[1])), None if r[2] is None else float(str(r[2])), bool(r[3]), r[4])
        for r in rows
    ] == [("CPMHT", 2.0, None, False, 5), ("IMH", 2.0, 0.25, True, 6)]
