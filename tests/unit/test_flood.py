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
