"""Timed work: service-level reminders and escalations, follow-up visits (回访), the weekly
knowledge-base reminder (`kb_status_post`) and the retention of processed updates and sent
messages (`storage/retention.py`).

Every check reads the database, so nothing is lost across restarts and several processes may
check at once: each alert or question is claimed with a conditional UPDATE in the same
transaction as its outbox message, and only the process whose UPDATE matched sends it.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Protocol

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from knowledge.service import KnowledgeService
from storage.models import Contact, EnterpriseProfile, Ticket, TicketEvent
from storage.retention import Pruned, prune

from ..delivery.outgoing import STAFF_CHAT
from ..delivery.outbox import enqueue
from ..outreach.events import Events
from ..foundation.settings import Settings
from ..foundation.workcalendar import WorkCalendar
from .kb_status_post import post_kb_status
from ..requests.sla import FIRST_RESPONSE, TARGETS, Alert, Target
from ..requests.sla_views import alert as alert_message, followup_question
from ..requests.ticket_rules import OPEN, Status
from ..requests.tickets import TicketService

log = logging.getLogger(__name__)


class _Notifier(Protocol):
    def notify(self) -> None: ...


class Services(Protocol):
    """What the scheduler uses of the services container (`services.Services`, which starts
    the scheduler: typed here by shape, so that the two modules do not import each other)."""

    sessions: async_sessionmaker
    settings: Settings
    tickets: TicketService
    calendar: WorkCalendar
    postman: _Notifier
    clock: Callable[[], datetime]
    knowledge: KnowledgeService
    extras: dict


FINISHED = (Status.RESOLVED, Status.CLOSED)


async def run_due(services: Services, now: datetime) -> int:
    """Send every alert, follow-up question and weekly post due at `now`; returns how many
    were sent."""
    now = now.astimezone(timezone.utc)
    sent = (await _sla_alerts(services, now) + await _followups(services, now)
            + await post_kb_status(services, now))
    sent += await Events(services.sessions, services.calendar.tz, services.clock,
                         services.postman.notify).remind_due(now)
    if sent:
        services.postman.notify()
    return sent


async def _claim(services: Services, session: AsyncSession, ticket_id: int, conditions: list,
                 values: dict, action: str, detail: str | None
                 ) -> tuple[Ticket, Contact] | None:
    """Mark the ticket if it still matches `conditions`; on success record the event and
    refresh the staff card in the same transaction."""
    claimed = await session.execute(
        update(Ticket).where(Ticket.id == ticket_id, *conditions).values(**values)
        .execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        return None
    ticket = await session.get(Ticket, ticket_id)
    contact = await session.get(Contact, ticket.contact_id)
    profile = await session.get(EnterpriseProfile, ticket.contact_id)
    session.add(TicketEvent(ticket_id=ticket_id, actor_kind="system", actor_id="system",
                            actor_name="system", action=action, from_status=ticket.status,
                            to_status=ticket.status, detail=detail))
    enqueue(session, STAFF_CHAT, services.tickets.views.card(ticket, contact, profile, edit=True),
            "card_edit", ticket_id)
    return ticket, contact


async def _sla_alerts(services: Services, now: datetime) -> int:
    policy = services.tickets.sla
    async with services.sessions() as session:
        tickets = list(await session.scalars(select(Ticket).where(
            Ticket.status.in_(OPEN),
            or_(and_(Ticket.first_response_due_at.is_not(None),
                     Ticket.first_response_at.is_(None), Ticket.first_escalated_at.is_(None)),
                and_(Ticket.resolution_due_at.is_not(None),
                     Ticket.resolution_escalated_at.is_(None))))))
    sent = 0
    for ticket in tickets:
        for target in TARGETS:
            kind = policy.alert(ticket, target, now)
            if kind is not None and await _alert(services, ticket, target, kind, now):
                sent += 1
    return sent


async def _alert(services: Services, seen: Ticket, target: Target, kind: Alert,
                 now: datetime) -> bool:
    """Claim one alert: the target must still be the one seen (not answered, resolved or
    restarted meanwhile) and the alert not sent by anyone yet."""
    due, reminded = getattr(Ticket, target.due), getattr(Ticket, target.reminded)
    column = getattr(Ticket, target.escalated) if kind is Alert.ESCALATE else reminded
    conditions = [due == getattr(seen, target.due), column.is_(None), Ticket.status.in_(OPEN)]
    if target is FIRST_RESPONSE:
        conditions.append(Ticket.first_response_at.is_(None))
    values = {column.key: now}
    if kind is Alert.ESCALATE:  # a missed target needs no reminder any more
        values[reminded.key] = func.coalesce(reminded, now)
    async with services.sessions.begin() as session:
        claimed = await _claim(services, session, seen.id, conditions, values,
                               f"sla_{kind}", target.name)
        if claimed is None:
            return False
        message = alert_message(claimed[0], target, kind, services.tickets.sla, now,
                                services.settings.staff.supervisors)
        enqueue(session, STAFF_CHAT, message, "sla", seen.id)
    return True


async def _followups(services: Services, now: datetime) -> int:
    due = [Ticket.followup_due_at <= now, Ticket.followup_asked_at.is_(None),
           Ticket.status.in_(FINISHED)]
    async with services.sessions() as session:
        ticket_ids = list(await session.scalars(select(Ticket.id).where(*due)))
    asked = 0
    for ticket_id in ticket_ids:
        async with services.sessions.begin() as session:
            claimed = await _claim(services, session, ticket_id, due,
                                   {"followup_asked_at": now}, "followup_asked", None)
            if claimed is None:
                continue
            ticket, contact = claimed
            enqueue(session, contact.chat_id,
                    followup_question(ticket, contact, services.calendar.tz), "followup",
                    ticket_id)
        asked += 1
    return asked


async def prune_old(services: Services, now: datetime) -> Pruned:
    """Delete processed updates and sent outbox messages older than `retention.days`."""
    pruned = await prune(services.sessions,
                         now - timedelta(days=services.settings.retention.days))
    if pruned.updates or pruned.outbox:
        log.info("retention: %d processed updates and %d sent messages deleted",
                 pruned.updates, pruned.outbox)
    return pruned


class Scheduler:
    """Runs `run_due` and `prune_old` at start and then every `sla.check_interval_s` seconds
    (in the leading process: `Services.start_sender` starts it)."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="scheduler")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _run(self) -> None:
        interval = self.services.settings.sla.check_interval_s
        while True:
            for job in (run_due, prune_old):
                try:
                    await job(self.services, self.services.clock())
                except Exception:  # noqa: BLE001 - a failed check is retried at the next one
                    log.exception("scheduled %s failed; retrying in %.0fs", job.__name__,
                                  interval)
            await asyncio.sleep(interval)
