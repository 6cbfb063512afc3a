"""Service events: invitations through the outbox with a sign-up button, capacity and the
waiting list, the reminder the day before, attendance, the report's figures; bad input."""
import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from bot.app.event_commands import events
from bot.app.services import running_services
from bot.app.staff_commands import run_command
from bot.requests.staff_directory import Actor, Role
from storage.models import Event, EventSignup, OutboxMessage, Subscription
from tests.integration.test_console import chat

AGENT = Actor("staff", "7003", "赵工", Role.AGENT)
SUPERVISOR = Actor("staff", "7009", "孙主管", Role.SUPERVISOR)
DEC_3 = datetime(2026, 12, 3, 2, 0, tzinfo=timezone.utc)
CREATE = "[行业:制造] 对接会 2026-12-20 14:30 2 市民中心301 银企融资对接会"


@pytest.fixture
async def services(settings):
    async with running_services(settings) as services:
        now = [DEC_3]
        services.clock = lambda: now[0]
        services.extras["now"] = now
        people = []
        for n, industry in enumerate(("汽车制造业", "制造业", "食品制造", "软件"), 1):
            contact = await services.contacts.ensure("telegram", str(800 + n), str(800 + n))
            people.append(contact)
            async with services.sessions.begin() as session:
                session.add(Subscription(contact_id=contact.id, topics="all"))
            from bot.requests.contacts import ProfileInput
            await services.contacts.save_profile(contact.id, ProfileInput(
                f"企业{n}有限公司", "91350100M000100Y43", "张三", "13800138000"))
            async with services.sessions.begin() as session:
                from storage.models import EnterpriseProfile
                (await session.get(EnterpriseProfile, contact.id)).industry = industry
        services.extras["people"] = people
        yield services


async def outbox(services, purpose="event"):
    async with services.sessions() as session:
        return list(await session.scalars(select(OutboxMessage).where(
            OutboxMessage.purpose == purpose).order_by(OutboxMessage.id)))


async def test_invite_sign_up_wait_promote_remind_attend_and_report(services):
    a, b, c, _ = services.extras["people"]
    refused = await run_command(services, AGENT, "event", [CREATE])
    assert not refused.ok  # supervisors create events
    created = await run_command(services, SUPERVISOR, "event", [CREATE])
    assert created.ok and "A1" in created.text and "3 家订阅企业" in created.text
    invitations = await outbox(services)
    assert sorted(m.chat_id for m in invitations) == ["801", "802", "803"]
    payload = json.loads(invitations[0].payload)
    assert "银企融资对接会" in payload["text"] and "2026-12-20 14:30" in payload["text"]
    assert payload["buttons"][0][0]["data"] == "ev:join:1" and invitations[0].priority == 1

    service = events(services)
    assert (await service.sign_up(a.id, 1)).key == "registered"
    assert (await service.sign_up(b.id, 1)).key == "registered"
    waiting = await service.sign_up(c.id, 1)
    assert (waiting.key, waiting.position) == ("waiting", 1)
    assert (await service.sign_up(a.id, 1)).key == "already_registered"
    assert (await service.sign_up(c.id, 1)).key == "already_waiting"
    assert (await service.sign_up(a.id, 99)).key == "missing"
    assert (await service.leave(a.id, 1)).key == "left"
    promoted = [m for m in await outbox(services) if m.chat_id == "803"][-1]
    assert "已从候补转为正式报名" in json.loads(promoted.payload)["text"]
    assert (await service.leave(a.id, 1)).key == "not_signed"
    async with services.sessions() as session:
        statuses = dict((await session.execute(select(
            EventSignup.contact_id, EventSignup.status))).all())
    assert statuses == {a.id: "cancelled", b.id: "registered", c.id: "registered"}

    assert await service.remind_due(datetime(2026, 12, 19, 5, 0, tzinfo=timezone.utc)) == 0
    day_before = datetime(2026, 12, 19, 7, 0, tzinfo=timezone.utc)  # 15:00, a day ahead
    assert await service.remind_due(day_before) == 2
    assert await service.remind_due(day_before + timedelta(hours=1)) == 0  # once
    reminders = [m for m in await outbox(services) if "提醒" in json.loads(m.payload)["text"]]
    assert sorted(m.chat_id for m in reminders) == ["802", "803"]

    roster = await run_command(services, AGENT, "event_roster", ["1"])
    assert "已报名 2/2，候补 0" in roster.text and "1. 企业2有限公司" in roster.text
    assert not (await run_command(services, AGENT, "attended", ["1", "3"])).ok
    assert (await run_command(services, AGENT, "attended", ["1", "2"])).ok
    assert "已签到 1" in (await run_command(services, AGENT, "event_roster", ["1"])).text

    report = await run_command(services, AGENT, "report", ["2026-12"])
    assert "服务活动：举办 1 场，报名 2 家次，出席 1 家次" in report.text

    services.extras["now"][0] = datetime(2026, 12, 20, 7, 0, tzinfo=timezone.utc)
    assert (await service.sign_up(a.id, 1)).key == "closed"


@pytest.mark.parametrize("text, says", [
    ("对接会 2026-12-01 14:30 2 市民中心 标题", "已经过去"),
    ("对接会 2026-12-20 25:30 2 市民中心 标题", "无法识别"),
    ("茶话会 2026-12-20 14:30 2 市民中心 标题", "对接会"),
    ("培训 2026-12-20 14:30 0 市民中心 标题", "容量"),
    ("培训 2026-12-20 14:30 二十 市民中心 标题", "容量"),
    ("[颜色:红] 培训 2026-12-20 14:30 20 市民中心 标题", "颜色"),
    ("培训 2026-12-20 14:30", "不完整"),
])
async def test_bad_events_are_refused_and_nothing_sent(services, text, says):
    result = await run_command(services, SUPERVISOR, "event", [text])
    assert not result.ok and says in result.text, result.text
    async with services.sessions() as session:
        assert (await session.scalars(select(Event))).first() is None
    assert await outbox(services) == []


async def test_events_in_the_terminal(settings):
    text = await chat(
        settings, "/subscribe all", "/skip", "/skip",
        "/as staff", "/event 培训 2030-01-10 09:00 1 市民中心 融资政策培训",
        "/as enterprise", "/join 1", "/join 1", "/myevents", "/leave 1", "/join x", "/quit")
    assert "已创建活动 A1" in text
    assert "[报名 → /join 1]" in text  # the invitation reached the terminal with its button
    assert "报名成功" in text and "您已经报名了这个活动" in text
    assert "A1《融资政策培训》" in text and "已取消报名" in text and "用法：/join" in text
