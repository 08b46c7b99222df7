"""The warehouse's expectation suites, as code: one per downstream view, one across views.

Each suite is checked against one batch: its view's rows (only the quarter asked about,
when one is), or for the suite across views the quarters being checked. Each expectation
carries, in its `meta`, a `key` that names it the same way in every run (so runs compare
over time) and its `severity`: an `error` fails the check, a `warning` is reported only.
Column rules come from the templates' layouts (`domain.layouts`) and code lists from
`domain.reference`, so a new column or code is checked without a line here.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

import great_expectations as gx
from great_expectations.expectations import Expectation
from great_expectations.expectations.metadata_types import FailureSeverity

from domain.layouts import (
    BQR_ACTIVITY,
    BQR_FINANCE,
    BQR_STAFFING,
    LARGEST,
    MBU_ONLY_COLUMNS,
    TSR_ACTIVITY,
    TSR_FINANCE,
    TSR_OUTCOMES,
    CodeList,
    SheetLayout,
)
from domain.periods import QUARTERS, Period
from domain.reference import (
    BOARDS,
    FUNDS,
    MBU_HOST_BOARDS,
    OUTCOMES,
    SERVICES,
    STAFF_GROUPS,
    SUPPORT_TYPES,
)
from warehouse.quality_results import Severity
from warehouse.tables import SUBMISSION_STATUSES
from warehouse.views.current import (
    activity,
    finance,
    staffing,
    submissions,
    third_sector_activity,
    third_sector_finance,
    third_sector_outcomes,
    validation_issues,
)
from warehouse.views.rollups import (
    national_activity,
    national_finance,
    national_outcomes,
    national_people_supported,
    national_staffing,
)
from warehouse.views.view import View

CODE_LISTS: Final[dict[CodeList, tuple[str, ...]]] = {
    "service": tuple(SERVICES),
    "staff_group": STAFF_GROUPS,
    "board": tuple(BOARDS),
    "support_type": SUPPORT_TYPES,
    "outcome": tuple(OUTCOMES),
}

ACROSS_VIEWS: Final = "across_views"
# The relation the suite across views is checked against: the quarters being checked.
QUARTERS_RELATION: Final = "dim_quarter"

_SEVERITY: Final[dict[Severity, FailureSeverity]] = {
    "error": FailureSeverity.CRITICAL,
    "warning": FailureSeverity.WARNING,
}


@dataclass(frozen=True)
class Suite:
    """One suite and the relation (view or table) whose rows it is checked against."""

    name: str
    relation: str
    expectations: tuple[Expectation, ...]

    def batch_query(self, period: Period | None) -> str:
        """The rows the suite checks: the relation's, for one quarter when given.

        The quarter is written into the SQL: a `Period` is only ever `2022-23`/`Q1` shaped
        (`Period.exact`), so nothing a person typed reaches the query unchecked.
        """
        columns = "financial_year, quarter" if self.relation == QUARTERS_RELATION else "*"
        query = f"SELECT {columns} FROM {self.relation}"
        if period is None:
            return query
        exact = Period.exact(period.financial_year, period.quarter)
        in_period = f"financial_year = '{exact.financial_year}' AND quarter = '{exact.quarter}'"
        if self.relation == validation_issues.name:
            # A problem's quarter is its submission's.
            in_period = (
                f"submission_id IN (SELECT submission_id FROM submissions WHERE {in_period})"
            )
        return f"{query} WHERE {in_period}"


class _Builder:
    """Collects one suite's expectations, each with its key, severity and plain description."""

    def __init__(self, suite: str) -> None:
        self.suite = suite
        self.expectations: list[Expectation] = []

    def add(
        self,
        kind: type[Expectation],
        key: str,
        description: str,
        severity: Severity = "error",
        **arguments: Any,
    ) -> None:
        self.expectations.append(
            kind(
                **arguments,
                description=description,
                severity=_SEVERITY[severity],
                meta={"key": f"{self.suite}.{key}", "severity": severity},
            )
        )

    def rows(self, key: str, description: str, query: str, severity: Severity = "error") -> None:
        """Custom SQL: the expectation holds when `query` returns no row."""
        self.add(
            gx.expectations.UnexpectedRowsExpectation,
            key,
            description,
            severity,
            unexpected_rows_query=query,
        )


