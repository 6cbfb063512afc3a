"""Refusals in the staff group (issue 16, item 5): once per person, then silence; bounded."""
from bot.requests.refusals import RefusalLimiter


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_one_refusal_then_silence_until_the_quiet_time_is_over():
    clock = Clock()
    limiter = RefusalLimiter(quiet_s=60, clock=clock)
    assert limiter.first("7999")
    assert not limiter.first("7999")
    assert limiter.first("8000")  # each person is told once
    clock.now = 59.9
    assert not limiter.first("7999")
    clock.now = 60.0
    assert limiter.first("7999")


def test_it_remembers_a_bounded_number_of_people():
    clock = Clock()
    limiter = RefusalLimiter(quiet_s=60, max_people=100, clock=clock)
    for n in range(1000):
        limiter.first(str(n))
    assert len(limiter) <= 100
    clock.now = 61
    limiter.first("new")
    assert len(limiter) == 1  # the expired ones are forgotten
