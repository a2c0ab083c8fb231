"""The async engine and session factory, with the SQLite settings eventdb relies on, and the
path requests read SQLite through."""

from __future__ import annotations

import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine, ExceptionContext
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
# SQLite calls the statement watchdog every this many virtual-machine steps: ~1 ms of work here,
# so a statement overruns its budget by about that much, and the check costs nothing measurable.
SQLITE_WATCH_STEPS = 100_000
# PostgreSQL connections one process keeps open, and how many more it may open at a busy moment
# (closed again when given back). A request holds its connection from its first read to its
# end (one snapshot), so one worker needs as many as it has requests in flight: with
# SQLAlchemy's 5 + 10, 50 readers on a busy machine queued for the pool past the connect
# timeout and got DATABASE_UNAVAILABLE from a healthy database. At its busiest one process
# takes 50 of PostgreSQL's default max_connections (100, of which 3 are kept for superusers):
# more processes need a larger setting or a pooler in front.
POSTGRES_POOL_SIZE = 10
POSTGRES_POOL_OVERFLOW = 40


def create_engine(settings: Settings, *, statement_timeout_ms: int = 0) -> AsyncEngine:
    """An engine that fails fast when the database is away (connections open, and the pool
    hands one out, within `settings.connect_timeout_ms`) and, given `statement_timeout_ms`,
    cancels any statement that runs longer. The server passes its setting, so one slow request
    cannot hold a connection; loads and migrations pass none, their statements may rightly
    run longer."""
    url: URL = settings.database_url
    connect_timeout = settings.connect_timeout_ms / 1000
    if url.get_backend_name() == "sqlite":
        # An in-memory database is one shared connection: no pool to time out on.
        in_memory = url.database in (None, "", ":memory:")
        pooling = {} if in_memory else {"pool_timeout": connect_timeout}
        engine = create_async_engine(url, **pooling)
        _configure_sqlite(engine.sync_engine, settings.sqlite_busy_timeout_ms)
        if statement_timeout_ms:
            _watch_statements(engine.sync_engine, statement_timeout_ms / 1000)
        return engine
    connect_args: dict[str, Any] = {"timeout": connect_timeout}
    if statement_timeout_ms:
        connect_args["server_settings"] = {"statement_timeout": str(statement_timeout_ms)}
    return create_async_engine(
        url,
        pool_pre_ping=True,
        pool_size=POSTGRES_POOL_SIZE,
        max_overflow=POSTGRES_POOL_OVERFLOW,
        pool_timeout=connect_timeout,
        connect_args=connect_args,
    )


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


class SqliteReads:
    """SQLite for requests that only read: the stdlib driver run on a few threads of our own.

    aiosqlite hands every cursor operation to its thread and back (~250 µs a statement here,
    30 times a point query's own cost); this hands a whole batch of statements over at once,
    so a request pays the hand-off once per batch of its reads, not three times a statement.
    Connections are read-only (`query_only`), so nothing can write through them, and bounded
    by the statement timeout, since only requests read through them.
    """

    def __init__(self, url: URL, busy_timeout_ms: int, statement_timeout_ms: int = 0) -> None:
        self.engine = create_sync_engine(
            url.set(drivername="sqlite"),
            connect_args={"check_same_thread": False},  # a request's hops may use any thread
            # Every open request holds a connection between hops: never make one wait for
            # another's connection while it holds one of the few threads.
            pool_size=SQLITE_READ_THREADS * 4,
            max_overflow=-1,
        )
        _configure_sqlite(self.engine, busy_timeout_ms, read_only=True)
        if statement_timeout_ms:
            _watch_statements(self.engine, statement_timeout_ms / 1000)

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
        settings = settings or Settings(database_url=engine.url)
        return cls(engine.url, settings.sqlite_busy_timeout_ms, settings.statement_timeout_ms)

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


class _Deadline:
    """When the statement running on one SQLite connection must stop; None between statements,
    so that a rollback or a ping is never interrupted."""

    def __init__(self) -> None:
        self.at: float | None = None

    def passed(self) -> bool:
        # Called by SQLite from the thread running the statement; true interrupts it.
        return self.at is not None and time.monotonic() > self.at


def _watch_statements(engine: Engine, budget: float) -> None:
    """Interrupt a SQLite statement that runs past `budget` seconds (sqlite3 raises
    OperationalError "interrupted"), through SQLite's progress handler."""

    @event.listens_for(engine, "connect")
    def watch(dbapi_connection: Any, record: Any) -> None:
        deadline = record.info["deadline"] = _Deadline()
        if isinstance(dbapi_connection, sqlite3.Connection):
            dbapi_connection.set_progress_handler(deadline.passed, SQLITE_WATCH_STEPS)
        else:  # aiosqlite, whose own thread owns the connection: set it there
            dbapi_connection.run_async(
                lambda driver: driver.set_progress_handler(deadline.passed, SQLITE_WATCH_STEPS)
            )

    @event.listens_for(engine, "before_cursor_execute")
    def start(connection: Connection, *_: Any) -> None:
        _deadline(connection).at = time.monotonic() + budget

    def stop(connection: Connection, *_: Any) -> None:
        _deadline(connection).at = None

    if engine.dialect.driver == "pysqlite":
        # The stdlib driver steps to the first row in execute() and computes the rest as they
        # are fetched, so a statement's budget runs until its transaction ends (the next
        # statement sets a new one); rollback and commit fire before they run.
        event.listen(engine, "rollback", stop)
        event.listen(engine, "commit", stop)
    else:  # aiosqlite fetches every row inside execute()
        event.listen(engine, "after_cursor_execute", stop)

    @event.listens_for(engine, "handle_error")
    def stop_on_error(context: ExceptionContext) -> None:
        if context.connection is not None and not context.connection.closed:
            _deadline(context.connection).at = None


def _deadline(connection: Connection) -> _Deadline:
    deadline: _Deadline = connection.connection.info["deadline"]
    return deadline
