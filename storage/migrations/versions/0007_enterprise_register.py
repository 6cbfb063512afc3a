"""enterprise register, visits, request sources and outcomes; service events and surveys

Enterprises keyed by 统一社会信用代码 become the unit of the needs ledger; a contact links to
its enterprise (plain columns without foreign keys: on SQLite adding one would rebuild the
contacts and tickets tables that many others reference). Needs carry their source (chat, phone, visit, survey, event) and, when found on
a visit, the visit. Outcomes record what a request achieved (credit, projects, recoveries).
Events (对接会, 培训) with their sign-ups; surveys with their responses. Existing enterprise profiles are migrated into the register: one enterprise per credit code
(or, without one, per company name), each profile's contact linked to it.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 05:00:00
"""
from __future__ import annotations

from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'enterprises',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('credit_code', sa.String(length=18), nullable=True),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('industry', sa.String(length=64), nullable=True),
        sa.Column('district', sa.String(length=64), nullable=True),
        sa.Column('size', sa.String(length=16), nullable=True),
        sa.Column('contact_name', sa.String(length=64), nullable=True),
        sa.Column('phone', sa.String(length=32), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('credit_code'),
    )
    op.create_index('ix_enterprises_name', 'enterprises', ['name'])
    op.create_table(
        'visits',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('enterprise_id', sa.Integer(), nullable=False),
        sa.Column('visited_on', sa.Date(), nullable=False),
        sa.Column('staff_id', sa.String(length=64), nullable=True),
        sa.Column('staff_name', sa.String(length=128), nullable=True),
        sa.Column('notes', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_visits_on', 'visits', ['visited_on'])
    with op.batch_alter_table('contacts') as batch_op:
        batch_op.add_column(sa.Column('enterprise_id', sa.Integer(), nullable=True))
        batch_op.create_index('ix_contacts_enterprise', ['enterprise_id'])
    with op.batch_alter_table('tickets') as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=16), nullable=False,
                                      server_default='chat'))
        batch_op.add_column(sa.Column('visit_id', sa.Integer(), nullable=True))
    op.create_table(
        'ticket_outcomes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('ticket_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('subject', sa.String(length=64), nullable=False),
        sa.Column('institution', sa.String(length=128), nullable=True),
        sa.Column('credit_yuan', sa.BigInteger(), nullable=True),
        sa.Column('disbursed_yuan', sa.BigInteger(), nullable=True),
        sa.Column('programme', sa.String(length=64), nullable=True),
        sa.Column('level', sa.String(length=16), nullable=True),
        sa.Column('result', sa.String(length=200), nullable=True),
        sa.Column('recovered_yuan', sa.BigInteger(), nullable=True),
        sa.Column('actor_id', sa.String(length=64), nullable=True),
        sa.Column('actor_name', sa.String(length=128), nullable=True),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('ticket_id', 'kind', 'subject', name='uq_ticket_outcomes_subject'),
    )
    op.create_index('ix_ticket_outcomes_at', 'ticket_outcomes', ['at'])
    op.create_table(
        'events',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('place', sa.String(length=200), nullable=False),
        sa.Column('capacity', sa.Integer(), nullable=False),
        sa.Column('segment', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('invited', sa.Integer(), nullable=False),
        sa.Column('author_id', sa.String(length=64), nullable=True),
        sa.Column('author_name', sa.String(length=128), nullable=True),
        sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_events_starts', 'events', ['starts_at'])
    op.create_table(
        'event_signups',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('contact_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('attended', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['event_id'], ['events.id']),
        sa.ForeignKeyConstraint(['contact_id'], ['contacts.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('event_id', 'contact_id', name='uq_event_signups_contact'),
    )
    op.create_index('ix_event_signups_event', 'event_signups', ['event_id', 'status', 'id'])
    op.create_table(
        'surveys',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('definition', sa.Text(), nullable=False),
        sa.Column('segment', sa.Text(), nullable=False),
        sa.Column('invited', sa.Integer(), nullable=False),
        sa.Column('author_id', sa.String(length=64), nullable=True),
        sa.Column('author_name', sa.String(length=128), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_table(
        'survey_responses',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('survey_id', sa.Integer(), nullable=False),
        sa.Column('contact_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('answers', sa.Text(), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['survey_id'], ['surveys.id']),
        sa.ForeignKeyConstraint(['contact_id'], ['contacts.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('survey_id', 'contact_id', name='uq_survey_responses_contact'),
    )
    _register_profiles()


def _register_profiles() -> None:
    """One enterprise per credit code (or per name without one), its contacts linked."""
    bind = op.get_bind()
    profiles = bind.execute(sa.text(
        "SELECT contact_id, company_name, credit_code, contact_name, phone, industry, district"
        " FROM enterprise_profiles WHERE company_name IS NOT NULL OR credit_code IS NOT NULL"
        " ORDER BY updated_at, contact_id")).all()
    enterprises: dict[str, int] = {}
    now = datetime.now(timezone.utc)
    for contact_id, name, code, person, phone, industry, district in profiles:
        key = f"code:{code}" if code else f"name:{name}"
        if key not in enterprises:
            enterprises[key] = bind.execute(sa.text(
                "INSERT INTO enterprises (credit_code, name, industry, district, contact_name,"
                " phone, created_at, updated_at) VALUES (:code, :name, :industry, :district,"
                " :person, :phone, :now, :now) RETURNING id"), {
                    "code": code or None, "name": name or code, "industry": industry,
                    "district": district, "person": person, "phone": phone, "now": now,
                }).scalar_one()
        bind.execute(sa.text("UPDATE contacts SET enterprise_id = :enterprise WHERE id = :id"),
                     {"enterprise": enterprises[key], "id": contact_id})


def downgrade() -> None:
    op.drop_table('survey_responses')
    op.drop_table('surveys')
    op.drop_index('ix_event_signups_event', table_name='event_signups')
    op.drop_table('event_signups')
    op.drop_index('ix_events_starts', table_name='events')
    op.drop_table('events')
    op.drop_index('ix_ticket_outcomes_at', table_name='ticket_outcomes')
    op.drop_table('ticket_outcomes')
    with op.batch_alter_table('tickets') as batch_op:
        batch_op.drop_column('visit_id')
        batch_op.drop_column('source')
    with op.batch_alter_table('contacts') as batch_op:
        batch_op.drop_index('ix_contacts_enterprise')
        batch_op.drop_column('enterprise_id')
    op.drop_index('ix_visits_on', table_name='visits')
    op.drop_table('visits')
    op.drop_index('ix_enterprises_name', table_name='enterprises')
    op.drop_table('enterprises')
