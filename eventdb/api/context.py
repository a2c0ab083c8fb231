"""What one GraphQL request reads with: one connection, one snapshot, and its DataLoaders.

Every list a response needs is fetched by a loader, so a page of 100 events costs the same number
of statements as a page of 10. Loaders are keyed by id and by the instant (`knownAt`) and, where it
matters, the day asked about; keys with the same instant and day go out in one statement.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from strawberry.dataloader import DataLoader

from eventdb import auth
from eventdb.config import Limits
from eventdb.queries import affiliations, control, facts, history

R = TypeVar("R")


class Reader:
    """One request's way to the database: a connection opened on first use, holding one
    read snapshot, used by one statement at a time (loaders of sibling fields run at once)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._connection: AsyncConnection | None = None
        self._lock = asyncio.Lock()

    async def run(self, query: Callable[..., Awaitable[R]], *arguments: Any) -> R:
        async with self._lock:
            if self._connection is None:
                self._connection = await self._open()
            return await query(self._connection, *arguments)

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
        if self._connection is not None:
            await self._connection.close()  # rolls the read transaction back
            self._connection = None


def _grouped(
    reader: Reader,
    query: Callable[..., Awaitable[dict[Any, Any]]],
    default: Callable[[], Any] = lambda: None,
) -> DataLoader[Any, Any]:
    """A loader for keys `(id, *context)`: one statement per distinct context."""

    async def fetch(keys: list[tuple[Any, ...]]) -> list[Any]:
        by_context: dict[tuple[Any, ...], set[Any]] = defaultdict(set)
        for key in keys:
            by_context[key[1:]].add(key[0])
        found: dict[tuple[Any, ...], Any] = {}
        for context, ids in by_context.items():
            for identity, value in (await reader.run(query, ids, *context)).items():
                found[(identity, *context)] = value
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


def _bound(query: Callable[..., Awaitable[R]], kind: str) -> Callable[..., Awaitable[R]]:
    """`query` with its kind argument fixed: (connection, ids) -> ..."""

    async def bound(connection: AsyncConnection, ids: Iterable[int]) -> R:
        return await query(connection, kind, ids)

    return bound


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
