"""End-to-end harness: the real Application (polling or webhook) against the fake Bot API."""
from __future__ import annotations

import asyncio
import io
import re
import socket
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, AsyncIterator

from bot.foundation.settings import Settings, load_settings
from bot.app.services import Services, running_services
from bot.channels.telegram_runner import polling, webhook_server
from tests.databases import database_url
from tests.fakebot import FakeBotAPI, builders as b, running_fake

REPO = Path(__file__).resolve().parents[2]
STAFF_GROUP = -1001234567890
AGENT_A = b.user(7001, "王工", username="wang")
AGENT_B = b.user(7002, "李工", username="li")
SUPERVISOR = b.user(7003, "赵主管", username="zhao")
OUTSIDER = b.user(7999, "路人甲")
OWNER = b.user(5001, "张老板")
CLERK = b.user(5002, "小陈", language_code="en")
SECRET = "s3cret-token_ok"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def e2e_env(tmp_path: Path, fake: FakeBotAPI, kb_dir: Path, mode: str,
            **extra: str) -> dict[str, str]:
    """The bot's environment against `fake` (also for a bot run as a subprocess)."""
    port = free_port()
    env = {
        "SME_CONFIG": str(REPO / "config.yaml"),
        "SME_DATABASE_URL": database_url(tmp_path, "e2e"),
        "SME_KNOWLEDGE__DIR": str(kb_dir),
        "SME_KNOWLEDGE__SEMANTIC": "off",
        "TELEGRAM_BOT_TOKEN": fake.token,
        "SME_TELEGRAM__BASE_URL": fake.base_url,
        "SME_TELEGRAM__BASE_FILE_URL": fake.base_file_url,
        "SME_TELEGRAM__POLL_TIMEOUT": "1",
        "SME_STAFF__CHAT_ID": str(STAFF_GROUP),
        "SME_STAFF__AGENTS": f"{AGENT_A['id']},{AGENT_B['id']}",
        "SME_STAFF__SUPERVISORS": str(SUPERVISOR["id"]),
        "SME_WEB__PORT": str(port),
        # Flows run faster than people type: real pacing is tested on its own.
        "SME_TELEGRAM__PACE_CHAT_S": "0",
        "SME_TELEGRAM__PACE_GROUP_PER_MINUTE": "1000",
    }
    if mode == "webhook":
        env["SME_WEBHOOK_SECRET"] = SECRET
        env["SME_TELEGRAM__WEBHOOK_URL"] = f"http://127.0.0.1:{port}"
    env.update(extra)
    return env


def e2e_settings(tmp_path: Path, fake: FakeBotAPI, kb_dir: Path, mode: str,
                 **extra: str) -> Settings:
    return load_settings(environ=e2e_env(tmp_path, fake, kb_dir, mode, **extra))


@dataclass
class Env:
    fake: FakeBotAPI
    services: Services
    mode: str
    settings: Settings

    async def deliver(self) -> None:
        """Webhook mode pushes pending updates; polling picks them up by itself."""
        if self.mode == "webhook":
            await self.fake.deliver_webhook()

    async def say(self, user: dict, text: str) -> int:
        update_id = (self.fake.user_command(user, text) if text.startswith("/")
                     else self.fake.user_text(user, text))
        await self.deliver()
        return update_id

    async def press(self, user: dict, message: dict, data: str) -> int:
        update_id = self.fake.callback(user, message, data)
        await self.deliver()
        return update_id

    async def push(self, **payload: Any) -> int:
        update_id = self.fake.push_update(**payload)
        await self.deliver()
        return update_id

    async def staff(self, user: dict, text: str, thread_id: int | None = None,
                    reply_to: dict | None = None) -> int:
        chat = self.fake.chats[STAFF_GROUP]
        msg = b.text_message(chat, user, text, self.fake.next_message_id(STAFF_GROUP),
                             thread_id=thread_id)
        if re.match(r"^/[A-Za-z0-9_]+", text):
            msg["entities"] = [{"type": "bot_command", "offset": 0,
                                "length": len(text.split()[0])}]
        if reply_to is not None:
            msg["reply_to_message"] = reply_to
        return await self.push(message=msg)

    async def reply_to(self, chat_id: int, contains: str, after: int = 0,
                       timeout: float = 5.0) -> dict:
        """Wait for a message in `chat_id` containing `contains` (after the first `after`)."""
        def found():
            for message in self.fake.sent(chat_id)[after:]:
                if contains in (message.get("text") or message.get("caption") or ""):
                    return message
            return None

        return await self.fake.wait_for(found, timeout)

    def count(self, chat_id: int) -> int:
        return len(self.fake.sent(chat_id))

    def button(self, message: dict, startswith: str) -> str:
        for row in message.get("reply_markup", {}).get("inline_keyboard", []):
            for button in row:
                if button.get("callback_data", "").startswith(startswith):
                    return button["callback_data"]
        raise AssertionError(f"no button {startswith!r} in {message.get('reply_markup')}")


