"""The ticket core with a recording transport: rules, audit trail and outbox together."""
import asyncio
import json

import pytest
from sqlalchemy import select, update

from bot.foundation.settings import StaffSettings
from bot.requests.contacts import ContactRepository
from bot.delivery.outgoing import Outgoing
from bot.delivery.outbox import Delivered, OutboxSender, enqueue
from bot.requests.staff_directory import StaffDirectory
from bot.requests.ticket_views import TicketViews
from bot.requests.ticket_rules import Status
from bot.requests.tickets import Content, TicketService
from storage.db import create_engine, session_factory
from storage.migrate import upgrade
from storage.models import OutboxMessage, TicketEvent, aware, utcnow
from tests.databases import concurrent_transactions

STAFF_CHAT = -100500


class RecordingTransport:
    def __init__(self):
        self.sent: list[tuple[str, Outgoing, int | None, int | None]] = []
        self.topics = 0

    async def send(self, chat_id, message, thread_id, edit_message_id):
        self.sent.append((chat_id, message, thread_id, edit_message_id))
        return Delivered(edit_message_id or len(self.sent) + 1000)

    async def create_topic(self, chat_id, name):
        self.topics += 1
        return 70 + self.topics


@pytest.fixture
async def world(database_url):
    engine = create_engine(database_url)
    await upgrade(engine)
    sessions = session_factory(engine)
    staff = StaffDirectory(StaffSettings(chat_id=STAFF_CHAT, agents=[11, 12] + list(range(100, 150)),
                                         supervisors=[21]))
    transport = RecordingTransport()
    sender = OutboxSender(sessions, transport, STAFF_CHAT)
    service = TicketService(sessions, staff, TicketViews())
    contacts = ContactRepository(sessions)
    enterprise = await contacts.ensure("telegram", "501", "501", "张老板")
    yield service, sender, transport, staff, enterprise, sessions
    await engine.dispose()


async def test_create_posts_topic_card_and_acknowledgement(world):
    service, sender, transport, staff, enterprise, sessions = world
    ticket = await service.create(enterprise.id, "legal", "客户欠款<script>", [
        Content("photo", "合同", "file-1", "501", 9)])
    assert await sender.deliver_due() is None
    staff = [(m, thread) for c, m, thread, _ in transport.sent if c == str(STAFF_CHAT)]
    assert [m.kind for m, _ in staff] == ["text", "copy"]  # each chat keeps its order
    card, thread = staff[0]
    assert "客户欠款&lt;script&gt;" in card.text and thread == 71
    enterprise = [m for c, m, _, _ in transport.sent if c == "501"]
    assert [b.data for b in card.buttons[0]] == [f"tk:claim:{ticket.id}", f"tk:resolve:{ticket.id}",
                                                 f"tk:close:{ticket.id}"]
    assert len(enterprise) == 1 and f"#{ticket.id}" in enterprise[0].text
    found = await service.get(ticket.id)
    card_id = next(1001 + i for i, (c, m, _, _) in enumerate(transport.sent) if m is card)
    assert found[0].staff_card_message_id == card_id and found[0].staff_thread_id == 71
    assert [e.action for e in found[3]] == ["created"]


@concurrent_transactions
async def test_fifty_concurrent_claims_have_one_winner(world):
    """Fails on PostgreSQL when the claim reads the ticket, then updates it (check-then-act):
    15 winners of 50 when tried."""
    service, sender, transport, staff, enterprise, sessions = world
    ticket = await service.create(enterprise.id, "financing", "想贷款")
    actors = [staff.actor(i, f"agent{i}") for i in range(100, 150)]
    outcomes = await asyncio.gather(*(service.claim(ticket.id, a) for a in actors))
    winners = [o for o in outcomes if o.ok]
    assert len(winners) == 1
    losers = [o for o in outcomes if not o.ok]
    assert len(losers) == 49 and {o.reason for o in losers} == {"taken"}
    owner = (await service.get(ticket.id))[0]
    assert all(o.params["name"] == owner.assignee_name for o in losers)
    async with sessions() as session:
        claims = (await session.scalars(select(TicketEvent).where(
            TicketEvent.action == "claimed"))).all()
    assert len(claims) == 1


