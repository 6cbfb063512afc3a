"""Shared fixtures: a small knowledge base, settings on this test's own database.

Database: never build a URL in a test. Use `settings` (or `tests.e2e.harness.e2e_settings`), or
the `database_url` fixture, or `tests.databases.database_url(tmp_path, name)`: SQLite under
`tmp_path` by default, a fresh PostgreSQL database when the suite runs with
`SME_TEST_DB=postgresql` (see tests/databases.py; `make test` runs both).
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.foundation.settings import Settings, load_settings
from tests import databases

FIXTURE_KB = Path(__file__).parent / "fixtures" / "kb"
REPO = Path(__file__).resolve().parent.parent


def pytest_report_header(config) -> str:
    return f"database: {databases.ENGINE}"


@pytest.fixture(scope="session", autouse=True)
def _database_template():
    yield
    databases.drop_all()


@pytest.fixture(autouse=True)
def _test_databases():
    before = databases.in_use()
    yield
    databases.drop(databases.in_use() - before)


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """This test's database (PostgreSQL: already migrated)."""
    return databases.database_url(tmp_path)


@pytest.fixture
def kb_root(tmp_path: Path) -> Path:
    """A writable copy of the small fixture knowledge base (root with faq/ inside)."""
    root = tmp_path / "kb"
    shutil.copytree(FIXTURE_KB, root)
    return root


@pytest.fixture
def kb_dir(kb_root: Path) -> Path:
    return kb_root / "faq"


@pytest.fixture
def settings(database_url: str, tmp_path: Path, kb_dir: Path) -> Settings:
    return load_settings(environ={
        "SME_CONFIG": str(REPO / "config.yaml"),
        "SME_DATABASE_URL": database_url,
        "SME_KNOWLEDGE__DIR": str(kb_dir),
        "SME_KNOWLEDGE__SEMANTIC": "off",
        "SME_KNOWLEDGE__CACHE_DIR": str(tmp_path / "cache"),
    })
