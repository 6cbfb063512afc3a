"""Alembic migrations on the suite's engine (SQLite, or PostgreSQL with SME_TEST_DB=postgresql):
step by step from an empty database to head, down to base, and up again."""
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from storage.db import create_engine
from storage.migrate import alembic_config, current_revision, downgrade, head_revision, upgrade
from storage.models import Base, utcnow
from tests.databases import database_url

# Released revisions never change: the tables each one leaves behind.
RELEASED = {
    "0001": {"question_log"},
    "0002": {"question_log", "contacts", "inbound_updates", "ptb_state", "enterprise_profiles",
             "feedback", "tickets", "message_links", "outbox", "ticket_events", "ticket_messages"},
}


def revisions() -> list[str]:
    """Every revision, oldest first."""
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return [r.revision for r in reversed(list(script.walk_revisions()))]


async def tables(engine) -> set[str]:
    async with engine.connect() as conn:
        names = await conn.run_sync(lambda c: inspect(c).get_table_names())
    return set(names) - {"alembic_version"}


async def differences_from_models(engine) -> list:
    async with engine.connect() as conn:
        return await conn.run_sync(
            lambda c: compare_metadata(MigrationContext.configure(c), Base.metadata))


async def test_upgrade_step_by_step_downgrade_to_base_and_up_again(tmp_path):
    steps = revisions()
    assert steps[:2] == ["0001", "0002"] and steps[-1] == head_revision()
    engine = create_engine(database_url(tmp_path, "migrations", empty=True))
    try:
        assert await current_revision(engine) is None and await tables(engine) == set()
        seen: list[set[str]] = []
        for revision in steps:
            await upgrade(engine, revision)
            assert await current_revision(engine) == revision
            seen.append(await tables(engine))
            if revision in RELEASED:
                assert seen[-1] == RELEASED[revision]
        assert all(earlier <= later for earlier, later in zip(seen, seen[1:]))
        assert seen[-1] == set(Base.metadata.tables)
        assert await differences_from_models(engine) == []

        for revision, expected in zip(reversed(steps[:-1]), reversed(seen[:-1])):
            await downgrade(engine, "-1")
            assert await current_revision(engine) == revision
            assert await tables(engine) == expected
        await downgrade(engine, "base")
        assert await current_revision(engine) is None and await tables(engine) == set()

        await upgrade(engine)
        assert await current_revision(engine) == head_revision()
        assert await tables(engine) == set(Base.metadata.tables)
        assert await differences_from_models(engine) == []
    finally:
        await engine.dispose()


async def test_questions_logged_before_0004_are_linked_to_their_contacts(tmp_path):
    engine = create_engine(database_url(tmp_path, "linking", empty=True))
    try:
        await upgrade(engine, "0003")
        async with engine.begin() as conn:
            await conn.execute(text(
                "INSERT INTO contacts (id, channel, external_id, chat_id, language, created_at)"
                " VALUES (7, 'telegram', '601', '601', 'zh-CN', :now)"), {"now": utcnow()})
            for user_ref in ("601", "999", None):  # known, unknown, erased
                await conn.execute(text(
                    "INSERT INTO question_log (asked_at, channel, user_ref, language, text,"
                    " normalized, decision, mode) VALUES (:now, 'telegram', :user, 'zh-CN',"
                    " '问题', '问题', 'answered', 'lexical')"), {"now": utcnow(), "user": user_ref})
        await upgrade(engine, "0004")
        async with engine.connect() as conn:
            linked = (await conn.execute(text(
                "SELECT user_ref, contact_id FROM question_log ORDER BY id"))).all()
    finally:
        await engine.dispose()
    assert [tuple(row) for row in linked] == [("601", 7), ("999", None), (None, None)]


async def test_profiles_before_0007_become_enterprises_their_contacts_linked(tmp_path):
    engine = create_engine(database_url(tmp_path, "register", empty=True))
    now = utcnow()
    try:
        await upgrade(engine, "0005")
        async with engine.begin() as conn:
            for contact_id in (1, 2, 3, 4):
                await conn.execute(text(
                    "INSERT INTO contacts (id, channel, external_id, chat_id, language,"
                    " created_at) VALUES (:id, 'telegram', :ext, :ext, 'zh-CN', :now)"),
                    {"id": contact_id, "ext": str(600 + contact_id), "now": now})
            # Two people of one company (same code), one without a code, one erased (empty).
            for contact_id, name, code in ((1, "甲科技有限公司", "91350100M000100Y43"),
                                           (2, "甲科技", "91350100M000100Y43"),
                                           (3, "乙商贸有限公司", None), (4, None, None)):
                await conn.execute(text(
                    "INSERT INTO enterprise_profiles (contact_id, company_name, credit_code,"
                    " industry, updated_at) VALUES (:id, :name, :code, '制造业', :at)"),
                    {"id": contact_id, "name": name, "code": code,
                     "at": now.replace(microsecond=contact_id)})
        await upgrade(engine, "0007")
        async with engine.connect() as conn:
            enterprises = (await conn.execute(text(
                "SELECT id, credit_code, name, industry FROM enterprises ORDER BY id"))).all()
            links = (await conn.execute(text(
                "SELECT id, enterprise_id FROM contacts ORDER BY id"))).all()
            await conn.execute(text("SELECT source, visit_id FROM tickets"))
    finally:
        await engine.dispose()
    [(first, code, name, industry), (second, none, other, _)] = [tuple(e) for e in enterprises]
    assert (code, name, industry) == ("91350100M000100Y43", "甲科技有限公司", "制造业")
    assert (none, other) == (None, "乙商贸有限公司")
    assert [tuple(link) for link in links] == [(1, first), (2, first), (3, second), (4, None)]
