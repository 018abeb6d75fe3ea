"""The `Store`: engine lifetime, migrations at start, and transactions for services."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import sqlalchemy as sa
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from kubevision.datadir import prepare_sqlite_file
from kubevision.store.migrations import apply_migrations

log = logging.getLogger(__name__)

# SQLite waits this long for a lock held by another connection before failing.
SQLITE_BUSY_TIMEOUT_MS = 5000


class Store:
    """Owns the database engine. `start()` connects and migrates; `aclose()` disposes the pool."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._engine: AsyncEngine | None = None

    @property
    def is_sqlite(self) -> bool:
        """True for the embedded SQLite database."""
        return self.url.startswith("sqlite")

    async def start(self) -> None:
        """Create the engine and bring the schema up to date (a SQLite file is created 0600)."""
        if self.is_sqlite and (database := sa.make_url(self.url).database) and database != ":memory:":
            prepare_sqlite_file(Path(database))
        engine = create_async_engine(self.url, pool_pre_ping=not self.is_sqlite)
        if self.is_sqlite:
            sa.event.listen(engine.sync_engine, "connect", _configure_sqlite)
        self._engine = engine
        async with engine.begin() as connection:
            applied = await connection.run_sync(apply_migrations)
        if applied:
            log.info("database migrated: %s", ", ".join(applied))

    async def aclose(self) -> None:
        """Dispose of the connection pool."""
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None

    @property
    def engine(self) -> AsyncEngine:
        """The engine; only valid between `start()` and `aclose()`."""
        if self._engine is None:
            raise RuntimeError("store is not started")
        return self._engine

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """A connection inside one transaction, committed on success and rolled back on error."""
        async with self.engine.begin() as connection:
            yield connection

    async def ping(self) -> bool:
        """True when the database answers a trivial query (for `/readyz`)."""
        try:
            async with self.engine.connect() as connection:
                await connection.execute(sa.text("SELECT 1"))
        except Exception:
            log.warning("database ping failed", exc_info=True)
            return False
        return True


def _configure_sqlite(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


STORE = web.AppKey("store", Store)
