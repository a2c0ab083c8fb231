"""The async engine and session factory, with the SQLite settings eventdb relies on, and the
path requests read SQLite through."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from eventdb.config import Settings

# Execution option naming how SQLite opens a transaction: "DEFERRED" (the default) or "IMMEDIATE",
# which takes the write lock at once so that what a writer validated cannot change under it.
SQLITE_BEGIN = "sqlite_begin"
# Threads that run SQLite reads, shared by every database a process reads: the stdlib driver
# releases the GIL inside SQLite itself.
SQLITE_READ_THREADS = 4
_read_threads: ThreadPoolExecutor | None = None


def create_engine(settings: Settings) -> AsyncEngine:
    url: URL = settings.database_url
    if url.get_backend_name() == "sqlite":
        engine = create_async_engine(url)
        _configure_sqlite(engine.sync_engine, settings.sqlite_busy_timeout_ms)
        return engine
    return create_async_engine(url, pool_pre_ping=True)


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


class SqliteReads:
    """SQLite for requests that only read: the stdlib driver run on a few threads of our own.

    aiosqlite hands every cursor operation to its thread and back (~250 µs a statement here,
    30 times a point query's own cost); this hands a whole batch of statements over at once,
    so a request pays the hand-off once per batch of its reads, not three times a statement.
    Connections are read-only (`query_only`), so nothing can write through them.
    """

    def __init__(self, url: URL, busy_timeout_ms: int) -> None:
        self.engine = create_sync_engine(
            url.set(drivername="sqlite"),
            connect_args={"check_same_thread": False},  # a request's hops may use any thread
            # Every open request holds a connection between hops: never make one wait for
            # another's connection while it holds one of the few threads.
            pool_size=SQLITE_READ_THREADS * 4,
            max_overflow=-1,
        )
        _configure_sqlite(self.engine, busy_timeout_ms, read_only=True)

    @property
    def executor(self) -> ThreadPoolExecutor:
        global _read_threads
        if _read_threads is None:
            _read_threads = ThreadPoolExecutor(SQLITE_READ_THREADS, "eventdb-read")
        return _read_threads

    @classmethod
    def of(cls, engine: AsyncEngine, settings: Settings | None = None) -> SqliteReads | None:
        """The read path for `engine`'s database when it is SQLite (None otherwise)."""
        if engine.dialect.name != "sqlite":
            return None
        busy = settings.sqlite_busy_timeout_ms if settings else Settings.sqlite_busy_timeout_ms
        return cls(engine.url, busy)

    def connect(self) -> Connection:
        """A connection with its read transaction begun (one snapshot until it closes)."""
        connection = self.engine.connect()
        connection.begin()
        return connection

    def dispose(self) -> None:
        self.engine.dispose()


def _configure_sqlite(engine: Engine, busy_timeout_ms: int, read_only: bool = False) -> None:
    @event.listens_for(engine, "connect")
    def configure(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when a transaction begins (see `begin` below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")  # readers never wait for the writer
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        if read_only:
            cursor.execute("PRAGMA query_only = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get(SQLITE_BEGIN, "DEFERRED")
        if mode not in ("DEFERRED", "IMMEDIATE"):
            raise ValueError(f"unknown SQLite transaction mode {mode!r}")
        connection.exec_driver_sql(f"BEGIN {mode}")
