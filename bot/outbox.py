"""The outbox: messages are written in the transaction of the change that causes them, then
delivered by one sender task that retries until the channel confirms.

A transport (Telegram, the terminal) does the actual sending and reports failures as the
exceptions below; the sender decides what to do about them.
"""
from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Protocol

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import Contact, MessageLink, OutboxMessage, Ticket, utcnow

from .messages import STAFF_CHAT, Outgoing

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 12
BACKOFF_CAP = 300.0


class RetryLater(Exception):
    """Flood control or a temporary failure: try again after `delay` seconds."""

    def __init__(self, delay: float, reason: str) -> None:
        super().__init__(reason)
        self.delay = delay


class Unreachable(Exception):
    """The user blocked the bot or the chat is gone (403)."""


class Rejected(Exception):
    """The channel refuses this message for good (a 400 that a retry will not fix)."""


@dataclass(frozen=True)
class Delivered:
    message_id: int | None
    thread_id: int | None = None


class Transport(Protocol):
    async def send(self, chat_id: str, message: Outgoing, thread_id: int | None,
                   edit_message_id: int | None) -> Delivered: ...

    async def create_topic(self, chat_id: str, name: str) -> int | None: ...


def enqueue(session: AsyncSession, chat_id: str, message: Outgoing, purpose: str,
            ticket_id: int | None = None) -> OutboxMessage:
    """Add a message to the outbox inside the caller's transaction."""
    row = OutboxMessage(chat_id=str(chat_id), ticket_id=ticket_id, purpose=purpose,
                        payload=json.dumps(message.to_json(), ensure_ascii=False))
    session.add(row)
    return row


class OutboxSender:
    """Delivers pending outbox rows in order; wakes immediately when something is enqueued."""

    def __init__(self, sessions: async_sessionmaker, transport: Transport,
                 staff_chat_id: int | str | None, use_topics: bool = True) -> None:
        self.sessions = sessions
        self.transport = transport
        self.staff_chat_id = staff_chat_id
        self.use_topics = use_topics
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self.idle = asyncio.Event()

    def notify(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="outbox-sender")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                delay = await self.deliver_due()
            except Exception:  # noqa: BLE001 - the sender must survive anything and retry
                log.exception("outbox sender failed; retrying")
                delay = 1.0
            if delay is None:
                self.idle.set()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=delay or 5.0)
            except asyncio.TimeoutError:
                pass
            self.idle.clear()

    async def deliver_due(self) -> float | None:
        """Send every due row; return seconds until the next retry, or None when idle."""
        while True:
            async with self.sessions() as session:
                rows = list(await session.scalars(
                    select(OutboxMessage).where(OutboxMessage.status == "pending")
                    .order_by(OutboxMessage.id).limit(100)))
            if not rows:
                return None
            now = utcnow()
            blocked: set[str] = set()
            progressed = False
            next_due: float | None = None
            for row in rows:
                due = _aware(row.next_attempt_at)
                if row.chat_id in blocked or due > now:
                    # Keep each chat's order: nothing overtakes a message that is waiting.
                    blocked.add(row.chat_id)
                    wait = max((due - now).total_seconds(), 0.05)
                    next_due = wait if next_due is None else min(next_due, wait)
                    continue
                if await self._deliver(row):
                    progressed = True
                else:
                    blocked.add(row.chat_id)
                    next_due = 0.05 if next_due is None else min(next_due, 0.05)
            if not progressed:
                return next_due

    async def _deliver(self, row: OutboxMessage) -> bool:
        message = Outgoing.from_json(json.loads(row.payload))
        async with self.sessions() as session:
            ticket = await session.get(Ticket, row.ticket_id) if row.ticket_id else None
        chat_id = str(self.staff_chat_id) if row.chat_id == STAFF_CHAT else row.chat_id
        if row.chat_id == STAFF_CHAT and self.staff_chat_id is None:
            await self._finish(row, "failed", error="no staff chat configured")
            return True
        try:
            thread_id = message.thread_id or (
                ticket.staff_thread_id if ticket and message.in_ticket_thread else None)
            if message.kind == "topic":
                thread_id = await self._topic(row, chat_id, message, ticket)
                await self._finish(row, "sent", thread_id=thread_id)
                return True
            edit_id = ticket.staff_card_message_id if message.edit_target == "card" and ticket else None
            if message.edit_target == "card" and edit_id is None:
                await self._finish(row, "failed", error="card was never sent")
                return True
            result = await self.transport.send(chat_id, message, thread_id, edit_id)
        except RetryLater as exc:
            return await self._retry(row, exc.delay, str(exc))
        except Unreachable as exc:
            await self._finish(row, "failed", error=f"unreachable: {exc}")
            await self._mark_unreachable(row.chat_id)
            return True
        except Rejected as exc:
            await self._finish(row, "failed", error=str(exc))
            return True
        # An edited card is the same message: link only new messages to the ticket.
        await self._finish(row, "sent", message_id=result.message_id,
                           chat_id=chat_id if edit_id is None else None)
        return True

    async def _topic(self, row: OutboxMessage, chat_id: str, message: Outgoing,
                     ticket: Ticket | None) -> int | None:
        if ticket is None or not self.use_topics or ticket.staff_thread_id is not None:
            return ticket.staff_thread_id if ticket else None
        thread_id = await self.transport.create_topic(chat_id, message.text or "")
        if thread_id is not None:
            async with self.sessions.begin() as session:
                await session.execute(update(Ticket).where(Ticket.id == ticket.id)
                                      .values(staff_thread_id=thread_id))
        return thread_id

    async def _retry(self, row: OutboxMessage, delay: float, error: str) -> bool:
        attempts = row.attempts + 1
        if attempts >= MAX_ATTEMPTS:
            await self._finish(row, "failed", error=error)
            return True
        delay = max(delay, min(BACKOFF_CAP, 0.5 * 2 ** attempts))
        async with self.sessions.begin() as session:
            await session.execute(update(OutboxMessage).where(OutboxMessage.id == row.id).values(
                attempts=attempts, last_error=error,
                next_attempt_at=utcnow() + timedelta(seconds=delay)))
        log.info("outbox %s: retry in %.1fs (%s)", row.id, delay, error)
        return False

    async def _finish(self, row: OutboxMessage, status: str, *, message_id: int | None = None,
                      chat_id: str | None = None, error: str | None = None,
                      thread_id: int | None = None) -> None:
        async with self.sessions.begin() as session:
            await session.execute(update(OutboxMessage).where(OutboxMessage.id == row.id).values(
                status=status, attempts=row.attempts + 1, last_error=error,
                sent_message_id=message_id, sent_at=utcnow() if status == "sent" else None))
            if status != "sent" or row.ticket_id is None or message_id is None:
                if error:
                    log.warning("outbox %s to %s failed: %s", row.id, row.chat_id, error)
                return
            if row.purpose == "card":
                await session.execute(update(Ticket).where(Ticket.id == row.ticket_id)
                                      .values(staff_card_message_id=message_id))
            if row.chat_id == STAFF_CHAT and chat_id is not None:
                session.add(MessageLink(chat_id=chat_id, message_id=message_id,
                                        ticket_id=row.ticket_id))

    async def _mark_unreachable(self, chat_id: str) -> None:
        async with self.sessions.begin() as session:
            await session.execute(update(Contact).where(Contact.chat_id == chat_id)
                                  .values(unreachable_at=utcnow()))


def _aware(value: datetime) -> datetime:
    """SQLite returns naive datetimes; everything stored is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
