"""The enterprise profile (issue 15, item 8): 所属行业 asked in the intake from the configured
list and filled into the ledger, /profile to view and edit it, and a second /new confirming
with the saved company."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.app.services import running_services
from tests.integration.test_console import chat
from bot.foundation.periods import parse_period
from bot.reports.ledger import ledger_rows
from storage.models import EnterpriseProfile

BEIJING = ZoneInfo("Asia/Shanghai")
PROFILE = ("某某科技有限公司", "91350100M000100Y43", "张三", "13800138000")


async def ledger(settings) -> list:
    async with running_services(settings) as services:
        period = parse_period("month", BEIJING, services.clock().astimezone(BEIJING).date())
        return [row async for batch in ledger_rows(services.sessions, period, services.calendar)
                for row in batch]


async def test_industry_is_asked_and_fills_the_ledger(settings):
    text = await chat(settings, "/new", "2", "客户欠款二十万", "/done", *PROFILE,
                      "航天", "99", "1", "y", "y", "/quit")
    assert "所属行业（可选）" in text and "1. 制造业" in text
    assert text.count("请输入列表中的行业编号") == 2  # an unknown name, a number off the list
    [row] = await ledger(settings)
    assert row.industry == "制造业"
    assert (row.contact_name, row.phone) == ("张三", "13800138000")


async def test_industry_can_be_skipped(settings):
    await chat(settings, "/new", "2", "客户欠款", "/done", *PROFILE, "0", "y", "y", "/quit")
    [row] = await ledger(settings)
    assert row.industry == "" and row.company == "某某科技有限公司"


async def test_a_second_request_confirms_with_the_saved_company(settings):
    await chat(settings, "/new", "2", "客户欠款", "/done", *PROFILE, "1", "y", "y", "/quit")
    text = await chat(settings, "/new", "1", "想申请贷款", "/done", "/quit")
    assert "企业：某某科技有限公司" in text
    assert "企业：\n" not in text


async def test_profile_shows_and_edits_the_saved_details(settings):
    assert "还没有保存企业信息" in await chat(settings, "/profile", "/quit")
    await chat(settings, "/new", "2", "客户欠款", "/done", *PROFILE, "0", "y", "y", "/quit")
    text = await chat(settings, "/profile", "/profile 电话 123", "/profile 电话 13900139000",
                      "/profile 行业 2", "/profile 行业 航天", "/profile 年龄 3",
                      "/profile", "/quit")
    assert "企业名称：某某科技有限公司" in text and "所属行业：（未填写）" in text
    assert "电话号码格式不正确" in text
    assert "已更新联系电话：13900139000" in text and "已更新所属行业：批发和零售业" in text
    assert "请输入列表中的行业编号" in text and "没有“年龄”这一项" in text
    assert text.rstrip().endswith("再见！祝生意兴隆。")
    last = text[text.rindex("企业信息（提交第一个需求时保存）"):]
    assert "联系电话：13900139000" in last and "所属行业：批发和零售业" in last
    [row] = await ledger(settings)
    assert row.phone == "13900139000" and row.industry == "批发和零售业"


async def test_skipping_the_industry_keeps_one_given_earlier(settings):
    async with running_services(settings) as services:
        contact = await services.contacts.ensure("console", "console", "console")
        async with services.sessions.begin() as session:
            session.add(EnterpriseProfile(contact_id=contact.id, industry="建筑业"))  # /subscribe
    await chat(settings, "/new", "2", "客户欠款", "/done", *PROFILE, "0", "y", "y", "/quit")
    [row] = await ledger(settings)
    assert row.industry == "建筑业" and row.company == "某某科技有限公司"
