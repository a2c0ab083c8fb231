"""Fixtures: every database test runs on SQLite, and on PostgreSQL when EVENTDB_TEST_POSTGRES_URL
names a server (each test then gets a database of its own, dropped afterwards)."""

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from eventdb.config import Settings, parse_database_url
from eventdb.db import migrate
from eventdb.db.engine import create_engine

POSTGRES_URL_VARIABLE = "EVENTDB_TEST_POSTGRES_URL"


def postgres_server() -> URL | None:
    raw = os.environ.get(POSTGRES_URL_VARIABLE)
    return parse_database_url(raw) if raw else None


needs_postgres = pytest.mark.skipif(
    postgres_server() is None, reason=f"{POSTGRES_URL_VARIABLE} is not set"
)
ENGINES = ["sqlite", pytest.param("postgresql", marks=needs_postgres)]


@asynccontextmanager
async def fresh_database(engine_name: str, folder: Path) -> AsyncIterator[URL]:
    """A new, empty database: a file in `folder`, or a database of its own on the server."""
    if engine_name == "sqlite":
        yield make_url(f"sqlite+aiosqlite:///{folder / 'eventdb.sqlite3'}")
        return
    server = postgres_server()
    assert server is not None
    name = f"eventdb_test_{uuid.uuid4().hex[:12]}"
    await _postgres_admin(server, f'CREATE DATABASE "{name}"')
    try:
        yield server.set(database=name)
    finally:
        await _postgres_admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@asynccontextmanager
async def raw_postgres(url: URL) -> AsyncIterator[asyncpg.Connection]:
    """A plain asyncpg connection to the database `url` names: no SQLAlchemy, no pool."""
    connection = await asyncpg.connect(
        host=url.host,
        port=url.port,
        user=url.username,
        password=url.password,
        database=url.database,
    )
    try:
        yield connection
    finally:
        await connection.close()


async def _postgres_admin(server: URL, statement: str) -> None:
    async with raw_postgres(server) as connection:
        await connection.execute(statement)


@asynccontextmanager
async def engine_on(url: URL, *, migrated: bool = True) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(Settings(database_url=url))
    try:
        if migrated:
            await migrate.upgrade(engine)
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture(params=ENGINES)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[URL]:
    """An empty database on each engine."""
    async with fresh_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
async def empty_engine(database_url: URL) -> AsyncIterator[AsyncEngine]:
    """An engine on an empty database, before any migration, on each engine."""
    async with engine_on(database_url, migrated=False) as engine:
        yield engine


@pytest.fixture
async def engine(database_url: URL) -> AsyncIterator[AsyncEngine]:
    """An engine on a database migrated to the newest schema, on each engine."""
    async with engine_on(database_url) as engine:
        yield engine


@pytest.fixture
async def sqlite_url(tmp_path: Path) -> AsyncIterator[URL]:
    async with fresh_database("sqlite", tmp_path) as url:
        yield url


@pytest.fixture
async def sqlite_engine(sqlite_url: URL) -> AsyncIterator[AsyncEngine]:
    async with engine_on(sqlite_url) as engine:
        yield engine


@pytest.fixture
async def postgres_engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """A migrated PostgreSQL database, for what only PostgreSQL does."""
    if postgres_server() is None:
        pytest.skip(f"{POSTGRES_URL_VARIABLE} is not set")
    async with fresh_database("postgresql", tmp_path) as url, engine_on(url) as engine:
        yield engine
