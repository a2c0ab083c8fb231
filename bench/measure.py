"""Timing one question at each layer, in this process: the raw SQL it issues through the bare
drivers (the floor), the query layer (`Reader.run` of the functions the resolvers call), and
`schema.execute`; and counting the statements and read hops a request costs."""

from __future__ import annotations

import sqlite3
import statistics
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import aiosqlite
from sqlalchemy import Engine, event
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.load import connect
from bench.questions import Question
from eventdb.api.context import Context, Reader
from eventdb.api.schema import make_schema
from eventdb.config import Settings
from eventdb.db.engine import SqliteReads, create_engine

Statement = tuple[str, Any]  # SQL as sent to the driver, and its parameters
Hop = tuple[Callable[..., Any], tuple[Any, ...]]


async def timed(
    call: Callable[[], Awaitable[object]], budget: float, least: int = 3, most: int = 2_000
) -> float:
    """The median of `call`'s times over `budget` seconds (at least `least` of them), after one
    call to warm caches."""
    await call()
    samples: list[float] = []
    end = time.perf_counter() + budget
    while len(samples) < least or (time.perf_counter() < end and len(samples) < most):
        started = time.perf_counter()
        await call()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


@dataclass
class Figures:
    """One question on one engine: median seconds at each layer, and what a request costs."""

    raw: float = 0.0  # its SQL through stdlib sqlite3 or asyncpg, one connection
    driver: float | None = None  # its SQL through aiosqlite (SQLite only)
    layer: float = 0.0  # Reader.run of the query functions, a fresh reader each time
    execute: float = 0.0  # schema.execute, in process
    statements: int = 0  # SQL statements of one request (BEGIN included, as tests count)
    hops: int = 0  # Reader.run calls of one request (each a hand-off to a thread on SQLite)
    selects: list[Statement] = field(default_factory=list)
    at_ten: int | None = None  # statements when the answer has 10 results
    at_hundred: int | None = None


class Recording(Reader):
    """A reader that remembers each batch of reads it is given."""

    def __init__(self, engine: AsyncEngine, sqlite: SqliteReads | None) -> None:
        super().__init__(engine, sqlite)
        self.hops: list[Hop] = []

    async def run(self, query: Callable[..., Any], *arguments: Any) -> Any:
        self.hops.append((query, arguments))
        return await super().run(query, *arguments)


@contextmanager
def listening(target: Any, found: Callable[..., None]) -> Iterator[None]:
    event.listen(target, "before_cursor_execute", found)
    try:
        yield
    finally:
        event.remove(target, "before_cursor_execute", found)


class InProcess:
    """The layers below HTTP, on one database."""

    def __init__(self, url: URL, server: URL | None, budget: float) -> None:
        self.url = url
        self.server = server
        self.budget = budget
        self.settings = Settings(database_url=url)
        self.engine = create_engine(
            self.settings, statement_timeout_ms=self.settings.statement_timeout_ms
        )
        self.sqlite = SqliteReads.of(self.engine, self.settings)
        self.schema = make_schema(self.settings.limits)

    async def close(self) -> None:
        if self.sqlite is not None:
            self.sqlite.dispose()
        await self.engine.dispose()

    def _context(self, reader: Reader | None = None) -> Context:
        return Context(
            reader=reader or Reader(self.engine, self.sqlite), limits=self.settings.limits
        )

    async def execute(
        self, document: str, variables: dict[str, Any], reader: Reader | None = None
    ) -> None:
        result = await self.schema.execute(
            document, variable_values=variables, context_value=self._context(reader)
        )
        assert not result.errors, result.errors

    async def counted(self, question: Question, variables: dict[str, Any]) -> int:
        count = 0

        def one(*_: Any) -> None:
            nonlocal count
            count += 1

        with listening(Engine, one):  # every engine: SQLite reads go through one of their own
            await self.execute(question.document, variables)
        return count

    async def measure(self, question: Question) -> Figures:
        figures = Figures()
        recording = Recording(self.engine, self.sqlite)
        await self.execute(question.document, question.variables, recording)
        hops = recording.hops
        figures.hops = len(hops)
        figures.statements = await self.counted(question, question.variables)
        if question.ten is not None and question.hundred is not None:
            figures.at_ten = await self.counted(question, question.ten)
            figures.at_hundred = await self.counted(question, question.hundred)

        async def layer() -> None:
            reader = Reader(self.engine, self.sqlite)
            try:
                for query, arguments in hops:
                    await reader.run(query, *arguments)
            finally:
                await reader.close()

        def sent(_c: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
            if statement.lstrip().upper().startswith(("SELECT", "WITH")):
                figures.selects.append((statement, parameters))

        sync_engine = self.sqlite.engine if self.sqlite is not None else self.engine.sync_engine
        with listening(sync_engine, sent):
            await layer()
        figures.layer = await timed(layer, self.budget)
        figures.execute = await timed(
            lambda: self.execute(question.document, question.variables), self.budget
        )
        if self.sqlite is not None:
            figures.raw = await self._raw_sqlite(figures.selects)
            figures.driver = await self._aiosqlite(figures.selects)
        else:
            figures.raw = await self._raw_asyncpg(figures.selects)
        return figures

    async def _raw_sqlite(self, selects: list[Statement]) -> float:
        """The floor: the same statements through stdlib sqlite3 in this thread."""
        assert self.url.database is not None
        connection = sqlite3.connect(self.url.database, isolation_level=None)
        try:

            async def once() -> None:
                connection.execute("BEGIN")
                for sql, parameters in selects:
                    connection.execute(sql, parameters).fetchall()
                connection.execute("ROLLBACK")

            return await timed(once, self.budget)
        finally:
            connection.close()

    async def _aiosqlite(self, selects: list[Statement]) -> float:
        """The same statements through aiosqlite, as SQLAlchemy's adapter drives it: execute,
        then fetch, each a hand-off to aiosqlite's thread."""
        assert self.url.database is not None
        async with aiosqlite.connect(self.url.database, isolation_level=None) as connection:

            async def once() -> None:
                await connection.execute("BEGIN")
                for sql, parameters in selects:
                    cursor = await connection.execute(sql, parameters)
                    await cursor.fetchall()
                    await cursor.close()
                await connection.execute("ROLLBACK")

            return await timed(once, self.budget)

    async def _raw_asyncpg(self, selects: list[Statement]) -> float:
        """The floor: the same statements through plain asyncpg, in one read-only
        repeatable-read transaction as the reader opens."""
        connection = await connect(self.url)
        try:

            async def once() -> None:
                async with connection.transaction(isolation="repeatable_read", readonly=True):
                    for sql, parameters in selects:
                        await connection.fetch(sql, *parameters)

            return await timed(once, self.budget)
        finally:
            await connection.close()
