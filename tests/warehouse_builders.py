"""Submission records and fact rows as the flow hands them to the loader, for tests."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence

import polars as pl

from domain.issues import Issue
from domain.records import RETURN_INDEX, SubmissionRecord

RECEIVED_AT = dt.datetime(2022, 7, 20, 9, 30, 15, 123456, tzinfo=dt.UTC)


def record(
    key: int,
    board: str,
    status: str = "accepted",
    quarter: str = "Q1",
    issues: Sequence[Issue] = (),
) -> SubmissionRecord:
    sha256 = hashlib.sha256(f"{key}:{board}:{quarter}:{status}".encode()).hexdigest()
    return SubmissionRecord(
        key=key,
        sha256=sha256,
        size_bytes=1000 + key,
        archive_url=f"archive/{sha256[:2]}/{sha256}.xlsx",
        file_name=f"return {key}.xlsx",
        origin_path=f"landing/{board}/return {key}.xlsx",
        received_at=RECEIVED_AT + dt.timedelta(seconds=key),
        status=status,  # type: ignore[arg-type]
        template="BQR",
        template_version="1",
        reporter_code=board,
        financial_year="2022-23",
        quarter=quarter,
        completed_by="A. Manager",
        contact_email="a.manager@example.org",
        issues=list(issues),
    )


def facts(returns: Sequence[SubmissionRecord]) -> dict[str, pl.DataFrame]:
    """Two services per return on every sheet, keyed by `return_index` like the flow's facts."""
    staffing, activity, finance = [], [], []
    for record in returns:
        period = {
            RETURN_INDEX: record.key,
            "board_code": record.reporter_code,
            "financial_year": record.financial_year,
            "quarter": record.quarter,
        }
        for row, service in enumerate(("CPMHT", "IMH"), start=5):
            staffing.append(
                {
                    **period,
                    "service_code": service,
                    "staff_group": "Psychology",
                    "funded_wte": 2.0,
                    "in_post_wte": 1.5,
                    "vacant_wte": 0.5,
                    "is_vacant_derived": True,
                    "source_row": row,
                }
            )
            activity.append(
                {
                    **period,
                    "service_code": service,
                    "referrals_received": 10,
                    "referrals_accepted": 8,
                    "first_assessments": 7,
                    "open_caseload": 30,
                    "discharges": 4,
                    "waiting_over_12_weeks": 0,
                    "admissions": None,
                    "occupied_bed_days": None,
                    "available_bed_days": None,
                    "source_row": row,
                }
            )
            finance.append(
                {
                    **period,
                    "service_code": service,
                    "allocation_gbp": 1000.5,
                    "spend_gbp": 250.25,
                    "forecast_gbp": 990.0,
                    "source_row": row,
                }
            )
    counts = dict.fromkeys(
        (
            "referrals_received",
            "referrals_accepted",
            "first_assessments",
            "open_caseload",
            "discharges",
            "waiting_over_12_weeks",
            "admissions",
            "occupied_bed_days",
            "available_bed_days",
        ),
        pl.Int64,
    )
    return {
        "fact_staffing": pl.DataFrame(staffing),
        "fact_activity": pl.DataFrame(activity, schema_overrides=counts),
        "fact_finance": pl.DataFrame(finance),
    }
