"""Plausibility warnings' rule and subject, and the reporter's explanation, on each issue

Revision ID: 0006
Revises: 0004
Create Date: 2026-12-02 02:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from warehouse.views.refresh import drop_views

revision: str = "0006"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("validation_issue", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rule", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("subject", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("explanation", sa.Text(), nullable=True))


def downgrade() -> None:
    # As in every downgrade: the views read the tables; the next upgrade makes them again.
    drop_views(op.get_bind())
    with op.batch_alter_table("validation_issue", schema=None) as batch_op:
        batch_op.drop_column("explanation")
        batch_op.drop_column("subject")
        batch_op.drop_column("rule")
