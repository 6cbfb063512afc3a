"""The leader lease: one holder at a time, taken over when it expires or is released."""
from __future__ import annotations

import asyncio

from bot.app.leadership import LeaseStore, Leadership
from storage.db import create_engine, session_factory
from storage.migrate import upgrade


async def test_one_holder_until_expiry_or_release(database_url):
    engine = create_engine(database_url)
    await upgrade(engine)
    sessions = session_factory(engine)
    first, second = LeaseStore(sessions, "leader", "a"), LeaseStore(sessions, "leader", "b")
    try:
        assert await first.acquire(ttl=60)
        assert not await second.acquire(ttl=60)
        assert await first.acquire(ttl=60)  # renewal by the holder
        assert await first.acquire(ttl=-1)  # renewed into the past: as if its process died
        assert await second.acquire(ttl=60)
        assert not await first.acquire(ttl=60)
        await second.release()
        assert await first.acquire(ttl=60)
    finally:
        await engine.dispose()


async def test_leadership_runs_duties_while_leading_and_hands_over_on_close(database_url):
    engine = create_engine(database_url)
    await upgrade(engine)
    sessions = session_factory(engine)
    events: list[str] = []

    async def record(what: str) -> None:
        events.append(what)

    one = Leadership(LeaseStore(sessions, "leader", "one"), lambda: record("one leads"),
                     lambda: record("one stops"), ttl=3)
    two = Leadership(LeaseStore(sessions, "leader", "two"), lambda: record("two leads"),
                     lambda: record("two stops"), ttl=3)
    try:
        one.start()
        await asyncio.wait_for(one.changed.wait(), 10)
        two.start()
        await one.close()  # releases the lease: the other takes over without waiting for expiry
        await asyncio.wait_for(two.changed.wait(), 30)
        assert events == ["one leads", "one stops", "two leads"]
    finally:
        await two.close()
        await engine.dispose()
