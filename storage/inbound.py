"""Inbound updates keyed by `update_id`, so that a re-delivered update is processed once."""
from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from .models import InboundUpdate, utcnow

_INSERTS = {"sqlite": sqlite_insert, "postgresql": postgresql_insert}


class InboundStore:
    def __init__(self, sessions: async_sessionmaker) -> None:
        self.sessions = sessions

    async def record(self, update_id: int, payload: str) -> bool:
        """Store a raw update received by webhook; False when it was already received."""
        try:
            async with self.sessions.begin() as session:
                session.add(InboundUpdate(update_id=update_id, payload=payload))
        except IntegrityError:
            return False
        return True

    async def unprocessed(self) -> list[tuple[int, str]]:
        """Updates stored by the webhook but not yet processed (after a crash)."""
        async with self.sessions() as session:
            rows = await session.execute(
                select(InboundUpdate.update_id, InboundUpdate.payload).where(
                    InboundUpdate.processed_at.is_(None), InboundUpdate.payload.is_not(None))
                .order_by(InboundUpdate.update_id))
            return [(uid, payload) for uid, payload in rows]


async def claim_update(session: AsyncSession, update_id: int) -> bool:
    """Mark an update processed inside the caller's transaction; False if it already was.

    Polling sees an update first here (insert); the webhook stored it before (update)."""
    insert = _INSERTS[session.bind.dialect.name](InboundUpdate).values(
        update_id=update_id, received_at=utcnow(), processed_at=utcnow())
    inserted = await session.execute(insert.on_conflict_do_nothing())
    if inserted.rowcount == 1:
        return True
    claimed = await session.execute(
        update(InboundUpdate).where(InboundUpdate.update_id == update_id,
                                    InboundUpdate.processed_at.is_(None))
        .values(processed_at=utcnow()))
    return claimed.rowcount == 1
