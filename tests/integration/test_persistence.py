"""DatabasePersistence on the test database, directly and under a real PTB Application."""
from __future__ import annotations

import logging

import pytest
from sqlalchemy import select
from telegram import Update, User
from telegram.ext import (
    ApplicationBuilder, CommandHandler, ConversationHandler, ExtBot, MessageHandler, filters,
)
from telegram.request import BaseRequest

from storage.models import PersistedState
from storage.persistence import DatabasePersistence
from tests.fakebot.builders import command_message, private_chat, text_message, user


async def rows(sessions) -> dict[tuple[str, str], str]:
    async with sessions.begin() as session:
        result = await session.execute(select(PersistedState))
        return {(r.kind, r.key): r.value for r in result.scalars()}


async def test_data_round_trips_and_overwrites(sessions):
    p = DatabasePersistence(sessions)
    await p.update_user_data(7, {"lang": "zh", "step": 1})
    await p.update_user_data(7, {"lang": "en", "seen": [1, 2], "note": None})
    await p.update_chat_data(-1001, {"topic": 42})
    await p.update_bot_data({"version": 2, "ratio": 0.5, "on": True})
    fresh = DatabasePersistence(sessions)
    assert await fresh.get_user_data() == {7: {"lang": "en", "seen": [1, 2], "note": None}}
    assert await fresh.get_chat_data() == {-1001: {"topic": 42}}
    assert await fresh.get_bot_data() == {"version": 2, "ratio": 0.5, "on": True}
    assert await fresh.get_callback_data() is None


async def test_empty_database_gives_empty_data(sessions):
    p = DatabasePersistence(sessions)
    assert (await p.get_user_data(), await p.get_chat_data(), await p.get_bot_data()) == ({}, {}, {})
    assert await p.get_conversations("intake") == {}


async def test_conversations_round_trip_and_end_on_none(sessions):
    p = DatabasePersistence(sessions)
    await p.update_conversation("intake", (123, 123), 0)
    await p.update_conversation("intake", (123, 123), 1)
    await p.update_conversation("intake", (456, 456), "ASK_NAME")
    await p.update_conversation("intake_v2", (123, 123), 5)
    await p.update_conversation("in%ta_e", (9, 9), 3)
    assert await p.get_conversations("intake") == {(123, 123): 1, (456, 456): "ASK_NAME"}
    assert await p.get_conversations("in%ta_e") == {(9, 9): 3}
    assert ("conversation", "intake|[123, 123]") in await rows(sessions)

    await p.update_conversation("intake", (123, 123), None)
    await p.update_conversation("intake", (999, 999), None)  # never stored: no error
    assert await p.get_conversations("intake") == {(456, 456): "ASK_NAME"}
    assert await p.get_conversations("intake_v2") == {(123, 123): 5}


async def test_drop_deletes_only_that_row(sessions):
    p = DatabasePersistence(sessions)
    await p.update_user_data(1, {"a": 1})
    await p.update_user_data(2, {"b": 2})
    await p.update_chat_data(1, {"c": 3})
    await p.drop_user_data(1)
    await p.drop_chat_data(1)
    await p.drop_chat_data(404)
    assert await p.get_user_data() == {2: {"b": 2}}
    assert await p.get_chat_data() == {}


@pytest.mark.parametrize("bad", [{"when": object()}, {1: "int key"}, {"t": (1, 2)}, {"x": float("nan")}])
async def test_non_json_value_is_skipped_with_a_warning(sessions, caplog, bad):
    p = DatabasePersistence(sessions)
    await p.update_user_data(5, {"ok": True})
    with caplog.at_level(logging.WARNING, logger="storage.persistence"):
        await p.update_user_data(5, bad)
        await p.update_conversation("intake", (5, 5), object())
    assert await p.get_user_data() == {5: {"ok": True}}
    assert await p.get_conversations("intake") == {}
    messages = [r.getMessage() for r in caplog.records]
    assert any("user '5'" in m for m in messages)
    assert any("conversation 'intake|[5, 5]'" in m for m in messages)


# --- a real Application: the intake conversation survives a restart -------------------------

class NoNetwork(BaseRequest):
    """Tripwire: any request to the Bot API fails the test."""

    @property
    def read_timeout(self) -> float:
        return 1.0

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    async def do_request(self, url, method, request_data=None, **kwargs):
        pytest.fail(f"network access in an offline test: {url}")


class OfflineBot(ExtBot):
    """`initialize()` calls getMe: answer it locally."""

    async def get_me(self, *args, **kwargs) -> User:
        self._bot_user = User(id=123456, first_name="Intake", is_bot=True, username="intake_bot")
        return self._bot_user


ASK_COMPANY, ASK_CONTACT = range(2)
ALICE = user(42, "Alice")
CHAT = private_chat(ALICE)


def build_app(sessions, seen: list[tuple[str, str]]):
    async def start(update: Update, context) -> int:
        seen.append(("start", update.message.text))
        return ASK_COMPANY

    async def company(update: Update, context) -> int:
        context.user_data["company"] = update.message.text
        seen.append(("company", update.message.text))
        return ASK_CONTACT

    async def contact(update: Update, context) -> int:
        seen.append(("contact", f"{context.user_data['company']} / {update.message.text}"))
        return ConversationHandler.END

    bot = OfflineBot("123:ABC", request=NoNetwork(), get_updates_request=NoNetwork())
    app = (ApplicationBuilder().bot(bot).updater(None)
           .persistence(DatabasePersistence(sessions)).build())
    app.add_handler(ConversationHandler(
        name="intake",
        persistent=True,
        entry_points=[CommandHandler("start", start)],
        states={
            ASK_COMPANY: [MessageHandler(filters.TEXT & ~filters.COMMAND, company)],
            ASK_CONTACT: [MessageHandler(filters.TEXT & ~filters.COMMAND, contact)],
        },
        fallbacks=[],
    ))
    return app


async def feed(app, update_id: int, message: dict) -> None:
    await app.process_update(Update.de_json({"update_id": update_id, "message": message}, app.bot))


async def test_intake_conversation_and_user_data_survive_a_restart(sessions):
    seen: list[tuple[str, str]] = []
    first = build_app(sessions, seen)
    await first.initialize()
    await feed(first, 1, command_message(CHAT, ALICE, "/start", 1))
    await feed(first, 2, text_message(CHAT, ALICE, "Acme Ltd", 2))
    await first.shutdown()  # update_persistence() + flush(): writes the state and user_data
    stored = await rows(sessions)
    assert stored[("conversation", "intake|[42, 42]")] == str(ASK_CONTACT)
    assert stored[("user", "42")] == '{"company": "Acme Ltd"}'

    second = build_app(sessions, seen)
    await second.initialize()
    assert second.user_data[42] == {"company": "Acme Ltd"}
    await feed(second, 3, text_message(CHAT, ALICE, "Wang, 138 0000 0000", 3))
    await second.shutdown()

    assert seen == [("start", "/start"), ("company", "Acme Ltd"),
                    ("contact", "Acme Ltd / Wang, 138 0000 0000")]
    assert ("conversation", "intake|[42, 42]") not in await rows(sessions)
