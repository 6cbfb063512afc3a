"""Per-user flood protection: a burst beyond the allowed rate gets one polite notice and the
rest is dropped, so that one user cannot slow the bot down for everyone else. Users quiet
for a whole window are forgotten: memory grows with the users active lately, not all ever seen."""
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
        self._swept_at = clock()

    def check(self, user: str) -> Verdict:
        now = self.clock()
        if now - self._swept_at > self.window_s:
            self._forget_quiet(now)
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

    def _forget_quiet(self, now: float) -> None:
        """Drop the users with no message in the last window (at most once per window, so the
        cost per message stays constant)."""
        self._swept_at = now
        for user in [u for u, times in self._seen.items()
                     if not times or now - times[-1] > self.window_s]:
            del self._seen[user]
            self._notified.pop(user, None)

    def __len__(self) -> int:
        """How many users are remembered."""
        return len(self._seen)
