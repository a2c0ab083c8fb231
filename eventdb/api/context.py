"""What one GraphQL request reads with: one connection, one snapshot, and its DataLoaders.

Every list a response needs is fetched by a loader, so a page of 100 events costs the same number
of statements as a page of 10. Loaders are keyed by id and by the instant (`knownAt`) and, where it
matters, the day asked about; keys with the same instant and day go out in one statement.
"""

from __future__ import annotations

import asyncio
import functools
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from strawberry.dataloader import DataLoader

from eventdb import auth
from eventdb.api.ahead import Ahead
from eventdb.config import Limits
from eventdb.db.engine import SqliteReads
from eventdb.queries import affiliations, control, facts, history

R = TypeVar("R")


class Reader:
    """One request's way to the database: a connection opened on first use, holding one
    read snapshot, used by one batch of statements at a time (loaders of sibling fields run at
    once). Queries are plain functions of a connection, run whole: on SQLite in one hop to a
    read thread, on PostgreSQL in the event loop (asyncpg needs no thread)."""

    def __init__(self, engine: AsyncEngine, sqlite: SqliteReads | None = None) -> None:
        self.engine = engine
        self.sqlite = sqlite
        self._lock = asyncio.Lock()
        self._connection: Connection | None = None  # on SQLite
        self._async_connection: AsyncConnection | None = None  # elsewhere

    async def run(self, query: Callable[..., R], *arguments: Any) -> R:
        async with self._lock:
            if self.sqlite is not None:
                loop = asyncio.get_running_loop()
                return await loop.run_in_executor(
                    self.sqlite.executor, self._run_sqlite, query, arguments
                )
            if self._async_connection is None:
                self._async_connection = await self._open()
            return await self._async_connection.run_sync(query, *arguments)

    def _run_sqlite(self, query: Callable[..., R], arguments: tuple[Any, ...]) -> R:
        assert self.sqlite is not None
        if self._connection is None:
            self._connection = self.sqlite.connect()
        return query(self._connection, *arguments)

    async def _open(self) -> AsyncConnection:
        connection = await self.engine.connect()
        if connection.dialect.name == "postgresql":
            # Every statement of the request reads the same committed state.
            connection = await connection.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
        await connection.begin()
        return connection

    async def close(self) -> None:
        """End the snapshot (rolling the read transaction back) and give the connection back."""
        async with self._lock:
            if self._connection is not None:
                connection, self._connection = self._connection, None
                assert self.sqlite is not None
                await asyncio.get_running_loop().run_in_executor(
                    self.sqlite.executor, connection.close
                )
            if self._async_connection is not None:
                await self._async_connection.close()
                self._async_connection = None


def _grouped(
    reader: Reader,
    query: Callable[..., dict[Any, Any]],
    default: Callable[[], Any] = lambda: None,
) -> DataLoader[Any, Any]:
    """A loader for keys `(id, *context)`: one statement per distinct context, all in one go."""

    async def fetch(keys: list[tuple[Any, ...]]) -> list[Any]:
        by_context: dict[tuple[Any, ...], set[Any]] = defaultdict(set)
        for key in keys:
            by_context[key[1:]].add(key[0])

        def every_context(connection: Connection) -> dict[tuple[Any, ...], Any]:
            found: dict[tuple[Any, ...], Any] = {}
            for context, ids in by_context.items():
                for identity, value in query(connection, ids, *context).items():
                    found[(identity, *context)] = value
            return found

        found = await reader.run(every_context)
        return [found.get(key, default()) for key in keys]

    return DataLoader(load_fn=fetch)


