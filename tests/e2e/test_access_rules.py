"""Access rules not covered by the flow tests, and the staff audit log.

Each test here fails when its rule is taken out of the code (checked by disabling the rule).
"""
from sqlalchemy import select

from bot.foundation.i18n import t
from storage.models import StaffAction
from tests.e2e.harness import (
    AGENT_A, CLERK, OUTSIDER, OWNER, STAFF_GROUP, SUPERVISOR, file_request, world,
)


async def filed_and_resolved(env) -> tuple[int, dict]:
    """The owner files a request and an agent resolves it; returns its number and the
    resolution message (with the rating and reopen buttons)."""
    confirm = await file_request(env, OWNER, "legal", "对方拖欠货款 3 万元")
    await env.press(OWNER, confirm, "intake:confirm")
    accepted = await env.reply_to(OWNER["id"], "已受理，编号")
    ticket_id = int(accepted["text"].split("#", 1)[1].split("）")[0].split("（")[0].strip())
    await env.staff(AGENT_A, f"/resolve {ticket_id} 已出具律师函模板")
    resolved = await env.reply_to(OWNER["id"], "已办结")
    return ticket_id, resolved


async def test_another_enterprise_can_neither_rate_nor_reopen_a_request(tmp_path, kb_dir):
    async with world(tmp_path, kb_dir, "polling") as env:
        ticket_id, resolved = await filed_and_resolved(env)
        # The clerk replays the owner's buttons (callback data is checked against the sender).
        first = len(env.fake.calls)
        await env.press(CLERK, resolved, f"rate:{ticket_id}:1")
        await env.press(CLERK, resolved, f"reopen:{ticket_id}")
        await env.fake.wait_for(lambda: sum(
            c.method == "answerCallbackQuery" for c in env.fake.calls[first:]) >= 2)
        answers = [c.params.get("text", "") for c in env.fake.calls[first:]
                   if c.method == "answerCallbackQuery"]
        assert answers == [t("refuse.not_yours", "en")] * 2  # the clerk reads English
        ticket, *_ = await env.services.tickets.get(ticket_id)
        assert ticket.status == "resolved" and ticket.rating is None
        # The owner may do both.
        await env.press(OWNER, resolved, f"reopen:{ticket_id}")
        await env.reply_to(OWNER["id"], "已重新打开")
        assert (await env.services.tickets.get(ticket_id))[0].status != "resolved"


async def test_only_supervisors_reload_and_outsiders_are_not_relayed(tmp_path, kb_dir):
    async with world(tmp_path, kb_dir, "polling") as env:
        await env.say(OWNER, "/human")
        card = await env.reply_to(STAFF_GROUP, "企业请求人工服务")
        topic = card["message_thread_id"]
        await env.staff(AGENT_A, "/reload")
        await env.reply_to(STAFF_GROUP, "不是平台工作人员")
        assert not any("知识库已重新加载" in (m.get("text") or "")
                       for m in env.fake.sent(STAFF_GROUP))
        # A group member who is not staff writes in the request's topic: nothing is relayed.
        before = env.count(OWNER["id"])
        await env.staff(OUTSIDER, "我来冒充工作人员", thread_id=topic)
        await env.fake.wait_for(lambda: sum("不是平台工作人员" in (m.get("text") or "")
                                            for m in env.fake.sent(STAFF_GROUP)) >= 2)
        await env.staff(AGENT_A, "真正的答复", thread_id=topic)
        await env.reply_to(OWNER["id"], "真正的答复")
        assert all("冒充" not in (m.get("text") or "") for m in env.fake.sent(OWNER["id"])[before:])


