"""What several test modules share: a fingerprint of the whole database, and writing fixtures."""

import hashlib
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from eventdb.db.models import Base
from eventdb.loading import LoadReport, load_files

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
