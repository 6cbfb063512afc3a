"""`/metrics` (issue 16, item 10): Prometheus text that parses, counters that move when
things happen, and no table scan per scrape."""
import asyncio

from sqlalchemy import event

from tests.e2e.harness import OWNER, world
from tests.fakebot.faults import blocked, flood, server_error
from tests.metrics_scrape import scrape, value

QUESTION = "试用期最长可以约定多久"


def moved(before, after, name, **labels) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


async def test_counters_and_histograms_move_when_things_happen(tmp_path, kb_dir):
    async with world(tmp_path, kb_dir, "webhook") as env:
        where = env.settings.web.host, env.settings.web.port
        before = await scrape(*where)
        for fault in (flood(1), server_error()):  # the first answer: 429, 5xx, then sent
            env.fake.inject("sendMessage", fault, match={"chat_id": OWNER["id"]})
        update_id = await env.say(OWNER, QUESTION)
        await env.reply_to(OWNER["id"], "第19条", timeout=15)
        assert await env.fake.redeliver(update_id) == 200
        env.fake.inject("sendMessage", blocked(), match={"chat_id": OWNER["id"]})
        await env.say(OWNER, QUESTION)  # its answer fails for good: the user blocked the bot
        async with asyncio.timeout(15):
            while moved(before, after := await scrape(*where), "sme_outbox_sends_total",
                        outcome="403") < 1:
                await asyncio.sleep(0.05)

    assert moved(before, after, "sme_webhook_requests_total", result="received") >= 2
    assert moved(before, after, "sme_webhook_requests_total", result="duplicate") == 1
    assert moved(before, after, "sme_matcher_decisions_total", decision="answered") == 2
    assert moved(before, after, "sme_matcher_confidence_count", decision="answered") == 2
    for outcome in ("429", "5xx"):
        assert moved(before, after, "sme_outbox_sends_total", outcome=outcome) == 1, outcome
        assert moved(before, after, "sme_outbox_send_seconds_count", outcome=outcome) == 1
    assert moved(before, after, "sme_outbox_sends_total", outcome="sent") >= 1
    assert moved(before, after, "sme_outbox_sends_total", outcome="403") == 1
    # The answer acknowledged by Telegram, from its update's arrival (two retries: > 1 s).
    assert moved(before, after, "sme_answer_latency_seconds_count") == 1
    assert moved(before, after, "sme_answer_latency_seconds_sum") > 1
    assert value(after, "sme_web_connections_open") >= 1  # the scrape's own connection
    assert ("sme_outbox_pending", (("priority", "bulk"),)) in after
    assert ("sme_tickets_open", ()) in after


async def test_a_scrape_does_not_count_tables_each_time(tmp_path, kb_dir):
    async with world(tmp_path, kb_dir, "webhook") as env:
        where = env.settings.web.host, env.settings.web.port
        statements: list[str] = []
        engine = env.services.engine.sync_engine
        listener = lambda conn, cursor, sql, *rest: statements.append(sql)  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            for _ in range(5):
                await scrape(*where)
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        # One read of the gauges for five scrapes (then at most one per 15 s), and only of
        # pending outbox rows and open requests (indexed), never of all rows by status.
        counts = [sql for sql in statements if "count(" in sql.lower()]
        assert len(counts) == 2, statements
        assert not any("question_log" in sql for sql in statements)
        assert all("WHERE" in sql for sql in counts)
