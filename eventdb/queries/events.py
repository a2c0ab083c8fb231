"""Finding events: by who took part (with their members at the time), where, when and what."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

from sqlalchemy import (
    ColumnElement,
    Date,
    Select,
    and_,
    bindparam,
    case,
    exists,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.engine import Connection

from eventdb.db.models import Actor, AffiliationVersion, Event, EventParticipant, EventVersion
from eventdb.queries.facts import EVENT_COLUMNS, EventView, event_view
from eventdb.queries.refs import storable
from eventdb.queries.statements import one_of, visible
from eventdb.temporal import BEGINNING_OF_TIME, END_OF_TIME

MEMBERSHIP_KINDS: Final = ("member_of", "branch_of")
MAX_MEMBERSHIP_DEPTH: Final = 8


@dataclass(frozen=True, slots=True)
class EventFilter:
    involving: frozenset[int] | None = None
    include_members: bool = False
    location: int | None = None
    within: frozenset[int] | None = None  # a subtree of locations
    start: date | None = None  # `from`: events that may have happened on or after it
    end: date | None = None  # `to`: ... on or before it
    kinds: frozenset[str] | None = None


@dataclass(frozen=True, slots=True)
class EventPage:
    events: list[EventView]
    total: int | None  # None when not counted
    has_next: bool


def find_events(
    connection: Connection,
    filters: EventFilter,
    *,
    descending: bool,
    first: int,
    after: tuple[date, int] | None,
    at: datetime | None,
    count: bool = True,
) -> EventPage:
    """One page of events ordered by earliest possible day (then id), and, when `count`, the
    total: counting reads every matching event, where a page stops after `first` of them."""
    shape = _Shape(
        involving=filters.involving is not None,
        include_members=filters.include_members,
        location=filters.location is not None,
        within=filters.within is not None,
        start=filters.start is not None,
        end=filters.end is not None,
        kinds=filters.kinds is not None,
        known=at is not None,
    )
    values = {
        "involving": list(filters.involving or ()),
        "location": filters.location,
        "within": list(filters.within or ()),
        "start": filters.start,
        "end": filters.end,
        "kinds": storable(filters.kinds or ()),
        "at": at,
        "after_day": after[0] if after else None,
        "after_id": after[1] if after else None,
        "limit": first + 1,
    }
    total = (connection.scalar(_count(shape), values) or 0) if count else None
    rows = connection.execute(_page(shape, descending, after is not None), values).all()
    return EventPage([event_view(row) for row in rows[:first]], total, len(rows) > first)


@dataclass(frozen=True, slots=True)
class _Shape:
    """Which filters a search has: one statement for every search of the same shape."""

    involving: bool
    include_members: bool
    location: bool
    within: bool
    start: bool
    end: bool
    kinds: bool
    known: bool


@functools.cache
def _count(shape: _Shape) -> Select[int]:
    return select(func.count()).select_from(EventVersion).where(*_conditions(shape))


@functools.cache
def _page(shape: _Shape, descending: bool, after: bool) -> Select[*tuple[Any, ...]]:
    page = select(*EVENT_COLUMNS).join(Event, Event.id == EventVersion.event_id)
    page = page.where(*_conditions(shape))
    if after:
        page = page.where(_beyond(descending))
    order = (EventVersion.earliest_start, EventVersion.event_id)
    page = page.order_by(*(column.desc() for column in order) if descending else order)
    return page.limit(bindparam("limit"))


def _beyond(descending: bool) -> ColumnElement[bool]:
    """After the cursor bound as `after_day` and `after_id`, in the page's order."""
    day = bindparam("after_day", type_=EventVersion.earliest_start.type)
    event_id = bindparam("after_id", type_=EventVersion.event_id.type)
    if descending:
        return or_(
            EventVersion.earliest_start < day,
            and_(EventVersion.earliest_start == day, EventVersion.event_id < event_id),
        )
    return or_(
        EventVersion.earliest_start > day,
        and_(EventVersion.earliest_start == day, EventVersion.event_id > event_id),
    )


def _conditions(shape: _Shape) -> list[ColumnElement[bool]]:
    version = EventVersion
    where: list[ColumnElement[bool]] = [visible(version, shape.known)]
    if shape.involving:
        where.append(_involving(shape.include_members, shape.known))
    if shape.location:
        where.append(version.location_id == bindparam("location", type_=version.location_id.type))
    if shape.within:
        where.append(one_of(version.location_id, "within"))
    if shape.start:
        where.append(version.latest_end >= bindparam("start", type_=version.latest_end.type))
    if shape.end:
        where.append(version.earliest_start <= bindparam("end", type_=version.earliest_start.type))
    if shape.kinds:
        where.append(one_of(version.kind, "kinds"))
    return where


def _involving(include_members: bool, known: bool) -> Any:
    """Events in which an actor bound as `involving` (or, with members, one of its members at
    the time) took part."""
    participant = EventParticipant
    if not include_members:
        return exists(
            select(1).where(
                participant.event_version_id == EventVersion.id,
                one_of(participant.actor_id, "involving"),
            )
        )
    members = _members(known)
    return exists(
        select(1)
        .select_from(participant)
        .join(members, participant.actor_id == members.c.actor_id)
        .where(
            participant.event_version_id == EventVersion.id,
            EventVersion.earliest_start <= members.c.window_end,
            EventVersion.latest_end >= members.c.window_start,
        )
    )


def _members(known: bool) -> Any:
    """The actors and, transitively, their members and branches, each with the window of days in
    which every link of its chain may hold: an event counts for a member only if its date falls
    in that window (a member at the time, not merely a member once)."""
    members = (
        select(
            Actor.id.label("actor_id"),
            literal(BEGINNING_OF_TIME, Date).label("window_start"),
            literal(END_OF_TIME, Date).label("window_end"),
            literal(0).label("depth"),
        )
        .where(one_of(Actor.id, "involving"))
        .cte("members", recursive=True)
    )
    link = AffiliationVersion
    later = case(
        (link.earliest_start > members.c.window_start, link.earliest_start),
        else_=members.c.window_start,
    )
    sooner = case(
        (link.latest_end < members.c.window_end, link.latest_end), else_=members.c.window_end
    )
    step = (
        select(link.actor_id, later, sooner, members.c.depth + 1)
        .join(members, link.target_id == members.c.actor_id)
        .where(
            visible(link, known),
            link.kind.in_(MEMBERSHIP_KINDS),
            link.earliest_start <= members.c.window_end,
            link.latest_end >= members.c.window_start,
            members.c.depth < MAX_MEMBERSHIP_DEPTH,
        )
    )
    return members.union(step)
