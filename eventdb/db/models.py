"""The tables. Alembic migrations create them; this module describes them for queries and checks.

Every fact (source, actor, location, affiliation, control, event) has a row in an identity table
(`actors`: a stable id and slug) and one row per version in its version table (`actor_versions`).
A version carries transaction time: `recorded_at` when the database learned it, `superseded_at`
when a correction or retraction closed it. Nothing is updated in place except closing a version,
nothing is deleted. Child rows (aliases, participants, citations, claims) belong to one version,
so each version is complete on its own. Facts that hold over time also carry valid time: the EDTF
text as written (`valid`) and the four days derived from it by `eventdb.temporal`.
"""

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Dialect,
    ForeignKey,
    Index,
    MetaData,
    SmallInteger,
    String,
    Text,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import DateTime, TypeDecorator

from eventdb import vocabulary

# Deterministic constraint names, so Alembic can refer to them on both engines.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

CURRENT = text("superseded_at IS NULL")


class UTCDateTime(TypeDecorator[datetime]):
    """An instant: timezone-aware in Python, UTC in the database (SQLite has no time zones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"a naive datetime cannot be stored as an instant: {value!r}")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


class Identity:
    """The stable identity of a fact, shared by all its versions."""

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime]


class Versioned:
    """Transaction time: a row is one version of a fact, open until `superseded_at`."""

    id: Mapped[int] = mapped_column(primary_key=True)
    recorded_at: Mapped[datetime]
    superseded_at: Mapped[datetime | None]
    recorded_by: Mapped[str | None] = mapped_column(String(200))
    change_note: Mapped[str | None] = mapped_column(Text)
    # A hash of the content as recorded: a load of unchanged content writes nothing.
    fingerprint: Mapped[str] = mapped_column(String(64))
    # Who closed this version (by a correction or a retraction), and why.
    closed_by: Mapped[str | None] = mapped_column(String(200))
    closing_note: Mapped[str | None] = mapped_column(Text)


class ValidTime:
    """Valid time: the EDTF text as written and the possible days of its start and end."""

    valid: Mapped[str] = mapped_column(String(100))
    earliest_start: Mapped[date]
    latest_start: Mapped[date]
    earliest_end: Mapped[date]
    latest_end: Mapped[date]


def version_table_args(table: str, identity: str, *extra: Any) -> tuple[Any, ...]:
    """Constraints every version table has: one open version per fact, time runs forward."""
    return (
        Index(
            f"uq_{table}_current_{identity}",
            identity,
            unique=True,
            sqlite_where=CURRENT,
            postgresql_where=CURRENT,
        ),
        Index(f"ix_{table}_{identity}_recorded_at", identity, "recorded_at"),
        CheckConstraint(
            "superseded_at IS NULL OR superseded_at >= recorded_at", name="transaction_time"
        ),
        *extra,
    )


def valid_bounds() -> CheckConstraint:
    """The four days of valid time are in an order `temporal.FuzzyInterval` can produce."""
    return CheckConstraint(
        "earliest_start <= latest_start AND earliest_end <= latest_end"
        " AND earliest_start <= earliest_end AND latest_start <= latest_end",
        name="valid_bounds",
    )


def sparse_index(table: str, column: str) -> Index:
    """An index of a column that is mostly NULL, leaving the NULLs out: a row that does not
    use the column costs the index nothing on insert."""
    present = text(f"{column} IS NOT NULL")
    return Index(f"ix_{table}_{column}", column, sqlite_where=present, postgresql_where=present)


def value_in(column: str, values: tuple[str, ...]) -> CheckConstraint:
    """`column` holds one of a closed vocabulary's words."""
    words = ", ".join(f"'{value}'" for value in values)
    return CheckConstraint(f"{column} IN ({words})", name=column)


def one_of(*columns: str) -> CheckConstraint:
    """Exactly one of `columns` is set: a child row belongs to one parent of several kinds."""
    count = " + ".join(f"(CASE WHEN {column} IS NULL THEN 0 ELSE 1 END)" for column in columns)
    return CheckConstraint(f"{count} = 1", name="one_owner")


# Sources


class Source(Identity, Base):
    __tablename__ = "sources"


class SourceVersion(Versioned, Base):
    __tablename__ = "source_versions"
    __table_args__ = version_table_args(
        "source_versions",
        "source_id",
        CheckConstraint("published_earliest <= published_latest", name="published_bounds"),
    )

    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"))
    title: Mapped[str] = mapped_column(Text)
    publisher: Mapped[str | None] = mapped_column(Text)
    published: Mapped[str | None] = mapped_column(String(100))
    published_earliest: Mapped[date | None]
    published_latest: Mapped[date | None]
    url: Mapped[str | None] = mapped_column(Text)
    # What else is known of the document: a dateline, a photo credit, how it was obtained.
    notes: Mapped[str | None] = mapped_column(Text)


