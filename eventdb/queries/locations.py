"""Places inside places: a location's whole subtree, as the database knew it."""

import functools
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, literal, select
from sqlalchemy.engine import Connection

from eventdb.db.models import LocationVersion
from eventdb.queries.statements import visible

# Deeper than any real hierarchy (country, region, district, city, site), and a guard against a
# cycle that slipped in past the loader.
MAX_DEPTH = 32


def subtree(connection: Connection, root_id: int, at: datetime | None) -> set[int]:
    """`root_id` and every location within it, at any depth."""
    rows = connection.execute(_subtree(at is not None), {"root": root_id, "at": at})
    return {row[0] for row in rows}


@functools.cache
def _subtree(known: bool) -> Select[tuple[Any]]:
    root = bindparam("root", type_=LocationVersion.location_id.type)
    tree = select(root.label("id"), literal(0).label("depth")).cte("tree", recursive=True)
    child = (
        select(LocationVersion.location_id, tree.c.depth + 1)
        .join(tree, LocationVersion.parent_id == tree.c.id)
        .where(visible(LocationVersion, known), tree.c.depth < MAX_DEPTH)
    )
    tree = tree.union(child)
    return select(tree.c.id)
