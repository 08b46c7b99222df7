"""The warehouse's tables: a small star schema plus the audit trail of every file received.

Facts keep every accepted return, including superseded ones, so history stays queryable;
the downstream views (`warehouse.views`) pick the current accepted return per reporter and
quarter. Each table's grain is in its comment. A fact table's measure columns are its
sheet's layout's (`domain.layouts`), typed by kind, so the layout and the table agree; its
keys, which fix the grain, are written out here.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    false,
    text,
)

from domain.layouts import (
    BQR_ACTIVITY,
    BQR_FINANCE,
    BQR_STAFFING,
    TSR_ACTIVITY,
    TSR_FINANCE,
    TSR_OUTCOMES,
    ColumnLayout,
    SheetLayout,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

SUBMISSION_STATUSES = ("accepted", "rejected", "superseded", "duplicate")


def _gbp(name: str) -> Column[float]:
    return Column(name, Numeric(14, 2, asdecimal=False))


def _measure(column: ColumnLayout) -> Column[int] | Column[float]:
    """A measure's fact column by its kind: whole counts, WTE and pounds to the penny."""
    if column.kind == "count":
        return Column(column.fact_key, Integer)
    if column.kind == "wte":
        return Column(column.fact_key, Numeric(7, 2, asdecimal=False))
    return _gbp(column.fact_key)


def _measures(sheet: SheetLayout) -> list[Column[int] | Column[float]]:
    """The sheet's measures, in layout order; an empty cell (not reported) is NULL."""
    return [_measure(column) for column in sheet.measures]


dim_board = Table(
    "dim_board",
    metadata,
    Column("board_code", String(9), primary_key=True),
    Column("board_name", String(60), nullable=False),
    Column("hosts_mbu", Boolean, nullable=False),
    comment="One row per territorial NHS board, keyed by its GSS code.",
)

dim_service = Table(
    "dim_service",
    metadata,
    Column("service_code", String(8), primary_key=True),
    Column("service_name", String(80), nullable=False),
    comment="One row per PIMH service line a board may run.",
)

dim_staff_group = Table(
    "dim_staff_group",
    metadata,
    Column("staff_group", String(40), primary_key=True),
    Column("sort_order", Integer, nullable=False),
    comment="One row per staff group of the Staffing sheet.",
)

dim_quarter = Table(
    "dim_quarter",
    metadata,
    Column("financial_year", String(7), primary_key=True),
    Column("quarter", String(2), primary_key=True),
    Column("starts_on", Date, nullable=False),
    Column("ends_on", Date, nullable=False),
    Column("due_on", Date, nullable=False),
    comment="One row per financial quarter of the programme's calendar (seeded from 2019-20).",
)

received_file = Table(
    "received_file",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("size_bytes", BigInteger, nullable=False),
    Column("archive_url", Text, nullable=False),
    Column("first_received_at", DateTime(timezone=True), nullable=False),
    comment="One row per distinct file content ever received, kept byte for byte in the archive.",
)

