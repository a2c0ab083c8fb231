"""What the database itself guarantees, on both engines, whatever code writes to it."""

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import IntegrityError, OperationalError, StatementError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from eventdb.config import Settings
from eventdb.db.engine import SQLITE_BEGIN, create_engine
from eventdb.db.models import Actor, ActorVersion, Control, ControlVersion, Location
from eventdb.temporal import parse_interval

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)


async def add_actor(connection: AsyncConnection, slug: str) -> int:
    actor_id = await connection.scalar(
        insert(Actor).values(slug=slug, created_at=NOW).returning(Actor.id)
    )
    assert actor_id is not None
    await connection.execute(
        insert(ActorVersion).values(
            actor_id=actor_id,
            name=slug,
            name_key=slug,
            kind="armed_group",
            recorded_at=NOW,
            fingerprint="test",
        )
    )
    return actor_id


async def add_control(
    connection: AsyncConnection,
    location_id: int,
    actor_id: int,
    valid: str,
    status: str = "controls",
    superseded_at: datetime | None = None,
) -> None:
    fact = parse_interval(valid)
    control_id = await connection.scalar(
        insert(Control)
        .values(slug=f"control-{location_id}-{actor_id}-{valid}-{status}", created_at=NOW)
        .returning(Control.id)
    )
    await connection.execute(
        insert(ControlVersion).values(
            control_id=control_id,
            location_id=location_id,
            actor_id=actor_id,
            status=status,
            valid=fact.text,
            earliest_start=fact.earliest_start,
            latest_start=fact.latest_start,
            earliest_end=fact.earliest_end,
            latest_end=fact.latest_end,
            recorded_at=NOW,
            superseded_at=superseded_at,
            fingerprint="test",
        )
    )


async def test_sqlite_connections_enforce_keys_use_wal_and_wait_when_busy(
    sqlite_engine: AsyncEngine,
) -> None:
    async with sqlite_engine.connect() as connection:
        pragmas = {
            name: await connection.scalar(text(f"PRAGMA {name}"))
            for name in ("foreign_keys", "journal_mode", "busy_timeout")
        }
    assert pragmas == {"foreign_keys": 1, "journal_mode": "wal", "busy_timeout": 5000}


async def test_a_reference_to_nothing_is_refused(engine: AsyncEngine) -> None:
    with pytest.raises(IntegrityError):
        async with engine.begin() as connection:
            await connection.execute(
                insert(ActorVersion).values(
                    actor_id=999,
                    name="x",
                    name_key="x",
                    kind="person",
                    recorded_at=NOW,
                    fingerprint="test",
                )
            )


async def test_instants_come_back_aware_and_in_utc(engine: AsyncEngine) -> None:
    cairo = timezone(timedelta(hours=2))
    written = datetime(2015, 6, 14, 9, 30, 15, 123456, tzinfo=cairo)
    async with engine.begin() as connection:
        await connection.execute(insert(Actor).values(slug="a", created_at=written))
        read = await connection.scalar(select(Actor.created_at))
    assert read == written
    assert read is not None
    assert read.tzinfo == UTC


async def test_a_naive_instant_is_refused(engine: AsyncEngine) -> None:
    with pytest.raises(StatementError, match="naive datetime"):
        async with engine.begin() as connection:
            await connection.execute(
                insert(Actor).values(slug="a", created_at=datetime(2015, 6, 14))
            )


async def test_a_fact_has_at_most_one_open_version(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        actor_id = await add_actor(connection, "isis")
        closed: dict[str, Any] = {
            "actor_id": actor_id,
            "name": "ISIL",
            "name_key": "isil",
            "kind": "armed_group",
            "recorded_at": NOW - timedelta(days=1),
            "superseded_at": NOW,
            "fingerprint": "test",
        }
        await connection.execute(insert(ActorVersion).values(**closed))
    with pytest.raises(IntegrityError):
        async with engine.begin() as connection:
            await add_actor_version_again(connection, actor_id)


async def add_actor_version_again(connection: AsyncConnection, actor_id: int) -> None:
    await connection.execute(
        insert(ActorVersion).values(
            actor_id=actor_id,
            name="IS",
            name_key="is",
            kind="armed_group",
            recorded_at=NOW,
            fingerprint="test",
        )
    )


async def test_time_cannot_run_backwards_for_a_version(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        actor_id = await connection.scalar(
            insert(Actor).values(slug="a", created_at=NOW).returning(Actor.id)
        )
    with pytest.raises(IntegrityError):
        async with engine.begin() as connection:
            await connection.execute(
                insert(ActorVersion).values(
                    actor_id=actor_id,
                    name="a",
                    name_key="a",
                    kind="person",
                    recorded_at=NOW,
                    superseded_at=NOW - timedelta(seconds=1),
                    fingerprint="test",
                )
            )


async def test_an_immediate_transaction_holds_the_sqlite_write_lock(
    sqlite_engine: AsyncEngine, sqlite_url: URL
) -> None:
    impatient = create_engine(Settings(database_url=sqlite_url, sqlite_busy_timeout_ms=50))
    try:
        async with sqlite_engine.connect() as holder:
            holder = await holder.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"})
            async with holder.begin(), impatient.connect() as other:
                other = await other.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"})
                with pytest.raises(OperationalError, match="locked"):
                    await other.begin()
    finally:
        await impatient.dispose()


# The control rule, enforced by PostgreSQL itself.


@pytest.fixture
async def derna(postgres_engine: AsyncEngine) -> tuple[int, int, int]:
    async with postgres_engine.begin() as connection:
        location_id = await connection.scalar(
            insert(Location).values(slug="derna", created_at=NOW).returning(Location.id)
        )
        assert location_id is not None
        return (
            location_id,
            await add_actor(connection, "isis"),
            await add_actor(connection, "shura-council"),
        )


async def test_postgres_refuses_two_actors_definitely_controlling_one_place_on_a_day(
    postgres_engine: AsyncEngine, derna: tuple[int, int, int]
) -> None:
    location, isis, shura = derna
    async with postgres_engine.begin() as connection:
        await add_control(connection, location, isis, "2014-11/2016-04")
    with pytest.raises(IntegrityError, match="ex_control_versions_definite_control"):
        async with postgres_engine.begin() as connection:
            await add_control(connection, location, shura, "2016-03/..")


@pytest.mark.parametrize(
    ("valid", "status", "closed"),
    [
        ("2016-03/..", "contested", False),  # contested rows may overlap anything
        ("2016-03/..", "controls", True),  # a closed version no longer holds
        ("2016-04/..", "controls", False),  # April 2016 is only possibly shared
        ("2016-05/..", "controls", False),  # no shared day at all
    ],
)
async def test_postgres_accepts_control_that_shares_no_definite_day(
    postgres_engine: AsyncEngine,
    derna: tuple[int, int, int],
    valid: str,
    status: str,
    closed: bool,
) -> None:
    location, isis, shura = derna
    async with postgres_engine.begin() as connection:
        await add_control(connection, location, isis, "2014-11/2016-04")
        await add_control(
            connection, location, shura, valid, status, superseded_at=NOW if closed else None
        )
