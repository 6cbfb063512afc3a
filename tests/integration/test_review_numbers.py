"""Unanswered review (issue 15, item 9): a listing's group numbers are never reused, so a
number from an earlier listing is refused instead of naming another group; /undo_addition
takes an /attach or /draft out of the staff additions file."""
from __future__ import annotations

import yaml

from bot.app.services import running_services
from bot.app.staff_commands import run_command
from bot.requests.staff_directory import Actor, Role
from knowledge.loader import STAFF_FILE

AGENT = Actor("staff", "7001", "王工", Role.AGENT)
SUPERVISOR = Actor("staff", "7003", "赵主管", Role.SUPERVISOR)
DRAFT = ("/draft {n} projects | 专精特新企业怎么申报？ | 先认定创新型中小企业，再申报。 | "
         "《优质中小企业梯度培育管理暂行办法》")


async def ask(services, *texts: str) -> None:
    for text in texts:
        await services.assistant.ask(text, channel="test", user_ref="u1", lang="zh-CN")


async def command(services, actor: Actor, text: str):
    name, *args = text.lstrip("/").split()
    return await run_command(services, actor, name, args)


def numbers_of(text: str) -> dict[str, int]:
    """Group number by its leading wording, as the listing shows them."""
    found = {}
    for line in text.splitlines():
        if line.startswith("<b>") and "</b> " in line:
            found[line.split("</b> ")[1].split("　×")[0]] = int(line[3:line.index(".")])
    return found


async def test_a_number_from_an_earlier_listing_is_refused(settings):
    async with running_services(settings) as services:
        await ask(services, "专精特新怎么申报", "专精特新怎么申报", "可以开发票吗")
        first = numbers_of((await command(services, AGENT, "/unanswered")).text)
        assert first == {"专精特新怎么申报": 1, "可以开发票吗": 2}
        await ask(services, "可以开发票吗", "可以开发票吗", "注册商标要多久")  # the order changes
        second = numbers_of((await command(services, AGENT, "/unanswered")).text)
        assert set(second.values()) == {3, 4, 5}  # no number of the first listing comes back
        stale = await command(services, AGENT, "/attach 1 projects-zjtx-apply")
        assert not stale.ok and "第 1 组来自您较早的列表" in stale.text and "3–5" in stale.text
        assert not (services.knowledge.directory / STAFF_FILE).exists()
        beyond = await command(services, AGENT, "/attach 6 projects-zjtx-apply")
        assert not beyond.ok and "没有第 6 组" in beyond.text


async def test_undo_an_attach_and_a_draft(settings):
    async with running_services(settings) as services:
        await ask(services, "对方欠钱不还怎么起诉", "专精特新怎么申报")
        groups = numbers_of((await command(services, SUPERVISOR, "/unanswered")).text)
        path = services.knowledge.directory / STAFF_FILE
        attached = await command(
            services, SUPERVISOR, f"/attach {groups['对方欠钱不还怎么起诉']} debt-limitation-period")
        assert attached.ok and "/undo_addition 1" in attached.text
        drafted = await command(services, SUPERVISOR, DRAFT.format(n=groups["专精特新怎么申报"]))
        assert drafted.ok and "/undo_addition 2" in drafted.text
        with_both = path.read_text(encoding="utf-8")

        refused = await command(services, AGENT, "/undo_addition 1")
        assert not refused.ok and "不能使用这个命令" in refused.text
        assert "用法：/undo_addition" in (await command(services, SUPERVISOR, "/undo_addition")).text

        undone = await command(services, SUPERVISOR, "/undo_addition 1")
        assert undone.ok and "debt-limitation-period" in undone.text
        assert "对方欠钱不还怎么起诉" in undone.text
        records = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert [r.get("id") for r in records] == ["projects-staff-1"]
        again = await command(services, SUPERVISOR, "/undo_addition 1")
        assert not again.ok and "没有编号为 1 的添加" in again.text

        assert (await command(services, SUPERVISOR, "/undo_addition 2")).ok
        assert not yaml.safe_load(path.read_text(encoding="utf-8"))
        assert (await command(services, SUPERVISOR, "/reload")).ok
        assert services.knowledge.kb.get("projects-staff-1") is None
        assert "添加 1：" in with_both and "添加 2：" in with_both


async def test_undo_refuses_to_break_a_later_addition(settings):
    async with running_services(settings) as services:
        await ask(services, "专精特新怎么申报", "注册商标要多久")
        groups = numbers_of((await command(services, SUPERVISOR, "/unanswered")).text)
        assert (await command(services, SUPERVISOR, DRAFT.format(n=groups["专精特新怎么申报"]))).ok
        assert (await command(services, SUPERVISOR,
                              f"/attach {groups['注册商标要多久']} projects-staff-1")).ok
        kept = await command(services, SUPERVISOR, "/undo_addition 1")  # 2 extends the draft
        assert not kept.ok and "projects-staff-1" in kept.text
        assert "projects-staff-1" in (services.knowledge.directory / STAFF_FILE).read_text(
            encoding="utf-8")
        assert (await command(services, SUPERVISOR, "/undo_addition 2")).ok
        assert (await command(services, SUPERVISOR, "/undo_addition 1")).ok
