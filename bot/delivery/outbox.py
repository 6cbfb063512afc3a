"""The outbox: messages are written in the transaction of the change that causes them, then
delivered by one sender task that retries until the channel confirms.

A transport (Telegram, the terminal) does the actual sending and reports failures as the
exceptions below; the sender decides what to do about them.
"""
from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.db import dialect_insert
from storage.models import Broadcast, Contact, MessageLink, OutboxMessage, Ticket, aware, utcnow

from ..foundation import metrics
from ..foundation.i18n import t
from .answer_clock import AnswerClock
from .outgoing import STAFF_CHAT, Outgoing
from .pacing import Pacer

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 12
BACKOFF_CAP = 300.0
BATCH = 200  # pending rows looked at per round
PARALLEL = 16  # sends in flight at once (distinct chats)
# Under load (a round that recorded or started at least LINGER_AFTER sends), the next round
# waits LINGER for a burst of new rows to gather into it; otherwise it starts on the next
# wake-up (enqueued rows, a finished send), so a lone answer is not held back.
LINGER = 0.02
LINGER_AFTER = 4
UNPACED = ("card_edit", "topic", "progress_edit")  # edits and topics are not new messages
BULK = 1  # the priority of broadcast messages: they yield to interactive ones (priority 0)

# Called in the transaction that records a round's outcomes, with the broadcasts whose bulk
# messages were among them (the broadcast's progress is kept by it).
BulkObserver = Callable[[AsyncSession, set[int]], Awaitable[None]]
IDLE_POLL = 0.5  # rows written by other processes (which cannot wake this one) wait at most this


class RetryLater(Exception):
    """Flood control or a temporary failure: try again after `delay` seconds. `kind` names
    it for the metrics: 429, 5xx, timeout, network or error."""

    def __init__(self, delay: float, reason: str, kind: str = "error") -> None:
        super().__init__(reason)
        self.delay = delay
        self.kind = kind


class Unreachable(Exception):
    """The user blocked the bot or the chat is gone (403)."""


class Rejected(Exception):
    """The channel refuses this message for good (a 400 that a retry will not fix)."""


class Migrated(Exception):
    """The group became a supergroup: it has a new chat id (Telegram's ChatMigrated)."""

    def __init__(self, new_chat_id: int) -> None:
        super().__init__(f"chat migrated to {new_chat_id}")
        self.new_chat_id = new_chat_id


@dataclass(frozen=True)
class Delivered:
    message_id: int | None
    more: bool = False  # one part of a longer text went out; the rest is still to send


class Transport(Protocol):
    async def send(self, chat_id: str, message: Outgoing, thread_id: int | None,
                   edit_message_id: int | None) -> Delivered: ...

    async def create_topic(self, chat_id: str, name: str) -> int | None: ...


def enqueue(session: AsyncSession, chat_id: str, message: Outgoing, purpose: str,
            ticket_id: int | None = None, broadcast_id: int | None = None) -> OutboxMessage:
    """Add a message to the outbox inside the caller's transaction."""
    row = OutboxMessage(chat_id=str(chat_id), ticket_id=ticket_id, purpose=purpose,
                        payload=json.dumps(message.to_json(), ensure_ascii=False),
                        broadcast_id=broadcast_id)
    session.add(row)
    return row


async def enqueue_bulk(session: AsyncSession, messages: Iterable[tuple[str, Outgoing]],
                       purpose: str, broadcast_id: int | None) -> None:
    """Add a broadcast's messages (bulk priority) in one statement, in the caller's
    transaction; identical messages are serialised once."""
    payloads: dict[int, tuple[Outgoing, str]] = {}  # the message is kept: its id stays its own

    def payload(message: Outgoing) -> str:
        if id(message) not in payloads:
            payloads[id(message)] = (message, json.dumps(message.to_json(), ensure_ascii=False))
        return payloads[id(message)][1]

    now = utcnow()
    rows = [{"chat_id": str(chat_id), "purpose": purpose, "broadcast_id": broadcast_id,
             "priority": BULK, "status": "pending", "attempts": 0, "created_at": now,
             "next_attempt_at": now, "payload": payload(message)}
            for chat_id, message in messages]
    if rows:
        await session.execute(insert(OutboxMessage), rows)


