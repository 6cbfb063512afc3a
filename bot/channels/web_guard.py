"""Slow and excess clients of the aiohttp server.

aiohttp waits for a request's head as long as the client likes and accepts connections until
the process runs out of descriptors. Here every connection must deliver its first request's
head within `header_timeout_s` (later ones on a kept-alive connection: aiohttp's keep-alive
timeout, set to the same), and at most `limit` connections are open: a new one beyond that
closes the oldest still waiting for its head (a slow client), or is itself closed at once
(an abort, no answer: shedding costs nothing). The event loop's own complaints (e.g.
`socket.accept() out of system resource`) are logged at most once a minute.
"""
from __future__ import annotations

import asyncio
import logging
import resource
from collections.abc import Callable

from aiohttp import web

from ..foundation import metrics
from ..foundation.log_throttle import LogThrottle

log = logging.getLogger(__name__)
HEAD_ENDS = (b"\r\n\r\n", b"\n\n")
SPARE_FDS = 64  # descriptors kept for the database, files and outgoing requests


class ConnectionGuard:
    def __init__(self, limit: int, header_timeout_s: float) -> None:
        self.limit = limit
        self.header_timeout_s = header_timeout_s
        self._open: dict[_Guarded, None] = {}  # insertion order: the oldest first
        self.shed = 0  # connections closed to keep the limit
        self.timed_out = 0  # connections closed for a head that did not arrive in time

    @property
    def open(self) -> int:
        return len(self._open)

    def factory(self, inner: Callable[[], asyncio.Protocol]) -> Callable[[], asyncio.Protocol]:
        return lambda: _Guarded(self, inner)

    def _admit(self, connection: _Guarded) -> bool:
        if len(self._open) >= self.limit:
            self.shed += 1
            metrics.CONNECTIONS_SHED.inc()
            slow = next((c for c in self._open if c.awaiting_head), None)
            if slow is None:
                return False
            self._drop(slow)
            slow.transport.abort()
        self._open[connection] = None
        metrics.CONNECTIONS_OPEN.inc()
        return True

    def _drop(self, connection: _Guarded) -> None:
        if self._open.pop(connection, 0) is None:  # was open (its value is None)
            metrics.CONNECTIONS_OPEN.dec()
        connection.cancel_deadline()


class _Guarded(asyncio.Protocol):
    """aiohttp's protocol for one connection, behind the guard's admission and deadline."""

    def __init__(self, guard: ConnectionGuard, inner: Callable[[], asyncio.Protocol]) -> None:
        self.guard = guard
        self.make_inner = inner
        self.inner: asyncio.Protocol | None = None
        self.transport: asyncio.Transport | None = None
        self.awaiting_head = True
        self._tail = b""
        self._deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        if not self.guard._admit(self):
            transport.abort()  # type: ignore[attr-defined]
            return
        self._deadline = asyncio.get_running_loop().call_later(self.guard.header_timeout_s,
                                                               self._too_slow)
        self.inner = self.make_inner()
        self.inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        if self.inner is None:
            return
        if self.awaiting_head:
            seen = self._tail + data
            if any(end in seen for end in HEAD_ENDS):
                self.awaiting_head = False
                self.cancel_deadline()
            self._tail = seen[-3:]
        self.inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self.inner.eof_received() if self.inner is not None else None

    def pause_writing(self) -> None:
        if self.inner is not None:
            self.inner.pause_writing()

    def resume_writing(self) -> None:
        if self.inner is not None:
            self.inner.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        self.guard._drop(self)
        if self.inner is not None:
            self.inner.connection_lost(exc)

    def cancel_deadline(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        if self.awaiting_head and self.transport is not None:
            self.guard.timed_out += 1
            metrics.CONNECTIONS_TIMED_OUT.inc()
            self.guard._drop(self)
            self.transport.abort()


class GuardedSite(web.TCPSite):
    """A TCP site whose connections pass through a `ConnectionGuard`."""

    def __init__(self, runner: web.BaseRunner, host: str, port: int,
                 guard: ConnectionGuard) -> None:
        super().__init__(runner, host, port)
        self.guard = guard

    async def start(self) -> None:
        await web.BaseSite.start(self)  # registers the site with its runner
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            self.guard.factory(self._runner.server), self._host, self._port,
            backlog=self._backlog, reuse_address=True)
        self._bound_port = self._server.sockets[0].getsockname()[1]


def quiet_loop_errors(loop: asyncio.AbstractEventLoop, throttle: LogThrottle) -> None:
    """The loop's exception handler, each message at most once per the throttle's interval."""
    def handle(loop: asyncio.AbstractEventLoop, context: dict) -> None:
        skipped = throttle.allow(str(context.get("message")))
        if skipped is None:
            return
        if skipped:
            context = {**context, "message": f"{context.get('message')} "
                                             f"(and {skipped} more times since last logged)"}
        loop.default_exception_handler(context)

    loop.set_exception_handler(handle)


def ensure_descriptors(limit: int) -> None:
    """Raise the process's open-file limit so `limit` connections fit beside the rest; say so
    when the hard limit does not allow it (the guard then still sheds before the loop fails)."""
    needed = limit + SPARE_FDS
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    if soft != resource.RLIM_INFINITY and soft < needed:
        log.warning("the open-file limit (%s) is below web.max_connections + %s (%s): lower "
                    "web.max_connections or raise the limit (ulimit -n)", soft, SPARE_FDS,
                    needed)
