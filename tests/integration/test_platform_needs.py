"""The platform's own work in the ledger: the enterprise register, needs recorded by staff
(phone, visit, survey, event) and visits — through the staff commands every channel runs."""
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from bot.app.services import running_services
from bot.app.staff_commands import REGISTRY, run_command
from bot.reports.stats import collect
from bot.foundation.periods import parse_period
from bot.requests.contacts import ProfileInput
from bot.requests.staff_directory import Actor, Role
from storage.models import (
    Contact, Enterprise, OutboxMessage, Ticket, TicketEvent, TicketMessage, Visit,
)
from tests.integration.test_console import chat

AGENT = Actor("staff", "7003", "赵工", Role.AGENT)
OUTSIDER = Actor("enterprise", "9999", "路人", None)
CODE = "91350100M000100Y43"
OTHER_CODE = "91350100M000200Y2L"
DEC_3 = datetime(2026, 12, 3, 2, 0, tzinfo=timezone.utc)


@pytest.fixture
async def services(settings):
    async with running_services(settings) as services:
        services.clock = lambda: DEC_3
        yield services


async def count(services, model, *where) -> int:
    async with services.sessions() as session:
        return await session.scalar(select(func.count()).select_from(model).where(*where))


async def test_register_record_and_handle_like_a_chat_request(services):
    result = await run_command(services, AGENT, "enterprise", [
        CODE, "甲科技有限公司", "行业=制造业", "区=青秀区", "规模=小型", "电话=13800138000"])
    assert result.ok and "已登记企业" in result.text and "甲科技有限公司" in result.text
    result = await run_command(services, AGENT, "record", [
        "甲科技", "融资", "需要流动资金贷款300万元", "电话"])
    assert result.ok, result.text
    assert "已记录需求 #1" in result.text and "来源：电话" in result.text
    result = await run_command(services, AGENT, "record", [
        CODE, "法律", "走访", "有一笔", "货款被拖欠"])  # source third, category by its prefix
    assert result.ok and "#2" in result.text and "法律咨询" in result.text

    async with services.sessions() as session:
        tickets = list(await session.scalars(select(Ticket).order_by(Ticket.id)))
        contact = await session.get(Contact, tickets[0].contact_id)
        events = list(await session.scalars(select(TicketEvent).order_by(TicketEvent.id)))
        enterprise = await session.scalar(select(Enterprise))
        messages = list(await session.scalars(select(OutboxMessage.chat_id)))
    assert [(t.source, t.category, t.status, t.origin) for t in tickets] == [
        ("phone", "financing", "new", "staff"), ("visit", "legal", "new", "staff")]
    assert tickets[1].description == "有一笔 货款被拖欠"
    assert contact.channel == "register" and contact.enterprise_id == enterprise.id
    assert tickets[0].contact_id == tickets[1].contact_id  # one register contact
    assert [(e.action, e.actor_id, e.detail) for e in events] == [
        ("created", "7003", "phone"), ("created", "7003", "visit")]
    assert set(messages) == {"staff"}  # cards for staff; nothing to a chat that does not exist

    # Handled by the same commands, counted by the same statistics.
    assert (await run_command(services, AGENT, "take", ["1"])).ok
    assert (await run_command(services, AGENT, "resolve", ["1", "已对接银行"])).ok
    queue = await run_command(services, AGENT, "queue", [])
    assert "#2" in queue.text
    stats = await collect(services.sessions, parse_period(
        "2026-12", services.calendar.tz, DEC_3.date()), services.calendar)
    assert (stats.logged, stats.resolved, stats.enterprises) == (2, 1, 1)


async def test_a_visit_ties_its_needs_to_it(services):
    await run_command(services, AGENT, "enterprise", [OTHER_CODE, "乙软件有限公司"])
    text = ("乙软件 2026-12-01 了解生产经营情况\n需求 融资 扩产需要贷款500万元\n"
            "需求 项目申报 想申报高新技术企业\n厂房租约明年到期")
    result = await run_command(services, AGENT, "visit", [text])
    assert result.ok, result.text
    assert "V1" in result.text and "发现需求 2 项（#1、#2）" in result.text
    async with services.sessions() as session:
        visit = await session.scalar(select(Visit))
        tickets = list(await session.scalars(select(Ticket).order_by(Ticket.id)))
    assert visit.visited_on.isoformat() == "2026-12-01" and visit.staff_name == "赵工"
    assert visit.notes == "了解生产经营情况\n厂房租约明年到期"
    assert [(t.source, t.visit_id, t.category) for t in tickets] == [
        ("visit", 1, "financing"), ("visit", 1, "project")]
    assert REGISTRY["visit"].raw


