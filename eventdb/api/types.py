"""The GraphQL types. Each object carries the instant it is read as of (`knownAt`) and the day it
was asked about, and hands both to its nested fields: an actor reached through `stateOf(at: D)`
lists its affiliations on D, as the database knew them then, unless a field says otherwise."""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Annotated, Any, Optional, TypeVar

import strawberry
from strawberry.dataloader import DataLoader
from strawberry.scalars import JSON
from strawberry.types import Info

from eventdb.api.context import Context
from eventdb.errors import BadInput
from eventdb.queries import affiliations as affiliation_queries
from eventdb.queries import control, facts
from eventdb.temporal import Certainty as TemporalCertainty
from eventdb.temporal import FuzzyInterval, parse

Certainty = strawberry.enum(
    TemporalCertainty,
    name="Certainty",
    description="Whether a fact holds on a day in every reading of its fuzzy dates, or in some.",
)


@strawberry.enum
class SortOrder(enum.Enum):
    ASC = "ASC"
    DESC = "DESC"


def _context(info: Info[Context, None]) -> Context:
    return info.context


def _day(given: date | Any | None, inherited: date | None) -> date | None:
    """A nested field's day: the one given, else its parent's."""
    return inherited if given is strawberry.UNSET else given


K = TypeVar("K")
V = TypeVar("V")
T = TypeVar("T")


def _now_or_later(loader: DataLoader[K, V], key: K, then: Callable[[V], T]) -> T | Awaitable[T]:
    """`then(value)` at once when the request's loader holds the value already (fetched ahead
    with the page or the state that led here), else once the loader has fetched it. Resolving a
    field at once spares it a coroutine and a trip through the event loop; a page of 100 events
    has ~800 such fields."""
    future = loader.cache_map.get(key)
    if (
        future is not None
        and future.done()
        and not future.cancelled()
        and future.exception() is None
    ):
        return then(future.result())

    async def later() -> T:
        return then(await loader.load(key))

    return later()


Day = date  # for where a field named `date` hides the type
VERSION = "This version's number; pass it as `expectedVersion` to correct."
RECORDED_AT = "When the database recorded this version."


@strawberry.type
class Source:
    id: strawberry.ID
    slug: str
    version: int = strawberry.field(description=VERSION)
    recorded_at: datetime = strawberry.field(description=RECORDED_AT)
    title: str
    publisher: str | None
    view: strawberry.Private[facts.SourceView]
    known_at: strawberry.Private[datetime | None]

    @classmethod
    def of(cls, view: facts.SourceView, known_at: datetime | None) -> Source:
        return cls(
            id=strawberry.ID(str(view.id)),
            slug=view.slug,
            version=view.version_id,
            recorded_at=view.recorded_at,
            title=view.title,
            publisher=view.publisher,
            url=view.url,
            notes=view.notes,
            view=view,
            known_at=known_at,
        )

    @strawberry.field(description="When it was published, as EDTF.")
    def published(self) -> FuzzyInterval | None:
        return parse(self.view.published) if self.view.published else None

    url: str | None
    notes: str | None = strawberry.field(
        description="What else is known of the document: a dateline, a photo credit."
    )

    @strawberry.field(description="Every citation of this source, by facts known at `knownAt`.")
    async def citations(self, info: Info[Context, None]) -> list[Citation]:
        found = await _context(info).loaders.source_citations.load((self.view.id, self.known_at))
        return [Citation.of(view, self.known_at, None) for view in found]


@strawberry.type
class Citation:
    view: strawberry.Private[facts.CitationView]
    known_at: strawberry.Private[datetime | None]
    day: strawberry.Private[date | None]

    @classmethod
    def of(cls, view: facts.CitationView, known_at: datetime | None, day: date | None) -> Citation:
        return cls(
            quote=view.quote, confidence=view.confidence, view=view, known_at=known_at, day=day
        )

    @strawberry.field(graphql_type=Source)
    def source(self, info: Info[Context, None]) -> Source | Awaitable[Source]:
        return source_of(info, self.view.source_id, self.known_at)

    quote: str | None
    confidence: str = strawberry.field(
        description="confirmed, reported, claimed, suspected or disputed."
    )

    @strawberry.field(description="The fact this citation supports (for a claim: its event).")
    async def about(self, info: Info[Context, None]) -> CitedFact | None:
        return await cited_fact(info, self.view, self.known_at, self.day)


