"""Facts by id, in batches: one statement for any number of ids, as the database knew them.

Identities are read as known at an instant (`at`, None for now). A version's children (aliases,
citations, participants, claims) never change, so they are read by version id alone.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

from sqlalchemy import Select, literal, select, union_all
from sqlalchemy.engine import Connection

from eventdb.db.models import (
    Actor,
    ActorAlias,
    ActorVersion,
    Citation,
    Claim,
    Event,
    EventParticipant,
    EventVersion,
    ExternalId,
    Location,
    LocationAlias,
    LocationVersion,
    Source,
    SourceVersion,
)
from eventdb.db.versioning import FACTS
from eventdb.queries.statements import one_of, visible
from eventdb.temporal import FuzzyInterval


@dataclass(frozen=True, slots=True)
class ActorView:
    id: int
    version_id: int
    slug: str
    recorded_at: datetime
    name: str
    kind: str


@dataclass(frozen=True, slots=True)
class LocationView:
    id: int
    version_id: int
    slug: str
    recorded_at: datetime
    name: str
    kind: str
    parent_id: int | None
    latitude: float | None
    longitude: float | None


@dataclass(frozen=True, slots=True)
class EventView:
    id: int
    version_id: int
    slug: str
    recorded_at: datetime
    title: str
    kind: str
    date: FuzzyInterval
    location_id: int | None
    fatalities_best: int | None
    fatalities_low: int | None
    fatalities_high: int | None
    deaths: tuple[int | None, int | None, int | None, int | None]
    location_precision: int | None
    properties: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class SourceView:
    id: int
    version_id: int
    slug: str
    recorded_at: datetime
    title: str
    publisher: str | None
    published: str | None
    url: str | None
    notes: str | None


@dataclass(frozen=True, slots=True)
class CitationView:
    source_id: int
    quote: str | None
    confidence: str
    # What the citation supports: a kind of fact (or "claim") and the version (or claim) id.
    owner_kind: str
    owner_id: int


@dataclass(frozen=True, slots=True)
class ParticipantView:
    actor_id: int
    role: str


@dataclass(frozen=True, slots=True)
class ClaimView:
    id: int
    field: str
    value: str


def _interval(valid: str, *days: date) -> FuzzyInterval:
    return FuzzyInterval(valid, *days)


ACTOR_COLUMNS: Final = (
    Actor.id,
    ActorVersion.id,
    Actor.slug,
    ActorVersion.recorded_at,
    ActorVersion.name,
    ActorVersion.kind,
)


def _actor_rows() -> Select[*tuple[Any, ...]]:
    return select(*ACTOR_COLUMNS).join(ActorVersion, ActorVersion.actor_id == Actor.id)


@functools.cache
def _actors(known: bool) -> Select[*tuple[Any, ...]]:
    return _actor_rows().where(one_of(Actor.id), visible(ActorVersion, known))


def actors(connection: Connection, ids: Iterable[int], at: datetime | None) -> dict[int, ActorView]:
    rows = connection.execute(_actors(at is not None), {"ids": list(ids), "at": at})
    return {row[0]: ActorView(*row) for row in rows}


LOCATION_COLUMNS: Final = (
    Location.id,
    LocationVersion.id,
    Location.slug,
    LocationVersion.recorded_at,
    LocationVersion.name,
    LocationVersion.kind,
    LocationVersion.parent_id,
    LocationVersion.latitude,
    LocationVersion.longitude,
)


def _location_rows(known: bool) -> Select[*tuple[Any, ...]]:
    return (
        select(*LOCATION_COLUMNS)
        .join(LocationVersion, LocationVersion.location_id == Location.id)
        .where(visible(LocationVersion, known))
    )


@functools.cache
def _locations(known: bool) -> Select[*tuple[Any, ...]]:
    return _location_rows(known).where(one_of(Location.id))


def locations(
    connection: Connection, ids: Iterable[int], at: datetime | None
) -> dict[int, LocationView]:
    rows = connection.execute(_locations(at is not None), {"ids": list(ids), "at": at})
    return {row[0]: LocationView(*row) for row in rows}


@functools.cache
def _children(known: bool) -> Select[*tuple[Any, ...]]:
    return (
        _location_rows(known)
        .where(one_of(LocationVersion.parent_id))
        .order_by(LocationVersion.name)
    )


def children(
    connection: Connection, parent_ids: Iterable[int], at: datetime | None
) -> dict[int, list[LocationView]]:
    rows = connection.execute(_children(at is not None), {"ids": list(parent_ids), "at": at})
    found: dict[int, list[LocationView]] = defaultdict(list)
    for row in rows:
        view = LocationView(*row)
        assert view.parent_id is not None
        found[view.parent_id].append(view)
    return found


EVENT_COLUMNS: Final = (
    Event.id,
    EventVersion.id,
    Event.slug,
    EventVersion.recorded_at,
    EventVersion.title,
    EventVersion.kind,
    EventVersion.valid,
    EventVersion.earliest_start,
    EventVersion.latest_start,
    EventVersion.earliest_end,
    EventVersion.latest_end,
    EventVersion.location_id,
    EventVersion.fatalities_best,
    EventVersion.fatalities_low,
    EventVersion.fatalities_high,
    EventVersion.deaths_side_a,
    EventVersion.deaths_side_b,
    EventVersion.deaths_civilians,
    EventVersion.deaths_unknown,
    EventVersion.location_precision,
    EventVersion.properties,
)


def event_view(row: Sequence[Any]) -> EventView:
    identity, version, slug, recorded_at, title, kind, valid, *rest = row
    days, (location, best, low, high), deaths = rest[:4], rest[4:8], rest[8:12]
    precision, properties = rest[12:]
    return EventView(
        identity,
        version,
        slug,
        recorded_at,
        title,
        kind,
        _interval(valid, *days),
        location,
        best,
        low,
        high,
        (deaths[0], deaths[1], deaths[2], deaths[3]),
        precision,
        properties,
    )


@functools.cache
def _events(known: bool) -> Select[*tuple[Any, ...]]:
    return (
        select(*EVENT_COLUMNS)
        .join(EventVersion, EventVersion.event_id == Event.id)
        .where(one_of(Event.id), visible(EventVersion, known))
    )


def events(connection: Connection, ids: Iterable[int], at: datetime | None) -> dict[int, EventView]:
    rows = connection.execute(_events(at is not None), {"ids": list(ids), "at": at})
    return {row[0]: event_view(row) for row in rows}


SOURCE_COLUMNS: Final = (
    Source.id,
    SourceVersion.id,
    Source.slug,
    SourceVersion.recorded_at,
    SourceVersion.title,
    SourceVersion.publisher,
    SourceVersion.published,
    SourceVersion.url,
    SourceVersion.notes,
)


@functools.cache
def _sources(known: bool) -> Select[*tuple[Any, ...]]:
    return (
        select(*SOURCE_COLUMNS)
        .join(SourceVersion, SourceVersion.source_id == Source.id)
        .where(one_of(Source.id), visible(SourceVersion, known))
    )


def sources(
    connection: Connection, ids: Iterable[int], at: datetime | None
) -> dict[int, SourceView]:
    rows = connection.execute(_sources(at is not None), {"ids": list(ids), "at": at})
    return {row[0]: SourceView(*row) for row in rows}


# Versions by their own id: what a fact said in any version (its history).

_BY_VERSION: Final[dict[str, tuple[Any, Any, Any]]] = {
    # kind: (columns, version table, how it joins its identity)
    "actor": (ACTOR_COLUMNS, ActorVersion, ActorVersion.actor_id == Actor.id),
    "location": (LOCATION_COLUMNS, LocationVersion, LocationVersion.location_id == Location.id),
    "event": (EVENT_COLUMNS, EventVersion, EventVersion.event_id == Event.id),
    "source": (SOURCE_COLUMNS, SourceVersion, SourceVersion.source_id == Source.id),
}
_VIEWS: Final[dict[str, Any]] = {
    "actor": lambda row: ActorView(*row),
    "location": lambda row: LocationView(*row),
    "event": event_view,
    "source": lambda row: SourceView(*row),
}


@functools.cache
def _by_version(kind: str) -> Select[*tuple[Any, ...]]:
    columns, version, joined = _BY_VERSION[kind]
    return select(*columns).join(version, joined).where(one_of(version.id))


def by_version(connection: Connection, kind: str, version_ids: Iterable[int]) -> dict[int, Any]:
    """Views of actor, location, event or source versions, by version id."""
    rows = connection.execute(_by_version(kind), {"ids": list(version_ids)})
    view = _VIEWS[kind]
    return {row[1]: view(row) for row in rows}


# A version's children


_ALIASES: Final[dict[str, Any]] = {"actor": ActorAlias, "location": LocationAlias}


@functools.cache
def _aliases(kind: str) -> Select[*tuple[Any, ...]]:
    table = _ALIASES[kind]
    owner = getattr(table, f"{kind}_version_id")
    return select(owner, table.alias).where(one_of(owner)).order_by(table.id)


def aliases(connection: Connection, kind: str, version_ids: Iterable[int]) -> dict[int, list[str]]:
    return _grouped(connection.execute(_aliases(kind), {"ids": list(version_ids)}))


@functools.cache
def _external_ids(kind: str) -> Select[*tuple[Any, ...]]:
    owner = getattr(ExternalId, f"{kind}_version_id")
    return select(owner, ExternalId.value).where(one_of(owner)).order_by(ExternalId.id)


def external_ids(
    connection: Connection, kind: str, version_ids: Iterable[int]
) -> dict[int, list[str]]:
    return _grouped(connection.execute(_external_ids(kind), {"ids": list(version_ids)}))


def citations(
    connection: Connection, owner_kind: str, owner_ids: Iterable[int]
) -> dict[int, list[CitationView]]:
    """Citations of fact versions (owner_kind "event", "control", ...) or of claims ("claim")."""
    rows = connection.execute(_citations(owner_kind), {"ids": list(owner_ids)})
    found: dict[int, list[CitationView]] = defaultdict(list)
    for owner_id, source_id, quote, confidence in rows:
        found[owner_id].append(CitationView(source_id, quote, confidence, owner_kind, owner_id))
    return found


@functools.cache
def _citations(owner_kind: str) -> Select[*tuple[Any, ...]]:
    owner = _citation_owner(owner_kind)
    return (
        select(owner, Citation.source_id, Citation.quote, Citation.confidence)
        .where(one_of(owner))
        .order_by(Citation.id)
    )


def _citation_owner(owner_kind: str) -> Any:
    column = "claim_id" if owner_kind == "claim" else f"{owner_kind}_version_id"
    return getattr(Citation, column)


def citations_of_sources(
    connection: Connection, source_ids: Iterable[int], at: datetime | None
) -> dict[int, list[CitationView]]:
    """Every citation of each source by a fact (or claim) as known at `at`."""
    rows = connection.execute(
        _citations_of_sources(at is not None), {"ids": list(source_ids), "at": at}
    )
    found: dict[int, list[CitationView]] = defaultdict(list)
    for _, source_id, quote, confidence, owner_id, owner_kind in rows:
        found[source_id].append(CitationView(source_id, quote, confidence, owner_kind, owner_id))
    return found


@functools.cache
def _citations_of_sources(known: bool) -> Select[*tuple[Any, ...]]:
    parts = []
    for kind in ("actor", "location", "affiliation", "control", "event"):
        version = FACTS[kind].version
        owner = _citation_owner(kind)
        parts.append(
            select(
                Citation.id,
                Citation.source_id,
                Citation.quote,
                Citation.confidence,
                owner.label("owner_id"),
                _literal(kind),
            )
            .join(version, version.id == owner)
            .where(one_of(Citation.source_id), visible(version, known))
        )
    parts.append(
        select(
            Citation.id,
            Citation.source_id,
            Citation.quote,
            Citation.confidence,
            Citation.claim_id.label("owner_id"),
            _literal("claim"),
        )
        .join(Claim, Claim.id == Citation.claim_id)
        .join(EventVersion, EventVersion.id == Claim.event_version_id)
        .where(one_of(Citation.source_id), visible(EventVersion, known))
    )
    everything = union_all(*parts).subquery()
    return select(everything).order_by(everything.c.id)


def _literal(kind: str) -> Any:
    return literal(kind).label("owner_kind")


_PARTICIPANTS: Final = (
    select(EventParticipant.event_version_id, EventParticipant.actor_id, EventParticipant.role)
    .where(one_of(EventParticipant.event_version_id))
    .order_by(EventParticipant.id)
)


def participants(
    connection: Connection, event_version_ids: Iterable[int]
) -> dict[int, list[ParticipantView]]:
    rows = connection.execute(_PARTICIPANTS, {"ids": list(event_version_ids)})
    found: dict[int, list[ParticipantView]] = defaultdict(list)
    for version_id, actor_id, role in rows:
        found[version_id].append(ParticipantView(actor_id, role))
    return found


_CLAIMS: Final = (
    select(Claim.event_version_id, Claim.id, Claim.field, Claim.value)
    .where(one_of(Claim.event_version_id))
    .order_by(Claim.id)
)


def claims(connection: Connection, event_version_ids: Iterable[int]) -> dict[int, list[ClaimView]]:
    rows = connection.execute(_CLAIMS, {"ids": list(event_version_ids)})
    found: dict[int, list[ClaimView]] = defaultdict(list)
    for version_id, claim_id, field, value in rows:
        found[version_id].append(ClaimView(claim_id, field, value))
    return found


def _grouped(rows: Iterable[Any]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = defaultdict(list)
    for owner, value in rows:
        found[owner].append(value)
    return found


def identities_of_versions(
    connection: Connection, kind: str, version_ids: Iterable[int]
) -> dict[int, int]:
    """The fact each version belongs to."""
    return dict(connection.execute(_identities(kind), {"ids": list(version_ids)}).all())


@functools.cache
def _identities(kind: str) -> Select[*tuple[Any, ...]]:
    tables = FACTS[kind]
    return select(tables.version.id, tables.fact_id).where(one_of(tables.version.id))


def events_of_claims(connection: Connection, claim_ids: Iterable[int]) -> dict[int, int]:
    """The event each alternative claim belongs to."""
    return dict(connection.execute(_EVENTS_OF_CLAIMS, {"ids": list(claim_ids)}).all())


_EVENTS_OF_CLAIMS: Final = (
    select(Claim.id, EventVersion.event_id)
    .join(EventVersion, EventVersion.id == Claim.event_version_id)
    .where(one_of(Claim.id))
)
