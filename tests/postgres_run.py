"""The suite on PostgreSQL (`make test` runs it after SQLite): `python -m tests.postgres_run`.

Creates a database with a unique name for the run, runs pytest on it (`SME_TEST_DB=postgresql`,
see tests/databases.py) and drops it and every database the run made, however pytest ends.
Server: `SME_TEST_PG_SERVER` (default below; any database there the user may connect to).
Without a reachable server the run is skipped with the reason, unless `CI=true`: then it fails.
Arguments are passed to pytest.
"""
from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time

import asyncpg
from sqlalchemy.engine import make_url

from tests.databases import create_database, databases_of_run, drop_databases

DEFAULT_SERVER = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"


async def _drop_run(server, run: str) -> None:
    await drop_databases(server, *await databases_of_run(server, run))


def main(pytest_args: list[str]) -> int:
    server = make_url(os.environ.get("SME_TEST_PG_SERVER", DEFAULT_SERVER))
    run = f"sme_test_{time.strftime('%Y%m%d_%H%M%S')}_{os.getpid()}"
    try:
        url = asyncio.run(create_database(server, run))
    except (OSError, asyncio.TimeoutError, asyncpg.PostgresError) as exc:
        reason = f"no PostgreSQL server at {server.render_as_string()} ({exc})"
        if os.environ.get("CI") == "true":
            print(f"PostgreSQL run FAILED: {reason}", file=sys.stderr)
            return 1
        print(f"PostgreSQL run skipped: {reason}. Set SME_TEST_PG_SERVER to use another one.")
        return 0
    # A terminated run (SIGTERM) ends pytest too and still drops its databases.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    print(f"PostgreSQL run on database {run}", flush=True)
    try:
        return subprocess.call(
            [sys.executable, "-m", "pytest", *pytest_args],
            env={**os.environ, "SME_TEST_DB": "postgresql",
                 "SME_TEST_PG_URL": url.render_as_string(hide_password=False)})
    finally:
        asyncio.run(_drop_run(server, run))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
