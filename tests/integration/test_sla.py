"""Service-level alerts and follow-up visits with a controllable clock: the scan is called
directly at chosen instants, and its messages are read from the outbox."""
import asyncio
import json
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.channels.console_chat import run_console
from bot.delivery.outgoing import STAFF_CHAT, Outgoing
from bot.app.scheduler import run_due
from bot.app.services import running_services
from bot.requests.staff_directory import Actor, Role
from bot.requests.ticket_rules import Status
from bot.requests.tickets import Content
from storage.models import OutboxMessage, Ticket, TicketEvent

CST = ZoneInfo("Asia/Shanghai")
AGENT = Actor("staff", "11", "王工", Role.AGENT)
SUPERVISORS = [21, 22]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=CST).astimezone(timezone.utc)


class Clock:
    def __init__(self, start: str) -> None:
        self.now = at(start)

    def __call__(self) -> datetime:
        return self.now

    def set(self, text: str) -> datetime:
        self.now = at(text)
        return self.now


@pytest.fixture
def sla_settings(settings):
    settings.staff.supervisors = SUPERVISORS
    settings.staff.agents = [11]
    return settings


@pytest.fixture
async def services(sla_settings):
    async with running_services(sla_settings) as services:
        services.clock = Clock("2026-11-27 16:30")  # a Friday afternoon
        yield services


async def request(services, external_id: str = "501", lang: str = "zh-CN") -> Ticket:
    contact = await services.contacts.ensure("telegram", external_id, external_id, "张老板", lang)
    return await services.tickets.create(contact.id, "legal", "客户欠款")


async def sent(services, purpose: str) -> list[tuple[str, Outgoing]]:
    async with services.sessions() as session:
        rows = await session.scalars(select(OutboxMessage).where(
            OutboxMessage.purpose == purpose).order_by(OutboxMessage.id))
        return [(r.chat_id, Outgoing.from_json(json.loads(r.payload))) for r in rows]


async def ticket_row(services, ticket_id: int) -> Ticket:
    async with services.sessions() as session:
        return await session.get(Ticket, ticket_id)


async def actions(services, ticket_id: int) -> list[str]:
    async with services.sessions() as session:
        return list(await session.scalars(select(TicketEvent.action).where(
            TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id)))


def local(value: datetime) -> str:
    value = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return value.astimezone(CST).strftime("%Y-%m-%d %H:%M")


async def test_targets_count_working_time_across_a_weekend(services):
    ticket = await request(services)
    row = await ticket_row(services, ticket.id)
    # 8 working hours: 1 on Friday, 7 on Monday; 40: the rest of the week and Monday 14:30.
    assert local(row.first_response_due_at) == "2026-11-30 17:30"
    assert local(row.resolution_due_at) == "2026-12-07 14:30"
    assert await run_due(services, at("2026-11-28 12:00")) == 0  # Saturday: nothing runs
    assert await run_due(services, at("2026-11-30 16:00")) == 0  # 90 working minutes left

    assert await run_due(services, at("2026-11-30 16:45")) == 1
    [(chat, reminder)] = await sent(services, "sla")
    assert chat == STAFF_CHAT and reminder.in_ticket_thread
    assert f"#{ticket.id}" in reminder.text and "首次响应" in reminder.text
    assert "45 分钟" in reminder.text and "未认领" in reminder.text
    assert await run_due(services, at("2026-11-30 17:00")) == 0  # reminded once

    assert await run_due(services, at("2026-11-30 17:30")) == 1  # the target is missed
    escalation = (await sent(services, "sla"))[-1][1]
    assert "已超过首次响应时限" in escalation.text
    assert all(f'<a href="tg://user?id={s}">' in escalation.text for s in SUPERVISORS)
    assert await run_due(services, at("2026-11-30 17:45")) == 0
    assert await run_due(services, at("2026-12-01 10:00")) == 0
    assert (await actions(services, ticket.id))[-2:] == ["sla_remind", "sla_escalate"]
    card = (await sent(services, "card_edit"))[-1][1]
    assert "11-30 17:30 ⚠️已超时" in card.text and "12-07 14:30" in card.text


