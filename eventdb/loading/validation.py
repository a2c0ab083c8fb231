"""Checking entries one at a time: keys, types, vocabularies, dates and lengths.

Problems are collected, never raised, so that every mistake in a file is reported at once, each
with the line of the key it concerns. Rules that need other entries or the database (references,
duplicates, overlapping control) are the planner's.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from math import isfinite
from typing import Any, Final

from eventdb import vocabulary
from eventdb.loading.reading import Problem, RawEntry, Where, line_of, type_name
from eventdb.loading.records import (
    ActorRecord,
    AffiliationRecord,
    CitationRecord,
    ClaimRecord,
    ControlRecord,
    EventRecord,
    LocationRecord,
    ParticipantRecord,
    Record,
    Retraction,
    SourceRecord,
)
from eventdb.names import name_key
from eventdb.temporal import FuzzyInterval, InvalidDate, parse, parse_date, parse_interval

SLUG: Final = re.compile(r"[a-z0-9][a-z0-9._-]{0,99}")
WORD: Final = re.compile(r"[a-z][a-z0-9_]{0,59}")  # event kinds and participant roles
EXTERNAL_ID: Final = re.compile(r"[a-z][a-z0-9-]{0,29}:[^\s\x00-\x1f\x7f-\x9f]{1,160}")
CONTROL_CHARACTERS: Final = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")

# How long free text may be, in characters.
NAME_LIMIT: Final = 500
TITLE_LIMIT: Final = 2_000
LONG_TEXT_LIMIT: Final = 20_000
LIST_LIMIT: Final = 1_000  # aliases, participants, citations per entry
COUNT_LIMIT: Final = 2**31 - 1  # fatalities and deaths: what the database's integer column holds
PROGRESS_STEP: Final = 10_000

COMMON_KEYS: Final = frozenset({"id", "note", "retracted", "type"})
KEYS: Final = {
    "source": {"title", "publisher", "published", "url", "notes"},
    "actor": {"name", "kind", "aliases", "external_ids", "citations"},
    "location": {"name", "kind", "within", "coordinates", "aliases", "external_ids", "citations"},
    "affiliation": {"actor", "kind", "target", "valid", "citations"},
    "control": {"location", "actor", "status", "valid", "started_by", "ended_by", "citations"},
    "event": {
        "title",
        "kind",
        "date",
        "location",
        "participants",
        "fatalities",
        "citations",
        "alternatives",
        "external_ids",
        "deaths",
        "location_precision",
        "properties",
    },
}
_ALLOWED: Final = {kind: frozenset(keys | COMMON_KEYS) for kind, keys in KEYS.items()}
CLAIM_FIELDS: Final = ("title", "kind", "date", "location", "fatalities", "participants")
DEFAULT_CONFIDENCE: Final = "reported"


class _Entry:
    """One entry being read: each accessor notes what is wrong and returns None."""

    __slots__ = ("data", "kind", "label", "problems", "where")

    def __init__(self, entry: RawEntry, problems: list[Problem]) -> None:
        self.data = entry.data
        self.where = entry.where
        self.kind = entry.kind
        self.label = entry.kind
        self.problems = problems

    def fail(self, key: str, message: str, data: Mapping[str, Any] | None = None) -> None:
        line = line_of(self.data if data is None else data, key) or self.where.line
        where = Where(self.where.file, line)
        shown = key if key.isprintable() else repr(key)  # an unknown key may hold escape codes
        self.problems.append(Problem(where, f"{self.label}: {shown}: {message}", key))

    def value(self, key: str, data: Mapping[str, Any] | None, required: bool) -> Any:
        value = (self.data if data is None else data).get(key)
        if value is None and required:
            self.fail(key, "is required", data)
        return value

    def text(
        self,
        key: str,
        *,
        required: bool = True,
        limit: int = NAME_LIMIT,
        data: Mapping[str, Any] | None = None,
    ) -> str | None:
        value = (self.data if data is None else data).get(key)
        if value.__class__ is str:
            clean = _clean_text(value, limit)
            return clean if clean is not None else self.checked_text(key, value, limit, data)
        if value is None:
            if required:
                self.fail(key, "is required", data)
            return None
        self.fail(key, f"expected text, got {type_name(value)}", data)
        return None

    def checked_text(
        self, key: str, value: str, limit: int, data: Mapping[str, Any] | None = None
    ) -> str | None:
        clean = _clean_text(value, limit)
        if clean is not None:
            return clean
        value = value.strip()
        if not value:
            self.fail(key, "is empty", data)
        elif len(value) > limit:
            self.fail(
                key, f"is {len(value):,} characters long; at most {limit:,} are allowed", data
            )
        else:
            self.fail(key, "contains a control character", data)
        return None

    def pattern(
        self,
        key: str,
        pattern: re.Pattern[str],
        what: str,
        *,
        required: bool = True,
        data: Mapping[str, Any] | None = None,
    ) -> str | None:
        value = self.value(key, data, required)
        if value is None:
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not pattern.fullmatch(value):
            self.fail(key, f"expected {what}, got {value!r}", data)
            return None
        return value

    def slug(
        self, key: str, *, required: bool = True, data: Mapping[str, Any] | None = None
    ) -> str | None:
        value = (self.data if data is None else data).get(key)
        if value.__class__ is str and _is_slug(value):
            return value
        return self.pattern(key, SLUG, SLUG_HELP, required=required, data=data)

    def choice(self, key: str, choices: tuple[str, ...], default: str | None = None) -> str | None:
        value = self.value(key, None, default is None)
        if value is None:
            return default
        if value not in choices:
            self.fail(key, f"expected one of {', '.join(choices)}, got {value!r}")
            return None
        return str(value)

    def edtf(
        self,
        key: str,
        parser: Callable[[str], FuzzyInterval],
        *,
        required: bool = True,
        data: Mapping[str, Any] | None = None,
    ) -> FuzzyInterval | None:
        value = self.value(key, data, required)
        if value is None:
            return None
        if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 9999:
            value = f"{value:04d}"  # YAML reads a bare year as a number
        if not isinstance(value, str):
            self.fail(key, f"expected an EDTF date as text, got {type_name(value)}", data)
            return None
        try:
            return parser(value)
        except InvalidDate as error:
            self.fail(key, str(error), data)
            return None

    def count(self, key: str, data: Mapping[str, Any]) -> int | None:
        value = data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            self.fail(key, f"expected a whole number, 0 or more, got {value!r}", data)
            return None
        if value > COUNT_LIMIT:
            self.fail(key, f"is larger than the largest count, {COUNT_LIMIT:,}", data)
            return None
        return value

    def items(self, key: str, *, required: bool = False) -> list[Any]:
        value = self.value(key, None, required)
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(key, f"expected a list, got {type_name(value)}")
            return []
        if len(value) > LIST_LIMIT:
            self.fail(key, f"has {len(value):,} items; at most {LIST_LIMIT:,} are allowed")
            return []
        return value

    def mappings(self, key: str, *, required: bool = False) -> list[Mapping[str, Any]]:
        found = []
        for index, item in enumerate(self.items(key, required=required)):
            if isinstance(item, Mapping):
                found.append(item)
            else:
                self.fail(f"{key}[{index}]", f"expected a mapping, got {type_name(item)}")
        return found

    def names(self, key: str) -> tuple[str, ...]:
        """A list of names (aliases), without repeats of the same lookup key."""
        seen: set[str] = set()
        names = []
        for index, item in enumerate(self.items(key)):
            label = f"{key}[{index}]"
            if not isinstance(item, str):
                self.fail(label, f"expected text, got {type_name(item)} (quote it)")
                continue
            checked = self.checked_text(label, item, NAME_LIMIT)
            if checked is None:
                continue
            lookup = name_key(checked)
            if not lookup:
                self.fail(label, f"{checked!r} has no letter or digit to look it up by")
            elif lookup not in seen:
                seen.add(lookup)
                names.append(checked)
        return tuple(names)

    def external_ids(self) -> tuple[str, ...]:
        found: dict[str, str] = {}
        for index, item in enumerate(self.items("external_ids")):
            label = f"external_ids[{index}]"
            if not isinstance(item, str) or not EXTERNAL_ID.fullmatch(item.strip()):
                self.fail(label, f"expected 'scheme:value' such as 'ucdp:144', got {item!r}")
                continue
            found.setdefault(item.strip().casefold(), item.strip())
        return tuple(found.values())

    def citations(
        self, key: str = "citations", data: Mapping[str, Any] | None = None
    ) -> tuple[CitationRecord, ...]:
        container = self.data if data is None else data
        value = container.get(key)
        if value is None:
            return ()
        if not isinstance(value, list):
            self.fail(key, f"expected a list of citations, got {type_name(value)}", data)
            return ()
        if len(value) > LIST_LIMIT:  # refused like every list: none is cut short in silence
            self.fail(key, f"has {len(value):,} items; at most {LIST_LIMIT:,} are allowed", data)
            return ()
        citations = []
        for index, item in enumerate(value):
            fast = _plain_citation(item)
            if fast is not None:
                citations.append(fast)
                continue
            label = f"{key}[{index}]"
            if not isinstance(item, Mapping):
                self.fail(label, f"expected a mapping with a source, got {type_name(item)}", data)
                continue
            unknown = item.keys() - {"source", "quote", "confidence"}
            if unknown:
                self.fail(f"{label}.{sorted(unknown)[0]}", "unknown key", item)
            source = self.slug("source", data=item)
            quote = self.text("quote", required=False, limit=LONG_TEXT_LIMIT, data=item)
            confidence = item.get("confidence", DEFAULT_CONFIDENCE)
            if confidence not in vocabulary.CONFIDENCES:
                choices = ", ".join(vocabulary.CONFIDENCES)
                self.fail(
                    f"{label}.confidence", f"expected one of {choices}, got {confidence!r}", item
                )
                continue
            if source is not None:
                citations.append(CitationRecord(source, quote, confidence))
        return tuple(citations)


@dataclass
class Validated:
    records: list[Record] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # Slugs of entries refused here, by kind: references to them are not reported again.
    refused: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))


SLUG_HELP: Final = "a slug (lowercase letters, digits, '.', '_', '-')"
_is_slug = SLUG.fullmatch
_is_word = WORD.fullmatch
_CONFIDENCES: Final = frozenset(vocabulary.CONFIDENCES)
_CITATION_KEYS: Final = frozenset({"source", "quote", "confidence"})


def _clean_text(value: str, limit: int) -> str | None:
    """`value` stripped when it is fine as it is, else None (and the caller says why)."""
    value = value.strip()
    if (
        value
        and len(value) <= limit
        and (value.isprintable() or not CONTROL_CHARACTERS.search(value))
    ):
        return value
    return None


def _plain_citation(item: Any) -> CitationRecord | None:
    """The common, well-formed citation, checked without building any message."""
    if not isinstance(item, dict) or not item.keys() <= _CITATION_KEYS:
        return None
    source, quote = item.get("source"), item.get("quote")
    confidence = item.get("confidence", DEFAULT_CONFIDENCE)
    if source.__class__ is not str or not _is_slug(source) or confidence not in _CONFIDENCES:
        return None
    if quote is not None:
        if quote.__class__ is not str:
            return None
        quote = _clean_text(quote, LONG_TEXT_LIMIT)
        if quote is None:
            return None
    return CitationRecord(source, quote, confidence)


def validate(entries: list[RawEntry], advance: Callable[[int], None] | None = None) -> Validated:
    """Records for the entries that are right on their own, and the problems of the rest."""
    result = Validated()
    for index, entry in enumerate(entries, start=1):
        record = validate_entry(entry, result.problems)
        if record is not None:
            result.records.append(record)
        elif isinstance(slug := entry.data.get("id"), str):
            result.refused[entry.kind].add(slug)
        if advance is not None and index % PROGRESS_STEP == 0:
            advance(PROGRESS_STEP)
    if advance is not None:
        advance(len(entries) % PROGRESS_STEP)
    return result


def validate_entry(entry: RawEntry, problems: list[Problem]) -> Record | None:
    reader = _Entry(entry, problems)
    before = len(problems)
    keyed = entry.kind in ("affiliation", "control")
    slug = reader.slug("id", required=not keyed)
    if slug is not None:
        reader.label = f"{entry.kind} {slug!r}"
    allowed = _ALLOWED[entry.kind]
    if not entry.data.keys() <= allowed:
        takes = ", ".join(sorted(allowed))
        for key in sorted(entry.data.keys() - allowed, key=str):
            reader.fail(str(key), f"unknown key; {entry.kind} entries take {takes}")
    retracted = entry.data.get("retracted", False)
    if not isinstance(retracted, bool):
        reader.fail("retracted", f"expected true or false, got {retracted!r}")
    note = reader.text("note", required=False, limit=LONG_TEXT_LIMIT)
    record = _VALIDATORS[entry.kind](reader, slug, note, retracted is True)
    return record if len(problems) == before else None


def _retraction(reader: _Entry, slug: str | None, note: str | None) -> Retraction | None:
    if slug is None:
        return None
    return Retraction(slug=slug, where=reader.where, note=note, fact_kind=reader.kind)


def _source(reader: _Entry, slug: str | None, note: str | None, retracted: bool) -> Record | None:
    if retracted:
        return _retraction(reader, slug, note)
    title = reader.text("title", limit=TITLE_LIMIT)
    publisher = reader.text("publisher", required=False)
    published = reader.edtf("published", parse_date, required=False)
    url = reader.text("url", required=False, limit=TITLE_LIMIT)
    notes = reader.text("notes", required=False, limit=LONG_TEXT_LIMIT)
    if slug is None or title is None:
        return None
    return SourceRecord(
        slug=slug,
        where=reader.where,
        note=note,
        title=title,
        publisher=publisher,
        published=published,
        url=url,
        notes=notes,
    )


def _actor(reader: _Entry, slug: str | None, note: str | None, retracted: bool) -> Record | None:
    if retracted:
        return _retraction(reader, slug, note)
    name = reader.text("name")
    if name is not None and not name_key(name):
        reader.fail("name", f"{name!r} has no letter or digit to look it up by")
    kind = reader.choice("kind", vocabulary.ACTOR_KINDS)
    aliases = reader.names("aliases")
    external_ids = reader.external_ids()
    citations = reader.citations()
    if slug is None or name is None or kind is None:
        return None
    return ActorRecord(
        slug=slug,
        where=reader.where,
        note=note,
        name=name,
        actor_kind=kind,
        aliases=aliases,
        external_ids=external_ids,
        citations=citations,
    )


def _location(reader: _Entry, slug: str | None, note: str | None, retracted: bool) -> Record | None:
    if retracted:
        return _retraction(reader, slug, note)
    name = reader.text("name")
    if name is not None and not name_key(name):
        reader.fail("name", f"{name!r} has no letter or digit to look it up by")
    kind = reader.choice("kind", vocabulary.LOCATION_KINDS)
    parent = reader.slug("within", required=False)
    if parent is not None and parent == slug:
        reader.fail("within", "a location cannot be within itself")
    latitude, longitude = _coordinates(reader)
    aliases = reader.names("aliases")
    external_ids = reader.external_ids()
    citations = reader.citations()
    if slug is None or name is None or kind is None:
        return None
    return LocationRecord(
        slug=slug,
        where=reader.where,
        note=note,
        name=name,
        location_kind=kind,
        parent=parent,
        latitude=latitude,
        longitude=longitude,
        aliases=aliases,
        external_ids=external_ids,
        citations=citations,
    )


def _coordinates(reader: _Entry) -> tuple[float | None, float | None]:
    value = reader.data.get("coordinates")
    if value is None:
        return None, None
    numbers = (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(part, int | float) and not isinstance(part, bool) for part in value)
    )
    if not numbers:
        reader.fail("coordinates", f"expected [latitude, longitude], got {value!r}")
        return None, None
    latitude, longitude = float(value[0]), float(value[1])
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        reader.fail(
            "coordinates",
            f"[{latitude}, {longitude}] is off the globe: latitude is -90..90, longitude -180..180",
        )
        return None, None
    return latitude, longitude


def _keyed_slug(reader: _Entry, slug: str | None, *parts: str | None) -> str | None:
    """The given id, or the entry's identifying key (`control:derna:isis:2014-11/..`)."""
    if slug is not None:
        return slug
    if any(part is None for part in parts):
        return None
    derived = ":".join([reader.kind, *(part for part in parts if part is not None)])
    reader.label = f"{reader.label} {derived.split(':', 1)[1]!r}"
    return derived


