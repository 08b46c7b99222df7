"""The quarter's published tables (extracts.publish), read from a real warehouse.

Each warehouse is built for real: an empty database migrated by `upgrade`, then rows
inserted with SQLAlchemy Core into the audit trail, fact and register tables, once on
SQLite and once on a throw-away PostgreSQL database. `QuarterBuilder` is shared with
tests/test_status_export_cli.py.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal
from sqlalchemy import Engine, insert

from domain.layouts import BQR_ACTIVITY, PEOPLE_COLUMNS
from domain.periods import Period
from domain.reference import BOARDS, SERVICES
from extracts.catalogue import CATALOGUE, TABLES
from extracts.disclosure import SUPPRESSED, TOTAL_LABEL
from extracts.publish import Publication, build_publication
from extracts.shaping import PEOPLE_MEASURES, activity_table, suppress_with_blanks
from extracts.writers import write_csv
from warehouse.engine import open_warehouse
from warehouse.migrate import upgrade
from warehouse.tables import (
    fact_activity,
    fact_finance,
    fact_staffing,
    fact_ts_activity,
    fact_ts_finance,
    fact_ts_outcome,
    received_file,
    register_board_area,
    register_entry,
    register_version,
    submission,
)
from warehouse.tracker import begun_quarters, tracker, trackers

LOTHIAN, FIFE, GGC, BORDERS = "S08000024", "S08000029", "S08000031", "S08000016"
FORMULA_ORG, SMALL_ORG, SILENT_ORG, REJECTED_ORG = "SC000001", "SC000002", "SC000003", "SC000004"
FORMULA_NAME = '=HYPERLINK("x")'
Q1 = Period("2022-23", "Q1")
Q2 = Period("2022-23", "Q2")
ON_TIME = dt.datetime(2022, 7, 15, 9, 30, tzinfo=dt.UTC)  # Q1 is due on 30 July 2022
LATE = dt.datetime(2022, 8, 10, 14, 0, tzinfo=dt.UTC)
SECRET_NAME = "Morag Quietly-Confidential"
SECRET_EMAIL = "morag.secret@contact.example"
MEASURES = tuple(column.key for column in BQR_ACTIVITY.measures)


# --- building a warehouse -----------------------------------------------------------------------


@dataclass
class QuarterBuilder:
    """Inserts returns into a migrated warehouse the way ingest leaves them."""

    engine: Engine
    _files: Iterator[int] = field(default_factory=itertools.count)

    @classmethod
    def migrated(cls, url: str) -> QuarterBuilder:
        engine = open_warehouse(url)
        upgrade(engine)
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

    def submission(
        self,
        reporter: str,
        template: str,
        received_at: dt.datetime,
        *,
        status: str = "accepted",
        period: Period = Q1,
        errors: int = 0,
        warnings: int = 0,
    ) -> int:
        sha = hashlib.sha256(str(next(self._files)).encode()).hexdigest()
        with self.engine.begin() as connection:
            connection.execute(
                insert(received_file),
                {
                    "sha256": sha,
                    "size_bytes": 1,
                    "archive_url": "x",
                    "first_received_at": received_at,
                },
            )
            result = connection.execute(
                insert(submission),
                {
                    "sha256": sha,
                    "file_name": f"{reporter}.xlsx",
                    "origin_path": f"landing/{reporter}/{reporter}.xlsx",
                    "received_at": received_at,
                    "processed_at": received_at,
                    "template": template,
                    "template_version": "1",
                    "reporter_code": reporter,
                    "financial_year": period.financial_year,
                    "quarter": period.quarter,
                    "status": status,
                    "error_count": errors,
                    "warning_count": warnings,
                    "completed_by": SECRET_NAME,
                    "contact_email": SECRET_EMAIL,
                },
            )
            key = result.inserted_primary_key
            assert key is not None
            return int(key[0])

    def board_return(
        self,
        board: str,
        received_at: dt.datetime,
        activity: dict[str, dict[str, int | None]],
        *,
        period: Period = Q1,
    ) -> int:
        """An accepted board return: `activity` by service; staffing and finance follow it."""
        sid = self.submission(board, "BQR", received_at, period=period, warnings=1)
        keys = {"submission_id": sid, "board_code": board, **_period_keys(period)}
        rows = [
            {**keys, "service_code": service, **dict.fromkeys(MEASURES), **measures}
            for service, measures in activity.items()
        ]
        with self.engine.begin() as connection:
            connection.execute(
                insert(fact_activity), [{**row, "source_row": n} for n, row in enumerate(rows)]
            )
            connection.execute(
                insert(fact_staffing),
                [
                    {
                        **keys,
                        "service_code": service,
                        "staff_group": "Psychology",
                        "funded_wte": 2.5,
                        "in_post_wte": 1.5,
                        "vacant_wte": 1.0,
                        "is_vacant_derived": True,
                        "source_row": n,
                    }
                    for n, service in enumerate(activity)
                ],
            )
            connection.execute(
                insert(fact_finance),
                [
                    {
                        **keys,
                        "service_code": service,
                        "allocation_gbp": 100000.0,
                        "spend_gbp": 24000.5,
                        "forecast_gbp": 98000.0,
                        "source_row": n,
                    }
                    for n, service in enumerate(activity)
                ],
            )
        return sid

    def organisation_return(
        self,
        charity: str,
        fund: str,
        received_at: dt.datetime,
        *,
        people: dict[str, dict[str, int | None]],
        outcomes: dict[str, tuple[int, int]],
        grant: float,
        spend: float,
    ) -> int:
        """An accepted third-sector return: `people` by board area (support type Peer
        support), outcomes as (respondents, reporting improvement)."""
        sid = self.submission(charity, "TSR", received_at)
        keys = {"submission_id": sid, "charity_number": charity, "fund": fund, **_period_keys(Q1)}
        with self.engine.begin() as connection:
            connection.execute(
                insert(fact_ts_activity),
                [
                    {
                        **keys,
                        "board_code": board,
                        "support_type": "Peer support",
                        **dict.fromkeys(PEOPLE_COLUMNS),
                        **counts,
                        "source_row": n,
                    }
                    for n, (board, counts) in enumerate(people.items())
                ],
            )
            connection.execute(
                insert(fact_ts_outcome),
                [
                    {
                        **keys,
                        "outcome": outcome,
                        "respondents": respondents,
                        "reporting_improvement": improving,
                        "source_row": n,
                    }
                    for n, (outcome, (respondents, improving)) in enumerate(outcomes.items())
                ],
            )
            connection.execute(
                insert(fact_ts_finance),
                {**keys, "grant_awarded_gbp": grant, "spend_gbp": spend, "source_row": 1},
            )
        return sid

    def register(self, entries: Sequence[tuple[str, str, str, float, str]]) -> None:
        """A register version in force from April 2022: (number, name, fund, award, area)."""
        with self.engine.begin() as connection:
            version = connection.execute(
                insert(register_version),
                {
                    "loaded_at": ON_TIME,
                    "in_force_from": dt.date(2022, 4, 1),
                    "source_name": "register.csv",
                    "sha256": "0" * 64,
                    "entry_count": len(entries),
                },
            ).inserted_primary_key
            assert version is not None
            connection.execute(
                insert(register_entry),
                [
                    {
                        "version_id": version[0],
                        "charity_number": number,
                        "name": name,
                        "fund": fund,
                        "award_gbp": award,
                        "source_line": n + 2,
                    }
                    for n, (number, name, fund, award, _) in enumerate(entries)
                ],
            )
            connection.execute(
                insert(register_board_area),
                [
                    {"version_id": version[0], "charity_number": number, "board_code": area}
                    for number, _, _, _, area in entries
                ],
            )


def _period_keys(period: Period) -> dict[str, str]:
    return {"financial_year": period.financial_year, "quarter": period.quarter}


def build_standard_quarter(url: str) -> None:
    """2022-23 Q1 with every tracker status, small counts and a formula-like name.

    Boards: Lothian on time; Fife rejected on time then accepted late (still on time: the
    first return came in time); Greater Glasgow and Clyde late; Borders rejected only; the
    other ten missing. Organisations: SC000001 (named like a formula) on time, SC000002
    late, SC000003 missing, SC000004 rejected only.
    """
    builder = QuarterBuilder.migrated(url)
    try:
        builder.register(
            [
                (FORMULA_ORG, FORMULA_NAME, "MAIN", 50000.0, LOTHIAN),
                (SMALL_ORG, "Bumps and Beyond", "SMALL", 8000.0, FIFE),
                (SILENT_ORG, "Dads Together", "MAIN", 40000.0, GGC),
                (REJECTED_ORG, "Home-Start Example", "SMALL", 9000.0, BORDERS),
            ]
        )
        builder.board_return(
            LOTHIAN,
            ON_TIME,
            {
                "CPMHT": _activity(3, 3, 0, 40, 6, 0),
                "IMH": _activity(10, 8, 7, 25, 5, 2),
                "MBU": {
                    **_activity(12, 10, 9, 6, 7, 0),
                    "admissions": 3,
                    "occupied_bed_days": 250,
                    "available_bed_days": 540,
                },
            },
        )
        builder.submission(FIFE, "BQR", ON_TIME, status="rejected", errors=2)
        builder.board_return(
            FIFE,
            LATE,
            {"CPMHT": _activity(14, 12, 11, 30, 8, 0), "IMH": _activity(0, 0, 0, 9, 1, 0)},
        )
        builder.board_return(
            GGC,
            LATE,
            {
                "CPMHT": _activity(20, 18, 15, 80, 12, 5),
                "MNPI": _activity(30, 28, 25, 60, 20, 6),
                "MBU": {
                    **_activity(9, 9, 9, 5, 6, 0),
                    "admissions": 7,
                    "occupied_bed_days": 400,
                    "available_bed_days": 540,
                },
            },
        )
        builder.submission(BORDERS, "BQR", ON_TIME, status="rejected", errors=3, warnings=1)
        builder.organisation_return(
            FORMULA_ORG,
            "MAIN",
            ON_TIME,
            people={
                LOTHIAN: {"mothers": 6, "fathers_partners": 2, "infants": 6, "other_carers": 0}
            },
            outcomes={"LESS_ISOLATED": (4, 3), "WELLBEING": (10, 7)},
            grant=50000.0,
            spend=11000.0,
        )
        builder.organisation_return(
            SMALL_ORG,
            "SMALL",
            LATE,
            people={FIFE: {"mothers": 12, "fathers_partners": 0, "infants": 9, "other_carers": 1}},
            outcomes={"WELLBEING": (10, 6)},
            grant=8000.0,
            spend=2000.0,
        )
        builder.submission(REJECTED_ORG, "TSR", ON_TIME, status="rejected", errors=1)
    finally:
        builder.close()


def _activity(*values: int) -> dict[str, int | None]:
    """The six people measures every service reports, in the Activity sheet's order."""
    return dict(zip(MEASURES[:6], values, strict=True))


