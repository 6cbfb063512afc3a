"""Build every service from settings, once, with an explicit lifespan."""
from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import AsyncIterator

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from knowledge.service import KnowledgeService
from storage.db import create_engine, session_factory
from storage.migrate import upgrade
from storage.models import utcnow
from storage.questions import QuestionLogRepository

from ..answering.assistant import Assistant
from ..outreach.broadcasts import BroadcastProgress
from ..foundation.i18n import cli_lang
from ..foundation.settings import Settings
from ..requests.contacts import ContactRepository
from ..delivery.outgoing import Outgoing
from ..delivery.outbox import OutboxSender, Transport, enqueue
from ..delivery.pacing import Pacer
from .scheduler import Scheduler
from ..requests.sla import SlaPolicy
from ..requests.staff_directory import StaffDirectory
from ..requests.ticket_views import TicketViews
from ..delivery.answer_clock import AnswerClock
from ..requests.tickets import TicketService
from ..foundation.workcalendar import WorkCalendar

log = logging.getLogger(__name__)


@dataclass
class Postman:
    """Sends replies through the outbox; wakes the sender once the row is committed."""

    sessions: async_sessionmaker
    sender: OutboxSender | None = None

    def notify(self) -> None:
        if self.sender is not None:
            self.sender.notify()

    async def send(self, chat_id: str | int, message: Outgoing, purpose: str = "reply",
                   ticket_id: int | None = None) -> None:
        async with self.sessions.begin() as session:
            enqueue(session, str(chat_id), message, purpose, ticket_id)
        self.notify()


@dataclass
class Services:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker
    knowledge: KnowledgeService
    questions: QuestionLogRepository
    assistant: Assistant
    contacts: ContactRepository
    staff: StaffDirectory
    tickets: TicketService
    postman: Postman
    calendar: WorkCalendar
    # The current time (aware, UTC); tests replace it to move time without waiting.
    clock: Callable[[], datetime] = utcnow
    extras: dict = field(default_factory=dict)
    scheduler: Scheduler | None = None
    answer_clock: AnswerClock = field(default_factory=AnswerClock)

    @property
    def shared_database(self) -> bool:
        """PostgreSQL may be shared by several bot processes; a SQLite file is not."""
        return self.engine.dialect.name != "sqlite"

    def start_sender(self, transport: Transport, staff_chat_id: int | str | None = None,
                     background: bool = True, pacer: Pacer | None = None) -> OutboxSender:
        """Deliver the outbox through `transport`: by a background task, or (the terminal)
        only when the caller runs `deliver_due()`. The staff chat can be overridden."""
        sender = OutboxSender(self.sessions, transport,
                              staff_chat_id or self.settings.staff.chat_id,
                              self.settings.staff.use_topics, pacer, BroadcastProgress(
                                  self.settings.broadcast.progress_interval_s),
                              self.answer_clock)
        self.postman.sender = sender
        if background:
            sender.start()
            sender.notify()  # deliver whatever a previous run left pending
        self.scheduler = Scheduler(self)  # its reminders and follow-ups go out through it
        self.scheduler.start()
        return sender

    async def stop_sender(self) -> None:
        if self.scheduler is not None:
            await self.scheduler.stop()
            self.scheduler = None
        if self.postman.sender is not None:
            await self.postman.sender.stop()
            self.postman.sender = None


def build_knowledge(settings: Settings) -> KnowledgeService:
    service = KnowledgeService(settings.knowledge_dir, settings.knowledge.semantic,
                               settings.knowledge.cache_dir)
    service.load()
    service.warm_up_in_background()
    return service


@asynccontextmanager
async def running_services(settings: Settings, migrate: bool = True) -> AsyncIterator[Services]:
    engine = create_engine(settings.database.url, settings.database.echo)
    services: Services | None = None
    try:
        if migrate:
            await upgrade(engine)
        sessions = session_factory(engine)
        knowledge = build_knowledge(settings)
        questions = QuestionLogRepository(sessions)
        postman = Postman(sessions)
        staff = StaffDirectory(settings.staff)
        calendar = WorkCalendar(settings.calendar)
        tickets = TicketService(sessions, staff, TicketViews(calendar.tz), postman.notify,
                                SlaPolicy(calendar, settings.sla),
                                clock=lambda: services.clock())  # follows a replaced clock
        services = Services(
            settings=settings, engine=engine, sessions=sessions, knowledge=knowledge,
            questions=questions,
            assistant=Assistant(knowledge, questions, settings.assistant.max_question_chars,
                                today=lambda: services.clock().astimezone(calendar.tz).date()),
            contacts=ContactRepository(sessions), staff=staff,
            tickets=tickets, postman=postman, calendar=calendar)
        log.info("knowledge base: %d entries, %s matcher", len(knowledge.kb.entries),
                 knowledge.matcher.mode)
        if gap := calendar.coverage_warning(utcnow().astimezone(calendar.tz).date(), cli_lang()):
            log.warning("%s", gap)
        yield services
    finally:
        if services is not None:
            await services.stop_sender()
        await engine.dispose()
