"""Where each figure came from (the column letter of each measure read); read-only roles

Revision ID: 0007
Revises: 0004
Create Date: 2026-12-02 01:45:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from warehouse.views.refresh import drop_views


revision: str = '0007'
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('source_column',
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('sheet', sa.String(length=40), nullable=False),
    sa.Column('measure', sa.String(length=40), nullable=False),
    sa.Column('column_letter', sa.String(length=3), nullable=False),
    sa.ForeignKeyConstraint(['submission_id'], ['submission.submission_id'], name=op.f('fk_source_column_submission_id_submission')),
    sa.PrimaryKeyConstraint('submission_id', 'sheet', 'measure', name=op.f('pk_source_column')),
    comment="One row per submission, sheet and measure read: the column letter the measure's figures were read from. The reader finds columns by their headers, so a letter can differ between returns; with a fact row's source_row it names each figure's cell."
    )
    op.create_table('readonly_role',
    sa.Column('role_name', sa.String(length=63), nullable=False),
    sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('role_name', name=op.f('pk_readonly_role')),
    comment='One row per read-only role `pimh warehouse grant-readonly` set up (PostgreSQL): its SELECT on the views is granted again whenever the views are recreated.'
    )


def downgrade() -> None:
    # As in every downgrade: the views read the tables; the next upgrade makes them again.
    # The roles themselves belong to the server, not this database, and are left alone.
    drop_views(op.get_bind())
    op.drop_table('readonly_role')
    op.drop_table('source_column')
