"""Small JSON documents a channel keeps across restarts (the terminal chat's unfinished dialog),
in the table that also holds the Telegram conversations (`ptb_state`), under a kind of their own."""
from __future__ import annotations

import json
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from .db import dialect_insert
from .models import PersistedState


class SavedState:
    """Documents of one kind (≤ 16 characters), by key."""

    def __init__(self, sessions: async_sessionmaker, kind: str) -> None:
        self.sessions = sessions
        self.kind = kind

    async def load(self, key: str) -> Any | None:
        async with self.sessions() as session:
            value = await session.scalar(select(PersistedState.value).where(
                PersistedState.kind == self.kind, PersistedState.key == key))
        return json.loads(value) if value is not None else None

    async def save(self, key: str, value: Any) -> None:
        text = json.dumps(value, ensure_ascii=False)
        async with self.sessions.begin() as session:
            statement = dialect_insert(session, PersistedState).values(
                kind=self.kind, key=key, value=text)
            await session.execute(statement.on_conflict_do_update(
                index_elements=["kind", "key"], set_={"value": text}))

    async def remove(self, key: str) -> None:
        async with self.sessions.begin() as session:
            await session.execute(delete(PersistedState).where(
                PersistedState.kind == self.kind, PersistedState.key == key))
