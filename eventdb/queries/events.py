"""Finding events: by who took part (with their members at the time), where, when and what."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

from sqlalchemy import (
    ColumnElement,
    Date,
    and_,
    case,
    exists,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from eventdb.db.models import Actor, AffiliationVersion, Event, EventParticipant, EventVersion
from eventdb.db.versioning import known_at
from eventdb.queries.facts import EVENT_COLUMNS, EventView, event_view
from eventdb.queries.refs import storable
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
    total: int
    has_next: bool


async def find_events(
    connection: AsyncConnection,
    filters: EventFilter,
    *,
    descending: bool,
    first: int,
    after: tuple[date, int] | None,
    at: datetime | None,
) -> EventPage:
    """One page of events ordered by earliest possible day (then id), and the total."""
    where = _conditions(filters, at)
    total = await connection.scalar(select(func.count()).select_from(EventVersion).where(*where))
    page = select(*EVENT_COLUMNS).join(Event, Event.id == EventVersion.event_id).where(*where)
    if after is not None:
        page = page.where(_beyond(after, descending))
    order = (EventVersion.earliest_start, EventVersion.event_id)
    page = page.order_by(*(column.desc() for column in order) if descending else order)
    rows = (await connection.execute(page.limit(first + 1))).all()
    return EventPage([event_view(row) for row in rows[:first]], total or 0, len(rows) > first)


def _beyond(after: tuple[date, int], descending: bool) -> ColumnElement[bool]:
    day, event_id = after
    if descending:
        return or_(
            EventVersion.earliest_start < day,
            and_(EventVersion.earliest_start == day, EventVersion.event_id < event_id),
        )
    return or_(
        EventVersion.earliest_start > day,
        and_(EventVersion.earliest_start == day, EventVersion.event_id > event_id),
    )


def _conditions(filters: EventFilter, at: datetime | None) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [known_at(EventVersion, at)]
    if filters.involving is not None:
        where.append(_involving(filters.involving, filters.include_members, at))
    if filters.location is not None:
        where.append(EventVersion.location_id == filters.location)
    if filters.within is not None:
        where.append(EventVersion.location_id.in_(filters.within))
    if filters.start is not None:
        where.append(EventVersion.latest_end >= filters.start)
    if filters.end is not None:
        where.append(EventVersion.earliest_start <= filters.end)
    if filters.kinds is not None:
        where.append(EventVersion.kind.in_(storable(filters.kinds)))
    return where


def _involving(actors: frozenset[int], include_members: bool, at: datetime | None) -> Any:
    participant = EventParticipant
    if not include_members:
        return exists(
            select(1).where(
                participant.event_version_id == EventVersion.id, participant.actor_id.in_(actors)
            )
        )
    members = _members(actors, at)
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


def _members(actors: frozenset[int], at: datetime | None) -> Any:
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
        .where(Actor.id.in_(actors))
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
            known_at(link, at),
            link.kind.in_(MEMBERSHIP_KINDS),
            link.earliest_start <= members.c.window_end,
            link.latest_end >= members.c.window_start,
            members.c.depth < MAX_MEMBERSHIP_DEPTH,
        )
    )
    return members.union(step)