submission = Table(
    "submission",
    metadata,
    Column("submission_id", Integer, primary_key=True, autoincrement=True),
    Column("sha256", String(64), ForeignKey("received_file.sha256"), nullable=False),
    Column("file_name", Text, nullable=False),
    Column("origin_path", Text, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("processed_at", DateTime(timezone=True), nullable=False),
    Column("template", String(3)),
    Column("template_version", String(8)),
    Column("reporter_code", String(12)),
    Column("financial_year", String(7)),
    Column("quarter", String(2)),
    Column("status", String(12), nullable=False),
    Column("error_count", Integer, nullable=False),
    Column("warning_count", Integer, nullable=False),
    Column("completed_by", Text),
    Column("contact_email", Text),
    Column("feedback_url", Text),
    # A return with problems is owed its annotated copy until the copy is written (or
    # found impossible): what an interrupted run still owes is found here and finished.
    Column("is_annotation_owed", Boolean, nullable=False, server_default=false()),
    Column("annotated_url", Text),
    CheckConstraint(
        "status IN ('accepted', 'rejected', 'superseded', 'duplicate')", name="status_known"
    ),
    comment="One row per file arrival: what it was, who sent it, and what became of it.",
)

# At most one accepted return per reporter and quarter, even with several workers loading.
Index(
    "uq_submission_current",
    submission.c.reporter_code,
    submission.c.financial_year,
    submission.c.quarter,
    unique=True,
    sqlite_where=text("status = 'accepted'"),
    postgresql_where=text("status = 'accepted'"),
)
Index("ix_submission_sha256", submission.c.sha256)
Index("ix_submission_origin", submission.c.origin_path)

file_claim = Table(
    "file_claim",
    metadata,
    Column("claim_key", String(64), primary_key=True),
    Column("origin_path", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("claim_token", String(32), nullable=False),
    Column("claimed_by", Text, nullable=False),
    Column("claimed_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("submission_id", Integer, ForeignKey("submission.submission_id")),
    comment=(
        "One row per received file (its origin and content, hashed into claim_key) taken by "
        "a run: the run holding it until it is recorded, and its submission once it is. Any "
        "number of runs, watchers and workers record and load each file once."
    ),
)

validation_issue = Table(
    "validation_issue",
    metadata,
    Column("issue_id", Integer, primary_key=True, autoincrement=True),
    Column("submission_id", Integer, ForeignKey("submission.submission_id"), nullable=False),
    Column("severity", String(7), nullable=False),
    Column("sheet", String(40)),
    Column("cell", String(60)),
    Column("value", Text),
    Column("message", Text, nullable=False),
    # A plausibility warning's rule and subject (`transforms.plausibility`), and the
    # reporter's answer from the workbook's Explanation column: one explained before is
    # not raised again for the same reporter, quarter, rule, subject and value.
    Column("rule", String(40)),
    Column("subject", String(120)),
    Column("explanation", Text),
    CheckConstraint("severity IN ('error', 'warning')", name="severity_known"),
    comment="One row per problem found in a submission, with the cell it is in.",
)
Index("ix_validation_issue_submission", validation_issue.c.submission_id)


def _fact_keys() -> list[Column[str] | Column[int]]:
    return [
        Column(
            "submission_id",
            Integer,
            ForeignKey("submission.submission_id"),
            primary_key=True,
        ),
        Column("board_code", String(9), ForeignKey("dim_board.board_code"), nullable=False),
        Column("financial_year", String(7), nullable=False),
        Column("quarter", String(2), nullable=False),
        Column("service_code", String(8), ForeignKey("dim_service.service_code"), primary_key=True),
    ]


fact_staffing = Table(
    BQR_STAFFING.fact_table,
    metadata,
    *_fact_keys(),
    Column(
        "staff_group",
        String(40),
        ForeignKey("dim_staff_group.staff_group"),
        primary_key=True,
    ),
    *_measures(BQR_STAFFING),
    Column("is_vacant_derived", Boolean, nullable=False),
    Column("source_row", Integer, nullable=False),
    comment="One row per board, service, staff group and quarter of an accepted return.",
)

fact_activity = Table(
    BQR_ACTIVITY.fact_table,
    metadata,
    *_fact_keys(),
    *_measures(BQR_ACTIVITY),
    Column("source_row", Integer, nullable=False),
    comment="One row per board, service and quarter of an accepted return.",
)

fact_finance = Table(
    BQR_FINANCE.fact_table,
    metadata,
    *_fact_keys(),
    *_measures(BQR_FINANCE),
    Column("source_row", Integer, nullable=False),
    comment="One row per board, service and quarter of an accepted return.",
)

# --- third sector ------------------------------------------------------------------------

dim_fund = Table(
    "dim_fund",
    metadata,
    Column("fund_code", String(8), primary_key=True),
    Column("fund_name", String(40), nullable=False),
    comment="One row per fund stream of the third-sector fund (MAIN, SMALL).",
)

dim_support_type = Table(
    "dim_support_type",
    metadata,
    Column("support_type", String(40), primary_key=True),
    Column("sort_order", Integer, nullable=False),
    comment="One row per type of support a charity reports on its Activity sheet.",
)

dim_outcome = Table(
    "dim_outcome",
    metadata,
    Column("outcome_code", String(24), primary_key=True),
    Column("description", Text, nullable=False),
    Column("sort_order", Integer, nullable=False),
    comment="One row per outcome of the fund's outcome framework.",
)

register_version = Table(
    "register_version",
    metadata,
    Column("version_id", Integer, primary_key=True, autoincrement=True),
    Column("loaded_at", DateTime(timezone=True), nullable=False),
    Column("in_force_from", Date, nullable=False),
    Column("source_name", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("entry_count", Integer, nullable=False),
    comment=(
        "One row per version of the register of funded organisations. A quarter is checked "
        "against the version in force for it: the latest in_force_from on or before the "
        "quarter's start, the latest loaded among equals."
    ),
)

register_entry = Table(
    "register_entry",
    metadata,
    Column("version_id", Integer, ForeignKey("register_version.version_id"), primary_key=True),
    Column("charity_number", String(8), primary_key=True),
    Column("name", Text, nullable=False),
    Column("fund", String(8), ForeignKey("dim_fund.fund_code"), nullable=False),
    _gbp("award_gbp"),
    Column("source_line", Integer, nullable=False),
    comment="One row per funded organisation in one version of the register.",
)

register_board_area = Table(
    "register_board_area",
    metadata,
    Column("version_id", Integer, primary_key=True),
    Column("charity_number", String(8), primary_key=True),
    Column("board_code", String(9), ForeignKey("dim_board.board_code"), primary_key=True),
    ForeignKeyConstraint(
        ["version_id", "charity_number"],
        ["register_entry.version_id", "register_entry.charity_number"],
    ),
    comment="One row per board area an organisation serves, in one version of the register.",
)


def _third_sector_keys() -> list[Column[str] | Column[int]]:
    return [
        Column("submission_id", Integer, ForeignKey("submission.submission_id"), primary_key=True),
        Column("charity_number", String(8), nullable=False),
        Column("fund", String(8), ForeignKey("dim_fund.fund_code"), nullable=False),
        Column("financial_year", String(7), nullable=False),
        Column("quarter", String(2), nullable=False),
    ]


fact_ts_activity = Table(
    TSR_ACTIVITY.fact_table,
    metadata,
    *_third_sector_keys(),
    Column("board_code", String(9), ForeignKey("dim_board.board_code"), primary_key=True),
    Column(
        "support_type",
        String(40),
        ForeignKey("dim_support_type.support_type"),
        primary_key=True,
    ),
    *_measures(TSR_ACTIVITY),
    Column("source_row", Integer, nullable=False),
    comment="One row per organisation, board area, support type and quarter of an accepted return.",
)

fact_ts_outcome = Table(
    TSR_OUTCOMES.fact_table,
    metadata,
    *_third_sector_keys(),
    Column("outcome", String(24), ForeignKey("dim_outcome.outcome_code"), primary_key=True),
    *_measures(TSR_OUTCOMES),
    Column("source_row", Integer, nullable=False),
    comment="One row per organisation, outcome and quarter of an accepted return.",
)

fact_ts_finance = Table(
    TSR_FINANCE.fact_table,
    metadata,
    *_third_sector_keys(),
    *_measures(TSR_FINANCE),
    Column("source_row", Integer, nullable=False),
    comment="One row per organisation and quarter of an accepted return.",
)

source_column = Table(
    "source_column",
    metadata,
    Column("submission_id", Integer, ForeignKey("submission.submission_id"), primary_key=True),
    Column("sheet", String(40), primary_key=True),
    Column("measure", String(40), primary_key=True),
    Column("column_letter", String(3), nullable=False),
    comment=(
        "One row per submission, sheet and measure not read from its template column: the "
        "column letter its figures were read from, or '' for a measure the return did not "
        "have. The reader finds columns by their headers, so a letter can differ between "
        "returns; with a fact row's source_row it names each figure's cell."
    ),
)

readonly_role = Table(
    "readonly_role",
    metadata,
    Column("role_name", String(63), primary_key=True),
    Column("granted_at", DateTime(timezone=True), nullable=False),
    comment=(
        "One row per read-only role `pimh warehouse grant-readonly` set up (PostgreSQL): "
        "its SELECT on the views is granted again whenever the views are recreated."
    ),
)

# Fact tables by name: the transforms key their frames by these names.
FACT_TABLES = {
    table.name: table
    for table in (
        fact_staffing,
        fact_activity,
        fact_finance,
        fact_ts_activity,
        fact_ts_outcome,
        fact_ts_finance,
    )
}

# --- telling reporters -------------------------------------------------------------------

reporter_contact = Table(
    "reporter_contact",
    metadata,
    Column("reporter_code", String(12), primary_key=True),
    Column("email", String(254), primary_key=True),
    Column("name", Text, nullable=False),
    Column("role", String(8), nullable=False),
    Column("source_line", Integer, nullable=False),
    Column("loaded_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("role IN ('lead', 'sender')", name="role_known"),
    comment=(
        "One row per registered contact of a reporter (board or charity), as the contacts "
        "list last loaded has it: the only addresses a reporter's feedback is sent to."
    ),
)

EMAIL_STATES = ("pending", "sending", "sent", "failed", "gave_up", "unconfirmed", "no_contact")

email_outbox = Table(
    "email_outbox",
    metadata,
    Column("email_id", Integer, primary_key=True, autoincrement=True),
    Column(
        "submission_id",
        Integer,
        ForeignKey("submission.submission_id"),
        nullable=False,
        unique=True,
    ),
    Column("reporter_code", String(12), nullable=False),
    Column("reporter_name", Text),
    Column("outcome", String(24), nullable=False),
    # Comma-separated, fixed when the submission is recorded (the list may change later).
    Column("recipients", Text, nullable=False),
    Column("state", String(12), nullable=False),
    Column("queued_at", DateTime(timezone=True), nullable=False),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("count_attempts", Integer, nullable=False, server_default=text("0")),
    Column("last_error", Text),
    Column("claim_token", String(32)),
    Column("claimed_by", Text),
    Column("claimed_at", DateTime(timezone=True)),
    Column("sent_at", DateTime(timezone=True)),
    Column("message_id", Text),
    CheckConstraint(
        "state IN ('pending', 'sending', 'sent', 'failed', 'gave_up', 'unconfirmed', 'no_contact')",
        name="state_known",
    ),
    CheckConstraint(
        "outcome IN ('accepted', 'accepted with warnings', 'rejected')", name="outcome_known"
    ),
    comment=(
        "One row per recorded submission its reporter is to be told of by email, written in "
        "the transaction that records the submission: what is owed, to whom, and how "
        "sending it has gone."
    ),
)
Index("ix_email_outbox_due", email_outbox.c.state, email_outbox.c.next_attempt_at)
# --- quality checks of the warehouse -----------------------------------------------------

QUALITY_SEVERITIES = ("error", "warning")

quality_check = Table(
    "quality_check",
    metadata,
    Column("check_id", Integer, primary_key=True, autoincrement=True),
    Column("checked_at", DateTime(timezone=True), nullable=False),
    # Both NULL when every quarter in the warehouse was checked.
    Column("financial_year", String(7)),
    Column("quarter", String(2)),
    Column("is_passed", Boolean, nullable=False),
    Column("count_expectations", Integer, nullable=False),
    Column("count_failed_errors", Integer, nullable=False),
    Column("count_failed_warnings", Integer, nullable=False),
    Column("gx_version", String(20), nullable=False),
    Column("docs_url", Text),
    comment=(
        "One row per run of the warehouse's quality checks (Great Expectations): when, "
        "which quarter (NULL: all), and whether every error-level expectation held."
    ),
)
Index(
    "ix_quality_check_period",
    quality_check.c.financial_year,
    quality_check.c.quarter,
    quality_check.c.checked_at,
)

quality_result = Table(
    "quality_result",
    metadata,
    Column("check_id", Integer, ForeignKey("quality_check.check_id"), primary_key=True),
    Column("expectation_key", String(120), primary_key=True),
    Column("suite", String(60), nullable=False),
    Column("expectation_type", String(80), nullable=False),
    Column("severity", String(7), nullable=False),
    Column("is_passed", Boolean, nullable=False),
    Column("count_unexpected", Integer),
    Column("description", Text, nullable=False),
    Column("detail", Text),
    CheckConstraint("severity IN ('error', 'warning')", name="severity_known"),
    comment="One row per expectation evaluated in one quality check run, with its outcome.",
)
