"""SQLAlchemy 2 models. Every schema change gets an Alembic revision in `migrations/`."""
from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import (
    BigInteger, Boolean, Date, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def aware(value: datetime) -> datetime:
    """A stored datetime as an aware one: SQLite returns them naive; everything stored is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


class Base(DeclarativeBase):
    pass


class QuestionLog(Base):
    """Every question asked: the raw material for reviewing unanswered questions."""

    __tablename__ = "question_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    asked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    channel: Mapped[str] = mapped_column(String(32))
    user_ref: Mapped[str | None] = mapped_column(String(64))
    # The asker's contact, when a channel knows them (not the command line). No foreign key:
    # its check would read and lock the contact's row for every question logged.
    contact_id: Mapped[int | None] = mapped_column(Integer)
    language: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text)
    normalized: Mapped[str] = mapped_column(Text)
    entry_id: Mapped[str | None] = mapped_column(String(128))
    score: Mapped[float | None] = mapped_column(Float)
    decision: Mapped[str] = mapped_column(String(16))
    mode: Mapped[str] = mapped_column(String(16))
    suggestions: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_question_log_asked_at", "asked_at"),
        Index("ix_question_log_decision_asked_at", "decision", "asked_at"),
        Index("ix_question_log_asked_contact", "asked_at", "contact_id"),
    )


class Contact(Base):
    """A person talking to the assistant on a channel (a Telegram user, the terminal)."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(64))
    chat_id: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str | None] = mapped_column(String(128))
    language: Mapped[str] = mapped_column(String(8), default="zh-CN")
    source: Mapped[str | None] = mapped_column(String(64))
    human_ticket_id: Mapped[int | None] = mapped_column(Integer)
    unreachable_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # The enterprise this person speaks for (the register), once known. No foreign key (as
    # question_log.contact_id): SQLite could only add one by rebuilding the referenced table.
    enterprise_id: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (UniqueConstraint("channel", "external_id", name="uq_contacts_channel_ext"),
                      Index("ix_contacts_enterprise", "enterprise_id"))


class Enterprise(Base):
    """The enterprise register, keyed by 统一社会信用代码: the unit of the needs ledger. An
    enterprise need not be on any channel (needs found by phone or on a visit)."""

    __tablename__ = "enterprises"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    credit_code: Mapped[str | None] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    industry: Mapped[str | None] = mapped_column(String(64))
    district: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[str | None] = mapped_column(String(16))  # micro, small, medium, large
    contact_name: Mapped[str | None] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (Index("ix_enterprises_name", "name"),)


class Visit(Base):
    """A visit to an enterprise (走访): who went, when, what they noted; needs found on it
    are tickets with source `visit` pointing here."""

    __tablename__ = "visits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    visited_on: Mapped[date] = mapped_column(Date)
    staff_id: Mapped[str | None] = mapped_column(String(64))
    staff_name: Mapped[str | None] = mapped_column(String(128))
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (Index("ix_visits_on", "visited_on"),)


class EnterpriseProfile(Base):
    """The enterprise behind a contact, given with consent during intake."""

    __tablename__ = "enterprise_profiles"

    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), primary_key=True)
    company_name: Mapped[str | None] = mapped_column(String(200))
    credit_code: Mapped[str | None] = mapped_column(String(18))
    contact_name: Mapped[str | None] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(32))
    industry: Mapped[str | None] = mapped_column(String(64))
    district: Mapped[str | None] = mapped_column(String(64))
    consent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Ticket(Base):
    """An enterprise need (企业需求): one row in the needs ledger."""

    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"))
    category: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    priority: Mapped[str] = mapped_column(String(8), default="normal")
    origin: Mapped[str] = mapped_column(String(16))
    # Where the need was found: chat (filed by the enterprise), phone, visit, survey, event.
    source: Mapped[str] = mapped_column(String(16), default="chat", server_default="chat")
    visit_id: Mapped[int | None] = mapped_column(Integer)  # no foreign key: as enterprise_id
    assignee_id: Mapped[str | None] = mapped_column(String(64))
    assignee_name: Mapped[str | None] = mapped_column(String(128))
    department: Mapped[str | None] = mapped_column(String(128))
    resolution: Mapped[str | None] = mapped_column(Text)
    context: Mapped[str | None] = mapped_column(Text)
    staff_thread_id: Mapped[int | None] = mapped_column(Integer)
    staff_card_message_id: Mapped[int | None] = mapped_column(Integer)
    rating: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    first_response_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Service-level targets, in absolute time computed from the working calendar, and when
    # staff were reminded / supervisors alerted (each alert is sent once).
    first_response_due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolution_due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    first_reminded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    first_escalated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolution_reminded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolution_escalated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Follow-up visit (回访) after resolution: when it is due, asked, and the answer.
    followup_due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    followup_asked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    followup_result: Mapped[str | None] = mapped_column(String(16))  # solved, unsolved
    followup_answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("ix_tickets_status_created", "status", "created_at"),
        Index("ix_tickets_contact", "contact_id", "created_at"),
        Index("ix_tickets_assignee_status", "assignee_id", "status"),
        Index("ix_tickets_created", "created_at"),
        Index("ix_tickets_resolved", "resolved_at"),
        Index("ix_tickets_followup_due", "followup_due_at"),
        # Covers the staff queue's filter and order: sorted without reading the tickets.
        Index("ix_tickets_queue", "status", "priority", "assignee_id", "id"),
    )


