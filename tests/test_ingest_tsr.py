"""Third-sector returns through the ingest flow, on SQLite and PostgreSQL.

The register is loaded as the data team would; returns are written as charities send them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from config.settings import Settings
from flows.ingest import ingest
from intake.register import read_register
from tests.queries import columns, query
from tests.tsr_builders import CHARITY, GGC, LOTHIAN, changed_tsr, valid_tsr, write_tsr
from warehouse.engine import open_warehouse
from warehouse.register_load import load_register

pytestmark = pytest.mark.usefixtures("prefect_harness")

SPEC_COLUMNS = {
    "third_sector_activity": [
        "charity_number", "fund", "financial_year", "quarter", "board_code", "support_type",
        "mothers", "fathers_partners", "infants", "other_carers",
    ],
    "third_sector_outcomes": [
        "charity_number", "fund", "financial_year", "quarter", "outcome", "respondents",
        "reporting_improvement",
    ],
    "third_sector_finance": [
        "charity_number", "fund", "financial_year", "quarter", "grant_awarded_gbp", "spend_gbp",
    ],
}  # fmt: skip


@pytest.fixture
def loaded(tmp_path: Path, warehouse_url: str) -> Settings:
    register = tmp_path / "register.csv"
    register.write_text(
        "charity_number,name,fund,award_gbp,board_areas\n"
        f"{CHARITY},Bumps and Babies,MAIN,58000,{LOTHIAN};{GGC}\n",
        encoding="utf-8",
    )
    load_register(open_warehouse(warehouse_url), read_register(register))
    return Settings(
        warehouse_url=warehouse_url,
        archive_url=str(tmp_path / "archive"),
        feedback_url=str(tmp_path / "feedback"),
        settle_seconds=0,
        reader_processes=0,
    )


def test_views_have_the_spec_columns_and_the_returns_figures(
    tmp_path: Path, loaded: Settings
) -> None:
    landing = tmp_path / "landing"
    write_tsr(landing / CHARITY / "q1.xlsx", valid_tsr())

    result = ingest([str(landing)], loaded)

    assert [(f.status, f.errors, f.warnings) for f in result.files] == [("accepted", 0, 0)]
    url = loaded.warehouse_url
    for view, names in SPEC_COLUMNS.items():
        assert columns(url, view)[: len(names)] == names
    assert query(
        url,
        "SELECT charity_number, fund, board_code, support_type, mothers, fathers_partners, "
        "infants, other_carers FROM third_sector_activity ORDER BY board_code",
    ) == [
        (CHARITY, "MAIN", LOTHIAN, "Peer support", 10, 3, 12, 0),
        (CHARITY, "MAIN", GGC, "Counselling", 4, 1, 5, 2),
    ]
    assert query(url, "SELECT grant_awarded_gbp, spend_gbp FROM third_sector_finance") == [
        (58000.0, 14000.5)
    ]
    assert query(url, "SELECT template, reporter_code, status FROM submissions") == [
        ("TSR", CHARITY, "accepted")
    ]


def test_a_later_return_supersedes_and_a_bad_one_is_rejected_with_feedback(
    tmp_path: Path, loaded: Settings
) -> None:
    landing = tmp_path / "landing"
    write_tsr(landing / CHARITY / "a.xlsx", valid_tsr())
    ingest([str(landing)], loaded)
    write_tsr(landing / CHARITY / "b.xlsx", changed_tsr(valid_tsr(), "Outcomes", 0, 2, 18))
    write_tsr(landing / CHARITY / "c.xlsx", changed_tsr(valid_tsr(), "Outcomes", 0, 2, 99))
    # A charity's return in a board's folder claims another reporter.
    write_tsr(landing / LOTHIAN / "misplaced.xlsx", valid_tsr())

    result = ingest([str(landing)], loaded)

    fates = {Path(f.file).name: (f.status, f.errors) for f in result.files}
    assert fates["b.xlsx"] == ("accepted", 0)
    assert fates["c.xlsx"] == ("rejected", 1)
    assert fates["misplaced.xlsx"] == ("rejected", 1)
    url = loaded.warehouse_url
    assert query(
        url,
        "SELECT file_name, status FROM submissions WHERE reporter_code = :c ORDER BY 1",
        c=CHARITY,
    ) == [("a.xlsx", "superseded"), ("b.xlsx", "accepted"), ("c.xlsx", "rejected")]
    assert query(
        url,
        "SELECT reporting_improvement FROM third_sector_outcomes WHERE outcome = 'LESS_ISOLATED'",
    ) == [(18,)]
    assert query(
        url,
        "SELECT i.cell FROM validation_issues i JOIN submissions s USING (submission_id) "
        "WHERE s.file_name = 'c.xlsx'",
    ) == [("Outcomes!C5",)]
    reports = list((tmp_path / "feedback" / CHARITY).glob("*.html"))
    assert len(reports) == 1
    assert "Bumps and Babies" in reports[0].read_text(encoding="utf-8")


def test_a_return_rejected_for_the_register_is_judged_afresh_when_sent_again(
    tmp_path: Path, sqlite_url: str
) -> None:
    """Rejected because no register was loaded; once it is, the same bytes under another
    name are validated again and accepted, not dismissed as a duplicate."""
    settings = Settings(
        warehouse_url=sqlite_url,
        archive_url=str(tmp_path / "archive"),
        feedback_url=str(tmp_path / "feedback"),
        settle_seconds=0,
        reader_processes=0,
    )
    landing = tmp_path / "landing"
    first = write_tsr(landing / CHARITY / "q1.xlsx", valid_tsr())
    assert [f.status for f in ingest([str(landing)], settings).files] == ["rejected"]
    register = tmp_path / "register.csv"
    register.write_text(
        f"charity_number,name,fund,award_gbp,board_areas\n{CHARITY},B,MAIN,58000,{LOTHIAN};{GGC}\n",
        encoding="utf-8",
    )
    load_register(open_warehouse(sqlite_url), read_register(register))
    (landing / CHARITY / "q1 again.xlsx").write_bytes(first.read_bytes())

    files = ingest([str(landing)], settings).files

    assert sorted((Path(f.file).name, f.status) for f in files) == [
        ("q1 again.xlsx", "accepted"),
        ("q1.xlsx", "already processed"),
    ]
