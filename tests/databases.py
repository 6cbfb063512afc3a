"""The database each test runs on: SQLite by default, PostgreSQL with `SME_TEST_DB=postgresql`.

SQLite: a file under the test's `tmp_path`. PostgreSQL: `SME_TEST_PG_URL` names a database on
the server (`postgresql+asyncpg://postgres@127.0.0.1:5432/<run db>`, made by
`tests/postgres_run.py`); every test gets its own database `<run db>_<n>`, copied from a template
`<run db>_tpl` migrated once per session. conftest drops a test's databases after the test
(those made for a module- or session-scoped fixture after the session, with the template).
"""
from __future__ import annotations

import asyncio
import itertools
import os
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import URL, make_url

ENGINE = os.environ.get("SME_TEST_DB", "sqlite")
if ENGINE not in ("sqlite", "postgresql"):
    raise RuntimeError(f"SME_TEST_DB={ENGINE!r}: expected sqlite or postgresql")
POSTGRESQL = ENGINE == "postgresql"
# For the few tests about SQLite itself (its journal mode, its file): skipped on PostgreSQL.
sqlite_only = pytest.mark.skipif(POSTGRESQL, reason="SQLite-specific")
# Races between transactions (check-then-act, two winners of one claim): the SQLite engine has
# one connection (storage/db.py), so transactions never overlap and such a test cannot fail
# there. They run on PostgreSQL: `make test` and CI run the suite on it after SQLite.
concurrent_transactions = pytest.mark.skipif(
    not POSTGRESQL, reason="concurrent transactions: SQLite runs them one at a time on its "
    "single connection, so a race cannot show; runs on PostgreSQL (make test, CI)")


def _blocking(make: Callable[[], Awaitable]):
    """Run a coroutine to completion from sync code, even inside a running event loop."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, make()).result()


def _dsn(url: URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


async def create_database(server: URL, name: str, template: str = "template0") -> URL:
    """Create database `name` as a copy of `template`, connected through `server`'s database."""
    connection = await asyncpg.connect(_dsn(server), timeout=10)
    try:
        await connection.execute(f"CREATE DATABASE {_quoted(name)} TEMPLATE {_quoted(template)}")
    finally:
        await connection.close()
    return server.set(database=name)


async def drop_databases(server: URL, *names: str) -> None:
    """Drop these databases if they exist, closing whatever connections are still open."""
    connection = await asyncpg.connect(_dsn(server), timeout=10)
    try:
        for name in names:
            await connection.execute(f"DROP DATABASE IF EXISTS {_quoted(name)} WITH (FORCE)")
    finally:
        await connection.close()


async def databases_of_run(server: URL, run: str) -> list[str]:
    """The run's database and every database made from it (`<run>_tpl`, `<run>_<n>`)."""
    connection = await asyncpg.connect(_dsn(server), timeout=10)
    try:
        rows = await connection.fetch(
            "SELECT datname FROM pg_database WHERE datname = $1 OR left(datname, $2) = $3",
            run, len(run) + 1, f"{run}_")
    finally:
        await connection.close()
    return [row["datname"] for row in rows]


Key = tuple[Path, str]  # (tmp_path, name): one database


class _PostgresDatabases:
    """Per-test databases on the server of `SME_TEST_PG_URL`, from one migrated template."""

    def __init__(self, server_url: str) -> None:
        self.server = make_url(server_url)
        self.template = f"{self.server.database}_tpl"
        self.template_ready = False
        self.numbers = itertools.count(1)
        self.created: dict[Key, str] = {}
        self.lock = threading.Lock()

    async def _make_template(self) -> None:
        from storage.db import create_engine
        from storage.migrate import upgrade

        await drop_databases(self.server, self.template)
        engine = create_engine(
            (await create_database(self.server, self.template)).render_as_string(hide_password=False))
        try:
            await upgrade(engine)
        finally:
            await engine.dispose()

    def url(self, tmp_path: Path, name: str, empty: bool) -> str:
        key = (tmp_path, name)
        with self.lock:  # a test may run its world on a thread of its own
            if key not in self.created:
                if not empty and not self.template_ready:
                    _blocking(self._make_template)
                    self.template_ready = True
                database = f"{self.server.database}_{next(self.numbers)}"
                template = "template0" if empty else self.template
                _blocking(lambda: create_database(self.server, database, template))
                self.created[key] = database
            return self.server.set(database=self.created[key]).render_as_string(
                hide_password=False)

    def in_use(self) -> set[Key]:
        with self.lock:
            return set(self.created)

    def drop(self, keys: set[Key], template: bool = False) -> None:
        with self.lock:
            names = [self.created.pop(key) for key in keys if key in self.created]
            if template and self.template_ready:
                names.append(self.template)
                self.template_ready = False
        if names:
            _blocking(lambda: drop_databases(self.server, *names))


def _postgres() -> _PostgresDatabases | None:
    if not POSTGRESQL:
        return None
    url = os.environ.get("SME_TEST_PG_URL")
    if not url or not url.startswith("postgresql+asyncpg://") or not make_url(url).database:
        raise RuntimeError("SME_TEST_DB=postgresql needs SME_TEST_PG_URL="
                           "postgresql+asyncpg://user@host:port/<run database>")
    return _PostgresDatabases(url)


_POSTGRES = _postgres()


def database_url(tmp_path: Path, name: str = "test", empty: bool = False) -> str:
    """The URL of this test's database `name` (the same one on every call within a test).

    On PostgreSQL it is already migrated to head unless `empty`; on SQLite it is a new file
    (the services migrate it when they start)."""
    if _POSTGRES is None:
        return f"sqlite+aiosqlite:///{tmp_path / f'{name}.db'}"
    return _POSTGRES.url(tmp_path, name, empty)


def in_use() -> set[Key]:
    """The PostgreSQL databases handed out and not dropped yet (none on SQLite)."""
    return _POSTGRES.in_use() if _POSTGRES is not None else set()


def drop(keys: set[Key]) -> None:
    """After a test: drop the databases it made (not those of wider-scoped fixtures)."""
    if _POSTGRES is not None:
        _POSTGRES.drop(keys)


def drop_all() -> None:
    """After the session: drop every database still there and the template."""
    if _POSTGRES is not None:
        _POSTGRES.drop(_POSTGRES.in_use(), template=True)
