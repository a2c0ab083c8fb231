"""Deciding what a load changes, and refusing it when a rule that spans entries is broken.

Each record is compared with the database: a new slug is added, a changed fingerprint is a
correction, an equal one is left alone. References must name facts this load defines or the
database holds; no location may end up inside itself; no two actors may definitely control one
place on a day; nothing still referred to may be retracted. Reads run inside the caller's write
transaction, so what is checked here is what the write will find.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any, Final

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncConnection

from eventdb.db.models import (
    Actor,
    Affiliation,
    AffiliationVersion,
    Citation,
    Claim,
    Control,
    ControlVersion,
    Event,
    EventParticipant,
    EventVersion,
    Location,
    LocationVersion,
)
from eventdb.db.versioning import FACTS
from eventdb.loading.reading import Problem, Where
from eventdb.loading.records import (
    AffiliationRecord,
    ControlRecord,
    EventRecord,
    FactRecord,
    LocationRecord,
    Record,
    Retraction,
)
from eventdb.temporal import FuzzyInterval, definite_conflicts, definite_overlap_days, overlap
from eventdb.vocabulary import SYMMETRIC_AFFILIATION_KINDS

# Order in which kinds are written: what is referred to before what refers to it.
KINDS: Final = ("source", "actor", "location", "event", "affiliation", "control")
CHUNK: Final = 5_000  # values bound in one IN (...) list


@dataclass(frozen=True, slots=True)
class Stored:
    """A fact the database knows: its identity, and its open version if it has one."""

    identity_id: int
    version_id: int | None
    fingerprint: str | None


@dataclass
class Plan:
    """What one load will write, kind by kind."""

    added: dict[str, list[FactRecord]] = field(default_factory=lambda: defaultdict(list))
    # Records whose open version is replaced, and retractions.
    corrected: dict[str, list[FactRecord]] = field(default_factory=lambda: defaultdict(list))
    retracted: dict[str, list[Retraction]] = field(default_factory=lambda: defaultdict(list))
    unchanged: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    # Each record's fingerprint, computed once, by kind and slug.
    fingerprints: dict[tuple[str, str], str] = field(default_factory=dict)
    # Every version to close, with the correction or retraction that closes it.
    closing: dict[str, list[tuple[int, Record]]] = field(default_factory=lambda: defaultdict(list))
    # Identity ids the database already has, by kind and slug (new facts get theirs when written).
    ids: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(dict))
    # What the database held of each slug in the load, by kind.
    stored: dict[str, dict[str, Stored]] = field(default_factory=lambda: defaultdict(dict))
    # The version written for each record, by kind and slug (filled in by the writer).
    written: dict[tuple[str, str], int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    # What is allowed but probably not meant.
    warnings: list[Problem] = field(default_factory=list)

    def writes(self, kind: str) -> list[FactRecord]:
        return self.added[kind] + self.corrected[kind]

    @property
    def size(self) -> int:
        """How many facts it writes (added or corrected)."""
        return sum(len(self.writes(kind)) for kind in KINDS)

    @property
    def changes_anything(self) -> bool:
        return (
            any(self.added.values()) or any(self.corrected.values()) or any(self.retracted.values())
        )


async def plan(
    connection: AsyncConnection,
    records: Sequence[Record],
    refused: Mapping[str, set[str]] | None = None,
) -> Plan:
    """What `records` change. Slugs in `refused` (entries already reported as bad) count as
    defined, so that what refers to them is not reported a second time."""
    result = Plan()
    facts: dict[str, dict[str, FactRecord]] = {kind: {} for kind in KINDS}
    retractions: dict[str, dict[str, Retraction]] = {kind: {} for kind in KINDS}
    _index(records, facts, retractions, result.problems)

    for kind in KINDS:
        slugs = [*facts[kind], *retractions[kind]]
        stored = result.stored[kind] = await _stored(connection, kind, slugs)
        result.ids[kind].update({slug: fact.identity_id for slug, fact in stored.items()})
        _decide(kind, facts[kind], retractions[kind], stored, result)

    await _check_references(connection, facts, retractions, refused or {}, result)
    if result.problems:
        return result  # the rules below assume every reference resolves
    await _check_no_location_inside_itself(connection, facts, result)
    await _check_control(connection, facts, retractions, result)
    await _check_affiliation_twins(connection, facts, retractions, result)
    await _check_retracted_facts_are_unused(connection, facts, retractions, result)
    return result


def _index(
    records: Sequence[Record],
    facts: dict[str, dict[str, FactRecord]],
    retractions: dict[str, dict[str, Retraction]],
    problems: list[Problem],
) -> None:
    """Records by kind and slug; a slug given twice in one load is a problem."""
    for record in records:
        kind = record.fact_kind if isinstance(record, Retraction) else record.kind
        first = facts[kind].get(record.slug) or retractions[kind].get(record.slug)
        if first is not None:
            problems.append(
                Problem(
                    record.where, f"{kind} {record.slug!r} appears twice (also at {first.where})"
                )
            )
        elif isinstance(record, Retraction):
            retractions[kind][record.slug] = record
        else:
            facts[kind][record.slug] = record  # type: ignore[assignment]


def _decide(
    kind: str,
    facts: dict[str, FactRecord],
    retractions: dict[str, Retraction],
    stored: dict[str, Stored],
    result: Plan,
) -> None:
    for slug, record in facts.items():
        fingerprint = result.fingerprints[kind, slug] = record.fingerprint()
        known = stored.get(slug)
        if known is None or known.version_id is None:
            result.added[kind].append(record)  # new, or restored after a retraction
        elif known.fingerprint == fingerprint:
            result.unchanged[kind] += 1
        else:
            result.corrected[kind].append(record)
            result.closing[kind].append((known.version_id, record))
    for slug, retraction in retractions.items():
        known = stored.get(slug)
        if known is None:
            result.problems.append(
                Problem(retraction.where, f"{kind} {slug!r}: nothing to retract, no such {kind}")
            )
        elif known.version_id is None:
            result.unchanged[kind] += 1  # already retracted: loading a file again changes nothing
        else:
            result.retracted[kind].append(retraction)
            result.closing[kind].append((known.version_id, retraction))


async def _stored(
    connection: AsyncConnection, kind: str, slugs: Iterable[str]
) -> dict[str, Stored]:
    tables = FACTS[kind]
    identity, version = tables.identity, tables.version
    stored: dict[str, Stored] = {}
    for chunk in _chunks(list(slugs)):
        rows = await connection.execute(
            select(identity.slug, identity.id, version.id, version.fingerprint)
            .outerjoin(version, (tables.fact_id == identity.id) & version.superseded_at.is_(None))
            .where(identity.slug.in_(chunk))
        )
        for slug, identity_id, version_id, fingerprint in rows:
            stored[slug] = Stored(identity_id, version_id, fingerprint)
    return stored


# References


def references(record: FactRecord) -> Iterable[tuple[str, str, str]]:
    """(kind, slug, what) for each fact `record` refers to."""
    for citation in getattr(record, "citations", ()):
        yield "source", citation.source, "citation"
    if isinstance(record, LocationRecord) and record.parent is not None:
        yield "location", record.parent, "within"
    elif isinstance(record, AffiliationRecord):
        yield "actor", record.actor, "actor"
        yield "actor", record.target, "target"
    elif isinstance(record, ControlRecord):
        yield "location", record.location, "location"
        yield "actor", record.actor, "actor"
        if record.started_by is not None:
            yield "event", record.started_by, "started_by"
        if record.ended_by is not None:
            yield "event", record.ended_by, "ended_by"
    elif isinstance(record, EventRecord):
        if record.location is not None:
            yield "location", record.location, "location"
        for participant in record.participants:
            yield "actor", participant.actor, "participant"
        for claim in record.alternatives:
            for citation in claim.citations:
                yield "source", citation.source, "alternative's citation"


async def _check_references(
    connection: AsyncConnection,
    facts: dict[str, dict[str, FactRecord]],
    retractions: dict[str, dict[str, Retraction]],
    refused: Mapping[str, set[str]],
    result: Plan,
) -> None:
    wanted: dict[str, list[tuple[str, str, FactRecord]]] = defaultdict(list)
    for kind in KINDS:
        for record in facts[kind].values():
            for target_kind, slug, what in references(record):
                if slug in refused.get(target_kind, ()):
                    continue
                if slug in retractions[target_kind]:
                    result.problems.append(
                        _about(record, f"{what}: {target_kind} {slug!r} is retracted by this load")
                    )
                elif slug not in facts[target_kind]:
                    wanted[target_kind].append((slug, what, record))
    for target_kind, needs in wanted.items():
        stored = await _stored(connection, target_kind, {slug for slug, _, _ in needs})
        for slug, what, record in needs:
            known = stored.get(slug)
            if known is None:
                result.problems.append(_about(record, f"{what}: unknown {target_kind} {slug!r}"))
            elif known.version_id is None:
                result.problems.append(
                    _about(record, f"{what}: {target_kind} {slug!r} has been retracted")
                )
            else:
                result.ids[target_kind][slug] = known.identity_id


def _about(record: Record, message: str) -> Problem:
    return Problem(record.where, f"{record.kind} {record.slug!r}: {message}")


# Locations


async def _check_no_location_inside_itself(
    connection: AsyncConnection, facts: dict[str, dict[str, FactRecord]], result: Plan
) -> None:
    """Follow each loaded location's parents, through this load and the database."""
    parents: dict[str, str | None] = {
        slug: record.parent
        for slug, record in facts["location"].items()
        if isinstance(record, LocationRecord)
    }
    unknown = {parent for parent in parents.values() if parent and parent not in parents}
    while unknown:
        found = await _stored_parents(connection, unknown)
        parents.update(found)
        unknown = {parent for parent in found.values() if parent and parent not in parents}
    for slug, record in facts["location"].items():
        seen = [slug]
        parent = parents.get(slug)
        while parent is not None and parent not in seen:
            seen.append(parent)
            parent = parents.get(parent)
        if parent is not None:
            chain = " within ".join([*seen, parent])
            result.problems.append(
                _about(record, f"within: a location cannot be inside itself ({chain})")
            )


