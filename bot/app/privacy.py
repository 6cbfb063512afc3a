"""`/deleteme`: erase an enterprise user's personal data, keep the anonymised ledger.

Erasure reaches every table that can hold the person's data: their own rows (profile,
subscription, question log, request descriptions and messages, conversation state, display
names) are blanked or deleted, and their phone, credit code, company, contact and display
names are cut out of every text written about them (staff cards and relays in the outbox,
staff replies and notes, audit details, raw updates not processed yet).
`tests/e2e/test_erasure.py` scans every text column of every table after an erasure.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, false, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import (
    Contact, Enterprise, EnterpriseProfile, InboundUpdate, OutboxMessage, PersistedState,
    QuestionLog, StaffAction, Ticket, TicketEvent, TicketMessage, Visit,
)
from storage.scrubbing import scrub_column, variants

from ..outreach.subscriptions import forget

ERASED = "[已删除]"
KEPT_KIND = "dialog"  # a terminal user's unfinished dialog (`storage.saved_state`), by external id


@dataclass(frozen=True)
class Erasure:
    profile: bool
    questions: int
    messages: int
    tickets: int


async def erase_contact(sessions: async_sessionmaker, contact_id: int) -> Erasure:
    """One transaction: profile and subscription deleted (notices and other messages still
    queued for them are not sent); names, question texts, request descriptions and messages
    blanked; their identifying strings cut out of everything else. Tickets keep category,
    status, dates and rating for the ledger."""
    async with sessions.begin() as session:
        contact = await session.get(Contact, contact_id)
        if contact is None:
            return Erasure(False, 0, 0, 0)
        profile = await session.get(EnterpriseProfile, contact_id)
        needles = variants(_identifying(contact, profile))
        if profile is not None:
            await session.delete(profile)
        await forget(session, contact)
        ticket_ids = list(await session.scalars(select(Ticket.id).where(
            Ticket.contact_id == contact_id)))
        questions = await session.execute(
            update(QuestionLog).where(or_(QuestionLog.user_ref == contact.external_id,
                                          QuestionLog.contact_id == contact_id),
                                      QuestionLog.text != ERASED)
            .values(text=ERASED, normalized=ERASED, user_ref=None, contact_id=None))
        messages = await _blank_tickets(session, ticket_ids)
        await _forget_state(session, contact)
        await _cut_out(session, contact, ticket_ids, needles)
        await _leave_register(session, contact, needles)
        contact.display_name = None
        contact.human_ticket_id = None
        return Erasure(profile is not None, questions.rowcount, messages, len(ticket_ids))


async def _leave_register(session: AsyncSession, contact: Contact, needles: list[str]) -> None:
    """The contact leaves the enterprise register: its person's name and phone are removed from
    the enterprise; an enterprise known only through this person (no other contact, no visit,
    no need recorded by staff) is anonymised like the person's own records."""
    if contact.enterprise_id is None:
        return
    enterprise = await session.get(Enterprise, contact.enterprise_id)
    contact.enterprise_id = None
    if enterprise is None:
        return
    if enterprise.contact_name in needles:
        enterprise.contact_name = None
    if enterprise.phone in needles:
        enterprise.phone = None
    others = await session.scalar(select(func.count()).select_from(Contact).where(
        Contact.enterprise_id == enterprise.id, Contact.id != contact.id))
    visits = await session.scalar(select(func.count()).select_from(Visit).where(
        Visit.enterprise_id == enterprise.id))
    if not others and not visits:
        enterprise.name, enterprise.credit_code = ERASED, None
        enterprise.contact_name = enterprise.phone = None


def _identifying(contact: Contact, profile: EnterpriseProfile | None) -> list[str | None]:
    names = [contact.display_name, *(contact.display_name or "").split()]
    if profile is None:
        return names
    return [*names, profile.phone, profile.credit_code, profile.company_name,
            profile.contact_name]


async def _blank_tickets(session: AsyncSession, ticket_ids: list[int]) -> int:
    """The enterprise's own words and names in its tickets; returns how many messages."""
    if not ticket_ids:
        return 0
    messages = (await session.execute(
        update(TicketMessage).where(TicketMessage.ticket_id.in_(ticket_ids),
                                    TicketMessage.direction == "in")
        .values(text=ERASED, file_id=None, author_name=None))).rowcount
    await session.execute(update(Ticket).where(Ticket.id.in_(ticket_ids))
                          .values(description=ERASED, context=None))
    await session.execute(update(TicketEvent).where(
        TicketEvent.ticket_id.in_(ticket_ids), TicketEvent.actor_kind == "enterprise")
        .values(actor_name=None))
    return messages


async def _forget_state(session: AsyncSession, contact: Contact) -> None:
    """PTB's user and chat data, and the conversation state, of the person."""
    private_chat = f"[{contact.chat_id}, {contact.external_id}]"
    await session.execute(delete(PersistedState).where(or_(
        (PersistedState.kind == "user") & (PersistedState.key == contact.external_id),
        (PersistedState.kind == "chat") & (PersistedState.key == contact.chat_id),
        (PersistedState.kind == "conversation")
        & PersistedState.key.endswith(f"|{private_chat}", autoescape=True))))


async def _cut_out(session: AsyncSession, contact: Contact, ticket_ids: list[int],
                   needles: list[str]) -> None:
    """Messages still queued for the person are cancelled; their identifying strings are
    replaced wherever else they were written."""
    await session.execute(update(OutboxMessage).where(
        OutboxMessage.chat_id == contact.chat_id, OutboxMessage.status == "pending")
        .values(status="cancelled"))
    def theirs(column) -> list:
        return [column.in_(ticket_ids) if ticket_ids else false()]

    # Processed updates keep no payload (storage/inbound.py): only those waiting are scrubbed.
    for column, conditions, is_json in (
            (OutboxMessage.payload, [], True),
            (OutboxMessage.last_error, [], False),
            (InboundUpdate.payload, [InboundUpdate.processed_at.is_(None)], True),
            (InboundUpdate.last_error, [], False),
            (TicketMessage.text, theirs(TicketMessage.ticket_id), False),
            (TicketEvent.detail, theirs(TicketEvent.ticket_id), False),
            (Ticket.resolution, theirs(Ticket.id), False),
            (StaffAction.detail, [], False)):
        await scrub_column(session, column, needles, ERASED, *conditions, is_json=is_json)