@strawberry.type
class Actor:
    id: strawberry.ID
    slug: str
    version: int = strawberry.field(description=VERSION)
    recorded_at: datetime = strawberry.field(description=RECORDED_AT)
    name: str
    kind: str = strawberry.field(
        description="armed_group, state, government, coalition, organization, person or media."
    )
    view: strawberry.Private[facts.ActorView]
    known_at: strawberry.Private[datetime | None]
    day: strawberry.Private[date | None]

    @classmethod
    def of(cls, view: facts.ActorView, known_at: datetime | None, day: date | None) -> Actor:
        return cls(
            id=strawberry.ID(str(view.id)),
            slug=view.slug,
            version=view.version_id,
            recorded_at=view.recorded_at,
            name=view.name,
            kind=view.kind,
            view=view,
            known_at=known_at,
            day=day,
        )

    @strawberry.field
    async def aliases(self, info: Info[Context, None]) -> list[str]:
        return await _context(info).loaders.aliases("actor").load((self.view.version_id,))

    @strawberry.field(description="Identifiers in other datasets: `ucdp:144`, `wikidata:Q2429253`.")
    async def external_ids(self, info: Info[Context, None]) -> list[str]:
        return await _context(info).loaders.external_ids("actor").load((self.view.version_id,))

    @strawberry.field(description="Sources for the actor itself.", graphql_type=list[Citation])
    def citations(self, info: Info[Context, None]) -> list[Citation] | Awaitable[list[Citation]]:
        return citations_of(info, "actor", self.view.version_id, self.known_at, self.day)

    @strawberry.field(
        description="Its relations on `at` (the parent's day when omitted; all when null), with "
        "symmetric ones (allied_with, at_war_with, opposes) recorded by either side."
    )
    async def affiliations(
        self,
        info: Info[Context, None],
        at: date | None = strawberry.UNSET,
        kinds: list[str] | None = None,
    ) -> list[Affiliation]:
        return await affiliations_of(info, self.view.id, _day(at, self.day), kinds, self.known_at)

    @strawberry.field(
        description="What it controls or contests on `at` (the parent's day when omitted)."
    )
    async def controls(
        self, info: Info[Context, None], at: date | None = strawberry.UNSET
    ) -> list[Control]:
        day = _day(at, self.day)
        held = await _context(info).loaders.held_by_actor.load((self.view.id, day, self.known_at))
        return [Control.of(spell, self.known_at, day) for spell in held]

    @strawberry.field(description="Events it took part in; arguments as in `Query.events`.")
    async def events(
        self,
        info: Info[Context, None],
        include_members: bool | None = False,
        from_: Annotated[date | None, strawberry.argument(name="from")] = None,
        to: date | None = None,
        kinds: list[str] | None = None,
        order: SortOrder | None = SortOrder.DESC,
        first: int | None = None,
        after: str | None = None,
    ) -> EventConnection:
        from eventdb.api.resolvers import search_events

        return await search_events(
            info,
            involving_ids=frozenset({self.view.id}),
            include_members=bool(include_members),
            start=from_,
            end=to,
            kinds=kinds,
            order=order,
            first=first,
            after=after,
            known_at=self.known_at,
        )


