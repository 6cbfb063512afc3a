from bot.pacing import Limits, Pacer


def make(**limits):
    now = [0.0]
    return Pacer(Limits(**limits), clock=lambda: now[0]), now


def test_private_chats_one_per_second_each():
    pacer, now = make()
    assert pacer.wait("42") == 0
    pacer.sent("42")
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
        pacer.sent("-100")
    assert abs(pacer.wait("-100") - 58.1) < 1e-6
    now[0] = 60.0
    assert pacer.wait("-100") == 0


def test_overall_thirty_per_second():
    pacer, now = make()
    for i in range(30):
        pacer.sent(str(i))
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
