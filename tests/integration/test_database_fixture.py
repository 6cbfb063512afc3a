"""The per-test database helper (tests/databases.py) on the suite's engine."""
from sqlalchemy import func, select

from storage.db import create_engine, session_factory
from storage.migrate import current_revision, head_revision, upgrade
from storage.models import PersistedState
from tests import databases


async def count_rows(url: str) -> int:
    engine = create_engine(url)
    try:
        await upgrade(engine)
        async with session_factory(engine).begin() as session:
            return await session.scalar(select(func.count()).select_from(PersistedState))
    finally:
        await engine.dispose()


async def test_one_database_per_name_and_test_isolated_from_the_others(tmp_path, database_url,
                                                                        settings):
    assert settings.database.url == database_url == databases.database_url(tmp_path)
    other = databases.database_url(tmp_path, "other")
    assert other != database_url
    if databases.POSTGRESQL:
        assert database_url.startswith("postgresql+asyncpg://")
        engine = create_engine(database_url)
        try:
            assert await current_revision(engine) == head_revision()
        finally:
            await engine.dispose()
    else:
        assert database_url == f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"

    engine = create_engine(database_url)
    try:
        await upgrade(engine)
        async with session_factory(engine).begin() as session:
            session.add(PersistedState(kind="bot", key="bot", value="{}"))
    finally:
        await engine.dispose()
    assert await count_rows(database_url) == 1
    assert await count_rows(other) == 0


async def test_an_empty_database_is_not_migrated(tmp_path):
    engine = create_engine(databases.database_url(tmp_path, "bare", empty=True))
    try:
        assert await current_revision(engine) is None
    finally:
        await engine.dispose()
