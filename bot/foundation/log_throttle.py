"""The same log line at most once per interval: an error that repeats in a tight loop (a full
descriptor table, a flood of bad requests) is logged once, then counted, never written
600,000 times a minute."""
from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable

INTERVAL_S = 60.0
MAX_KEYS = 1000  # distinct lines remembered (the oldest are forgotten first)


class LogThrottle:
    def __init__(self, interval_s: float = INTERVAL_S, max_keys: int = MAX_KEYS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.interval_s = interval_s
        self.max_keys = max_keys
        self.clock = clock
        self._last: OrderedDict[str, tuple[float, int]] = OrderedDict()  # key → (logged, skipped)

    def allow(self, key: str) -> int | None:
        """None to stay quiet; else how many times the line was left out since it was last
        logged (log it now, saying so when that is more than 0)."""
        now = self.clock()
        logged, skipped = self._last.get(key, (None, 0))
        if logged is not None and now - logged < self.interval_s:
            self._last[key] = (logged, skipped + 1)
            return None
        self._last[key] = (now, 0)
        self._last.move_to_end(key)
        while len(self._last) > self.max_keys:
            self._last.popitem(last=False)
        return skipped

    def log(self, logger: logging.Logger, level: int, key: str, message: str, *args,
            **kwargs) -> bool:
        """`logger.log(level, message, *args)` unless `key` was logged within the interval."""
        skipped = self.allow(key)
        if skipped is None:
            return False
        if skipped:
            message += " (and %d more times since it was last logged)"
            args = (*args, skipped)
        logger.log(level, message, *args, **kwargs)
        return True