async def _stored_parents(connection: AsyncConnection, slugs: set[str]) -> dict[str, str | None]:
    parent = Location.__table__.alias("parent")
    found: dict[str, str | None] = dict.fromkeys(slugs)
    for chunk in _chunks(sorted(slugs)):
        rows = await connection.execute(
            select(Location.slug, parent.c.slug)
            .join(LocationVersion, LocationVersion.location_id == Location.id)
            .outerjoin(parent, parent.c.id == LocationVersion.parent_id)
            .where(LocationVersion.superseded_at.is_(None), Location.slug.in_(chunk))
        )
        found.update(dict(rows.all()))
    return found


# The control rule, and records that look like duplicates


@dataclass(frozen=True, slots=True)
class _Spell:
    """An open control or affiliation record, from this load or from the database."""

    slug: str
    holder: str  # the actor
    what: str  # the control status, or the affiliation's kind and target
    valid: FuzzyInterval
    where: Where | None  # None when it is the database's


async def _check_control(
    connection: AsyncConnection,
    facts: dict[str, dict[str, FactRecord]],
    retractions: dict[str, dict[str, Retraction]],
    result: Plan,
) -> None:
    """No two actors definitely control one place on a day; warn of one actor's twin records."""
    places: dict[str, list[_Spell]] = defaultdict(list)
    for slug, record in facts["control"].items():
        assert isinstance(record, ControlRecord)
        places[record.location].append(
            _Spell(slug, record.actor, record.status, record.valid, record.where)
        )
    if not places:
        return
    replaced = facts["control"].keys() | retractions["control"].keys()
    stored = {
        result.ids["location"][slug]: slug for slug in places if slug in result.ids["location"]
    }
    for spell, location in await _stored_controls(connection, stored):
        if spell.slug not in replaced:
            places[location].append(spell)

    for location, spells in places.items():
        holding = [spell for spell in spells if spell.what == "controls"]
        for first, second in definite_conflicts([(spell.holder, spell.valid) for spell in holding]):
            _report_overlap(location, holding[first], holding[second], result)
        _warn_of_twins("control", f"{location!r}", spells, result)


