"""An update's JSON as a PTB `Update`, or a clear error: a malformed update must never stop
the processing of the others (webhook, long polling and the replay of stored updates)."""
from __future__ import annotations

import json
import logging

from telegram import Update

from storage.inbound import InboundStore

log = logging.getLogger(__name__)


def parse_update(data: str | dict, bot) -> Update:
    """An update's JSON (text or decoded) as an `Update`; raises ValueError when it is not one."""
    try:
        if isinstance(data, str):
            data = json.loads(data)
        if not isinstance(data, dict):
            raise TypeError(f"an object was expected, not {type(data).__name__}")
        update = Update.de_json(data, bot)
    except Exception as exc:  # noqa: BLE001 - PTB raises whatever the malformed field causes
        raise ValueError(f"unparseable update: {type(exc).__name__}: {exc}"[:300]) from exc
    if update is None or is_placeholder(update):
        raise ValueError("unparseable update: no content")
    return update


def is_placeholder(update: Update) -> bool:
    """An update with nothing but its id: what long polling hands PTB in place of one that
    cannot be parsed (`durable_polling.py`), so that the batch's offset still moves on."""
    return update.to_dict() == {"update_id": update.update_id}


async def parse_stored(store: InboundStore, bot, update_id: int,
                       data: str | dict) -> Update | None:
    """The stored update, or None when it cannot be parsed: then it is recorded as failed
    (tried again by the replay a few times, then parked) and skipped."""
    try:
        return parse_update(data, bot)
    except ValueError as exc:
        store.counts["unparseable"] += 1
        log.warning("update %s skipped: %s", update_id, exc)
        await store.failed(update_id, str(exc))
        return None
