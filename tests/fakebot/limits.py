"""Optional emulation of Telegram's flood limits with token buckets."""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class TokenBucket:
    """``capacity`` tokens, refilled evenly over ``period`` seconds."""

    capacity: float
    period: float
    tokens: float = field(init=False)
    stamp: float | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.tokens = self.capacity

    def _refill(self, now: float) -> None:
        if self.stamp is not None:
            rate = self.capacity / self.period
            self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * rate)
        self.stamp = now

    def wait_time(self, now: float) -> float:
        """Seconds until one token is available (0 if available now)."""
        self._refill(now)
        missing = 1 - self.tokens
        return 0.0 if missing <= 0 else missing * self.period / self.capacity

    def take(self, now: float) -> None:
        self._refill(now)
        self.tokens -= 1


@dataclass
class RateLimits:
    """Per private chat ≈1 msg/s, per group 20 msgs/60 s (all topics share it), overall 30/s.

    Each limit is ``(capacity, period_seconds)``. ``clock`` may be replaced by a fake clock
    to make tests deterministic. ``floods`` counts the 429s issued per scope
    ("chat", "group", "global").
    """

    private: tuple[float, float] = (1, 1.0)
    group: tuple[float, float] = (20, 60.0)
    overall: tuple[float, float] = (30, 1.0)
    clock: Callable[[], float] = time.monotonic
    floods: Counter[str] = field(default_factory=Counter)
    _chats: dict[int | str, TokenBucket] = field(default_factory=dict, repr=False)
    _global: TokenBucket | None = field(default=None, repr=False)

    @property
    def flood_count(self) -> int:
        return sum(self.floods.values())

    def check(self, chat_id: int | str) -> int | None:
        """Spend a token for a message to ``chat_id``; return ``retry_after`` when over a limit."""
        now = self.clock()
        is_group = isinstance(chat_id, str) or chat_id < 0
        if chat_id not in self._chats:
            self._chats[chat_id] = TokenBucket(*(self.group if is_group else self.private))
        if self._global is None:
            self._global = TokenBucket(*self.overall)
        buckets = {"group" if is_group else "chat": self._chats[chat_id], "global": self._global}
        for scope, bucket in buckets.items():
            wait = bucket.wait_time(now)
            if wait > 0:
                self.floods[scope] += 1
                return max(1, math.ceil(wait))
        for bucket in buckets.values():
            bucket.take(now)
        return None
