"""Admitting inbound messages: claim each update id and find its sender, in one transaction.

A re-delivered update is recognised here and goes no further; the contact found on the way is
handed to the handlers so that each message costs no database round trip of its own before
its reply. Updates arriving together are admitted together (`storage/batching.py`).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.batching import GroupCommit
from storage.inbound import claim_updates
from storage.models import Contact

from .contacts import Identity, ensure_contacts


@dataclass(frozen=True)
class Admission:
    fresh: bool
    contact: Contact | None


@dataclass(frozen=True)
class _Arrival:
    update_id: int
    who: Identity | None
    stale_before: datetime


class Gate:
    def __init__(self, sessions: async_sessionmaker) -> None:
        self._batches = GroupCommit(sessions, _admit_all)

    async def admit(self, update_id: int, who: Identity | None,
                    stale_before: datetime) -> Admission:
        """Claim the update (unless processed, or being processed since after `stale_before`)
        and find or create its sender's contact."""
        return await self._batches.run(_Arrival(update_id, who, stale_before))


async def _admit_all(session: AsyncSession, arrivals: list[_Arrival]) -> list[Admission]:
    claimed = await claim_updates(session, [a.update_id for a in arrivals],
                                  min(a.stale_before for a in arrivals))
    fresh = []
    for arrival in arrivals:  # the same update twice in one batch: only the first is fresh
        fresh.append(arrival.update_id in claimed)
        claimed.discard(arrival.update_id)
    senders = [a.who for a, new in zip(arrivals, fresh) if new and a.who is not None]
    contacts = iter(await ensure_contacts(session, senders) if senders else [])
    return [Admission(new, next(contacts) if new and a.who is not None else None)
            for a, new in zip(arrivals, fresh)]
