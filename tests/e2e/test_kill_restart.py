"""The real bot (`python -m bot run`, its own process) killed with SIGKILL in the middle of a
burst and started again ends in the state an uninterrupted run reaches:

- every question is answered, every staff reply reaches its enterprise;
- every request filed by /new is created exactly once, with its own number;
- an intake conversation left half-way (before the kill) resumes at the step it had reached;
- no message the bot recorded as sent is sent again. The only duplicates allowed are of sends
  whose success the bot never recorded: the outbox row was still `pending` in the database when
  the process died (the Bot API may have delivered it, the response or its recording was lost),
  so the restarted bot sends it once more. The database is read right after the kill to know
  which rows those are.

The kill waits on a condition (some but not all burst answers delivered), never on time.
"""
from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections import Counter
from pathlib import Path

from sqlalchemy import select

from storage.db import create_engine, session_factory
from storage.models import Contact, OutboxMessage, Ticket
from tests.e2e.harness import OWNER, PROFILE, REPO, STAFF_GROUP, e2e_env, fake_world
from tests.fakebot import FakeBotAPI, builders as b, parse_formatted

QUESTIONS = {"试用期最长可以约定多久": "第19条", "没签劳动合同要付双倍工资吗": "第82条"}
ASKERS = [b.user(60_000 + i, f"提问者{i}") for i in range(40)]
FILERS = [b.user(61_000 + i, f"申请人{i}") for i in range(4)]
HUMANS = [b.user(62_000 + i, f"咨询者{i}") for i in range(3)]
AGENT_ID = 7001


class Bot:
    """`python -m bot run` as a child process (killed, never asked to stop, in these tests)."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env = {**os.environ, **env, "SME_LOGGING__LEVEL": "WARNING"}
        self.log = log
        self.process: asyncio.subprocess.Process | None = None

    async def start(self, fake: FakeBotAPI) -> None:
        seen = len(fake.calls)
        with self.log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", env=self.env, cwd=REPO,
                stdout=asyncio.subprocess.DEVNULL, stderr=log)
        await fake.wait_for(lambda: any(c.method == "getUpdates" for c in fake.calls[seen:]),
                            timeout=60)

    async def kill(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGKILL)
            await self.process.wait()


def texts(fake: FakeBotAPI, chat_id: int) -> list[str]:
    return [m.get("text") or m.get("caption") or "" for m in fake.sent(chat_id)]


def has(fake: FakeBotAPI, chat_id: int, part: str) -> bool:
    return any(part in text for text in texts(fake, chat_id))


async def wait_has(fake: FakeBotAPI, chat_id: int, part: str, timeout: float = 30) -> None:
    await fake.wait_for(lambda: has(fake, chat_id, part), timeout)


def press(fake: FakeBotAPI, user: dict, data: str) -> None:
    """A button press under a message of the bot to `user` (only the data matters here; in a
    burst the bot may not have sent that message yet)."""
    chat = b.private_chat(user)
    fake.callback(user, b.text_message(chat, fake.bot_user, "…", 1), data)


def push_intake(fake: FakeBotAPI, user: dict, description: str) -> None:
    """A whole /new intake at once: updates of one chat are processed in order."""
    fake.user_command(user, "/new")
    press(fake, user, "cat:legal")
    fake.user_text(user, description)
    press(fake, user, "intake:done")
    for text in PROFILE:
        fake.user_text(user, text)
    press(fake, user, "ind:0")
    press(fake, user, "consent:yes")
    press(fake, user, "intake:confirm")


async def rows_of(url: str, model: type) -> list:
    """Every row of `model`'s table, in id order, read through a connection of its own."""
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            return list(await session.scalars(select(model).order_by(model.id)))
    finally:
        await engine.dispose()


def plain(row: OutboxMessage) -> str | None:
    """The text Telegram shows for a new (not edited) text message of the outbox, else None."""
    payload = json.loads(row.payload)
    if payload.get("kind", "text") != "text" or payload.get("edit_target"):
        return None
    return parse_formatted(payload.get("text") or "", "HTML", None)[0]


