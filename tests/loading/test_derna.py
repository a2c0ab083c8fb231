"""The article as data: it loads, reloads as a no-op, and answers the questions it was built for."""

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from eventdb import loading
from eventdb.temporal import Certainty
from tests.helpers import DERNA, holders, load, snapshot, write


async def test_the_article_loads_and_loading_it_again_changes_nothing(engine: AsyncEngine) -> None:
    first = await load(engine, DERNA)
    assert first.counts["actor"]["added"] == 16
    assert first.counts["control"]["added"] == 4
    assert first.counts["event"]["added"] == 9
    assert first.warnings == []
    before = await snapshot(engine)

    again = await load(engine, DERNA)
    assert not again.changed
    assert all(counts["added"] == 0 for counts in again.counts.values())
    assert again.counts["source"]["unchanged"] == first.counts["source"]["added"]
    assert await snapshot(engine) == before


async def test_derna_on_2015_03_01_is_held_by_isis_definitely(engine: AsyncEngine) -> None:
    await load(engine, DERNA)
    held, contested = await holders(engine, "Darnah", date(2015, 3, 1))
    assert held == [("isis", "controls", Certainty.DEFINITE)]
    assert not contested


async def test_in_june_2015_isis_only_possibly_holds_derna_and_it_is_contested(
    engine: AsyncEngine,
) -> None:
    await load(engine, DERNA)
    held, contested = await holders(engine, "derna", date(2015, 6, 15))
    assert set(held) == {
        ("isis", "controls", Certainty.POSSIBLE),
        ("isis", "contested", Certainty.POSSIBLE),
        ("shura-council-derna", "contested", Certainty.POSSIBLE),
    }
    assert contested


async def test_after_the_loss_the_shura_council_holds_the_city(engine: AsyncEngine) -> None:
    await load(engine, DERNA)
    held, _ = await holders(engine, "DERNA", date(2017, 1, 1))
    assert held == [("shura-council-derna", "controls", Certainty.DEFINITE)]


async def test_a_large_load_leaves_postgresql_fresh_statistics(
    postgres_engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    analyzed = text(
        "SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables "
        "WHERE relname = 'control_versions'"
    )
    await load(postgres_engine, DERNA)  # under ANALYZE_AFTER facts: no ANALYZE
    async with postgres_engine.connect() as connection:
        assert not await connection.scalar(analyzed)
    # A load of ANALYZE_AFTER facts or more is followed by ANALYZE (made 1 here, not 10,000).
    monkeypatch.setattr(loading, "ANALYZE_AFTER", 1)
    more = write(tmp_path, "more.jsonl", '{"type": "source", "id": "more", "title": "More"}\n')
    await load(postgres_engine, more)
    async with postgres_engine.connect() as connection:
        assert await connection.scalar(analyzed)