async def _stored_controls(
    connection: AsyncConnection, places: dict[int, str]
) -> list[tuple[_Spell, str]]:
    spells = []
    for chunk in _chunks(sorted(places)):
        rows = await connection.execute(
            select(
                Control.slug, ControlVersion.location_id, Actor.slug, ControlVersion.status, *_DAYS
            )
            .join(Control, Control.id == ControlVersion.control_id)
            .join(Actor, Actor.id == ControlVersion.actor_id)
            .where(ControlVersion.superseded_at.is_(None), ControlVersion.location_id.in_(chunk))
        )
        for slug, location_id, actor, status, valid, *days in rows:
            spell = _Spell(slug, actor, status, FuzzyInterval(valid, *days), None)
            spells.append((spell, places[location_id]))
    return spells


def _report_overlap(location: str, first: _Spell, second: _Spell, result: Plan) -> None:
    days = definite_overlap_days(first.valid, second.valid)
    assert days is not None
    span = days[0].isoformat() if days[0] == days[1] else f"{days[0]} to {days[1]}"
    loaded, other = (second, first) if second.where is not None else (first, second)
    assert loaded.where is not None
    result.problems.append(
        Problem(
            loaded.where,
            f"control {loaded.slug!r}: {location!r} would be definitely controlled by both "
            f"{loaded.holder!r} ({loaded.valid}) and {other.holder!r} ({other.valid}, control "
            f"{other.slug!r} {_origin(other)}) on {span}; mark one 'contested' or correct dates",
        )
    )


