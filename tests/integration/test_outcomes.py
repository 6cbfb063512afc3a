"""Outcomes: resolving a request asks for its outcome by category; `/outcome N …` records it
(later ones replace the same programme or institution); bad input is refused, nothing kept."""
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from bot.app.services import running_services
from bot.app.staff_commands import run_command
from bot.requests.outcomes import OutcomeError, amount_yuan
from bot.requests.staff_directory import Actor, Role
from storage.models import TicketEvent, TicketOutcome

AGENT = Actor("staff", "7003", "赵工", Role.AGENT)
OTHER_AGENT = Actor("staff", "7004", "钱工", Role.AGENT)
SUPERVISOR = Actor("staff", "7009", "孙主管", Role.SUPERVISOR)
OUTSIDER = Actor("enterprise", "9999", "路人", None)
CODE = "91350100M000100Y43"
DEC_3 = datetime(2026, 12, 3, 2, 0, tzinfo=timezone.utc)


@pytest.fixture
async def services(settings):
    async with running_services(settings) as services:
        services.clock = lambda: DEC_3
        await run_command(services, AGENT, "enterprise", [CODE, "甲科技有限公司"])
        for category in ("融资", "项目申报", "法律咨询", "政策咨询"):
            result = await run_command(services, AGENT, "record",
                                       ["甲科技", category, "需求描述", "电话"])
            assert result.ok
        yield services


async def outcomes(services) -> list[TicketOutcome]:
    async with services.sessions() as session:
        return list(await session.scalars(select(TicketOutcome).order_by(TicketOutcome.id)))


async def test_resolving_asks_for_the_outcome_of_the_category(services):
    asked = {}
    for ticket_id in (1, 2, 3, 4):
        result = await run_command(services, AGENT, "resolve", [str(ticket_id), "已办结"])
        assert result.ok
        asked[ticket_id] = result.text
    assert "/outcome 1 机构=" in asked[1] and "授信=" in asked[1]
    assert "/outcome 2 项目=" in asked[2] and "高企" in asked[2] and "自治区" in asked[2]
    assert "/outcome 3 挽回=" in asked[3]
    assert "/outcome 4 简要结果" in asked[4]


async def test_outcomes_recorded_replaced_and_shown(services):
    result = await run_command(services, AGENT, "outcome", ["1", "机构=农业银行", "授信=500",
                                                            "放款=300.5"])
    assert result.ok and "授信 500 万元，放款 300.5 万元" in result.text
    assert (await run_command(services, AGENT, "outcome",
                              ["2", "项目=高企", "级别=国家", "结果=待定"])).ok
    later = await run_command(services, AGENT, "outcome",
                              ["#2", "项目=高企", "级别=国家", "结果=获批"])
    assert later.ok and "已更新" in later.text
    assert (await run_command(services, AGENT, "outcome",
                              ["2", "项目=科小", "级别=自治区", "结果=获批"])).ok
    assert (await run_command(services, AGENT, "outcome", ["3", "挽回=12.3456"])).ok
    assert (await run_command(services, AGENT, "outcome", ["4", "已协助", "办理", "减免"])).ok
    saved = [(o.ticket_id, o.kind, o.institution, o.credit_yuan, o.disbursed_yuan, o.programme,
              o.level, o.result, o.recovered_yuan) for o in await outcomes(services)]
    assert saved == [
        (1, "financing", "农业银行", 5_000_000, 3_005_000, None, None, None, None),
        (2, "project", None, None, None, "高企", "国家", "获批", None),
        (2, "project", None, None, None, "科小", "自治区", "获批", None),
        (3, "legal", None, None, None, None, None, None, 123_456),
        (4, "other", None, None, None, None, None, "已协助 办理 减免", None)]
    shown = await run_command(services, AGENT, "outcome", ["2"])
    assert "高企（国家级）：获批" in shown.text and "科小（自治区级）：获批" in shown.text
    async with services.sessions() as session:
        events = await session.scalar(select(func.count()).select_from(TicketEvent).where(
            TicketEvent.action == "outcome"))
    assert events == 6


@pytest.mark.parametrize("args, says", [
    (["1", "机构=农业银行", "授信=-500"], "不能为负数"),
    (["1", "机构=农业银行", "授信=1000000000000"], "超过上限"),
    (["1", "机构=农业银行", "授信=10^12"], "无法识别"),
    (["1", "机构=农业银行", "授信=NaN"], "无法识别"),
    (["1", "机构=农业银行", "授信=0.00001"], "无法识别"),
    (["1", "机构=农业银行", "授信=100", "放款=200"], "不能超过授信"),
    (["1", "授信=100"], "请补充 #1 的融资成果"),
    (["1", "颜色=红"], "不认识的成果项"),
    (["2", "项目=火箭", "级别=国家", "结果=获批"], "不认识的项目"),
    (["2", "项目=高企", "级别=省", "结果=获批"], "级别应为"),
    (["2", "项目=高企", "级别=国家", "结果=大概"], "结果应为"),
    (["3", "挽回=-1"], "不能为负数"),
    (["99", "挽回=1"], "没有编号为 #99"),
    (["x", "挽回=1"], "用法：/outcome"),
])
async def test_bad_outcomes_are_refused_and_nothing_recorded(services, args, says):
    result = await run_command(services, AGENT, "outcome", args)
    assert not result.ok and says in result.text, result.text
    assert await outcomes(services) == []


async def test_only_staff_and_not_on_someone_elses_request(services):
    assert (await run_command(services, OTHER_AGENT, "take", ["3"])).ok
    refused = await run_command(services, AGENT, "outcome", ["3", "挽回=5"])
    assert not refused.ok and "已由 钱工 负责" in refused.text
    refused = await run_command(services, OUTSIDER, "outcome", ["3", "挽回=5"])
    assert not refused.ok and "不是平台工作人员" in refused.text
    assert await outcomes(services) == []
    assert (await run_command(services, SUPERVISOR, "outcome", ["3", "挽回=5"])).ok
    assert (await run_command(services, OTHER_AGENT, "outcome", ["3", "挽回=6"])).ok
    assert [o.recovered_yuan for o in await outcomes(services)] == [60_000]


def test_amounts_in_wan_as_whole_yuan():
    assert amount_yuan("500", 1e6) == 5_000_000
    assert amount_yuan("1.25万元", 1e6) == 12_500
    assert amount_yuan("0", 1e6) == 0
    assert amount_yuan("1000000", 1e6) == 10_000_000_000
    for bad in ("1000000.01", "-0.5", "abc", "Infinity", ""):
        with pytest.raises(OutcomeError):
            amount_yuan(bad, 1e6)
