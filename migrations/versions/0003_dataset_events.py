"""Events as datasets record them: the death breakdown, location precision, dataset properties;
and `civilians`, the kind of actor one-sided violence is done to.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = ("armed_group", "state", "government", "coalition", "organization", "person", "media")
DEATHS = ("deaths_side_a", "deaths_side_b", "deaths_civilians", "deaths_unknown")


def _kinds(kinds: tuple[str, ...]) -> str:
    return "kind IN ({})".format(", ".join(f"'{kind}'" for kind in kinds))


def upgrade() -> None:
    with op.batch_alter_table("event_versions") as batch:
        for column in DEATHS:
            batch.add_column(sa.Column(column, sa.Integer(), nullable=True))
        batch.add_column(sa.Column("location_precision", sa.SmallInteger(), nullable=True))
        batch.add_column(sa.Column("properties", sa.JSON(), nullable=True))
        batch.create_check_constraint(
            "location_precision",
            "location_precision IS NULL OR location_precision BETWEEN 1 AND 7",
        )
    with op.batch_alter_table("actor_versions") as batch:
        batch.drop_constraint(op.f("ck_actor_versions_kind"), type_="check")
        batch.create_check_constraint("kind", _kinds((*KINDS, "civilians")))


def downgrade() -> None:
    with op.batch_alter_table("actor_versions") as batch:
        batch.drop_constraint(op.f("ck_actor_versions_kind"), type_="check")
        batch.create_check_constraint("kind", _kinds(KINDS))
    with op.batch_alter_table("event_versions") as batch:
        batch.drop_constraint(op.f("ck_event_versions_location_precision"), type_="check")
        batch.drop_column("properties")
        batch.drop_column("location_precision")
        for column in reversed(DEATHS):
            batch.drop_column(column)
