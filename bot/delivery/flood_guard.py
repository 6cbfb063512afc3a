"""Per-user flood protection: a burst beyond the allowed rate gets one polite notice and the
rest is dropped, so that one user cannot slow the bot down for everyone else."""
from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from enum import Enum


class Verdict(Enum):
    ALLOW = "allow"
    NOTIFY = "notify"  # the first message over the limit: tell the user once
    DROP = "drop"


class FloodGuard:
    def __init__(self, messages: int, window_s: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.messages = messages
        self.window_s = window_s
        self.clock = clock
        self._seen: dict[str, deque[float]] = {}
        self._notified: dict[str, float] = {}

    def check(self, user: str) -> Verdict:
        now = self.clock()
        times = self._seen.setdefault(user, deque())
        while times and now - times[0] > self.window_s:
            times.popleft()
        if len(times) < self.messages:
            times.append(now)
            self._notified.pop(user, None)
            return Verdict.ALLOW
        if user in self._notified:
            return Verdict.DROP
        self._notified[user] = now
        return Verdict.NOTIFY
