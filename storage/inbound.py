"""Inbound updates keyed by `update_id`: nothing accepted is lost, nothing is processed twice.

An update is stored with its payload as soon as it arrives (webhook: before the 200; polling:
before the next getUpdates acknowledges it), claimed inside the transaction that admits it,
and marked processed once its handlers have finished (the payload is dropped then: it is only
needed to process the update, and it holds personal data). An update that cannot be parsed or
whose handlers raise is recorded as failed with its error and retried later, a bounded number
of times; then it is parked for an operator and never blocks the others. After a crash, updates stored but not
processed — never claimed, or claimed by a process that died — are processed again: at least
once, and exactly once unless a process dies between committing its reply and the mark.
"""
from __future__ import annotations

import asyncio
import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, case, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from .db import insert_or_skip
from .models import InboundUpdate, utcnow

log = logging.getLogger(__name__)
INBOUND = InboundUpdate.__table__
# Built once (see storage/db.py `insert_or_skip`).
_CLAIM = (update(INBOUND).where(
    INBOUND.c.update_id.in_(bindparam("ids", expanding=True)), INBOUND.c.processed_at.is_(None),
    or_(INBOUND.c.claimed_at.is_(None), INBOUND.c.claimed_at < bindparam("stale_before")))
    .values(claimed_at=bindparam("now")).returning(INBOUND.c.update_id))
_MARK_PROCESSED = update(INBOUND).where(
    INBOUND.c.update_id.in_(bindparam("ids", expanding=True))).values(
        processed_at=bindparam("now"), payload=None)
ERROR_CHARS = 500  # of an error kept with a failed update


@dataclass(frozen=True)
class FailedUpdate:
    update_id: int
    received_at: datetime
    failures: int
    last_error: str | None
    parked_at: datetime | None


class InboundStore:
    def __init__(self, sessions: async_sessionmaker, max_attempts: int = 3) -> None:
        self.sessions = sessions
        self.max_attempts = max_attempts
        # Since start, by outcome: failed (each failure), parked, replayed, unparseable.
        self.counts: Counter[str] = Counter()
        self._claimed: set[int] = set()  # claimed by this process, being processed
        self._done: list[int] = []
        self._flusher: asyncio.Task | None = None
        # Set when this process polls: Telegram serves getUpdates to one consumer only, so a
        # claim older than this was made by a process that is gone (its update is processed
        # again at once, in order, rather than after `replay_after_s`).
        self.sole_consumer_since: datetime | None = None

    def stale_before(self, grace_s: float) -> datetime:
        """Claims made before this moment are abandoned: older than `grace_s`, or made
        before this process became the only consumer of updates."""
        cutoff = utcnow() - timedelta(seconds=grace_s)
        if self.sole_consumer_since is not None:
            return max(cutoff, self.sole_consumer_since)
        return cutoff

    async def record(self, update_id: int, payload: str) -> bool:
        """Store one raw update; False when it was already received."""
        return await self.record_many([(update_id, payload)]) == 1

    async def record_many(self, updates: list[tuple[int, str]]) -> int:
        """Store raw updates not seen before (in one transaction); returns how many were new."""
        if not updates:
            return 0
        async with self.sessions.begin() as session:
            now = utcnow()
            result = await session.execute(
                insert_or_skip(session, INBOUND, INBOUND.c.update_id),
                [{"update_id": uid, "payload": payload, "received_at": now}
                 for uid, payload in updates])
            return len(result.all())

    async def unprocessed(self, received_before: datetime | None = None) -> list[tuple[int, str]]:
        """Updates stored but not processed (the admission decides whether a claim is stale)."""
        async with self.sessions() as session:
            query = select(InboundUpdate.update_id, InboundUpdate.payload).where(
                InboundUpdate.processed_at.is_(None), InboundUpdate.payload.is_not(None),
                InboundUpdate.parked_at.is_(None))
            if received_before is not None:
                query = query.where(InboundUpdate.received_at < received_before)
            rows = await session.execute(query.order_by(InboundUpdate.update_id))
            return [(uid, payload) for uid, payload in rows]

    async def failed(self, update_id: int, error: str) -> bool:
        """Record that processing the update failed (it is not marked processed: it is tried
        again later); after `max_attempts` failures it is parked. Returns True when parked."""
        self._claimed.discard(update_id)
        self.counts["failed"] += 1
        now = utcnow()
        parks = INBOUND.c.failures + 1 >= self.max_attempts
        try:
            async with self.sessions.begin() as session:
                parked = await session.scalar(
                    update(INBOUND).where(INBOUND.c.update_id == update_id,
                                          INBOUND.c.processed_at.is_(None))
                    .values(failures=INBOUND.c.failures + 1, last_error=error[:ERROR_CHARS],
                            parked_at=case((parks, now), else_=None))
                    .returning(INBOUND.c.parked_at))
        except Exception:  # noqa: BLE001 - the update stays unprocessed and is tried again
            log.exception("could not record the failure of update %s", update_id)
            return False
        if parked is not None:
            self.counts["parked"] += 1
            log.error("update %s parked after %d failed attempts: %s", update_id,
                      self.max_attempts, error[:ERROR_CHARS])
        return parked is not None

    async def failures(self, parked_only: bool = True) -> list[FailedUpdate]:
        """Updates that failed (by default only those parked for an operator), oldest first."""
        async with self.sessions() as session:
            query = select(InboundUpdate).where(InboundUpdate.failures > 0,
                                                InboundUpdate.processed_at.is_(None))
            if parked_only:
                query = query.where(InboundUpdate.parked_at.is_not(None))
            rows = await session.scalars(query.order_by(InboundUpdate.update_id))
            return [FailedUpdate(r.update_id, r.received_at, r.failures, r.last_error,
                                 r.parked_at) for r in rows]

    def claimed(self, update_id: int) -> None:
        """This process claimed the update (see `claim_updates`) and is processing it."""
        self._claimed.add(update_id)

    def processed(self, update_id: int) -> None:
        """Mark an update this process claimed as processed (a duplicate it skipped stays as
        it is). Marks are written in batches: one transaction for all the updates that
        finished while the previous batch was being written."""
        if update_id not in self._claimed:
            return
        self._claimed.discard(update_id)
        self._done.append(update_id)
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush(), name="inbound-processed")

    async def _flush(self) -> None:
        while self._done:
            ids, self._done = self._done, []
            try:
                async with self.sessions.begin() as session:
                    await session.execute(_MARK_PROCESSED, {"ids": ids, "now": utcnow()})
            except Exception:  # noqa: BLE001 - unmarked updates are replayed, not lost
                log.exception("could not mark %d updates processed", len(ids))

    async def drain(self) -> None:
        """Write the outstanding marks (at shutdown)."""
        if self._flusher is not None:
            await self._flusher


async def claim_updates(session: AsyncSession, update_ids: list[int],
                        stale_before: datetime) -> set[int]:
    """Claim updates for processing inside the caller's transaction; returns those claimed.
    Not claimed: an update processed already, or claimed by another process after
    `stale_before` (it is working on it). Updates are normally stored on arrival (one UPDATE
    claims them); those that were not are inserted here."""
    now = utcnow()
    claimed = set((await session.execute(_CLAIM, {
        "ids": update_ids, "stale_before": stale_before, "now": now})).scalars())
    unseen = [uid for uid in dict.fromkeys(update_ids) if uid not in claimed]
    if unseen:
        claimed |= set((await session.execute(
            insert_or_skip(session, INBOUND, INBOUND.c.update_id),
            [{"update_id": uid, "received_at": now, "claimed_at": now} for uid in unseen]))
            .scalars())
    return claimed
