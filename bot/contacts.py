"""Contacts (people on a channel) and their enterprise profiles."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import Contact, EnterpriseProfile, utcnow


@dataclass(frozen=True)
class ProfileInput:
    company_name: str
    credit_code: str
    contact_name: str
    phone: str


class ContactRepository:
    def __init__(self, sessions: async_sessionmaker) -> None:
        self.sessions = sessions

    async def ensure(self, channel: str, external_id: str, chat_id: str,
                     display_name: str | None = None, language: str | None = None,
                     source: str | None = None) -> Contact:
        """The contact for this channel identity, created on first contact."""
        try:
            async with self.sessions.begin() as session:
                return await ensure_contact(session, channel, external_id, chat_id,
                                            display_name, language, source)
        except IntegrityError:  # created concurrently by another update: read theirs
            async with self.sessions() as session:
                return await get_contact(session, channel, external_id)  # type: ignore[return-value]

    async def get(self, contact_id: int) -> Contact | None:
        async with self.sessions() as session:
            return await session.get(Contact, contact_id)

    async def set_reachable(self, contact_id: int, reachable: bool) -> None:
        """A user blocked (or unblocked) the bot: replies cannot reach them meanwhile."""
        async with self.sessions.begin() as session:
            contact = await session.get(Contact, contact_id)
            if contact:
                contact.unreachable_at = None if reachable else utcnow()

    async def set_language(self, contact_id: int, language: str) -> None:
        async with self.sessions.begin() as session:
            contact = await session.get(Contact, contact_id)
            if contact:
                contact.language = language

    async def profile(self, contact_id: int) -> EnterpriseProfile | None:
        async with self.sessions() as session:
            return await session.get(EnterpriseProfile, contact_id)

    async def save_profile(self, contact_id: int, data: ProfileInput) -> None:
        async with self.sessions.begin() as session:
            profile = await session.get(EnterpriseProfile, contact_id)
            if profile is None:
                profile = EnterpriseProfile(contact_id=contact_id)
                session.add(profile)
            profile.company_name = data.company_name
            profile.credit_code = data.credit_code
            profile.contact_name = data.contact_name
            profile.phone = data.phone
            profile.consent_at = utcnow()
            profile.updated_at = utcnow()


async def get_contact(session: AsyncSession, channel: str, external_id: str) -> Contact | None:
    return await session.scalar(select(Contact).where(Contact.channel == channel,
                                                      Contact.external_id == external_id))


async def ensure_contact(session: AsyncSession, channel: str, external_id: str, chat_id: str,
                         display_name: str | None = None, language: str | None = None,
                         source: str | None = None) -> Contact:
    """Find or create a contact inside the caller's transaction."""
    contact = await get_contact(session, channel, external_id)
    if contact is None:
        contact = Contact(channel=channel, external_id=external_id, chat_id=chat_id,
                          display_name=display_name, language=language or "zh-CN", source=source)
        session.add(contact)
        await session.flush()
        return contact
    if display_name and contact.display_name != display_name:
        contact.display_name = display_name
    if source and not contact.source:
        contact.source = source  # e.g. a /start deep-link payload after the first message
    if contact.unreachable_at is not None:
        contact.unreachable_at = None  # they wrote to us: reachable again
    return contact
