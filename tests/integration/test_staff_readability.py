"""What staff and enterprises read: one time zone, translated labels, readable /human requests
(issue 15, items 4 and 5), in the terminal chat over the shared core."""
from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.app.services import running_services
from bot.channels.console_chat import run_console
from bot.reports.ledger import ledger_rows
from bot.foundation.periods import parse_period
from storage.models import Ticket, TicketEvent, aware

BEIJING = ZoneInfo("Asia/Shanghai")
NEW_REQUEST = ("/new", "2", "客户欠款二十万", "/done", "某某科技有限公司", "91350100M000100Y43",
               "张三", "13800138000", "1", "y", "y")


async def lines(*items):
    for item in items:
        yield item + "\n"


async def chat(settings, *inputs, clock=None) -> tuple[str, list]:
    out: list[str] = []
    async with running_services(settings) as services:
        services.clock = clock or services.clock
        await run_console(services, "zh-CN", lines(*inputs), out.append)
        async with services.sessions() as session:
            events = list(await session.scalars(select(TicketEvent).order_by(TicketEvent.id)))
            tickets = list(await session.scalars(select(Ticket).order_by(Ticket.id)))
    return "\n".join(out), [events, tickets]


async def test_ticket_history_in_beijing_time_with_translated_actions(settings):
    text, (events, _) = await chat(settings, *NEW_REQUEST, "/as staff", "/take 1",
                                   "/ticket 1", "/quit")
    history = text[text.index("处理记录"):]
    for event in events:
        assert aware(event.at).astimezone(BEIJING).strftime("%m-%d %H:%M") in history
    assert "提交需求" in history and "认领" in history
    assert " created " not in history and " claimed " not in history


async def test_mytickets_dated_in_beijing_time(settings):
    evening = datetime(2026, 12, 6, 20, 0, tzinfo=timezone.utc)  # 12-07 04:00 in Beijing
    text, _ = await chat(settings, *NEW_REQUEST, "/mytickets", "/quit", clock=lambda: evening)
    assert "#1 2026-12-07" in text


async def test_priority_accepts_the_names_the_cards_show(settings):
    text, (_, tickets) = await chat(settings, *NEW_REQUEST, "/as staff", "/priority 1 紧急",
                                    "/priority 1 很急", "/quit")
    assert "#1 优先级已调整" in text
    assert tickets[0].priority == "urgent"
    assert "优先级应为：低（low） / 普通（normal） / 高（high） / 紧急（urgent）" in text


async def test_category_moves_a_misfiled_request_and_keeps_what_it_was(settings):
    text, (events, tickets) = await chat(settings, *NEW_REQUEST, "/as staff", "/category 1 人力",
                                         "/category 1 天气", "/category 1", "/ticket 1", "/quit")
    assert "#1 类别已修改" in text
    assert tickets[0].category == "hr"
    assert [e.detail for e in events if e.action == "category"] == ["legal → hr"]
    assert "需求类别应为：融资、法律咨询" in text and "用法：/category 编号 类别" in text
    assert "修改类别（法律咨询 → 人力资源）" in text[text.index("处理记录"):]


async def test_human_request_lists_the_recent_questions(settings):
    text, (_, tickets) = await chat(settings, "小型微利企业所得税怎么算？", "试用期最长可以约定多久？",
                                    "小型微利企业所得税怎么算？", "/human", "/mytickets", "/quit")
    description = tickets[0].description
    assert description == ("企业请求人工服务。最近问过：\n1. 小型微利企业所得税怎么算？\n"
                           "2. 试用期最长可以约定多久？")
    assert "→" not in description
    for dump in ("no_answer", "suggested", "answered", "见下方"):
        assert dump not in description and dump not in text
    assert "· 企业请求人工服务。最近问过： 1. 小型微利企业所得税怎么算？ 2. 试用期最…" in text  # /mytickets
    card = text[text.index("需求描述"):]
    assert "1. 小型微利企业所得税怎么算？" in card  # the card shows the questions themselves


async def test_human_request_without_questions(settings):
    _, (_, tickets) = await chat(settings, "/human", "/quit")
    assert tickets[0].description == "企业请求人工服务（之前没有提问）。"


async def test_ledger_shows_the_readable_human_request(settings):
    await chat(settings, "试用期最长可以约定多久？", "/human", "/quit")
    async with running_services(settings) as services:
        period = parse_period("month", BEIJING, services.clock().astimezone(BEIJING).date())
        rows = [row async for batch in ledger_rows(services.sessions, period, services.calendar)
                for row in batch]
    assert rows[0].description == "企业请求人工服务。最近问过：\n1. 试用期最长可以约定多久？"
