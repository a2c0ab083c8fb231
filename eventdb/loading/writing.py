"""Writing a plan in bulk: ids allocated up front, then one executemany (SQLite) or COPY
(PostgreSQL) per table, in an order the foreign keys accept. Corrections close the old version
first, so the one-open-version index and PostgreSQL's control exclusion never see both."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any, Final

from sqlalchemy import Date, update
from sqlalchemy.ext.asyncio import AsyncConnection

from eventdb.db.models import Claim, UTCDateTime
from eventdb.db.versioning import FACTS, allocate_ids, transaction_time
from eventdb.loading.planning import KINDS, Plan
from eventdb.loading.records import (
    ActorRecord,
    AffiliationRecord,
    CitationRecord,
    ControlRecord,
    EventRecord,
    FactRecord,
    LocationRecord,
    SourceRecord,
)
from eventdb.names import external_id_key, name_key
from eventdb.temporal import FuzzyInterval

Row = tuple[Any, ...]
IDENTITY_TABLES: Final = frozenset(tables.identity_table for tables in FACTS.values())
BATCH: Final = 20_000  # rows a statement
VERSION_COLUMNS: Final = (
    "recorded_at",
    "superseded_at",
    "recorded_by",
    "change_note",
    "fingerprint",
)
VALID_COLUMNS: Final = ("valid", "earliest_start", "latest_start", "earliest_end", "latest_end")


class _Rows:
    """Rows to insert, by table and column list, and how to turn Python values into the
    engine's (SQLite takes dates and instants as text, as SQLAlchemy writes them)."""

    def __init__(self, connection: AsyncConnection, now: datetime) -> None:
        dialect = connection.dialect
        day = Date().dialect_impl(dialect).bind_processor(dialect)
        self.day: Callable[[date], Any] = day or (lambda value: value)
        if dialect.name == "sqlite":
            self.day = date.isoformat  # what SQLAlchemy writes, without a call per value
        stamp = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
        self.instant = now
        self.now = stamp(now) if stamp else now  # as the engine stores it
        # JSON goes to SQLite as text and to COPY as text too; None stays NULL.
        self.json: Callable[[Any], Any] = lambda value: (
            None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)
        )
        self.tables: dict[tuple[str, tuple[str, ...]], list[Row]] = defaultdict(list)

    def add(self, table: str, columns: tuple[str, ...], row: Row) -> None:
        self.tables[table, columns].append(row)

    def valid(self, interval: FuzzyInterval) -> Row:
        day = self.day
        return (
            interval.text,
            day(interval.earliest_start),
            day(interval.latest_start),
            day(interval.earliest_end),
            day(interval.latest_end),
        )


async def write(
    connection: AsyncConnection,
    plan: Plan,
    *,
    author: str | None,
    note: str | None,
    progress: Callable[[int], None] | None = None,
) -> None:
    now = await transaction_time(connection)
    rows = _Rows(connection, now)
    await _add_identities(connection, plan, rows)
    await _close_versions(connection, plan, rows, author, note)
    await _add_versions(connection, plan, rows, author, note)
    for (table, columns), table_rows in sorted(rows.tables.items(), key=_parents_first):
        for start in range(0, len(table_rows), BATCH):
            batch = table_rows[start : start + BATCH]
            await _insert(connection, table, columns, batch)
            if progress is not None and table.endswith("_versions"):
                progress(len(batch))


def _parents_first(item: tuple[tuple[str, tuple[str, ...]], list[Row]]) -> int:
    """Identities, then versions, then claims, then what hangs off them (citations of claims)."""
    table = item[0][0]
    if table in IDENTITY_TABLES:
        return 0
    if table.endswith("_versions"):
        return 1
    return 2 if table == Claim.__tablename__ else 3


async def _add_identities(connection: AsyncConnection, plan: Plan, rows: _Rows) -> None:
    for kind in KINDS:
        known = plan.ids[kind]
        new = [record.slug for record in plan.added[kind] if record.slug not in known]
        table = FACTS[kind].identity_table
        for identity_id, slug in zip(
            await allocate_ids(connection, table, len(new)), new, strict=True
        ):
            known[slug] = identity_id
            rows.add(table, ("id", "slug", "created_at"), (identity_id, slug, rows.now))