class TicketOutcome(Base):
    """What a request achieved, by the kind its category has (config `outcomes`): credit
    granted, a project approved, an amount recovered, or a short result. One row per request,
    kind and subject (the programme or institution): a later outcome replaces the earlier.
    Amounts are whole yuan (entered in 万元)."""

    __tablename__ = "ticket_outcomes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    kind: Mapped[str] = mapped_column(String(16))  # financing, project, legal, other
    subject: Mapped[str] = mapped_column(String(64), default="")
    institution: Mapped[str | None] = mapped_column(String(128))
    credit_yuan: Mapped[int | None] = mapped_column(BigInteger)
    disbursed_yuan: Mapped[int | None] = mapped_column(BigInteger)
    programme: Mapped[str | None] = mapped_column(String(64))
    level: Mapped[str | None] = mapped_column(String(16))
    result: Mapped[str | None] = mapped_column(String(200))
    recovered_yuan: Mapped[int | None] = mapped_column(BigInteger)
    actor_id: Mapped[str | None] = mapped_column(String(64))
    actor_name: Mapped[str | None] = mapped_column(String(128))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (
        UniqueConstraint("ticket_id", "kind", "subject", name="uq_ticket_outcomes_subject"),
        Index("ix_ticket_outcomes_at", "at"),
    )


class TicketEvent(Base):
    """The audit trail: every state change of a ticket, who did it and when."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str | None] = mapped_column(String(64))
    actor_name: Mapped[str | None] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    detail: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_ticket_events_ticket", "ticket_id", "id"),)


class TicketMessage(Base):
    """A message of a ticket's conversation, with its channel ids for reply mapping."""

    __tablename__ = "ticket_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    direction: Mapped[str] = mapped_column(String(8))  # in (enterprise), out (staff), note
    author_id: Mapped[str | None] = mapped_column(String(64))
    author_name: Mapped[str | None] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))  # text, photo, document, ...
    text: Mapped[str | None] = mapped_column(Text)
    file_id: Mapped[str | None] = mapped_column(String(256))
    chat_id: Mapped[str | None] = mapped_column(String(64))
    message_id: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (Index("ix_ticket_messages_ticket", "ticket_id", "id"),)


class MessageLink(Base):
    """Which ticket a message the bot posted belongs to (staff replies are mapped by it)."""

    __tablename__ = "message_links"

    chat_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    message_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))


class OutboxMessage(Base):
    """A message to send, written in the transaction of the change that causes it."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    chat_id: Mapped[str] = mapped_column(String(64))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    purpose: Mapped[str] = mapped_column(String(16))
    payload: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # …, sent, cancelled
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_message_id: Mapped[int | None] = mapped_column(Integer)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # 0 = interactive (answers, relays, cards), 1 = bulk (broadcasts): bulk yields to interactive.
    priority: Mapped[int] = mapped_column(Integer, default=0)
    broadcast_id: Mapped[int | None] = mapped_column(ForeignKey("broadcasts.id"))

    __table_args__ = (
        Index("ix_outbox_status_next", "status", "next_attempt_at"),
        Index("ix_outbox_broadcast", "broadcast_id", "status"),
        # A ticket's messages (`/ticket N` shows their delivery). Answers to questions, most
        # of the outbox, belong to no ticket and are left out of it.
        Index("ix_outbox_ticket", "ticket_id", postgresql_where=text("ticket_id IS NOT NULL"),
              sqlite_where=text("ticket_id IS NOT NULL")),
    )


class Feedback(Base):
    """👍 / 👎 on an answer."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    question_id: Mapped[int] = mapped_column(ForeignKey("question_log.id"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    entry_id: Mapped[str | None] = mapped_column(String(128))
    helpful: Mapped[bool] = mapped_column(Boolean)

    __table_args__ = (UniqueConstraint("question_id", name="uq_feedback_question"),)


