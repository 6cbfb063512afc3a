"""Issue 17 on Telegram: an expired answer is flagged as under review with the hand-off button,
a high-risk answer has the button under its referral line, and supervisors get /kbstatus. The
services' clock is fixed, so the date never comes from the machine."""
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from tests.e2e.harness import AGENT_A, OWNER, STAFF_GROUP, SUPERVISOR, world
from tests.kb_marks import mark

NOW = datetime(2027, 3, 26, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")).astimezone(timezone.utc)


def buttons(message: dict) -> list[str]:
    return [b.get("callback_data") for row in message["reply_markup"]["inline_keyboard"]
            for b in row]


async def test_expired_and_high_risk_answers_offer_staff_and_kbstatus_lists_them(tmp_path,
                                                                                 kb_dir):
    mark(kb_dir, "labor-probation-length", valid_until="2027-03-25")
    mark(kb_dir, "labor-double-wage", risk="high")
    async with world(tmp_path, kb_dir, "polling") as env:
        env.services.clock = lambda: NOW
        await env.say(OWNER, "试用期最长可以约定多久？")
        flagged = await env.reply_to(OWNER["id"], "正在复核")
        assert "2027-03-25" in flagged["text"] and "试用期不得超过" not in flagged["text"]
        assert buttons(flagged) == ["human", "new"]
        await env.say(OWNER, "/topics")  # chosen from a topic's list: flagged just the same
        topics = await env.reply_to(OWNER["id"], "请选择主题")
        labor = next(b["callback_data"] for row in topics["reply_markup"]["inline_keyboard"]
                     for b in row if b["text"] == "劳动用工")
        await env.press(OWNER, topics, labor)
        page = await env.reply_to(OWNER["id"], "【劳动用工】")
        await env.press(OWNER, page, "kb:labor-probation-length")
        await env.reply_to(OWNER["id"], "正在复核", after=env.count(OWNER["id"]) - 1)
        await env.say(OWNER, "没签劳动合同要付双倍工资吗？")
        risky = await env.reply_to(OWNER["id"], "二倍的工资")
        assert "建议先核对劳动合同" in risky["text"] and buttons(risky)[0] == "human"
        await env.press(OWNER, risky, "human")  # the button hands the question to staff
        await env.reply_to(STAFF_GROUP, "企业请求人工服务")
        await env.staff(AGENT_A, "/kbstatus")
        await env.reply_to(STAFF_GROUP, "不是平台工作人员")
        await env.staff(SUPERVISOR, "/kbstatus")
        # (the scheduler may post its weekly reminder too: that one starts with a warning)
        listing = await env.fake.wait_for(lambda: next((
            m for m in env.fake.sent(STAFF_GROUP)
            if (m.get("text") or "").startswith("知识库时效（2027-03-26")), None), 5.0)
        assert "labor-probation-length" in listing["text"] and "已过 1 天" in listing["text"]
