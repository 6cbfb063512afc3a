"""Service events (对接会, 培训): a supervisor creates one and its invitation goes out through
the outbox to a segment of subscribed enterprises (bulk, paced like a broadcast) with a sign-up
button; sign-ups stop at capacity and wait in order (promoted when a place frees up); the
registered are reminded the day before; staff mark who attended.

    /event [类别:…] [行业:…] [区域:…] 培训|对接会 2026-12-20 14:30 容量 地点 标题…
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import Contact, EnterpriseProfile, Event, EventSignup, aware

from ..foundation.refusal import Refusal
from ..delivery.outbox import enqueue, enqueue_bulk
from ..delivery.outgoing import Button, Outgoing, esc
from ..foundation.i18n import t
from ..requests.staff_directory import Actor
from .broadcast_segment import Segment, SegmentError, parse
from .broadcasts import recipients

KINDS = {"对接会": "matchmaking", "培训": "training", "matchmaking": "matchmaking",
         "training": "training"}
MAX_CAPACITY = 10_000
MAX_TEXT = 100
REMIND_BEFORE = timedelta(days=1)


class EventError(Refusal):
    """`reason` is a locale key under `event.err`, with `params`."""


@dataclass(frozen=True)
class EventInput:
    kind: str
    starts_at: datetime  # aware
    capacity: int
    place: str
    title: str
    segment: Segment


def parse_event(text: str, now: datetime, tz: ZoneInfo) -> EventInput:
    try:
        segment, body = parse(text)
    except SegmentError as exc:
        raise EventError("segment", detail=t(f"broadcast.error.{exc.reason}", "zh-CN",
                                             **exc.params)) from exc
    words = body.split()
    if len(words) < 6:
        raise EventError("usage")
    kind = KINDS.get(words[0].lower())
    if kind is None:
        raise EventError("kind")
    try:
        starts_at = datetime.fromisoformat(f"{words[1]}T{words[2]}").replace(tzinfo=tz)
    except ValueError:
        raise EventError("time", value=f"{words[1]} {words[2]}") from None
    if starts_at <= now:
        raise EventError("past")
    if not words[3].isdigit() or not 1 <= int(words[3]) <= MAX_CAPACITY:
        raise EventError("capacity", max=MAX_CAPACITY)
    place, title = words[4], " ".join(words[5:])
    if len(place) > MAX_TEXT or not 2 <= len(title) <= MAX_TEXT:
        raise EventError("text", max=MAX_TEXT)
    return EventInput(kind, starts_at, int(words[3]), place, title, segment)


def _when(event: Event, tz: ZoneInfo) -> str:
    return aware(event.starts_at).astimezone(tz).strftime("%Y-%m-%d %H:%M")


def _params(event: Event, tz: ZoneInfo, lang: str) -> dict:
    return {"id": event.id, "title": esc(event.title), "place": esc(event.place),
            "when": _when(event, tz), "kind": t(f"event.kind.{event.kind}", lang),
            "capacity": event.capacity}


def invitation(event: Event, tz: ZoneInfo, lang: str) -> Outgoing:
    return Outgoing(text=t("event.invitation", lang, **_params(event, tz, lang)), buttons=[[
        Button(t("event.join_button", lang), f"ev:join:{event.id}"),
        Button(t("event.leave_button", lang), f"ev:leave:{event.id}")]])


@dataclass(frozen=True)
class SignUp:
    """What a sign-up (or leaving) did: a locale key under `event.signup`, and the event."""

    key: str
    event: Event | None = None
    position: int = 0  # on the waiting list

    @property
    def ok(self) -> bool:
        return self.key in ("registered", "waiting", "left")


class Events:
    def __init__(self, sessions: async_sessionmaker, tz: ZoneInfo,
                 clock: Callable[[], datetime], notify: Callable[[], None]) -> None:
        self.sessions = sessions
        self.tz = tz
        self.clock = clock
        self.notify = notify

    async def create(self, actor: Actor, data: EventInput) -> tuple[Event, int]:
        """The event and its invitations (bulk outbox rows) in one transaction."""
        async with self.sessions.begin() as session:
            found = await recipients(session, data.segment)
            event = Event(kind=data.kind, title=data.title,
                          starts_at=data.starts_at.astimezone(timezone.utc),  # stored as UTC
                          place=data.place, capacity=data.capacity,
                          segment=data.segment.to_json(), status="open", invited=len(found),
                          author_id=actor.id, author_name=actor.name[:128],
                          created_at=self.clock())
            session.add(event)
            await session.flush()
            messages = {lang: invitation(event, self.tz, lang) for lang in {l for _, l in found}}
            await enqueue_bulk(session, [(chat, messages[lang]) for chat, lang in found],
                               "event", None)
        self.notify()
        return event, len(found)

    async def _event(self, session: AsyncSession, event_id: int) -> Event | None:
        query = select(Event).where(Event.id == event_id)
        if session.bind.dialect.name == "postgresql":
            query = query.with_for_update()  # sign-ups of one event one at a time
        return await session.scalar(query)

    async def sign_up(self, contact_id: int, event_id: int) -> SignUp:
        async with self.sessions.begin() as session:
            event = await self._event(session, event_id)
            if event is None:
                return SignUp("missing")
            if event.status != "open" or aware(event.starts_at) <= self.clock():
                return SignUp("closed", event)
            signup = await session.scalar(select(EventSignup).where(
                EventSignup.event_id == event_id, EventSignup.contact_id == contact_id))
            if signup is not None and signup.status != "cancelled":
                return SignUp(f"already_{signup.status}", event)
            registered = await session.scalar(select(func.count()).where(
                EventSignup.event_id == event_id, EventSignup.status == "registered"))
            status = "registered" if registered < event.capacity else "waiting"
            now = self.clock()
            if signup is None:
                signup = EventSignup(event_id=event_id, contact_id=contact_id, created_at=now)
                session.add(signup)
            signup.status, signup.updated_at = status, now
            signup.created_at = now  # a returning enterprise queues anew
            await session.flush()
            position = 0
            if status == "waiting":
                position = await session.scalar(select(func.count()).where(
                    EventSignup.event_id == event_id, EventSignup.status == "waiting",
                    EventSignup.id <= signup.id)) or 0
            return SignUp(status, event, position)

    async def leave(self, contact_id: int, event_id: int) -> SignUp:
        """Cancel a sign-up; a registered place goes to the first on the waiting list, who is
        told through the outbox."""
        async with self.sessions.begin() as session:
            event = await self._event(session, event_id)
            if event is None:
                return SignUp("missing")
            signup = await session.scalar(select(EventSignup).where(
                EventSignup.event_id == event_id, EventSignup.contact_id == contact_id,
                EventSignup.status != "cancelled"))
            if signup is None:
                return SignUp("not_signed", event)
            freed = signup.status == "registered"
            signup.status, signup.updated_at = "cancelled", self.clock()
            if freed:
                await self._promote(session, event)
        self.notify()
        return SignUp("left", event)

    async def _promote(self, session: AsyncSession, event: Event) -> None:
        first = (await session.execute(
            select(EventSignup, Contact).join(Contact, Contact.id == EventSignup.contact_id)
            .where(EventSignup.event_id == event.id, EventSignup.status == "waiting")
            .order_by(EventSignup.created_at, EventSignup.id).limit(1))).first()
        if first is None:
            return
        signup, contact = first
        signup.status, signup.updated_at = "registered", self.clock()
        enqueue(session, contact.chat_id, Outgoing(text=t(
            "event.promoted", contact.language, **_params(event, self.tz, contact.language))),
            "event")

    async def remind_due(self, now: datetime) -> int:
        """Remind the registered of events starting within a day (each event once)."""
        sent = 0
        async with self.sessions() as session:
            due = list(await session.scalars(select(Event.id).where(
                Event.status == "open", Event.reminded_at.is_(None),
                Event.starts_at > now, Event.starts_at <= now + REMIND_BEFORE)))
        for event_id in due:
            async with self.sessions.begin() as session:
                claimed = await session.execute(
                    update(Event).where(Event.id == event_id, Event.reminded_at.is_(None))
                    .values(reminded_at=now))
                if claimed.rowcount != 1:
                    continue  # another process reminded them
                event = await session.get(Event, event_id)
                people = (await session.execute(
                    select(Contact.chat_id, Contact.language).join(
                        EventSignup, EventSignup.contact_id == Contact.id)
                    .where(EventSignup.event_id == event_id,
                           EventSignup.status == "registered"))).all()
                for chat, lang in people:
                    enqueue(session, chat, Outgoing(text=t(
                        "event.reminder", lang, **_params(event, self.tz, lang))), "event")
                sent += len(people)
        if sent:
            self.notify()
        return sent

    async def roster(self, event_id: int) -> tuple[Event | None, list[tuple]]:
        """The event and its sign-ups in order: (signup, contact, company name)."""
        async with self.sessions() as session:
            event = await session.get(Event, event_id)
            rows = (await session.execute(
                select(EventSignup, Contact, EnterpriseProfile.company_name)
                .join(Contact, Contact.id == EventSignup.contact_id)
                .outerjoin(EnterpriseProfile, EnterpriseProfile.contact_id == Contact.id)
                .where(EventSignup.event_id == event_id, EventSignup.status != "cancelled")
                .order_by(EventSignup.status != "registered", EventSignup.created_at,
                          EventSignup.id))).all()
            return event, [tuple(row) for row in rows]

    async def mark_attended(self, event_id: int, numbers: list[int]) -> tuple[str, int]:
        """Mark the registered sign-ups numbered as in the roster (1-based) as attended."""
        event, rows = await self.roster(event_id)
        if event is None:
            return "missing", 0
        registered = [signup for signup, *_ in rows if signup.status == "registered"]
        if not numbers or any(not 1 <= n <= len(registered) for n in numbers):
            return "bad_numbers", len(registered)
        ids = [registered[n - 1].id for n in numbers]
        async with self.sessions.begin() as session:
            await session.execute(update(EventSignup).where(EventSignup.id.in_(ids))
                                  .values(attended=True, updated_at=self.clock()))
        return "marked", len(ids)

    async def for_contact(self, contact_id: int) -> list[tuple[Event, str]]:
        """An enterprise's own sign-ups, the next events first."""
        async with self.sessions() as session:
            return [tuple(row) for row in await session.execute(
                select(Event, EventSignup.status).join(
                    EventSignup, EventSignup.event_id == Event.id)
                .where(EventSignup.contact_id == contact_id,
                       EventSignup.status != "cancelled")
                .order_by(Event.starts_at.desc()).limit(10))]


def signup_text(result: SignUp, tz: ZoneInfo, lang: str) -> str:
    """What an enterprise is told after pressing Sign up or Cancel."""
    params = _params(result.event, tz, lang) if result.event is not None else {}
    return t(f"event.signup.{result.key}", lang, position=result.position, **params)


def mine_text(rows: list[tuple[Event, str]], tz: ZoneInfo, lang: str) -> str:
    if not rows:
        return t("event.mine_empty", lang)
    return "\n".join([t("event.mine", lang), *(
        t("event.mine_line", lang, status=t(f"event.status.{status}", lang),
          **_params(event, tz, lang)) for event, status in rows)])


def pressed(data: str) -> tuple[str, int] | None:
    """(`join`|`leave`, event id) of an `ev:` button, None when stale or forged."""
    parts = data.split(":")
    if len(parts) == 3 and parts[1] in ("join", "leave") and parts[2].isdigit():
        return parts[1], int(parts[2])
    return None