async def test_audit_log_records_commands_buttons_and_refusals(tmp_path, kb_dir):
    async with world(tmp_path, kb_dir, "polling") as env:
        await env.say(OWNER, "/human")
        card = await env.reply_to(STAFF_GROUP, "企业请求人工服务")
        n = int(card["text"].split("#", 1)[1].split()[0])
        await env.press(AGENT_A, card, f"tk:claim:{n}")  # a button
        await env.fake.wait_for_call("answerCallbackQuery")
        await env.staff(AGENT_A, f"/note {n} 客户很着急")  # a command
        await env.reply_to(STAFF_GROUP, "备注")
        await env.staff(AGENT_A, f"/assign {n} {SUPERVISOR['id']}")  # wrong role
        await env.staff(OUTSIDER, f"/take {n}")  # not staff
        await env.press(OUTSIDER, card, f"tk:close:{n}")  # not staff, a button
        await env.staff(SUPERVISOR, f"/reopen {n}")  # refused by the rules (not closed)
        await env.fake.wait_for(lambda: sum("不是平台工作人员" in (m.get("text") or "")
                                            for m in env.fake.sent(STAFF_GROUP)) >= 2)
        await env.fake.wait_for(lambda: sum(c.method == "answerCallbackQuery"
                                            for c in env.fake.calls) >= 2)
        await env.staff(SUPERVISOR, "/queue")
        await env.reply_to(STAFF_GROUP, "待处理队列")
        async with env.services.sessions() as session:
            rows = list(await session.scalars(select(StaffAction).order_by(StaffAction.id)))
        logged = [(r.actor_id, r.role, r.action, r.ticket_id, r.outcome) for r in rows]
        agent, boss, outsider = str(AGENT_A["id"]), str(SUPERVISOR["id"]), str(OUTSIDER["id"])
        assert (agent, "agent", "button:claim", n, "ok") in logged
        assert (agent, "agent", "note", n, "ok") in logged
        assert (agent, "agent", "assign", None, "refused") in logged
        assert (outsider, None, "take", None, "refused") in logged
        assert (outsider, None, "button:close", n, "refused") in logged
        assert (boss, "supervisor", "reopen", n, "refused") in logged
        assert (boss, "supervisor", "queue", None, "ok") in logged
        names = {r.actor_id: r.actor_name for r in rows}
        assert names[agent] == "王工" and names[outsider] == "路人甲"


async def test_deleteme_erases_nothing_unless_confirmed(tmp_path, kb_dir):
    async with world(tmp_path, kb_dir, "polling") as env:
        confirm = await file_request(env, OWNER, "legal", "对方拖欠货款 3 万元")
        await env.press(OWNER, confirm, "intake:confirm")
        await env.reply_to(OWNER["id"], "已受理，编号")
        await env.say(OWNER, "/deleteme")
        ask = await env.reply_to(OWNER["id"], "删除后无法恢复")
        await env.press(OWNER, ask, "erase:no")
        await env.reply_to(OWNER["id"], t("tg.deleteme_kept", "zh-CN")[:6])
        contact = await env.services.contacts.ensure("telegram", str(OWNER["id"]), "x")
        assert await env.services.contacts.profile(contact.id) is not None
        assert (await env.services.tickets.get(1))[0].description == "对方拖欠货款 3 万元"


async def test_refusals_in_the_staff_group_are_rate_limited_and_private_when_possible(
        tmp_path, kb_dir):
    """Issue 16, item 5: a non-member's commands in the staff group spent the group's
    20-per-minute budget, one refusal each. Now: one refusal, then silence; and privately
    (costing the group nothing) when the person has started the bot."""
    async with world(tmp_path, kb_dir, "polling") as env:
        for text in ("/queue", "/take 1", "/stats", "/ticket 1"):
            await env.staff(OUTSIDER, text)
        await env.reply_to(STAFF_GROUP, "不是平台工作人员")
        await env.say(OUTSIDER, "/start")  # the outsider now has a private chat with the bot
        await env.say(OWNER, "/start")
        await env.reply_to(OWNER["id"], "中小企业公共服务平台")
        for text in ("/queue", "/mine", "/take 1"):
            await env.staff(OWNER, text)
        await env.reply_to(OWNER["id"], "工作人员群里使用的命令")
        before = env.count(STAFF_GROUP)
        await env.staff(AGENT_A, "/queue")  # a staff command: its answer comes after all that
        await env.reply_to(STAFF_GROUP, "", after=before)
        refusals = [m for m in env.fake.sent(STAFF_GROUP) if "不是平台工作人员" in m["text"]]
        assert len(refusals) == 1  # the outsider's first; the owner's went privately
        assert sum("工作人员群里" in m.get("text", "") for m in env.fake.sent(OWNER["id"])) == 1