async def _close_versions(
    connection: AsyncConnection, plan: Plan, rows: _Rows, author: str | None, note: str | None
) -> None:
    """Close each replaced or retracted version, saying who did it and why (the note of the
    correction or retraction, else the load's)."""
    for kind, closing in plan.closing.items():
        version = FACTS[kind].version
        by_note: dict[str | None, list[int]] = defaultdict(list)
        for version_id, closer in closing:
            by_note[closer.note or note].append(version_id)
        for closing_note, ids in by_note.items():
            for start in range(0, len(ids), BATCH):
                await connection.execute(
                    update(version)
                    .where(version.id.in_(ids[start : start + BATCH]))
                    .values(superseded_at=rows.instant, closed_by=author, closing_note=closing_note)
                    .execution_options(synchronize_session=False)
                )


async def _add_versions(
    connection: AsyncConnection, plan: Plan, rows: _Rows, author: str | None, note: str | None
) -> None:
    claims = [
        claim for record in plan.writes("event") for claim in getattr(record, "alternatives", ())
    ]
    claim_ids = iter(await allocate_ids(connection, Claim.__tablename__, len(claims)))
    for kind in KINDS:
        records = plan.writes(kind)
        tables = FACTS[kind]
        table = tables.version_table
        version_ids = await allocate_ids(connection, table, len(records))
        builder = _BUILDERS[kind]
        for version_id, record in zip(version_ids, records, strict=True):
            plan.written[kind, record.slug] = version_id
            columns, values = builder(record, version_id, plan.ids, rows, claim_ids)
            fingerprint = plan.fingerprints[kind, record.slug]
            common = (rows.now, None, author, record.note or note, fingerprint)
            rows.add(
                table,
                ("id", tables.fact_id.key, *VERSION_COLUMNS, *columns),
                (version_id, plan.ids[kind][record.slug], *common, *values),
            )


Ids = dict[str, dict[str, int]]
Built = tuple[tuple[str, ...], Row]


def _source(record: FactRecord, version_id: int, ids: Ids, rows: _Rows, claims: Any) -> Built:
    assert isinstance(record, SourceRecord)
    published = record.published
    return (
        (
            "title",
            "publisher",
            "published",
            "published_earliest",
            "published_latest",
            "url",
            "notes",
        ),
        (
            record.title,
            record.publisher,
            published.text if published else None,
            rows.day(published.earliest_start) if published else None,
            rows.day(published.latest_end) if published else None,
            record.url,
            record.notes,
        ),
    )


def _actor(record: FactRecord, version_id: int, ids: Ids, rows: _Rows, claims: Any) -> Built:
    assert isinstance(record, ActorRecord)
    _names(rows, "actor", version_id, record.aliases, record.external_ids)
    _citations(rows, "actor_version_id", version_id, record.citations, ids)
    return ("name", "name_key", "kind"), (record.name, name_key(record.name), record.actor_kind)


def _location(record: FactRecord, version_id: int, ids: Ids, rows: _Rows, claims: Any) -> Built:
    assert isinstance(record, LocationRecord)
    _names(rows, "location", version_id, record.aliases, record.external_ids)
    _citations(rows, "location_version_id", version_id, record.citations, ids)
    parent = ids["location"][record.parent] if record.parent else None
    return (
        ("name", "name_key", "kind", "parent_id", "latitude", "longitude"),
        (
            record.name,
            name_key(record.name),
            record.location_kind,
            parent,
            record.latitude,
            record.longitude,
        ),
    )


def _affiliation(record: FactRecord, version_id: int, ids: Ids, rows: _Rows, claims: Any) -> Built:
    assert isinstance(record, AffiliationRecord)
    _citations(rows, "affiliation_version_id", version_id, record.citations, ids)
    actors = ids["actor"]
    return (
        ("actor_id", "kind", "target_id", *VALID_COLUMNS),
        (
            actors[record.actor],
            record.affiliation_kind,
            actors[record.target],
            *rows.valid(record.valid),
        ),
    )


