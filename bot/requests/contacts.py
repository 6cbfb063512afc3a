"""Contacts (people on a channel) and their enterprise profiles."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.batching import GroupCommit
from storage.db import insert_or_skip
from storage.enterprises import EnterpriseInput, link_contact
from storage.models import Contact, EnterpriseProfile, utcnow

CONTACTS = Contact.__table__
_BY_EXTERNAL_ID = select(Contact).where(  # built once (see storage/db.py `insert_or_skip`)
    Contact.channel == bindparam("channel"),
    Contact.external_id.in_(bindparam("external_ids", expanding=True)))


@dataclass(frozen=True)
class Identity:
    """Who a message comes from, as a channel knows them."""

    channel: str
    external_id: str
    chat_id: str
    display_name: str | None = None
    language: str | None = None
    source: str | None = None  # e.g. a /start deep-link payload


@dataclass(frozen=True)
class ProfileInput:
    company_name: str
    credit_code: str
    contact_name: str
    phone: str
    industry: str | None = None  # 所属行业, optional


class ContactRepository:
    def __init__(self, sessions: async_sessionmaker) -> None:
        self.sessions = sessions
        self._ensures = GroupCommit(sessions, ensure_contacts)

    async def ensure(self, channel: str, external_id: str, chat_id: str,
                     display_name: str | None = None, language: str | None = None,
                     source: str | None = None) -> Contact:
        """The contact for this channel identity, created on first contact (concurrent calls
        share one transaction: storage/batching.py)."""
        return await self._ensures.run(Identity(channel, external_id, chat_id, display_name,
                                                language, source))

    async def find(self, channel: str, external_id: str) -> Contact | None:
        """The contact of this channel identity, if they ever wrote to the bot privately."""
        async with self.sessions() as session:
            found = await _load(session, {(channel, external_id)})
        return found.get((channel, external_id))

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
            if data.industry is not None:  # skipped: keep one given earlier (/subscribe)
                profile.industry = data.industry
            profile.consent_at = utcnow()
            profile.updated_at = utcnow()
            contact = await session.get(Contact, contact_id)
            if contact is not None:  # the contact speaks for this enterprise of the register
                await link_contact(session, contact, EnterpriseInput(
                    data.credit_code, name=data.company_name, contact_name=data.contact_name,
                    phone=data.phone))

    async def update_profile(self, contact_id: int, field: str, value: str | None) -> bool:
        """Change one field of a saved profile (already validated); False without one."""
        async with self.sessions.begin() as session:
            profile = await session.get(EnterpriseProfile, contact_id)
            if profile is None:
                return False
            setattr(profile, field, value)
            profile.updated_at = utcnow()
            return True


async def ensure_contacts(session: AsyncSession, people: list[Identity]) -> list[Contact]:
    """Find or create contacts inside the caller's transaction, one per identity in order: one
    query for those known, one insert for the new ones (a contact created concurrently by
    another transaction is read, not inserted twice)."""
    found = await _load(session, {(p.channel, p.external_id) for p in people})
    new = {(p.channel, p.external_id): p for p in people
           if (p.channel, p.external_id) not in found}
    if new:
        now = utcnow()
        await session.execute(insert_or_skip(session, CONTACTS), [
            {"channel": p.channel, "external_id": p.external_id, "chat_id": p.chat_id,
             "display_name": p.display_name, "language": p.language or "zh-CN",
             "source": p.source, "created_at": now} for p in new.values()])
        # Read back as objects (also those another transaction created meanwhile): cheaper
        # than an ORM insert returning them (bench/db_bench.py creation, client CPU).
        found |= await _load(session, set(new))
    for person in people:
        contact = found[(person.channel, person.external_id)]
        if person.display_name and contact.display_name != person.display_name:
            contact.display_name = person.display_name
        if person.source and not contact.source:
            contact.source = person.source  # e.g. a deep-link payload after the first message
        if contact.unreachable_at is not None:
            contact.unreachable_at = None  # they wrote to us: reachable again
    return [found[(p.channel, p.external_id)] for p in people]


async def _load(session: AsyncSession,
                keys: set[tuple[str, str]]) -> dict[tuple[str, str], Contact]:
    by_channel: dict[str, list[str]] = {}
    for channel, external_id in keys:
        by_channel.setdefault(channel, []).append(external_id)
    found = {}
    for channel, external_ids in by_channel.items():
        for contact in await session.scalars(_BY_EXTERNAL_ID, {
                "channel": channel, "external_ids": external_ids}):
            found[(contact.channel, contact.external_id)] = contact
    return found