async def test_sigkill_mid_burst_then_restart_ends_like_an_uninterrupted_run(tmp_path, kb_dir):
    async with fake_world(tmp_path, kb_dir, "polling") as (fake, _settings):
        env = e2e_env(tmp_path, fake, kb_dir, "polling")
        url = env["SME_DATABASE_URL"]
        for user in ASKERS + FILERS + HUMANS:
            fake.add_user(user)
        agent = fake.users[AGENT_ID]
        bot = Bot(env, tmp_path / "bot.log")
        try:
            await bot.start(fake)
            # Before the burst: three requests to reply to, and the owner half-way through /new.
            for user in HUMANS:
                fake.user_command(user, "/human")
            for user in HUMANS:
                await wait_has(fake, user["id"], "已为您转接平台工作人员")
            fake.user_command(OWNER, "/new")
            await wait_has(fake, OWNER["id"], "请选择需求类别")
            press(fake, OWNER, "cat:financing")
            await wait_has(fake, OWNER["id"], "第 2 步")
            fake.user_text(OWNER, "想申请一笔信用贷款 50 万")
            await wait_has(fake, OWNER["id"], "已收到")
            press(fake, OWNER, "intake:done")
            await wait_has(fake, OWNER["id"], "企业全称")
            fake.user_text(OWNER, PROFILE[0])
            await wait_has(fake, OWNER["id"], "统一社会信用代码")
            # Chats are processed concurrently: the requests' numbers follow no user order.
            user_of = {c.id: int(c.external_id) for c in await rows_of(url, Contact)}
            human_tickets = {user_of[t.contact_id]: t.id for t in await rows_of(url, Ticket)}
            assert len(human_tickets) == 3

            # The burst: questions, whole intakes and staff replies, all queued at once.
            questions = list(QUESTIONS)
            for i, user in enumerate(ASKERS):
                fake.user_text(user, questions[i % len(questions)])
            for i, user in enumerate(FILERS):
                push_intake(fake, user, f"货款拖欠第{i}号：对方欠款 {i + 1} 万元")
            for n, user in enumerate(HUMANS):
                fake.staff_text(STAFF_GROUP, agent,
                                f"/reply {human_tickets[user['id']]} 第{n}条答复：请提供合同")
                fake.updates[-1]["message"]["entities"] = [
                    {"type": "bot_command", "offset": 0, "length": len("/reply")}]

            def answered() -> int:
                return sum(has(fake, u["id"], QUESTIONS[questions[i % 2]])
                           for i, u in enumerate(ASKERS))

            await fake.wait_for(lambda: 3 <= answered(), timeout=60)
            await bot.kill()
            assert answered() < len(ASKERS), "the kill came after the burst was done"
            at_kill = {row.id: row.status for row in await rows_of(url, OutboxMessage)}

            await bot.start(fake)
            # The owner's intake continues at the credit code, where it was.
            fake.user_text(OWNER, PROFILE[1])
            await wait_has(fake, OWNER["id"], "联系人姓名")
            for text in PROFILE[2:]:
                fake.user_text(OWNER, text)
            await wait_has(fake, OWNER["id"], "所属行业")
            press(fake, OWNER, "ind:1")
            await wait_has(fake, OWNER["id"], "是否同意")
            press(fake, OWNER, "consent:yes")
            await wait_has(fake, OWNER["id"], "请确认")
            assert "想申请一笔信用贷款 50 万" in texts(fake, OWNER["id"])[-1]
            press(fake, OWNER, "intake:confirm")

            await fake.wait_for(lambda: answered() == len(ASKERS), timeout=60)
            for user in FILERS + [OWNER]:
                await wait_has(fake, user["id"], "已受理，编号")
            for n, user in enumerate(HUMANS):
                await wait_has(fake, user["id"], f"第{n}条答复：请提供合同")
            rows = await drain(fake, url)
        finally:
            await bot.kill()

        # Every request exactly once, with its own number.
        filed = [t for t in await rows_of(url, Ticket) if t.id not in human_tickets.values()]
        assert len(filed) == len(FILERS) + 1
        assert len({t.contact_id for t in filed}) == len(filed)
        for user in FILERS + [OWNER]:
            accepted = [x for x in texts(fake, user["id"]) if "已受理，编号" in x]
            assert len(accepted) == 1, (user["id"], accepted)

        # Nothing recorded as sent was sent again.
        expected: Counter = Counter()
        allowed: Counter = Counter()
        for row in rows:
            shown = plain(row)
            if shown is None or not row.chat_id.isdigit() or row.status != "sent":
                continue
            expected[(int(row.chat_id), shown)] += 1
            if at_kill.get(row.id) == "pending":
                allowed[(int(row.chat_id), shown)] += 1
        for (chat_id, shown), count in expected.items():
            got = texts(fake, chat_id).count(shown)
            assert count <= got <= count + allowed[(chat_id, shown)], (chat_id, shown, count, got)


async def drain(fake: FakeBotAPI, url: str) -> list[OutboxMessage]:
    """Wait until the outbox has nothing pending (checked whenever the fake sees a call)."""
    rows: list[OutboxMessage] = []
    for _ in range(200):
        rows = await rows_of(url, OutboxMessage)
        if all(r.status != "pending" for r in rows):
            return rows
        seen = len(fake.calls)
        await fake.wait_for(lambda: len(fake.calls) > seen, timeout=10)
    raise AssertionError("the outbox never drained")
