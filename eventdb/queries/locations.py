"""Places inside places: a location's whole subtree, as the database knew it."""

from datetime import datetime

from sqlalchemy import literal, select
from sqlalchemy.ext.asyncio import AsyncConnection

from eventdb.db.models import LocationVersion
from eventdb.db.versioning import known_at

# Deeper than any real hierarchy (country, region, district, city, site), and a guard against a
# cycle that slipped in past the loader.
MAX_DEPTH = 32


async def subtree(connection: AsyncConnection, root_id: int, at: datetime | None) -> set[int]:
    """`root_id` and every location within it, at any depth."""
    tree = select(literal(root_id).label("id"), literal(0).label("depth")).cte(
        "tree", recursive=True
    )
    child = (
        select(LocationVersion.location_id, tree.c.depth + 1)
        .join(tree, LocationVersion.parent_id == tree.c.id)
        .where(known_at(LocationVersion, at), tree.c.depth < MAX_DEPTH)
    )
    tree = tree.union(child)
    return {row[0] for row in await connection.execute(select(tree.c.id))}
