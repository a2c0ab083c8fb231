"""Transaction time, written once: what "as known at" means, and what every writer needs.

A version is known at instant T when it was recorded at or before T and not superseded by then.
Writers take one lock, one timestamp for the whole write, and ids allocated in bulk.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import ColumnElement, and_, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import InstrumentedAttribute

from eventdb.db.models import (
    Actor,
    ActorVersion,
    Affiliation,
    AffiliationVersion,
    Control,
    ControlVersion,
    Event,
    EventVersion,
    Identity,
    Location,
    LocationVersion,
    Source,
    SourceVersion,
    Versioned,
)

# One key for every writer: PostgreSQL serializes loads and corrections on it (any 64-bit number
# unlikely to collide with another application's advisory locks).
WRITE_LOCK_KEY: Final = 0x6576656E74646200  # "eventdb\0"


@dataclass(frozen=True)
class FactTables:
    """The identity table and version table of one kind of fact."""

    identity: type[Identity]
    version: type[Versioned]
    # The version's reference to its identity (`ActorVersion.actor_id`).
    fact_id: InstrumentedAttribute[int]

    @property
    def identity_table(self) -> str:
        return str(getattr(self.identity, "__tablename__"))  # noqa: B009  (mixins do not declare it)

    @property
    def version_table(self) -> str:
        return str(getattr(self.version, "__tablename__"))  # noqa: B009


FACTS: Final = {
    "source": FactTables(Source, SourceVersion, SourceVersion.source_id),
    "actor": FactTables(Actor, ActorVersion, ActorVersion.actor_id),
    "location": FactTables(Location, LocationVersion, LocationVersion.location_id),
    "affiliation": FactTables(Affiliation, AffiliationVersion, AffiliationVersion.affiliation_id),
    "control": FactTables(Control, ControlVersion, ControlVersion.control_id),
    "event": FactTables(Event, EventVersion, EventVersion.event_id),
}


def known_at(version: Any, at: datetime | None) -> ColumnElement[bool]:
    """Versions of `version`'s table as the database knew them at `at` (now when None)."""
    if at is None:
        return version.superseded_at.is_(None)  # type: ignore[no-any-return]
    return and_(
        version.recorded_at <= at,
        or_(version.superseded_at.is_(None), version.superseded_at > at),
    )


async def take_write_lock(connection: AsyncConnection) -> None:
    """Serialize writers. SQLite writers hold it already (their transaction began IMMEDIATE)."""
    if connection.dialect.name == "postgresql":
        await connection.execute(select(func.pg_advisory_xact_lock(WRITE_LOCK_KEY)))


async def transaction_time(connection: AsyncConnection) -> datetime:
    """The instant a write records, read after the lock so that writes stay in order.

    PostgreSQL's clock is shared by every app process; SQLite has one writer on one machine.
    """
    if connection.dialect.name == "postgresql":
        stamp = await connection.scalar(select(func.clock_timestamp()))
        assert isinstance(stamp, datetime)
        return stamp.astimezone(UTC)
    return datetime.now(UTC)


async def allocate_ids(connection: AsyncConnection, table: str, count: int) -> Sequence[int]:
    """`count` fresh primary keys for `table`, so rows can be written in bulk without RETURNING."""
    if count == 0:
        return []
    if connection.dialect.name == "postgresql":
        result = await connection.execute(
            text(
                "SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"
            ),
            {"table": table, "n": count},
        )
        return [row[0] for row in result]
    # Under SQLite's write lock nobody else can take ids; nothing is deleted, so none is reused.
    highest = await connection.scalar(text(f"SELECT coalesce(max(id), 0) FROM {table}"))
    assert isinstance(highest, int)
    return range(highest + 1, highest + 1 + count)
