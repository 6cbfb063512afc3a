"""The enterprise register: enterprises keyed by 统一社会信用代码, the contacts that speak for
them, and the register's own contact through which needs found off any channel are filed.

Functions taking a session work inside the caller's transaction.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from .models import Contact, Enterprise, EnterpriseProfile, Visit, utcnow

# The channel of an enterprise's register contact: needs recorded by staff (phone, visit,
# survey, event) are filed on it; nothing is ever sent to it.
REGISTER_CHANNEL = "register"
FIELDS = ("name", "industry", "district", "size", "contact_name", "phone")
MAX_MATCHES = 5


@dataclass(frozen=True)
class EnterpriseInput:
    """Register fields; None leaves a field as it is."""

    credit_code: str | None
    name: str | None = None
    industry: str | None = None
    district: str | None = None
    size: str | None = None
    contact_name: str | None = None
    phone: str | None = None


class EnterpriseRepository:
    def __init__(self, sessions: async_sessionmaker) -> None:
        self.sessions = sessions

    async def get(self, enterprise_id: int) -> Enterprise | None:
        async with self.sessions() as session:
            return await session.get(Enterprise, enterprise_id)

    async def by_code(self, credit_code: str) -> Enterprise | None:
        async with self.sessions() as session:
            return await session.scalar(select(Enterprise).where(
                Enterprise.credit_code == credit_code))

    async def by_name(self, name: str) -> list[Enterprise]:
        """The enterprise of exactly this name, else those whose name contains it."""
        async with self.sessions() as session:
            exact = list(await session.scalars(select(Enterprise).where(Enterprise.name == name)
                                               .order_by(Enterprise.id).limit(MAX_MATCHES)))
            if exact:
                return exact
            return list(await session.scalars(
                select(Enterprise).where(Enterprise.name.contains(name, autoescape=True))
                .order_by(Enterprise.id).limit(MAX_MATCHES)))

    async def save(self, data: EnterpriseInput) -> tuple[Enterprise, bool]:
        """Create or update the enterprise of `data.credit_code`; True when created."""
        async with self.sessions.begin() as session:
            return await save_enterprise(session, data)

    async def count(self) -> int:
        async with self.sessions() as session:
            return await session.scalar(select(func.count()).select_from(Enterprise)) or 0


async def save_enterprise(session: AsyncSession, data: EnterpriseInput
                          ) -> tuple[Enterprise, bool]:
    enterprise = None
    if data.credit_code:
        enterprise = await session.scalar(select(Enterprise).where(
            Enterprise.credit_code == data.credit_code))
    created = enterprise is None
    if created:
        enterprise = Enterprise(credit_code=data.credit_code, name=data.name or data.credit_code)
        session.add(enterprise)
    for name in FIELDS:
        value = getattr(data, name)
        if value is not None:
            setattr(enterprise, name, value)
    enterprise.updated_at = utcnow()
    await session.flush()
    if not created:
        await _mirror(session, enterprise)
    return enterprise, created


async def link_contact(session: AsyncSession, contact: Contact, data: EnterpriseInput
                       ) -> Enterprise:
    """A contact's enterprise from the profile it gave: registered on first mention."""
    enterprise, _ = await save_enterprise(session, EnterpriseInput(
        data.credit_code, name=data.name, contact_name=data.contact_name, phone=data.phone))
    contact.enterprise_id = enterprise.id
    return enterprise


async def register_contact(session: AsyncSession, enterprise: Enterprise) -> Contact:
    """The enterprise's register contact, created with a profile mirroring the register (the
    ledger, the staff card and the statistics read the company from profiles)."""
    contact = await session.scalar(select(Contact).where(
        Contact.channel == REGISTER_CHANNEL, Contact.external_id == str(enterprise.id)))
    if contact is None:
        contact = Contact(channel=REGISTER_CHANNEL, external_id=str(enterprise.id), chat_id="",
                          display_name=enterprise.name, enterprise_id=enterprise.id)
        session.add(contact)
        await session.flush()
        session.add(EnterpriseProfile(contact_id=contact.id))
        await session.flush()
        await _mirror(session, enterprise)
    return contact


async def _mirror(session: AsyncSession, enterprise: Enterprise) -> None:
    """Copy the register's fields onto its register contact's profile, if it has one."""
    profile = await session.scalar(select(EnterpriseProfile).join(
        Contact, Contact.id == EnterpriseProfile.contact_id).where(
        Contact.channel == REGISTER_CHANNEL, Contact.external_id == str(enterprise.id)))
    if profile is not None:
        profile.company_name, profile.credit_code = enterprise.name, enterprise.credit_code
        profile.industry, profile.district = enterprise.industry, enterprise.district
        profile.contact_name, profile.phone = enterprise.contact_name, enterprise.phone
        profile.updated_at = utcnow()


async def add_visit(session: AsyncSession, visit: Visit) -> Visit:
    session.add(visit)
    await session.flush()
    return visit