async def test_reply_note_resolve_rate_flow(world):
    service, sender, transport, staff, enterprise, sessions = world
    agent = staff.actor(11, "李四")
    ticket = await service.create(enterprise.id, "legal", "合同纠纷")
    assert (await service.reply(ticket.id, agent, Content("text", "请提供合同 <b>原件</b>"))).ok
    assert (await service.note(ticket.id, agent, "内部：客户很急")).ok
    await sender.deliver_due()
    to_enterprise = [m for c, m, _, _ in transport.sent if c == "501"]
    assert any("请提供合同 &lt;b&gt;原件&lt;/b&gt;" in m.text for m in to_enterprise)
    assert not any("内部" in (m.text or "") for _, m, _, _ in transport.sent)
    state = await service.get(ticket.id)
    assert state[0].status == Status.WAITING and state[0].first_response_at is not None
    assert state[1].human_ticket_id == ticket.id

    relayed = await service.enterprise_message(enterprise.id, Content("text", "好的，已上传"))
    assert relayed.ok and (await service.get(ticket.id))[0].status == Status.IN_PROGRESS

    assert (await service.resolve(ticket.id, agent, "已出具律师函")).ok
    other = await ContactRepository(sessions).ensure("telegram", "777", "777", "路人")
    assert (await service.rate(other.id, ticket.id, 5)).reason == "not_yours"
    assert (await service.rate(enterprise.id, ticket.id, 9)).reason == "bad_rating"
    assert (await service.rate(enterprise.id, ticket.id, 2)).ok
    assert (await service.rate(enterprise.id, ticket.id, 3)).reason == "already_rated"
    await sender.deliver_due()
    texts = [m.text or "" for c, m, _, _ in transport.sent if c == "501"]
    assert any("已出具律师函" in t for t in texts)
    assert any("重新打开" in b.text for c, m, _, _ in transport.sent if c == "501"
               for row in m.buttons for b in row)
    assert (await service.reopen_by_enterprise(other.id, ticket.id)).reason == "not_yours"
    assert (await service.reopen_by_enterprise(enterprise.id, ticket.id)).ok
    events = [e.action for e in (await service.get(ticket.id))[3]]
    assert events == ["created", "claimed", "replied", "note", "replied", "resolved", "rated",
                      "reopened"]


async def test_agents_cannot_touch_others_tickets_or_assign(world):
    service, sender, transport, staff, enterprise, sessions = world
    ticket = await service.create(enterprise.id, "hr", "招聘")
    a, b, boss = staff.actor(11, "甲"), staff.actor(12, "乙"), staff.actor(21, "主管")
    outsider = staff.actor(999, "外人")
    assert (await service.claim(ticket.id, outsider)).reason == "forbidden"
    assert (await service.claim(ticket.id, a)).ok
    assert (await service.resolve(ticket.id, b, "x")).reason == "taken"
    assert (await service.assign(ticket.id, a, "12")).reason == "forbidden"
    assert (await service.assign(ticket.id, boss, "999")).reason == "not_staff"
    assert (await service.assign(ticket.id, boss, "12")).ok
    assert (await service.resolve(ticket.id, b, "好了")).ok
    assert (await service.close(ticket.id, b)).ok
    assert (await service.close(ticket.id, b)).reason == "cannot_closed"
    assert (await service.set_priority(ticket.id, boss, "bogus")).reason == "bad_priority"


