"""Staff triage and two-way relay in the staff group, restarts, access and webhook safety."""
import aiohttp
import pytest

from tests.e2e.harness import (
    AGENT_A, AGENT_B, OUTSIDER, OWNER, STAFF_GROUP, SUPERVISOR, fake_world, running_bot, world,
)
from tests.fakebot import builders as b
from tests.metrics_scrape import scrape, value

MODES = ["polling", "webhook"]


async def human_ticket(env) -> tuple[dict, int]:
    """The owner asks for a person; returns the staff card and its forum topic."""
    await env.say(OWNER, "试用期最长可以约定多久")
    await env.reply_to(OWNER["id"], "第19条")
    await env.say(OWNER, "/human")
    await env.reply_to(OWNER["id"], "已为您转接平台工作人员")
    card = await env.reply_to(STAFF_GROUP, "企业请求人工服务")
    assert "试用期最长可以约定多久" in card["text"]  # the recent question travels along
    return card, card["message_thread_id"]


@pytest.mark.parametrize("mode", MODES)
async def test_claim_relay_note_resolve_rate(tmp_path, kb_dir, mode):
    async with world(tmp_path, kb_dir, mode) as env:
        card, topic = await human_ticket(env)
        claim = env.button(card, "tk:claim:")
        # Two staff press Claim at once: one wins, the other is told who has it.
        await env.press(AGENT_A, card, claim)
        await env.press(AGENT_B, card, claim)
        await env.fake.wait_for(lambda: len([c for c in env.fake.calls
                                             if c.method == "answerCallbackQuery"]) >= 2)
        texts = [c.params.get("text", "") for c in env.fake.calls
                 if c.method == "answerCallbackQuery"]
        assert any("已认领" in t for t in texts) and any("已由 王工 负责" in t for t in texts)
        edited = await env.fake.wait_for(lambda: next(
            (m for m in env.fake.sent(STAFF_GROUP) if "负责人：王工" in (m.get("text") or "")),
            None))
        assert edited["message_id"] == card["message_id"]  # the card itself was edited
        await env.reply_to(OWNER["id"], "王工 负责处理")

        # Staff reply in the topic reaches the enterprise as 平台工作人员.
        await env.staff(AGENT_A, "您好，请把合同发来 <看看>", thread_id=topic)
        relayed = await env.reply_to(OWNER["id"], "请把合同发来 <看看>")
        assert "平台工作人员" in relayed["text"] and env.button(relayed, "human:end")
        # A photo reply is copied.
        chat = env.fake.chats[STAFF_GROUP]
        photo = env.fake.add_file(b"\x89PNG", "photos")
        msg = b.photo_message(chat, AGENT_A, env.fake.next_message_id(STAFF_GROUP),
                              photo.ref(), caption="示例", thread_id=topic)
        await env.push(message=msg)
        await env.fake.wait_for_call("copyMessage", chat_id=OWNER["id"])
        # The enterprise answers: it lands in the staff topic, not in the matcher.
        before = len(await env.services.questions.recent())
        await env.say(OWNER, "合同在这里，请看")
        follow = await env.reply_to(STAFF_GROUP, "合同在这里，请看")
        assert follow.get("message_thread_id") == topic
        assert len(await env.services.questions.recent()) == before
        # An internal note is never relayed.
        sent_to_owner = env.count(OWNER["id"])
        await env.staff(AGENT_A, "// 客户比较着急，优先处理", thread_id=topic)
        await env.staff(AGENT_A, f"/resolve {card_id(card)} 已出具律师函模板", thread_id=topic)
        resolved = await env.reply_to(OWNER["id"], "已办结")
        assert all("客户比较着急" not in (m.get("text") or "")
                   for m in env.fake.sent(OWNER["id"]))
        assert env.count(OWNER["id"]) >= sent_to_owner + 1
        await env.press(OWNER, resolved, env.button(resolved, "rate:").rsplit(":", 1)[0] + ":5")
        await env.reply_to(OWNER["id"], "感谢您的评价")
        await env.reply_to(STAFF_GROUP, "企业评分：★★★★★")
        ticket, *_rest, events, messages = await env.services.tickets.get(card_id(card))
        assert ticket.status == "resolved" and ticket.rating == 5
        assert [m.direction for m in messages].count("note") == 1
        assert {"created", "claimed", "replied", "note", "resolved", "rated"} <= {
            e.action for e in events}


def card_id(card: dict) -> int:
    return int(card["text"].split("#", 1)[1].split()[0])


async def test_non_staff_are_refused(tmp_path, kb_dir):
    async with world(tmp_path, kb_dir, "polling") as env:
        card, topic = await human_ticket(env)
        await env.press(OUTSIDER, card, env.button(card, "tk:claim:"))
        call = await env.fake.wait_for_call("answerCallbackQuery")
        assert "不是平台工作人员" in call.params["text"]
        await env.staff(OUTSIDER, f"/take {card_id(card)}")
        await env.reply_to(STAFF_GROUP, "不是平台工作人员")
        await env.say(OUTSIDER, "/queue")
        await env.reply_to(OUTSIDER["id"], "不是平台工作人员")
        # An enterprise cannot rate or reopen someone else's request.
        await env.press(OUTSIDER, card, f"rate:{card_id(card)}:1")
        await env.fake.wait_for(lambda: any(
            "这不是您的需求" in c.params.get("text", "") for c in env.fake.calls
            if c.method == "answerCallbackQuery"))
        assert (await env.services.tickets.get(card_id(card)))[0].assignee_id is None


