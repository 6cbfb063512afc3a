"""A broadcast at Telegram's real pace (the fake's rate-limit emulation on): zero flood errors,
and interactive answers to another user overtake the bulk backlog."""
from tests.e2e.test_broadcast import subscribe_directly
from tests.e2e.harness import STAFF_GROUP, SUPERVISOR, world
from tests.fakebot import builders as b

SUBSCRIBERS = 400  # more than the sender looks at in one round (outbox.BATCH)
QUESTIONS = ["试用期最长可以约定多久", "没签劳动合同要付双倍工资吗", "试用期最长可以约定多久",
             "没签劳动合同要付双倍工资吗"]


async def test_broadcast_is_paced_and_answers_overtake_it(tmp_path, kb_dir):
    async with world(tmp_path, kb_dir, "polling", SME_TELEGRAM__PACE_CHAT_S="1.15",
                     SME_TELEGRAM__PACE_GROUP_PER_MINUTE="20",
                     SME_TELEGRAM__PACE_OVERALL_PER_S="30") as env:
        users = [b.user(63_000 + i, f"B{i}") for i in range(SUBSCRIBERS)]
        for user in users:
            await subscribe_directly(env, user, {"market"})
        chats = {u["id"] for u in users}
        limits = env.fake.enable_rate_limits()

        def bulk_sent() -> int:
            return sum(1 for m in env.fake.sent() if m["chat"]["id"] in chats)

        await env.staff(SUPERVISOR, "/broadcast [类别:市场开拓] 展会报名通知")
        preview = await env.reply_to(STAFF_GROUP, f"收件企业：{SUBSCRIBERS} 家")
        await env.press(SUPERVISOR, preview, env.button(preview, "bc:send:"))
        progress = await env.reply_to(STAFF_GROUP, "发送中")
        await env.fake.wait_for(lambda: bulk_sent() >= 10, timeout=10)
        overtaken = []
        for i, question in enumerate(QUESTIONS):  # asked while most of the broadcast waits
            asker = env.fake.add_user(b.user(64_000 + i, f"Q{i}"))
            before = bulk_sent()
            await env.say(asker, question)
            await env.reply_to(asker["id"], "来源", timeout=10)
            overtaken.append((bulk_sent() - before, SUBSCRIBERS - bulk_sent()))
        # Each answer went out within about a second's worth of bulk messages (30), long
        # before the hundreds still waiting: interactive messages are not queued behind them.
        assert all(during <= 30 and left >= 250 for during, left in overtaken), overtaken
        await env.fake.wait_for(lambda: bulk_sent() == SUBSCRIBERS, timeout=90)
        await env.fake.wait_for(lambda: "发送完毕" in (env.fake.messages[
            (STAFF_GROUP, progress["message_id"])].get("text") or ""), timeout=10)
        assert limits.flood_count == 0
