"""Engine and session factory: SQLite (WAL) by default, PostgreSQL through asyncpg."""
from __future__ import annotations

from functools import cache
from pathlib import Path

from sqlalchemy import Column, Table, event
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

_INSERTS = {"sqlite": sqlite_insert, "postgresql": postgresql_insert}


def create_engine(url: str, echo: bool = False) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # One connection per process: SQLite has a single writer anyway, and queueing for the
        # connection in asyncio avoids SQLite's busy-wait sleeps when writers collide.
        # No rollback when the connection goes back to the pool: sessions and connections are
        # only used as context managers, which end their transactions themselves, and on the
        # single connection that extra round trip through the driver's thread cost ~10 % of
        # the answer rate (bench/telegram_bench.py).
        engine = create_async_engine(url, echo=echo, connect_args={"timeout": 30},
                                     pool_size=1, max_overflow=0, pool_timeout=60,
                                     pool_reset_on_return=None)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:  # pragma: no cover - driver hook
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    return create_async_engine(url, echo=echo, pool_pre_ping=True)


def session_factory(engine: AsyncEngine) -> async_sessionmaker:
    return async_sessionmaker(engine, expire_on_commit=False)


def dialect_insert(session: AsyncSession, target):
    """The INSERT of the session's dialect, the one with `on_conflict_do_nothing/update`."""
    return _INSERTS[session.bind.dialect.name](target)


def insert_or_skip(session: AsyncSession, table: Table, *returning: Column):
    """`INSERT ... ON CONFLICT DO NOTHING [RETURNING ...]` into `table` in the session's
    dialect, to execute with a list of rows (RETURNING gives the rows inserted)."""
    return _insert_or_skip(session.bind.dialect.name, table, returning)


@cache  # built once: building a statement and its cache key costs more than running it
def _insert_or_skip(dialect: str, table: Table, returning: tuple[Column, ...]):
    statement = _INSERTS[dialect](table).on_conflict_do_nothing()
    return statement.returning(*returning) if returning else statement
