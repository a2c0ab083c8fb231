"""Who controls what, when: spells of control that may hold on a day, map frames, timelines."""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Final

from sqlalchemy import ColumnElement, Select, bindparam, select
from sqlalchemy.engine import Connection

from eventdb.db.models import Control, ControlVersion
from eventdb.queries.statements import one_of, visible
from eventdb.temporal import BEGINNING_OF_TIME, END_OF_TIME, Certainty, FuzzyInterval, certainty


@dataclass(frozen=True, slots=True)
class ControlView:
    id: int
    version_id: int
    slug: str
    recorded_at: datetime
    location_id: int
    actor_id: int
    status: str
    valid: FuzzyInterval
    started_by_event_id: int | None
    ended_by_event_id: int | None


@dataclass(frozen=True, slots=True)
class Held:
    """A spell of control and how surely it holds on the day asked about."""

    control: ControlView
    certainty: Certainty


@dataclass(frozen=True, slots=True)
class LocationState:
    location_id: int
    day: date
    controllers: tuple[Held, ...]

    @property
    def contested(self) -> bool:
        """More than one actor may hold the place that day, or a record says it is contested."""
        actors = {held.control.actor_id for held in self.controllers}
        return len(actors) > 1 or any(h.control.status == "contested" for h in self.controllers)


_COLUMNS: Final = (
    Control.id,
    ControlVersion.id,
    Control.slug,
    ControlVersion.recorded_at,
    ControlVersion.location_id,
    ControlVersion.actor_id,
    ControlVersion.status,
    ControlVersion.valid,
    ControlVersion.earliest_start,
    ControlVersion.latest_start,
    ControlVersion.earliest_end,
    ControlVersion.latest_end,
    ControlVersion.started_by_event_id,
    ControlVersion.ended_by_event_id,
)


def _select(known: bool, *where: ColumnElement[bool]) -> Select[*tuple[Any, ...]]:
    return (
        select(*_COLUMNS)
        .join(Control, Control.id == ControlVersion.control_id)
        .where(visible(ControlVersion, known), *where)
    )


def _view(row: Sequence[Any]) -> ControlView:
    identity, version, slug, recorded_at, location, actor, status, valid, *rest = row
    interval = FuzzyInterval(valid, *rest[:4])
    return ControlView(
        identity, version, slug, recorded_at, location, actor, status, interval, *rest[4:]
    )


def held_on(controls: Iterable[ControlView], day: date) -> list[Held]:
    """The spells that may hold on `day`, definite first, then by start."""
    held = []
    for control in controls:
        sure = certainty(control.valid, day)
        if sure is not None:
            held.append(Held(control, sure))
    held.sort(key=lambda h: (h.certainty is not Certainty.DEFINITE, h.control.valid.earliest_start))
    return held


def _on() -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """Spells that may hold on the day bound as `day`."""
    day = bindparam("day", type_=ControlVersion.earliest_start.type)
    return ControlVersion.earliest_start <= day, ControlVersion.latest_end >= day


@functools.cache
def _held_at(known: bool) -> Select[*tuple[Any, ...]]:
    return _select(known, one_of(ControlVersion.location_id), *_on())


def held_at_locations(
    connection: Connection, location_ids: Iterable[int], day: date, at: datetime | None
) -> dict[int, LocationState]:
    """The state of each location on `day` (every location asked about has one, maybe empty)."""
    wanted = set(location_ids)
    rows = connection.execute(_held_at(at is not None), {"ids": list(wanted), "day": day, "at": at})
    by_place: dict[int, list[ControlView]] = defaultdict(list)
    for row in rows:
        view = _view(row)
        by_place[view.location_id].append(view)
    return {
        place: LocationState(place, day, tuple(held_on(by_place[place], day))) for place in wanted
    }


