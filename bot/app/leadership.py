"""One leader among the bot processes sharing a database.

The leader runs the duties that must happen once for the whole fleet: the outbox sender (so
Telegram's rate limits hold for all processes together), scheduled jobs, and picking up
webhook updates that a dead process stored but never processed. Leadership is a lease row in
the database (table `leases`), renewed every few seconds; when its holder dies, another process
takes it over once it expires. Works the same on SQLite and PostgreSQL.
"""
from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker

from storage.models import Lease, utcnow

log = logging.getLogger(__name__)

Start = Callable[[], Awaitable[None]]
Stop = Callable[[], Awaitable[None]]


def holder_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class LeaseStore:
    def __init__(self, sessions: async_sessionmaker, name: str, holder: str) -> None:
        self.sessions, self.name, self.holder = sessions, name, holder

    async def acquire(self, ttl: float) -> bool:
        """Take or renew the lease; False while another live holder has it."""
        now = utcnow()
        expires = now + timedelta(seconds=ttl)
        async with self.sessions.begin() as session:
            taken = await session.execute(
                update(Lease).where(Lease.name == self.name,
                                    (Lease.holder == self.holder) | (Lease.expires_at < now))
                .values(holder=self.holder, expires_at=expires))
            if taken.rowcount == 1:
                return True
        try:
            async with self.sessions.begin() as session:
                session.add(Lease(name=self.name, holder=self.holder, expires_at=expires))
        except IntegrityError:  # someone holds it (or took it a moment ago)
            return False
        return True

    async def release(self) -> None:
        async with self.sessions.begin() as session:
            await session.execute(delete(Lease).where(Lease.name == self.name,
                                                      Lease.holder == self.holder))


class Leadership:
    """Campaigns for the lease; runs `start` when elected and `stop` when the lease is lost
    or on shutdown (then the lease is released, so a successor takes over at once)."""

    def __init__(self, store: LeaseStore, start: Start, stop: Stop,
                 ttl: float = 6.0) -> None:
        self.store, self._start, self._stop, self.ttl = store, start, stop, ttl
        self.leading = False
        self.changed = asyncio.Event()
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._campaign(), name="leadership")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        if self.leading:
            await self._step_down()
            try:
                await self.store.release()
            except Exception:  # noqa: BLE001 - the lease then simply expires
                log.exception("could not release the %s lease", self.store.name)

    async def _campaign(self) -> None:
        while True:
            try:
                held = await self.store.acquire(self.ttl)
            except Exception:  # noqa: BLE001 - a database hiccup: assume the lease is lost
                log.exception("lease %s: renewal failed", self.store.name)
                held = False
            if held and not self.leading:
                log.info("lease %s taken by %s: this process leads", self.store.name,
                         self.store.holder)
                self.leading = True
                try:
                    await self._start()
                except Exception:  # noqa: BLE001 - give the lease back and campaign again
                    log.exception("lease %s: starting the leader's duties failed",
                                  self.store.name)
                    await self._step_down()
                    await self.store.release()
                self.changed.set()
            elif not held and self.leading:
                log.warning("lease %s lost: this process stops leading", self.store.name)
                await self._step_down()
            await asyncio.sleep(self.ttl / 3)

    async def _step_down(self) -> None:
        self.leading = False
        await self._stop()
        self.changed.set()
