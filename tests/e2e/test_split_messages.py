"""A text longer than one Telegram message goes out in parts (issue 16, item 5): each part's
delivery is recorded, a retry sends only what is missing, and each part is paced as a send."""
import asyncio

from sqlalchemy import select

from storage.models import OutboxMessage
from tests.e2e.harness import AGENT_A, OWNER, world
from tests.e2e.test_staff_flow import card_id, human_ticket
from tests.fakebot.faults import flood

# Two parts: the first holds the prefix, all of 甲 and some 乙; the second only 乙.
LONG_REPLY = "甲" * 2000 + "乙" * 2080


async def settled(env, marker: str) -> OutboxMessage:
    """The outbox row whose payload holds `marker`, once it is no longer pending."""
    async def row():
        async with env.services.sessions() as session:
            found = (await session.scalars(select(OutboxMessage).where(
                OutboxMessage.payload.contains(marker)))).one()
        return found if found.status != "pending" else None

    async with asyncio.timeout(10):
        while (found := await row()) is None:
            await asyncio.sleep(0.05)
    assert found.status == "sent"
    return found


def second_part(text) -> bool:
    return bool(text) and "乙" in text and "甲" not in text


def parts_to(env, chat_id: int) -> list:
    return [c for c in env.fake.calls if c.method == "sendMessage"
            and c.params.get("chat_id") == chat_id and "乙" in c.params.get("text", "")]


async def test_a_429_on_part_two_resends_only_part_two(tmp_path, kb_dir):
    async with world(tmp_path, kb_dir, "polling") as env:
        card, _ = await human_ticket(env)
        env.fake.inject("sendMessage", flood(2), match={"chat_id": OWNER["id"],
                                                        "text": second_part})
        await env.staff(AGENT_A, f"/reply {card_id(card)} {LONG_REPLY}")
        await env.fake.wait_for(lambda: any(second_part(m.get("text"))
                                            for m in env.fake.sent(OWNER["id"])), timeout=15)
        delivered = [m["text"] for m in env.fake.sent(OWNER["id"]) if "乙" in m.get("text", "")]
        assert len(delivered) == 2  # part 1 once, part 2 once: nothing sent twice
        assert delivered[0].count("甲") == 2000
        assert sum(text.count("乙") for text in delivered) == 2080
        attempts = parts_to(env, OWNER["id"])
        assert len(attempts) == 3  # part 1, part 2 refused with 429, part 2 again
        assert attempts[2].ts - attempts[1].ts >= 2.0  # Telegram's retry_after was honoured
        row = await settled(env, "甲甲甲")
        assert row.attempts == 2  # part 2 refused once, then sent (parts delivered do not count)
        assert '"parts_sent": 1' in row.payload  # part 1's delivery was recorded

async def test_each_part_is_paced_as_a_send(tmp_path, kb_dir):
    async with world(tmp_path, kb_dir, "polling", SME_TELEGRAM__PACE_CHAT_S="1.1") as env:
        card, _ = await human_ticket(env)
        limits = env.fake.enable_rate_limits()  # the fake's strict 1 message/s per chat
        await env.staff(AGENT_A, f"/reply {card_id(card)} {LONG_REPLY}")
        await env.fake.wait_for(lambda: len(parts_to(env, OWNER["id"])) == 2, timeout=15)
        first, second = parts_to(env, OWNER["id"])
        assert second.ts - first.ts >= 1.0  # not 2 ms apart
        assert limits.flood_count == 0
