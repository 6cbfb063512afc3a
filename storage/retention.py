"""Retention: processed updates and delivered outbox messages are deleted after a while.

Both tables grow with every message; nothing else needs their old rows (an update is
deduplicated only while Telegram may still re-deliver it, an outbox row matters until it is
sent). Rows are deleted in small batches, each its own short transaction, so that pruning a
backlog never holds locks for long; the queries follow `ix_inbound_updates_processed` and
`ix_outbox_status_next` (a sent row's `next_attempt_at` is when it was last due, just
before it was sent).
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from .models import InboundUpdate, OutboxMessage

DONE = ("sent", "cancelled")  # failed rows stay for an operator


@dataclass(frozen=True)
class Pruned:
    updates: int
    outbox: int


async def prune(sessions: async_sessionmaker, before: datetime, batch: int = 500,
                max_batches: int = 20) -> Pruned:
    """Delete up to `batch` × `max_batches` rows of each table older than `before`."""
    updates = await _prune(sessions, InboundUpdate.update_id, [
        InboundUpdate.processed_at < before], batch, max_batches)
    outbox = await _prune(sessions, OutboxMessage.id, [
        OutboxMessage.status.in_(DONE), OutboxMessage.next_attempt_at < before,
        OutboxMessage.created_at < before], batch, max_batches)
    return Pruned(updates, outbox)


async def _prune(sessions: async_sessionmaker, key, conditions: list, batch: int,
                 max_batches: int) -> int:
    total = 0
    for _ in range(max_batches):
        async with sessions.begin() as session:
            ids = list(await session.scalars(select(key).where(*conditions).limit(batch)))
            if ids:
                await session.execute(delete(key.class_).where(key.in_(ids))
                                      .execution_options(synchronize_session=False))
        total += len(ids)
        if len(ids) < batch:
            break
        await asyncio.sleep(0)  # let the bot's own work through between batches
    return total
