"""Refusals in a shared chat: someone who is not staff tries a staff command or button in the
staff group. Every message there spends the group's 20-per-minute budget that staff notices
need, so each person is refused once, then left in silence for a while."""
from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

QUIET_S = 3600.0  # after a refusal, the same person's next attempts stay unanswered this long
MAX_PEOPLE = 10_000  # people remembered at most (the oldest are forgotten first)


class RefusalLimiter:
    def __init__(self, quiet_s: float = QUIET_S, max_people: int = MAX_PEOPLE,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.quiet_s = quiet_s
        self.max_people = max_people
        self.clock = clock
        self._refused: OrderedDict[str, float] = OrderedDict()  # person → last refusal, oldest first

    def first(self, person: str) -> bool:
        """True when `person` should be told (and remembers it); False while they are quiet."""
        now = self.clock()
        while self._refused and (now - next(iter(self._refused.values())) >= self.quiet_s
                                 or len(self._refused) >= self.max_people):
            self._refused.popitem(last=False)
        if person in self._refused:
            return False
        self._refused[person] = now
        return True

    def __len__(self) -> int:
        return len(self._refused)
