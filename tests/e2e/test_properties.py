"""Properties of the real Application against the fake Bot API, over generated input: whatever
an enterprise types or whatever callback data arrives, the bot answers without an unhandled
error, and everything it sends is valid Telegram HTML in which user input is text, never markup.

One bot runs for the whole module on an event loop in a background thread; each generated
example is pushed to it by a new user (so flood protection never interferes) and the example
ends when the bot has answered it.
"""
from __future__ import annotations

import asyncio
import itertools
import shutil
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from bot.foundation.i18n import t
from bot.requests.validators import (
    ValidationError, validate_company_name, validate_credit_code, validate_person_name,
    validate_phone,
)
from tests.conftest import FIXTURE_KB
from tests.e2e.harness import AGENT_A, PROFILE, STAFF_GROUP, Env, world
from tests.fakebot import builders as b
from tests.fakebot.server import ApiError, parse_formatted

T = TypeVar("T")
EXAMPLES = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])
ERROR_TEXTS = {t("tg.error", "zh-CN"), t("tg.error", "en")}
MARKUP = ["<b>粗体</b>", "<a href='x'>", "</i>", "<", ">", "&", "&lt;", "&amp;x", "<script>",
          "<tg-spoiler>", "\n", "试用期", "1380013", "#1"]
printable = st.text(st.characters(blacklist_categories=("Cs", "Cc")) | st.just("\n"),
                    min_size=1, max_size=30)
user_text = st.lists(st.one_of(printable, st.sampled_from(MARKUP)), min_size=1, max_size=6).map(
    "".join).filter(lambda s: s.strip() and not s.startswith("/"))
PREFIXES = ["tk:claim:", "tk:close:", "rate:", "reopen:", "kb:", "tp:", "fb:", "none:", "human",
            "human:end", "fu:", "erase:", "cat:", "intake:", "consent:", "new", ""]
MARKERS = itertools.count(1)
callback_data = st.builds(lambda p, s: (p + s).encode()[:64].decode("utf-8", "ignore") or "x",
                          st.sampled_from(PREFIXES), st.text(max_size=20))


class Live:
    """The world (fake Bot API + bot) on its own event loop thread."""

    def __init__(self, tmp_path: Path) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.users = itertools.count(80_000)
        self.tmp_path = tmp_path
        self.env: Env | None = None
        self._stop: asyncio.Event | None = None

    def run(self, make: Callable[[], Awaitable[T]], timeout: float = 20) -> T:
        return asyncio.run_coroutine_threadsafe(make(), self.loop).result(timeout)

    @contextmanager
    def running(self) -> Iterator["Live"]:
        self.thread.start()
        ready = threading.Event()

        async def serve() -> None:
            self._stop = asyncio.Event()
            kb = self.tmp_path / "kb"
            shutil.copytree(FIXTURE_KB, kb)
            async with world(self.tmp_path, kb / "faq", "polling") as env:
                self.env = env
                ready.set()
                await self._stop.wait()

        served = asyncio.run_coroutine_threadsafe(serve(), self.loop)
        ready.wait(60)
        try:
            yield self
        finally:
            self.loop.call_soon_threadsafe(self._stop.set)
            served.result(60)
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)

    def new_user(self) -> dict:
        """A user never seen before (registered with the fake on its loop)."""
        user = b.user(next(self.users), "用户")
        self.run(lambda: asyncio.sleep(0, self.env.fake.add_user(user)))
        return user


@pytest.fixture(scope="module")
def live(tmp_path_factory) -> Iterator[Live]:
    with Live(tmp_path_factory.mktemp("properties")).running() as live:
        yield live


def check_everything_sent_since(env: Env, first_call: int) -> None:
    """Every HTML text the bot sent parses; no user was told that an error occurred."""
    for call in env.fake.calls[first_call:]:
        key = {"sendMessage": "text", "editMessageText": "text", "sendPhoto": "caption",
               "sendDocument": "caption", "copyMessage": "caption"}.get(call.method)
        if key is None or call.params.get(key) is None:
            continue
        try:
            shown, _ = parse_formatted(call.params[key], call.params.get("parse_mode"), None)
        except ApiError as error:
            raise AssertionError(f"{call.method} sent invalid HTML: {call.params[key]!r}") \
                from error
        assert shown.strip() not in ERROR_TEXTS, f"the bot failed on an update: {call}"