def publish(url: str, period: Period = Q1) -> Publication:
    engine = open_warehouse(url)
    try:
        with engine.connect() as connection:
            return build_publication(connection, period)
    finally:
        engine.dispose()


@pytest.fixture
def standard_url(warehouse_url: str) -> str:
    build_standard_quarter(warehouse_url)
    return warehouse_url


# --- reading published tables ------------------------------------------------------------------


def by_key(frame: pl.DataFrame, key: str = "board_code") -> dict[str, dict[str, Any]]:
    return {row[key]: row for row in frame.iter_rows(named=True)}


def lonely_star_lines(
    frame: pl.DataFrame, values: Sequence[str], total_column: str | None
) -> list[str]:
    """Lines whose published total would give back a lone ``*``: should be none."""
    numbers = [*values, *([total_column] if total_column else [])]
    grid = [[cell == SUPPRESSED for cell in row] for row in frame.select(numbers).rows()]
    keys = frame["board_code"].to_list()
    lonely = []
    if total_column:
        lonely += [f"row {key}" for key, row in zip(keys, grid, strict=True) if sum(row) == 1]
    if keys and keys[-1] == TOTAL_LABEL:
        lonely += [
            f"column {name}" for j, name in enumerate(numbers) if sum(r[j] for r in grid) == 1
        ]
    return lonely