@strawberry.type
class Location:
    id: strawberry.ID
    slug: str
    version: int = strawberry.field(description=VERSION)
    recorded_at: datetime = strawberry.field(description=RECORDED_AT)
    name: str
    kind: str = strawberry.field(description="country, region, city, district or site.")
    view: strawberry.Private[facts.LocationView]
    known_at: strawberry.Private[datetime | None]
    day: strawberry.Private[date | None]

    @classmethod
    def of(cls, view: facts.LocationView, known_at: datetime | None, day: date | None) -> Location:
        return cls(
            id=strawberry.ID(str(view.id)),
            slug=view.slug,
            version=view.version_id,
            recorded_at=view.recorded_at,
            name=view.name,
            kind=view.kind,
            latitude=view.latitude,
            longitude=view.longitude,
            view=view,
            known_at=known_at,
            day=day,
        )

    @strawberry.field
    async def aliases(self, info: Info[Context, None]) -> list[str]:
        return await _context(info).loaders.aliases("location").load((self.view.version_id,))

    @strawberry.field
    async def external_ids(self, info: Info[Context, None]) -> list[str]:
        return await _context(info).loaders.external_ids("location").load((self.view.version_id,))

    @strawberry.field(graphql_type=list[Citation])
    def citations(self, info: Info[Context, None]) -> list[Citation] | Awaitable[list[Citation]]:
        return citations_of(info, "location", self.view.version_id, self.known_at, self.day)

    @strawberry.field(graphql_type=Optional["Location"])  # a string: the class is not made yet
    def parent(self, info: Info[Context, None]) -> Location | Awaitable[Location] | None:
        if self.view.parent_id is None:
            return None
        return location_of(info, self.view.parent_id, self.known_at, self.day)

    latitude: float | None
    longitude: float | None

    @strawberry.field(description="The places directly within this one.")
    async def children(self, info: Info[Context, None]) -> list[Location]:
        found = await _context(info).loaders.children.load((self.view.id, self.known_at))
        return [Location.of(view, self.known_at, self.day) for view in found]

    @strawberry.field(description="Who controls it on `at` (the parent's day when omitted).")
    async def state_at(
        self, info: Info[Context, None], at: date | None = strawberry.UNSET
    ) -> LocationState:
        day = _day(at, self.day)
        if day is None:
            raise BadInput("stateAt needs a day: give `at`")
        state = await _context(info).loaders.state.load((self.view.id, day, self.known_at))
        return LocationState.of(state, self.known_at)

    @strawberry.field(
        description="The state from each day on which control may change, in order: the stops "
        "of a time slider (a spell becoming possible, definite, possible again, over)."
    )
    async def timeline(self, info: Info[Context, None]) -> list[LocationState]:
        spells = await _context(info).loaders.controls_of_location.load(
            (self.view.id, self.known_at)
        )
        states = control.timeline(self.view.id, spells)
        return [LocationState.of(state, self.known_at) for state in states]

    @strawberry.field(
        description="Events here or in places within; arguments as in `Query.events`."
    )
    async def events(
        self,
        info: Info[Context, None],
        include_within: bool | None = True,
        from_: Annotated[date | None, strawberry.argument(name="from")] = None,
        to: date | None = None,
        kinds: list[str] | None = None,
        order: SortOrder | None = SortOrder.DESC,
        first: int | None = None,
        after: str | None = None,
    ) -> EventConnection:
        from eventdb.api.resolvers import search_events

        return await search_events(
            info,
            location_id=None if include_within is not False else self.view.id,
            within_id=self.view.id if include_within is not False else None,
            start=from_,
            end=to,
            kinds=kinds,
            order=order,
            first=first,
            after=after,
            known_at=self.known_at,
        )


