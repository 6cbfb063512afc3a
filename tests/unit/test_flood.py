from bot.delivery.flood_guard import FloodGuard, Verdict


def test_burst_gets_one_notice_then_drops_and_recovers():
    now = [0.0]
    guard = FloodGuard(messages=3, window_s=10, clock=lambda: now[0])
    assert [guard.check("u") for _ in range(3)] == [Verdict.ALLOW] * 3
    assert guard.check("u") is Verdict.NOTIFY
    assert guard.check("u") is Verdict.DROP
    assert guard.check("other") is Verdict.ALLOW  # others are not affected
    now[0] = 10.5
    assert guard.check("u") is Verdict.ALLOW
    assert [guard.check("u") for _ in range(3)][-1] is Verdict.NOTIFY


def test_users_quiet_for_a_window_are_forgotten():
    now = [0.0]
    guard = FloodGuard(messages=3, window_s=10, clock=lambda: now[0])
    for n in range(1000):
        guard.check(f"user{n}")
    for _ in range(4):
        guard.check("burst")  # notified, then quiet
    assert len(guard) == 1001
    now[0] = 10.5
    guard.check("user0")
    assert len(guard) == 1  # the others were quiet for a whole window
    now[0] = 15.0
    assert guard.check("newcomer") is Verdict.ALLOW
    assert len(guard) == 2
    now[0] = 40.0
    assert guard.check("burst") is Verdict.ALLOW  # forgotten, notice state included