def table(publication: Publication, name: str) -> pl.DataFrame:
    return next(t.frame for t in publication.tables if t.name == name)


# --- the tracker --------------------------------------------------------------------------------


def test_trackers_read_at_once_are_each_quarters_tracker(standard_url: str) -> None:
    """A run's trackers come in one query: the same frames as one query per quarter, and
    only for quarters that have begun."""
    asked = [Period("2021-22", "Q4"), Q1, Period("2022-23", "Q2"), Period("2040-41", "Q1")]
    engine = open_warehouse(standard_url)
    try:
        with engine.connect() as connection:
            begun = begun_quarters(connection, asked)
            at_once = trackers(connection, begun)
            one_by_one = {period: tracker(connection, period) for period in begun}
            nothing = trackers(connection, [])
    finally:
        engine.dispose()

    assert begun == asked[:3]
    assert list(at_once) == begun
    for period in begun:
        assert_frame_equal(at_once[period], one_by_one[period])
    assert set(at_once[Q1]["status"]) == {"accepted", "late", "rejected", "missing"}
    assert set(at_once[Period("2022-23", "Q2")]["status"]) == {"missing"}
    assert nothing == {}


def test_the_tracker_tells_accepted_late_rejected_and_missing(standard_url: str) -> None:
    """Statuses for boards and organisations, boards first then organisations by code; a
    return first received on time stays on time even if accepted after the due date."""
    engine = open_warehouse(standard_url)
    try:
        with engine.connect() as connection:
            progress = tracker(connection, Q1)
    finally:
        engine.dispose()
    rows = by_key(progress, "reporter_code")
    assert {code: rows[code]["status"] for code in (LOTHIAN, FIFE, GGC, BORDERS)} == {
        LOTHIAN: "accepted",
        FIFE: "accepted",
        GGC: "late",
        BORDERS: "rejected",
    }
    assert {code: rows[code]["status"] for code in (FORMULA_ORG, SMALL_ORG, SILENT_ORG)} == {
        FORMULA_ORG: "accepted",
        SMALL_ORG: "late",
        SILENT_ORG: "missing",
    }
    assert rows[REJECTED_ORG]["status"] == "rejected"
    assert progress["reporter_code"].to_list() == [
        *sorted(BOARDS),
        FORMULA_ORG,
        SMALL_ORG,
        SILENT_ORG,
        REJECTED_ORG,
    ]
    assert progress.filter(pl.col("status") == "missing").height == 11
    assert rows[FIFE]["received_on"] == ON_TIME.date()
    assert rows[GGC]["received_on"] == LATE.date()
    assert rows[BORDERS]["errors"] == 3
    assert rows[LOTHIAN]["due_on"] == dt.date(2022, 7, 30)
    assert rows["S08000015"]["received_on"] is None


