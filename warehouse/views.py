"""The downstream contract: views whose names and columns tools depend on (SPEC.md).

Plain SQL that SQLite and PostgreSQL both run. Each holds the current figures: for each
reporter and quarter, the latest accepted return only (superseded returns stay in the
fact tables). Columns may be added here, never renamed or dropped.
"""

from __future__ import annotations

from typing import Final

_CURRENT = "JOIN submission s ON s.submission_id = f.submission_id AND s.status = 'accepted'"

VIEWS: Final[dict[str, str]] = {
    "staffing": f"""
        SELECT f.board_code, f.financial_year, f.quarter, f.service_code AS service,
               f.staff_group, f.funded_wte, f.in_post_wte, f.vacant_wte,
               f.is_vacant_derived, f.submission_id, f.source_row
        FROM fact_staffing f {_CURRENT}""",
    "activity": f"""
        SELECT f.board_code, f.financial_year, f.quarter, f.service_code AS service,
               f.referrals_received, f.referrals_accepted, f.first_assessments,
               f.open_caseload, f.discharges, f.waiting_over_12_weeks, f.admissions,
               f.occupied_bed_days, f.available_bed_days, f.submission_id, f.source_row
        FROM fact_activity f {_CURRENT}""",
    "finance": f"""
        SELECT f.board_code, f.financial_year, f.quarter, f.service_code AS service,
               f.allocation_gbp, f.spend_gbp, f.forecast_gbp, f.submission_id, f.source_row
        FROM fact_finance f {_CURRENT}""",
    "submissions": """
        SELECT submission_id, file_name, sha256, template, reporter_code, financial_year,
               quarter, status, received_at, error_count AS errors,
               warning_count AS warnings, origin_path, processed_at, feedback_url
        FROM submission""",
    "validation_issues": """
        SELECT submission_id, severity, sheet, cell, value, message, issue_id
        FROM validation_issue""",
}


def create_view_sql(name: str) -> str:
    return f"CREATE VIEW {name} AS {VIEWS[name]}"


def drop_view_sql(name: str) -> str:
    return f"DROP VIEW IF EXISTS {name}"
