"""Inbound updates keyed by `update_id`, so that a re-delivered update is processed once."""
from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker

from .models import InboundUpdate, utcnow


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

    async def start_processing(self, update_id: int) -> bool:
        """Claim an update for processing; False when it was already processed."""
        async with self.sessions.begin() as session:
            claimed = await session.execute(
                update(InboundUpdate).where(InboundUpdate.update_id == update_id,
                                            InboundUpdate.processed_at.is_(None))
                .values(processed_at=utcnow()))
            if claimed.rowcount == 1:
                return True
            if await session.scalar(select(InboundUpdate.update_id).where(
                    InboundUpdate.update_id == update_id)) is not None:
                return False
        try:  # polling: first sight of this update
            async with self.sessions.begin() as session:
                session.add(InboundUpdate(update_id=update_id, processed_at=utcnow()))
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

    async def counts(self) -> dict[str, int]:
        from sqlalchemy import func

        async with self.sessions() as session:
            total = await session.scalar(select(func.count()).select_from(InboundUpdate)) or 0
            pending = await session.scalar(select(func.count()).select_from(InboundUpdate).where(
                InboundUpdate.processed_at.is_(None))) or 0
        return {"received": total, "pending": pending}
