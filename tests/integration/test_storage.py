from bot.app.services import running_services
from storage.db import create_engine
from tests.databases import sqlite_only


@sqlite_only
async def test_sqlite_runs_in_wal_mode(database_url):
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            assert (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar() == "wal"
    finally:
        await engine.dispose()


async def test_every_question_is_logged_with_its_decision(settings):
    async with running_services(settings) as services:
        a = services.assistant
        await a.ask("试用期最长可以约定多久", channel="console", user_ref="u1", lang="zh-CN")
        await a.ask("明天会不会下雨呢", channel="telegram", user_ref="u2", lang="zh-CN")
        await a.ask("   ", channel="console", user_ref="u1", lang="zh-CN")
        rows = await services.questions.recent()
    assert [r.decision for r in rows] == ["no_answer", "answered"]
    answered = rows[1]
    assert (answered.channel, answered.user_ref, answered.entry_id) == (
        "console", "u1", "labor-probation-length")
    assert answered.score > 0 and answered.mode == "lexical"
    assert rows[0].text == "明天会不会下雨呢" and rows[0].channel == "telegram"