# Actors


class Actor(Identity, Base):
    __tablename__ = "actors"


class ActorVersion(Versioned, Base):
    __tablename__ = "actor_versions"
    __table_args__ = version_table_args(
        "actor_versions",
        "actor_id",
        value_in("kind", vocabulary.ACTOR_KINDS),
    )

    actor_id: Mapped[int] = mapped_column(ForeignKey("actors.id"))
    name: Mapped[str] = mapped_column(Text)
    name_key: Mapped[str] = mapped_column(Text, index=True)
    kind: Mapped[str] = mapped_column(String(40))


class ActorAlias(Base):
    __tablename__ = "actor_aliases"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_version_id: Mapped[int] = mapped_column(ForeignKey("actor_versions.id"), index=True)
    alias: Mapped[str] = mapped_column(Text)
    alias_key: Mapped[str] = mapped_column(Text, index=True)


# Locations


class Location(Identity, Base):
    __tablename__ = "locations"


class LocationVersion(Versioned, Base):
    __tablename__ = "location_versions"
    __table_args__ = version_table_args(
        "location_versions",
        "location_id",
        value_in("kind", vocabulary.LOCATION_KINDS),
        CheckConstraint(
            "(latitude IS NULL) = (longitude IS NULL)"
            " AND (latitude IS NULL OR latitude BETWEEN -90 AND 90)"
            " AND (longitude IS NULL OR longitude BETWEEN -180 AND 180)",
            name="coordinates",
        ),
        sparse_index("location_versions", "parent_id"),
    )

    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    name: Mapped[str] = mapped_column(Text)
    name_key: Mapped[str] = mapped_column(Text, index=True)
    kind: Mapped[str] = mapped_column(String(40))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"))
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]


class LocationAlias(Base):
    __tablename__ = "location_aliases"

    id: Mapped[int] = mapped_column(primary_key=True)
    location_version_id: Mapped[int] = mapped_column(ForeignKey("location_versions.id"), index=True)
    alias: Mapped[str] = mapped_column(Text)
    alias_key: Mapped[str] = mapped_column(Text, index=True)


# Relations over time


class Affiliation(Identity, Base):
    __tablename__ = "affiliations"


class AffiliationVersion(Versioned, ValidTime, Base):
    __tablename__ = "affiliation_versions"
    __table_args__ = version_table_args(
        "affiliation_versions",
        "affiliation_id",
        valid_bounds(),
        value_in("kind", vocabulary.AFFILIATION_KINDS),
        CheckConstraint("actor_id <> target_id", name="two_actors"),
        Index("ix_affiliation_versions_actor_days", "actor_id", "earliest_start", "latest_end"),
        Index("ix_affiliation_versions_target_days", "target_id", "earliest_start", "latest_end"),
    )

    affiliation_id: Mapped[int] = mapped_column(ForeignKey("affiliations.id"))
    actor_id: Mapped[int] = mapped_column(ForeignKey("actors.id"))
    kind: Mapped[str] = mapped_column(String(40))
    target_id: Mapped[int] = mapped_column(ForeignKey("actors.id"))


class Control(Identity, Base):
    __tablename__ = "controls"