@pytest.mark.parametrize("command, args, says", [
    ("record", ["91350100M000100Y44", "融资", "贷款", "电话"], "校验位不正确"),
    ("record", ["丁公司", "融资", "贷款需求", "电话"], "企业名录中没有"),
    ("record", ["甲科技", "贷款", "贷款需求", "电话"], "不认识的需求类别"),
    ("record", ["甲科技", "融资", "贷款需求", "微信"], "请写明需求来源"),
    ("record", ["甲科技", "融资", "电话"], "用法：/record"),
    ("record", ["有限公司", "融资", "贷款需求", "电话"], "对应多家企业"),
    ("visit", ["甲科技 2026-12-09 下周去"], "还没到"),
    ("visit", ["甲科技 2026-13-01 走访"], "无法识别"),
    ("visit", ["甲科技 2026-12-01 走访\n需求 天气 下雨"], "不认识的需求类别"),
    ("visit", ["不存在的公司 走访"], "企业名录中没有"),
    ("enterprise", ["91350100M000100Y44", "丙公司"], "校验位不正确"),
    ("enterprise", [OTHER_CODE], "企业名录中没有"),
    ("enterprise", [OTHER_CODE, "规模=巨型"], "企业规模应为"),
    ("enterprise", [OTHER_CODE, "电话=123"], "电话号码格式不正确"),
    ("enterprise", [OTHER_CODE, "行业=制造业"], "请在统一社会信用代码后写上企业名称"),
])
async def test_bad_input_is_refused_and_nothing_recorded(services, command, args, says):
    await run_command(services, AGENT, "enterprise", [CODE, "甲科技有限公司"])
    await run_command(services, AGENT, "enterprise", ["91350100M000300Y06", "丙科技有限公司"])
    before = await count(services, Enterprise)
    result = await run_command(services, AGENT, command, args)
    assert not result.ok and says in result.text, result.text
    assert await count(services, Ticket) == 0 and await count(services, Visit) == 0
    assert await count(services, Enterprise) == before


async def test_only_staff_record(services):
    await run_command(services, AGENT, "enterprise", [CODE, "甲科技有限公司"])
    for command, args in (("record", ["甲科技", "融资", "贷款需求", "电话"]),
                          ("visit", ["甲科技 走访"]), ("enterprise", [OTHER_CODE, "乙公司"])):
        result = await run_command(services, OUTSIDER, command, args)
        assert not result.ok and "不是平台工作人员" in result.text
    assert await count(services, Ticket) == 0 and await count(services, Enterprise) == 1


async def test_a_profile_given_in_chat_links_its_contact_to_the_register(services):
    await run_command(services, AGENT, "enterprise", [CODE, "甲科技有限公司", "行业=制造业"])
    contact = await services.contacts.ensure("telegram", "601", "601", "张三")
    await services.contacts.save_profile(contact.id, ProfileInput(
        "甲科技有限公司", CODE, "张三", "13800138000"))
    async with services.sessions() as session:
        linked = await session.get(Contact, contact.id)
        enterprise = await session.scalar(select(Enterprise))
    assert linked.enterprise_id == enterprise.id and enterprise.industry == "制造业"
    assert enterprise.contact_name == "张三" and await count(services, Enterprise) == 1
    assert await count(services, TicketMessage) == 0


async def test_the_platform_work_in_the_terminal(settings, tmp_path):
    settings.reports.dir = tmp_path / "reports"
    text = await chat(
        settings, "/as staff", f"/enterprise {CODE} 甲科技有限公司 规模=小型",
        "/record 甲科技 项目 想申报高新技术企业 走访", "/record 丁公司 融资 贷款 电话",
        "/resolve 1 材料已提交", "/outcome 1 项目=高企 级别=国家 结果=获批",
        "/report month", "/quit")
    assert "已登记企业" in text and "规模：小型" in text
    assert "已记录需求 #1：甲科技有限公司，项目申报，来源：走访" in text
    assert "企业名录中没有“丁公司”" in text
    assert "请补充 #1 的申报成果" in text and "高企（国家级）：获批" in text
    assert "服务企业数：1 家（按来源：走访 1）" in text and "项目申报：帮助 1 家企业申报获批" in text
    assert "platform-report.png" in text and ".xlsx" in text


async def test_the_guided_record_dialog_in_the_terminal(settings):
    text = await chat(
        settings, "/as staff", f"/enterprise {CODE} 甲科技有限公司",
        "/record", "丁公司", "甲科技", "天气", "法律", "微信", "电话", "有一笔货款被拖欠",
        "/record", "甲科技", "取消", "/queue", "/quit")
    async with running_services(settings) as services:
        async with services.sessions() as session:
            tickets = list(await session.scalars(select(Ticket)))
    assert "第 1 步：企业名称或统一社会信用代码" in text and "企业名录中没有“丁公司”" in text
    assert "第 2 步：需求类别" in text and "第 3 步：需求来源" in text
    assert "已记录需求 #1：甲科技有限公司，法律咨询，来源：电话" in text
    assert "已取消，没有记录任何内容" in text and "待处理队列" in text
    assert [(t.category, t.source, t.description) for t in tickets] == [
        ("legal", "phone", "有一笔货款被拖欠")]
