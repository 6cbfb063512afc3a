"""Fixtures shared by the integration tests."""
import pytest

from storage.db import create_engine, session_factory
from storage.migrate import upgrade


@pytest.fixture
async def sessions(database_url):
    """A session factory on a migrated database of the test's engine."""
    engine = create_engine(database_url)
    await upgrade(engine)
    yield session_factory(engine)
    await engine.dispose()