def _keys_and_periods(build: _Builder, view: View) -> None:
    """Every view: keys filled and unique together (no duplicate per quarter), periods well
    formed."""
    for key in view.grain.keys:
        build.add(
            gx.expectations.ExpectColumnValuesToNotBeNull,
            f"{key}_not_null",
            f"Every row of {view.name} has a {key}.",
            column=key,
        )
    if len(view.grain.keys) > 1:
        build.add(
            gx.expectations.ExpectCompoundColumnsToBeUnique,
            "one_row_per_key",
            f"{view.grain.description[:-1]}: no key ({', '.join(view.grain.keys)}) twice.",
            column_list=list(view.grain.keys),
        )
    else:
        [key] = view.grain.keys
        build.add(
            gx.expectations.ExpectColumnValuesToBeUnique,
            f"{key}_unique",
            f"No {key} appears twice in {view.name}.",
            column=key,
        )
    if "quarter" in view.columns:
        build.add(
            gx.expectations.ExpectColumnValuesToBeInSet,
            "quarter_known",
            "Quarters are Q1 to Q4.",
            column="quarter",
            value_set=list(QUARTERS),
        )
        build.add(
            gx.expectations.ExpectColumnValuesToMatchLikePattern,
            "financial_year_well_formed",
            "Financial years are written like 2022-23.",
            column="financial_year",
            like_pattern="____-__",
        )


def _codes(build: _Builder, view: View, layout: SheetLayout) -> None:
    """Coded columns hold codes from their lists; reporters are boards or charity numbers."""
    coded: dict[str, tuple[str, ...]] = {}
    for column in layout.columns:
        if column.codes is not None:
            name = column.key if column.key in view.columns else column.fact_key
            coded[name] = CODE_LISTS[column.codes]
    if "board_code" in view.columns:
        coded["board_code"] = tuple(BOARDS)
    if "fund" in view.columns:
        coded["fund"] = tuple(FUNDS)
    for name, codes in coded.items():
        build.add(
            gx.expectations.ExpectColumnValuesToBeInSet,
            f"{name}_known",
            f"Every {name} of {view.name} is one of the {len(codes)} on SPEC.md's list.",
            column=name,
            value_set=list(codes),
        )
    if "charity_number" in view.columns:
        build.add(
            gx.expectations.ExpectColumnValuesToMatchLikePattern,
            "charity_number_well_formed",
            "Charity numbers are SC and six characters (SC012345).",
            column="charity_number",
            like_pattern="SC______",
        )


def _ranges(build: _Builder, layout: SheetLayout) -> None:
    """Every measure within what a return may hold: from 0 to its kind's largest."""
    for column in layout.measures:
        largest = LARGEST[column.kind]
        build.add(
            gx.expectations.ExpectColumnValuesToBeBetween,
            f"{column.fact_key}_in_range",
            f"{column.printed} is from 0 to {largest:,g} where reported.",
            column=column.fact_key,
            min_value=0,
            max_value=largest,
        )


def _not_above(build: _Builder, larger: str, smaller: str, description: str) -> None:
    build.add(
        gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB,
        f"{smaller}_not_above_{larger}",
        description,
        column_A=larger,
        column_B=smaller,
        or_equal=True,
        ignore_row_if="either_value_is_missing",
    )


def _mbu_hosts_only(build: _Builder) -> None:
    hosts = ", ".join(f"'{code}'" for code in sorted(MBU_HOST_BOARDS))
    build.rows(
        "mbu_only_from_host_boards",
        "Only Lothian and Greater Glasgow and Clyde report a Mother and Baby Unit.",
        f"SELECT * FROM {{batch}} WHERE service = 'MBU' AND board_code NOT IN ({hosts})",
    )


def _figures_suite(view: View, layout: SheetLayout) -> _Builder:
    build = _Builder(view.name)
    _keys_and_periods(build, view)
    _codes(build, view, layout)
    _ranges(build, layout)
    if "service" in view.columns:
        _mbu_hosts_only(build)
    return build


def _staffing() -> _Builder:
    build = _figures_suite(staffing, BQR_STAFFING)
    build.rows(
        "vacant_wte_is_funded_less_in_post",
        "Vacant WTE is max(0, funded - in post), to within 0.01.",
        "SELECT * FROM {batch} WHERE vacant_wte IS NOT NULL AND funded_wte IS NOT NULL "
        "AND in_post_wte IS NOT NULL AND ABS(vacant_wte - CASE WHEN funded_wte > in_post_wte "
        "THEN funded_wte - in_post_wte ELSE 0 END) > 0.01",
    )
    return build


