"""The root `Query`, and what several fields share: references, event pages, cursors."""

from __future__ import annotations

import base64
import binascii
import dataclasses
import functools
from contextlib import suppress
from datetime import date, datetime
from typing import Annotated, Any

import strawberry
from sqlalchemy.engine import Connection
from strawberry.scalars import JSON
from strawberry.types import Info
from strawberry.utils.await_maybe import await_maybe

from eventdb.api import ahead
from eventdb.api.context import Context
from eventdb.api.curation import (
    CanRead,
    ChangeConnection,
    FactKind,
    FactVersion,
    changes_since,
    history_of,
    relation_of_version,
)
from eventdb.api.types import (
    Actor,
    Affiliation,
    Control,
    Event,
    EventConnection,
    EventEdge,
    Location,
    LocationState,
    PageInfo,
    SortOrder,
    Source,
    actor_of,
    affiliations_of,
    location_of,
)
from eventdb.errors import BadInput, NotFound
from eventdb.queries import control, events, geojson, locations, refs


async def resolve(info: Info[Context, None], kind: str, ref: str, known_at: datetime | None) -> int:
    return await info.context.reader.run(refs.resolve, kind, ref, known_at)


async def subtree(
    info: Info[Context, None], within: str, known_at: datetime | None
) -> frozenset[int]:
    root = await resolve(info, "location", within, known_at)
    return frozenset(await info.context.reader.run(locations.subtree, root, known_at))


# Cursors: opaque to clients, an event's earliest possible day and id to us.


def encode_cursor(view: Any) -> str:
    raw = f"{view.date.earliest_start.isoformat()}|{view.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[date, int]:
    with suppress(binascii.Error, UnicodeDecodeError, ValueError):
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        day, event_id = raw.split("|")
        number = refs.parse_id(event_id)
        if number is not None:
            return date.fromisoformat(day), number
    raise BadInput(f"after: {cursor!r} is not a cursor this API gave out")


async def search_events(
    info: Info[Context, None],
    *,
    involving_ids: frozenset[int] | None = None,
    include_members: bool = False,
    location_id: int | None = None,
    within_id: int | None = None,
    within_ids: frozenset[int] | None = None,
    start: date | None = None,
    end: date | None = None,
    kinds: list[str] | None = None,
    order: SortOrder | None = SortOrder.DESC,
    first: int | None = None,
    after: str | None = None,
    known_at: datetime | None = None,
) -> EventConnection:
    limits = info.context.limits
    size = limits.default_page if first is None else first
    if not 1 <= size <= limits.max_page:
        raise BadInput(f"first: must be between 1 and {limits.max_page}, got {size}")
    if start is not None and end is not None and end < start:
        raise BadInput(f"to ({end}) is before from ({start})")
    filters = events.EventFilter(
        involving=involving_ids,
        include_members=include_members,
        location=location_id,
        within=within_ids,
        start=start,
        end=end,
        kinds=frozenset(kinds) if kinds else None,
    )
    names = ahead.selected_names(info)

    def find(connection: Connection) -> tuple[events.EventPage, ahead.Ahead]:
        nonlocal filters
        if within_id is not None:
            subtree = locations.subtree(connection, within_id, known_at)
            filters = dataclasses.replace(filters, within=frozenset(subtree))
        page = events.find_events(
            connection,
            filters,
            descending=order is not SortOrder.ASC,
            first=size,
            after=decode_cursor(after) if after else None,
            at=known_at,
            # Counting reads every matching event (at 100k events, most of the time of a
            # page): only when asked for. `names` holds every field selected under this one.
            count="totalCount" in names,
        )
        return page, ahead.for_events(connection, page.events, known_at, names)

    page, read = await info.context.reader.run(find)
    info.context.loaders.prime(read)
    edges = [
        EventEdge(cursor=encode_cursor(view), node=Event.of(view, known_at)) for view in page.events
    ]
    end_cursor = edges[-1].cursor if edges else None
    return EventConnection(
        edges=edges,
        page_info=PageInfo(has_next_page=page.has_next, end_cursor=end_cursor),
        total_count=page.total or 0,  # not counted only when not asked for
    )