async def test_across_a_holiday_and_no_alerts_once_answered_or_resolved(services):
    services.clock.set("2026-09-30 16:00")  # the day before the National Day holiday
    ticket = await request(services)
    row = await ticket_row(services, ticket.id)
    assert local(row.first_response_due_at) == "2026-10-08 17:00"
    # 40 h: 1.5 on 30 Sep, then 8, 9, 10 (a make-up Saturday), 12, 13 October and 14 until 14:00.
    assert local(row.resolution_due_at) == "2026-10-14 14:00"
    assert await run_due(services, at("2026-10-01 10:00")) == 0
    assert await run_due(services, at("2026-10-07 17:00")) == 0
    assert await run_due(services, at("2026-10-08 16:05")) == 1  # reminder, 55 minutes left

    services.clock.set("2026-10-08 16:10")
    assert (await services.tickets.reply(ticket.id, AGENT, Content("text", "您好"))).ok
    assert await run_due(services, at("2026-10-08 17:30")) == 0  # answered: no escalation
    assert await run_due(services, at("2026-10-14 13:30")) == 1  # the resolution reminder
    services.clock.set("2026-10-14 13:40")
    assert (await services.tickets.resolve(ticket.id, AGENT, "已出具律师函")).ok
    assert await run_due(services, at("2026-10-14 14:30")) == 0  # resolved: no escalation
    alerts = [m.text for _, m in await sent(services, "sla")]
    assert len(alerts) == 2 and "首次响应" in alerts[0] and "办结" in alerts[1]
    assert "负责人：王工" in alerts[1]
    card = (await sent(services, "card_edit"))[-1][1]
    assert "10-08 17:00 ✓" in card.text and "10-14 14:00 ✓" in card.text
    assert "📞 回访：10-21 13:40" in card.text


async def test_reopening_restarts_the_resolution_target_and_its_alerts(services):
    ticket = await request(services)
    assert await run_due(services, at("2026-12-08 09:00")) == 2  # both targets missed
    services.clock.set("2026-12-08 09:30")
    assert (await services.tickets.resolve(ticket.id, AGENT, "已处理")).ok
    services.clock.set("2026-12-09 10:00")
    assert (await services.tickets.reopen(ticket.id, AGENT)).ok
    row = await ticket_row(services, ticket.id)
    assert local(row.resolution_due_at) == "2026-12-16 16:30"  # 40 h from the reopening
    assert row.resolution_reminded_at is None and row.resolution_escalated_at is None
    assert row.followup_due_at is None
    assert await run_due(services, at("2026-12-16 15:00")) == 0
    assert await run_due(services, at("2026-12-16 16:00")) == 1
    assert await run_due(services, at("2026-12-16 16:30")) == 1
    assert await run_due(services, at("2026-12-17 10:00")) == 0
    assert [a for a in await actions(services, ticket.id) if a.startswith("sla_")] == [
        "sla_escalate", "sla_escalate", "sla_remind", "sla_escalate"]


async def test_a_restart_or_a_second_process_sends_nothing_twice(sla_settings):
    clock = Clock("2026-11-27 16:30")
    async with running_services(sla_settings) as first:
        first.clock = clock
        ticket = await request(first)
        assert await run_due(first, at("2026-11-30 16:45")) == 1
    async with running_services(sla_settings) as again, running_services(sla_settings) as other:
        again.clock = other.clock = clock
        assert await run_due(again, at("2026-11-30 16:50")) == 0  # reminded before the restart
        counts = await asyncio.gather(run_due(again, at("2026-11-30 17:31")),
                                      run_due(other, at("2026-11-30 17:31")))
        assert sorted(counts) == [0, 1]  # two processes at once: one escalation
        assert await run_due(other, at("2026-12-07 14:00")) == 1  # resolution reminder
        assert await run_due(again, at("2026-12-07 14:00")) == 0
        assert [a for a in await actions(again, ticket.id) if a.startswith("sla_")] == [
            "sla_remind", "sla_escalate", "sla_remind"]


async def test_the_scheduler_checks_at_start_and_stops_cleanly(services):
    ticket = await request(services)
    services.clock.set("2026-12-01 09:00")  # first response overdue while "the bot was down"

    class Silent:
        async def send(self, *args):
            raise AssertionError("not delivering in this test")

        async def create_topic(self, *args):
            return None

    services.start_sender(Silent(), background=False)
    try:
        async def escalated():
            while (await ticket_row(services, ticket.id)).first_escalated_at is None:
                await asyncio.sleep(0.01)
        await asyncio.wait_for(escalated(), timeout=5)
    finally:
        await services.stop_sender()
    assert services.scheduler is None and len(await sent(services, "sla")) == 1


