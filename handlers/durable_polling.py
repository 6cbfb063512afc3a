"""Long polling that loses nothing: updates are stored before Telegram forgets them.

`getUpdates` acknowledges the previous batch, so a batch received but still being processed
when the process dies would be gone. This request class stores every received update in the
inbound store (`storage/inbound.py`) before handing the batch to PTB's updater; unprocessed
updates are then processed after a restart, as in webhook mode.
"""
from __future__ import annotations

import json

from storage.inbound import InboundStore

from .aiohttp_request import AiohttpRequest


class StoringUpdatesRequest(AiohttpRequest):
    __slots__ = ("_store",)

    def __init__(self, store: InboundStore, **kwargs) -> None:
        super().__init__(**kwargs)
        self._store = store

    async def do_request(self, url: str, method: str, *args, **kwargs) -> tuple[int, bytes]:
        code, payload = await super().do_request(url, method, *args, **kwargs)
        if code == 200 and url.endswith("/getUpdates"):
            updates = json.loads(payload).get("result") or []
            await self._store.record_many([
                (update["update_id"], json.dumps(update, ensure_ascii=False))
                for update in updates])
        return code, payload