@functools.cache
def _held_by(on_a_day: bool, known: bool) -> Select[*tuple[Any, ...]]:
    where = [one_of(ControlVersion.actor_id), *(_on() if on_a_day else ())]
    return _select(known, *where).order_by(ControlVersion.earliest_start)


def held_by_actors(
    connection: Connection, actor_ids: Iterable[int], day: date | None, at: datetime | None
) -> dict[int, list[Held]]:
    """What each actor controls or contests on `day`; without a day, every spell (DEFINITE for
    the fact's core, as the contract says)."""
    rows = connection.execute(
        _held_by(day is not None, at is not None), {"ids": list(actor_ids), "day": day, "at": at}
    )
    views = [_view(row) for row in rows]
    held = held_on(views, day) if day is not None else [Held(v, Certainty.DEFINITE) for v in views]
    found: dict[int, list[Held]] = defaultdict(list)
    for spell in held:
        found[spell.control.actor_id].append(spell)
    return found


@functools.cache
def _recorded_places(within: bool, known: bool) -> Select[*tuple[Any, ...]]:
    """Every location with a record of control (among the ids bound, when `within`)."""
    found = select(ControlVersion.location_id).distinct().where(visible(ControlVersion, known))
    return found.where(one_of(ControlVersion.location_id)) if within else found


@functools.cache
def _frame(within: bool, known: bool) -> Select[*tuple[Any, ...]]:
    where = [*_on(), *((one_of(ControlVersion.location_id),) if within else ())]
    return _select(known, *where)


def map_frame(
    connection: Connection, day: date, at: datetime | None, places: Collection[int] | None
) -> list[LocationState]:
    """One state per location (within `places`, or anywhere) that has any record of control."""
    within, known = places is not None, at is not None
    values = {"ids": list(places or ()), "day": day, "at": at}
    locations = [row[0] for row in connection.execute(_recorded_places(within, known), values)]
    if not locations:
        return []
    by_place: dict[int, list[ControlView]] = defaultdict(list)
    for row in connection.execute(_frame(within, known), values):
        view = _view(row)
        by_place[view.location_id].append(view)
    return [
        LocationState(place, day, tuple(held_on(by_place[place], day)))
        for place in sorted(locations)
    ]


@functools.cache
def _controls_of_locations(known: bool) -> Select[*tuple[Any, ...]]:
    return _select(known, one_of(ControlVersion.location_id)).order_by(
        ControlVersion.earliest_start, ControlVersion.id
    )


def controls_of_locations(
    connection: Connection, location_ids: Iterable[int], at: datetime | None
) -> dict[int, list[ControlView]]:
    rows = connection.execute(
        _controls_of_locations(at is not None), {"ids": list(location_ids), "at": at}
    )
    found: dict[int, list[ControlView]] = defaultdict(list)
    for row in rows:
        view = _view(row)
        found[view.location_id].append(view)
    return found


def controls_by_version(
    connection: Connection, version_ids: Iterable[int]
) -> dict[int, ControlView]:
    rows = connection.execute(_BY_VERSION, {"ids": list(version_ids)})
    return {row[1]: _view(row) for row in rows}


_BY_VERSION: Final = (
    select(*_COLUMNS)
    .join(Control, Control.id == ControlVersion.control_id)
    .where(one_of(ControlVersion.id))
)


def timeline(location_id: int, controls: Sequence[ControlView]) -> list[LocationState]:
    """The state from each day on which it may change (a spell becomes possible, definite, then
    possible again, then over), until the next such day: the stops of a time slider."""
    days: set[date] = set()
    for control in controls:
        valid = control.valid
        days.update((valid.earliest_start, valid.latest_start))
        days.update(
            end + ONE_DAY for end in (valid.earliest_end, valid.latest_end) if end < END_OF_TIME
        )
    days.discard(BEGINNING_OF_TIME)
    return [LocationState(location_id, day, tuple(held_on(controls, day))) for day in sorted(days)]


ONE_DAY: Final = timedelta(days=1)