@strawberry.type
class Control:
    slug: str
    version: int = strawberry.field(description=VERSION)
    recorded_at: datetime = strawberry.field(description=RECORDED_AT)
    held: strawberry.Private[control.Held]
    known_at: strawberry.Private[datetime | None]
    day: strawberry.Private[date | None]

    @classmethod
    def of(cls, held: control.Held, known_at: datetime | None, day: date | None) -> Control:
        spell = held.control
        return cls(
            slug=spell.slug,
            version=spell.version_id,
            recorded_at=spell.recorded_at,
            status=spell.status,
            certainty=held.certainty,
            valid=spell.valid,
            held=held,
            known_at=known_at,
            day=day,
        )

    @strawberry.field(graphql_type=Actor)
    def actor(self, info: Info[Context, None]) -> Actor | Awaitable[Actor]:
        return actor_of(info, self.held.control.actor_id, self.known_at, self.day)

    @strawberry.field(graphql_type=Location)
    def location(self, info: Info[Context, None]) -> Location | Awaitable[Location]:
        return location_of(info, self.held.control.location_id, self.known_at, self.day)

    status: str = strawberry.field(description="controls, or contested.")
    certainty: Certainty = strawberry.field(  # type: ignore[valid-type]
        description="How surely it holds on the day asked about."
    )
    valid: FuzzyInterval = strawberry.field(
        description="When it held, as recorded (EDTF interval)."
    )

    @strawberry.field(graphql_type=list[Citation])
    def citations(self, info: Info[Context, None]) -> list[Citation] | Awaitable[list[Citation]]:
        version = self.held.control.version_id
        return citations_of(info, "control", version, self.known_at, self.day)

    @strawberry.field(description="The event that began this spell of control, if recorded.")
    async def started_by(self, info: Info[Context, None]) -> Event | None:
        return await event_or_none(info, self.held.control.started_by_event_id, self.known_at)

    @strawberry.field(description="The event that ended it, if recorded.")
    async def ended_by(self, info: Info[Context, None]) -> Event | None:
        return await event_or_none(info, self.held.control.ended_by_event_id, self.known_at)


@strawberry.type
class LocationState:
    state: strawberry.Private[control.LocationState]
    known_at: strawberry.Private[datetime | None]

    @classmethod
    def of(cls, state: control.LocationState, known_at: datetime | None) -> LocationState:
        day = state.day
        return cls(
            at=day,
            contested=state.contested,
            controllers=[Control.of(held, known_at, day) for held in state.controllers],
            state=state,
            known_at=known_at,
        )

    @strawberry.field(graphql_type=Location)
    def location(self, info: Info[Context, None]) -> Location | Awaitable[Location]:
        return location_of(info, self.state.location_id, self.known_at, self.state.day)

    at: date
    contested: bool = strawberry.field(
        description="More than one actor may hold the place that day, or a record says so."
    )
    controllers: list[Control] = strawberry.field(
        description="Every spell of control that may hold that day, definite first."
    )


@strawberry.type
class Affiliation:
    slug: str
    version: int = strawberry.field(description=VERSION)
    recorded_at: datetime = strawberry.field(description=RECORDED_AT)
    related: strawberry.Private[affiliation_queries.Related]
    known_at: strawberry.Private[datetime | None]
    day: strawberry.Private[date | None]

    @classmethod
    def of(
        cls, related: affiliation_queries.Related, known_at: datetime | None, day: date | None
    ) -> Affiliation:
        relation = related.affiliation
        return cls(
            slug=relation.slug,
            version=relation.version_id,
            recorded_at=relation.recorded_at,
            kind=relation.kind,
            certainty=related.certainty,
            valid=relation.valid,
            related=related,
            known_at=known_at,
            day=day,
        )

    @strawberry.field(graphql_type=Actor)
    def actor(self, info: Info[Context, None]) -> Actor | Awaitable[Actor]:
        return actor_of(info, self.related.affiliation.actor_id, self.known_at, self.day)

    kind: str = strawberry.field(
        description="member_of, branch_of, affiliated_with, allied_with, at_war_with, opposes, "
        "commands, loyal_to or leads."
    )

    @strawberry.field(graphql_type=Actor)
    def target(self, info: Info[Context, None]) -> Actor | Awaitable[Actor]:
        return actor_of(info, self.related.affiliation.target_id, self.known_at, self.day)

    certainty: Certainty = strawberry.field(  # type: ignore[valid-type]
        description="How surely it holds on the day asked about (DEFINITE without one)."
    )
    valid: FuzzyInterval

    @strawberry.field(graphql_type=list[Citation])
    def citations(self, info: Info[Context, None]) -> list[Citation] | Awaitable[list[Citation]]:
        version = self.related.affiliation.version_id
        return citations_of(info, "affiliation", version, self.known_at, self.day)


