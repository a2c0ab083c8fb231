"""Initial schema: facts with identities and versions, valid time, transaction time, citations.

Drafted with autogenerate, then rewritten by hand: tables in dependency order, the shared column
groups written once, and the PostgreSQL exclusion constraint autogenerate cannot express.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.sql.schema import SchemaItem

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTOR_KINDS = ("armed_group", "state", "government", "coalition", "organization", "person", "media")
LOCATION_KINDS = ("country", "region", "city", "district", "site")
AFFILIATION_KINDS = (
    "member_of",
    "branch_of",
    "affiliated_with",
    "allied_with",
    "at_war_with",
    "opposes",
    "commands",
    "loyal_to",
    "leads",
)
CONTROL_STATUSES = ("controls", "contested")
CONFIDENCES = ("confirmed", "reported", "claimed", "suspected", "disputed")

IDENTITY_TABLES = ("sources", "actors", "locations", "affiliations", "controls", "events")
CURRENT = sa.text("superseded_at IS NULL")


def _value_in(table: str, column: str, values: tuple[str, ...]) -> sa.CheckConstraint:
    words = ", ".join(f"'{value}'" for value in values)
    return sa.CheckConstraint(f"{column} IN ({words})", name=op.f(f"ck_{table}_{column}"))


def _one_of(table: str, *columns: str) -> sa.CheckConstraint:
    count = " + ".join(f"(CASE WHEN {column} IS NULL THEN 0 ELSE 1 END)" for column in columns)
    return sa.CheckConstraint(f"{count} = 1", name=op.f(f"ck_{table}_one_owner"))


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}")
    )


def _transaction_time(table: str) -> list[SchemaItem]:
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recorded_by", sa.String(length=200), nullable=True),
        sa.Column("change_note", sa.Text(), nullable=True),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        sa.CheckConstraint(
            "superseded_at IS NULL OR superseded_at >= recorded_at",
            name=op.f(f"ck_{table}_transaction_time"),
        ),
    ]


def _valid_time(table: str) -> list[SchemaItem]:
    return [
        sa.Column("valid", sa.String(length=100), nullable=False),
        sa.Column("earliest_start", sa.Date(), nullable=False),
        sa.Column("latest_start", sa.Date(), nullable=False),
        sa.Column("earliest_end", sa.Date(), nullable=False),
        sa.Column("latest_end", sa.Date(), nullable=False),
        sa.CheckConstraint(
            "earliest_start <= latest_start AND earliest_end <= latest_end"
            " AND earliest_start <= earliest_end AND latest_start <= latest_end",
            name=op.f(f"ck_{table}_valid_bounds"),
        ),
    ]


def _version_table(table: str, identity_table: str, *items: SchemaItem) -> None:
    """A version table: `<identity>_id` to the fact, its columns, and transaction time."""
    identity = f"{identity_table[:-1]}_id"
    op.create_table(
        table,
        sa.Column(identity, sa.Integer(), nullable=False),
        _fk(table, identity, identity_table),
        *items,
        *_transaction_time(table),
    )
    # At most one open version per fact; a concurrent second correction fails here.
    op.create_index(
        f"uq_{table}_current_{identity}",
        table,
        [identity],
        unique=True,
        sqlite_where=CURRENT,
        postgresql_where=CURRENT,
    )
    op.create_index(f"ix_{table}_{identity}_recorded_at", table, [identity, "recorded_at"])


def _child_table(table: str, *items: SchemaItem) -> None:
    op.create_table(
        table,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        *items,
    )


def _index(table: str, *columns: str) -> None:
    op.create_index(op.f(f"ix_{table}_{'_'.join(columns)}"), table, list(columns))


def _sparse_index(table: str, column: str) -> None:
    """A mostly-NULL column's index without the NULLs: rows that leave it empty cost nothing."""
    present = sa.text(f"{column} IS NOT NULL")
    op.create_index(
        f"ix_{table}_{column}", table, [column], sqlite_where=present, postgresql_where=present
    )


