"""The database benchmark on a tiny history: the seed is made once and reused, and every
product query is run and explained (its figures are not asserted: no timing in tests)."""
from sqlalchemy import func, select

from bench.db_bench import measure, product_calls
from bench.db_seed import Plan, seeded_engine
from bot.foundation.settings import StaffSettings
from bot.requests.staff_directory import StaffDirectory
from bot.requests.ticket_views import TicketViews
from bot.requests.tickets import TicketService
from storage.db import session_factory
from storage.models import (
    Contact, EnterpriseProfile, QuestionLog, Ticket, TicketEvent, TicketMessage,
)

PLAN = Plan(400)


async def count(engine, model) -> int:
    async with engine.connect() as connection:
        return await connection.scalar(select(func.count()).select_from(model))


async def test_the_seed_is_made_once_and_reused_without_what_the_benchmark_added(database_url):
    engine, seconds = await seeded_engine(database_url, PLAN)
    try:
        assert seconds is not None
        assert await count(engine, Ticket) == PLAN.tickets
        assert await count(engine, Contact) == PLAN.contacts
        assert 0.7 * PLAN.contacts < await count(engine, EnterpriseProfile) < PLAN.contacts
        assert 3 * PLAN.tickets < await count(engine, TicketEvent) < 4 * PLAN.tickets
        assert 2 * PLAN.tickets < await count(engine, TicketMessage) < 3 * PLAN.tickets
        assert await count(engine, QuestionLog) == 2 * PLAN.tickets
        async with engine.connect() as connection:
            statuses = dict((await connection.execute(
                select(Ticket.status, func.count()).group_by(Ticket.status))).all())
        assert statuses["closed"] + statuses["resolved"] > 0.8 * PLAN.tickets
        # the throughput measurement adds tickets: a new ticket of a seeded contact
        service = TicketService(session_factory(engine), StaffDirectory(StaffSettings()),
                                TicketViews())
        await service.create(1, "legal", "客户拖欠货款")
        assert await count(engine, Ticket) == PLAN.tickets + 1
    finally:
        await engine.dispose()

    engine, seconds = await seeded_engine(database_url, PLAN)
    try:
        assert seconds is None  # reused
        assert await count(engine, Ticket) == PLAN.tickets
    finally:
        await engine.dispose()


async def test_every_product_query_is_measured_and_its_statements_explained(database_url,
                                                                              capsys):
    engine, _ = await seeded_engine(database_url, PLAN)
    try:
        rows = await measure(engine, PLAN, runs=10)
    finally:
        await engine.dispose()
    assert [row["query"] for row in rows] == list(product_calls(engine, PLAN, 10))
    assert all(0 < row["p50_ms"] <= row["p99_ms"] for row in rows)
    assert {row["query"] for row in rows if "target_p99_ms" in row} == {
        "queue", "ticket_history", "enterprise_requests", "monthly_stats"}
    printed = capsys.readouterr().out
    for row in rows:
        assert f"{engine.dialect.name} {row['query']}: statement 1/" in printed
    # the plans name the tables the product queries read
    assert "tickets" in printed and "ticket_events" in printed


async def test_retention_bench_keeps_the_last_days_only(database_url):
    from bench.retention_bench import run

    result = await run(database_url, per_day=50, days=40, retention_days=30, batch=100,
                       max_batches=3)
    assert result["rows_before"] == {"inbound_updates": 2000, "outbox": 2000}
    # Thirty days are kept; failed messages stay for an operator whatever their age.
    assert result["rows_after"] == {"inbound_updates": 1500, "outbox": 1510}
    assert result["scheduler_runs"] == 2  # 500 rows per table, at most 300 per run