async def test_staff_commands(tmp_path, kb_dir):
    async with world(tmp_path, kb_dir, "polling") as env:
        card, topic = await human_ticket(env)
        n = card_id(card)
        await env.staff(AGENT_A, "/queue")
        await env.reply_to(STAFF_GROUP, "待处理队列")
        await env.staff(AGENT_A, f"/assign {n} {AGENT_B['id']}")
        await env.reply_to(STAFF_GROUP, "不是平台工作人员")  # agents may not assign... refused
        await env.staff(SUPERVISOR, f"/assign {n} {AGENT_B['id']}")
        await env.reply_to(STAFF_GROUP, "分派给")
        await env.staff(AGENT_B, f"/priority {n} urgent")
        await env.reply_to(STAFF_GROUP, "优先级已调整")
        await env.staff(AGENT_B, f"/reply {n} 已收到，明天联系您")
        await env.reply_to(OWNER["id"], "已收到，明天联系您")
        await env.staff(AGENT_B, f"/transfer {n} 市市场监管局")
        await env.reply_to(OWNER["id"], "市市场监管局")
        await env.staff(AGENT_B, f"/ticket {n}")
        details = await env.reply_to(STAFF_GROUP, "处理记录")
        assert "消息送达" in details["text"]
        await env.staff(AGENT_B, "/mine")
        await env.reply_to(STAFF_GROUP, "我负责的需求")
        await env.staff(AGENT_B, f"/close {n}")
        await env.reply_to(STAFF_GROUP, "已关闭")
        await env.staff(AGENT_B, f"/reopen {n}")
        await env.reply_to(OWNER["id"], "已重新打开")
        await env.staff(AGENT_B, "/take")
        await env.reply_to(STAFF_GROUP, "用法：/take 编号")
        await env.staff(OUTSIDER, "/whoami")
        await env.reply_to(STAFF_GROUP, "非工作人员")
        await env.staff(SUPERVISOR, "/reload")
        await env.reply_to(STAFF_GROUP, "知识库已重新加载")


async def test_restart_in_the_middle_of_intake_resumes(tmp_path, kb_dir):
    async with fake_world(tmp_path, kb_dir, "polling") as (fake, settings):
        async with running_bot(fake, settings, "polling") as env:
            await env.say(OWNER, "/new")
            categories = await env.reply_to(OWNER["id"], "请选择需求类别")
            await env.press(OWNER, categories, "cat:financing")
            await env.say(OWNER, "想申请一笔信用贷款 50 万")
            more = await env.reply_to(OWNER["id"], "已收到")
        # The first application has stopped; a new one on the same database continues.
        async with running_bot(fake, settings, "polling") as env:
            await restart_continues(env, more)


async def restart_continues(env, more: dict) -> None:
    await env.press(OWNER, more, "intake:done")
    await env.reply_to(OWNER["id"], "企业全称")
    for text in ("某某公司", "91350100M000100Y43", "张三", "13800138000"):
        await env.say(OWNER, text)
    industry = await env.reply_to(OWNER["id"], "所属行业")
    await env.press(OWNER, industry, "ind:0")
    consent = await env.reply_to(OWNER["id"], "是否同意")
    await env.press(OWNER, consent, "consent:yes")
    confirm = await env.reply_to(OWNER["id"], "请确认")
    assert "想申请一笔信用贷款 50 万" in confirm["text"]
    await env.press(OWNER, confirm, "intake:confirm")
    await env.reply_to(OWNER["id"], "已受理，编号")


async def test_webhook_secret_and_redelivery(tmp_path, kb_dir):
    async with world(tmp_path, kb_dir, "webhook") as env:
        url = env.fake.webhook["url"]
        before = await scrape(env.settings.web.host, env.settings.web.port)
        async with aiohttp.ClientSession() as session:
            for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
                async with session.post(url, json={"update_id": 1}, headers=headers) as resp:
                    assert resp.status == 403
            async with session.get(url.rsplit("/telegram", 1)[0] + "/healthz") as resp:
                assert resp.status == 200 and (await resp.json())["status"] == "ok"
        update_id = await env.say(OWNER, "试用期最长可以约定多久")
        await env.reply_to(OWNER["id"], "第19条")
        assert await env.fake.redeliver(update_id) == 200
        await env.say(OWNER, "/help")
        await env.reply_to(OWNER["id"], "怎么用")
        answers = [m for m in env.fake.sent(OWNER["id"]) if "第19条" in (m.get("text") or "")]
        assert len(answers) == 1  # the re-delivered update was processed once
        after = await scrape(env.settings.web.host, env.settings.web.port)
        for result, more in (("duplicate", 1), ("forbidden", 2)):
            assert (value(after, "sme_webhook_requests_total", result=result)
                    - value(before, "sme_webhook_requests_total", result=result)) == more


async def test_polling_deduplicates_a_repeated_update(tmp_path, kb_dir):
    async with world(tmp_path, kb_dir, "polling") as env:
        update_id = await env.say(OWNER, "试用期最长可以约定多久")
        await env.reply_to(OWNER["id"], "第19条")
        # Telegram re-sends the same update (e.g. after a restart before the offset was confirmed).
        msg = b.text_message(b.private_chat(OWNER), OWNER, "试用期最长可以约定多久", 999)
        env.fake.next_update_id = update_id  # the fake hands out the same update_id again
        env.fake.push_update(message=msg)
        await env.say(OWNER, "/help")
        await env.reply_to(OWNER["id"], "怎么用")
        answers = [m for m in env.fake.sent(OWNER["id"]) if "第19条" in (m.get("text") or "")]
        assert len(answers) == 1
