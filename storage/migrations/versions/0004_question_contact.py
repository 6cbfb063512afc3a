"""question_log.contact_id: the asker's contact, logged with the question

The statistics count enterprises that asked in a period by this id instead of matching a
month of questions to the contacts by channel and user id (bench/db_bench.py). Questions
logged before are linked here to the contacts they match.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 14:10:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('question_log') as batch_op:
        batch_op.add_column(sa.Column('contact_id', sa.Integer(), nullable=True))
    op.execute(
        "UPDATE question_log SET contact_id = (SELECT contacts.id FROM contacts"
        " WHERE contacts.channel = question_log.channel"
        " AND contacts.external_id = question_log.user_ref)"
        " WHERE user_ref IS NOT NULL")
    op.drop_index('ix_question_log_asked_user', table_name='question_log')
    op.create_index('ix_question_log_asked_contact', 'question_log', ['asked_at', 'contact_id'])


def downgrade() -> None:
    op.drop_index('ix_question_log_asked_contact', table_name='question_log')
    op.create_index('ix_question_log_asked_user', 'question_log',
                    ['asked_at', 'channel', 'user_ref'])
    with op.batch_alter_table('question_log') as batch_op:
        batch_op.drop_column('contact_id')
