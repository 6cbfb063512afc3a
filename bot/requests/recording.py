"""Needs staff find off the chat — by phone, on a visit, in a survey, at an event — recorded
as the same requests enterprises file in chat, with their source, on the enterprise's register
contact; and the visit log (走访) that ties the needs found on a visit to it.

`/record 企业 类别 描述 来源` (the source may also come third), and
`/visit 企业 [日期] 备注` with one line `需求 类别 描述` per need found.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.ext.asyncio import async_sessionmaker

from storage.enterprises import EnterpriseRepository, add_visit, register_contact
from storage.models import Ticket, Visit

from ..foundation.i18n import t
from ..foundation.refusal import Refusal
from .register import find
from .staff_directory import Actor
from .ticket_rules import MAX_DESCRIPTION
from .tickets import TicketService
from .ticket_views import category_choices, category_of, words_of

# Sources of a need: `chat` is an enterprise filing it itself; staff record the others.
SOURCES = ("chat", "phone", "visit", "survey", "event")
RECORDED = SOURCES[1:]
NEED_WORDS = ("需求", "need")
MAX_NOTES = 2000
MAX_NEEDS = 20


class RecordError(Refusal):
    """Bad input: `reason` is a locale key, with `params`; nothing was recorded."""


def source_of(word: str) -> str | None:
    """A recorded source from its key or its name in any language (电话, 走访, 问卷, 活动)."""
    return words_of("platform.source", RECORDED).get(word.strip().lower())


def _description(words: list[str]) -> str:
    text = " ".join(words).strip()
    if len(text) < 2:
        raise RecordError("platform.err.description")
    if len(text) > MAX_DESCRIPTION:
        raise RecordError("intake.too_long", max=MAX_DESCRIPTION)
    return text


def _category(word: str) -> str:
    category = category_of(word)
    if category is None:
        raise RecordError("platform.err.category", category=word,
                          categories=category_choices("zh-CN"))
    return category


@dataclass(frozen=True)
class NeedLine:
    reference: str  # the enterprise: credit code or name
    category: str
    description: str
    source: str


def parse_record(args: list[str]) -> NeedLine:
    """`企业 类别 描述 来源` or `企业 类别 来源 描述`."""
    if len(args) < 4:
        raise RecordError("platform.usage.record")
    reference, category, rest = args[0], _category(args[1]), args[2:]
    if (source := source_of(rest[-1])) is not None:
        rest = rest[:-1]
    elif (source := source_of(rest[0])) is not None:
        rest = rest[1:]
    else:
        raise RecordError("platform.err.source", sources="、".join(
            t(f"platform.source.{s}", "zh-CN") for s in RECORDED))
    return NeedLine(reference, category, _description(rest), source)


@dataclass(frozen=True)
class VisitInput:
    reference: str
    visited_on: date
    notes: str
    needs: tuple[tuple[str, str], ...]  # (category, description)


def parse_visit(text: str, today: date) -> VisitInput:
    """First line `企业 [YYYY-MM-DD] 备注`, then `需求 类别 描述` per need found."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    head = lines[0].split() if lines else []
    if not head:
        raise RecordError("platform.usage.visit")
    reference, rest, visited_on = head[0], head[1:], today
    if rest:
        try:
            visited_on, rest = date.fromisoformat(rest[0]), rest[1:]
        except ValueError:
            if rest[0][:1].isdigit() and "-" in rest[0]:
                raise RecordError("platform.err.date", date=rest[0]) from None
    if visited_on > today:
        raise RecordError("platform.err.future", date=visited_on.isoformat())
    notes = " ".join(rest)
    needs, extra = [], []
    for line in lines[1:]:
        words = line.split()
        if words[0].lower() in NEED_WORDS:
            if len(words) < 3:
                raise RecordError("platform.usage.visit")
            needs.append((_category(words[1]), _description(words[2:])))
        else:
            extra.append(line)
    notes = "\n".join([notes, *extra]).strip()
    if len(notes) > MAX_NOTES:
        raise RecordError("platform.err.notes", max=MAX_NOTES)
    if len(needs) > MAX_NEEDS:
        raise RecordError("platform.err.needs", max=MAX_NEEDS)
    if not notes and not needs:
        raise RecordError("platform.usage.visit")
    return VisitInput(reference, visited_on, notes, tuple(needs))


@dataclass
class Recorded:
    """What a record or a visit did: its tickets (and visit), or why nothing was recorded."""

    ok: bool
    reason: str = ""
    params: dict = field(default_factory=dict)
    tickets: list[Ticket] = field(default_factory=list)
    visit: Visit | None = None
    enterprise: str = ""


class NeedRecorder:
    """Records needs and visits for staff; the rules who may are the staff directory's."""

    def __init__(self, sessions: async_sessionmaker, register: EnterpriseRepository,
                 tickets: TicketService, today: Callable[[], date]) -> None:
        self.sessions = sessions
        self.register = register
        self.tickets = tickets
        self.today = today  # the platform's local date

    def _refused(self, actor: Actor, action: str) -> Recorded | None:
        if not self.tickets.staff.may(actor, action):
            return Recorded(False, "refuse.forbidden")
        return None

    async def record(self, actor: Actor, line: NeedLine) -> Recorded:
        if refused := self._refused(actor, "record"):
            return refused
        found = await find(self.register, line.reference)
        if found.enterprise is None:
            return Recorded(False, found.reason, found.params)
        async with self.sessions.begin() as session:
            contact = await register_contact(session, found.enterprise)
            ticket = await self.tickets.record(session, contact.id, line.category,
                                               line.description, line.source, actor)
        self.tickets.notify()
        return Recorded(True, tickets=[ticket], enterprise=found.enterprise.name)

    async def visit(self, actor: Actor, text: str) -> Recorded:
        if refused := self._refused(actor, "visit"):
            return refused
        try:
            visit_input = parse_visit(text, self.today())
        except RecordError as exc:
            return Recorded(False, exc.reason, exc.params)
        found = await find(self.register, visit_input.reference)
        if found.enterprise is None:
            return Recorded(False, found.reason, found.params)
        async with self.sessions.begin() as session:
            visit = await add_visit(session, Visit(
                enterprise_id=found.enterprise.id, visited_on=visit_input.visited_on,
                staff_id=actor.id, staff_name=actor.name, notes=visit_input.notes or None))
            contact = await register_contact(session, found.enterprise)
            tickets = [await self.tickets.record(session, contact.id, category, description,
                                                 "visit", actor, visit.id)
                       for category, description in visit_input.needs]
        self.tickets.notify()
        return Recorded(True, tickets=tickets, visit=visit, enterprise=found.enterprise.name)