@strawberry.type
class Participant:
    view: strawberry.Private[facts.ParticipantView]
    known_at: strawberry.Private[datetime | None]
    day: strawberry.Private[date | None]

    @classmethod
    def of(
        cls, view: facts.ParticipantView, known_at: datetime | None, day: date | None
    ) -> Participant:
        return cls(role=view.role, view=view, known_at=known_at, day=day)

    @strawberry.field(graphql_type=Actor)
    def actor(self, info: Info[Context, None]) -> Actor | Awaitable[Actor]:
        return actor_of(info, self.view.actor_id, self.known_at, self.day)

    role: str = strawberry.field(description="perpetrator, target, victim, claimant, ...")


@strawberry.type(description="Deaths, as UCDP records them: best estimate, low and high.")
class Fatalities:
    best: int | None
    low: int | None
    high: int | None


@strawberry.type(description="Who the dead were, as UCDP breaks `best` down.")
class Deaths:
    side_a: int | None
    side_b: int | None
    civilians: int | None
    unknown: int | None


@strawberry.type(description="A value other sources give for one of the event's fields.")
class Claim:
    field: str = strawberry.field(
        description="The field it is about: date, title, kind, location, ..."
    )
    value: str
    view: strawberry.Private[facts.ClaimView]
    known_at: strawberry.Private[datetime | None]

    @classmethod
    def of(cls, view: facts.ClaimView, known_at: datetime | None) -> Claim:
        return cls(field=view.field, value=view.value, view=view, known_at=known_at)

    @strawberry.field(graphql_type=list[Citation])
    def citations(self, info: Info[Context, None]) -> list[Citation] | Awaitable[list[Citation]]:
        return citations_of(info, "claim", self.view.id, self.known_at, None)


@strawberry.type
class Event:
    id: strawberry.ID
    slug: str
    version: int = strawberry.field(description=VERSION)
    recorded_at: datetime = strawberry.field(description=RECORDED_AT)
    title: str
    kind: str = strawberry.field(
        description="attack, battle, assassination, declaration, statement, ..."
    )
    date: FuzzyInterval = strawberry.field(
        description="When it happened, as recorded (EDTF date or interval)."
    )
    view: strawberry.Private[facts.EventView]
    known_at: strawberry.Private[datetime | None]
    # The event's own day when it has one; nested fields ask about that day.
    day: strawberry.Private[Day | None]

    @classmethod
    def of(cls, view: facts.EventView, known_at: datetime | None) -> Event:
        best, low, high = view.fatalities_best, view.fatalities_low, view.fatalities_high
        side_a, side_b, civilians, unknown = view.deaths
        days = view.date.definite_days
        return cls(
            id=strawberry.ID(str(view.id)),
            slug=view.slug,
            version=view.version_id,
            recorded_at=view.recorded_at,
            title=view.title,
            kind=view.kind,
            date=view.date,
            fatalities=(
                None
                if best is None and low is None and high is None
                else Fatalities(best=best, low=low, high=high)
            ),
            deaths=(
                None
                if side_a is None and side_b is None and civilians is None and unknown is None
                else Deaths(side_a=side_a, side_b=side_b, civilians=civilians, unknown=unknown)
            ),
            location_precision=view.location_precision,
            properties=JSON(view.properties) if view.properties is not None else None,
            view=view,
            known_at=known_at,
            day=days[0] if days else None,
        )

    @strawberry.field(graphql_type=Location | None)
    def location(self, info: Info[Context, None]) -> Location | Awaitable[Location] | None:
        if self.view.location_id is None:
            return None
        return location_of(info, self.view.location_id, self.known_at, self.day)

    @strawberry.field(graphql_type=list[Participant])
    def participants(
        self, info: Info[Context, None]
    ) -> list[Participant] | Awaitable[list[Participant]]:
        known_at, day = self.known_at, self.day
        return _now_or_later(
            _context(info).loaders.participants,
            (self.view.version_id,),
            lambda found: [Participant.of(view, known_at, day) for view in found],
        )

    fatalities: Fatalities | None
    deaths: Deaths | None
    location_precision: int | None = strawberry.field(
        description="How precisely the place is known, UCDP's where_prec: 1 the exact place, "
        "2 within about 25 km, 3 the district, 4 the province, 5 a larger area, 6 the country, "
        "7 at sea or in the air."
    )
    properties: JSON | None = strawberry.field(
        description="What the dataset records that has no field of its own (UCDP's conflict, "
        "dyad, date precision, clarity, release; `flags` for values kept as found)."
    )

    @strawberry.field(graphql_type=list[Citation])
    def citations(self, info: Info[Context, None]) -> list[Citation] | Awaitable[list[Citation]]:
        return citations_of(info, "event", self.view.version_id, self.known_at, self.day)

    @strawberry.field(description="Values other sources give instead of the accepted ones.")
    async def alternatives(self, info: Info[Context, None]) -> list[Claim]:
        found = await _context(info).loaders.claims.load((self.view.version_id,))
        return [Claim.of(view, self.known_at) for view in found]

    @strawberry.field
    async def external_ids(self, info: Info[Context, None]) -> list[str]:
        return await _context(info).loaders.external_ids("event").load((self.view.version_id,))


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class EventEdge:
    cursor: str
    node: Event


