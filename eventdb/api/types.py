"""The GraphQL types. Each object carries the instant it is read as of (`knownAt`) and the day it
was asked about, and hands both to its nested fields: an actor reached through `stateOf(at: D)`
lists its affiliations on D, as the database knew them then, unless a field says otherwise."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from eventdb.api.context import Context
from eventdb.errors import BadInput
from eventdb.queries import affiliations as affiliation_queries
from eventdb.queries import control, facts
from eventdb.temporal import Certainty as TemporalCertainty
from eventdb.temporal import FuzzyInterval

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


@strawberry.type
class Source:
    view: strawberry.Private[facts.SourceView]
    known_at: strawberry.Private[datetime | None]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.view.id))

    @strawberry.field
    def slug(self) -> str:
        return self.view.slug

    @strawberry.field(description="This version's number; pass it as `expectedVersion` to correct.")
    def version(self) -> int:
        return self.view.version_id

    @strawberry.field(description="When the database recorded this version.")
    def recorded_at(self) -> datetime:
        return self.view.recorded_at

    @strawberry.field
    def title(self) -> str:
        return self.view.title

    @strawberry.field
    def publisher(self) -> str | None:
        return self.view.publisher

    @strawberry.field(description="When it was published, as EDTF.")
    def published(self) -> FuzzyInterval | None:
        from eventdb.temporal import parse

        return parse(self.view.published) if self.view.published else None

    @strawberry.field
    def url(self) -> str | None:
        return self.view.url

    @strawberry.field(description="What else is known of the document: a dateline, a photo credit.")
    def notes(self) -> str | None:
        return self.view.notes

    @strawberry.field(description="Every citation of this source, by facts known at `knownAt`.")
    async def citations(self, info: Info[Context, None]) -> list[Citation]:
        found = await _context(info).loaders.source_citations.load((self.view.id, self.known_at))
        return [Citation(view=view, known_at=self.known_at, day=None) for view in found]


@strawberry.type
class Citation:
    view: strawberry.Private[facts.CitationView]
    known_at: strawberry.Private[datetime | None]
    day: strawberry.Private[date | None]

    @strawberry.field
    async def source(self, info: Info[Context, None]) -> Source:
        view = await _context(info).loaders.source.load((self.view.source_id, self.known_at))
        assert view is not None, "a cited source is never retracted while cited"
        return Source(view=view, known_at=self.known_at)

    @strawberry.field
    def quote(self) -> str | None:
        return self.view.quote

    @strawberry.field(description="confirmed, reported, claimed, suspected or disputed.")
    def confidence(self) -> str:
        return self.view.confidence

    @strawberry.field(description="The fact this citation supports (for a claim: its event).")
    async def about(self, info: Info[Context, None]) -> CitedFact | None:
        return await cited_fact(info, self.view, self.known_at, self.day)


@strawberry.type
class Actor:
    view: strawberry.Private[facts.ActorView]
    known_at: strawberry.Private[datetime | None]
    day: strawberry.Private[date | None]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.view.id))

    @strawberry.field
    def slug(self) -> str:
        return self.view.slug

    @strawberry.field(description="This version's number; pass it as `expectedVersion` to correct.")
    def version(self) -> int:
        return self.view.version_id

    @strawberry.field(description="When the database recorded this version.")
    def recorded_at(self) -> datetime:
        return self.view.recorded_at

    @strawberry.field
    def name(self) -> str:
        return self.view.name

    @strawberry.field(
        description="armed_group, state, government, coalition, organization, person or media."
    )
    def kind(self) -> str:
        return self.view.kind

    @strawberry.field
    async def aliases(self, info: Info[Context, None]) -> list[str]:
        return await _context(info).loaders.aliases("actor").load((self.view.version_id,))

    @strawberry.field(description="Identifiers in other datasets: `ucdp:144`, `wikidata:Q2429253`.")
    async def external_ids(self, info: Info[Context, None]) -> list[str]:
        return await _context(info).loaders.external_ids("actor").load((self.view.version_id,))

    @strawberry.field(description="Sources for the actor itself.")
    async def citations(self, info: Info[Context, None]) -> list[Citation]:
        return await citations_of(info, "actor", self.view.version_id, self.known_at, self.day)

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
    view: strawberry.Private[facts.LocationView]
    known_at: strawberry.Private[datetime | None]
    day: strawberry.Private[date | None]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.view.id))

    @strawberry.field
    def slug(self) -> str:
        return self.view.slug

    @strawberry.field(description="This version's number; pass it as `expectedVersion` to correct.")
    def version(self) -> int:
        return self.view.version_id

    @strawberry.field(description="When the database recorded this version.")
    def recorded_at(self) -> datetime:
        return self.view.recorded_at

    @strawberry.field
    def name(self) -> str:
        return self.view.name

    @strawberry.field(description="country, region, city, district or site.")
    def kind(self) -> str:
        return self.view.kind

    @strawberry.field
    async def aliases(self, info: Info[Context, None]) -> list[str]:
        return await _context(info).loaders.aliases("location").load((self.view.version_id,))

    @strawberry.field
    async def external_ids(self, info: Info[Context, None]) -> list[str]:
        return await _context(info).loaders.external_ids("location").load((self.view.version_id,))

    @strawberry.field
    async def citations(self, info: Info[Context, None]) -> list[Citation]:
        return await citations_of(info, "location", self.view.version_id, self.known_at, self.day)

    @strawberry.field
    async def parent(self, info: Info[Context, None]) -> Location | None:
        if self.view.parent_id is None:
            return None
        return await location_of(info, self.view.parent_id, self.known_at, self.day)

    @strawberry.field
    def latitude(self) -> float | None:
        return self.view.latitude

    @strawberry.field
    def longitude(self) -> float | None:
        return self.view.longitude

    @strawberry.field(description="The places directly within this one.")
    async def children(self, info: Info[Context, None]) -> list[Location]:
        found = await _context(info).loaders.children.load((self.view.id, self.known_at))
        return [Location(view=view, known_at=self.known_at, day=self.day) for view in found]

    @strawberry.field(description="Who controls it on `at` (the parent's day when omitted).")
    async def state_at(
        self, info: Info[Context, None], at: date | None = strawberry.UNSET
    ) -> LocationState:
        day = _day(at, self.day)
        if day is None:
            raise BadInput("stateAt needs a day: give `at`")
        state = await _context(info).loaders.state.load((self.view.id, day, self.known_at))
        return LocationState(state=state, known_at=self.known_at)

    @strawberry.field(
        description="The state from each day on which control may change, in order: the stops "
        "of a time slider (a spell becoming possible, definite, possible again, over)."
    )
    async def timeline(self, info: Info[Context, None]) -> list[LocationState]:
        spells = await _context(info).loaders.controls_of_location.load(
            (self.view.id, self.known_at)
        )
        states = control.timeline(self.view.id, spells)
        return [LocationState(state=state, known_at=self.known_at) for state in states]

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
    held: strawberry.Private[control.Held]
    known_at: strawberry.Private[datetime | None]
    day: strawberry.Private[date | None]

    @classmethod
    def of(cls, held: control.Held, known_at: datetime | None, day: date | None) -> Control:
        return cls(held=held, known_at=known_at, day=day)

    @strawberry.field
    def slug(self) -> str:
        return self.held.control.slug

    @strawberry.field(description="This version's number; pass it as `expectedVersion` to correct.")
    def version(self) -> int:
        return self.held.control.version_id

    @strawberry.field(description="When the database recorded this version.")
    def recorded_at(self) -> datetime:
        return self.held.control.recorded_at

    @strawberry.field
    async def actor(self, info: Info[Context, None]) -> Actor:
        return await actor_of(info, self.held.control.actor_id, self.known_at, self.day)

    @strawberry.field
    async def location(self, info: Info[Context, None]) -> Location:
        return await location_of(info, self.held.control.location_id, self.known_at, self.day)

    @strawberry.field(description="controls, or contested.")
    def status(self) -> str:
        return self.held.control.status

    @strawberry.field(description="How surely it holds on the day asked about.")
    def certainty(self) -> Certainty:  # type: ignore[valid-type]
        return self.held.certainty

    @strawberry.field(description="When it held, as recorded (EDTF interval).")
    def valid(self) -> FuzzyInterval:
        return self.held.control.valid

    @strawberry.field
    async def citations(self, info: Info[Context, None]) -> list[Citation]:
        return await citations_of(
            info, "control", self.held.control.version_id, self.known_at, self.day
        )

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

    @strawberry.field
    async def location(self, info: Info[Context, None]) -> Location:
        return await location_of(info, self.state.location_id, self.known_at, self.state.day)

    @strawberry.field
    def at(self) -> date:
        return self.state.day

    @strawberry.field(
        description="More than one actor may hold the place that day, or a record says so."
    )
    def contested(self) -> bool:
        return self.state.contested

    @strawberry.field(description="Every spell of control that may hold that day, definite first.")
    def controllers(self) -> list[Control]:
        day = self.state.day
        return [Control.of(held, self.known_at, day) for held in self.state.controllers]


@strawberry.type
class Affiliation:
    related: strawberry.Private[affiliation_queries.Related]
    known_at: strawberry.Private[datetime | None]
    day: strawberry.Private[date | None]

    @strawberry.field
    def slug(self) -> str:
        return self.related.affiliation.slug

    @strawberry.field(description="This version's number; pass it as `expectedVersion` to correct.")
    def version(self) -> int:
        return self.related.affiliation.version_id

    @strawberry.field(description="When the database recorded this version.")
    def recorded_at(self) -> datetime:
        return self.related.affiliation.recorded_at

    @strawberry.field
    async def actor(self, info: Info[Context, None]) -> Actor:
        return await actor_of(info, self.related.affiliation.actor_id, self.known_at, self.day)

    @strawberry.field(
        description="member_of, branch_of, affiliated_with, allied_with, at_war_with, opposes, "
        "commands, loyal_to or leads."
    )
    def kind(self) -> str:
        return self.related.affiliation.kind

    @strawberry.field
    async def target(self, info: Info[Context, None]) -> Actor:
        return await actor_of(info, self.related.affiliation.target_id, self.known_at, self.day)

    @strawberry.field(
        description="How surely it holds on the day asked about (DEFINITE without one)."
    )
    def certainty(self) -> Certainty:  # type: ignore[valid-type]
        return self.related.certainty

    @strawberry.field
    def valid(self) -> FuzzyInterval:
        return self.related.affiliation.valid

    @strawberry.field
    async def citations(self, info: Info[Context, None]) -> list[Citation]:
        version = self.related.affiliation.version_id
        return await citations_of(info, "affiliation", version, self.known_at, self.day)


@strawberry.type
class Participant:
    view: strawberry.Private[facts.ParticipantView]
    known_at: strawberry.Private[datetime | None]
    day: strawberry.Private[date | None]

    @strawberry.field
    async def actor(self, info: Info[Context, None]) -> Actor:
        return await actor_of(info, self.view.actor_id, self.known_at, self.day)

    @strawberry.field(description="perpetrator, target, victim, claimant, ...")
    def role(self) -> str:
        return self.view.role


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
    view: strawberry.Private[facts.ClaimView]
    known_at: strawberry.Private[datetime | None]

    @strawberry.field(description="The field it is about: date, title, kind, location, ...")
    def field(self) -> str:
        return self.view.field

    @strawberry.field
    def value(self) -> str:
        return self.view.value

    @strawberry.field
    async def citations(self, info: Info[Context, None]) -> list[Citation]:
        return await citations_of(info, "claim", self.view.id, self.known_at, None)


@strawberry.type
class Event:
    view: strawberry.Private[facts.EventView]
    known_at: strawberry.Private[datetime | None]

    @property
    def day(self) -> date | None:
        """The event's own day when it has one; nested fields ask about that day."""
        return self.view.date.definite_days[0] if self.view.date.definite_days else None

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.view.id))

    @strawberry.field
    def slug(self) -> str:
        return self.view.slug

    @strawberry.field(description="This version's number; pass it as `expectedVersion` to correct.")
    def version(self) -> int:
        return self.view.version_id

    @strawberry.field(description="When the database recorded this version.")
    def recorded_at(self) -> datetime:
        return self.view.recorded_at

    @strawberry.field
    def title(self) -> str:
        return self.view.title

    @strawberry.field(description="attack, battle, assassination, declaration, statement, ...")
    def kind(self) -> str:
        return self.view.kind

    @strawberry.field(description="When it happened, as recorded (EDTF date or interval).")
    def date(self) -> FuzzyInterval:
        return self.view.date

    @strawberry.field
    async def location(self, info: Info[Context, None]) -> Location | None:
        if self.view.location_id is None:
            return None
        return await location_of(info, self.view.location_id, self.known_at, self.day)

    @strawberry.field
    async def participants(self, info: Info[Context, None]) -> list[Participant]:
        found = await _context(info).loaders.participants.load((self.view.version_id,))
        return [Participant(view=view, known_at=self.known_at, day=self.day) for view in found]

    @strawberry.field
    def fatalities(self) -> Fatalities | None:
        view = self.view
        if (
            view.fatalities_best is None
            and view.fatalities_low is None
            and view.fatalities_high is None
        ):
            return None
        return Fatalities(
            best=view.fatalities_best, low=view.fatalities_low, high=view.fatalities_high
        )

    @strawberry.field
    def deaths(self) -> Deaths | None:
        side_a, side_b, civilians, unknown = self.view.deaths
        if side_a is None and side_b is None and civilians is None and unknown is None:
            return None
        return Deaths(side_a=side_a, side_b=side_b, civilians=civilians, unknown=unknown)

    @strawberry.field(
        description="How precisely the place is known, UCDP's where_prec: 1 the exact place, "
        "2 within about 25 km, 3 the district, 4 the province, 5 a larger area, 6 the country, "
        "7 at sea or in the air."
    )
    def location_precision(self) -> int | None:
        return self.view.location_precision

    @strawberry.field(
        description="What the dataset records that has no field of its own (UCDP's conflict, "
        "dyad, date precision, clarity, release; `flags` for values kept as found)."
    )
    def properties(self) -> JSON | None:
        return JSON(self.view.properties) if self.view.properties is not None else None

    @strawberry.field
    async def citations(self, info: Info[Context, None]) -> list[Citation]:
        return await citations_of(info, "event", self.view.version_id, self.known_at, self.day)

    @strawberry.field(description="Values other sources give instead of the accepted ones.")
    async def alternatives(self, info: Info[Context, None]) -> list[Claim]:
        found = await _context(info).loaders.claims.load((self.view.version_id,))
        return [Claim(view=view, known_at=self.known_at) for view in found]

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


