"""Slow and excess clients of `sme-assistant serve` (issue 16, item 3): partial requests are
cut off after the timeout, the connection cap holds, and /healthz still answers."""
import asyncio
import time
from contextlib import AsyncExitStack

import aiohttp

from tests.e2e.harness import SECRET, world

PARTIAL = b"POST /telegram/webhook HTTP/1.1\r\nHost: bot\r\nContent-Type: appl"


def address(env) -> tuple[str, int]:
    return env.settings.web.host, env.settings.web.port


async def slow_clients(env, stack: AsyncExitStack, count: int) -> list[asyncio.StreamReader]:
    """`count` connections that each send part of a request's head, then nothing."""
    readers = []
    for _ in range(count):
        reader, writer = await asyncio.open_connection(*address(env))
        stack.callback(writer.close)
        writer.write(PARTIAL)
        await writer.drain()
        readers.append(reader)
    return readers


async def closed(reader: asyncio.StreamReader) -> bool:
    """The server closed the connection (the read ends without an answer)."""
    try:
        return await reader.read(1024) == b""
    except ConnectionError:
        return True


async def until_closed(done: list[asyncio.Future], count: int) -> None:
    """Wait until exactly `count` of the connections are closed (never more)."""
    async with asyncio.timeout(10):
        while sum(d.done() for d in done) < count:
            await asyncio.wait([d for d in done if not d.done()],
                               return_when=asyncio.FIRST_COMPLETED)
    assert sum(d.done() and d.result() for d in done) == count


async def test_partial_heads_are_closed_after_the_timeout(tmp_path, kb_dir):
    async with world(tmp_path, kb_dir, "webhook", SME_WEB__HEADER_TIMEOUT_S="1") as env, \
            AsyncExitStack() as stack:
        started = time.monotonic()
        readers = await slow_clients(env, stack, 5)
        async with asyncio.timeout(10):
            assert all(await asyncio.gather(*(closed(r) for r in readers)))
        assert time.monotonic() - started >= 0.9  # after the timeout, not at once


async def test_the_cap_holds_and_healthz_still_answers(tmp_path, kb_dir):
    async with world(tmp_path, kb_dir, "webhook", SME_WEB__MAX_CONNECTIONS="10",
                     SME_WEB__HEADER_TIMEOUT_S="60") as env, AsyncExitStack() as stack:
        readers = await slow_clients(env, stack, 30)
        done = [asyncio.ensure_future(closed(r)) for r in readers]
        stack.callback(lambda: [d.cancel() for d in done])
        # 20 over the cap are closed at once (the timeout is a minute away) ...
        await until_closed(done, 20)
        # ... and a real client still gets through, by displacing a slow one.
        host, port = address(env)
        async with aiohttp.ClientSession() as session, asyncio.timeout(10):
            async with session.get(f"http://{host}:{port}/healthz") as resp:
                assert resp.status == 200
        await until_closed(done, 21)  # the cap holds: one slow client made room for it


async def test_a_trickling_body_is_cut_off(tmp_path, kb_dir):
    async with world(tmp_path, kb_dir, "webhook", SME_WEB__BODY_TIMEOUT_S="0.5") as env:
        reader, writer = await asyncio.open_connection(*address(env))
        try:
            writer.write(b"POST /telegram/webhook HTTP/1.1\r\nHost: bot\r\n"
                         b"X-Telegram-Bot-Api-Secret-Token: " + SECRET.encode() +
                         b"\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
                         b'{"update_id"')
            await writer.drain()
            async with asyncio.timeout(10):
                status = await reader.readline()
            assert b" 408 " in status
        finally:
            writer.close()
