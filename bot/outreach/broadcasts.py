"""Broadcasts: a supervisor's notice to a segment of subscribed enterprises.

draft (preview and recipient count) → sending (one bulk outbox row per enterprise, delivered
at Telegram's pace after interactive messages, with a progress message in the staff group kept
current) → done; or cancelled before it is done: its messages still pending are never sent
(those already handed to Telegram, at most a second's worth, still arrive and are counted).
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import (
    Broadcast, Contact, EnterpriseProfile, OutboxMessage, Subscription, aware, utcnow,
)

from .broadcast_segment import Segment
from ..foundation.i18n import t
from ..delivery.outgoing import STAFF_CHAT, Button, Outgoing
from ..delivery.outbox import BULK, enqueue, enqueue_bulk
from ..delivery.safe_html import sanitize
from ..requests.staff_directory import Actor

LANG = "zh-CN"  # staff side
MAX_BODY = 3500  # characters of notice text (the frame and Telegram's 4096 leave room)


@dataclass(frozen=True)
class Counts:
    sent: int = 0
    failed: int = 0
    blocked: int = 0  # of the failed: the enterprise blocked the bot (never retried)
    pending: int = 0
    cancelled: int = 0

    @property
    def total(self) -> int:
        return self.sent + self.failed + self.pending + self.cancelled


@dataclass(frozen=True)
class Draft:
    id: int
    recipients: int
    skipped: int  # subscribers in the segment known to have blocked the bot
    previews: dict[str, str]  # language → the notice exactly as those enterprises get it


def notice(body: str, lang: str) -> Outgoing:
    """The message an enterprise receives (`body` is already sanitised HTML)."""
    return Outgoing(text=t("broadcast.notice", lang, body=body),
                    buttons=[[Button(t("broadcast.sub.unsubscribe", lang), "sub:off")]])


def progress_message(broadcast: Broadcast, counts: Counts, edit: bool = True) -> Outgoing:
    """The staff group's progress message, or its final summary once done or cancelled."""
    params = {"id": broadcast.id, "sent": counts.sent, "failed": counts.failed,
              "blocked": counts.blocked, "pending": counts.pending,
              "cancelled": counts.cancelled, "total": counts.total}
    buttons: list[list[Button]] = []
    if broadcast.status == "done":
        started = aware(broadcast.started_at or utcnow())
        text = t("broadcast.finished", LANG, seconds=math.ceil(
            (utcnow() - started).total_seconds()), **params)
    elif broadcast.status == "cancelled":
        text = t("broadcast.stopped", LANG, **params)
    else:
        text = t("broadcast.progress", LANG, **params)
        buttons = [[Button(t("broadcast.stop_button", LANG), f"bc:cancel:{broadcast.id}")]]
    return Outgoing(text=text, buttons=buttons, edit_target="progress" if edit else None)


async def recipients(session: AsyncSession, segment: Segment,
                     reachable: bool = True) -> list[tuple[str, str]]:
    """(chat, language) of the subscribers in `segment` (or, with reachable=False, of those
    known to have blocked the bot)."""
    blocked = Contact.unreachable_at.is_(None) if reachable else Contact.unreachable_at.is_not(None)
    query = (select(Contact.chat_id, Contact.language)
             .join(Subscription, Subscription.contact_id == Contact.id)
             .outerjoin(EnterpriseProfile, EnterpriseProfile.contact_id == Contact.id)
             .where(blocked, *segment.conditions()).order_by(Contact.id))
    return [(chat, lang) for chat, lang in (await session.execute(query)).all()]


async def count(session: AsyncSession, broadcast_id: int) -> Counts:
    blocked = OutboxMessage.last_error.like("unreachable:%")
    rows = (await session.execute(
        select(OutboxMessage.status, blocked, func.count())
        .where(OutboxMessage.broadcast_id == broadcast_id, OutboxMessage.priority >= BULK)
        .group_by(OutboxMessage.status, blocked))).all()
    totals: dict[str, int] = {}
    for status, was_blocked, n in rows:
        totals[status] = totals.get(status, 0) + n
        if status == "failed" and was_blocked:
            totals["blocked"] = totals.get("blocked", 0) + n
    return Counts(**{k: v for k, v in totals.items() if k in Counts.__dataclass_fields__})


async def _cancel_pending(session: AsyncSession, broadcast_id: int) -> None:
    await session.execute(update(OutboxMessage).where(
        OutboxMessage.broadcast_id == broadcast_id, OutboxMessage.status == "pending",
        OutboxMessage.priority >= BULK).values(status="cancelled"))