class ControlVersion(Versioned, ValidTime, Base):
    """An actor controls (or contests) a location over valid time.

    On PostgreSQL the migration adds an exclusion constraint: two actors' open `controls` rows for
    one location may not share a definite day (see migrations/versions/0001_initial.py).
    """

    __tablename__ = "control_versions"
    __table_args__ = version_table_args(
        "control_versions",
        "control_id",
        valid_bounds(),
        value_in("status", vocabulary.CONTROL_STATUSES),
        Index("ix_control_versions_location_days", "location_id", "earliest_start", "latest_end"),
        Index("ix_control_versions_actor_days", "actor_id", "earliest_start", "latest_end"),
        sparse_index("control_versions", "started_by_event_id"),
        sparse_index("control_versions", "ended_by_event_id"),
    )

    control_id: Mapped[int] = mapped_column(ForeignKey("controls.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    actor_id: Mapped[int] = mapped_column(ForeignKey("actors.id"))
    status: Mapped[str] = mapped_column(String(20))
    # The events that began and ended this spell of control, when known.
    started_by_event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"))
    ended_by_event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"))


# Events


class Event(Identity, Base):
    __tablename__ = "events"


class EventVersion(Versioned, ValidTime, Base):
    __tablename__ = "event_versions"
    __table_args__ = version_table_args(
        "event_versions",
        "event_id",
        valid_bounds(),
        CheckConstraint(
            "(fatalities_best IS NULL OR fatalities_best >= 0)"
            " AND (fatalities_low IS NULL OR fatalities_low >= 0)"
            " AND (fatalities_high IS NULL OR fatalities_high >= 0)",
            name="fatalities",
        ),
        CheckConstraint(
            "location_precision IS NULL OR location_precision BETWEEN 1 AND 7",
            name="location_precision",
        ),
        Index("ix_event_versions_days", "earliest_start", "latest_end"),
        Index("ix_event_versions_location_days", "location_id", "earliest_start"),
    )

    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"))
    title: Mapped[str] = mapped_column(Text)
    title_key: Mapped[str] = mapped_column(Text, index=True)
    kind: Mapped[str] = mapped_column(String(60))
    location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"))
    # As UCDP records them; low <= best <= high is expected but not enforced (real data breaks it).
    fatalities_best: Mapped[int | None]
    fatalities_low: Mapped[int | None]
    fatalities_high: Mapped[int | None]
    # Who the dead were: side A's, side B's, civilians, unknown (UCDP's breakdown of `best`).
    deaths_side_a: Mapped[int | None]
    deaths_side_b: Mapped[int | None]
    deaths_civilians: Mapped[int | None]
    deaths_unknown: Mapped[int | None]
    # How precisely the location is known, on UCDP's scale: 1 the exact place ... 7 at sea.
    location_precision: Mapped[int | None] = mapped_column(SmallInteger)
    # What a dataset records that has no column of its own (UCDP's conflict, dyad, date precision).
    properties: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class EventParticipant(Base):
    __tablename__ = "event_participants"
    __table_args__ = (
        Index("uq_event_participants_role", "event_version_id", "actor_id", "role", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_version_id: Mapped[int] = mapped_column(ForeignKey("event_versions.id"))
    actor_id: Mapped[int] = mapped_column(ForeignKey("actors.id"), index=True)
    role: Mapped[str] = mapped_column(String(60))


class Claim(Base):
    """A value for one of an event's fields that other sources give instead of the accepted one."""

    __tablename__ = "claims"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_version_id: Mapped[int] = mapped_column(ForeignKey("event_versions.id"), index=True)
    field: Mapped[str] = mapped_column(String(60))
    value: Mapped[str] = mapped_column(Text)


# What ties facts to sources, and outside identifiers to facts


CITATION_OWNERS = (
    "actor_version_id",
    "location_version_id",
    "affiliation_version_id",
    "control_version_id",
    "event_version_id",
    "claim_id",
)
IDENTIFIED_OWNERS = ("actor_version_id", "location_version_id", "event_version_id")


class Citation(Base):
    """A source reporting one version of a fact (or one alternative claim)."""

    __tablename__ = "citations"
    __table_args__ = (
        one_of(*CITATION_OWNERS),
        value_in("confidence", vocabulary.CONFIDENCES),
        *(sparse_index("citations", owner) for owner in CITATION_OWNERS),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"), index=True)
    quote: Mapped[str | None] = mapped_column(Text)
    confidence: Mapped[str] = mapped_column(String(20))
    actor_version_id: Mapped[int | None] = mapped_column(ForeignKey("actor_versions.id"))
    location_version_id: Mapped[int | None] = mapped_column(ForeignKey("location_versions.id"))
    affiliation_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("affiliation_versions.id")
    )
    control_version_id: Mapped[int | None] = mapped_column(ForeignKey("control_versions.id"))
    event_version_id: Mapped[int | None] = mapped_column(ForeignKey("event_versions.id"))
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id"))


class ExternalId(Base):
    """An identifier another dataset gives a fact (`ucdp:144`, `wikidata:Q31`)."""

    __tablename__ = "external_ids"
    __table_args__ = (
        one_of(*IDENTIFIED_OWNERS),
        *(sparse_index("external_ids", owner) for owner in IDENTIFIED_OWNERS),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
    value_key: Mapped[str] = mapped_column(String(200), index=True)
    actor_version_id: Mapped[int | None] = mapped_column(ForeignKey("actor_versions.id"))
    location_version_id: Mapped[int | None] = mapped_column(ForeignKey("location_versions.id"))
    event_version_id: Mapped[int | None] = mapped_column(ForeignKey("event_versions.id"))


# Who may write


class Token(Base):
    """A bearer token for writing through the API. Only a hash of it is kept; its name is
    written into every version recorded with it, as the author."""

    __tablename__ = "tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]

    __table_args__ = (
        # One live token per name; revoked ones stay, for the record.
        Index(
            "uq_tokens_live_name",
            "name",
            unique=True,
            sqlite_where=text("revoked_at IS NULL"),
            postgresql_where=text("revoked_at IS NULL"),
        ),
    )
