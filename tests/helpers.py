"""What several test modules share: a fingerprint of the whole database, and writing fixtures."""

import hashlib
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from eventdb.db.models import Base
from eventdb.loading import LoadReport, load_files
from eventdb.queries import control, facts, refs
from eventdb.temporal import Certainty

FIXTURES = Path(__file__).parent.parent / "fixtures"
DERNA = FIXTURES / "derna.yaml"


async def snapshot(engine: AsyncEngine) -> dict[str, tuple[int, str]]:
    """Row count and a hash of every row, per table: equal snapshots mean nothing changed."""
    tables = {}
    async with engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            rows = (await connection.execute(select(table).order_by(*table.primary_key))).all()
            digest = hashlib.sha256(repr(rows).encode()).hexdigest()
            tables[table.name] = (len(rows), digest)
    return tables


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


async def load(engine: AsyncEngine, *paths: Path, **options: Any) -> LoadReport:
    return await load_files(engine, list(paths), **options)


async def holders(
    engine: AsyncEngine, place: str, day: date, at: datetime | None = None
) -> tuple[list[tuple[str, str, Certainty]], bool]:
    """Who may hold `place` on `day` (actor slug, status, certainty), and whether it is contested,
    asked of the query layer directly."""

    def ask(connection: Connection) -> tuple[control.LocationState, dict[int, facts.ActorView]]:
        location_id = refs.resolve(connection, "location", place, at)
        state = control.held_at_locations(connection, [location_id], day, at)[location_id]
        return state, facts.actors(connection, {h.control.actor_id for h in state.controllers}, at)

    async with engine.connect() as connection:
        state, actors = await connection.run_sync(ask)
    held = [
        (actors[h.control.actor_id].slug, h.control.status, h.certainty) for h in state.controllers
    ]
    return held, state.contested
