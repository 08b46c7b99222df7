"""The downstream contract: views whose names and columns tools depend on (SPEC.md).

Plain SQL that SQLite and PostgreSQL both run. Each holds the current figures: for each
reporter and quarter, the latest accepted return only (superseded returns stay in the
fact tables). Columns may be added here, never renamed or dropped.

`VIEWS` are the board views of the first migration; `third_sector_views` are those of the
second (third sector, register, national roll-ups, submission tracker), in creation order.
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


def _date_of(expression: str, dialect: str) -> str:
    """The calendar date (UTC) of a timestamp column, in the backend's own SQL."""
    if dialect == "postgresql":
        return f"CAST(timezone('UTC', {expression}) AS DATE)"
    return f"date({expression})"


_PEOPLE = " + ".join(
    f"COALESCE({group}, 0)" for group in ("mothers", "fathers_partners", "infants", "other_carers")
)


def third_sector_views(dialect: str) -> dict[str, str]:
    """Views of the second migration, dependencies first, in `dialect`'s SQL."""
    received_on = _date_of("a.first_received_at", dialect)
    return {
        "third_sector_activity": f"""
            SELECT f.charity_number, f.fund, f.financial_year, f.quarter, f.board_code,
                   f.support_type, f.mothers, f.fathers_partners, f.infants, f.other_carers,
                   f.submission_id, f.source_row
            FROM fact_ts_activity f {_CURRENT}""",
        "third_sector_outcomes": f"""
            SELECT f.charity_number, f.fund, f.financial_year, f.quarter, f.outcome,
                   f.respondents, f.reporting_improvement, f.submission_id, f.source_row
            FROM fact_ts_outcome f {_CURRENT}""",
        "third_sector_finance": f"""
            SELECT f.charity_number, f.fund, f.financial_year, f.quarter,
                   f.grant_awarded_gbp, f.spend_gbp, f.submission_id, f.source_row
            FROM fact_ts_finance f {_CURRENT}""",
        # Quarters that have begun: the tracker and fund roll-ups list these.
        "reporting_quarters": """
            SELECT financial_year, quarter, starts_on, ends_on, due_on
            FROM dim_quarter WHERE starts_on <= CURRENT_DATE""",
        # The register version in force for each quarter: the latest in_force_from on or
        # before the quarter's start, the latest loaded among equals.
        "register_in_force": """
            SELECT q.financial_year, q.quarter, v.version_id
            FROM dim_quarter q
            JOIN register_version v ON v.version_id = (
                SELECT v2.version_id FROM register_version v2
                WHERE v2.in_force_from <= q.starts_on
                ORDER BY v2.in_force_from DESC, v2.version_id DESC
                LIMIT 1)""",
        "register": """
            SELECT r.financial_year, r.quarter, e.charity_number, e.name, e.fund,
                   e.award_gbp, r.version_id
            FROM register_in_force r
            JOIN register_entry e ON e.version_id = r.version_id""",
        "national_services": """
            SELECT financial_year, quarter, service, COUNT(DISTINCT board_code) AS boards_running
            FROM (SELECT board_code, financial_year, quarter, service FROM staffing
                  UNION
                  SELECT board_code, financial_year, quarter, service FROM activity) u
            GROUP BY financial_year, quarter, service""",
        "national_staffing": """
            SELECT financial_year, quarter, service, staff_group,
                   COUNT(*) AS boards, SUM(funded_wte) AS funded_wte,
                   SUM(in_post_wte) AS in_post_wte, SUM(vacant_wte) AS vacant_wte,
                   CASE WHEN SUM(funded_wte) > 0
                        THEN ROUND(100.0 * SUM(vacant_wte) / SUM(funded_wte), 1) END
                       AS vacancy_rate_pct
            FROM staffing
            GROUP BY financial_year, quarter, service, staff_group""",
        "national_activity": """
            SELECT financial_year, quarter, service, COUNT(*) AS boards,
                   SUM(referrals_received) AS referrals_received,
                   SUM(referrals_accepted) AS referrals_accepted,
                   SUM(first_assessments) AS first_assessments,
                   SUM(open_caseload) AS open_caseload, SUM(discharges) AS discharges,
                   SUM(waiting_over_12_weeks) AS waiting_over_12_weeks,
                   SUM(admissions) AS admissions, SUM(occupied_bed_days) AS occupied_bed_days,
                   SUM(available_bed_days) AS available_bed_days
            FROM activity
            GROUP BY financial_year, quarter, service""",
        "national_finance": """
            SELECT financial_year, quarter, service, COUNT(*) AS boards,
                   SUM(allocation_gbp) AS allocation_gbp, SUM(spend_gbp) AS spend_gbp,
                   SUM(forecast_gbp) AS forecast_gbp,
                   CASE WHEN SUM(allocation_gbp) > 0
                        THEN ROUND(100.0 * SUM(spend_gbp) / SUM(allocation_gbp), 1) END
                       AS spend_pct_of_allocation
            FROM finance
            GROUP BY financial_year, quarter, service""",
        "national_funds": """
            SELECT r.financial_year, r.quarter, r.fund, COUNT(*) AS organisations,
                   SUM(r.award_gbp) AS total_award_gbp,
                   ROUND(AVG(r.award_gbp), 2) AS average_award_gbp,
                   COUNT(f.charity_number) AS organisations_reporting,
                   SUM(f.grant_awarded_gbp) AS grant_awarded_gbp, SUM(f.spend_gbp) AS spend_gbp,
                   CASE WHEN SUM(f.grant_awarded_gbp) > 0
                        THEN ROUND(100.0 * SUM(f.spend_gbp) / SUM(f.grant_awarded_gbp), 1) END
                       AS spend_pct_of_grant
            FROM register r
            JOIN reporting_quarters q ON q.financial_year = r.financial_year
                                      AND q.quarter = r.quarter
            LEFT JOIN third_sector_finance f ON f.charity_number = r.charity_number
                                             AND f.financial_year = r.financial_year
                                             AND f.quarter = r.quarter
            GROUP BY r.financial_year, r.quarter, r.fund""",
        "national_people_supported": f"""
            SELECT financial_year, quarter, board_code,
                   COUNT(DISTINCT charity_number) AS organisations,
                   SUM(mothers) AS mothers, SUM(fathers_partners) AS fathers_partners,
                   SUM(infants) AS infants, SUM(other_carers) AS other_carers,
                   SUM({_PEOPLE}) AS people_supported
            FROM third_sector_activity
            GROUP BY financial_year, quarter, board_code""",
        "national_outcomes": """
            SELECT financial_year, quarter, outcome,
                   COUNT(*) AS organisations_reporting, SUM(respondents) AS respondents,
                   SUM(reporting_improvement) AS reporting_improvement,
                   CASE WHEN SUM(respondents) > 0
                        THEN ROUND(100.0 * SUM(reporting_improvement) / SUM(respondents), 1)
                   END AS percent_improved
            FROM third_sector_outcomes
            GROUP BY financial_year, quarter, outcome""",
        "submission_tracker": f"""
            WITH expected AS (
                SELECT q.financial_year, q.quarter, q.due_on, b.board_code AS reporter_code,
                       'board' AS reporter_type, b.board_name AS reporter_name,
                       CAST(NULL AS VARCHAR(8)) AS fund
                FROM reporting_quarters q CROSS JOIN dim_board b
                UNION ALL
                SELECT q.financial_year, q.quarter, q.due_on, r.charity_number,
                       'organisation', r.name, r.fund
                FROM reporting_quarters q
                JOIN register r ON r.financial_year = q.financial_year
                                AND r.quarter = q.quarter
            ),
            arrivals AS (
                SELECT reporter_code, financial_year, quarter,
                       MIN(received_at) AS first_received_at,
                       MAX(received_at) AS last_received_at,
                       MAX(CASE WHEN status = 'accepted' THEN submission_id END) AS accepted_id,
                       MAX(submission_id) AS latest_id
                FROM submission
                WHERE status IN ('accepted', 'rejected', 'superseded')
                  AND reporter_code IS NOT NULL AND financial_year IS NOT NULL
                  AND quarter IS NOT NULL
                GROUP BY reporter_code, financial_year, quarter
            )
            SELECT e.financial_year, e.quarter, e.reporter_code, e.reporter_type,
                   e.reporter_name, e.fund,
                   CASE WHEN a.accepted_id IS NOT NULL AND {received_on} > e.due_on THEN 'late'
                        WHEN a.accepted_id IS NOT NULL THEN 'accepted'
                        WHEN a.latest_id IS NOT NULL THEN 'rejected'
                        ELSE 'missing' END AS status,
                   COALESCE({received_on} > e.due_on, FALSE) AS received_late,
                   e.due_on, a.first_received_at, a.last_received_at,
                   s.submission_id, s.error_count AS errors, s.warning_count AS warnings
            FROM expected e
            LEFT JOIN arrivals a ON a.reporter_code = e.reporter_code
                                 AND a.financial_year = e.financial_year
                                 AND a.quarter = e.quarter
            LEFT JOIN submission s ON s.submission_id = COALESCE(a.accepted_id, a.latest_id)""",
    }