async def _check_affiliation_twins(
    connection: AsyncConnection,
    facts: dict[str, dict[str, FactRecord]],
    retractions: dict[str, dict[str, Retraction]],
    result: Plan,
) -> None:
    relations: dict[tuple[str, str, str], list[_Spell]] = defaultdict(list)
    for slug, record in facts["affiliation"].items():
        assert isinstance(record, AffiliationRecord)
        key = _relation(record.actor, record.affiliation_kind, record.target)
        relations[key].append(
            _Spell(slug, key[0], f"{key[1]} {key[2]!r}", record.valid, record.where)
        )
    actors = {
        result.ids["actor"][slug]
        for key in relations
        for slug in (key[0], key[2])
        if slug in result.ids["actor"]
    }
    replaced = facts["affiliation"].keys() | retractions["affiliation"].keys()
    target = Actor.__table__.alias("target")
    for chunk in _chunks(sorted(actors)):
        rows = await connection.execute(
            select(
                Affiliation.slug,
                Actor.slug,
                AffiliationVersion.kind,
                target.c.slug,
                *_AFFILIATION_DAYS,
            )
            .join(Affiliation, Affiliation.id == AffiliationVersion.affiliation_id)
            .join(Actor, Actor.id == AffiliationVersion.actor_id)
            .join(target, target.c.id == AffiliationVersion.target_id)
            .where(
                AffiliationVersion.superseded_at.is_(None),
                AffiliationVersion.actor_id.in_(chunk) | AffiliationVersion.target_id.in_(chunk),
            )
        )
        for slug, actor, kind, target_slug, valid, *days in rows:
            key = _relation(actor, kind, target_slug)
            if (
                key in relations
                and slug not in replaced
                and all(s.slug != slug for s in relations[key])
            ):
                spell = _Spell(
                    slug, key[0], f"{kind} {key[2]!r}", FuzzyInterval(valid, *days), None
                )
                relations[key].append(spell)
    for spells in relations.values():
        _warn_of_twins("affiliation", "", spells, result)


def _relation(actor: str, kind: str, target: str) -> tuple[str, str, str]:
    """A relation's identity regardless of which side a symmetric kind is written from."""
    if kind in SYMMETRIC_AFFILIATION_KINDS and target < actor:
        actor, target = target, actor
    return actor, kind, target


def _warn_of_twins(kind: str, place: str, spells: list[_Spell], result: Plan) -> None:
    """Two open records of one holder doing one thing at overlapping times are most likely one
    fact whose dates were edited: a keyless entry's identity includes its dates."""
    for first, second in combinations(spells, 2):
        if (first.holder, first.what) != (second.holder, second.what):
            continue
        loaded, other = (second, first) if second.where is not None else (first, second)
        if loaded.where is None or overlap(first.valid, second.valid) is None:
            continue
        for_place = f" for {place}" if place else ""
        result.warnings.append(
            Problem(
                loaded.where,
                f"{kind} {loaded.slug!r}: {loaded.holder!r} has another open {loaded.what!r} "
                f"record{for_place} overlapping it ({other.slug!r}, {other.valid}, "
                f"{_origin(other)}); if one replaces the other, give both the same id, or "
                f"retract the old one",
            )
        )