class OutboxSender:
    """Delivers pending outbox rows in order; wakes immediately when something is enqueued."""

    def __init__(self, sessions: async_sessionmaker, transport: Transport,
                 staff_chat_id: int | str | None, use_topics: bool = True,
                 pacer: Pacer | None = None, on_bulk: BulkObserver | None = None,
                 answer_clock: AnswerClock | None = None) -> None:
        self.sessions = sessions
        self.transport = transport
        self.staff_chat_id = staff_chat_id
        self.use_topics = use_topics
        self._wake = asyncio.Event()
        self._parallel = asyncio.Semaphore(PARALLEL)
        self.pacer = pacer
        self.on_bulk = on_bulk
        self.answer_clock = answer_clock
        self._inflight: dict[str, asyncio.Task] = {}  # chat → its send in progress
        self._done: list[_Outcome] = []  # finished sends waiting to be recorded
        self._task: asyncio.Task | None = None

    def notify(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="outbox-sender")

    async def stop(self) -> None:
        tasks = [t for t in (self._task, *self._inflight.values()) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._task = None
        self._inflight.clear()

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                progressed, delay = await self._round()
            except Exception:  # noqa: BLE001 - the sender must survive anything and retry
                log.exception("outbox sender failed; retrying")
                progressed, delay = 0, 1.0
            if progressed >= LINGER_AFTER:
                await asyncio.sleep(LINGER)
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=min(delay or IDLE_POLL,
                                                                      IDLE_POLL))
            except asyncio.TimeoutError:
                pass

    async def deliver_due(self) -> float | None:
        """Send everything that is due now; return seconds until the next retry, or None."""
        while True:
            progressed, delay = await self._round()
            if self._inflight:
                await asyncio.wait(list(self._inflight.values()))
            elif not progressed:
                return delay

    async def _round(self) -> tuple[int, float | None]:
        """Record finished sends, then start the oldest pending message of every chat that
        has none in flight. Sends run as tasks: a slow or flooded chat never holds up the
        others, and a chat's messages keep their order; interactive messages go before bulk
        ones. Returns (sends recorded or started, seconds until the next one is due or None
        when nothing is pending)."""
        finished, self._done = self._done, []
        freed: dict[str, asyncio.Task] = {}
        try:  # one transaction records the finished sends and loads what to send next
            async with self.sessions.begin() as session:
                if finished:
                    await self._record(session, finished)
                for outcome in finished:  # only now may the chat's next message be loaded
                    chat = outcome.row.chat_id
                    if chat in self._inflight:
                        freed[chat] = self._inflight.pop(chat)
                rows, tickets, progress = await self._heads(session)
        except Exception:
            self._inflight.update(freed)  # rolled back: recorded in a later round, never lost
            self._done[:0] = finished
            raise
        now = utcnow()  # `rows` holds the oldest pending message of each idle chat
        due = [r for r in rows if aware(r.next_attempt_at) <= now]
        waits = [(aware(r.next_attempt_at) - now).total_seconds() for r in rows
                 if r not in due]
        if self.pacer is not None:
            due, paced = self._paced(due)
            waits += paced
        for row in due:
            self._inflight[row.chat_id] = asyncio.create_task(self._send_in_background(
                row, tickets.get(row.ticket_id), progress.get(row.broadcast_id)))
        if not rows and not self._inflight:
            return len(finished), None
        return len(finished) + len(due), (max(0.05, min(waits)) if waits else None)

    async def _heads(self, session: AsyncSession
                     ) -> tuple[list[OutboxMessage], dict[int, Ticket], dict[int, int | None]]:
        """The oldest pending message of every chat with none in flight (interactive before
        bulk, at most BATCH), with the tickets and broadcast progress messages they need."""
        heads = (select(func.min(OutboxMessage.id)).where(OutboxMessage.status == "pending")
                 .group_by(OutboxMessage.chat_id))
        rows = [r for r in await session.scalars(
            select(OutboxMessage).where(OutboxMessage.id.in_(heads))
            .order_by(OutboxMessage.priority, OutboxMessage.id).limit(BATCH))
            if r.chat_id not in self._inflight]
        ticket_ids = {r.ticket_id for r in rows if r.ticket_id}
        tickets = {t.id: t for t in await session.scalars(
            select(Ticket).where(Ticket.id.in_(ticket_ids)))} if ticket_ids else {}
        edited = {r.broadcast_id for r in rows if r.purpose == "progress_edit"}
        progress = dict((await session.execute(
            select(Broadcast.id, Broadcast.progress_message_id)
            .where(Broadcast.id.in_(edited)))).all()) if edited else {}
        return rows, tickets, progress

    async def _send_in_background(self, row: OutboxMessage, ticket: Ticket | None,
                                  progress_id: int | None) -> None:
        started = time.monotonic()
        try:
            async with self._parallel:
                outcome = await self._attempt(row, ticket, progress_id)
        except Exception as exc:  # noqa: BLE001 - an unexpected failure is retried, not lost
            log.exception("outbox %s: unexpected error", row.id)
            outcome = _Outcome(row, "retry", error=f"{type(exc).__name__}: {exc}")
        finally:
            if self.pacer is not None and row.purpose not in UNPACED:
                self.pacer.done(self._chat(row))  # the limits count from the send's return
        self._measure(outcome, time.monotonic() - started)
        self._done.append(outcome)
        self._wake.set()

    def _measure(self, outcome: "_Outcome", seconds: float) -> None:
        metrics.SEND_LATENCY.labels(outcome.kind).observe(seconds)
        metrics.SENDS.labels(outcome.kind).inc()
        row = outcome.row
        if (self.answer_clock is not None and outcome.status in ("sent", "part")
                and row.priority < BULK and row.chat_id != STAFF_CHAT):
            waited = self.answer_clock.answered(row.chat_id)
            if waited is not None:
                metrics.ANSWER_LATENCY.observe(waited)

    def _paced(self, due: list[OutboxMessage]) -> tuple[list[OutboxMessage], list[float]]:
        """Reserve, in priority order, the sends Telegram's limits allow now; the others
        wait (edits and topic changes are not messages and are not paced)."""
        ready, waits = [], []
        for row in due:
            if row.purpose in UNPACED:
                ready.append(row)
                continue
            bulk = row.priority >= BULK
            wait = self.pacer.wait(self._chat(row), bulk)
            if wait > 0:
                waits.append(wait)
            else:
                self.pacer.sent(self._chat(row), bulk)
                ready.append(row)
        return ready, waits

    def _chat(self, row: OutboxMessage) -> str:
        return str(self.staff_chat_id) if row.chat_id == STAFF_CHAT else row.chat_id

    async def _attempt(self, row: OutboxMessage, ticket: Ticket | None,
                       progress_id: int | None) -> "_Outcome":
        """One send, its failure classified (the sender decides on retries)."""
        try:
            return await self._send(row, ticket, progress_id)
        except RetryLater as exc:
            return _Outcome(row, "retry", error=str(exc), delay=exc.delay, kind=exc.kind)
        except Unreachable as exc:
            return _Outcome(row, "failed", error=f"unreachable: {exc}", unreachable=True,
                            kind="403")
        except Rejected as exc:
            return _Outcome(row, "failed", error=str(exc), kind="400")
        except Migrated as exc:
            if row.chat_id != STAFF_CHAT:
                return _Outcome(row, "failed", error=str(exc), kind="400")
            log.error("the staff group moved to chat id %s: using it now; update "
                      "staff.chat_id in the configuration", exc.new_chat_id)
            self.staff_chat_id = exc.new_chat_id
            return _Outcome(row, "retry", error=str(exc), backoff=False, kind="400")

    async def _send(self, row: OutboxMessage, ticket: Ticket | None,
                    progress_id: int | None) -> "_Outcome":
        message = Outgoing.from_json(json.loads(row.payload))
        if row.chat_id == STAFF_CHAT and self.staff_chat_id is None:
            return _Outcome(row, "failed", error="no staff chat configured")
        chat_id = str(self.staff_chat_id) if row.chat_id == STAFF_CHAT else row.chat_id
        thread_id = message.thread_id or (
            ticket.staff_thread_id if ticket and message.in_ticket_thread else None)
        if message.kind == "topic" and message.topic_action == "create":
            if ticket is None or not self.use_topics or ticket.staff_thread_id is not None:
                return _Outcome(row, "sent")
            created = await self.transport.create_topic(chat_id, message.text or "")
            return _Outcome(row, "sent", thread_id=created)
        edit_id = message.edit_message_id
        if message.edit_target in ("card", "progress"):
            edit_id = progress_id if message.edit_target == "progress" else (
                ticket.staff_card_message_id if ticket else None)
            if edit_id is None:
                return _Outcome(row, "failed", error=f"{message.edit_target} was never sent")
        result = await self.transport.send(chat_id, message, thread_id, edit_id)
        # An edited card is the same message: only new messages are linked to the ticket.
        return _Outcome(row, "part" if result.more else "sent", message_id=result.message_id,
                        link_chat=chat_id if edit_id is None and row.chat_id == STAFF_CHAT
                        else None, parts_sent=message.parts_sent + 1 if result.more else 0)

    async def _record(self, session: AsyncSession, outcomes: list["_Outcome"]) -> None:
        """Store every outcome of a round (bulk updates by id) in the round's transaction."""
        now = utcnow()
        changes: list[dict] = []
        parts: list[dict] = []  # rows with some parts of their text delivered
        tickets: list[dict] = []
        broadcasts: list[dict] = []  # progress messages posted
        bulk: set[int] = set()  # broadcasts whose messages were recorded
        links: list[dict] = []
        unreachable: set[str] = set()
        notices: list[int] = []  # requests whose enterprise can no longer be reached
        for out in outcomes:
            row = out.row
            if row.priority >= BULK and row.broadcast_id is not None:
                bulk.add(row.broadcast_id)
            if out.status == "part":  # delivered so far: the next part is due at once
                payload = {**json.loads(row.payload), "parts_sent": out.parts_sent}
                parts.append({"id": row.id, "payload": json.dumps(payload, ensure_ascii=False),
                              "last_error": None, "sent_message_id": out.message_id,
                              "next_attempt_at": now})
                if (out.link_chat is not None and out.message_id is not None
                        and row.ticket_id is not None):
                    links.append(MessageLink(chat_id=out.link_chat, message_id=out.message_id,
                                             ticket_id=row.ticket_id))
                continue
            if out.status == "retry" and row.attempts + 1 < MAX_ATTEMPTS:
                delay = max(out.delay, min(BACKOFF_CAP, 0.5 * 2 ** (row.attempts + 1))
                            if out.backoff else 0.0)
                log.info("outbox %s: retry in %.1fs (%s)", row.id, delay, out.error)
                changes.append({"id": row.id, "status": "pending", "attempts": row.attempts + 1,
                                "last_error": out.error, "sent_message_id": None,
                                "sent_at": None,
                                "next_attempt_at": now + timedelta(seconds=delay)})
                continue
            status = "failed" if out.status == "retry" else out.status
            if status == "failed":
                log.warning("outbox %s to %s failed: %s", row.id, row.chat_id, out.error)
            changes.append({"id": row.id, "status": status, "attempts": row.attempts + 1,
                            "last_error": out.error, "sent_message_id": out.message_id,
                            "sent_at": now if status == "sent" else None,
                            "next_attempt_at": row.next_attempt_at})
            if out.unreachable:
                unreachable.add(row.chat_id)
                if row.ticket_id is not None and row.chat_id != STAFF_CHAT:
                    notices.append(row.ticket_id)
            if status == "sent" and row.purpose == "progress" and row.broadcast_id:
                broadcasts.append({"id": row.broadcast_id, "progress_chat_id": self._chat(row),
                                   "progress_message_id": out.message_id})
            if status != "sent" or row.ticket_id is None:
                continue
            if out.thread_id is not None:
                tickets.append({"id": row.ticket_id, "staff_thread_id": out.thread_id})
            if row.purpose == "card" and out.message_id is not None:
                tickets.append({"id": row.ticket_id, "staff_card_message_id": out.message_id})
            if out.link_chat is not None and out.message_id is not None:
                links.append({"chat_id": out.link_chat, "message_id": out.message_id,
                              "ticket_id": row.ticket_id})
        for values in (changes, parts):
            if values:
                await session.execute(update(OutboxMessage), values)
        for values in tickets:  # rare (a topic or a card per request): one by one
            await session.execute(update(Ticket), [values])
        if broadcasts:
            await session.execute(update(Broadcast), broadcasts)
        if links:
            await _link(session, links)
        if unreachable:
            await session.execute(update(Contact).where(Contact.chat_id.in_(unreachable))
                                  .values(unreachable_at=now))
        for ticket_id in dict.fromkeys(notices):  # staff are told, in the request's topic
            enqueue(session, STAFF_CHAT, Outgoing(
                text=t("ticket.unreachable_staff", "zh-CN", id=ticket_id),
                in_ticket_thread=True), "notify", ticket_id)
        if bulk and self.on_bulk is not None:
            await self.on_bulk(session, bulk)


