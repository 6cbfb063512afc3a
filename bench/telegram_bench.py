"""Telegram benchmarks: the real bot (`sme-assistant run`, long polling, in its own process as
in production) against the fake Bot API over HTTP (in this process).

- sustained throughput: N users each ask one question at once; answers/s until all are sent;
- latency at a fixed rate (50 questions/s): update pushed → sendMessage received, p50/p99;
- ticket creation: /human by N users at once; requests/s until every staff card is posted.
"""
from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.matcher_bench import percentile  # noqa: E402
from tests.fakebot import FakeBotAPI, builders as b, running_fake  # noqa: E402

STAFF_GROUP = -1009000000000
QUESTIONS = ["试用期最长可以约定多久", "客户欠款三年了还能要吗", "高企认定要什么条件",
             "小规模纳税人增值税怎么免", "商标被抢注了怎么办", "没签劳动合同要赔双倍工资吗"]


def bot_env(fake: FakeBotAPI, tmp: Path) -> dict:
    return {
        **os.environ,
        "SME_CONFIG": str(REPO / "config.yaml"),
        "SME_DATABASE_URL": f"sqlite+aiosqlite:///{tmp / 'bench.db'}",
        "SME_KNOWLEDGE__SEMANTIC": "off",
        "SME_LOGGING__LEVEL": "WARNING",
        "TELEGRAM_BOT_TOKEN": fake.token,
        "SME_TELEGRAM__BASE_URL": fake.base_url,
        "SME_TELEGRAM__BASE_FILE_URL": fake.base_file_url,
        "SME_TELEGRAM__POLL_TIMEOUT": "1",
        "SME_STAFF__CHAT_ID": str(STAFF_GROUP),
        # Processing capacity is measured here, so Telegram's pacing (30 msgs/s overall) is
        # lifted; the pacing itself is tested in tests/e2e/test_pacing.py.
        "SME_TELEGRAM__PACE_CHAT_S": "0",
        "SME_TELEGRAM__PACE_GROUP_PER_MINUTE": "100000",
        "SME_TELEGRAM__PACE_OVERALL_PER_S": "100000",
    }


class Answers:
    """First answer time per chat, read incrementally from the fake's call log (a full scan
    on every change would make waiting quadratic)."""

    def __init__(self, fake: FakeBotAPI) -> None:
        self.fake = fake
        self.seen_calls = 0
        self.first: dict[int, float] = {}
        self.range = range(0)
        self.in_range = 0

    def expect(self, first_user: int, n: int) -> None:
        self.update()
        self.range = range(first_user, first_user + n)
        self.in_range = sum(1 for chat in self.first if chat in self.range)

    def update(self) -> dict[int, float]:
        calls = self.fake.calls
        for call in calls[self.seen_calls:]:
            chat = int(call.params.get("chat_id", 0)) if call.method == "sendMessage" else None
            if chat is not None and chat not in self.first:
                self.first[chat] = call.ts
                self.in_range += chat in self.range
        self.seen_calls = len(calls)
        return self.first

    def count(self, first_user: int, n: int) -> int:
        self.update()
        return self.in_range


async def burst(fake: FakeBotAPI, answers: Answers, first_user: int, n: int, text_of) -> float:
    """Push n updates at once; seconds until each user got an answer."""
    answers.expect(first_user, n)
    start = time.monotonic()
    for i in range(n):
        user = b.user(first_user + i, f"U{i}")
        fake.add_user(user)
        text = text_of(i)
        if text.startswith("/"):
            fake.user_command(user, text)
        else:
            fake.user_text(user, text)
    await fake.wait_for(lambda: answers.count(first_user, n) == n, timeout=600)
    return time.monotonic() - start


async def paced(fake: FakeBotAPI, answers: Answers, first_user: int, n: int,
                rate: float) -> list[float]:
    pushed: dict[int, float] = {}
    answers.expect(first_user, n)
    start = time.monotonic()
    for i in range(n):
        await asyncio.sleep(max(0.0, start + i / rate - time.monotonic()))  # load generator pacing
        user = b.user(first_user + i, f"P{i}")
        fake.add_user(user)
        fake.user_text(user, QUESTIONS[i % len(QUESTIONS)])
        pushed[first_user + i] = time.monotonic()
    await fake.wait_for(lambda: answers.count(first_user, n) == n, timeout=600)
    got = answers.update()
    return [(got[c] - pushed[c]) * 1000 for c in pushed]


async def main() -> dict:
    results: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        async with running_fake() as fake:
            fake.add_chat(b.supergroup(STAFF_GROUP, "staff", is_forum=True))
            bot = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", env=bot_env(fake, Path(tmp)), cwd=REPO,
                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
            try:
                await fake.wait_for_call("getUpdates", timeout=60)
                answers = Answers(fake)
                await burst(fake, answers, 10_000, 20, lambda i: QUESTIONS[i % len(QUESTIONS)])  # warm up
                n = 2000
                seconds = await burst(fake, answers, 100_000, n, lambda i: QUESTIONS[i % len(QUESTIONS)])
                results["answers_per_s_sustained"] = round(n / seconds, 1)
                latencies = await paced(fake, answers, 200_000, 500, 50.0)
                results["latency_at_50_per_s_ms"] = {
                    "p50": round(percentile(latencies, 50), 1),
                    "p99": round(percentile(latencies, 99), 1)}
                m = 300
                seconds = await burst(fake, answers, 300_000, m, lambda i: "/human")
                results["tickets_per_s"] = round(m / seconds, 1)
            finally:
                bot.terminate()
                await bot.wait()
    return results


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main()), ensure_ascii=False))
