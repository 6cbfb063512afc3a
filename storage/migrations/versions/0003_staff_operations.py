"""sla, follow-ups, audit log, subscriptions, broadcasts, leases

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 08:19:04.386409
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_question_log_asked_user', 'question_log',
                    ['asked_at', 'channel', 'user_ref'])
    op.create_table('broadcasts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('author_id', sa.String(length=64), nullable=True),
    sa.Column('author_name', sa.String(length=128), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('segment', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('recipients', sa.Integer(), nullable=False),
    sa.Column('progress_chat_id', sa.String(length=64), nullable=True),
    sa.Column('progress_message_id', sa.Integer(), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('leases',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('holder', sa.String(length=128), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    op.create_table('staff_actions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.String(length=64), nullable=True),
    sa.Column('actor_name', sa.String(length=128), nullable=True),
    sa.Column('role', sa.String(length=16), nullable=True),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('staff_actions', schema=None) as batch_op:
        batch_op.create_index('ix_staff_actions_at', ['at'], unique=False)

    op.create_table('subscriptions',
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('topics', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], ),
    sa.PrimaryKeyConstraint('contact_id')
    )
    with op.batch_alter_table('inbound_updates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.alter_column('status', existing_type=sa.String(length=8),
                              type_=sa.String(length=16), existing_nullable=False)
        batch_op.add_column(sa.Column('priority', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('broadcast_id', sa.Integer(), nullable=True))
        batch_op.create_index('ix_outbox_broadcast', ['broadcast_id', 'status'], unique=False)
        batch_op.create_foreign_key('fk_outbox_broadcast', 'broadcasts', ['broadcast_id'], ['id'])

    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_response_due_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('resolution_due_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('first_reminded_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('first_escalated_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('resolution_reminded_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('resolution_escalated_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('followup_due_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('followup_asked_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('followup_result', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('followup_answered_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_tickets_created', ['created_at'], unique=False)
        batch_op.create_index('ix_tickets_followup_due', ['followup_due_at'], unique=False)
        batch_op.create_index('ix_tickets_resolved', ['resolved_at'], unique=False)
        batch_op.create_index('ix_tickets_queue', ['status', 'priority', 'assignee_id', 'id'],
                              unique=False)




def downgrade() -> None:
    op.execute("UPDATE outbox SET status = 'failed' WHERE status = 'cancelled'")  # fits 8
    op.drop_index('ix_question_log_asked_user', table_name='question_log')
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_queue')
        batch_op.drop_index('ix_tickets_resolved')
        batch_op.drop_index('ix_tickets_followup_due')
        batch_op.drop_index('ix_tickets_created')
        batch_op.drop_column('followup_answered_at')
        batch_op.drop_column('followup_result')
        batch_op.drop_column('followup_asked_at')
        batch_op.drop_column('followup_due_at')
        batch_op.drop_column('resolution_escalated_at')
        batch_op.drop_column('resolution_reminded_at')
        batch_op.drop_column('first_escalated_at')
        batch_op.drop_column('first_reminded_at')
        batch_op.drop_column('resolution_due_at')
        batch_op.drop_column('first_response_due_at')

    with op.batch_alter_table('inbound_updates', schema=None) as batch_op:
        batch_op.drop_column('claimed_at')

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_constraint('fk_outbox_broadcast', type_='foreignkey')
        batch_op.drop_index('ix_outbox_broadcast')
        batch_op.drop_column('broadcast_id')
        batch_op.drop_column('priority')
        batch_op.alter_column('status', existing_type=sa.String(length=16),
                              type_=sa.String(length=8), existing_nullable=False)

    op.drop_table('subscriptions')
    with op.batch_alter_table('staff_actions', schema=None) as batch_op:
        batch_op.drop_index('ix_staff_actions_at')

    op.drop_table('staff_actions')
    op.drop_table('leases')
    op.drop_table('broadcasts')

