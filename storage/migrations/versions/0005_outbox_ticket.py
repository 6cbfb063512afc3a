"""outbox: index of a ticket's messages

`/ticket N` shows the delivery of the ticket's messages; without this index it read the whole
outbox (bench/db_bench.py, ticket_history). Partial: answers to questions, most of the outbox,
belong to no ticket.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 14:50:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_outbox_ticket', 'outbox', ['ticket_id'],
                    postgresql_where=sa.text('ticket_id IS NOT NULL'),
                    sqlite_where=sa.text('ticket_id IS NOT NULL'))


def downgrade() -> None:
    op.drop_index('ix_outbox_ticket', table_name='outbox')
