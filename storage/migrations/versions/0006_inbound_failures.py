"""inbound_updates: failures, last error and parking of poison updates; index for retention

An update that cannot be parsed or whose handlers raise is retried a bounded number of times,
then parked for an operator. Processed updates keep no payload; they are pruned after `retention.days` (by
`processed_at`, hence the index; it also serves the replay's `processed_at IS NULL`).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 05:00:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('inbound_updates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failures', sa.Integer(), server_default='0',
                                      nullable=False))
        batch_op.add_column(sa.Column('last_error', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('parked_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_inbound_updates_processed', ['processed_at'], unique=False)
    # A processed update's payload is no longer kept (it holds personal data, see /deleteme).
    op.execute("UPDATE inbound_updates SET payload = NULL WHERE processed_at IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table('inbound_updates', schema=None) as batch_op:
        batch_op.drop_index('ix_inbound_updates_processed')
        batch_op.drop_column('parked_at')
        batch_op.drop_column('last_error')
        batch_op.drop_column('failures')
