"""Staff are told when the working calendar does not cover the next 30 days (issue 15, item
11): at start, on the staff side of the terminal chat and in /stats."""
from __future__ import annotations

import logging
from datetime import datetime, timezone

from bot.app.services import running_services
from bot.channels.console_chat import run_console

DECEMBER = datetime(2026, 12, 6, 4, 0, tzinfo=timezone.utc)
JUNE = datetime(2026, 6, 1, 4, 0, tzinfo=timezone.utc)


async def lines(*items):
    for item in items:
        yield item + "\n"


async def staff_side(settings, now) -> str:
    out: list[str] = []
    async with running_services(settings) as services:
        services.clock = lambda: now
        await run_console(services, "zh-CN", lines("/as staff", "/stats", "/quit"), out.append)
    return "\n".join(out)


async def test_december_without_next_years_holidays_warns_staff(settings):
    text = await staff_side(settings, DECEMBER)
    assert text.count("工作日历没有覆盖未来 30 天") == 2  # on /as staff and in /stats
    assert "2027 年" in text and "calendar.holidays" in text


async def test_a_covered_month_says_nothing(settings):
    assert "工作日历没有覆盖" not in await staff_side(settings, JUNE)


async def test_start_logs_the_gap(settings, caplog, monkeypatch):
    monkeypatch.setattr("bot.app.services.utcnow", lambda: DECEMBER)
    with caplog.at_level(logging.WARNING, logger="bot.app.services"):
        async with running_services(settings):
            pass
    assert any("calendar.holidays" in r.getMessage() for r in caplog.records)
