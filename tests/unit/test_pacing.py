from bot.delivery.pacing import BULK_BURST, Limits, Pacer


def make(**limits):
    now = [0.0]
    return Pacer(Limits(**limits), clock=lambda: now[0]), now


def send(pacer: Pacer, chat: str, bulk: bool = False) -> None:
    """A send that returns at once."""
    pacer.sent(chat, bulk)
    pacer.done(chat)


def test_private_chats_one_per_second_each():
    pacer, now = make()
    assert pacer.wait("42") == 0
    send(pacer, "42")
    assert pacer.wait("42") == 1.0 and pacer.wait("43") == 0
    now[0] = 0.6
    assert abs(pacer.wait("42") - 0.4) < 1e-9
    now[0] = 1.0
    assert pacer.wait("42") == 0


def test_a_group_shares_twenty_per_minute_across_topics():
    pacer, now = make()
    for i in range(20):
        now[0] = i * 0.1
        assert pacer.wait("-100") == 0
        send(pacer, "-100")
    assert abs(pacer.wait("-100") - 58.1) < 1e-6
    now[0] = 60.0
    assert pacer.wait("-100") == 0


def test_overall_thirty_per_second():
    pacer, now = make()
    for i in range(30):
        send(pacer, str(i))
    assert pacer.wait("999") == 1.0
    now[0] = 1.0
    assert pacer.wait("999") == 0


def test_a_private_chat_is_spaced_from_when_the_send_returned():
    pacer, now = make()
    pacer.sent("42")
    now[0] = 0.4  # the request took 0.4 s to go out
    pacer.done("42")
    now[0] = 1.0
    assert abs(pacer.wait("42") - 0.4) < 1e-9


def test_sends_in_flight_hold_their_slot_and_count_from_their_return():
    pacer, now = make(overall_per_s=2, per_group_minute=1)
    pacer.sent("1")
    pacer.sent("-100")
    assert pacer.wait("3") == 1.0 and pacer.wait("-100") == 60.0  # both slots taken
    now[0] = 5.0  # a slow request: still in flight, still counted
    assert pacer.wait("3") > 0
    pacer.done("1")
    pacer.done("-100")
    now[0] = 5.5
    assert abs(pacer.wait("3") - 0.5) < 1e-9 and abs(pacer.wait("-100") - 59.5) < 1e-9
    now[0] = 6.0
    assert pacer.wait("3") == 0


def test_bulk_is_spread_evenly_and_interactive_messages_are_not():
    pacer, now = make(overall_per_s=10)
    for i in range(BULK_BURST):
        assert pacer.wait(str(i), bulk=True) == 0
        send(pacer, str(i), bulk=True)
    assert abs(pacer.wait("99", bulk=True) - 0.1) < 1e-9  # one per 1/10 s from here
    assert pacer.wait("99") == 0  # an answer may go at once
    now[0] = 0.1
    assert pacer.wait("99", bulk=True) == 0