class Broadcasts:
    def __init__(self, sessions: async_sessionmaker, notify: Callable[[], None]) -> None:
        self.sessions = sessions
        self.notify = notify  # wakes the outbox sender after a commit

    async def create(self, actor: Actor, segment: Segment, body: str) -> Draft:
        """A draft for `segment` (none is stored when nobody would receive it)."""
        text = sanitize(body)
        async with self.sessions.begin() as session:
            found = await recipients(session, segment)
            skipped = len(await recipients(session, segment, reachable=False))
            if not found:
                return Draft(0, 0, skipped, {})
            broadcast = Broadcast(author_id=actor.id, author_name=actor.name[:128], text=text,
                                  segment=segment.to_json(), status="draft",
                                  recipients=len(found))
            session.add(broadcast)
            await session.flush()
        languages = dict.fromkeys(lang for _, lang in found)
        return Draft(broadcast.id, len(found), skipped,
                     {lang: notice(text, lang).text or "" for lang in languages})

    async def start(self, broadcast_id: int) -> tuple[str, int]:
        """Confirm a draft: one bulk message per enterprise in the segment now (someone who
        unsubscribed since the preview is not reached). Returns (outcome, recipients)."""
        async with self.sessions.begin() as session:
            broadcast = await session.get(Broadcast, broadcast_id)
            if broadcast is None or broadcast.status != "draft":
                return (broadcast.status if broadcast else "missing"), 0
            found = await recipients(session, Segment.from_json(broadcast.segment))
            claimed = await session.execute(
                update(Broadcast).where(Broadcast.id == broadcast_id, Broadcast.status == "draft")
                .values(status="sending" if found else "cancelled", started_at=utcnow(),
                        recipients=len(found), finished_at=None if found else utcnow()))
            if claimed.rowcount != 1:  # confirmed twice at once: the other one sends it
                return "sending", 0
            if not found:
                return "nobody", 0
            messages = {lang: notice(broadcast.text, lang) for lang in {lang for _, lang in found}}
            await enqueue_bulk(session, [(chat, messages[lang]) for chat, lang in found],
                               "broadcast", broadcast_id)
            enqueue(session, STAFF_CHAT, progress_message(
                broadcast, Counts(pending=len(found)), edit=False), "progress",
                broadcast_id=broadcast_id)
        self.notify()
        return "started", len(found)

    async def cancel(self, broadcast_id: int) -> tuple[str, Counts]:
        """Discard a draft or stop a broadcast being sent. Returns (outcome, counts)."""
        async with self.sessions.begin() as session:
            stopped = await session.execute(
                update(Broadcast).where(Broadcast.id == broadcast_id,
                                        Broadcast.status.in_(("draft", "sending")))
                .values(status="cancelled", finished_at=utcnow()))
            broadcast = await session.get(Broadcast, broadcast_id)
            if broadcast is None:
                return "missing", Counts()
            if stopped.rowcount != 1:
                return f"already_{broadcast.status}", await count(session, broadcast_id)
            if broadcast.started_at is None:
                return "discarded", Counts()
            await _cancel_pending(session, broadcast_id)
            counts = await count(session, broadcast_id)
            enqueue(session, STAFF_CHAT, progress_message(broadcast, counts), "progress_edit",
                    broadcast_id=broadcast_id)
        self.notify()
        return "cancelled", counts


class BroadcastProgress:
    """Called by the outbox sender as bulk messages are recorded: keeps each broadcast's
    progress message current (at most every `interval` seconds, and at the end), marks it done
    when nothing is left, and keeps a cancelled one's retried messages from going out."""

    def __init__(self, interval: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self.clock = clock
        self._edited: dict[int, float] = {}  # broadcast → when its message was last edited

    async def __call__(self, session: AsyncSession, broadcast_ids: set[int]) -> None:
        for broadcast_id in sorted(broadcast_ids):
            broadcast = await session.get(Broadcast, broadcast_id)
            if broadcast is None:
                continue
            if broadcast.status == "cancelled":
                await _cancel_pending(session, broadcast_id)
            counts = await count(session, broadcast_id)
            if broadcast.status == "sending" and counts.pending == 0:
                broadcast.status, broadcast.finished_at = "done", utcnow()
            now = self.clock()
            final = broadcast.status in ("done", "cancelled")
            if final or now - self._edited.get(broadcast_id, -math.inf) >= self.interval:
                self._edited[broadcast_id] = now
                enqueue(session, STAFF_CHAT, progress_message(broadcast, counts),
                        "progress_edit", broadcast_id=broadcast_id)
