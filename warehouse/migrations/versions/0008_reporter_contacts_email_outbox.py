"""Reporters' registered contacts; the outbox of emails telling them of their returns

Revision ID: 0008
Revises: 0004
Create Date: 2026-12-02 01:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from warehouse.views.refresh import drop_views


revision: str = '0008'
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('reporter_contact',
    sa.Column('reporter_code', sa.String(length=12), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('role', sa.String(length=8), nullable=False),
    sa.Column('source_line', sa.Integer(), nullable=False),
    sa.Column('loaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("role IN ('lead', 'sender')", name=op.f('ck_reporter_contact_role_known')),
    sa.PrimaryKeyConstraint('reporter_code', 'email', name=op.f('pk_reporter_contact')),
    comment='One row per registered contact of a reporter (board or charity), as the contacts list last loaded has it: the only addresses a reporter\'s feedback is sent to.'
    )
    op.create_table('email_outbox',
    sa.Column('email_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('reporter_code', sa.String(length=12), nullable=False),
    sa.Column('reporter_name', sa.Text(), nullable=True),
    sa.Column('outcome', sa.String(length=24), nullable=False),
    sa.Column('recipients', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('queued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('count_attempts', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('claim_token', sa.String(length=32), nullable=True),
    sa.Column('claimed_by', sa.Text(), nullable=True),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('message_id', sa.Text(), nullable=True),
    sa.CheckConstraint("outcome IN ('accepted', 'accepted with warnings', 'rejected')", name=op.f('ck_email_outbox_outcome_known')),
    sa.CheckConstraint("state IN ('pending', 'sending', 'sent', 'failed', 'gave_up', 'unconfirmed', 'no_contact')", name=op.f('ck_email_outbox_state_known')),
    sa.ForeignKeyConstraint(['submission_id'], ['submission.submission_id'], name=op.f('fk_email_outbox_submission_id_submission')),
    sa.PrimaryKeyConstraint('email_id', name=op.f('pk_email_outbox')),
    sa.UniqueConstraint('submission_id', name=op.f('uq_email_outbox_submission_id')),
    comment='One row per recorded submission its reporter is to be told of by email, written in the transaction that records the submission: what is owed, to whom, and how sending it has gone.'
    )
    op.create_index('ix_email_outbox_due', 'email_outbox', ['state', 'next_attempt_at'], unique=False)


def downgrade() -> None:
    # As in every downgrade: the views read the tables; the next upgrade makes them again.
    drop_views(op.get_bind())
    op.drop_index('ix_email_outbox_due', table_name='email_outbox')
    op.drop_table('email_outbox')
    op.drop_table('reporter_contact')
