"""Broadcast benchmark: the real bot (`sme-assistant run`, its own process) sends one notice
to 5,000 subscribed enterprises (distinct chats) through the outbox, against the fake Bot
API's emulation of Telegram's flood limits and with the real pacing (30 messages/s overall).
Meanwhile other users ask questions (one every half second).

Figures: sustained rate of the broadcast (first to last notice), all messages per second in
that window, 429s received (target 0), and latency of the interactive answers asked during
the burst (question pushed → answer received; target p99 ≤ 1 s). With `--survey` the same for
a survey's invitations (`/survey_send needs-2026`, sent without a preview).

    .venv/bin/python bench/broadcast_bench.py [--survey]
"""
from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy import insert  # noqa: E402

from bench.matcher_bench import percentile  # noqa: E402
from bench.telegram_bench import QUESTIONS, STAFF_GROUP, bot_env  # noqa: E402
from storage.db import create_engine  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import Contact, Subscription  # noqa: E402
from tests.fakebot import FakeBotAPI, builders as b, running_fake  # noqa: E402

RECIPIENTS = 5000
FIRST = 1_000_000  # user ids of the subscribers
ASKERS = 2_000_000  # user ids of the users asking questions during the burst
SUPERVISOR = b.user(9003, "主管")
QUESTION_EVERY_S = 0.5


async def subscribers(database: str) -> None:
    """5,000 contacts subscribed to every topic, written straight into the bot's database."""
    engine = create_engine(database)
    await upgrade(engine)
    async with engine.begin() as connection:
        await connection.execute(insert(Contact), [
            {"channel": "telegram", "external_id": str(FIRST + i), "chat_id": str(FIRST + i),
             "language": "zh-CN"} for i in range(RECIPIENTS)])
        await connection.execute(insert(Subscription), [
            {"contact_id": i + 1, "topics": "all"} for i in range(RECIPIENTS)])
    await engine.dispose()


async def ask_during(fake: FakeBotAPI, done: asyncio.Event) -> dict[int, float]:
    """A question from a new user every half second until the broadcast is over."""
    pushed: dict[int, float] = {}
    while not done.is_set():
        user = fake.add_user(b.user(ASKERS + len(pushed), f"Q{len(pushed)}"))
        fake.user_text(user, QUESTIONS[len(pushed) % len(QUESTIONS)])
        pushed[user["id"]] = time.monotonic()
        try:
            await asyncio.wait_for(done.wait(), QUESTION_EVERY_S)
        except asyncio.TimeoutError:
            pass
    return pushed


async def main(survey: bool = False) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        async with running_fake() as fake:
            env = {**bot_env(fake, Path(tmp)), "SME_STAFF__SUPERVISORS": str(SUPERVISOR["id"])}
            for key in ("SME_TELEGRAM__PACE_CHAT_S", "SME_TELEGRAM__PACE_GROUP_PER_MINUTE",
                        "SME_TELEGRAM__PACE_OVERALL_PER_S"):
                env.pop(key)  # Telegram's real limits (the config.yaml defaults)
            await subscribers(env["SME_DATABASE_URL"])
            fake.add_chat(b.supergroup(STAFF_GROUP, "staff", is_forum=True))
            for i in range(RECIPIENTS):
                fake.add_user(b.user(FIRST + i, f"E{i}"))
            bot = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", env=env, cwd=REPO,
                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
            try:
                return await measure(fake, survey)
            finally:
                bot.terminate()
                await bot.wait()


def staff_command(fake: FakeBotAPI, command: str) -> None:
    message = b.text_message(fake.chats[STAFF_GROUP], SUPERVISOR, command,
                             fake.next_message_id(STAFF_GROUP))
    message["entities"] = [{"type": "bot_command", "offset": 0,
                            "length": len(command.split()[0])}]
    fake.push_update(message=message)


async def measure(fake: FakeBotAPI, survey: bool = False) -> dict:
    await fake.wait_for_call("getUpdates", timeout=60)
    limits = fake.enable_rate_limits()
    if survey:  # sent at once, no preview
        staff_command(fake, "/survey_send needs-2026")
    else:
        staff_command(fake, "/broadcast 关于开展 2027 年度中小企业融资对接会的通知")
        preview = await fake.wait_for(lambda: next((m for m in fake.sent(STAFF_GROUP)
                                                    if "预览（草稿" in (m.get("text") or "")),
                                                   None), timeout=60)
        assert f"收件企业：{RECIPIENTS} 家" in preview["text"], preview["text"]
        fake.callback(SUPERVISOR, preview, preview["reply_markup"]["inline_keyboard"][0][0][
            "callback_data"])
    done = asyncio.Event()
    asking = asyncio.create_task(ask_during(fake, done))
    seen = 0
    bulk: list[float] = []  # when each notice arrived
    answered: dict[int, float] = {}  # asker → when the first answer arrived

    def progress() -> bool:
        nonlocal seen
        for call in fake.calls[seen:]:
            chat = int(call.params.get("chat_id", 0)) if call.method == "sendMessage" else 0
            if FIRST <= chat < FIRST + RECIPIENTS:
                bulk.append(call.ts)
            elif chat >= ASKERS and chat not in answered:
                answered[chat] = call.ts
        seen = len(fake.calls)
        return len(bulk) >= RECIPIENTS

    await fake.wait_for(progress, timeout=900)
    done.set()
    pushed = await asking
    await fake.wait_for(lambda: (progress(), len(answered) >= len(pushed))[1], timeout=30)
    start, end = bulk[0], bulk[-1]
    all_sends = sum(1 for c in fake.calls if c.method == "sendMessage" and start <= c.ts <= end)
    latencies = [(answered[u] - pushed[u]) * 1000 for u in pushed if u in answered]
    return {
        "kind": "survey" if survey else "broadcast",
        "recipients": RECIPIENTS,
        "broadcast_per_s": round((len(bulk) - 1) / (end - start), 1),
        "all_messages_per_s": round(all_sends / (end - start), 1),
        "flood_429s": limits.flood_count,
        "interactive_questions": len(pushed),
        "interactive_answered": len(latencies),
        "interactive_latency_ms": {"p50": round(percentile(latencies, 50), 1),
                                   "p99": round(percentile(latencies, 99), 1),
                                   "max": round(max(latencies), 1)},
    }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main("--survey" in sys.argv)), ensure_ascii=False))