PROFILE = ("某某公司", "91350100M000100Y43", "张三", "13800138000")


async def file_request(env: Env, user: dict, category: str, description: str,
                       consent: str = "yes") -> dict:
    """Walk the /new intake with valid answers; returns the last message (the confirmation,
    or the refusal when consent is "no")."""
    await env.say(user, "/new")
    categories = await env.reply_to(user["id"], "请选择需求类别", after=env.count(user["id"]) - 1)
    await env.press(user, categories, f"cat:{category}")
    await env.say(user, description)
    more = await env.reply_to(user["id"], "已收到", after=env.count(user["id"]) - 1)
    await env.press(user, more, "intake:done")
    for text in PROFILE:
        await env.say(user, text)
    industry = await env.reply_to(user["id"], "所属行业")
    await env.press(user, industry, "ind:1")
    consent_message = await env.reply_to(user["id"], "是否同意")
    await env.press(user, consent_message, f"consent:{consent}")
    if consent != "yes":
        return await env.reply_to(user["id"], "没有保存您的信息")
    return await env.reply_to(user["id"], "请确认")


@asynccontextmanager
async def running_bot(fake: FakeBotAPI, settings: Settings, mode: str) -> AsyncIterator[Env]:
    """The bot on `settings`; starting and stopping it are bounded (see `_bounded`)."""
    stack = AsyncExitStack()
    try:
        async with _bounded("start"):
            services = await stack.enter_async_context(running_services(settings))
            runner = polling(services) if mode == "polling" else webhook_server(services)
            await stack.enter_async_context(runner)
        yield Env(fake, services, mode, settings)
    finally:
        async with _bounded("stop"):
            await stack.aclose()


@asynccontextmanager
async def _bounded(phase: str, seconds: float = 60.0) -> AsyncIterator[None]:
    """A start or stop that hangs fails the test with every task's stack, instead of
    hanging the suite (one PostgreSQL run hung once in a restart test; cause not found)."""
    try:
        async with asyncio.timeout(seconds):
            yield
    except TimeoutError:
        stacks = io.StringIO()
        for task in asyncio.all_tasks():
            print(f"--- {task!r}", file=stacks)
            task.print_stack(limit=20, file=stacks)
        raise AssertionError(f"the bot's {phase} took over {seconds} s; tasks:\n"
                             f"{stacks.getvalue()}") from None


@asynccontextmanager
async def fake_world(tmp_path: Path, kb_dir: Path, mode: str, forum: bool = True,
                     **extra: str) -> AsyncIterator[tuple[FakeBotAPI, Settings]]:
    """The fake Bot API with users and a staff group, and settings pointing at it."""
    async with running_fake() as fake:
        for user in (AGENT_A, AGENT_B, SUPERVISOR, OUTSIDER, OWNER, CLERK):
            fake.add_user(user)
        fake.add_chat(b.supergroup(STAFF_GROUP, "平台工作群", is_forum=forum),
                      {u["id"]: "member" for u in (AGENT_A, AGENT_B, SUPERVISOR, OUTSIDER)})
        yield fake, e2e_settings(tmp_path, fake, kb_dir, mode, **extra)


@asynccontextmanager
async def world(tmp_path: Path, kb_dir: Path, mode: str, forum: bool = True,
                **extra: str) -> AsyncIterator[Env]:
    async with fake_world(tmp_path, kb_dir, mode, forum, **extra) as (fake, settings):
        async with running_bot(fake, settings, mode) as env:
            yield env