async def fact_of_version(
    info: Info[Context, None],
    owner_kind: str,
    owner_id: int,
    known_at: datetime | None,
    day: date | None,
) -> Actor | Location | Event | Control | Affiliation | None:
    """The fact a citation belongs to, as known at `known_at` (None if it was not known then)."""
    relation = await relation_of_version(info, owner_kind, owner_id, known_at, day)
    if relation is not None:
        return relation
    loaders = info.context.loaders
    if owner_kind == "claim":
        event_id = await loaders.event_of_claim.load((owner_id,))
        owner_kind, identity = "event", event_id
    else:
        identity = await loaders.identity_of_version(owner_kind).load((owner_id,))
    assert identity is not None
    if owner_kind == "event":
        view = await loaders.event.load((identity, known_at))
        return Event.of(view, known_at) if view is not None else None
    if owner_kind == "actor":
        return await await_maybe(actor_of(info, identity, known_at, day))
    return await await_maybe(location_of(info, identity, known_at, day))


KnownAt = Annotated[
    datetime | None,
    strawberry.argument(description="Answer as the database stood at this instant (default: now)."),
]


# Every root field is open to read, unless the operator asks for tokens on reads too.
query_field = functools.partial(strawberry.field, permission_classes=[CanRead])


@strawberry.type
class Query:
    @query_field(description="An actor by id, slug, name, alias or external id (`ucdp:144`).")
    async def actor(
        self, info: Info[Context, None], ref: str, known_at: KnownAt = None
    ) -> Actor | None:
        actor_id = await resolve(info, "actor", ref, known_at)
        return await await_maybe(actor_of(info, actor_id, known_at, None))

    @query_field(description="A location by id, slug, name, alias or external id.")
    async def location(
        self, info: Info[Context, None], ref: str, known_at: KnownAt = None
    ) -> Location | None:
        location_id = await resolve(info, "location", ref, known_at)
        return await await_maybe(location_of(info, location_id, known_at, None))

    @query_field(description="An event by id, slug, title or external id.")
    async def event(
        self, info: Info[Context, None], ref: str, known_at: KnownAt = None
    ) -> Event | None:
        event_id = await resolve(info, "event", ref, known_at)
        view = await info.context.loaders.event.load((event_id, known_at))
        return Event.of(view, known_at) if view is not None else None

    @query_field(description="A source by id or slug.")
    async def source(
        self, info: Info[Context, None], ref: str, known_at: KnownAt = None
    ) -> Source | None:
        source_id = await resolve(info, "source", ref, known_at)
        view = await info.context.loaders.source.load((source_id, known_at))
        return Source.of(view, known_at) if view is not None else None

    @query_field(description="Who controls a location on a day, with certainty and sources.")
    async def state_of(
        self, info: Info[Context, None], location: str, at: date, known_at: KnownAt = None
    ) -> LocationState:
        names = ahead.selected_names(info)

        def state_and_ahead(connection: Connection) -> tuple[control.LocationState, ahead.Ahead]:
            location_id = refs.resolve(connection, "location", location, known_at)
            state = control.held_at_locations(connection, [location_id], at, known_at)
            spells = [held.control for held in state[location_id].controllers]
            read = ahead.for_controls(connection, spells, known_at, names, [location_id])
            return state[location_id], read

        state, read = await info.context.reader.run(state_and_ahead)
        info.context.loaders.prime(read)
        return LocationState.of(state, known_at)

    @query_field(
        description="Control of every location inside `within` (or everywhere) that has any "
        "record of control, on a day: one map frame."
    )
    async def control_map(
        self,
        info: Info[Context, None],
        at: date,
        within: str | None = None,
        known_at: KnownAt = None,
    ) -> list[LocationState]:
        places = await subtree(info, within, known_at) if within else None
        names = ahead.selected_names(info)

        def frame_and_ahead(connection: Connection) -> tuple[list[control.LocationState], Any]:
            frame = control.map_frame(connection, at, known_at, places)
            spells = [held.control for state in frame for held in state.controllers]
            places_in_frame = [state.location_id for state in frame]
            return frame, ahead.for_controls(connection, spells, known_at, names, places_in_frame)

        frame, read = await info.context.reader.run(frame_and_ahead)
        info.context.loaders.prime(read)
        return [LocationState.of(state, known_at) for state in frame]

    @query_field(
        name="controlMapGeoJSON",
        description="The same frame as a GeoJSON FeatureCollection: one Point feature per place "
        "with coordinates; properties slug, name, contested, controllers [{actor slug, name, "
        "status, certainty}]. Built in one pass, for maps.",
    )
    async def control_map_geojson(
        self,
        info: Info[Context, None],
        at: date,
        within: str | None = None,
        known_at: KnownAt = None,
    ) -> JSON:
        places = await subtree(info, within, known_at) if within else None
        frame = await info.context.reader.run(geojson.control_map, at, known_at, places)
        return JSON(frame)

    @query_field(
        description="Events, newest first unless `order: ASC` (by earliest possible day). "
        "`from`/`to` keep events whose dates may overlap that inclusive range; `includeMembers` "
        "also counts actors that were members or branches of an `involving` actor on the "
        "event's date, transitively; `within` includes sub-locations."
    )
    async def events(
        self,
        info: Info[Context, None],
        involving: list[str] | None = None,
        include_members: bool | None = False,
        location: str | None = None,
        within: str | None = None,
        from_: Annotated[date | None, strawberry.argument(name="from")] = None,
        to: date | None = None,
        kinds: list[str] | None = None,
        order: SortOrder | None = SortOrder.DESC,
        known_at: KnownAt = None,
        first: int | None = 50,
        after: str | None = None,
    ) -> EventConnection:
        involving_ids = None
        if involving is not None:
            involving_ids = frozenset(
                [await resolve(info, "actor", ref, known_at) for ref in involving]
            )
        location_id = await resolve(info, "location", location, known_at) if location else None
        within_ids = await subtree(info, within, known_at) if within else None
        return await search_events(
            info,
            involving_ids=involving_ids,
            include_members=bool(include_members),
            location_id=location_id,
            within_ids=within_ids,
            start=from_,
            end=to,
            kinds=kinds,
            order=order,
            first=first,
            after=after,
            known_at=known_at,
        )

    @query_field(
        description="Relations of an actor valid on `at` (all of them when `at` is omitted), "
        "symmetric ones found from either side."
    )
    async def affiliations(
        self,
        info: Info[Context, None],
        actor: str,
        at: date | None = None,
        kinds: list[str] | None = None,
        known_at: KnownAt = None,
    ) -> list[Affiliation]:
        actor_id = await resolve(info, "actor", actor, known_at)
        return await affiliations_of(info, actor_id, at, kinds, known_at)

    @query_field(
        description="Every version of a fact, oldest first: when it was recorded and closed, by "
        "whom, why, and what it said. A slug or id also finds a retracted fact."
    )
    async def history(
        self, info: Info[Context, None], kind: FactKind, ref: str
    ) -> list[FactVersion]:
        return await history_of(info, kind, ref)

    @query_field(
        description="What was added, corrected or retracted after `since`, in order, for clients "
        "that keep a copy: page with `after` (one load writes many versions at one instant)."
    )
    async def changes(
        self,
        info: Info[Context, None],
        since: datetime,
        first: int | None = 100,
        after: str | None = None,
    ) -> ChangeConnection:
        return await changes_since(info, since, first, after)


__all__ = ["NotFound", "Query"]