def _affiliation(
    reader: _Entry, slug: str | None, note: str | None, retracted: bool
) -> Record | None:
    if retracted and slug is not None:
        return _retraction(reader, slug, note)
    actor = reader.slug("actor")
    kind = reader.choice("kind", vocabulary.AFFILIATION_KINDS)
    target = reader.slug("target")
    valid = reader.edtf("valid", parse_interval)
    identity = _keyed_slug(reader, slug, actor, kind, target, valid.text if valid else None)
    if retracted:
        return _retraction(reader, identity, note)
    if actor is not None and actor == target:
        reader.fail("target", "an actor cannot be related to itself")
    citations = reader.citations()
    if identity is None or actor is None or kind is None or target is None or valid is None:
        return None
    return AffiliationRecord(
        slug=identity,
        where=reader.where,
        note=note,
        actor=actor,
        affiliation_kind=kind,
        target=target,
        valid=valid,
        citations=citations,
    )


def _control(reader: _Entry, slug: str | None, note: str | None, retracted: bool) -> Record | None:
    if retracted and slug is not None:
        return _retraction(reader, slug, note)
    location = reader.slug("location")
    actor = reader.slug("actor")
    valid = reader.edtf("valid", parse_interval)
    identity = _keyed_slug(reader, slug, location, actor, valid.text if valid else None)
    if retracted:
        return _retraction(reader, identity, note)
    status = reader.choice("status", vocabulary.CONTROL_STATUSES, default="controls")
    started_by = reader.slug("started_by", required=False)
    ended_by = reader.slug("ended_by", required=False)
    citations = reader.citations()
    if identity is None or location is None or actor is None or status is None or valid is None:
        return None
    return ControlRecord(
        slug=identity,
        where=reader.where,
        note=note,
        location=location,
        actor=actor,
        status=status,
        valid=valid,
        started_by=started_by,
        ended_by=ended_by,
        citations=citations,
    )