async def test_follow_up_answered_solved_once_by_its_own_enterprise(services):
    services.clock.set("2026-11-27 10:00")
    ticket = await request(services)
    stranger = await services.contacts.ensure("telegram", "502", "502", "路人")
    services.clock.set("2026-11-27 16:00")
    assert (await services.tickets.resolve(ticket.id, AGENT, "已出具律师函")).ok
    owner_id = ticket.contact_id
    early = await services.tickets.answer_followup(owner_id, ticket.id, True)
    assert not early.ok and early.reason == "not_asked"
    assert await run_due(services, at("2026-12-04 15:59")) == 0
    assert await run_due(services, at("2026-12-04 16:00")) == 1
    assert await run_due(services, at("2026-12-05 16:00")) == 0  # asked once
    [(chat, question)] = await sent(services, "followup")
    assert chat == "501" and "#%d" % ticket.id in question.text and "问题解决了吗" in question.text
    assert [b.data for b in question.buttons[0]] == [f"fu:{ticket.id}:yes", f"fu:{ticket.id}:no"]
    assert [b.text for b in question.buttons[0]] == ["问题已解决", "问题没有解决"]

    services.clock.set("2026-12-04 16:05")
    refused = await services.tickets.answer_followup(stranger.id, ticket.id, False)
    assert not refused.ok and refused.reason == "not_yours"
    assert (await services.tickets.answer_followup(owner_id, ticket.id, True)).ok
    again = await services.tickets.answer_followup(owner_id, ticket.id, False)
    assert not again.ok and again.reason == "answered"  # a second press changes nothing
    row = await ticket_row(services, ticket.id)
    assert row.status == Status.RESOLVED and row.followup_result == "solved"
    assert (await actions(services, ticket.id))[-2:] == ["followup_asked", "followup"]
    staff = [m.text for chat, m in await sent(services, "notify") if chat == STAFF_CHAT]
    assert any("企业表示问题已解决" in text for text in staff)
    details = await services.tickets.get(ticket.id)
    card = services.tickets.views.card(*details[:3]).text
    assert "📞 回访：问题已解决（12-04 16:05）" in card


async def test_follow_up_not_solved_reopens_in_the_enterprise_language(services):
    ticket = await request(services, "601", "en")
    services.clock.set("2026-11-30 10:00")
    assert (await services.tickets.resolve(ticket.id, AGENT, "done")).ok
    assert await run_due(services, at("2026-12-07 10:00")) == 1
    question = (await sent(services, "followup"))[0][1]
    assert "Is the problem solved?" in question.text
    services.clock.set("2026-12-07 11:00")
    assert (await services.tickets.answer_followup(ticket.contact_id, ticket.id, False)).ok
    row = await ticket_row(services, ticket.id)
    assert row.status == Status.REOPENED and row.followup_result == "unsolved"
    assert local(row.resolution_due_at) == "2026-12-14 17:30"  # the target restarted
    notices = await sent(services, "notify")
    assert any(chat == STAFF_CHAT and "企业表示问题没有解决" in m.text for chat, m in notices)
    assert any(chat == "601" and "has been reopened" in m.text for chat, m in notices)
    assert (await actions(services, ticket.id))[-2:] == ["followup", "reopened"]


async def test_no_follow_up_when_turned_off(sla_settings):
    sla_settings.sla.followup_days = 0
    async with running_services(sla_settings) as services:
        services.clock = Clock("2026-11-27 10:00")
        ticket = await request(services)
        assert (await services.tickets.resolve(ticket.id, AGENT, "已处理")).ok
        assert (await ticket_row(services, ticket.id)).followup_due_at is None
        assert await run_due(services, at("2027-03-01 10:00")) == 0


async def test_follow_up_in_the_terminal(sla_settings):
    out: list[str] = []
    async with running_services(sla_settings) as services:
        services.clock = Clock("2026-11-27 10:00")

        async def lines():
            for line in ("/new", "2", "客户欠款二十万", "/done", "某某科技有限公司",
                         "91350100M000100Y43", "张三", "13800138000", "1", "y", "y",
                         "/as staff", "/resolve 1 已出具律师函", "/as enterprise"):
                yield line
            services.clock.set("2026-12-04 10:00")
            await run_due(services, services.clock())
            for line in ("/followup 1 maybe", "/followup 1 no", "/followup 1 yes",
                         "/as staff", "/ticket 1", "/quit"):
                yield line

        await run_console(services, "zh-CN", lines(), out.append)
    text = "\n".join(out)
    assert "[问题已解决 → /followup 1 yes] [问题没有解决 → /followup 1 no]" in text
    assert "用法：/followup 需求编号 yes|no" in text
    assert "需求 #1 已重新打开" in text and "企业表示问题没有解决" in text
    assert "您已经回答过需求 #1 的回访了" in text
    assert "📞 回访：问题没有解决（12-04 10:00）" in text
    assert "办结时限还剩 40 小时 0 分钟工作时间" in text