# Building objects from ids, through the request's loaders.


async def actor_of(
    info: Info[Context, None], actor_id: int, known_at: datetime | None, day: date | None
) -> Actor:
    view = await _context(info).loaders.actor.load((actor_id, known_at))
    assert view is not None, "a referenced actor is never retracted while referred to"
    return Actor(view=view, known_at=known_at, day=day)


async def location_of(
    info: Info[Context, None], location_id: int, known_at: datetime | None, day: date | None
) -> Location:
    view = await _context(info).loaders.location.load((location_id, known_at))
    assert view is not None, "a referenced location is never retracted while referred to"
    return Location(view=view, known_at=known_at, day=day)


async def event_or_none(
    info: Info[Context, None], event_id: int | None, known_at: datetime | None
) -> Event | None:
    if event_id is None:
        return None
    view = await _context(info).loaders.event.load((event_id, known_at))
    return Event(view=view, known_at=known_at) if view is not None else None


async def citations_of(
    info: Info[Context, None],
    owner_kind: str,
    owner_id: int,
    known_at: datetime | None,
    day: date | None,
) -> list[Citation]:
    found = await _context(info).loaders.citations(owner_kind).load((owner_id,))
    return [Citation(view=view, known_at=known_at, day=day) for view in found]


async def affiliations_of(
    info: Info[Context, None],
    actor_id: int,
    day: date | None,
    kinds: list[str] | None,
    known_at: datetime | None,
) -> list[Affiliation]:
    key = (actor_id, day, tuple(sorted(kinds)) if kinds else None, known_at)
    found = await _context(info).loaders.affiliations.load(key)
    return [Affiliation(related=related, known_at=known_at, day=day) for related in found]


async def cited_fact(
    info: Info[Context, None], view: facts.CitationView, known_at: datetime | None, day: date | None
) -> Actor | Location | Event | Control | Affiliation | None:
    from eventdb.api.resolvers import fact_of_version

    return await fact_of_version(info, view.owner_kind, view.owner_id, known_at, day)