# --- board tables -------------------------------------------------------------------------------


def test_activity_counts_of_people_are_suppressed_with_their_totals(standard_url: str) -> None:
    """3 shows as *, 0 stays 0, a service not run is blank, and Lothian's row total (25 =
    3 + 10 + 12) is kept from giving the 3 back by a second * in the row and column."""
    publication = publish(standard_url)
    referrals = table(publication, "activity_referrals_received")
    assert referrals.columns == [
        "financial_year",
        "quarter",
        "board_code",
        "board_name",
        *SERVICES,
        "total",
    ]
    rows = by_key(referrals)
    assert list(rows) == [LOTHIAN, FIFE, GGC, TOTAL_LABEL]
    lothian = rows[LOTHIAN]
    assert lothian["CPMHT"] == SUPPRESSED
    assert lothian["MNPI"] is None  # not run: blank, not 0
    assert lothian["total"] == "25"
    assert [lothian[s] for s in SERVICES].count(SUPPRESSED) >= 2
    assert rows[FIFE]["IMH"] == "0"
    assert rows[TOTAL_LABEL]["board_name"] == "All boards"
    assert rows[TOTAL_LABEL]["CPMHT"] == str(3 + 14 + 20)  # totals are the true ones
    assert by_key(table(publication, "activity_first_assessments"))[LOTHIAN]["CPMHT"] == "0"

    admissions = by_key(table(publication, "activity_admissions"))
    assert list(admissions) == [LOTHIAN, GGC, TOTAL_LABEL]
    assert admissions[LOTHIAN]["MBU"] == SUPPRESSED
    assert admissions[GGC]["MBU"] == SUPPRESSED  # or 10 - 7 gives Lothian's 3 back
    assert admissions[TOTAL_LABEL]["MBU"] == "10"

    for t in publication.tables:
        if t.name.startswith("activity_"):
            services = list(PEOPLE_MEASURES[t.name.removeprefix("activity_")])
            total = "total" if len(services) > 1 else None
            assert lonely_star_lines(t.frame, services, total) == [], t.name
    suppressed = {t.name: t.suppressed for t in publication.tables}
    assert suppressed["activity_admissions"] == 2
    assert suppressed["staffing"] == suppressed["finance"] == suppressed["mbu_bed_days"] == 0


