"""Claims on stored updates (issue 16, item 11): a process that dies while handling an update
leaves its claim; once the claim is stale another process takes the update back. This used to
be caught only by the PostgreSQL fleet test; here it runs on every engine."""
from datetime import timedelta

from storage.inbound import InboundStore, claim_updates
from storage.models import utcnow

GRACE = timedelta(seconds=30)  # telegram.replay_after_s


async def claim(sessions, update_id: int, stale_before) -> set[int]:
    async with sessions.begin() as session:
        return await claim_updates(session, [update_id], stale_before)


async def test_a_dead_process_s_claim_is_taken_back_once_stale_and_never_after_processing(
        sessions):
    store = InboundStore(sessions)
    assert await store.record(1, '{"update_id": 1}')
    claimed_at = utcnow()
    assert await claim(sessions, 1, claimed_at - GRACE) == {1}  # a process claims it, then dies
    # Within the grace period the claim holds: its process may still be working on it.
    assert await claim(sessions, 1, claimed_at - GRACE) == set()
    assert [uid for uid, _ in await store.unprocessed()] == [1]
    # Later the claim is stale (claimed before `stale_before`): the leader takes it back, once.
    later = claimed_at + GRACE + timedelta(seconds=1)
    assert await claim(sessions, 1, later - GRACE) == {1}
    assert await claim(sessions, 1, utcnow() - GRACE) == set()  # its new claim holds
    store.claimed(1)
    store.processed(1)
    await store.drain()
    assert await claim(sessions, 1, later + timedelta(days=1)) == set()  # processed: never again
    assert await store.unprocessed() == []
