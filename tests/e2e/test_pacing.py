"""Outgoing messages stay within Telegram's limits (emulated strictly by the fake)."""
from tests.e2e.harness import STAFF_GROUP, world
from tests.fakebot import builders as b


async def test_bursts_are_paced_with_zero_flood_errors(tmp_path, kb_dir):
    # A little above the fake's strict 1/s per chat: the send leaves after it is scheduled.
    async with world(tmp_path, kb_dir, "polling", SME_TELEGRAM__PACE_CHAT_S="1.15",
                     SME_TELEGRAM__PACE_GROUP_PER_MINUTE="20",
                     SME_TELEGRAM__PACE_OVERALL_PER_S="25") as env:
        limits = env.fake.enable_rate_limits()
        users = [b.user(60_000 + i, f"U{i}") for i in range(40)]
        for user in users:
            env.fake.add_user(user)
            env.fake.user_text(user, "试用期最长可以约定多久")
            env.fake.user_text(user, "没签劳动合同要付双倍工资吗")  # two answers to one chat
        for i in range(3):
            env.fake.user_command(users[i], "/human")  # cards for the staff group
        await env.fake.wait_for(
            lambda: all(sum("来源" in (m.get("text") or "") for m in env.fake.sent(u["id"])) == 2
                        for u in users), timeout=30)
        await env.fake.wait_for(lambda: len(env.fake.sent(STAFF_GROUP)) >= 3, timeout=30)
        assert limits.flood_count == 0