class InboundUpdate(Base):
    """Updates received, keyed by `update_id`: stored before processing, claimed by the process
    that handles it, marked processed when done (its payload is then dropped); a re-delivered
    update is processed once. One that cannot be parsed or whose handlers fail is retried a
    few times, then parked for an operator (`sme-assistant updates failed`)."""

    __tablename__ = "inbound_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    payload: Mapped[str | None] = mapped_column(Text)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    processed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
    parked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_inbound_updates_processed", "processed_at"),)


class PersistedState(Base):
    """python-telegram-bot persistence (conversations, user/chat data) in the same database."""

    __tablename__ = "ptb_state"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    key: Mapped[str] = mapped_column(String(256), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class StaffAction(Base):
    """The staff audit log: every staff command and button, allowed or refused."""

    __tablename__ = "staff_actions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor_id: Mapped[str | None] = mapped_column(String(64))
    actor_name: Mapped[str | None] = mapped_column(String(128))
    role: Mapped[str | None] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(32))
    ticket_id: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(16))  # ok, refused, error

    __table_args__ = (Index("ix_staff_actions_at", "at"),)


class Subscription(Base):
    """An enterprise that opted in to broadcast notices, and on which topics."""

    __tablename__ = "subscriptions"

    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), primary_key=True)
    topics: Mapped[str] = mapped_column(Text)  # comma-separated categories, or "all"
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Broadcast(Base):
    """A notice sent by a supervisor to a segment of subscribed enterprises."""

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    author_id: Mapped[str | None] = mapped_column(String(64))
    author_name: Mapped[str | None] = mapped_column(String(128))
    text: Mapped[str] = mapped_column(Text)
    segment: Mapped[str] = mapped_column(Text)  # JSON: topics, industry, district
    status: Mapped[str] = mapped_column(String(16))  # draft, sending, done, cancelled
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    progress_chat_id: Mapped[str | None] = mapped_column(String(64))
    progress_message_id: Mapped[int | None] = mapped_column(Integer)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Event(Base):
    """A service event (对接会, 培训) enterprises are invited to and sign up for."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # matchmaking, training
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    place: Mapped[str] = mapped_column(String(200))
    capacity: Mapped[int] = mapped_column(Integer)
    segment: Mapped[str] = mapped_column(Text)  # JSON, as a broadcast's
    status: Mapped[str] = mapped_column(String(16), default="open")  # open, cancelled
    invited: Mapped[int] = mapped_column(Integer, default=0)
    author_id: Mapped[str | None] = mapped_column(String(64))
    author_name: Mapped[str | None] = mapped_column(String(128))
    reminded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (Index("ix_events_starts", "starts_at"),)


class EventSignup(Base):
    """An enterprise's sign-up: registered within capacity, else waiting (promoted in order
    when a place frees up), or cancelled; staff mark who attended."""

    __tablename__ = "event_signups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"))
    status: Mapped[str] = mapped_column(String(16))  # registered, waiting, cancelled
    attended: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (
        UniqueConstraint("event_id", "contact_id", name="uq_event_signups_contact"),
        Index("ix_event_signups_event", "event_id", "status", "id"),
    )


class Survey(Base):
    """A questionnaire (from `surveys/<key>.yaml`) sent to a segment of subscribers."""

    __tablename__ = "surveys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    definition: Mapped[str] = mapped_column(Text)  # JSON: the questions as sent
    segment: Mapped[str] = mapped_column(Text)
    invited: Mapped[int] = mapped_column(Integer, default=0)
    author_id: Mapped[str | None] = mapped_column(String(64))
    author_name: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SurveyResponse(Base):
    """One enterprise's answers to a survey: where it stopped, and when it finished."""

    __tablename__ = "survey_responses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"))
    position: Mapped[int] = mapped_column(Integer, default=0)  # the question to answer next
    answers: Mapped[str] = mapped_column(Text, default="{}")  # JSON: question id → answer
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        UniqueConstraint("survey_id", "contact_id", name="uq_survey_responses_contact"),
    )


class Lease(Base):
    """A named lease held by one process at a time (the outbox sender, the scheduler): taken
    over by another process once it expires, on SQLite and PostgreSQL alike."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