def test_wte_pounds_and_bed_days_are_published_as_reported(standard_url: str) -> None:
    publication = publish(standard_url)
    beds = by_key(table(publication, "mbu_bed_days"))
    assert (beds[LOTHIAN]["occupied_bed_days"], beds[LOTHIAN]["available_bed_days"]) == (250, 540)
    staffing = table(publication, "staffing")
    assert staffing.height == 8
    assert staffing.row(0, named=True) == {
        "financial_year": "2022-23",
        "quarter": "Q1",
        "board_code": LOTHIAN,
        "board_name": "Lothian",
        "service": "CPMHT",
        "staff_group": "Psychology",
        "funded_wte": 2.5,
        "in_post_wte": 1.5,
        "vacant_wte": 1.0,
    }
    assert table(publication, "finance")["spend_gbp"].to_list() == [24000.5] * 8
    national = by_key(table(publication, "national_services"), "service")
    assert {s: national[s]["boards_running"] for s in national} == {
        "CPMHT": 3,
        "IMH": 2,
        "MNPI": 1,
        "MBU": 2,
    }
    by_service = by_key(table(publication, "national_finance"), "service")
    assert by_service["CPMHT"]["allocation_gbp"] == 300000.0
    assert table(publication, "national_staffing")["funded_wte"].sum() == 20.0


# --- third-sector tables ------------------------------------------------------------------------


