"""Who controls a place on a day: every spell of control that may hold then, with its certainty."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from eventdb.db.models import (
    Actor,
    ActorVersion,
    Citation,
    ControlVersion,
    Location,
    LocationVersion,
    Source,
)
from eventdb.db.versioning import known_at
from eventdb.errors import NotFound
from eventdb.temporal import Certainty, FuzzyInterval, certainty


@dataclass(frozen=True, slots=True)
class CitationView:
    source_slug: str
    quote: str | None
    confidence: str


@dataclass(frozen=True, slots=True)
class Controller:
    actor_id: int
    actor_slug: str
    actor_name: str
    status: str
    certainty: Certainty
    valid: FuzzyInterval
    citations: tuple[CitationView, ...]


@dataclass(frozen=True, slots=True)
class LocationState:
    location_id: int
    location_slug: str
    location_name: str
    at: date
    controllers: tuple[Controller, ...]

    @property
    def contested(self) -> bool:
        """More than one actor may hold the place that day, or a record says it is contested."""
        actors = {controller.actor_id for controller in self.controllers}
        return len(actors) > 1 or any(c.status == "contested" for c in self.controllers)


async def state_of(
    connection: AsyncConnection, location_id: int, day: date, at: datetime | None = None
) -> LocationState:
    place = (
        await connection.execute(
            select(Location.slug, LocationVersion.name)
            .join(LocationVersion, LocationVersion.location_id == Location.id)
            .where(Location.id == location_id, known_at(LocationVersion, at))
        )
    ).first()
    if place is None:
        raise NotFound(f"no location has id {location_id}")
    rows = (
        await connection.execute(
            select(
                ControlVersion.id,
                ControlVersion.actor_id,
                Actor.slug,
                ActorVersion.name,
                ControlVersion.status,
                ControlVersion.valid,
                ControlVersion.earliest_start,
                ControlVersion.latest_start,
                ControlVersion.earliest_end,
                ControlVersion.latest_end,
            )
            .join(Actor, Actor.id == ControlVersion.actor_id)
            .join(ActorVersion, ActorVersion.actor_id == Actor.id)
            .where(
                ControlVersion.location_id == location_id,
                ControlVersion.earliest_start <= day,
                ControlVersion.latest_end >= day,
                known_at(ControlVersion, at),
                known_at(ActorVersion, at),
            )
        )
    ).all()
    citations = await _citations(connection, [row[0] for row in rows])
    controllers = []
    for version_id, actor_id, slug, name, status, valid, *days in rows:
        interval = FuzzyInterval(valid, *days)
        held = certainty(interval, day)
        assert held is not None  # the query kept only spells that may hold on `day`
        controllers.append(
            Controller(actor_id, slug, name, status, held, interval, citations[version_id])
        )
    controllers.sort(key=lambda c: (c.certainty is not Certainty.DEFINITE, c.valid.earliest_start))
    return LocationState(location_id, place[0], place[1], day, tuple(controllers))


async def _citations(
    connection: AsyncConnection, version_ids: Sequence[int]
) -> dict[int, tuple[CitationView, ...]]:
    found: dict[int, list[CitationView]] = defaultdict(list)
    if version_ids:
        rows = await connection.execute(
            select(Citation.control_version_id, Source.slug, Citation.quote, Citation.confidence)
            .join(Source, Source.id == Citation.source_id)
            .where(Citation.control_version_id.in_(version_ids))
            .order_by(Citation.id)
        )
        for version_id, source, quote, confidence in rows:
            assert version_id is not None
            found[version_id].append(CitationView(source, quote, confidence))
    return {version_id: tuple(found[version_id]) for version_id in version_ids}