def _origin(spell: _Spell) -> str:
    return f"at {spell.where}" if spell.where is not None else "in the database"


_DAYS: Final = (
    ControlVersion.valid,
    ControlVersion.earliest_start,
    ControlVersion.latest_start,
    ControlVersion.earliest_end,
    ControlVersion.latest_end,
)
_AFFILIATION_DAYS: Final = (
    AffiliationVersion.valid,
    AffiliationVersion.earliest_start,
    AffiliationVersion.latest_start,
    AffiliationVersion.earliest_end,
    AffiliationVersion.latest_end,
)


# Retractions


async def _check_retracted_facts_are_unused(
    connection: AsyncConnection,
    facts: dict[str, dict[str, FactRecord]],
    retractions: dict[str, dict[str, Retraction]],
    result: Plan,
) -> None:
    """A retracted fact may not stay referred to by facts that remain (this load's are checked
    with the other references)."""
    for kind, retracted in retractions.items():
        ids = {result.ids[kind][slug]: slug for slug in retracted if slug in result.ids[kind]}
        if not ids or kind not in _USERS:
            continue
        for users_kind, query in _USERS[kind]:
            replaced = facts[users_kind].keys() | retractions[users_kind].keys()
            for chunk in _chunks(sorted(ids)):
                rows = await connection.execute(query(chunk))
                for used_id, user_slug in rows:
                    if user_slug in replaced:
                        continue
                    slug = ids[used_id]
                    result.problems.append(
                        Problem(
                            retracted[slug].where,
                            f"{kind} {slug!r}: cannot be retracted while {users_kind} "
                            f"{user_slug!r} refers to it; correct or retract that too",
                        )
                    )


def _open_users(used: Any, version: Any, identity: Any, fact_id: Any) -> Any:
    def query(ids: Sequence[int]) -> Select[int, str]:
        return (
            select(used, identity.slug)
            .join(identity, identity.id == fact_id)
            .where(version.superseded_at.is_(None), used.in_(ids))
        )

    return query


def _citing(kind: str) -> Any:
    tables = FACTS[kind]
    owner = getattr(Citation, f"{kind}_version_id")

    def query(ids: Sequence[int]) -> Select[int, str]:
        return (
            select(Citation.source_id, tables.identity.slug)
            .join(tables.version, tables.version.id == owner)
            .join(tables.identity, tables.identity.id == tables.fact_id)
            .where(tables.version.superseded_at.is_(None), Citation.source_id.in_(ids))
        )

    return query


def _citing_claims(ids: Sequence[int]) -> Select[int, str]:
    return (
        select(Citation.source_id, Event.slug)
        .join(Claim, Claim.id == Citation.claim_id)
        .join(EventVersion, EventVersion.id == Claim.event_version_id)
        .join(Event, Event.id == EventVersion.event_id)
        .where(EventVersion.superseded_at.is_(None), Citation.source_id.in_(ids))
    )


def _participating(ids: Sequence[int]) -> Select[int, str]:
    return (
        select(EventParticipant.actor_id, Event.slug)
        .join(EventVersion, EventVersion.id == EventParticipant.event_version_id)
        .join(Event, Event.id == EventVersion.event_id)
        .where(EventVersion.superseded_at.is_(None), EventParticipant.actor_id.in_(ids))
    )


def _users(kind: str, column: str) -> tuple[str, Any]:
    tables = FACTS[kind]
    return kind, _open_users(
        getattr(tables.version, column), tables.version, tables.identity, tables.fact_id
    )


# For each kind of fact, the open versions that can refer to one: (their kind, query by ids).
_USERS: Final[dict[str, list[tuple[str, Any]]]] = {
    "source": [
        *(
            (kind, _citing(kind))
            for kind in ("actor", "location", "affiliation", "control", "event")
        ),
        ("event", _citing_claims),
    ],
    "actor": [
        _users("affiliation", "actor_id"),
        _users("affiliation", "target_id"),
        _users("control", "actor_id"),
        ("event", _participating),
    ],
    "location": [
        _users("location", "parent_id"),
        _users("control", "location_id"),
        _users("event", "location_id"),
    ],
    "event": [
        _users("control", "started_by_event_id"),
        _users("control", "ended_by_event_id"),
    ],
}


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]