def test_third_sector_tables_apply_disclosure_control(standard_url: str) -> None:
    """People supported by area and group with totals; outcome percentages withheld under 5
    respondents; funds and finance by organisation with the register's names."""
    publication = publish(standard_url)
    people = by_key(table(publication, "third_sector_people_supported"))
    assert list(people) == [LOTHIAN, FIFE, TOTAL_LABEL]
    assert people[LOTHIAN]["fathers_partners"] == SUPPRESSED
    assert people[LOTHIAN]["other_carers"] == "0"
    assert people[FIFE]["other_carers"] == SUPPRESSED
    assert people[TOTAL_LABEL]["board_name"] == "All board areas"
    assert people[TOTAL_LABEL]["total"] == str(14 + 22)
    frame = table(publication, "third_sector_people_supported")
    assert lonely_star_lines(frame, list(PEOPLE_COLUMNS), "total") == []

    outcomes = by_key(table(publication, "third_sector_outcomes"), "outcome")
    assert list(outcomes) == ["LESS_ISOLATED", "WELLBEING"]
    isolated = outcomes["LESS_ISOLATED"]
    assert (isolated["respondents"], isolated["reporting_improvement"]) == ("*", "*")
    assert isolated["percent_improved"] == ""
    wellbeing = outcomes["WELLBEING"]
    assert (wellbeing["respondents"], wellbeing["reporting_improvement"]) == ("20", "13")
    assert wellbeing["percent_improved"] == "65"
    assert wellbeing["organisations_reporting"] == 2
    suppressed = {t.name: t.suppressed for t in publication.tables}
    assert suppressed["third_sector_outcomes"] == 3

    funds = by_key(table(publication, "third_sector_funds"), "fund")
    assert funds["MAIN"]["organisations"] == 2
    assert funds["MAIN"]["average_award_gbp"] == 45000.0
    assert funds["MAIN"]["grant_awarded_gbp"] == 50000.0
    assert funds["SMALL"]["spend_gbp"] == 2000.0

    finance = table(publication, "third_sector_finance")
    assert finance.drop("financial_year", "quarter").rows() == [
        (FORMULA_ORG, FORMULA_NAME, "MAIN", 50000.0, 11000.0),
        (SMALL_ORG, "Bumps and Beyond", "SMALL", 8000.0, 2000.0),
    ]


def test_nothing_internal_or_personal_is_published(standard_url: str) -> None:
    """No contact details, submission ids, source rows or hashes: not even as columns."""
    publication = publish(standard_url)
    assert [t.name for t in publication.tables] == list(TABLES)
    internal = {"submission_id", "source_row", "sha256", "completed_by", "contact_email"}
    for t in publication.tables:
        assert not internal & set(t.frame.columns), t.name
        text = t.frame.select(pl.all().cast(pl.String)).rows()
        assert not any(SECRET_EMAIL in str(row) or SECRET_NAME in str(row) for row in text)
    assert (publication.boards_accepted, publication.boards_expected) == (3, 14)
    assert (publication.organisations_accepted, publication.organisations_expected) == (2, 4)


def test_a_quarter_without_returns_publishes_empty_tables(standard_url: str) -> None:
    publication = publish(standard_url, Q2)
    assert not publication.has_returns
    heights = {t.name: t.frame.height for t in publication.tables}
    assert heights.pop("third_sector_funds") == 2  # the register's fund streams
    assert set(heights.values()) == {0}
    assert table(publication, "activity_open_caseload").columns[-1] == "total"