def upgrade() -> None:
    for table in IDENTITY_TABLES:
        op.create_table(
            table,
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("slug", sa.String(length=200), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
            sa.UniqueConstraint("slug", name=op.f(f"uq_{table}_slug")),
        )

    _version_table(
        "source_versions",
        "sources",
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("publisher", sa.Text(), nullable=True),
        sa.Column("published", sa.String(length=100), nullable=True),
        sa.Column("published_earliest", sa.Date(), nullable=True),
        sa.Column("published_latest", sa.Date(), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "published_earliest <= published_latest",
            name=op.f("ck_source_versions_published_bounds"),
        ),
    )

    _version_table(
        "actor_versions",
        "actors",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("name_key", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        _value_in("actor_versions", "kind", ACTOR_KINDS),
    )
    _index("actor_versions", "name_key")

    _version_table(
        "location_versions",
        "locations",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("name_key", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("latitude", sa.Double(), nullable=True),
        sa.Column("longitude", sa.Double(), nullable=True),
        _fk("location_versions", "parent_id", "locations"),
        _value_in("location_versions", "kind", LOCATION_KINDS),
        sa.CheckConstraint(
            "(latitude IS NULL) = (longitude IS NULL)"
            " AND (latitude IS NULL OR latitude BETWEEN -90 AND 90)"
            " AND (longitude IS NULL OR longitude BETWEEN -180 AND 180)",
            name=op.f("ck_location_versions_coordinates"),
        ),
    )
    _index("location_versions", "name_key")
    _sparse_index("location_versions", "parent_id")

    _version_table(
        "affiliation_versions",
        "affiliations",
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        *_valid_time("affiliation_versions"),
        _fk("affiliation_versions", "actor_id", "actors"),
        _fk("affiliation_versions", "target_id", "actors"),
        _value_in("affiliation_versions", "kind", AFFILIATION_KINDS),
        sa.CheckConstraint(
            "actor_id <> target_id", name=op.f("ck_affiliation_versions_two_actors")
        ),
    )
    for side in ("actor", "target"):
        op.create_index(
            f"ix_affiliation_versions_{side}_days",
            "affiliation_versions",
            [f"{side}_id", "earliest_start", "latest_end"],
        )

    _version_table(
        "event_versions",
        "events",
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("title_key", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=60), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=True),
        sa.Column("fatalities_best", sa.Integer(), nullable=True),
        sa.Column("fatalities_low", sa.Integer(), nullable=True),
        sa.Column("fatalities_high", sa.Integer(), nullable=True),
        *_valid_time("event_versions"),
        _fk("event_versions", "location_id", "locations"),
        sa.CheckConstraint(
            "(fatalities_best IS NULL OR fatalities_best >= 0)"
            " AND (fatalities_low IS NULL OR fatalities_low >= 0)"
            " AND (fatalities_high IS NULL OR fatalities_high >= 0)",
            name=op.f("ck_event_versions_fatalities"),
        ),
    )
    _index("event_versions", "title_key")
    op.create_index("ix_event_versions_days", "event_versions", ["earliest_start", "latest_end"])
    op.create_index(
        "ix_event_versions_location_days", "event_versions", ["location_id", "earliest_start"]
    )

    _version_table(
        "control_versions",
        "controls",
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("started_by_event_id", sa.Integer(), nullable=True),
        sa.Column("ended_by_event_id", sa.Integer(), nullable=True),
        *_valid_time("control_versions"),
        _fk("control_versions", "location_id", "locations"),
        _fk("control_versions", "actor_id", "actors"),
        _fk("control_versions", "started_by_event_id", "events"),
        _fk("control_versions", "ended_by_event_id", "events"),
        _value_in("control_versions", "status", CONTROL_STATUSES),
    )
    for column in ("location", "actor"):
        op.create_index(
            f"ix_control_versions_{column}_days",
            "control_versions",
            [f"{column}_id", "earliest_start", "latest_end"],
        )
    _sparse_index("control_versions", "started_by_event_id")
    _sparse_index("control_versions", "ended_by_event_id")

    for owner in ("actor", "location"):
        table = f"{owner}_aliases"
        _child_table(
            table,
            sa.Column(f"{owner}_version_id", sa.Integer(), nullable=False),
            sa.Column("alias", sa.Text(), nullable=False),
            sa.Column("alias_key", sa.Text(), nullable=False),
            _fk(table, f"{owner}_version_id", f"{owner}_versions"),
        )
        _index(table, f"{owner}_version_id")
        _index(table, "alias_key")

    _child_table(
        "event_participants",
        sa.Column("event_version_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=60), nullable=False),
        _fk("event_participants", "event_version_id", "event_versions"),
        _fk("event_participants", "actor_id", "actors"),
    )
    _index("event_participants", "actor_id")
    op.create_index(
        "uq_event_participants_role",
        "event_participants",
        ["event_version_id", "actor_id", "role"],
        unique=True,
    )

    _child_table(
        "claims",
        sa.Column("event_version_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=60), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        _fk("claims", "event_version_id", "event_versions"),
    )
    _index("claims", "event_version_id")

    cited = ("actor", "location", "affiliation", "control", "event")
    citation_owners = [f"{owner}_version_id" for owner in cited] + ["claim_id"]
    _child_table(
        "citations",
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("quote", sa.Text(), nullable=True),
        sa.Column("confidence", sa.String(length=20), nullable=False),
        *(sa.Column(column, sa.Integer(), nullable=True) for column in citation_owners),
        _fk("citations", "source_id", "sources"),
        *(_fk("citations", f"{owner}_version_id", f"{owner}_versions") for owner in cited),
        _fk("citations", "claim_id", "claims"),
        _value_in("citations", "confidence", CONFIDENCES),
        _one_of("citations", *citation_owners),
    )
    _index("citations", "source_id")
    for column in citation_owners:
        _sparse_index("citations", column)

    identified = ("actor", "location", "event")
    external_owners = [f"{owner}_version_id" for owner in identified]
    _child_table(
        "external_ids",
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.Column("value_key", sa.String(length=200), nullable=False),
        *(sa.Column(column, sa.Integer(), nullable=True) for column in external_owners),
        *(_fk("external_ids", f"{owner}_version_id", f"{owner}_versions") for owner in identified),
        _one_of("external_ids", *external_owners),
    )
    _index("external_ids", "value_key")
    for column in external_owners:
        _sparse_index("external_ids", column)

    if op.get_bind().dialect.name == "postgresql":
        _add_definite_control_exclusion()


def _add_definite_control_exclusion() -> None:
    """PostgreSQL refuses two actors' open `controls` rows for one place on a shared definite day.

    A row's definite days run from its latest possible start to its earliest possible end; when
    those cross, it has none (an empty range overlaps nothing). `contested` rows and closed
    versions are left out, as DESIGN.md's control rule says.
    """
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    op.execute(
        """
        ALTER TABLE control_versions
        ADD CONSTRAINT ex_control_versions_definite_control
        EXCLUDE USING gist (
            location_id WITH =,
            actor_id WITH <>,
            (CASE WHEN latest_start <= earliest_end
                  THEN daterange(latest_start, earliest_end, '[]')
                  ELSE 'empty'::daterange END) WITH &&
        )
        WHERE (status = 'controls' AND superseded_at IS NULL)
        """
    )


def downgrade() -> None:
    # Children before parents; dropping control_versions drops its exclusion constraint. The
    # btree_gist extension stays: other schemas in the database may use it.
    for table in (
        "external_ids",
        "citations",
        "claims",
        "event_participants",
        "location_aliases",
        "actor_aliases",
        "control_versions",
        "event_versions",
        "affiliation_versions",
        "location_versions",
        "actor_versions",
        "source_versions",
        *reversed(IDENTITY_TABLES),
    ):
        op.drop_table(table)
