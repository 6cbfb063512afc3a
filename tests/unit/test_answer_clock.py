"""Answer latency per chat (issue 16, item 10): from the oldest unanswered message, bounded."""
from bot.delivery.answer_clock import AnswerClock


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_latency_runs_from_the_oldest_unanswered_message():
    clock = Clock()
    answers = AnswerClock(clock=clock)
    answers.received("501")
    clock.now = 1.0
    answers.received("501")  # a second message before the answer keeps the first's time
    clock.now = 2.5
    assert answers.answered("501") == 2.5
    assert answers.answered("501") is None  # the next message to the chat is not an answer
    assert answers.answered("999") is None


def test_an_unanswered_message_is_forgotten_and_memory_is_bounded():
    clock = Clock()
    answers = AnswerClock(forget_after_s=300, max_chats=10, clock=clock)
    answers.received("501")
    clock.now = 301
    assert answers.answered("501") is None  # not measured from a message long unanswered
    for n in range(100):
        answers.received(str(n))
    assert len(answers._waiting) <= 10
