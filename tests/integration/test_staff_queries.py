"""What staff look up (issue 15, item 8): /queue filters, /find by company or credit code,
/ticket with the conversation. Over the shared core, as every channel runs them."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import update

from bot.app.services import running_services
from bot.app.staff_commands import run_command
from bot.requests.contacts import ProfileInput
from bot.requests.staff_directory import Actor, Role
from bot.requests.tickets import Content
from storage.models import Ticket

ADMIN = Actor("staff", "9001", "王工", Role.ADMIN)
OTHER = Actor("staff", "9002", "李工", Role.AGENT)
NOW = datetime(2026, 12, 6, 4, 0, tzinfo=timezone.utc)


async def command(services, actor: Actor, text: str):
    name, _, rest = text.lstrip("/").partition(" ")
    from bot.app.staff_commands import REGISTRY
    return await run_command(services, actor, name, REGISTRY[name].args_of(rest))


async def seed(services) -> None:
    """#1 甲 legal, claimed by 王工, resolved; #2 甲 financing, open; #3 乙 financing, claimed by
    李工; #4 乙 legal, filed last month."""
    people = []
    for n, (company, code) in enumerate((("甲科技有限公司", "91350100M000100Y43"),
                                         ("乙软件有限公司", "91350100M000200Y21"))):
        contact = await services.contacts.ensure("test", f"u{n}", f"c{n}", f"用户{n}")
        await services.contacts.save_profile(contact.id, ProfileInput(company, code, "张三",
                                                                      "13800138000"))
        people.append(contact.id)
    tickets = services.tickets
    for contact, category, text in ((people[0], "legal", "合同纠纷"),
                                    (people[0], "financing", "申请贷款"),
                                    (people[1], "financing", "上云补贴"),
                                    (people[1], "legal", "商标被抢注")):
        await tickets.create(contact, category, text)
    await tickets.claim(1, ADMIN)
    await tickets.resolve(1, ADMIN, "已出具律师函")
    await tickets.claim(3, OTHER)
    async with services.sessions.begin() as session:
        await session.execute(update(Ticket).where(Ticket.id == 4).values(
            created_at=NOW - timedelta(days=40)))


def numbers(text: str) -> list[int]:
    return [int(line[1:].split()[0].split("【")[0]) for line in text.splitlines()
            if line.startswith("#")]


async def test_queue_filters(settings):
    async with running_services(settings) as services:
        services.clock = lambda: NOW
        await seed(services)
        assert numbers((await command(services, ADMIN, "/queue")).text) == [2, 4, 3]
        assert numbers((await command(services, ADMIN, "/queue 已解决")).text) == [1]
        assert numbers((await command(services, ADMIN, "/queue resolved")).text) == [1]
        assert sorted(numbers((await command(services, ADMIN, "/queue 全部 融资")).text)) == [2, 3]
        assert numbers((await command(services, ADMIN, "/queue @李工")).text) == [3]
        assert numbers((await command(services, ADMIN, "/queue 全部 @王工")).text) == [1]
        assert numbers((await command(services, ADMIN, "/queue 未认领 法律咨询")).text) == [4]
        assert sorted(numbers((await command(services, ADMIN, "/queue 全部 本月")).text)) == [1, 2, 3]
        assert numbers((await command(services, ADMIN, "/queue 全部 2026-10")).text) == [4]
        filtered = await command(services, ADMIN, "/queue 已关闭")
        assert filtered.ok and "没有符合筛选（已关闭）的需求" in filtered.text
        refused = await command(services, ADMIN, "/queue 随便")
        assert not refused.ok and "看不懂“随便”" in refused.text


async def test_find_by_company_name_or_credit_code(settings):
    async with running_services(settings) as services:
        await seed(services)
        by_name = await command(services, ADMIN, "/find 甲科技")
        assert numbers(by_name.text) == [2, 1] and "甲科技有限公司" in by_name.text
        by_code = await command(services, ADMIN, "/find 91350100m000200y21")
        assert numbers(by_code.text) == [4, 3]
        assert "没有找到" in (await command(services, ADMIN, "/find 丙%")).text
        assert not (await command(services, ADMIN, "/find")).ok


async def test_ticket_shows_the_conversation(settings):
    async with running_services(settings) as services:
        await seed(services)
        for n in range(12):
            await services.tickets.reply(2, ADMIN, Content("text", f"第 {n} 条回复"))
        await services.tickets.note(2, ADMIN, "内部看法")
        recent = await command(services, ADMIN, "/ticket 2")
        assert "往来消息</b>（共 14 条，显示最近 10 条；全部：/ticket 2 all）" in recent.text
        assert "工作人员 王工：第 11 条回复" in recent.text and "王工（内部备注）：内部看法" in recent.text
        assert "第 2 条回复" not in recent.text and "企业 用户0：申请贷款" not in recent.text
        everything = await command(services, ADMIN, "/ticket 2 all")
        assert "企业 用户0：申请贷款" in everything.text and "第 0 条回复" in everything.text
        assert not (await command(services, ADMIN, "/ticket 2 some")).ok
