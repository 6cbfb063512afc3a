"""Edited messages, malformed webhook requests, unknown buttons and commands, a database that
does not answer: a clear refusal or hint, never a second run, a 500 or a leak."""
import asyncio
import json
import logging

import aiohttp
import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker

from storage.db import create_engine
from tests.e2e.harness import AGENT_A, OUTSIDER, OWNER, SECRET, STAFF_GROUP, world
from tests.e2e.test_staff_flow import human_ticket
from tests.fakebot import builders as b

EDITED = "修改后的消息不会重新处理"


def _texts(env, chat_id: int, part: str) -> list[str]:
    return [m["text"] for m in env.fake.sent(chat_id) if part in (m.get("text") or "")]


async def _staff_command(env, user: dict, text: str) -> dict:
    """A staff command in the group; returns the message (to edit it later)."""
    chat = env.fake.chats[STAFF_GROUP]
    message = b.text_message(chat, user, text, env.fake.next_message_id(STAFF_GROUP))
    message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    await env.push(message=message)
    return message


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_an_edited_command_is_not_run_again(tmp_path, kb_dir, mode):
    async with world(tmp_path, kb_dir, mode) as env:
        card, _ = await human_ticket(env)
        n = int(env.button(card, "tk:claim:").rsplit(":", 1)[1])
        reply = await _staff_command(env, AGENT_A, f"/reply {n} 请补充合同")
        await env.reply_to(OWNER["id"], "请补充合同")
        note = await _staff_command(env, AGENT_A, f"/note {n} 内部备注一")
        await env.reply_to(STAFF_GROUP, "备注")
        before = env.count(STAFF_GROUP)
        await env.push(edited_message=b.edited(reply, f"/reply {n} 请补充合同和发票"))
        await env.push(edited_message=b.edited(note, f"/note {n} 内部备注二"))
        await env.fake.wait_for(lambda: len(_texts(env, STAFF_GROUP, EDITED)) == 2)
        await env.say(OWNER, "/help")  # everything before it has been handled
        await env.reply_to(OWNER["id"], "怎么用")
        assert len(_texts(env, OWNER["id"], "请补充合同")) == 1
        assert not _texts(env, OWNER["id"], "发票")
        messages = (await env.services.tickets.get(n))[4]
        assert [m.text for m in messages if m.direction == "note"] == ["内部备注一"]
        assert env.count(STAFF_GROUP) == before + 2  # the two notices, nothing else


async def test_an_edit_during_intake_is_not_an_answer(tmp_path, kb_dir):
    async with world(tmp_path, kb_dir, "polling") as env:
        chat = b.private_chat(OWNER)
        await env.say(OWNER, "/new")
        categories = await env.reply_to(OWNER["id"], "请选择需求类别")
        await env.press(OWNER, categories, "cat:financing")
        description = b.text_message(chat, OWNER, "想申请一笔信用贷款",
                                     env.fake.next_message_id(OWNER["id"]))
        await env.push(message=description)
        more = await env.reply_to(OWNER["id"], "已收到")
        await env.press(OWNER, more, "intake:done")
        await env.reply_to(OWNER["id"], "企业全称")
        await env.push(edited_message=b.edited(description, "91350100M000100Y43"))
        await env.reply_to(OWNER["id"], EDITED)
        assert not _texts(env, OWNER["id"], "统一社会信用代码（")  # still at the company step
        for text in ("某某公司", "91350100M000100Y43", "张三", "13800138000"):
            await env.say(OWNER, text)
        industry = await env.reply_to(OWNER["id"], "所属行业")
        await env.press(OWNER, industry, "ind:1")
        consent = await env.reply_to(OWNER["id"], "是否同意")
        await env.press(OWNER, consent, "consent:yes")
        confirm = await env.reply_to(OWNER["id"], "请确认")
        assert "某某公司" in confirm["text"] and "想申请一笔信用贷款" in confirm["text"]
        assert len(_texts(env, OWNER["id"], "统一社会信用代码（")) == 1