@strawberry.type
class EventConnection:
    edges: list[EventEdge]
    page_info: PageInfo
    total_count: int


CitedFact = Annotated[
    Actor | Location | Event | Control | Affiliation,
    strawberry.union("CitedFact", description="A fact a source is cited for."),
]


# Building objects from ids, through the request's loaders: at once when a loader holds them.


def actor_of(
    info: Info[Context, None], actor_id: int, known_at: datetime | None, day: date | None
) -> Actor | Awaitable[Actor]:
    return _now_or_later(
        _context(info).loaders.actor, (actor_id, known_at), lambda view: _actor(view, known_at, day)
    )


def _actor(view: facts.ActorView | None, known_at: datetime | None, day: date | None) -> Actor:
    assert view is not None, "a referenced actor is never retracted while referred to"
    return Actor.of(view, known_at, day)


def location_of(
    info: Info[Context, None], location_id: int, known_at: datetime | None, day: date | None
) -> Location | Awaitable[Location]:
    return _now_or_later(
        _context(info).loaders.location,
        (location_id, known_at),
        lambda view: _location(view, known_at, day),
    )


def _location(
    view: facts.LocationView | None, known_at: datetime | None, day: date | None
) -> Location:
    assert view is not None, "a referenced location is never retracted while referred to"
    return Location.of(view, known_at, day)


def source_of(
    info: Info[Context, None], source_id: int, known_at: datetime | None
) -> Source | Awaitable[Source]:
    return _now_or_later(
        _context(info).loaders.source, (source_id, known_at), lambda view: _source(view, known_at)
    )


def _source(view: facts.SourceView | None, known_at: datetime | None) -> Source:
    assert view is not None, "a cited source is never retracted while cited"
    return Source.of(view, known_at)


async def event_or_none(
    info: Info[Context, None], event_id: int | None, known_at: datetime | None
) -> Event | None:
    if event_id is None:
        return None
    view = await _context(info).loaders.event.load((event_id, known_at))
    return Event.of(view, known_at) if view is not None else None


def citations_of(
    info: Info[Context, None],
    owner_kind: str,
    owner_id: int,
    known_at: datetime | None,
    day: date | None,
) -> list[Citation] | Awaitable[list[Citation]]:
    return _now_or_later(
        _context(info).loaders.citations(owner_kind),
        (owner_id,),
        lambda found: [Citation.of(view, known_at, day) for view in found],
    )


async def affiliations_of(
    info: Info[Context, None],
    actor_id: int,
    day: date | None,
    kinds: list[str] | None,
    known_at: datetime | None,
) -> list[Affiliation]:
    key = (actor_id, day, tuple(sorted(kinds)) if kinds else None, known_at)
    found = await _context(info).loaders.affiliations.load(key)
    return [Affiliation.of(related, known_at, day) for related in found]


async def cited_fact(
    info: Info[Context, None], view: facts.CitationView, known_at: datetime | None, day: date | None
) -> Actor | Location | Event | Control | Affiliation | None:
    from eventdb.api.resolvers import fact_of_version

    return await fact_of_version(info, view.owner_kind, view.owner_id, known_at, day)
