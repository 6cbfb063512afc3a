"""Fault soak: 2,000 answers while a quarter of the Bot API's send calls fail in mixed ways.

Every user gets an answer. Duplicates can only come from a send that Telegram carried out but
whose response was lost (a connection dropped after processing): the bot cannot know the message
arrived, so it sends again — Telegram's own at-least-once semantics. They are counted exactly.
"""
from tests.e2e.harness import world
from tests.fakebot import builders as b
from tests.fakebot.faults import bad_gateway, disconnect, flood, server_error, slow

USERS = 2000


async def test_every_message_is_delivered_under_mixed_faults(tmp_path, kb_dir):
    async with world(tmp_path, kb_dir, "polling") as env:
        fake = env.fake
        fake.fail_randomly(0.25, seed=7, kinds=[
            flood(1), server_error(), bad_gateway(), disconnect(),
            disconnect(after_processing=True), slow(6)])
        users = [b.user(80_000 + i, f"S{i}") for i in range(USERS)]
        for user in users:
            fake.add_user(user)
            fake.user_text(user, "试用期最长可以约定多久")

        def answered() -> int:
            return len({m["chat"]["id"] for m in fake.sent() if "来源" in (m.get("text") or "")})

        await fake.wait_for(lambda: answered() == USERS, timeout=300)
        faults = [f for method, f in fake.fault_log if method == "sendMessage"]
        sends = sum(1 for c in fake.calls if c.method == "sendMessage")
        assert len(faults) >= 0.2 * sends  # the soak really was hostile
        per_chat: dict[int, int] = {}
        for message in fake.sent():
            if "来源" in (message.get("text") or ""):
                per_chat[message["chat"]["id"]] = per_chat.get(message["chat"]["id"], 0) + 1
        duplicates = sum(n - 1 for n in per_chat.values())
        lost_responses = sum(1 for f in faults if f.after_processing or f.delay_s)
        assert duplicates <= lost_responses