@dataclass
class Loaders:
    """The loaders of one request, made when first used."""

    reader: Reader
    _made: dict[str, DataLoader[Any, Any]] = field(default_factory=dict)

    def get(self, name: str, make: Callable[[], DataLoader[Any, Any]]) -> DataLoader[Any, Any]:
        loader = self._made.get(name)
        if loader is None:
            loader = self._made[name] = make()
        return loader

    def prime(self, ahead: Ahead) -> None:
        """Hold what was read ahead (`eventdb.api.ahead`) as if these loaders had read it."""
        at = ahead.known_at
        self.actor.prime_many({(key, at): view for key, view in ahead.actors.items()})
        self.location.prime_many({(key, at): view for key, view in ahead.locations.items()})
        self.source.prime_many({(key, at): view for key, view in ahead.sources.items()})
        self.participants.prime_many({(key,): found for key, found in ahead.participants.items()})
        for kind, cited in ahead.citations.items():
            self.citations(kind).prime_many({(key,): found for key, found in cited.items()})

    # Facts as known at an instant: keys (id, known_at).

    @property
    def actor(self) -> DataLoader[tuple[int, datetime | None], facts.ActorView | None]:
        return self.get("actor", lambda: _grouped(self.reader, facts.actors))

    @property
    def location(self) -> DataLoader[tuple[int, datetime | None], facts.LocationView | None]:
        return self.get("location", lambda: _grouped(self.reader, facts.locations))

    @property
    def event(self) -> DataLoader[tuple[int, datetime | None], facts.EventView | None]:
        return self.get("event", lambda: _grouped(self.reader, facts.events))

    @property
    def source(self) -> DataLoader[tuple[int, datetime | None], facts.SourceView | None]:
        return self.get("source", lambda: _grouped(self.reader, facts.sources))

    @property
    def children(self) -> DataLoader[tuple[int, datetime | None], list[facts.LocationView]]:
        return self.get("children", lambda: _grouped(self.reader, facts.children, list))

    @property
    def source_citations(
        self,
    ) -> DataLoader[tuple[int, datetime | None], list[facts.CitationView]]:
        return self.get(
            "source_citations", lambda: _grouped(self.reader, facts.citations_of_sources, list)
        )

    # A version's children: keys are version ids (versions never change).

    def aliases(self, kind: str) -> DataLoader[tuple[int], list[str]]:
        return self.get(
            f"aliases:{kind}",
            lambda: _grouped(self.reader, _bound(facts.aliases, kind), list),
        )

    def external_ids(self, kind: str) -> DataLoader[tuple[int], list[str]]:
        return self.get(
            f"external_ids:{kind}",
            lambda: _grouped(self.reader, _bound(facts.external_ids, kind), list),
        )

    def citations(self, owner_kind: str) -> DataLoader[tuple[int], list[facts.CitationView]]:
        return self.get(
            f"citations:{owner_kind}",
            lambda: _grouped(self.reader, _bound(facts.citations, owner_kind), list),
        )

    @property
    def participants(self) -> DataLoader[tuple[int], list[facts.ParticipantView]]:
        return self.get("participants", lambda: _grouped(self.reader, facts.participants, list))

    @property
    def claims(self) -> DataLoader[tuple[int], list[facts.ClaimView]]:
        return self.get("claims", lambda: _grouped(self.reader, facts.claims, list))

    @property
    def control_by_version(self) -> DataLoader[tuple[int], control.ControlView | None]:
        return self.get(
            "control_by_version", lambda: _grouped(self.reader, control.controls_by_version)
        )

    def identity_of_version(self, kind: str) -> DataLoader[tuple[int], int | None]:
        return self.get(
            f"identity_of_version:{kind}",
            lambda: _grouped(self.reader, _bound(facts.identities_of_versions, kind)),
        )

    @property
    def event_of_claim(self) -> DataLoader[tuple[int], int | None]:
        return self.get("event_of_claim", lambda: _grouped(self.reader, facts.events_of_claims))

    @property
    def affiliation_by_version(
        self,
    ) -> DataLoader[tuple[int], affiliations.AffiliationView | None]:
        return self.get(
            "affiliation_by_version",
            lambda: _grouped(self.reader, affiliations.affiliations_by_version),
        )

    def by_version(self, kind: str) -> DataLoader[tuple[int], Any]:
        """Actor, location, event or source versions by version id."""
        return self.get(
            f"by_version:{kind}", lambda: _grouped(self.reader, _bound(facts.by_version, kind))
        )

    def versions(self, kind: str) -> DataLoader[tuple[int], list[history.VersionView]]:
        return self.get(
            f"versions:{kind}",
            lambda: _grouped(self.reader, _bound(history.versions_of, kind), list),
        )

    # What holds on a day: keys (id, day, known_at).

    @property
    def state(self) -> DataLoader[tuple[int, date, datetime | None], control.LocationState]:
        return self.get("state", lambda: _grouped(self.reader, control.held_at_locations))

    @property
    def held_by_actor(
        self,
    ) -> DataLoader[tuple[int, date | None, datetime | None], list[control.Held]]:
        return self.get(
            "held_by_actor", lambda: _grouped(self.reader, control.held_by_actors, list)
        )

    @property
    def controls_of_location(
        self,
    ) -> DataLoader[tuple[int, datetime | None], list[control.ControlView]]:
        return self.get(
            "controls_of_location",
            lambda: _grouped(self.reader, control.controls_of_locations, list),
        )

    @property
    def affiliations(
        self,
    ) -> DataLoader[
        tuple[int, date | None, tuple[str, ...] | None, datetime | None],
        list[affiliations.Related],
    ]:
        return self.get(
            "affiliations", lambda: _grouped(self.reader, affiliations.affiliations_of, list)
        )


def _bound(query: Callable[..., R], kind: str) -> Callable[..., R]:
    """`query` with its kind argument fixed: (connection, ids) -> ..."""
    return functools.partial(_with_kind, query, kind)


def _with_kind(query: Callable[..., R], kind: str, connection: Connection, ids: Any) -> R:
    return query(connection, kind, ids)


@dataclass
class Context:
    reader: Reader
    limits: Limits
    # The bearer token the request came with, if any.
    token: str | None = None
    tokens_for_reads: bool = False
    loaders: Loaders = field(init=False)
    _author: str | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.reader)

    @property
    def engine(self) -> AsyncEngine:
        return self.reader.engine

    async def author(self) -> str:
        """The name of the request's token; Unauthenticated if it has no valid one."""
        if self._author is None:
            async with self.engine.connect() as connection:
                self._author = await auth.author_of(connection, self.token)
        return self._author

    async def after_write(self) -> None:
        """What was read before a write is stale: start a new snapshot and new loaders."""
        await self.reader.close()
        self.loaders = Loaders(self.reader)