def _event(reader: _Entry, slug: str | None, note: str | None, retracted: bool) -> Record | None:
    if retracted:
        return _retraction(reader, slug, note)
    title = reader.text("title", limit=TITLE_LIMIT)
    kind = reader.pattern("kind", WORD, "a word such as 'attack' (lowercase, '_')")
    date = reader.edtf("date", parse)
    location = reader.slug("location", required=False)
    participants = _participants(reader)
    fatalities = _fatalities(reader)
    citations = reader.citations()
    alternatives = _alternatives(reader)
    external_ids = reader.external_ids()
    deaths = _deaths(reader)
    precision = _location_precision(reader)
    properties = _properties(reader)
    if slug is None or title is None or kind is None or date is None:
        return None
    return EventRecord(
        slug=slug,
        where=reader.where,
        note=note,
        title=title,
        event_kind=kind,
        date=date,
        location=location,
        participants=participants,
        fatalities_best=fatalities[0],
        fatalities_low=fatalities[1],
        fatalities_high=fatalities[2],
        citations=citations,
        alternatives=alternatives,
        external_ids=external_ids,
        deaths=deaths,
        location_precision=precision,
        properties=properties,
    )


DEATH_KEYS: Final = ("side_a", "side_b", "civilians", "unknown")
PROPERTY_LIMIT: Final = 50
PROPERTY_TEXT_LIMIT: Final = 10_000
SCALARS: Final = (str, int, float, bool, type(None))


