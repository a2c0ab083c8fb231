"""The article as data: it loads, reloads as a no-op, and answers the questions it was built for."""

from datetime import date

from sqlalchemy.ext.asyncio import AsyncEngine

from eventdb.queries.control import state_of
from eventdb.queries.refs import resolve
from eventdb.temporal import Certainty
from tests.helpers import DERNA, load, snapshot


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
    async with engine.connect() as connection:
        derna = await resolve(connection, "location", "Darnah")
        state = await state_of(connection, derna, date(2015, 3, 1))
    assert [(c.actor_slug, c.status, c.certainty) for c in state.controllers] == [
        ("isis", "controls", Certainty.DEFINITE)
    ]
    assert not state.contested
    assert {c.source_slug for c in state.controllers[0].citations} >= {"article"}


async def test_in_june_2015_isis_only_possibly_holds_derna_and_it_is_contested(
    engine: AsyncEngine,
) -> None:
    await load(engine, DERNA)
    async with engine.connect() as connection:
        derna = await resolve(connection, "location", "derna")
        state = await state_of(connection, derna, date(2015, 6, 15))
    held = {(c.actor_slug, c.status): c.certainty for c in state.controllers}
    assert held == {
        ("isis", "controls"): Certainty.POSSIBLE,
        ("isis", "contested"): Certainty.POSSIBLE,
        ("shura-council-derna", "contested"): Certainty.POSSIBLE,
    }
    assert state.contested


async def test_after_the_loss_the_shura_council_holds_the_city(engine: AsyncEngine) -> None:
    await load(engine, DERNA)
    async with engine.connect() as connection:
        derna = await resolve(connection, "location", "DERNA")
        state = await state_of(connection, derna, date(2017, 1, 1))
    assert [(c.actor_slug, c.certainty) for c in state.controllers] == [
        ("shura-council-derna", Certainty.DEFINITE)
    ]