async def test_failed_delivery_waits_as_told_then_is_sent_once(world):
    service, sender, transport, staff, enterprise, sessions = world
    from bot.delivery.outbox import RetryLater

    failed = []
    original = transport.send

    async def flooded_once(chat_id, *args):
        if chat_id == "501" and not failed:
            failed.append(chat_id)
            raise RetryLater(30.0, "flood control: retry after 30", "429")
        return await original(chat_id, *args)

    transport.send = flooded_once
    started = utcnow()
    await service.create(enterprise.id, "other", "测试")
    delay = await sender.deliver_due()
    assert 29 <= delay <= 30  # Telegram's 30 s, not the first backoff step (1 s)
    async with sessions() as session:
        rows = {r.purpose: r for r in await session.scalars(select(OutboxMessage))}
    assert {p: r.status for p, r in rows.items()} == {
        "topic": "sent", "card": "sent", "notify": "pending"}
    assert (aware(rows["notify"].next_attempt_at) - started).total_seconds() >= 29.9
    async with sessions.begin() as session:  # 30 s later (moving time, not waiting for it)
        await session.execute(update(OutboxMessage).values(next_attempt_at=started))
    assert await sender.deliver_due() is None
    async with sessions() as session:
        rows = {r.purpose: r for r in await session.scalars(select(OutboxMessage))}
    assert {p: (r.status, r.attempts) for p, r in rows.items()} == {
        "topic": ("sent", 1), "card": ("sent", 1), "notify": ("sent", 2)}
    assert [c for c, *_ in transport.sent].count("501") == 1  # delivered once


@pytest.mark.parametrize("attempts, retry_after, waits", [
    (0, 30.0, 30.0),  # Telegram's delay when it is longer than the backoff step (1 s)
    (0, 1000.0, 1000.0),  # longer than any backoff step (they stop at 300 s)
    (5, 3.0, 32.0),  # the backoff step when it is longer (0.5 × 2^6)
])
async def test_a_retry_waits_for_the_longer_of_retry_after_and_the_backoff(
        world, attempts, retry_after, waits):
    service, sender, transport, staff, enterprise, sessions = world
    from bot.delivery.outbox import RetryLater

    async def flooded(*args):
        raise RetryLater(retry_after, f"flood control: retry after {retry_after}", "429")

    transport.send = flooded
    async with sessions.begin() as session:
        enqueue(session, "501", Outgoing(text="您好"), "reply").attempts = attempts
    started = utcnow()
    delay = await sender.deliver_due()
    async with sessions() as session:
        row = (await session.scalars(select(OutboxMessage))).one()
    waited = (aware(row.next_attempt_at) - started).total_seconds()
    assert (row.status, row.attempts) == ("pending", attempts + 1)
    assert waits - 0.5 <= waited <= waits + 1 and waits - 0.5 <= delay <= waits + 1


async def test_blocked_enterprise_is_marked_and_staff_are_told(world):
    service, sender, transport, staff, enterprise, sessions = world
    from bot.delivery.outbox import Unreachable

    original = transport.send

    async def blocked(chat_id, message, thread_id, edit_message_id):
        if chat_id == "501":
            raise Unreachable("Forbidden: bot was blocked by the user")
        return await original(chat_id, message, thread_id, edit_message_id)

    transport.send = blocked
    ticket = await service.create(enterprise.id, "legal", "合同纠纷")
    await sender.deliver_due()
    found = await service.get(ticket.id)
    assert found[1].unreachable_at is not None
    notices = [m.text for c, m, thread, _ in transport.sent
               if c == str(STAFF_CHAT) and "屏蔽" in (m.text or "")]
    assert len(notices) == 1 and f"#{ticket.id}" in notices[0]
    assert (await service.delivery(ticket.id))["failed"] == 1


async def test_staff_group_migration_moves_the_sender(world):
    service, sender, transport, staff, enterprise, sessions = world
    from bot.delivery.outbox import Migrated

    original = transport.send

    async def migrating(chat_id, message, thread_id, edit_message_id):
        if chat_id == str(STAFF_CHAT):
            raise Migrated(-100999)
        return await original(chat_id, message, thread_id, edit_message_id)

    transport.send = migrating
    await service.create(enterprise.id, "other", "测试迁移")
    await sender.deliver_due()
    assert sender.staff_chat_id == -100999
    assert any(c == "-100999" for c, *_ in transport.sent)
