"""Two `sme-assistant serve` processes on one PostgreSQL database behind the webhook."""
from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import func, select

from storage.db import create_engine
from storage.models import InboundUpdate, Lease, QuestionLog
from tests import databases
from tests.e2e.harness import REPO, SECRET, STAFF_GROUP, free_port
from tests.fakebot import FakeBotAPI, builders as b, running_fake

pytestmark = pytest.mark.skipif(
    not databases.POSTGRESQL,
    reason="several bot processes share a PostgreSQL database (runs with SME_TEST_DB=postgresql)")

QUESTION = "试用期最长可以约定多久"
SUPERVISOR = 7003
PARALLEL_SENDS = 16  # bot.outbox.PARALLEL: sends a killed sender may have had in flight


def process_env(fake: FakeBotAPI, url: str, kb_dir: Path, port: int) -> dict:
    return {
        **os.environ,
        "SME_CONFIG": str(REPO / "config.yaml"),
        "SME_DATABASE_URL": url,
        "SME_KNOWLEDGE__DIR": str(kb_dir),
        "SME_KNOWLEDGE__SEMANTIC": "off",
        "SME_LOGGING__LEVEL": "WARNING",
        "TELEGRAM_BOT_TOKEN": fake.token,
        "SME_TELEGRAM__BASE_URL": fake.base_url,
        "SME_TELEGRAM__BASE_FILE_URL": fake.base_file_url,
        "SME_TELEGRAM__WEBHOOK_URL": f"http://127.0.0.1:{port}",
        "SME_TELEGRAM__REPLAY_AFTER_S": "8",
        "SME_WEBHOOK_SECRET": SECRET,
        "SME_WEB__PORT": str(port),
        "SME_STAFF__CHAT_ID": str(STAFF_GROUP),
        "SME_STAFF__SUPERVISORS": str(SUPERVISOR),
        # Every moment is working time and a request misses its first-response target after
        # a few seconds: the escalation is the scheduled job both processes could send.
        "SME_CALENDAR__WORKDAYS": "1,2,3,4,5,6,7",
        "SME_CALENDAR__HOURS": "00:00-23:59",
        "SME_CALENDAR__HOLIDAYS": "",
        "SME_SLA__FIRST_RESPONSE_HOURS": "0.002",
        "SME_SLA__REMIND_BEFORE_MINUTES": "0",
        "SME_SLA__CHECK_INTERVAL_S": "0.5",
    }


async def healthy(port: int, timeout: float = 30.0) -> None:
    async def probe() -> None:
        async with aiohttp.ClientSession() as session:
            while True:
                try:
                    async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
    await asyncio.wait_for(probe(), timeout)


async def all_processed(engine) -> None:
    """Wait until no stored update is left unprocessed (checked every 0.2 s)."""
    while True:
        async with engine.connect() as connection:
            if not await connection.scalar(select(func.count()).where(
                    InboundUpdate.processed_at.is_(None))):
                return
        await asyncio.sleep(0.2)


def escalations(fake: FakeBotAPI) -> int:
    return sum(1 for c in fake.calls if c.method == "sendMessage"
               and str(c.params.get("chat_id")) == str(STAFF_GROUP)
               and f"tg://user?id={SUPERVISOR}" in str(c.params.get("text")))


def answers(fake: FakeBotAPI, chat_id: int) -> int:
    return sum(1 for c in fake.calls if c.method == "sendMessage"
               and str(c.params.get("chat_id")) == str(chat_id))


async def test_two_processes_process_every_update_once_and_survive_the_senders_death(
        tmp_path, kb_dir):
    url = databases.database_url(tmp_path)
    engine = create_engine(url)
    processes: dict[int, asyncio.subprocess.Process] = {}
    async with running_fake() as fake:
        limits = fake.enable_rate_limits()
        fake.add_chat(b.supergroup(STAFF_GROUP))
        ports = [free_port(), free_port()]
        try:
            for port in ports:
                processes[port] = await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "bot", "serve",
                    env=process_env(fake, url, kb_dir, port), cwd=REPO,
                    stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
            for port in ports:
                await healthy(port)
            await fake.wait_for(lambda: fake.webhook or None, timeout=30)
            hooks = [f"http://127.0.0.1:{port}/telegram/webhook" for port in ports]

            # Burst 1: delivered alternately, every third update redelivered to the other.
            first = [fake.add_user(b.user(81000 + i, f"甲{i}")) for i in range(20)]
            ids = [fake.user_text(user, QUESTION) for user in first]
            assert await fake.deliver_webhook(hooks) == len(ids)
            for index, update_id in enumerate(ids[::3]):
                assert await fake.redeliver(update_id, hooks[index % 2]) == 200
            await fake.wait_for(lambda: all(answers(fake, u["id"]) for u in first) or None, 60)
            async with engine.connect() as connection:
                asked_first = await connection.scalar(select(func.count()).select_from(QuestionLog))
            # A request nobody answers: its missed target is escalated by the leader alone.
            requester = fake.add_user(b.user(80999, "丙"))
            fake.user_command(requester, "/human")
            await fake.deliver_webhook(hooks)
            await fake.wait_for(lambda: escalations(fake) or None, 60)

            # The leader (the only sender) is killed in the middle of burst 2.
            async with engine.connect() as connection:
                holder = await connection.scalar(select(Lease.holder))
            leader_pid = int(holder.split(":")[1])
            leader_port = next(p for p, proc in processes.items() if proc.pid == leader_pid)
            second = [fake.add_user(b.user(82000 + i, f"乙{i}")) for i in range(20)]
            for user in second:
                fake.user_text(user, QUESTION)
            delivered = asyncio.create_task(fake.deliver_webhook(hooks))
            await fake.wait_for(lambda: sum(answers(fake, u["id"]) for u in second) >= 3, 60)
            processes[leader_port].send_signal(signal.SIGKILL)
            await processes[leader_port].wait()
            await delivered
            while fake.updates:  # what the dead process refused goes to the survivor
                await fake.deliver_webhook(hooks)
            await fake.wait_for(lambda: all(answers(fake, u["id"]) for u in second) or None, 60)
            # What the dead process had claimed is taken over once its claims go stale.
            await asyncio.wait_for(all_processed(engine), 60)
        finally:
            for process in processes.values():
                if process.returncode is None:
                    process.terminate()
                    await process.wait()

        async with engine.connect() as connection:
            asked = await connection.scalar(select(func.count()).select_from(QuestionLog))
        await engine.dispose()
        # Every update processed exactly once, whichever process received it and how often;
        # after the kill at least once: an update the dead process had answered but not yet
        # marked processed is processed again by the survivor (at most those in flight).
        assert asked_first == len(first)
        assert len(first) + len(second) <= asked <= len(first) + len(second) + PARALLEL_SENDS
        # Burst 1: exactly one answer each. Burst 2: at least one; a duplicate only where the
        # killed sender had sent a message but died before recording it.
        assert all(answers(fake, u["id"]) == 1 for u in first)
        duplicates = sum(answers(fake, u["id"]) - 1 for u in second)
        assert duplicates <= PARALLEL_SENDS
        # The scheduled escalation went out once, though both processes ran and the new
        # leader scanned again after the take-over.
        assert escalations(fake) == 1
        # One sender at a time: Telegram's limits held for the whole fleet.
        assert limits.flood_count == 0
