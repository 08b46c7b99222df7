"""End-to-end: returns dropped in a landing area reach the views, or are rejected."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from flows.ingest import ingest_returns
from pimh.settings import Settings
from tests.builders import changed, valid_return, write

pytestmark = pytest.mark.usefixtures("prefect_harness")


def _plain(value: object) -> object:
    return float(value) if isinstance(value, Decimal) else value


def _query(url: str, sql: str) -> list[tuple[object, ...]]:
    """Rows as plain Python values (PostgreSQL gives NUMERIC columns as Decimal)."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return [tuple(_plain(v) for v in row) for row in connection.execute(text(sql))]
    finally:
        engine.dispose()


def test_a_valid_return_reaches_every_view(landing: Path, settings: Settings, warehouse_url: str) -> None:
    """It loads a valid return's figures into staffing, activity and finance, on both backends."""
    write(landing / "S08000024" / "lothian.xlsx", valid_return("S08000024"))
    settings = settings.model_copy(update={"warehouse_url": warehouse_url})

    result = ingest_returns([str(landing)], settings)

    assert [(f.reporter_code, f.status, f.errors) for f in result.files] == [("S08000024", "accepted", 0)]
    staffing = _query(
        warehouse_url,
        "SELECT service, staff_group, funded_wte, in_post_wte, vacant_wte FROM staffing "
        "ORDER BY service, staff_group",
    )
    assert staffing == [
        ("CPMHT", "Mental Health Nursing", 4.0, 4.0, 0.0),
        ("CPMHT", "Psychiatry", 2.0, 1.5, 0.5),
        ("IMH", "Psychology", 1.0, 0.6, 0.4),
        ("MBU", "Midwifery", 3.0, 3.0, 0.0),
    ]
    assert _query(warehouse_url, "SELECT admissions, occupied_bed_days FROM activity WHERE service = 'MBU'") == [(6, 500)]
    assert _query(warehouse_url, "SELECT SUM(allocation_gbp) FROM finance") == [(1_000_000.0,)]


def test_a_return_with_an_error_is_rejected_whole(landing: Path, settings: Settings, warehouse_url: str) -> None:
    """It loads nothing from a return with one error and records the error's cell."""
    bad = changed(valid_return("S08000024"), "Activity", 0, 2, 130)  # accepted above received
    write(landing / "S08000024" / "lothian.xlsx", bad)
    settings = settings.model_copy(update={"warehouse_url": warehouse_url})

    result = ingest_returns([str(landing)], settings)

    assert [f.status for f in result.files] == ["rejected"]
    assert _query(warehouse_url, "SELECT COUNT(*) FROM staffing") == [(0,)]
    assert _query(warehouse_url, "SELECT severity, cell, value FROM validation_issues") == [
        ("error", "Activity!C5", "130")
    ]
