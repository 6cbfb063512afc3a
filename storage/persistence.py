"""python-telegram-bot persistence in the project database (table `ptb_state`).

Conversation states and `user_data` / `chat_data` / `bot_data` survive a restart. Every value is
stored as JSON in one row per (kind, key); `callback_data` is not stored.
"""
from __future__ import annotations

import json
import logging
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import async_sessionmaker
from telegram.ext import BasePersistence, ConversationHandler, PersistenceInput

from storage.db import dialect_insert
from storage.models import PersistedState

log = logging.getLogger(__name__)

CONVERSATION, USER, CHAT, BOT = "conversation", "user", "chat", "bot"
ConversationKey = tuple[int | str, ...]


def conversation_key(name: str, key: ConversationKey) -> str:
    """Row key of one conversation: `"intake|[123, 123]"`."""
    return f"{name}|{json.dumps(list(key))}"


class DatabasePersistence(BasePersistence[dict, dict, dict]):
    """Stores PTB data through an `async_sessionmaker`, one transaction per call.

    Writes are upserts (`INSERT … ON CONFLICT DO UPDATE`, SQLite or PostgreSQL). A value that
    does not survive a JSON round trip unchanged (an object, a tuple, a non-string dict key, NaN)
    is not written: a warning names the row and the previous value stays.
    """

    def __init__(self, sessions: async_sessionmaker, update_interval: float = 1.0,
                 shared: bool = False) -> None:
        super().__init__(
            store_data=PersistenceInput(bot_data=False, chat_data=False, user_data=True,
                                        callback_data=False),
            update_interval=update_interval,
        )
        self.sessions = sessions
        # Several bot processes share the database: another one may have moved a user's
        # conversation on, so state is re-read before each of that user's updates.
        self.shared = shared
        # What each row holds now: PTB asks to save the data of every user it saw, changed or
        # not, so unchanged (or still empty) values are not written again.
        self._stored: dict[tuple[str, str], str] = {}

    async def _load(self, kind: str) -> dict[str, Any]:
        async with self.sessions.begin() as session:
            rows = await session.execute(
                select(PersistedState.key, PersistedState.value).where(PersistedState.kind == kind))
            loaded = {}
            for key, value in rows:
                self._stored[(kind, key)] = value
                loaded[key] = json.loads(value)
            return loaded

    async def _write(self, kind: str, key: str, value: object) -> None:
        try:
            text = json.dumps(value, ensure_ascii=False, allow_nan=False)
            exact = json.loads(text) == value
        except (TypeError, ValueError):
            exact = False
        if not exact:
            log.warning("ptb_state %s %r: value is not plain JSON, not persisted", kind, key)
            return
        if self._stored.get((kind, key), "{}") == text:
            return
        async with self.sessions.begin() as session:
            stmt = dialect_insert(session, PersistedState).values(kind=kind, key=key, value=text)
            await session.execute(stmt.on_conflict_do_update(
                index_elements=[PersistedState.kind, PersistedState.key],
                set_={"value": stmt.excluded.value}))
        self._stored[(kind, key)] = text

    async def _delete(self, kind: str, key: str) -> None:
        async with self.sessions.begin() as session:
            await session.execute(
                delete(PersistedState).where(PersistedState.kind == kind, PersistedState.key == key))
        self._stored.pop((kind, key), None)

    async def get_user_data(self) -> dict[int, dict]:
        return {int(key): value for key, value in (await self._load(USER)).items()}

    async def get_chat_data(self) -> dict[int, dict]:
        return {int(key): value for key, value in (await self._load(CHAT)).items()}

    async def get_bot_data(self) -> dict:
        return (await self._load(BOT)).get(BOT, {})

    async def get_callback_data(self) -> None:
        """Callback data is not stored (`store_data.callback_data` is off)."""
        return None

    async def get_conversations(self, name: str) -> dict[ConversationKey, object]:
        prefix = f"{name}|"
        async with self.sessions.begin() as session:
            rows = await session.execute(
                select(PersistedState.key, PersistedState.value).where(
                    PersistedState.kind == CONVERSATION,
                    PersistedState.key.startswith(prefix, autoescape=True)))
            found = {}
            for key, value in rows:
                self._stored[(CONVERSATION, key)] = value
                found[tuple(json.loads(key[len(prefix):]))] = json.loads(value)
            return found

    async def update_conversation(self, name: str, key: ConversationKey, new_state: object | None) -> None:
        """Store the state of one conversation; `None` (the conversation ended) deletes it."""
        if new_state is None:
            await self._delete(CONVERSATION, conversation_key(name, key))
        else:
            await self._write(CONVERSATION, conversation_key(name, key), new_state)

    async def update_user_data(self, user_id: int, data: dict) -> None:
        await self._write(USER, str(user_id), data)

    async def update_chat_data(self, chat_id: int, data: dict) -> None:
        await self._write(CHAT, str(chat_id), data)

    async def update_bot_data(self, data: dict) -> None:
        await self._write(BOT, BOT, data)

    async def update_callback_data(self, data: object) -> None:
        """Never called: callback data is not stored."""

    async def drop_user_data(self, user_id: int) -> None:
        await self._delete(USER, str(user_id))

    async def drop_chat_data(self, chat_id: int) -> None:
        await self._delete(CHAT, str(chat_id))

    async def _read(self, kind: str, key: str) -> Any:
        async with self.sessions() as session:
            text = await session.scalar(select(PersistedState.value).where(
                PersistedState.kind == kind, PersistedState.key == key))
        if text is None:
            self._stored.pop((kind, key), None)
            return None
        self._stored[(kind, key)] = text
        return json.loads(text)

    async def refresh_conversation(self, handler: ConversationHandler, update: object) -> None:
        """Load one conversation's current state into `handler` (shared databases only).

        PTB reads conversation states once at start-up and offers no public way to refresh
        them, so this sets the handler's own table (`_get_key`, `_conversations`)."""
        if not self.shared or handler.name is None:
            return
        try:
            key = handler._get_key(update)  # noqa: SLF001 - see the docstring
        except RuntimeError:  # an update without the chat/user the key needs
            return
        state = await self._read(CONVERSATION, conversation_key(handler.name, key))
        table = handler._conversations  # noqa: SLF001
        if state is None:
            if key in table:
                table.pop(key)
        elif table.get(key) != state:
            table.update_no_track({key: state})

    # With one process, the data loaded at start-up and kept in memory by the Application is
    # always current; only processes sharing the database re-read it before every update.
    async def refresh_user_data(self, user_id: int, user_data: dict) -> None:
        if not self.shared:
            return
        current = await self._read(USER, str(user_id)) or {}
        if current != user_data:
            user_data.clear()
            user_data.update(current)

    async def refresh_chat_data(self, chat_id: int, chat_data: dict) -> None:
        """No-op: nothing outside the bot changes chat data."""

    async def refresh_bot_data(self, bot_data: dict) -> None:
        """No-op: nothing outside the bot changes bot data."""

    async def flush(self) -> None:
        """No-op: every write is committed at once; the engine belongs to the caller."""
