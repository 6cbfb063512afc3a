"""Admitting an inbound message: claim its update id and find its sender, in one transaction.

A re-delivered update is recognised here and goes no further; the contact found on the way is
handed to the handlers so that each message costs one database round trip before its reply.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker

from storage.inbound import claim_update
from storage.models import Contact

from .contacts import ensure_contact


@dataclass(frozen=True)
class Identity:
    channel: str
    external_id: str
    chat_id: str
    display_name: str | None
    language: str | None


@dataclass(frozen=True)
class Admission:
    fresh: bool
    contact: Contact | None


async def admit(sessions: async_sessionmaker, update_id: int, who: Identity | None,
                stale_before: datetime) -> Admission:
    """Claim the update (unless processed, or being processed since after `stale_before`)."""
    for attempt in range(2):
        try:
            async with sessions.begin() as session:
                if not await claim_update(session, update_id, stale_before):
                    return Admission(False, None)
                contact = None
                if who is not None:
                    contact = await ensure_contact(session, who.channel, who.external_id,
                                                   who.chat_id, who.display_name, who.language)
                return Admission(True, contact)
        except IntegrityError:  # the contact was created concurrently: try once more
            if attempt:
                raise
    raise AssertionError("unreachable")
