"""Telegram's flood limits as a schedule: ≈1 message/s per private chat, ≤ 20/min per group
(all forum topics of the staff group share it) and ≤ 30/s overall. The outbox sender asks
before each send; a chat that must wait does not hold up the others."""
from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    per_chat_s: float = 1.0  # seconds between messages to one private chat
    per_group_minute: int = 20  # messages per minute to one group
    overall_per_s: int = 30


class Pacer:
    def __init__(self, limits: Limits = Limits(), clock: Callable[[], float] = time.monotonic):
        self.limits = limits
        self.clock = clock
        self._last: dict[str, float] = {}  # private chat → last send
        self._group: dict[str, deque[float]] = {}  # group → sends in the last minute
        self._overall: deque[float] = deque()

    @staticmethod
    def is_group(chat_id: str) -> bool:
        return chat_id.startswith("-")

    def wait(self, chat_id: str) -> float:
        """Seconds until a message to `chat_id` may be sent (0 when it may go now)."""
        now = self.clock()
        waits = [0.0]
        overall = self._overall
        while overall and now - overall[0] >= 1.0:
            overall.popleft()
        if len(overall) >= self.limits.overall_per_s:
            waits.append(1.0 - (now - overall[0]))
        if self.is_group(chat_id):
            sent = self._group.setdefault(chat_id, deque())
            while sent and now - sent[0] >= 60.0:
                sent.popleft()
            if len(sent) >= self.limits.per_group_minute:
                waits.append(60.0 - (now - sent[0]))
        elif chat_id in self._last:
            waits.append(self.limits.per_chat_s - (now - self._last[chat_id]))
        return max(waits)

    def done(self, chat_id: str) -> None:
        """The send has returned: a private chat's spacing counts from here, because the
        message may have reached Telegram later than it was scheduled (a busy process, a slow
        network) and the next one must not arrive too close behind it."""
        if not self.is_group(chat_id):
            self._last[chat_id] = self.clock()

    def sent(self, chat_id: str) -> None:
        now = self.clock()
        self._overall.append(now)
        if self.is_group(chat_id):
            self._group.setdefault(chat_id, deque()).append(now)
        else:
            self._last[chat_id] = now