def _control(record: FactRecord, version_id: int, ids: Ids, rows: _Rows, claims: Any) -> Built:
    assert isinstance(record, ControlRecord)
    _citations(rows, "control_version_id", version_id, record.citations, ids)
    events = ids["event"]
    return (
        (
            "location_id",
            "actor_id",
            "status",
            "started_by_event_id",
            "ended_by_event_id",
            *VALID_COLUMNS,
        ),
        (
            ids["location"][record.location],
            ids["actor"][record.actor],
            record.status,
            events[record.started_by] if record.started_by else None,
            events[record.ended_by] if record.ended_by else None,
            *rows.valid(record.valid),
        ),
    )


def _event(record: FactRecord, version_id: int, ids: Ids, rows: _Rows, claims: Any) -> Built:
    assert isinstance(record, EventRecord)
    _names(rows, "event", version_id, (), record.external_ids)
    _citations(rows, "event_version_id", version_id, record.citations, ids)
    actors = ids["actor"]
    for participant in record.participants:
        rows.add(
            "event_participants",
            ("event_version_id", "actor_id", "role"),
            (version_id, actors[participant.actor], participant.role),
        )
    for claim in record.alternatives:
        claim_id = next(claims)
        rows.add(
            "claims",
            ("id", "event_version_id", "field", "value"),
            (claim_id, version_id, claim.field, claim.value),
        )
        _citations(rows, "claim_id", claim_id, claim.citations, ids)
    return (
        (
            "title",
            "title_key",
            "kind",
            "location_id",
            "fatalities_best",
            "fatalities_low",
            "fatalities_high",
            "deaths_side_a",
            "deaths_side_b",
            "deaths_civilians",
            "deaths_unknown",
            "location_precision",
            "properties",
            *VALID_COLUMNS,
        ),
        (
            record.title,
            name_key(record.title),
            record.event_kind,
            ids["location"][record.location] if record.location else None,
            record.fatalities_best,
            record.fatalities_low,
            record.fatalities_high,
            *record.deaths,
            record.location_precision,
            rows.json(record.properties),
            *rows.valid(record.date),
        ),
    )


def _names(
    rows: _Rows, owner: str, version_id: int, aliases: Sequence[str], external_ids: Sequence[str]
) -> None:
    owner_column = f"{owner}_version_id"
    for alias in aliases:
        rows.add(
            f"{owner}_aliases",
            (owner_column, "alias", "alias_key"),
            (version_id, alias, name_key(alias)),
        )
    for external_id in external_ids:
        rows.add(
            "external_ids",
            (owner_column, "value", "value_key"),
            (version_id, external_id, external_id_key(external_id)),
        )


def _citations(
    rows: _Rows, owner_column: str, owner_id: int, citations: Sequence[CitationRecord], ids: Ids
) -> None:
    sources = ids["source"]
    for citation in citations:
        rows.add(
            "citations",
            (owner_column, "source_id", "quote", "confidence"),
            (owner_id, sources[citation.source], citation.quote, citation.confidence),
        )


_BUILDERS: Final[dict[str, Callable[[FactRecord, int, Ids, _Rows, Any], Built]]] = {
    "source": _source,
    "actor": _actor,
    "location": _location,
    "affiliation": _affiliation,
    "control": _control,
    "event": _event,
}


async def _insert(
    connection: AsyncConnection, table: str, columns: tuple[str, ...], rows: list[Row]
) -> None:
    if connection.dialect.name == "postgresql":
        raw = await connection.get_raw_connection()
        driver = raw.driver_connection
        assert driver is not None
        assert driver.is_in_transaction(), "COPY must run in the load's transaction"
        await driver.copy_records_to_table(table, records=rows, columns=columns)
        return
    placeholders = ", ".join("?" * len(columns))
    await connection.exec_driver_sql(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})", rows
    )