def _activity() -> _Builder:
    build = _figures_suite(activity, BQR_ACTIVITY)
    _not_above(build, "referrals_received", "referrals_accepted", "Referrals accepted <= received.")
    _not_above(
        build,
        "available_bed_days",
        "occupied_bed_days",
        "Occupied bed days <= available bed days.",
    )
    given = " OR ".join(f"{column} IS NOT NULL" for column in MBU_ONLY_COLUMNS)
    build.rows(
        "bed_days_on_mbu_rows_only",
        "Admissions and bed days are reported on Mother and Baby Unit rows only.",
        f"SELECT * FROM {{batch}} WHERE service <> 'MBU' AND ({given})",
    )
    return build


def _third_sector_outcomes() -> _Builder:
    build = _figures_suite(third_sector_outcomes, TSR_OUTCOMES)
    _not_above(
        build,
        "respondents",
        "reporting_improvement",
        "People reporting improvement <= respondents.",
    )
    return build


def _submissions() -> _Builder:
    build = _Builder(submissions.name)
    _keys_and_periods(build, submissions)
    build.add(
        gx.expectations.ExpectColumnValuesToBeInSet,
        "status_known",
        "Every submission is accepted, rejected, superseded or a duplicate.",
        column="status",
        value_set=list(SUBMISSION_STATUSES),
    )
    build.add(
        gx.expectations.ExpectColumnValuesToBeInSet,
        "template_known",
        "A submission's template is BQR or TSR where it could be told.",
        column="template",
        value_set=["BQR", "TSR"],
    )
    for count in ("errors", "warnings"):
        build.add(
            gx.expectations.ExpectColumnValuesToBeBetween,
            f"{count}_not_negative",
            f"A submission's count of {count} is 0 or more.",
            column=count,
            min_value=0,
        )
    build.add(
        gx.expectations.ExpectColumnValueLengthsToEqual,
        "sha256_well_formed",
        "Every file's SHA-256 is 64 hex digits.",
        column="sha256",
        value=64,
    )
    build.rows(
        "one_current_return_per_reporter_and_quarter",
        "At most one accepted (current) return per reporter and quarter.",
        "SELECT reporter_code, financial_year, quarter, COUNT(*) AS current_returns "
        "FROM {batch} WHERE status = 'accepted' "
        "GROUP BY reporter_code, financial_year, quarter HAVING COUNT(*) > 1",
    )
    build.rows(
        "accepted_returns_have_no_errors",
        "An accepted return has no errors; a rejected one has at least one.",
        "SELECT * FROM {batch} WHERE (status = 'accepted' AND errors > 0) "
        "OR (status = 'rejected' AND errors = 0)",
    )
    return build


def _validation_issues() -> _Builder:
    build = _Builder(validation_issues.name)
    build.add(
        gx.expectations.ExpectColumnValuesToNotBeNull,
        "submission_id_not_null",
        "Every problem belongs to a submission.",
        column="submission_id",
    )
    build.add(
        gx.expectations.ExpectColumnValuesToNotBeNull,
        "message_not_null",
        "Every problem says what is wrong.",
        column="message",
    )
    build.add(
        gx.expectations.ExpectColumnValuesToBeInSet,
        "severity_known",
        "Every problem is an error or a warning.",
        column="severity",
        value_set=["error", "warning"],
    )
    return build


# --- across views --------------------------------------------------------------------------

_BOARD_VIEWS: Final = (staffing, activity, finance)
_CHARITY_VIEWS: Final = (third_sector_activity, third_sector_outcomes, third_sector_finance)
# In a query with a JOIN, Great Expectations puts the batch in as a bare subquery, for the
# query to name (without one, it names it `subselect` itself).
_IN_QUARTERS = (
    "JOIN {{batch}} AS q ON q.financial_year = {0}.financial_year AND q.quarter = {0}.quarter"
)


def _in_quarters(alias: str) -> str:
    """Joins `alias` to the quarters being checked (the batch of the suite across views)."""
    return _IN_QUARTERS.format(alias)


