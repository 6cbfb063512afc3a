"""The same error in a tight loop is logged once per interval (issue 16, item 3: asyncio wrote
"socket.accept() out of system resource" 600,000 times in a minute)."""
import asyncio
import errno
import logging

from bot.channels.web_guard import quiet_loop_errors
from bot.foundation.log_throttle import LogThrottle


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_a_line_is_logged_once_per_interval_then_says_how_often_it_was_left_out(caplog):
    clock = Clock()
    throttle = LogThrottle(interval_s=60, clock=clock)
    logger = logging.getLogger("test.throttle")
    with caplog.at_level(logging.WARNING, "test.throttle"):
        for _ in range(1000):
            throttle.log(logger, logging.WARNING, "forbidden", "bad secret from %s", "1.2.3.4")
        throttle.log(logger, logging.WARNING, "other", "another line")
        clock.now = 60
        throttle.log(logger, logging.WARNING, "forbidden", "bad secret from %s", "1.2.3.4")
    assert [r.getMessage() for r in caplog.records] == [
        "bad secret from 1.2.3.4", "another line",
        "bad secret from 1.2.3.4 (and 999 more times since it was last logged)"]


def test_it_remembers_a_bounded_number_of_lines():
    throttle = LogThrottle(max_keys=10)
    for n in range(100):
        throttle.allow(str(n))
    assert len(throttle._last) == 10


async def test_the_event_loop_s_complaints_are_throttled(caplog):
    loop = asyncio.get_running_loop()
    previous = loop.get_exception_handler()
    quiet_loop_errors(loop, LogThrottle())
    try:
        with caplog.at_level(logging.ERROR, "asyncio"):
            for _ in range(10_000):
                loop.call_exception_handler({
                    "message": "socket.accept() out of system resource",
                    "exception": OSError(errno.EMFILE, "Too many open files")})
    finally:
        loop.set_exception_handler(previous)
    assert sum("out of system resource" in r.getMessage() for r in caplog.records) == 1