def _deaths(reader: _Entry) -> tuple[int | None, int | None, int | None, int | None]:
    value = reader.data.get("deaths")
    if value is None:
        return None, None, None, None
    if not isinstance(value, Mapping):
        reader.fail("deaths", f"expected {{{', '.join(DEATH_KEYS)}}}, got {type_name(value)}")
        return None, None, None, None
    unknown = value.keys() - set(DEATH_KEYS)
    if unknown:
        reader.fail(
            f"deaths.{sorted(unknown)[0]}", f"unknown key; use {', '.join(DEATH_KEYS)}", value
        )
    side_a, side_b, civilians, unknown_dead = (reader.count(key, value) for key in DEATH_KEYS)
    return side_a, side_b, civilians, unknown_dead


def _location_precision(reader: _Entry) -> int | None:
    value = reader.data.get("location_precision")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 7:
        reader.fail("location_precision", f"expected a whole number 1 to 7, got {value!r}")
        return None
    return value


def _properties(reader: _Entry) -> dict[str, Any] | None:
    """What a dataset records beyond the format's keys: text, numbers, booleans, lists of them."""
    value = reader.data.get("properties")
    if value is None:
        return None
    if not isinstance(value, Mapping) or len(value) > PROPERTY_LIMIT:
        reader.fail("properties", f"expected a mapping of at most {PROPERTY_LIMIT} entries")
        return None
    properties: dict[str, Any] = {}
    for key, item in value.items():
        plain = _is_plain(item) or (isinstance(item, list) and all(map(_is_plain, item)))
        if not isinstance(key, str) or not WORD.fullmatch(key) or not plain:
            reader.fail(
                f"properties.{key}",
                "expected a lowercase key and text, a finite number, a boolean or a list of them",
            )
            continue
        if isinstance(item, str) and len(item) > PROPERTY_TEXT_LIMIT:
            reader.fail(f"properties.{key}", f"is longer than {PROPERTY_TEXT_LIMIT:,} characters")
            continue
        properties[key] = item
    return properties or None


