"""Validated entries, one class per kind of fact, each able to fingerprint its content.

References to other facts are slugs here; the planner turns them into ids. A fingerprint hashes
everything a version stores (not the slug, the note or where the entry came from), with lists
whose order means nothing sorted, so that reloading the same facts is recognized as unchanged.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, ClassVar

from eventdb.loading.reading import Where
from eventdb.temporal import FuzzyInterval

# Bump when what a fingerprint covers changes: every stored fingerprint is then stale.
FINGERPRINT_FORMAT = 2


def fingerprint(content: tuple[Any, ...]) -> str:
    """A hash of content made of text, numbers, None and tuples of them (whose repr is stable)."""
    encoded = repr((FINGERPRINT_FORMAT, content)).encode()
    return hashlib.blake2b(encoded, digest_size=32).hexdigest()


@dataclass(frozen=True, slots=True)
class CitationRecord:
    source: str
    quote: str | None
    confidence: str

    def content(self) -> tuple[str, str, str]:
        return (self.source, self.quote or "", self.confidence)


def _citations(citations: tuple[CitationRecord, ...]) -> tuple[Any, ...]:
    if len(citations) < 2:
        return tuple(citation.content() for citation in citations)
    return tuple(sorted(citation.content() for citation in citations))


@dataclass(frozen=True, slots=True, kw_only=True)
class Record:
    """What every entry has: its kind, slug, origin and the change note it brings."""

    kind: ClassVar[str]
    slug: str
    where: Where
    note: str | None = None

    def content(self) -> tuple[Any, ...]:
        raise NotImplementedError

    def fingerprint(self) -> str:
        return fingerprint(self.content())


@dataclass(frozen=True, slots=True, kw_only=True)
class Retraction(Record):
    """`{id: X, retracted: true}`: close the fact's open version, with no successor."""

    kind: ClassVar[str] = "retraction"
    fact_kind: str

    def content(self) -> tuple[Any, ...]:
        return ()


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceRecord(Record):
    kind: ClassVar[str] = "source"
    title: str
    publisher: str | None = None
    published: FuzzyInterval | None = None
    url: str | None = None
    notes: str | None = None

    def content(self) -> tuple[Any, ...]:
        published = self.published.text if self.published else None
        return (self.title, self.publisher, published, self.url, self.notes)


@dataclass(frozen=True, slots=True, kw_only=True)
class ActorRecord(Record):
    kind: ClassVar[str] = "actor"
    name: str
    actor_kind: str
    aliases: tuple[str, ...] = ()
    external_ids: tuple[str, ...] = ()
    citations: tuple[CitationRecord, ...] = ()

    def content(self) -> tuple[Any, ...]:
        return (
            self.name,
            self.actor_kind,
            tuple(sorted(self.aliases)),
            tuple(sorted(self.external_ids)),
            _citations(self.citations),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class LocationRecord(Record):
    kind: ClassVar[str] = "location"
    name: str
    location_kind: str
    parent: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    aliases: tuple[str, ...] = ()
    external_ids: tuple[str, ...] = ()
    citations: tuple[CitationRecord, ...] = ()

    def content(self) -> tuple[Any, ...]:
        return (
            self.name,
            self.location_kind,
            self.parent,
            self.latitude,
            self.longitude,
            tuple(sorted(self.aliases)),
            tuple(sorted(self.external_ids)),
            _citations(self.citations),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class AffiliationRecord(Record):
    kind: ClassVar[str] = "affiliation"
    actor: str
    affiliation_kind: str
    target: str
    valid: FuzzyInterval
    citations: tuple[CitationRecord, ...] = ()

    def content(self) -> tuple[Any, ...]:
        return (
            self.actor,
            self.affiliation_kind,
            self.target,
            self.valid.text,
            _citations(self.citations),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ControlRecord(Record):
    kind: ClassVar[str] = "control"
    location: str
    actor: str
    status: str
    valid: FuzzyInterval
    started_by: str | None = None
    ended_by: str | None = None
    citations: tuple[CitationRecord, ...] = ()

    def content(self) -> tuple[Any, ...]:
        return (
            self.location,
            self.actor,
            self.status,
            self.valid.text,
            self.started_by,
            self.ended_by,
            _citations(self.citations),
        )


@dataclass(frozen=True, slots=True)
class ParticipantRecord:
    actor: str
    role: str


@dataclass(frozen=True, slots=True)
class ClaimRecord:
    field: str
    value: str
    citations: tuple[CitationRecord, ...] = ()

    def content(self) -> tuple[Any, ...]:
        return (self.field, self.value, _citations(self.citations))


@dataclass(frozen=True, slots=True, kw_only=True)
class EventRecord(Record):
    kind: ClassVar[str] = "event"
    title: str
    event_kind: str
    date: FuzzyInterval
    location: str | None = None
    participants: tuple[ParticipantRecord, ...] = ()
    fatalities_best: int | None = None
    fatalities_low: int | None = None
    fatalities_high: int | None = None
    citations: tuple[CitationRecord, ...] = ()
    alternatives: tuple[ClaimRecord, ...] = ()
    external_ids: tuple[str, ...] = ()
    # Who the dead were: side A, side B, civilians, unknown.
    deaths: tuple[int | None, int | None, int | None, int | None] = (None, None, None, None)
    location_precision: int | None = None
    properties: dict[str, Any] | None = None

    def content(self) -> tuple[Any, ...]:
        return (
            self.deaths,
            self.location_precision,
            tuple(sorted(self.properties.items())) if self.properties else None,
            self.title,
            self.event_kind,
            self.date.text,
            self.location,
            tuple(
                sorted((participant.actor, participant.role) for participant in self.participants)
            ),
            (self.fatalities_best, self.fatalities_low, self.fatalities_high),
            _citations(self.citations),
            tuple(sorted(claim.content() for claim in self.alternatives)),
            tuple(sorted(self.external_ids)),
        )


FactRecord = (
    SourceRecord | ActorRecord | LocationRecord | AffiliationRecord | ControlRecord | EventRecord
)