async def _raw_post(port: int, path: str, headers: bytes, body: bytes) -> int:
    """An HTTP request written by hand (header bytes no client library would send)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"POST " + path.encode() + b" HTTP/1.1\r\nHost: x\r\n" + headers
                 + b"Content-Type: application/json\r\nContent-Length: "
                 + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)
    await writer.drain()
    status = int((await reader.readline()).split()[1])
    writer.close()
    return status


MALFORMED = [
    b"[" * 200_000,                                    # nesting deeper than any parser allows
    b'{"update_id": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    json.dumps({"update_id": 2 ** 63}).encode(),        # past the database's BIGINT
    json.dumps({"update_id": 10 ** 40}).encode(),
    json.dumps({"update_id": -1}).encode(),
    json.dumps({"update_id": "12"}).encode(),
    json.dumps({"update_id": 1.5}).encode(),
    json.dumps({"update_id": True}).encode(),
    json.dumps({"update_id": None}).encode(),
    b"[]", b'"x"', b"null", b"", b"{", b"\xff\xfe\x00",  # not an object, not JSON, not UTF-8
]


async def test_malformed_webhook_requests_are_refused_not_server_errors(tmp_path, kb_dir,
                                                                        caplog):
    async with world(tmp_path, kb_dir, "webhook") as env:
        port, path = env.settings.web.port, env.settings.telegram.webhook_path
        secret = b"X-Telegram-Bot-Api-Secret-Token: " + SECRET.encode() + b"\r\n"
        with caplog.at_level(logging.WARNING):
            for body in MALFORMED:
                assert await _raw_post(port, path, secret, body) == 400, body[:40]
            for header in (b"\xff\xfe\xfd", b"\xc3\x28", SECRET.encode() + b"\xff", b"\xe4\xb8"):
                token = b"X-Telegram-Bot-Api-Secret-Token: " + header + b"\r\n"
                assert await _raw_post(port, path, token, b'{"update_id": 5}') == 403
            for _ in range(200):  # anyone can send these: the log does not grow with them
                assert await _raw_post(port, path, b"", b'{"update_id": 5}') == 403
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
        refusals = [r for r in caplog.records if "secret token" in r.getMessage()]
        assert len(refusals) == 1
        await env.say(OWNER, "/help")
        await env.reply_to(OWNER["id"], "怎么用")


async def test_every_button_press_is_answered(tmp_path, kb_dir):
    async with world(tmp_path, kb_dir, "polling") as env:
        await env.say(OWNER, "/start")
        welcome = await env.reply_to(OWNER["id"], "中小企业公共服务平台")
        pressed = []
        for data in ("zz", "zz:1:2", "", "cat:bogus", "intake:done", "consent:yes", "rate:x:y",
                     "rate:999:5", "reopen:abc", "fb:1:1", "kb:no-such-entry", "tp:99:0",
                     "tk:claim:99999999999999999999", "tk:claim:1", "erase:maybe", "sub:t:x",
                     "bc:send:99999999999999999999", "fu:x", "none:zz"):
            for user in (OWNER, OUTSIDER):
                query_id = str(env.fake._query_ids.__next__())  # noqa: SLF001
                await env.push(callback_query=b.callback_query(query_id, user, welcome, data))
                pressed.append(query_id)
        await env.fake.wait_for(lambda: all(q in env.fake.callback_answers for q in pressed),
                                timeout=15)


async def test_unknown_commands_get_a_hint(tmp_path, kb_dir):
    async with world(tmp_path, kb_dir, "polling") as env:
        await env.say(OWNER, "/foo")
        await env.reply_to(OWNER["id"], "不认识的命令 /foo")
        await env.staff(AGENT_A, "/bar 1 2")
        hint = await env.reply_to(STAFF_GROUP, "不认识的命令 /bar")
        assert "/queue" in hint["text"] and "/reply" in hint["text"]
        await env.staff(AGENT_A, "/baz@some_other_bot")  # for another bot: not ours to answer
        await env.staff(AGENT_A, "/whoami")
        await env.reply_to(STAFF_GROUP, "工作人员")
        assert not _texts(env, STAFF_GROUP, "/baz")


async def test_database_down_health_and_metrics_leak_nothing(tmp_path, kb_dir):
    async with world(tmp_path, kb_dir, "webhook") as env:
        base = f"http://127.0.0.1:{env.settings.web.port}"
        sessions = env.services.sessions
        broken = create_engine("postgresql+asyncpg://someone@127.0.0.1:1/secretdb")  # refused
        env.services.sessions = async_sessionmaker(broken)
        try:
            async with aiohttp.ClientSession() as http:
                async with http.get(base + "/healthz") as resp:
                    assert resp.status == 503
                    body = await resp.text()
                async with http.get(base + "/metrics") as resp:
                    assert resp.status == 200
                    metrics = await resp.text()
        finally:
            env.services.sessions = sessions
            await broken.dispose()
        assert json.loads(body) == {"status": "error", "database": "unavailable"}
        assert "sme_database_up 0" in metrics and "secretdb" not in metrics
        assert "sme_webhook_requests_total" in metrics
