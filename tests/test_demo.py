"""`pimh demo`: a realistic quarter from 14 boards and 34 charities, through the whole pipeline.

The demo reproduces the programme's published figures from raw returns (../shared/seeds):
14 CPMHT, 14 IMH and 10 MNPI services; 16 Main Grants charities averaging £58,000 and 18
Small Grants averaging £11,500; 5,544 people supported; 86%, 77%, 80% and 75% of people
reporting improvement. Checked on SQLite through the CLI and on PostgreSQL through the flow.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from config.settings import Settings
from domain.reference import BOARDS
from flows.ingest import ingest
from intake.register import read_register
from pimh.cli import app
from samples.demo import DemoReturn, generate_demo_quarter
from samples.demo_previous import explained_warning
from samples.demo_timeline import LATE_BOARD, prepare_demo
from tests.queries import query
from warehouse.engine import open_warehouse
from warehouse.register_load import load_register

pytestmark = pytest.mark.usefixtures("prefect_harness")

YEAR, QUARTER = "2022-23", "Q1"


def _cell_value(value: object) -> str:
    """A planted value as the warehouse records it (the text of the cell)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def assert_published_figures(url: str) -> None:
    """The national roll-ups give the seeds' published figures exactly."""
    where = f"WHERE financial_year = '{YEAR}' AND quarter = '{QUARTER}'"
    assert query(
        url, f"SELECT service, boards_running FROM national_services {where} ORDER BY service"
    ) == [("CPMHT", 14), ("IMH", 14), ("MBU", 2), ("MNPI", 10)]
    assert query(
        url,
        f"SELECT fund, organisations, average_award_gbp FROM national_funds {where} ORDER BY fund",
    ) == [("MAIN", 16, 58000.0), ("SMALL", 18, 11500.0)]
    assert query(url, f"SELECT SUM(people_supported) FROM national_people_supported {where}") == [
        (5544,)
    ]
    rows = query(url, f"SELECT outcome, percent_improved FROM national_outcomes {where}")
    percent = {row[0]: row[1] for row in rows}
    assert {k: percent[k] for k in ("LESS_ISOLATED", "MEET_INFANT_NEEDS")} == {
        "LESS_ISOLATED": 86.0,
        "MEET_INFANT_NEEDS": 77.0,
    }
    assert (percent["WARM_RELATIONSHIP"], percent["SUPPORT_AT_RISK"]) == (80.0, 75.0)


def assert_tracker(url: str) -> None:
    """Every expected reporter is tracked: late, rejected and missing ones named."""
    rows = query(
        url,
        "SELECT reporter_code, reporter_type, status FROM submission_tracker "
        f"WHERE financial_year = '{YEAR}' AND quarter = '{QUARTER}'",
    )
    status = {str(code): str(s) for code, _, s in rows}
    assert len(rows) == 14 + 34
    assert {c: status[c] for c in BOARDS if status[c] != "accepted"} == {LATE_BOARD: "late"}
    charities = {c: s for c, t, s in ((str(r[0]), r[1], str(r[2])) for r in rows) if t != "board"}
    assert sorted(s for s in charities.values() if s != "accepted") == [
        "late", "missing", "missing", "rejected",
    ]  # fmt: skip


def test_the_demo_loads_the_quarter_with_the_planted_problems_and_published_figures(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Board returns carry exactly their planted problems; rejected ones are corrected later;
    the tracker and the roll-ups show what the quarter should."""
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "demo"
    planned: dict[str, DemoReturn] = {
        r.board_code: r for r in generate_demo_quarter(tmp_path / "planned", YEAR, QUARTER)
    }

    result = CliRunner().invoke(app, ["demo", "--dir", str(folder)], env={"COLUMNS": "200"})

    assert result.exit_code == 0, result.output
    assert "39 accepted, 5 rejected" in result.output
    assert "48 expected: 43 accepted, 2 late, 1 rejected" in result.output
    url = f"sqlite:///{(folder / 'warehouse.db').resolve()}"
    first = {
        str(code): (status, errors, warnings)
        for code, status, errors, warnings in query(
            url,
            "SELECT reporter_code, status, errors, warnings FROM submissions "
            "WHERE template = 'BQR' AND file_name NOT LIKE '%corrected%' "
            f"AND financial_year = '{YEAR}' AND quarter = '{QUARTER}'",
        )
    }
    assert sorted(first) == sorted(BOARDS)
    issues: dict[str, set[tuple[object, ...]]] = {code: set() for code in BOARDS}
    for code, severity, cell, value in query(
        url,
        "SELECT s.reporter_code, i.severity, i.cell, i.value FROM validation_issues i "
        "JOIN submissions s ON s.submission_id = i.submission_id WHERE s.template = 'BQR'",
    ):
        issues[str(code)].add((severity, cell, value))
    # The demo sends one board's previous quarter first, so its return carries one
    # plausibility warning on top of what generate_demo_quarter planted: explained.
    explained = explained_warning(YEAR, QUARTER)
    for code, demo_return in planned.items():
        planted = {(p.severity, p.cell, _cell_value(p.value)) for p in demo_return.problems}
        if code == explained.board_code:
            planted.add(("warning", explained.cell, str(explained.value)))
        assert issues[code] == planted, demo_return.description
        status, errors, warnings = first[code]
        expected = "rejected" if demo_return.expected == "errors" else "accepted"
        assert (status, errors if expected == "rejected" else warnings) == (
            expected,
            len(planted),
        ), demo_return.description
    assert_tracker(url)
    assert_published_figures(url)
    feedback = {p.parent.name for p in (folder / "feedback").rglob("*.html")}
    assert {c for c, r in planned.items() if r.problems} <= feedback
    assert query(
        url, "SELECT cell, explanation FROM validation_issues WHERE explanation IS NOT NULL"
    ) == [(explained.cell, explained.explanation)]
    assert "Plausibility warnings explained in the returns" in result.output
    assert "86%" in result.output
    assert "5,544" in result.output
    report = folder / "quarterly-report-2022-23-Q1.html"
    assert f"Quarterly report for the Programme Board: {report}" in result.output.replace("\n", "")
    assert "Accepted returns: 14 of 14 NHS boards" in report.read_text(encoding="utf-8")
    told = query(
        url,
        "SELECT COUNT(*) FROM submissions WHERE reporter_code IS NOT NULL "
        "AND status IN ('accepted', 'superseded', 'rejected')",
    )
    emails = list((folder / "feedback" / "emails").rglob("*.eml"))
    assert [(len(emails),)] == told
    assert {*BOARDS, *feedback} <= {p.parent.name for p in emails}
    assert "Quality check passed" in result.output.splitlines()[-2]
    assert (folder / "quality-docs" / "index.html").is_file()


@pytest.mark.postgres
def test_the_demo_quarter_gives_the_same_figures_on_postgresql(
    tmp_path: Path, postgres_url: str
) -> None:
    """The same raw returns through the flow into PostgreSQL give the same published figures."""
    register, stages = prepare_demo(tmp_path / "demo", YEAR, QUARTER)
    load_register(open_warehouse(postgres_url), read_register(register))
    landing = tmp_path / "landing"
    settings = Settings(
        warehouse_url=postgres_url,
        archive_url=str(tmp_path / "archive"),
        feedback_url=str(tmp_path / "feedback"),
        settle_seconds=0,
        reader_processes=0,
    )
    for stage in stages:
        shutil.copytree(stage.outbox, landing, dirs_exist_ok=True)
        ingest([str(landing)], settings.model_copy(update={"arrival_time": stage.received_at}))
    assert_tracker(postgres_url)
    assert_published_figures(postgres_url)
