"""The path requests read SQLite through: read-only, one snapshot per connection."""

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from eventdb.config import Settings
from eventdb.db import migrate
from eventdb.db.engine import SqliteReads, create_engine
from tests.helpers import DERNA, load


async def test_a_read_connection_cannot_write_and_keeps_its_snapshot(tmp_path: Path) -> None:
    settings = Settings.load(database_url=f"sqlite:///{tmp_path / 'eventdb.sqlite3'}")
    engine = create_engine(settings)
    await migrate.upgrade(engine)
    reads = SqliteReads.of(engine, settings)
    assert reads is not None
    try:
        connection = reads.connect()
        with pytest.raises(OperationalError, match="readonly"):
            connection.execute(text("DELETE FROM sources"))
        before = connection.execute(text("SELECT count(*) FROM events")).scalar_one()
        await load(engine, DERNA)  # committed by another connection meanwhile
        assert connection.execute(text("SELECT count(*) FROM events")).scalar_one() == before
        connection.close()
        with reads.connect() as fresh:
            assert fresh.execute(text("SELECT count(*) FROM events")).scalar_one() > before
    finally:
        reads.dispose()
        await engine.dispose()
