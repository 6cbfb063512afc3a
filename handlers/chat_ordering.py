"""Process updates of different chats concurrently, each chat's in order.

PTB runs one update at a time by default, so every database round trip and HTTP call of one
user's message holds up everyone else. Here up to `max_concurrent_updates` chats proceed side
by side, while the messages of one chat (an intake conversation, a relay) stay in order.
"""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor


class PerChatUpdateProcessor(BaseUpdateProcessor):
    def __init__(self, max_concurrent_updates: int = 16) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        # Run once all handlers are done with an update, before the chat's next one starts.
        self.finished: Callable[[Update], Awaitable[None]] | None = None

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            await self._complete(update, coroutine)
            return
        lock = self._locks.setdefault(chat.id, asyncio.Lock())
        try:
            async with lock:
                await self._complete(update, coroutine)
        finally:
            if not lock.locked() and not lock._waiters:  # noqa: SLF001 - forget idle chats
                self._locks.pop(chat.id, None)

    async def _complete(self, update: object, coroutine: Awaitable[Any]) -> None:
        await coroutine
        if self.finished is not None and isinstance(update, Update):
            await self.finished(update)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""