def _figures_have_a_submission() -> str:
    reporters = " UNION ".join(
        [
            *(f"SELECT board_code AS reporter_code, financial_year, quarter FROM {v.name}"
              for v in _BOARD_VIEWS),
            *(f"SELECT charity_number AS reporter_code, financial_year, quarter FROM {v.name}"
              for v in _CHARITY_VIEWS),
        ]
    )  # fmt: skip
    return (
        f"SELECT f.reporter_code, f.financial_year, f.quarter FROM ({reporters}) AS f "
        f"{_in_quarters('f')} WHERE NOT EXISTS (SELECT 1 FROM submissions AS s "
        "WHERE s.reporter_code = f.reporter_code AND s.financial_year = f.financial_year "
        "AND s.quarter = f.quarter AND s.status = 'accepted')"
    )


def _services_agree() -> str:
    keys = "board_code, financial_year, quarter, service"
    every = " UNION ".join(f"SELECT {keys} FROM {v.name}" for v in _BOARD_VIEWS)
    missing = " OR ".join(
        f"NOT EXISTS (SELECT 1 FROM {v.name} AS x WHERE x.board_code = u.board_code "
        "AND x.financial_year = u.financial_year AND x.quarter = u.quarter "
        "AND x.service = u.service)"
        for v in _BOARD_VIEWS
    )
    return f"SELECT u.* FROM ({every}) AS u {_in_quarters('u')} WHERE {missing}"


def _rollup_equals_sums(rollup: View, base: View, layout: SheetLayout) -> str:
    """Rows where a national roll-up differs from the sum of its base view, either way."""
    keys = rollup.grain.keys
    listed = ", ".join(keys)
    measures = layout.measure_keys
    sums = ", ".join(f"SUM({m}) AS {m}" for m in measures)
    summed = f"(SELECT {listed}, {sums} FROM {base.name} GROUP BY {listed}) AS b"
    same_keys = " AND ".join(f"n.{k} = b.{k}" for k in keys)
    differs = " OR ".join(
        f"ABS(COALESCE(n.{m}, -1) - COALESCE(b.{m}, -1)) > 0.005" for m in measures
    )
    return (
        f"SELECT {', '.join(f'n.{k}' for k in keys)} FROM {rollup.name} AS n {_in_quarters('n')} "
        f"LEFT JOIN {summed} ON {same_keys} WHERE b.{keys[0]} IS NULL OR {differs} "
        f"UNION ALL SELECT {', '.join(f'b.{k}' for k in keys)} FROM {summed} {_in_quarters('b')} "
        f"LEFT JOIN {rollup.name} AS n ON {same_keys} WHERE n.{keys[0]} IS NULL"
    )


_ROLLUPS: Final = (
    (national_staffing, staffing, BQR_STAFFING),
    (national_activity, activity, BQR_ACTIVITY),
    (national_finance, finance, BQR_FINANCE),
    (national_people_supported, third_sector_activity, TSR_ACTIVITY),
    (national_outcomes, third_sector_outcomes, TSR_OUTCOMES),
)


def _across_views() -> _Builder:
    build = _Builder(ACROSS_VIEWS)
    build.rows(
        "figures_have_a_submission",
        "Every board or charity with figures for a quarter has its accepted return in submissions.",
        _figures_have_a_submission(),
    )
    build.rows(
        "board_services_agree",
        "A board's services are the same in staffing, activity and finance.",
        _services_agree(),
        severity="warning",
    )
    for rollup, base, layout in _ROLLUPS:
        build.rows(
            f"{rollup.name}_equals_sum_of_{base.name}",
            f"{rollup.name} equals the sum of {base.name}, group by group.",
            _rollup_equals_sums(rollup, base, layout),
        )
    return build


def _built() -> Iterator[tuple[_Builder, str]]:
    yield _staffing(), staffing.name
    yield _activity(), activity.name
    yield _figures_suite(finance, BQR_FINANCE), finance.name
    yield _figures_suite(third_sector_activity, TSR_ACTIVITY), third_sector_activity.name
    yield _third_sector_outcomes(), third_sector_outcomes.name
    yield _figures_suite(third_sector_finance, TSR_FINANCE), third_sector_finance.name
    yield _submissions(), submissions.name
    yield _validation_issues(), validation_issues.name
    yield _across_views(), QUARTERS_RELATION


def warehouse_suites() -> list[Suite]:
    """Every suite, made afresh (Great Expectations binds an expectation to one suite)."""
    return [Suite(build.suite, relation, tuple(build.expectations)) for build, relation in _built()]