@EXAMPLES
@given(text=user_text)
def test_any_question_gets_an_answer_in_valid_html(live, text):
    user = live.new_user()

    async def ask() -> None:
        env = live.env
        first_call = len(env.fake.calls)
        await env.say(user, text)
        await env.fake.wait_for(lambda: env.count(user["id"]) > 0, 10)
        check_everything_sent_since(env, first_call)

    live.run(ask)


@EXAMPLES
@given(data=callback_data, staff=st.booleans())
def test_any_callback_data_is_handled_without_error(live, data, staff):
    user = AGENT_A if staff else live.new_user()

    async def press() -> None:
        env = live.env
        chat = env.fake.chats[STAFF_GROUP] if staff else b.private_chat(user)
        first_call = len(env.fake.calls)
        await env.press(user, b.text_message(chat, env.fake.bot_user, "…", 1), data)
        query_id = list(env.fake.callback_queries)[-1]
        # The chat's next message is handled after the press (one chat, one order).
        # A command of its own, whose hint names it: no earlier reply is mistaken for it.
        chat_id = STAFF_GROUP if staff else user["id"]
        marker = f"/marker{next(MARKERS)}"
        await (env.staff(user, marker) if staff else env.say(user, marker))
        await env.reply_to(chat_id, f"不认识的命令 {marker}", timeout=10)
        answers = [c for c in env.fake.calls[first_call:] if c.method == "answerCallbackQuery"
                   and c.params.get("callback_query_id") == query_id]
        assert len(answers) == 1, (data, answers)  # known or not: the spinner stops
        check_everything_sent_since(env, first_call)

    live.run(press)


FIELDS = [(validate_company_name, 0), (validate_credit_code, 1), (validate_person_name, 2),
          (validate_phone, 3)]
NEXT_PROMPT = ["统一社会信用代码", "联系人姓名", "联系电话", "所属行业"]


async def start_intake(env: Env, user: dict, description: str, answers: tuple[str, ...]) -> None:
    """/new with `description`, then the profile `answers`, each waited for."""
    await env.say(user, "/new")
    await env.reply_to(user["id"], "请选择需求类别")
    await env.press(user, env.fake.sent(user["id"])[-1], "cat:legal")
    await env.say(user, description)
    more = await env.reply_to(user["id"], "已收到")
    await env.press(user, more, "intake:done")
    await env.reply_to(user["id"], "企业全称")
    for value in answers:
        count = env.count(user["id"])
        await env.say(user, value)
        await env.fake.wait_for(lambda: env.count(user["id"]) > count, 10)


@settings(EXAMPLES, max_examples=10)
@given(description=user_text)
def test_intake_confirmation_shows_the_description_as_typed(live, description):
    """The description comes back literally (escaped, never markup) for confirmation."""
    user = live.new_user()

    async def walk() -> None:
        env = live.env
        first_call = len(env.fake.calls)
        await start_intake(env, user, description, PROFILE)
        await env.press(user, env.fake.sent(user["id"])[-1], "ind:0")
        await env.reply_to(user["id"], "是否同意")
        await env.press(user, env.fake.sent(user["id"])[-1], "consent:yes")
        confirm = await env.reply_to(user["id"], "请确认")
        check_everything_sent_since(env, first_call)
        assert description[:200] in confirm["text"]

    live.run(walk, timeout=30)


FIELDS = [(validate_company_name, 0), (validate_credit_code, 1), (validate_person_name, 2),
          (validate_phone, 3)]
NEXT_PROMPT = ["统一社会信用代码", "联系人姓名", "联系电话", "所属行业"]


@settings(EXAMPLES, max_examples=15)
@given(field=st.sampled_from(FIELDS), text=user_text)
def test_intake_fields_move_on_exactly_when_valid_else_explain(live, field, text):
    """At a profile step, any text moves the intake on exactly when its validator accepts it;
    otherwise the validator's reason is explained and the step stays."""
    validator, step = field
    user = live.new_user()

    async def walk() -> None:
        env = live.env
        await start_intake(env, user, "合同纠纷", PROFILE[:step])
        first_call, count = len(env.fake.calls), env.count(user["id"])
        await env.say(user, text)
        await env.fake.wait_for(lambda: env.count(user["id"]) > count, 10)
        check_everything_sent_since(env, first_call)
        answer = env.fake.sent(user["id"])[-1]["text"]
        try:
            validator(text)
        except ValidationError as error:
            expected = t(f"intake.err.{error.reason}", "zh-CN")
            assert answer == parse_formatted(expected, "HTML", None)[0]
            return
        assert NEXT_PROMPT[step] in answer

    live.run(walk, timeout=30)