# --- pure pieces --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("year", "quarter", "message"),
    [
        ("2022-24", "Q1", "financial year"),
        ("2022", "Q1", "financial year"),
        ("2022-23", "Q5", "Q1"),
    ],
)
def test_a_malformed_quarter_is_refused_in_plain_english(
    year: str, quarter: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        Period.parse(year, quarter)
    assert Period.parse(" 2022-23 ", "q3") == Period("2022-23", "Q3")


def test_blank_cells_are_suppressed_as_zeros_and_published_blank() -> None:
    """A not-reported cell adds nothing to its line; it is never chosen as a complement."""
    counts = pl.DataFrame(
        {"board_code": ["A", "B"], "x": [3, 20], "y": [None, 30], "z": [12, 40]},
        schema={"board_code": pl.String, "x": pl.Int64, "y": pl.Int64, "z": pl.Int64},
    )
    published = by_key(
        suppress_with_blanks(counts, "board_code", ["x", "y", "z"], total_column="t")
    )
    assert [published["A"][c] for c in ("x", "y", "z", "t")] == ["*", None, "*", "15"]
    empty = suppress_with_blanks(counts.clear(), "board_code", ["x"], total_column="t")
    assert empty.is_empty()
    assert empty.columns == ["board_code", "x", "t"]


def test_every_catalogue_entry_has_its_own_name_and_reads_its_view() -> None:
    assert len(TABLES) == len(CATALOGUE)
    for definition in CATALOGUE:
        assert f"FROM {definition.view}" in definition.query, definition.name


# --- property: no hidden count is recoverable from an exported activity table --------------------

counts = st.one_of(st.none(), st.integers(0, 5), st.integers(0, 30))


@st.composite
def activity_views(draw: st.DrawFn) -> tuple[pl.DataFrame, str]:
    """A random `activity` view for one quarter: some boards, each running some services."""
    measure = draw(st.sampled_from(list(PEOPLE_MEASURES)))
    boards = draw(st.lists(st.sampled_from(sorted(BOARDS)), min_size=1, max_size=7, unique=True))
    rows = []
    for board in boards:
        services = draw(st.lists(st.sampled_from(list(SERVICES)), min_size=1, unique=True))
        rows += [{"board_code": board, "service": s, measure: draw(counts)} for s in services]
    schema = {"board_code": pl.String, "service": pl.String, measure: pl.Int64}
    return pl.DataFrame(rows, schema=schema), measure


def exported(frame: pl.DataFrame) -> pl.DataFrame:
    """The table as a reader gets it: written to csv and read back as text."""
    buffer = io.BytesIO()
    write_csv(frame, buffer)
    return pl.read_csv(buffer.getvalue(), infer_schema=False)


def subtraction_attack(published: pl.DataFrame, numbers: list[str]) -> set[tuple[int, int]]:
    """Every * a reader works out by subtracting along rows and columns, reusing what was
    recovered; blanks count as nothing."""
    grid: list[list[int | None]] = [
        [None if cell == SUPPRESSED else int(cell or 0) for cell in row]
        for row in published.select(numbers).rows()
    ]
    height, width = len(grid), len(numbers)
    lines = []
    if numbers[-1] == "total":
        lines += [[(i, j) for j in range(width)] for i in range(height)]
    lines += [[(i, j) for i in range(height)] for j in range(width)]
    recovered: set[tuple[int, int]] = set()
    progress = True
    while progress:
        progress = False
        for line in lines:
            unknown = [cell for cell in line if grid[cell[0]][cell[1]] is None]
            if len(unknown) == 1:
                (i, j) = unknown[0]
                grid[i][j] = 0  # the value itself does not matter, only that it is known
                recovered.add((i, j))
                progress = True
    return recovered


@settings(deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(activity_views())
def test_no_suppressed_activity_count_can_be_recovered(view: tuple[pl.DataFrame, str]) -> None:
    """Every row and column of an exported activity table whose total is shown holds no *
    or at least two; subtraction recovers no *; shown counts are true, 1 to 4 always hidden,
    and a blank is exactly a count not reported."""
    activity, measure = view
    services = list(PEOPLE_MEASURES[measure])
    total = "total" if len(services) > 1 else None
    published = exported(activity_table(activity, measure))
    numbers = [*services, *([total] if total else [])]
    if published.is_empty():
        assert activity.filter(pl.col("service").is_in(services)).is_empty()
        return
    assert lonely_star_lines(published, services, total) == []
    assert subtraction_attack(published, numbers) == set()

    truth = {(r["board_code"], r["service"]): r[measure] for r in activity.iter_rows(named=True)}
    for row in published.filter(pl.col("board_code") != TOTAL_LABEL).iter_rows(named=True):
        for service in services:
            value, cell = truth.get((row["board_code"], service)), row[service]
            if value is None:
                assert cell is None
            elif 1 <= value <= 4:
                assert cell == SUPPRESSED
            else:
                assert cell in {SUPPRESSED, str(value)}
