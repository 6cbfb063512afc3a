"""Telegram's flood limits as a schedule: ≈1 message/s per private chat, ≤ 20/min per group
(all forum topics of the staff group share it) and ≤ 30/s overall. The outbox sender asks
before each send; a chat that must wait does not hold up the others.

A send counts from the moment it is reserved until it returns, and then for the limit's period
from its return: Telegram may have received it any time in between, so the next one never
arrives too close behind it however late the request went out. Bulk messages (broadcasts) are
also spread evenly at the overall rate, so a slot frees every few hundredths of a second and
an interactive answer never waits behind a second's worth of bulk.
"""
from __future__ import annotations

import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass

BULK_BURST = 3  # bulk messages that may go back to back before the even spacing applies


@dataclass(frozen=True)
class Limits:
    per_chat_s: float = 1.0  # seconds between messages to one private chat
    per_group_minute: int = 20  # messages per minute to one group
    overall_per_s: int = 30


def _window_wait(returned: deque[float], flying: int, limit: int, period: float,
                 now: float) -> float:
    """Seconds until one more send fits in `limit` per `period` (sends in flight count)."""
    while returned and now - returned[0] >= period:
        returned.popleft()
    excess = len(returned) + flying - limit + 1  # sends that must leave the window first
    if excess <= 0:
        return 0.0
    if excess > len(returned):
        return period  # only a send still in flight can make room: the sender is woken then
    return period - (now - returned[excess - 1])


class Pacer:
    def __init__(self, limits: Limits = Limits(), clock: Callable[[], float] = time.monotonic):
        self.limits = limits
        self.clock = clock
        self._last: dict[str, float] = {}  # private chat → its last send (reserved or returned)
        self._group: dict[str, deque[float]] = {}  # group → sends returned in the last minute
        self._overall: deque[float] = deque()  # sends returned in the last second
        self._flying: Counter[str] = Counter()  # chat → sends reserved and not yet returned
        self._flying_total = 0
        self._bulk_due = 0.0  # when the next bulk message is due at the even rate

    @staticmethod
    def is_group(chat_id: str) -> bool:
        return chat_id.startswith("-")

    def wait(self, chat_id: str, bulk: bool = False) -> float:
        """Seconds until a message to `chat_id` may be sent (0 when it may go now)."""
        now = self.clock()
        waits = [_window_wait(self._overall, self._flying_total, self.limits.overall_per_s,
                              1.0, now)]
        if bulk:
            spacing = 1.0 / self.limits.overall_per_s
            waits.append(self._bulk_due - (BULK_BURST - 1) * spacing - now)
        if self.is_group(chat_id):
            waits.append(_window_wait(self._group.setdefault(chat_id, deque()),
                                      self._flying[chat_id], self.limits.per_group_minute,
                                      60.0, now))
        elif chat_id in self._last:
            waits.append(self.limits.per_chat_s - (now - self._last[chat_id]))
        wait = max(waits)
        return wait if wait > 1e-9 else 0.0  # not a float rounding error

    def sent(self, chat_id: str, bulk: bool = False) -> None:
        """Reserve a send (call `done` when it returns)."""
        now = self.clock()
        self._flying[chat_id] += 1
        self._flying_total += 1
        if bulk:
            self._bulk_due = max(self._bulk_due, now) + 1.0 / self.limits.overall_per_s
        if not self.is_group(chat_id):
            self._last[chat_id] = now

    def done(self, chat_id: str) -> None:
        """The reserved send has returned (delivered or not): the limits count from here."""
        now = self.clock()
        self._flying[chat_id] -= 1
        if self._flying[chat_id] <= 0:
            del self._flying[chat_id]
        self._flying_total -= 1
        self._overall.append(now)
        if self.is_group(chat_id):
            self._group.setdefault(chat_id, deque()).append(now)
        else:
            self._last[chat_id] = now
