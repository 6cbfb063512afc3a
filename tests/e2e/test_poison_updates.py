"""Updates that cannot be parsed or whose handlers raise: recorded as failed, retried a bounded
number of times, then parked; they never stop the processing or the replay of the others."""
import pytest
from sqlalchemy import select

from handlers.update_parsing import parse_update
from storage.models import InboundUpdate
from tests.e2e.harness import OWNER, world

# The class: a field of the wrong type, missing fields, a list for an object, a deep nesting.
CHAT = {"id": OWNER["id"], "type": "private"}


def _nested(depth: int) -> dict:
    message = {"message_id": 1, "date": 0, "chat": CHAT}
    for _ in range(depth):
        message = {"message_id": 1, "date": 0, "chat": CHAT, "reply_to_message": message}
    return message


UNPARSEABLE = [
    {"message": "x"},
    {"message": 7},
    {"message": {}},
    {"callback_query": ["x"]},
    {"message": {"message_id": "a", "date": "b", "chat": "c"}},
    {"edited_message": {"message_id": 1, "date": 0, "chat": {"id": 1}}},
    {"message": _nested(500)},  # parses as JSON, too deep for PTB
]


@pytest.mark.parametrize("body", [*UNPARSEABLE, {}, "not json", "[1]", "{", "null"])
def test_the_parser_refuses_the_class_with_a_clear_error(body):
    data = body if isinstance(body, str) else {"update_id": 5, **body}
    with pytest.raises(ValueError, match="^unparseable update: "):
        parse_update(data, None)


def _push_raw(fake, body: dict) -> int:
    """Queue an update the fake's builders would never make."""
    update_id, fake.next_update_id = fake.next_update_id, fake.next_update_id + 1
    fake.updates.append({"update_id": update_id, **body})
    return update_id


async def _rows(env) -> dict[int, InboundUpdate]:
    async with env.services.sessions() as session:
        return {r.update_id: r for r in await session.scalars(select(InboundUpdate))}


async def _wait_rows(env, predicate, timeout: float = 20.0) -> dict[int, InboundUpdate]:
    """Wait until the stored updates satisfy `predicate` (re-read on every change of the fake
    and at least every replay pass)."""
    import asyncio

    async def check():
        while not predicate(rows := await _rows(env)):
            await asyncio.sleep(0.05)
        return rows

    return await asyncio.wait_for(check(), timeout)


@pytest.mark.parametrize("mode", ["webhook", "polling"])
async def test_unparseable_updates_are_parked_and_never_block_the_others(tmp_path, kb_dir, mode):
    async with world(tmp_path, kb_dir, mode, SME_TELEGRAM__REPLAY_AFTER_S="0.3",
                     SME_TELEGRAM__MAX_UPDATE_ATTEMPTS="2") as env:
        poison = [_push_raw(env.fake, body) for body in UNPARSEABLE]
        await env.say(OWNER, "试用期最长可以约定多久？")
        await env.reply_to(OWNER["id"], "试用期", timeout=10)
        if mode == "webhook":  # every one was accepted, none is sent again
            assert env.fake.updates == []
            assert all(env.fake.webhook_attempts[u] == 1 for u in poison)
        rows = await _wait_rows(env, lambda rows: all(
            rows[u].parked_at is not None for u in poison))
        for update_id in poison:
            row = rows[update_id]
            assert row.failures == 2 and row.processed_at is None
            assert row.last_error.startswith("unparseable update")
        store = env.services.extras["inbound"]
        assert not set(poison) & {u for u, _ in await store.unprocessed()}
        assert store.counts["parked"] == len(poison)
        # Still answering, and the parked updates do not come back.
        await env.say(OWNER, "/help")
        await env.reply_to(OWNER["id"], "怎么用")
        assert all(r.failures == 2 for u, r in (await _rows(env)).items() if u in poison)


async def test_replay_continues_past_a_poison_row(tmp_path, kb_dir):
    """Rows stored and never processed (a crash, a dead peer): the unparseable ones before the
    good one are skipped with a log line, the good one is processed."""
    async with world(tmp_path, kb_dir, "webhook", SME_TELEGRAM__REPLAY_AFTER_S="0.3",
                     SME_TELEGRAM__MAX_UPDATE_ATTEMPTS="3") as env:
        store = env.services.extras["inbound"]
        good = {"update_id": 900, "message": {
            "message_id": 77, "date": 0, "chat": CHAT, "from": OWNER, "text": "/help",
            "entities": [{"type": "bot_command", "offset": 0, "length": 5}]}}
        import json
        await store.record(897, "{not json")
        await store.record(898, json.dumps({"update_id": 898, "message": "x"}))
        await store.record(899, json.dumps([1, 2]))
        await store.record(900, json.dumps(good))
        await env.reply_to(OWNER["id"], "怎么用", timeout=10)
        rows = await _wait_rows(env, lambda rows: rows[900].processed_at is not None
                                and all(rows[u].failures >= 1 for u in (897, 898, 899)))
        assert rows[900].failures == 0 and rows[900].payload is None  # dropped once processed
        assert store.counts["replayed"] >= 1


async def test_a_handler_that_raises_is_retried_then_parked(tmp_path, kb_dir, caplog):
    async with world(tmp_path, kb_dir, "webhook", SME_TELEGRAM__REPLAY_AFTER_S="0.3",
                     SME_TELEGRAM__MAX_UPDATE_ATTEMPTS="3") as env:
        assistant = env.services.assistant
        real_ask = assistant.ask
        calls = []

        async def ask(text, **kwargs):
            if text == "炸弹":
                calls.append(text)
                raise RuntimeError("handler bug")
            return await real_ask(text, **kwargs)

        assistant.ask = ask
        bomb = await env.say(OWNER, "炸弹")
        rows = await _wait_rows(env, lambda rows: rows[bomb].parked_at is not None)
        assert rows[bomb].failures == 3 and len(calls) == 3  # tried three times, no more
        assert "RuntimeError: handler bug" in rows[bomb].last_error
        assert rows[bomb].processed_at is None
        await env.say(OWNER, "试用期最长可以约定多久？")  # the others go on
        await env.reply_to(OWNER["id"], "试用期", timeout=10)
        await env.fake.wait_for(lambda: sum("出错了" in (m.get("text") or "")
                                            for m in env.fake.sent(OWNER["id"])) == 3)
        assert len(calls) == 3
