"""Reading ahead: what a response will ask for next, read in the same hop as what leads to it.

A root field that finds events or spells of control can tell from the query which related facts
its nested fields will want: participants and their actors, places and their parents, citations
and their sources. It reads them with the same connection in the same hand-off to the database
and primes the request's loaders, so nested fields resolve at once: no further statement, no
coroutine and no trip through the event loop for each of them (a page of 100 events has ~800).
What is not read ahead is still read by the loaders when asked for; reading ahead only saves.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection
from strawberry.types import Info

from eventdb.queries import control, facts


def selected_names(info: Info[Any, Any]) -> frozenset[str]:
    """Every field name selected anywhere under the field being resolved, fragments included.
    Names, not paths: a name selected at another depth may make us read something unused."""
    names: set[str] = set()
    pending: list[Any] = list(info.selected_fields)
    while pending:
        selection = pending.pop()
        if hasattr(selection, "alias"):  # a field, not a fragment
            names.add(selection.name)
        pending.extend(selection.selections)
    return frozenset(names)


@dataclass
class Ahead:
    """Facts read ahead for one request, as known at `known_at`."""

    known_at: datetime | None
    actors: dict[int, facts.ActorView] = field(default_factory=dict)
    locations: dict[int, facts.LocationView] = field(default_factory=dict)
    sources: dict[int, facts.SourceView] = field(default_factory=dict)
    # By event version id: every version asked about, with or without participants.
    participants: dict[int, list[facts.ParticipantView]] = field(default_factory=dict)
    # By the kind of fact cited, then by version id, as `participants`.
    citations: dict[str, dict[int, list[facts.CitationView]]] = field(default_factory=dict)


def for_events(
    connection: Connection,
    events: Iterable[facts.EventView],
    known_at: datetime | None,
    names: frozenset[str],
) -> Ahead:
    """What the nested fields of these events will ask for."""
    events = list(events)
    ahead = Ahead(known_at)
    versions = [event.version_id for event in events]
    actors: set[int] = set()
    if "participants" in names:
        found = facts.participants(connection, versions)
        ahead.participants = {version: found.get(version, []) for version in versions}
        actors = {p.actor_id for listed in ahead.participants.values() for p in listed}
    places = {event.location_id for event in events if event.location_id is not None}
    _read(connection, ahead, names, actors, places if "location" in names else set())
    if "citations" in names:
        _read_citations(connection, ahead, names, "event", versions)
    return ahead


def for_controls(
    connection: Connection,
    spells: Iterable[control.ControlView],
    known_at: datetime | None,
    names: frozenset[str],
    places: Iterable[int] = (),
) -> Ahead:
    """What the nested fields of these spells of control (and of the `places` they are the
    state of) will ask for."""
    spells = list(spells)
    ahead = Ahead(known_at)
    actors = {spell.actor_id for spell in spells} if "actor" in names else set()
    wanted = {*places, *(spell.location_id for spell in spells)} if "location" in names else set()
    _read(connection, ahead, names, actors, wanted)
    if "citations" in names:
        _read_citations(connection, ahead, names, "control", [s.version_id for s in spells])
    return ahead


def _read(
    connection: Connection, ahead: Ahead, names: frozenset[str], actors: set[int], places: set[int]
) -> None:
    if actors:
        ahead.actors = facts.actors(connection, actors, ahead.known_at)
    if places:
        ahead.locations = facts.locations(connection, places, ahead.known_at)
        if "parent" in names:
            parents = {view.parent_id for view in ahead.locations.values()}
            missing = {p for p in parents if p is not None and p not in ahead.locations}
            if missing:
                ahead.locations.update(facts.locations(connection, missing, ahead.known_at))


def _read_citations(
    connection: Connection, ahead: Ahead, names: frozenset[str], kind: str, versions: list[int]
) -> None:
    found = facts.citations(connection, kind, versions)
    ahead.citations[kind] = {version: found.get(version, []) for version in versions}
    if "source" in names:
        sources = {c.source_id for listed in found.values() for c in listed}
        if sources:
            ahead.sources = facts.sources(connection, sources, ahead.known_at)
