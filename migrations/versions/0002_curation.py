"""Curation: bearer tokens for writing through the API (stored as hashes), and who closed each
version and why (a retraction has no successor to say so).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = sa.text("revoked_at IS NULL")
VERSION_TABLES = (
    "source_versions",
    "actor_versions",
    "location_versions",
    "affiliation_versions",
    "control_versions",
    "event_versions",
)


def upgrade() -> None:
    op.create_table(
        "tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_tokens_token_hash")),
    )
    op.create_index(
        "uq_tokens_live_name",
        "tokens",
        ["name"],
        unique=True,
        sqlite_where=LIVE,
        postgresql_where=LIVE,
    )
    for table in VERSION_TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("closed_by", sa.String(length=200), nullable=True))
            batch.add_column(sa.Column("closing_note", sa.Text(), nullable=True))


def downgrade() -> None:
    for table in VERSION_TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("closing_note")
            batch.drop_column("closed_by")
    op.drop_table("tokens")
