"""Long polling that loses nothing: updates are stored before Telegram forgets them.

`getUpdates` acknowledges the previous batch, so a batch received but still being processed
when the process dies would be gone. This request class stores every received update in the
inbound store (`storage/inbound.py`) before handing the batch to PTB's updater; unprocessed
updates are then processed after a restart, as in webhook mode. An update that cannot be
parsed is recorded as failed and handed to PTB as a placeholder with its id only (PTB would
refuse the whole batch, and getUpdates would return it again forever).
"""
from __future__ import annotations

import json

from storage.inbound import InboundStore

from .aiohttp_request import AiohttpRequest
from .update_parsing import parse_stored


class StoringUpdatesRequest(AiohttpRequest):
    __slots__ = ("_store",)

    def __init__(self, store: InboundStore, **kwargs) -> None:
        super().__init__(**kwargs)
        self._store = store

    async def do_request(self, url: str, method: str, *args, **kwargs) -> tuple[int, bytes]:
        code, payload = await super().do_request(url, method, *args, **kwargs)
        if code == 200 and url.endswith("/getUpdates"):
            answer = json.loads(payload)
            updates = answer.get("result") or []
            await self._store.record_many([
                (update["update_id"], json.dumps(update, ensure_ascii=False))
                for update in updates])
            if await self._replace_unparseable(updates):
                payload = json.dumps(answer, ensure_ascii=False).encode()
        return code, payload

    async def _replace_unparseable(self, updates: list[dict]) -> bool:
        replaced = False
        for index, update in enumerate(updates):
            if await parse_stored(self._store, None, update["update_id"], update) is None:
                updates[index] = {"update_id": update["update_id"]}
                replaced = True
        return replaced