async def _link(session: AsyncSession, links: list[dict]) -> None:
    """Map posted messages to their tickets. A (chat, message id) already linked is taken
    over by the newer message: an id a channel hands out again (the terminal numbers its
    messages anew, a group is recreated) must never stop the sender."""
    rows = list({(row["chat_id"], row["message_id"]): row for row in links}.values())
    statement = dialect_insert(session, MessageLink)
    await session.execute(statement.on_conflict_do_update(
        index_elements=["chat_id", "message_id"],
        set_={"ticket_id": statement.excluded.ticket_id}), rows)


async def highest_message_id(sessions: async_sessionmaker) -> int:
    """The highest message or topic id the outbox has recorded, in any chat (0 when none):
    a transport that numbers its own messages continues after it."""
    async with sessions() as session:
        found = [await session.scalar(select(func.max(column))) for column in (
            OutboxMessage.sent_message_id, MessageLink.message_id, Ticket.staff_thread_id,
            Ticket.staff_card_message_id)]
    return max((n for n in found if n is not None), default=0)


@dataclass
class _Outcome:
    row: OutboxMessage
    status: str  # sent, part (of a longer text), failed or retry
    message_id: int | None = None
    link_chat: str | None = None
    thread_id: int | None = None
    error: str | None = None
    delay: float = 0.0
    backoff: bool = True  # grow the delay with each attempt
    unreachable: bool = False
    parts_sent: int = 0  # with status "part": the parts delivered so far
    kind: str = ""  # for the metrics: sent, part or the failure's kind (429, 403, …)

    def __post_init__(self) -> None:
        if not self.kind:
            self.kind = self.status if self.status in ("sent", "part") else "error"
