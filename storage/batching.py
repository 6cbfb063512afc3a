"""Group commit: concurrent small transactions of one kind run together as one.

Every answered question costs two short transactions (admitting the update, logging the
question with its reply), every new request one more (the ticket, its trail and messages).
Run one by one, the fixed cost of a transaction and of each statement — SQLAlchemy's
bookkeeping and the driver's round trips — is most of the bot's CPU time under load. Here
requests that arrive while a batch is being written wait for the next batch, which handles
all of them with multi-row statements in one transaction. Without load every batch holds one
request, so nothing waits longer than before.

A batch that fails is rolled back and its requests are run again one per transaction, so one
bad request fails alone.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

log = logging.getLogger(__name__)
Request = TypeVar("Request")
Result = TypeVar("Result")
# Handles a batch inside the transaction it is given; one result per request, in order.
BatchHandler = Callable[[AsyncSession, list[Request]], Awaitable[list[Result]]]


class GroupCommit(Generic[Request, Result]):
    def __init__(self, sessions: async_sessionmaker,
                 handle: "BatchHandler[Request, Result]") -> None:
        self.sessions = sessions
        self.handle = handle
        self._pending: list[tuple[Request, asyncio.Future]] = []
        self._runner: asyncio.Task | None = None

    async def run(self, request: Request) -> Result:
        future = asyncio.get_running_loop().create_future()
        self._pending.append((request, future))
        if self._runner is None or self._runner.done():
            self._runner = asyncio.create_task(self._drain(), name="group-commit")
        return await future

    async def _drain(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                await self._settle_batch(batch)
            finally:  # cancelled (shutdown): its callers must not wait forever
                for _, future in batch:
                    if not future.done():
                        future.cancel()

    async def _settle_batch(self, batch: list[tuple[Request, asyncio.Future]]) -> None:
        try:
            results = await self._transaction([request for request, _ in batch])
        except Exception as exc:  # noqa: BLE001 - handed to the waiting callers
            if len(batch) == 1:
                _settle(batch[0][1], exc=exc)
                return
            log.info("a batch of %d failed (%s); running them one by one", len(batch), exc)
            for request, future in batch:
                try:
                    _settle(future, (await self._transaction([request]))[0])
                except Exception as one:  # noqa: BLE001 - handed to its caller
                    _settle(future, exc=one)
            return
        for (_, future), result in zip(batch, results, strict=True):
            _settle(future, result)

    async def _transaction(self, requests: list[Request]) -> list[Result]:
        async with self.sessions.begin() as session:
            return await self.handle(session, requests)


def _settle(future: asyncio.Future, result=None, exc: BaseException | None = None) -> None:
    if future.done():  # the caller was cancelled meanwhile
        return
    if exc is not None:
        future.set_exception(exc)
    else:
        future.set_result(result)
