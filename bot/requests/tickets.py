"""Enterprise requests as tickets: the rules, the audit trail and the messages they cause.

Every state change writes a ticket event and its outbox messages in one transaction.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, case, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.batching import GroupCommit
from storage.enterprises import REGISTER_CHANNEL
from storage.models import Contact, EnterpriseProfile, Ticket, TicketEvent, TicketMessage, utcnow

from ..delivery.outgoing import STAFF_CHAT, Outgoing
from ..delivery.outbox import enqueue
from .queue_filter import QueueFilter
from .sla import SlaPolicy
from .sla_views import followup_reply, followup_staff
from .staff_directory import Actor, Role, StaffDirectory
from .ticket_rules import OPEN, PRIORITIES, Outcome, Status
from .ticket_views import (TicketViews, category_choices, category_of, priority_choices,
                           priority_of)


# The permission each recorded action needs.
PERMISSION = {"resolved": "resolve", "closed": "close", "transferred": "transfer",
              "reopened": "reopen", "priority": "priority", "category": "category"}


@dataclass(frozen=True)
class Content:
    """What someone sent: text and/or one file, with its channel ids for relaying."""

    kind: str = "text"  # text, photo, document, video, voice, ...
    text: str | None = None
    file_id: str | None = None
    chat_id: str | None = None
    message_id: int | None = None


Notify = Callable[[], None]
# Senders with their enterprise profiles (one query for a ticket, or for a batch of new ones).
_WITH_PROFILES = select(Contact, EnterpriseProfile).outerjoin(
    EnterpriseProfile, EnterpriseProfile.contact_id == Contact.id).where(
    Contact.id.in_(bindparam("ids", expanding=True)))


@dataclass(frozen=True)
class _NewTicket:
    contact_id: int
    category: str
    description: str
    attachments: tuple[Content, ...]
    origin: str
    context: dict | None
    source: str = "chat"
    visit_id: int | None = None
    recorded_by: Actor | None = None  # staff recording a need found off the chat


class TicketService:
    def __init__(self, sessions: async_sessionmaker, staff: StaffDirectory, views: TicketViews,
                 notify: Notify = lambda: None, sla: SlaPolicy | None = None,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.sessions = sessions
        self.staff = staff
        self.views = views
        self.notify = notify  # wakes the outbox sender after a commit
        self.sla = sla or SlaPolicy.default()
        self.clock = clock  # aware UTC now; the service-level targets count from it
        self._creations = GroupCommit(sessions, self._create_all)

    # ---- helpers -------------------------------------------------------------------------

    @staticmethod
    def _event(session: AsyncSession, ticket: Ticket, actor: Actor, action: str,
               from_status: str | None = None, detail: str | None = None) -> None:
        session.add(TicketEvent(ticket_id=ticket.id, actor_kind=actor.kind, actor_id=actor.id,
                                actor_name=actor.name, action=action, from_status=from_status,
                                to_status=ticket.status, detail=detail))

    async def _load(self, session: AsyncSession, ticket_id: int, lock: bool = True
                    ) -> tuple[Ticket, Contact, EnterpriseProfile | None] | None:
        query = select(Ticket).where(Ticket.id == ticket_id)
        if lock and session.bind.dialect.name == "postgresql":
            query = query.with_for_update()
        ticket = await session.scalar(query)
        if ticket is None:
            return None
        contact, profile = (await session.execute(
            _WITH_PROFILES, {"ids": [ticket.contact_id]})).one()
        return ticket, contact, profile

    def _refresh_card(self, session: AsyncSession, ticket: Ticket, contact: Contact,
                      profile: EnterpriseProfile | None) -> None:
        enqueue(session, STAFF_CHAT, self.views.card(ticket, contact, profile, edit=True),
                "card_edit", ticket.id)

    def _to_enterprise(self, session: AsyncSession, contact: Contact, message: Outgoing,
                       purpose: str, ticket: Ticket | None) -> None:
        if contact.channel == REGISTER_CHANNEL:
            return  # an enterprise of the register, not on any channel: nobody to tell
        enqueue(session, contact.chat_id, message, purpose, ticket.id if ticket else None)

    def _to_thread(self, session: AsyncSession, ticket: Ticket, message: Outgoing,
                   purpose: str) -> None:
        enqueue(session, STAFF_CHAT, message, purpose, ticket.id)

    def _hand_to_person(self, session: AsyncSession, ticket: Ticket, contact: Contact) -> None:
        """From now on the enterprise's messages go to staff on this request: they are told
        when that changes (a reply, a reopened request), never left to find out."""
        if contact.human_ticket_id != ticket.id:
            contact.human_ticket_id = ticket.id
            self._to_enterprise(session, contact, self.views.handed_over(ticket, contact),
                                "notify", ticket)

    def _back_to_assistant(self, session: AsyncSession, ticket: Ticket, contact: Contact,
                           message: Outgoing) -> None:
        """The conversation with staff on this request is over: the assistant answers again,
        and `message` says so."""
        if contact.human_ticket_id == ticket.id:
            contact.human_ticket_id = None
            self._to_enterprise(session, contact, message, "notify", ticket)

    # ---- enterprise side -----------------------------------------------------------------

    async def create(self, contact_id: int, category: str, description: str,
                     attachments: list[Content] = (), origin: str = "intake",
                     context: dict | None = None) -> Ticket:
        ticket = await self._creations.run(_NewTicket(contact_id, category, description,
                                                      tuple(attachments), origin, context))
        self.notify()
        return ticket

    async def record(self, session: AsyncSession, contact_id: int, category: str,
                     description: str, source: str, actor: Actor,
                     visit_id: int | None = None) -> Ticket:
        """A need staff found off the chat (phone, visit, survey, event), created inside the
        caller's transaction like one filed in chat, with its source; call `notify` after."""
        [ticket] = await self._create_all(session, [_NewTicket(
            contact_id, category, description, (), "staff", None, source, visit_id, actor)])
        return ticket

    async def _create_all(self, session: AsyncSession, requests: list[_NewTicket]
                          ) -> list[Ticket]:
        """Tickets created together (group commit): one query for their senders, one insert
        per table."""
        people = {contact.id: (contact, profile) for contact, profile in await session.execute(
            _WITH_PROFILES, {"ids": list({r.contact_id for r in requests})})}
        now = self.clock()
        tickets = []
        for request in requests:
            ticket = Ticket(contact_id=request.contact_id, category=request.category,
                            description=request.description, status=Status.NEW,
                            origin=request.origin, source=request.source,
                            visit_id=request.visit_id, created_at=now, updated_at=now,
                            context=json.dumps(request.context, ensure_ascii=False)
                            if request.context else None)
            self.sla.start(ticket, now)
            tickets.append(ticket)
        session.add_all(tickets)
        await session.flush()
        for request, ticket in zip(requests, tickets, strict=True):
            contact, profile = people[request.contact_id]
            author = request.recorded_by or Actor("enterprise", contact.external_id,
                                                  contact.display_name or "")
            self._event(session, ticket, author, "created",
                        detail=None if request.source == "chat" else request.source)
            session.add(TicketMessage(ticket_id=ticket.id, direction="in", kind="text",
                                      text=request.description, author_id=author.id,
                                      author_name=author.name))
            for item in request.attachments:
                session.add(TicketMessage(ticket_id=ticket.id, direction="in", kind=item.kind,
                                          text=item.text, file_id=item.file_id,
                                          chat_id=item.chat_id, message_id=item.message_id,
                                          author_id=contact.external_id))
            if request.origin == "human":
                contact.human_ticket_id = ticket.id
            self._to_thread(session, ticket, self.views.topic(ticket, profile, contact), "topic")
            self._to_thread(session, ticket, self.views.card(ticket, contact, profile), "card")
            for item in request.attachments:
                self._to_thread(session, ticket, self.views.relay_in(ticket, contact, profile,
                                                                     item), "relay")
            self._to_enterprise(session, contact, self.views.accepted(ticket, contact),
                                "notify", ticket)
        return tickets

    async def enterprise_message(self, contact_id: int, content: Content) -> Outcome:
        """A message from an enterprise in human mode: stored and relayed to the staff thread."""
        async with self.sessions.begin() as session:
            contact = await session.get(Contact, contact_id)
            if contact is None or contact.human_ticket_id is None:
                return Outcome(False, "not_in_human_mode")
            loaded = await self._load(session, contact.human_ticket_id)
            if loaded is None:
                contact.human_ticket_id = None
                return Outcome(False, "not_in_human_mode")
            ticket, _, profile = loaded
            if ticket.status not in OPEN:
                self._back_to_assistant(session, ticket, contact,
                                        self.views.finished_offer(ticket, contact))
                return Outcome(False, "ticket_finished", ticket, {"id": ticket.id})
            session.add(TicketMessage(ticket_id=ticket.id, direction="in", kind=content.kind,
                                      text=content.text, file_id=content.file_id,
                                      chat_id=content.chat_id, message_id=content.message_id,
                                      author_id=contact.external_id,
                                      author_name=contact.display_name))
            if ticket.status == Status.WAITING:
                before = ticket.status
                ticket.status = Status.IN_PROGRESS
                ticket.updated_at = self.clock()
                self._event(session, ticket, Actor("enterprise", contact.external_id,
                                                   contact.display_name or ""), "replied", before)
                self._refresh_card(session, ticket, contact, profile)
            self._to_thread(session, ticket, self.views.relay_in(ticket, contact, profile,
                                                                 content), "relay")
        self.notify()
        return Outcome(True, ticket=ticket)

    async def end_human_mode(self, contact_id: int) -> bool:
        async with self.sessions.begin() as session:
            contact = await session.get(Contact, contact_id)
            if contact is None or contact.human_ticket_id is None:
                return False
            contact.human_ticket_id = None
            return True

    async def rate(self, contact_id: int, ticket_id: int, score: int) -> Outcome:
        if not 1 <= score <= 5:
            return Outcome(False, "bad_rating")
        async with self.sessions.begin() as session:
            loaded = await self._load(session, ticket_id)
            if loaded is None or loaded[0].contact_id != contact_id:
                return Outcome(False, "not_yours")
            ticket, contact, profile = loaded
            if ticket.status not in (Status.RESOLVED, Status.CLOSED):
                return Outcome(False, "not_resolved", ticket, {"id": ticket.id})
            if ticket.rating is not None:
                return Outcome(False, "already_rated", ticket, {"id": ticket.id})
            ticket.rating = score
            self._event(session, ticket, Actor("enterprise", contact.external_id,
                                               contact.display_name or ""), "rated",
                        ticket.status, str(score))
            self._to_enterprise(session, contact, self.views.thanks(ticket, contact, score),
                                "notify", ticket)
            self._to_thread(session, ticket, self.views.rated_staff(ticket, score), "notify")
            self._refresh_card(session, ticket, contact, profile)
        self.notify()
        return Outcome(True, ticket=ticket)

    async def reopen_by_enterprise(self, contact_id: int, ticket_id: int) -> Outcome:
        async with self.sessions() as session:
            ticket = await session.get(Ticket, ticket_id)
            if ticket is None or ticket.contact_id != contact_id:
                return Outcome(False, "not_yours")
            contact = await session.get(Contact, contact_id)
        actor = Actor("enterprise", contact.external_id, contact.display_name or "")
        return await self.reopen(ticket_id, actor)

    async def for_contact(self, contact_id: int, limit: int = 10) -> list[Ticket]:
        async with self.sessions() as session:
            return list(await session.scalars(
                select(Ticket).where(Ticket.contact_id == contact_id)
                .order_by(Ticket.id.desc()).limit(limit)))

    # ---- staff side ----------------------------------------------------------------------

    def _refuse(self, actor: Actor, action: str) -> Outcome | None:
        if not self.staff.may(actor, action):
            return Outcome(False, "forbidden")
        return None

    async def claim(self, ticket_id: int, actor: Actor) -> Outcome:
        """Atomic: of several staff claiming at once, exactly one wins."""
        if refused := self._refuse(actor, "claim"):
            return refused
        async with self.sessions.begin() as session:
            result = await session.execute(
                update(Ticket).where(Ticket.id == ticket_id, Ticket.assignee_id.is_(None),
                                     Ticket.status.in_(OPEN))
                .values(assignee_id=actor.id, assignee_name=actor.name,
                        status=Status.IN_PROGRESS, updated_at=self.clock()))
            loaded = await self._load(session, ticket_id, lock=False)
            if loaded is None:
                return Outcome(False, "no_ticket", params={"id": ticket_id})
            ticket, contact, profile = loaded
            if result.rowcount != 1:
                if ticket.status not in OPEN:
                    return Outcome(False, "not_open", ticket, {"id": ticket.id})
                if ticket.assignee_id == actor.id:
                    return Outcome(False, "already_yours", ticket, {"id": ticket.id})
                return Outcome(False, "taken", ticket,
                               {"id": ticket.id, "name": ticket.assignee_name})
            self._event(session, ticket, actor, "claimed", None)
            self._refresh_card(session, ticket, contact, profile)
            self._to_enterprise(session, contact, self.views.claimed(ticket, contact), "notify",
                                ticket)
        self.notify()
        return Outcome(True, ticket=ticket, params={"id": ticket.id})

    async def assign(self, ticket_id: int, actor: Actor, assignee_id: str) -> Outcome:
        if refused := self._refuse(actor, "assign"):
            return refused
        role = self.staff.role_of(assignee_id)
        if role is None:
            return Outcome(False, "not_staff", params={"user": assignee_id})
        async with self.sessions.begin() as session:
            loaded = await self._load(session, ticket_id)
            if loaded is None:
                return Outcome(False, "no_ticket", params={"id": ticket_id})
            ticket, contact, profile = loaded
            if ticket.status not in OPEN:
                return Outcome(False, "not_open", ticket, {"id": ticket.id})
            before = ticket.status
            ticket.assignee_id = str(assignee_id)
            ticket.assignee_name = str(assignee_id)
            ticket.status = Status.IN_PROGRESS
            ticket.updated_at = self.clock()
            self._event(session, ticket, actor, "assigned", before, str(assignee_id))
            self._refresh_card(session, ticket, contact, profile)
        self.notify()
        return Outcome(True, ticket=ticket, params={"id": ticket.id, "user": assignee_id})

    async def _own(self, session: AsyncSession, ticket_id: int, actor: Actor, action: str
                   ) -> tuple[Outcome | None, tuple]:
        """Load a ticket for a staff action; an agent may act on unassigned or own tickets."""
        if refused := self._refuse(actor, action):
            return refused, ()
        loaded = await self._load(session, ticket_id)
        if loaded is None:
            return Outcome(False, "no_ticket", params={"id": ticket_id}), ()
        ticket = loaded[0]
        if (ticket.assignee_id not in (None, actor.id) and actor.role is not None
                and actor.role < Role.SUPERVISOR):
            return Outcome(False, "taken", ticket, {"id": ticket.id,
                                                    "name": ticket.assignee_name}), ()
        return None, loaded

    def _take_if_unassigned(self, session: AsyncSession, ticket: Ticket, actor: Actor) -> None:
        if ticket.assignee_id is None:
            ticket.assignee_id, ticket.assignee_name = actor.id, actor.name
            self._event(session, ticket, actor, "claimed", ticket.status)

    async def reply(self, ticket_id: int, actor: Actor, content: Content) -> Outcome:
        """A staff answer: stored, relayed to the enterprise, first response recorded."""
        async with self.sessions.begin() as session:
            refused, loaded = await self._own(session, ticket_id, actor, "reply")
            if refused:
                return refused
            ticket, contact, profile = loaded
            if ticket.status not in OPEN:
                return Outcome(False, "not_open", ticket, {"id": ticket.id})
            self._take_if_unassigned(session, ticket, actor)
            before = ticket.status
            now = self.clock()
            ticket.status = Status.WAITING
            ticket.updated_at = now
            ticket.first_response_at = ticket.first_response_at or now
            session.add(TicketMessage(ticket_id=ticket.id, direction="out", kind=content.kind,
                                      text=content.text, file_id=content.file_id,
                                      chat_id=content.chat_id, message_id=content.message_id,
                                      author_id=actor.id, author_name=actor.name))
            self._event(session, ticket, actor, "replied", before)
            self._to_enterprise(session, contact, self.views.relay_out(ticket, contact, content),
                                "relay", ticket)
            self._hand_to_person(session, ticket, contact)
            if before != ticket.status:
                self._refresh_card(session, ticket, contact, profile)
        self.notify()
        return Outcome(True, ticket=ticket, params={"id": ticket.id})

    async def note(self, ticket_id: int, actor: Actor, text: str, echo: bool = False) -> Outcome:
        """An internal note: stored in the ticket, never sent to the enterprise."""
        if refused := self._refuse(actor, "note"):
            return refused
        async with self.sessions.begin() as session:
            loaded = await self._load(session, ticket_id, lock=False)
            if loaded is None:
                return Outcome(False, "no_ticket", params={"id": ticket_id})
            ticket = loaded[0]
            session.add(TicketMessage(ticket_id=ticket.id, direction="note", kind="text",
                                      text=text, author_id=actor.id, author_name=actor.name))
            self._event(session, ticket, actor, "note", ticket.status)
            if echo:
                self._to_thread(session, ticket, self.views.note_saved(ticket, actor, text),
                                "ack")
        self.notify()
        return Outcome(True, ticket=ticket, params={"id": ticket.id})

    async def _change(self, ticket_id: int, actor: Actor, action: str, allowed: set[Status],
                      apply: Callable[[AsyncSession, Ticket, Contact], str | None],
                      own: bool = True) -> Outcome:
        """Check, `apply` the change, record it: what `apply` returns is the event's detail
        (the resolution, the department, the category it had)."""
        async with self.sessions.begin() as session:
            if own:
                refused, loaded = await self._own(session, ticket_id, actor, PERMISSION[action])
                if refused:
                    return refused
            else:
                loaded = await self._load(session, ticket_id)
                if loaded is None:
                    return Outcome(False, "no_ticket", params={"id": ticket_id})
            ticket, contact, profile = loaded
            if ticket.status not in allowed:
                return Outcome(False, f"cannot_{action}", ticket,
                               {"id": ticket.id, "status": ticket.status})
            before = ticket.status
            detail = apply(session, ticket, contact)
            ticket.updated_at = self.clock()
            self._event(session, ticket, actor, action, before, detail)
            self._refresh_card(session, ticket, contact, profile)
        self.notify()
        return Outcome(True, ticket=ticket, params={"id": ticket.id})

    async def resolve(self, ticket_id: int, actor: Actor, summary: str) -> Outcome:
        def apply(session: AsyncSession, ticket: Ticket, contact: Contact) -> str | None:
            self._take_if_unassigned(session, ticket, actor)
            ticket.status = Status.RESOLVED
            ticket.resolved_at = self.clock()
            ticket.resolution = summary.strip() or None
            # An enterprise of the register alone is not on a channel to be asked.
            ticket.followup_due_at = None if contact.channel == REGISTER_CHANNEL \
                else self.sla.followup_due(ticket.resolved_at)
            ticket.followup_asked_at = ticket.followup_result = None
            ticket.followup_answered_at = None
            self._to_enterprise(session, contact, self.views.resolved(ticket, contact),
                                "rating", ticket)
            self._back_to_assistant(session, ticket, contact,
                                    self.views.back_to_assistant(ticket, contact))
            return ticket.resolution

        return await self._change(ticket_id, actor, "resolved", OPEN, apply)

    async def reopen(self, ticket_id: int, actor: Actor) -> Outcome:
        if actor.kind == "staff" and (refused := self._refuse(actor, "reopen")):
            return refused

        def apply(session: AsyncSession, ticket: Ticket, contact: Contact) -> None:
            self._reopen(session, ticket, contact, self.views.reopened_staff(ticket, actor),
                         self.views.reopened(ticket, contact))

        return await self._change(ticket_id, actor, "reopened",
                                  {Status.RESOLVED, Status.CLOSED}, apply, own=False)

    def _reopen(self, session: AsyncSession, ticket: Ticket, contact: Contact,
                to_staff: Outgoing, to_enterprise: Outgoing) -> None:
        """Back to work: the resolution target restarts and no follow-up visit is pending."""
        ticket.status = Status.REOPENED
        ticket.resolved_at = None
        ticket.closed_at = None
        ticket.rating = None
        ticket.followup_due_at = None
        self.sla.restart_resolution(ticket, self.clock())
        self._to_thread(session, ticket, to_staff, "notify")
        self._to_enterprise(session, contact, to_enterprise, "notify", ticket)
        self._hand_to_person(session, ticket, contact)
        self._to_thread(session, ticket, Outgoing(kind="topic", topic_action="reopen",
                                                  in_ticket_thread=True), "topic")

    async def answer_followup(self, contact_id: int, ticket_id: int, solved: bool) -> Outcome:
        """The enterprise's answer to a follow-up visit, recorded once; "not solved" reopens a
        resolved or closed request. Only the request's own enterprise may answer."""
        async with self.sessions.begin() as session:
            now = self.clock()
            answered = await session.execute(
                update(Ticket).where(Ticket.id == ticket_id, Ticket.contact_id == contact_id,
                                     Ticket.followup_asked_at.is_not(None),
                                     Ticket.followup_answered_at.is_(None))
                .values(followup_result="solved" if solved else "unsolved",
                        followup_answered_at=now))
            loaded = await self._load(session, ticket_id)
            if answered.rowcount != 1:
                if loaded is None or loaded[0].contact_id != contact_id:
                    return Outcome(False, "not_yours")
                ticket = loaded[0]
                reason = "answered" if ticket.followup_answered_at else "not_asked"
                return Outcome(False, reason, ticket, {"id": ticket.id})
            ticket, contact, profile = loaded
            actor = Actor("enterprise", contact.external_id, contact.display_name or "")
            before = ticket.status
            self._event(session, ticket, actor, "followup", before, ticket.followup_result)
            if not solved and before in (Status.RESOLVED, Status.CLOSED):
                self._reopen(session, ticket, contact, followup_staff(ticket, solved),
                             followup_reply(ticket, contact, solved))
                ticket.updated_at = now
                self._event(session, ticket, actor, "reopened", before)
            else:
                self._to_thread(session, ticket, followup_staff(ticket, solved), "notify")
                self._to_enterprise(session, contact, followup_reply(ticket, contact, solved),
                                    "notify", ticket)
            self._refresh_card(session, ticket, contact, profile)
        self.notify()
        return Outcome(True, ticket=ticket, params={"id": ticket.id})

    async def close(self, ticket_id: int, actor: Actor) -> Outcome:
        def apply(session: AsyncSession, ticket: Ticket, contact: Contact) -> None:
            ticket.status = Status.CLOSED
            ticket.closed_at = self.clock()
            self._back_to_assistant(session, ticket, contact,
                                    self.views.back_to_assistant(ticket, contact))
            self._to_thread(session, ticket, Outgoing(kind="topic", topic_action="close",
                                                      in_ticket_thread=True), "topic")

        return await self._change(ticket_id, actor, "closed", OPEN | {Status.RESOLVED}, apply)

    async def transfer(self, ticket_id: int, actor: Actor, department: str) -> Outcome:
        def apply(session: AsyncSession, ticket: Ticket, contact: Contact) -> str:
            self._take_if_unassigned(session, ticket, actor)
            ticket.status = Status.TRANSFERRED
            ticket.department = department.strip()
            self._to_enterprise(session, contact, self.views.transferred(ticket, contact),
                                "notify", ticket)
            return ticket.department

        if not department.strip():
            return Outcome(False, "usage_transfer")
        return await self._change(ticket_id, actor, "transferred", OPEN, apply)

    async def set_priority(self, ticket_id: int, actor: Actor, word: str) -> Outcome:
        """`word` is a priority's key or its label as the cards show it (紧急, urgent …)."""
        level = priority_of(word)
        if level is None:
            return Outcome(False, "bad_priority", params={"levels": priority_choices("zh-CN")})

        def apply(session: AsyncSession, ticket: Ticket, contact: Contact) -> None:
            ticket.priority = level

        return await self._change(ticket_id, actor, "priority", OPEN, apply)

    async def set_category(self, ticket_id: int, actor: Actor, word: str) -> Outcome:
        """A request filed under the wrong category (it counts in the reports by category) is
        moved; the event keeps the category it had. `word` is a key or a name (法律咨询, 法律)."""
        category = category_of(word)
        if category is None:
            return Outcome(False, "bad_category", params={"categories": category_choices("zh-CN")})

        def apply(session: AsyncSession, ticket: Ticket, contact: Contact) -> str:
            moved = f"{ticket.category} → {category}"
            ticket.category = category
            return moved

        return await self._change(ticket_id, actor, "category", OPEN, apply)

    # ---- queries -------------------------------------------------------------------------

    async def get(self, ticket_id: int) -> tuple[Ticket, Contact, EnterpriseProfile | None,
                                                 list[TicketEvent], list[TicketMessage]] | None:
        async with self.sessions() as session:
            loaded = await self._load(session, ticket_id, lock=False)
            if loaded is None:
                return None
            events = list(await session.scalars(select(TicketEvent).where(
                TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id)))
            messages = list(await session.scalars(select(TicketMessage).where(
                TicketMessage.ticket_id == ticket_id).order_by(TicketMessage.id)))
            return (*loaded, events, messages)

    async def queue(self, limit: int = 20, only: QueueFilter = QueueFilter()) -> list[Ticket]:
        """Open tickets (or those `only` describes), the unassigned and most urgent first. The
        order of the open ones is found on the covering index `ix_tickets_queue` alone (tens of
        thousands of open tickets are sorted without reading them); only the chosen rows are
        then read in full."""
        urgency = case({p: i for i, p in enumerate(reversed(PRIORITIES))}, value=Ticket.priority,
                       else_=len(PRIORITIES))
        order = (Ticket.assignee_id.is_not(None), urgency, Ticket.id)
        chosen = select(Ticket.id).where(Ticket.status.in_(only.statuses))
        if only.category:
            chosen = chosen.where(Ticket.category == only.category)
        if only.unassigned:
            chosen = chosen.where(Ticket.assignee_id.is_(None))
        if only.assignee:
            chosen = chosen.where(or_(Ticket.assignee_id == only.assignee,
                                      Ticket.assignee_name == only.assignee))
        if only.start is not None:
            chosen = chosen.where(Ticket.created_at >= only.start, Ticket.created_at < only.end)
        chosen = chosen.order_by(*order).limit(limit)
        async with self.sessions() as session:
            return list(await session.scalars(
                select(Ticket).where(Ticket.id.in_(chosen)).order_by(*order)))

    async def find(self, words: str, limit: int = 20) -> list[tuple[Ticket, EnterpriseProfile]]:
        """An enterprise's requests, newest first: by a part of its company name or by its
        unified social credit code."""
        code = words.strip().upper()
        async with self.sessions() as session:
            return list((await session.execute(
                select(Ticket, EnterpriseProfile).join(
                    EnterpriseProfile, EnterpriseProfile.contact_id == Ticket.contact_id)
                .where(or_(EnterpriseProfile.company_name.contains(words.strip(),
                                                                   autoescape=True),
                           EnterpriseProfile.credit_code == code))
                .order_by(Ticket.id.desc()).limit(limit))).tuples())

    async def mine(self, actor: Actor, limit: int = 20) -> list[Ticket]:
        async with self.sessions() as session:
            return list(await session.scalars(
                select(Ticket).where(Ticket.assignee_id == actor.id,
                                     Ticket.status.in_(OPEN))
                .order_by(Ticket.id).limit(limit)))

    async def ticket_for_staff_message(self, chat_id: str, reply_to: int | None,
                                       thread_id: int | None) -> int | None:
        """Which ticket a staff message in the group belongs to (reply or forum topic)."""
        from storage.models import MessageLink

        async with self.sessions() as session:
            if reply_to is not None:
                link = await session.get(MessageLink, (chat_id, reply_to))
                if link:
                    return link.ticket_id
            if thread_id is not None:
                return await session.scalar(select(Ticket.id).where(
                    Ticket.staff_thread_id == thread_id))
        return None

    async def delivery(self, ticket_id: int) -> dict:
        """Outbox state of a ticket's messages, for `/ticket N`."""
        from storage.models import OutboxMessage

        async with self.sessions() as session:
            rows = list(await session.execute(
                select(OutboxMessage.status, func.count()).where(
                    OutboxMessage.ticket_id == ticket_id).group_by(OutboxMessage.status)))
            last_error = await session.scalar(
                select(OutboxMessage.last_error).where(OutboxMessage.ticket_id == ticket_id,
                                                       OutboxMessage.last_error.is_not(None))
                .order_by(OutboxMessage.id.desc()).limit(1))
        counts = {status: n for status, n in rows}
        return {"sent": counts.get("sent", 0), "pending": counts.get("pending", 0),
                "failed": counts.get("failed", 0), "error": last_error or "—"}

    async def count_open(self) -> int:
        async with self.sessions() as session:
            return await session.scalar(select(func.count()).select_from(Ticket).where(
                Ticket.status.in_(OPEN))) or 0
