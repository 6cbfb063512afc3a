"""Answer latency: when each private chat's oldest unanswered message arrived, until the first
message to that chat is acknowledged by the channel (`sme_answer_latency_seconds`).

Per process: an update received by one process and answered by another (the fleet's leader
sends the outbox) is not measured. A message that gets no answer is forgotten after
`forget_after_s`, so a later answer is not measured from it.
"""
from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

FORGET_AFTER_S = 300.0
MAX_CHATS = 10_000


class AnswerClock:
    def __init__(self, forget_after_s: float = FORGET_AFTER_S, max_chats: int = MAX_CHATS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.forget_after_s = forget_after_s
        self.max_chats = max_chats
        self.clock = clock
        self._waiting: OrderedDict[str, float] = OrderedDict()  # chat → arrival, oldest first

    def received(self, chat_id: str) -> None:
        """A message from `chat_id` arrived (an earlier unanswered one keeps its time)."""
        now = self.clock()
        while self._waiting and (len(self._waiting) >= self.max_chats or
                                 now - next(iter(self._waiting.values())) > self.forget_after_s):
            self._waiting.popitem(last=False)
        self._waiting.setdefault(str(chat_id), now)

    def answered(self, chat_id: str) -> float | None:
        """Seconds since the chat's oldest unanswered message, or None when none is waiting."""
        arrived = self._waiting.pop(str(chat_id), None)
        if arrived is None:
            return None
        waited = self.clock() - arrived
        return waited if waited <= self.forget_after_s else None
