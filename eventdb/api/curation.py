"""Curation through the API: mutations that create, correct and retract facts, with bearer tokens
and optimistic concurrency, and the history of every fact.

Inputs take the fixture format's keys (camelCase here: `externalIds` is the file's
`external_ids`), and every write goes through the loader's validation, planning and writing
(`eventdb.curation`), so a fact entered here obeys exactly the rules of a fact loaded from a file.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import enum
from contextlib import suppress
from datetime import date, datetime
from typing import Annotated, Any, Literal, TypeVar

import strawberry
from strawberry.permission import BasePermission
from strawberry.types import Info

from eventdb import curation
from eventdb.api.context import Context
from eventdb.api.scalars import parse_instant
from eventdb.api.types import (
    Actor,
    Affiliation,
    Control,
    Event,
    Location,
    PageInfo,
    Source,
)
from eventdb.errors import BadInput, NotFound
from eventdb.queries import control, history, refs
from eventdb.queries.affiliations import Related
from eventdb.temporal import Certainty


class CanWrite(BasePermission):
    """Writing needs a live token; its name becomes the author of what is written."""

    message = "this needs a token: send 'Authorization: Bearer <token>'"

    async def has_permission(self, source: Any, info: Info[Context, None], **kwargs: Any) -> bool:
        await info.context.author()  # raises Unauthenticated, with the reason
        return True


class CanRead(BasePermission):
    """Reading is open, unless the operator set EVENTDB_TOKENS_FOR_READS."""

    message = "reading needs a token here: send 'Authorization: Bearer <token>'"

    async def has_permission(self, source: Any, info: Info[Context, None], **kwargs: Any) -> bool:
        if info.context.tokens_for_reads:
            await info.context.author()
        return True


@strawberry.enum(description="The kinds of fact the database holds.")
class FactKind(enum.Enum):
    SOURCE = "source"
    ACTOR = "actor"
    LOCATION = "location"
    AFFILIATION = "affiliation"
    CONTROL = "control"
    EVENT = "event"


# Inputs: the fixture format's entries.


@strawberry.input
class CitationInput:
    source: str
    quote: str | None = None
    confidence: str | None = None


@strawberry.input
class SourceInput:
    id: str
    title: str
    publisher: str | None = None
    published: str | None = strawberry.field(default=None, description="EDTF date.")
    url: str | None = None
    notes: str | None = None


@strawberry.input
class ActorInput:
    id: str
    name: str
    kind: str
    aliases: list[str] | None = None
    external_ids: list[str] | None = None
    citations: list[CitationInput] | None = None


@strawberry.input
class LocationInput:
    id: str
    name: str
    kind: str
    within: str | None = None
    coordinates: list[float] | None = strawberry.field(
        default=None, description="[latitude, longitude]"
    )
    aliases: list[str] | None = None
    external_ids: list[str] | None = None
    citations: list[CitationInput] | None = None


@strawberry.input
class AffiliationInput:
    id: str | None = strawberry.field(
        default=None, description="Without one, (actor, kind, target, valid) identifies it."
    )
    actor: str
    kind: str
    target: str
    valid: str = strawberry.field(description="EDTF interval.")
    citations: list[CitationInput] | None = None


@strawberry.input
class ControlInput:
    id: str | None = strawberry.field(
        default=None, description="Without one, (location, actor, valid) identifies it."
    )
    location: str
    actor: str
    status: str | None = None
    valid: str = strawberry.field(description="EDTF interval.")
    started_by: str | None = None
    ended_by: str | None = None
    citations: list[CitationInput] | None = None


@strawberry.input
class ParticipantInput:
    actor: str
    role: str


@strawberry.input
class FatalitiesInput:
    best: int | None = None
    low: int | None = None
    high: int | None = None


@strawberry.input
class ClaimInput:
    field: str
    value: str
    citations: list[CitationInput] | None = None


@strawberry.input
class EventInput:
    id: str
    title: str
    kind: str
    date: str = strawberry.field(description="EDTF date or interval.")
    location: str | None = None
    participants: list[ParticipantInput] | None = None
    fatalities: FatalitiesInput | None = None
    citations: list[CitationInput] | None = None
    alternatives: list[ClaimInput] | None = None
    external_ids: list[str] | None = None


def fixture_entry(data: Any) -> dict[str, Any]:
    """An input as the loader reads a fixture entry: snake_case keys, absent values left out."""
    entry: dict[str, Any] = _without_nones(dataclasses.asdict(data))
    return entry


def _without_nones(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _without_nones(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_without_nones(item) for item in value]
    return value


# What the mutations answer.


@strawberry.type(description="What a retraction closed.")
class Retraction:
    kind: FactKind
    slug: str
    version: int = strawberry.field(description="The version it closed.")


Fact = Annotated[
    Source | Actor | Location | Affiliation | Control | Event,
    strawberry.union("Fact", description="Any fact the database holds."),
]


async def relation_of_version(
    info: Info[Context, None],
    kind: str,
    version_id: int,
    known_at: datetime | None,
    day: date | None,
) -> Control | Affiliation | None:
    """A spell of control or an affiliation as its version records it (held definitely: it is
    the record itself, not an answer about a day); None for the other kinds."""
    loaders = info.context.loaders
    if kind == "control":
        spell = await loaders.control_by_version.load((version_id,))
        assert spell is not None
        return Control.of(control.Held(spell, Certainty.DEFINITE), known_at, day)
    if kind == "affiliation":
        relation = await loaders.affiliation_by_version.load((version_id,))
        assert relation is not None
        return Affiliation.of(Related(relation, Certainty.DEFINITE), known_at, day)
    return None


async def fact_as_written(
    info: Info[Context, None],
    kind: str,
    identity_id: int,
    version_id: int,
    known_at: datetime | None,
) -> Any:
    """The fact of `version_id`, with nested fields read as known at `known_at`."""
    relation = await relation_of_version(info, kind, version_id, known_at, None)
    if relation is not None:
        return relation
    view = await info.context.loaders.by_version(kind).load((version_id,))
    if kind == "event":
        return Event.of(view, known_at)
    if kind == "source":
        return Source.of(view, known_at)
    if kind == "actor":
        return Actor.of(view, known_at, None)
    return Location.of(view, known_at, None)


T = TypeVar("T")


async def _put(
    info: Info[Context, None],
    answer: type[T],
    kind: str,
    data: Any,
    mode: Literal["create", "correct"],
    expected_version: int | None,
    note: str | None,
) -> T:
    context = info.context
    written = await curation.put(
        context.engine,
        kind,
        fixture_entry(data),
        mode=mode,
        expected_version=expected_version,
        author=await context.author(),
        note=note,
    )
    await context.after_write()
    fact = await fact_as_written(info, kind, written.identity_id, written.version_id, None)
    assert isinstance(fact, answer)
    return fact


Note = Annotated[
    str | None,
    strawberry.argument(description="Why: kept with the version as its change note."),
]
Expected = Annotated[
    int | None,
    strawberry.argument(
        description="The version you read; if the fact has changed since, nothing is written "
        "and the answer is a CONFLICT error giving the current version."
    ),
]


@strawberry.type
class Mutation:
    @strawberry.mutation(permission_classes=[CanWrite], description="Record a new source.")
    async def create_source(
        self, info: Info[Context, None], input: SourceInput, note: Note = None
    ) -> Source:
        return await _put(info, Source, "source", input, "create", None, note)

    @strawberry.mutation(permission_classes=[CanWrite], description="Correct a source.")
    async def correct_source(
        self,
        info: Info[Context, None],
        input: SourceInput,
        expected_version: Expected = None,
        note: Note = None,
    ) -> Source:
        return await _put(info, Source, "source", input, "correct", expected_version, note)

    @strawberry.mutation(permission_classes=[CanWrite], description="Record a new actor.")
    async def create_actor(
        self, info: Info[Context, None], input: ActorInput, note: Note = None
    ) -> Actor:
        return await _put(info, Actor, "actor", input, "create", None, note)

    @strawberry.mutation(
        permission_classes=[CanWrite], description="Correct an actor (its aliases included)."
    )
    async def correct_actor(
        self,
        info: Info[Context, None],
        input: ActorInput,
        expected_version: Expected = None,
        note: Note = None,
    ) -> Actor:
        return await _put(info, Actor, "actor", input, "correct", expected_version, note)

    @strawberry.mutation(permission_classes=[CanWrite], description="Record a new location.")
    async def create_location(
        self, info: Info[Context, None], input: LocationInput, note: Note = None
    ) -> Location:
        return await _put(info, Location, "location", input, "create", None, note)

    @strawberry.mutation(permission_classes=[CanWrite], description="Correct a location.")
    async def correct_location(
        self,
        info: Info[Context, None],
        input: LocationInput,
        expected_version: Expected = None,
        note: Note = None,
    ) -> Location:
        return await _put(info, Location, "location", input, "correct", expected_version, note)

    @strawberry.mutation(permission_classes=[CanWrite], description="Record a new affiliation.")
    async def create_affiliation(
        self, info: Info[Context, None], input: AffiliationInput, note: Note = None
    ) -> Affiliation:
        return await _put(info, Affiliation, "affiliation", input, "create", None, note)

    @strawberry.mutation(permission_classes=[CanWrite], description="Correct an affiliation.")
    async def correct_affiliation(
        self,
        info: Info[Context, None],
        input: AffiliationInput,
        expected_version: Expected = None,
        note: Note = None,
    ) -> Affiliation:
        return await _put(
            info, Affiliation, "affiliation", input, "correct", expected_version, note
        )

    @strawberry.mutation(
        permission_classes=[CanWrite],
        description="Record a spell of control; two actors definitely controlling one place on "
        "a day is refused.",
    )
    async def create_control(
        self, info: Info[Context, None], input: ControlInput, note: Note = None
    ) -> Control:
        return await _put(info, Control, "control", input, "create", None, note)

    @strawberry.mutation(permission_classes=[CanWrite], description="Correct a spell of control.")
    async def correct_control(
        self,
        info: Info[Context, None],
        input: ControlInput,
        expected_version: Expected = None,
        note: Note = None,
    ) -> Control:
        return await _put(info, Control, "control", input, "correct", expected_version, note)

    @strawberry.mutation(
        permission_classes=[CanWrite],
        description="Record a new event, with participants, citations, fatalities and claims.",
    )
    async def create_event(
        self, info: Info[Context, None], input: EventInput, note: Note = None
    ) -> Event:
        return await _put(info, Event, "event", input, "create", None, note)

    @strawberry.mutation(permission_classes=[CanWrite], description="Correct an event.")
    async def correct_event(
        self,
        info: Info[Context, None],
        input: EventInput,
        expected_version: Expected = None,
        note: Note = None,
    ) -> Event:
        return await _put(info, Event, "event", input, "correct", expected_version, note)

    @strawberry.mutation(
        permission_classes=[CanWrite],
        description="Retract a fact: its open version is closed with no successor. It stays "
        "readable with `knownAt` and in `history`. Refused while open facts refer to it.",
    )
    async def retract(
        self,
        info: Info[Context, None],
        kind: FactKind,
        id: str,
        expected_version: Expected = None,
        note: Note = None,
    ) -> Retraction:
        context = info.context
        written = await curation.retract(
            context.engine,
            kind.value,
            id,
            expected_version=expected_version,
            author=await context.author(),
            note=note,
        )
        await context.after_write()
        return Retraction(kind=kind, slug=written.slug, version=written.version_id)


# History


@strawberry.type(description="One version of a fact, as recorded and as closed.")
class FactVersion:
    view: strawberry.Private[history.VersionView]

    @strawberry.field
    def version(self) -> int:
        return self.view.version_id

    @strawberry.field
    def recorded_at(self) -> datetime:
        return self.view.recorded_at

    @strawberry.field(description="When a correction or retraction closed it; null while open.")
    def superseded_at(self) -> datetime | None:
        return self.view.superseded_at

    @strawberry.field(
        description="Who recorded it: the name of their token, or the loader's author."
    )
    def recorded_by(self) -> str | None:
        return self.view.recorded_by

    @strawberry.field
    def change_note(self) -> str | None:
        return self.view.change_note

    @strawberry.field(description="Who closed it.")
    def closed_by(self) -> str | None:
        return self.view.closed_by

    @strawberry.field(description="Why it was closed.")
    def closing_note(self) -> str | None:
        return self.view.closing_note

    @strawberry.field(description="Closed with no successor.")
    def retracted(self) -> bool:
        return self.view.retracted

    @strawberry.field(description="The fact as this version recorded it.")
    async def fact(self, info: Info[Context, None]) -> Fact:
        view = self.view
        fact: Fact = await fact_as_written(
            info, view.kind, view.identity_id, view.version_id, view.recorded_at
        )
        return fact


@strawberry.type(description="A fact added (or restored), corrected or retracted.")
class Change:
    view: strawberry.Private[history.ChangeView]

    @strawberry.field
    def at(self) -> datetime:
        return self.view.at

    @strawberry.field
    def kind(self) -> FactKind:
        return FactKind(self.view.kind)

    @strawberry.field
    def slug(self) -> str:
        return self.view.slug

    @strawberry.field(description="The version added, or the version closed by a retraction.")
    def version(self) -> int:
        return self.view.version_id

    @strawberry.field(description="added, corrected or retracted.")
    def action(self) -> str:
        return self.view.action

    @strawberry.field
    def author(self) -> str | None:
        return self.view.author

    @strawberry.field
    def note(self) -> str | None:
        return self.view.note


@strawberry.type
class ChangeEdge:
    cursor: str
    node: Change


@strawberry.type
class ChangeConnection:
    edges: list[ChangeEdge]
    page_info: PageInfo


def _change_cursor(view: history.ChangeView) -> str:
    at, kind, version, action = view.position
    raw = f"{at.isoformat()}|{kind}|{version}|{action}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _change_position(cursor: str) -> tuple[datetime, str, int, str]:
    with suppress(binascii.Error, UnicodeDecodeError, ValueError):
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, kind, version, action = raw.split("|")
        number = refs.parse_id(version)
        if number is not None:
            return parse_instant(at), kind, number, action
    raise BadInput(f"after: {cursor!r} is not a cursor this API gave out")


async def history_of(info: Info[Context, None], kind: FactKind, ref: str) -> list[FactVersion]:
    identity = await info.context.reader.run(refs.resolve_any, kind.value, ref)
    versions = await info.context.loaders.versions(kind.value).load((identity,))
    if not versions:
        raise NotFound(f"no {kind.value} is known as {ref!r}")
    return [FactVersion(view=view) for view in versions]


async def changes_since(
    info: Info[Context, None], since: datetime, first: int | None, after: str | None
) -> ChangeConnection:
    limit = first if first is not None else 100
    if not 1 <= limit <= 1_000:
        raise BadInput(f"first: must be between 1 and 1000, got {limit}")
    position = _change_position(after) if after else None
    found, more = await info.context.reader.run(history.changes_since, since, limit, position)
    edges = [ChangeEdge(cursor=_change_cursor(view), node=Change(view=view)) for view in found]
    end = edges[-1].cursor if edges else None
    return ChangeConnection(edges=edges, page_info=PageInfo(has_next_page=more, end_cursor=end))
