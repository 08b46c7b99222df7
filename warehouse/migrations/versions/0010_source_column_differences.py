"""source_column keeps only the letters that differ from the template's

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 08:30:00

From this revision a measure with no `source_column` row was read from its template
column, and an empty letter marks a measure the return did not have (see
`transforms.source_columns`). Before it, every measure read had a row and a missing row
meant no cell was known. The data is rewritten so that the `lineage` view names the
same cells as before: an empty letter where a loaded return has figures but no row
(a column left off, or a return loaded before letters were kept), and the rows that only
repeat the template's letter dropped. The template letters are written out here as they
stood at this revision, so that a later template change cannot alter what this did.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op
from sqlalchemy import text

from warehouse.views.refresh import drop_views

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (fact table, sheet, ((measure, template letter), ...)) at this revision.
_TEMPLATE_LETTERS: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = (
    ("fact_staffing", "Staffing", (("funded_wte", "C"), ("in_post_wte", "D"), ("vacant_wte", "E"))),
    (
        "fact_activity",
        "Activity",
        (
            ("referrals_received", "B"),
            ("referrals_accepted", "C"),
            ("first_assessments", "D"),
            ("open_caseload", "E"),
            ("discharges", "F"),
            ("waiting_over_12_weeks", "G"),
            ("admissions", "H"),
            ("occupied_bed_days", "I"),
            ("available_bed_days", "J"),
        ),
    ),
    (
        "fact_finance",
        "Finance",
        (("allocation_gbp", "B"), ("spend_gbp", "C"), ("forecast_gbp", "D")),
    ),
    (
        "fact_ts_activity",
        "Activity",
        (("mothers", "C"), ("fathers_partners", "D"), ("infants", "E"), ("other_carers", "F")),
    ),
    ("fact_ts_outcome", "Outcomes", (("respondents", "B"), ("reporting_improvement", "C"))),
    ("fact_ts_finance", "Finance", (("grant_awarded_gbp", "A"), ("spend_gbp", "B"))),
)

_ADD_MISSING = """
INSERT INTO source_column (submission_id, sheet, measure, column_letter)
SELECT DISTINCT f.submission_id, :sheet, :measure, :letter FROM {fact} f
WHERE NOT EXISTS (
    SELECT 1 FROM source_column s
    WHERE s.submission_id = f.submission_id AND s.sheet = :sheet AND s.measure = :measure
)
"""

_DROP_LETTER = """
DELETE FROM source_column
WHERE sheet = :sheet AND measure = :measure AND column_letter = :letter
AND submission_id IN (SELECT submission_id FROM {fact})
"""


def _each(sql: str, letter_of: str | None) -> None:
    """`sql` for every measure of every sheet, with `:letter` the template letter, or
    `letter_of` (the empty marker) where given."""
    for fact, sheet, measures in _TEMPLATE_LETTERS:
        for measure, template in measures:
            op.execute(
                text(sql.format(fact=fact)).bindparams(
                    sheet=sheet,
                    measure=measure,
                    letter=template if letter_of is None else letter_of,
                )
            )


_COMMENT = (
    "One row per submission, sheet and measure not read from its template column: the "
    "column letter its figures were read from, or '' for a measure the return did not "
    "have. The reader finds columns by their headers, so a letter can differ between "
    "returns; with a fact row's source_row it names each figure's cell."
)
_COMMENT_BEFORE = (
    "One row per submission, sheet and measure read: the column letter the measure's "
    "figures were read from. The reader finds columns by their headers, so a letter can "
    "differ between returns; with a fact row's source_row it names each figure's cell."
)


def _comment(comment: str) -> None:
    if op.get_bind().dialect.name != "sqlite":  # SQLite keeps no comments
        op.create_table_comment("source_column", comment)


def upgrade() -> None:
    _comment(_COMMENT)
    _each(_ADD_MISSING, "")  # no row meant no cell known: now the empty letter says so
    _each(_DROP_LETTER, None)  # the template's letter is now what no row means


def downgrade() -> None:
    drop_views(op.get_bind())  # as every downgrade: the views are made again at upgrade
    _each(_ADD_MISSING, None)  # no row meant the template's letter: write it out
    _each(_DROP_LETTER, "")  # and no cell known is again no row
    _comment(_COMMENT_BEFORE)