def _is_plain(value: Any) -> bool:
    """A JSON scalar: NaN and infinity are not (PostgreSQL refuses them in a JSON column)."""
    return isinstance(value, SCALARS) and not (isinstance(value, float) and not isfinite(value))


def _participants(reader: _Entry) -> tuple[ParticipantRecord, ...]:
    participants: dict[tuple[str, str], ParticipantRecord] = {}
    for item in reader.mappings("participants"):
        actor, role = item.get("actor"), item.get("role")
        if (
            isinstance(actor, str)
            and isinstance(role, str)
            and len(item) == 2
            and _is_slug(actor)
            and _is_word(role)
        ):
            participants.setdefault((actor, role), ParticipantRecord(actor, role))
            continue
        unknown = item.keys() - {"actor", "role"}
        if unknown:
            reader.fail(f"participants.{sorted(unknown)[0]}", "unknown key", item)
        actor = reader.slug("actor", data=item)
        role = reader.pattern("role", WORD, "a word such as 'perpetrator'", data=item)
        if actor is not None and role is not None:
            participants.setdefault((actor, role), ParticipantRecord(actor, role))
    return tuple(participants.values())


def _fatalities(reader: _Entry) -> tuple[int | None, int | None, int | None]:
    value = reader.data.get("fatalities")
    if value is None:
        return None, None, None
    if isinstance(value, int) and not isinstance(value, bool):
        value = {"best": value}
    if not isinstance(value, Mapping):
        reader.fail("fatalities", f"expected {{best, low, high}}, got {type_name(value)}")
        return None, None, None
    unknown = value.keys() - {"best", "low", "high"}
    if unknown:
        reader.fail(f"fatalities.{sorted(unknown)[0]}", "unknown key; use best, low, high", value)
    return reader.count("best", value), reader.count("low", value), reader.count("high", value)


