"""`/deleteme`: erase an enterprise user's personal data, keep the anonymised ledger."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import async_sessionmaker

from storage.models import (
    Contact, EnterpriseProfile, PersistedState, QuestionLog, Ticket, TicketEvent, TicketMessage,
)

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
    """One transaction: profile and subscription deleted (notices still queued for them are
    not sent); names, question texts, request descriptions and messages blanked. Tickets keep
    category, status, dates and rating for the ledger."""
    async with sessions.begin() as session:
        contact = await session.get(Contact, contact_id)
        if contact is None:
            return Erasure(False, 0, 0, 0)
        profile = await session.get(EnterpriseProfile, contact_id)
        if profile is not None:
            await session.delete(profile)
        await forget(session, contact)
        ticket_ids = list(await session.scalars(select(Ticket.id).where(
            Ticket.contact_id == contact_id)))
        questions = await session.execute(
            update(QuestionLog).where(QuestionLog.user_ref == contact.external_id,
                                      QuestionLog.text != ERASED)
            .values(text=ERASED, normalized=ERASED, user_ref=None, contact_id=None))
        messages = 0
        if ticket_ids:
            messages = (await session.execute(
                update(TicketMessage).where(TicketMessage.ticket_id.in_(ticket_ids),
                                            TicketMessage.direction == "in")
                .values(text=ERASED, file_id=None))).rowcount
            await session.execute(update(Ticket).where(Ticket.id.in_(ticket_ids))
                                  .values(description=ERASED, context=None))
            await session.execute(update(TicketEvent).where(
                TicketEvent.ticket_id.in_(ticket_ids), TicketEvent.actor_kind == "enterprise")
                .values(actor_name=None))
        await session.execute(delete(PersistedState).where(
            PersistedState.kind.in_(("user", KEPT_KIND)),
            PersistedState.key == contact.external_id))
        contact.display_name = None
        contact.human_ticket_id = None
        return Erasure(profile is not None, questions.rowcount, messages, len(ticket_ids))
