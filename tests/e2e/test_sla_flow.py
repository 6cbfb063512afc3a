"""Service-level alerts in the staff group and follow-up visits (回访) through the fake Bot API.

Time is the services' clock, set by the test; the scheduled check is called directly at the
chosen instants (the background one would do the same, once a minute)."""
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.app.scheduler import run_due
from tests.e2e.harness import AGENT_A, OUTSIDER, OWNER, STAFF_GROUP, SUPERVISOR, world
from tests.e2e.test_staff_flow import card_id

CST = ZoneInfo("Asia/Shanghai")


class Clock:
    def __init__(self, start: str) -> None:
        self.set(start)

    def __call__(self) -> datetime:
        return self.now

    def set(self, text: str) -> datetime:
        self.now = datetime.fromisoformat(text).replace(tzinfo=CST).astimezone(timezone.utc)
        return self.now


async def human_request(env) -> dict:
    await env.say(OWNER, "/human")
    await env.reply_to(OWNER["id"], "已为您转接平台工作人员")
    return await env.reply_to(STAFF_GROUP, "企业请求人工服务")


def answers(env) -> list[str]:
    return [c.params.get("text", "") for c in env.fake.calls if c.method == "answerCallbackQuery"]


async def test_reminder_then_escalation_mentioning_the_supervisor(tmp_path, kb_dir):
    async with world(tmp_path, kb_dir, "polling") as env:
        clock = Clock("2026-11-27 16:30")  # Friday: the first response is due Monday 17:30
        env.services.clock = clock
        card = await human_request(env)
        topic, number = card["message_thread_id"], card_id(card)
        assert "首次响应 11-30 17:30" in card["text"]

        clock.set("2026-11-30 16:45")
        await run_due(env.services, clock())
        reminder = await env.reply_to(STAFF_GROUP, "时限将到")
        assert reminder["message_thread_id"] == topic
        assert f"#{number} 首次响应时限将到：还剩 45 分钟" in reminder["text"]
        assert "负责人：未认领" in reminder["text"]

        clock.set("2026-11-30 17:30")
        await run_due(env.services, clock())
        await run_due(env.services, clock())  # a second check finds nothing more to send
        escalation = await env.reply_to(STAFF_GROUP, "已超过首次响应时限")
        assert escalation["message_thread_id"] == topic
        assert {"type": "text_link", "url": f"tg://user?id={SUPERVISOR['id']}"}.items() <= next(
            e for e in escalation["entities"] if e["type"] == "text_link").items()
        await env.fake.wait_for(lambda: "⚠️已超时" in next(
            m for m in env.fake.sent(STAFF_GROUP) if m["message_id"] == card["message_id"]
        )["text"])
        alerts = [m for m in env.fake.sent(STAFF_GROUP)
                  if "时限将到" in (m.get("text") or "") or "已超过" in (m.get("text") or "")]
        assert len(alerts) == 2


@pytest.mark.parametrize("answer", ["yes", "no"])
async def test_follow_up_answered_by_the_enterprise(tmp_path, kb_dir, answer):
    async with world(tmp_path, kb_dir, "polling") as env:
        clock = Clock("2026-11-27 10:00")
        env.services.clock = clock
        card = await human_request(env)
        topic, number = card["message_thread_id"], card_id(card)
        await env.staff(AGENT_A, f"/resolve {number} 已出具律师函模板", thread_id=topic)
        await env.reply_to(OWNER["id"], "已办结")

        clock.set("2026-12-04 10:30")  # seven days later
        await run_due(env.services, clock())
        question = await env.reply_to(OWNER["id"], "问题解决了吗")
        assert env.button(question, f"fu:{number}:yes") and env.button(question, f"fu:{number}:no")

        await env.press(OUTSIDER, card, f"fu:{number}:no")  # not their request
        await env.fake.wait_for(lambda: "这不是您的需求。" in answers(env))
        await env.press(OWNER, question, f"fu:{number}:{answer}")
        await env.fake.wait_for(lambda: "已收到您的回答，谢谢！" in answers(env))
        if answer == "yes":
            notice = await env.reply_to(STAFF_GROUP, "企业表示问题已解决")
            await env.reply_to(OWNER["id"], "很高兴")
        else:
            notice = await env.reply_to(STAFF_GROUP, "企业表示问题没有解决，需求已重新打开")
            await env.reply_to(OWNER["id"], "已重新打开")
            await env.fake.wait_for_call("reopenForumTopic", message_thread_id=topic)
        assert notice["message_thread_id"] == topic

        await env.press(OWNER, question, f"fu:{number}:yes")  # a second press is harmless
        await env.fake.wait_for(lambda: any("已经回答过" in text for text in answers(env)))
        ticket = (await env.services.tickets.get(number))[0]
        assert ticket.followup_result == ("solved" if answer == "yes" else "unsolved")
        assert ticket.status == ("resolved" if answer == "yes" else "reopened")
        await env.staff(AGENT_A, f"/ticket {number}")
        details = await env.reply_to(STAFF_GROUP, "处理记录")
        assert "📞 回访：问题" in details["text"]