def _alternatives(reader: _Entry) -> tuple[ClaimRecord, ...]:
    claims = []
    for item in reader.mappings("alternatives"):
        unknown = item.keys() - {"field", "value", "citations"}
        if unknown:
            reader.fail(f"alternatives.{sorted(unknown)[0]}", "unknown key", item)
        field = item.get("field")
        if field not in CLAIM_FIELDS:
            reader.fail("field", f"expected one of {', '.join(CLAIM_FIELDS)}, got {field!r}", item)
            continue
        raw = item.get("value")
        if isinstance(raw, int) and not isinstance(raw, bool):
            raw = str(raw)  # a year
        if not isinstance(raw, str):
            reader.fail("value", f"expected text, got {type_name(raw)}", item)
            continue
        value = reader.checked_text("value", raw, TITLE_LIMIT, item)
        if value is None:
            continue
        if field == "date":
            try:
                parse(value)
            except InvalidDate as error:
                reader.fail("value", str(error), item)
                continue
        claims.append(ClaimRecord(str(field), value, reader.citations(data=item)))
    return tuple(claims)


_VALIDATORS: Final[dict[str, Callable[[_Entry, str | None, str | None, bool], Record | None]]] = {
    "source": _source,
    "actor": _actor,
    "location": _location,
    "affiliation": _affiliation,
    "control": _control,
    "event": _event,
}
