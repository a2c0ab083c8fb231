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


SLOW_AFTER_THE_FIRST_ROW = """
WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n)
SELECT x FROM n WHERE x = 1 OR x % 10000000 = 0 LIMIT 3
"""


async def test_the_statement_timeout_covers_fetching_rows_after_the_first(
    tmp_path: Path,
) -> None:
    # The stdlib driver computes rows after the first one as they are fetched: a statement whose
    # first row comes at once must still be cut off while the rest are computed.
    settings = Settings.load(database_url=f"sqlite:///{tmp_path / 'eventdb.sqlite3'}")
    engine = create_engine(settings)
    await migrate.upgrade(engine)
    reads = SqliteReads(engine.url, busy_timeout_ms=5_000, statement_timeout_ms=200)
    try:
        with reads.connect() as connection:
            result = connection.execute(text(SLOW_AFTER_THE_FIRST_ROW))
            with pytest.raises(OperationalError, match="interrupted"):
                result.all()
        with reads.connect() as connection:  # the next reader is not interrupted
            assert connection.execute(text("SELECT count(*) FROM events")).scalar_one() == 0
    finally:
        reads.dispose()
        await engine.dispose()
