"""Faults: a statement past EVENTDB_STATEMENT_TIMEOUT_MS is cancelled with a TIMEOUT error; a
database that goes away makes requests fail fast with DATABASE_UNAVAILABLE and /healthz answer
503, and service resumes when it comes back, without restarting eventdb.

No query of ours is slow on the fixtures, so the timeout tests put a slow statement where a query
would run (a long pg_sleep, or a SQLite count to ten billion); the cancelling is the engine's own.
The outage tests stop a PostgreSQL server of their own (tests/throwaway_postgres.py), never the
shared one.
"""

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import URL, Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from eventdb import auth
from eventdb.api.app import create_app
from eventdb.config import Settings
from eventdb.db.engine import POSTGRES_POOL_OVERFLOW, POSTGRES_POOL_SIZE, SQLITE_BEGIN
from eventdb.db.versioning import take_write_lock
from eventdb.errors import BadInput
from eventdb.queries import control
from tests.helpers import DERNA, load
from tests.served import run_eventdb, served
from tests.throwaway_postgres import ThrowawayPostgres, why_not

STATE = '{ stateOf(location: "derna", at: "2015-03-01") { contested controllers { status } } }'
ANSWER = {"stateOf": {"contested": False, "controllers": [{"status": "controls"}]}}
# Generous: failing fast takes milliseconds; this only catches a hang.
FAST_SECONDS = 5.0
SLOW_STATEMENTS = {
    "postgresql": "SELECT pg_sleep(60)",
    "sqlite": (
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000000000)"
        " SELECT count(*) FROM n"
    ),
}


def slow_state_of(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the query behind `stateOf` run one statement that takes a minute."""

    def slow(connection: Connection, *_: Any) -> None:
        connection.execute(text(SLOW_STATEMENTS[connection.dialect.name]))

    monkeypatch.setattr(control, "held_at_locations", slow)


async def post(client: httpx.AsyncClient, document: str) -> tuple[dict[str, Any], float]:
    started = time.monotonic()
    response = await client.post("/graphql", json={"query": document})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body, time.monotonic() - started


@pytest.fixture
async def timed_client(
    engine: AsyncEngine, database_url: URL, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app made from the environment, with a 300 ms statement timeout; the app
    makes its own engine, as `eventdb serve` does."""
    await load(engine, DERNA)
    monkeypatch.setenv("EVENTDB_STATEMENT_TIMEOUT_MS", "300")
    app = create_app(Settings.load(database_url.render_as_string(hide_password=False)))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
    ):
        yield client


async def test_a_statement_past_the_timeout_is_cancelled_with_a_coded_error(
    timed_client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    slow_state_of(monkeypatch)
    body, took = await post(timed_client, STATE)
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "TIMEOUT"
    assert error["message"].startswith("the query ran past the statement timeout")
    assert error["path"] == ["stateOf"]
    assert took < FAST_SECONDS


async def test_after_a_timeout_the_next_request_is_answered(
    timed_client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as patch:
        slow_state_of(patch)
        timed_out, _ = await post(timed_client, STATE)
    assert timed_out["errors"][0]["extensions"]["code"] == "TIMEOUT"
    answered, _ = await post(timed_client, STATE)
    assert answered == {"data": ANSWER}


async def test_a_statement_under_the_timeout_is_not_cut_short(
    timed_client: httpx.AsyncClient,
) -> None:
    body, _ = await post(timed_client, "{ events(first: 500) { totalCount } }")
    assert body["data"]["events"]["totalCount"] > 0


async def test_a_write_stuck_behind_another_writer_gives_up_with_a_code(
    engine: AsyncEngine, database_url: URL, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A load holds the write lock; a mutation waits for it no longer than its budget: SQLite's
    busy timeout (busy), or on PostgreSQL the statement timeout (the advisory lock's wait)."""
    async with engine.begin() as connection:
        secret = await auth.create_token(connection, "Ada")
    monkeypatch.setenv("EVENTDB_STATEMENT_TIMEOUT_MS", "300")
    settings = replace(
        Settings.load(database_url.render_as_string(hide_password=False)),
        sqlite_busy_timeout_ms=300,
    )
    app = create_app(settings)
    create = {
        "query": "mutation($input: ActorInput!) { createActor(input: $input) { slug } }",
        "variables": {"input": {"id": "late-front", "name": "Late Front", "kind": "armed_group"}},
    }
    headers = {"Authorization": f"Bearer {secret}"}
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
    ):
        async with engine.connect() as writer:
            writer = await writer.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"})
            async with writer.begin():
                await take_write_lock(writer)
                started = time.monotonic()
                stuck = (await client.post("/graphql", json=create, headers=headers)).json()
                took = time.monotonic() - started
        after = (await client.post("/graphql", json=create, headers=headers)).json()
    expected = {"sqlite": "DATABASE_UNAVAILABLE", "postgresql": "TIMEOUT"}[engine.dialect.name]
    assert stuck["errors"][0]["extensions"]["code"] == expected
    assert took < FAST_SECONDS
    assert after == {"data": {"createActor": {"slug": "late-front"}}}


@pytest.mark.parametrize(
    ("variable", "raw", "message"),
    [
        ("EVENTDB_STATEMENT_TIMEOUT_MS", "soon", "whole number of milliseconds, at least 0"),
        ("EVENTDB_CONNECT_TIMEOUT_MS", "0", "whole number of milliseconds, at least 1"),
    ],
)
def test_a_timeout_that_is_not_a_number_is_refused(
    variable: str, raw: str, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(variable, raw)
    with pytest.raises(BadInput, match=message):
        Settings.load("sqlite:///x.sqlite3")


def test_timeouts_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVENTDB_STATEMENT_TIMEOUT_MS", "0")
    monkeypatch.setenv("EVENTDB_CONNECT_TIMEOUT_MS", "1500")
    settings = Settings.load("sqlite:///x.sqlite3")
    assert (settings.statement_timeout_ms, settings.connect_timeout_ms) == (0, 1500)
    monkeypatch.delenv("EVENTDB_STATEMENT_TIMEOUT_MS")
    monkeypatch.delenv("EVENTDB_CONNECT_TIMEOUT_MS")
    assert Settings.load("sqlite:///x.sqlite3").statement_timeout_ms == 10_000


async def test_a_database_that_never_answers_fails_requests_after_the_connect_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A server that takes the connection and says nothing (a hung host): asyncpg would wait a
    minute by default; EVENTDB_CONNECT_TIMEOUT_MS bounds it."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        monkeypatch.setenv("EVENTDB_CONNECT_TIMEOUT_MS", "500")
        app = create_app(Settings.load(f"postgresql://postgres@127.0.0.1:{port}/eventdb"))
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://t"
            ) as client,
        ):
            body, took = await post(client, STATE)
    assert body["errors"][0]["extensions"]["code"] == "DATABASE_UNAVAILABLE"
    assert took < FAST_SECONDS


# A database that goes away.


@pytest.fixture(scope="module")
def postgres() -> Iterator[ThrowawayPostgres]:
    """A PostgreSQL server of this module's own, migrated, with the Derna article loaded."""
    reason = why_not()
    if reason:
        pytest.skip(reason)
    server = ThrowawayPostgres()
    try:
        server.start()
        run_eventdb("init", database_url=server.url)
        run_eventdb("load", str(DERNA), database_url=server.url)
        yield server
    finally:
        server.remove()


@pytest.fixture
def running(postgres: ThrowawayPostgres) -> ThrowawayPostgres:
    if not postgres.is_running():
        postgres.start()
    return postgres


def test_a_database_that_goes_away_fails_requests_fast_and_service_resumes(
    running: ThrowawayPostgres, tmp_path: Path
) -> None:
    """Served by uvicorn, the way an operator runs it; the server is never restarted."""
    with (
        served(running.url, tmp_path / "server.log") as base_url,
        httpx.Client(base_url=base_url, timeout=30) as client,
    ):
        assert client.post("/graphql", json={"query": STATE}).json() == {"data": ANSWER}

        running.stop()
        for _ in range(3):
            started = time.monotonic()
            body = client.post("/graphql", json={"query": STATE}).json()
            assert time.monotonic() - started < FAST_SECONDS
            assert body["data"] is None
            assert body["errors"][0]["extensions"]["code"] == "DATABASE_UNAVAILABLE"
            assert body["errors"][0]["message"] == "the database is unavailable; try again shortly"
        started = time.monotonic()
        health = client.get("/healthz")
        assert time.monotonic() - started < FAST_SECONDS
        assert health.status_code == 503
        assert health.json()["status"] == "unavailable"

        running.start()
        assert client.post("/graphql", json={"query": STATE}).json() == {"data": ANSWER}
        assert client.get("/healthz").status_code == 200


async def test_a_request_in_flight_when_the_database_dies_fails_fast(
    running: ThrowawayPostgres, monkeypatch: pytest.MonkeyPatch
) -> None:
    slow_state_of(monkeypatch)
    app = create_app(Settings.load(running.url))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
    ):
        request = asyncio.create_task(post(client, STATE))
        await _until_sleeping(running)
        await asyncio.to_thread(running.stop)
        body, _ = await asyncio.wait_for(request, FAST_SECONDS)
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "DATABASE_UNAVAILABLE"


async def _until_sleeping(server: ThrowawayPostgres, count: int = 1) -> None:
    """Wait until `count` slow statements run on the server."""
    connection = await asyncpg.connect(host="127.0.0.1", port=server.port, user="postgres")
    try:
        deadline = time.monotonic() + FAST_SECONDS
        while time.monotonic() < deadline:
            sleeping = await connection.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%'"
            )
            if sleeping >= count:
                return
            await asyncio.sleep(0.05)
        raise AssertionError("the slow statement never started")
    finally:
        await connection.close()


async def test_when_every_connection_is_busy_a_request_waits_only_the_connect_timeout(
    running: ThrowawayPostgres, monkeypatch: pytest.MonkeyPatch
) -> None:
    slow_state_of(monkeypatch)
    monkeypatch.setenv("EVENTDB_STATEMENT_TIMEOUT_MS", "0")
    monkeypatch.setenv("EVENTDB_CONNECT_TIMEOUT_MS", "500")
    app = create_app(Settings.load(running.url))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
    ):
        connections = POSTGRES_POOL_SIZE + POSTGRES_POOL_OVERFLOW
        busy = [asyncio.create_task(post(client, STATE)) for _ in range(connections)]
        await _until_sleeping(running, connections)
        body, took = await post(client, '{ actor(ref: "isis") { slug } }')
        await asyncio.to_thread(running.stop)  # ends the sleepers
        ended = await asyncio.wait_for(asyncio.gather(*busy), FAST_SECONDS)
    assert body["errors"][0]["extensions"]["code"] == "DATABASE_UNAVAILABLE"
    assert body["errors"][0]["message"].startswith("no database connection came free in time")
    assert took < FAST_SECONDS
    assert {answer["errors"][0]["extensions"]["code"] for answer, _ in ended} == {
        "DATABASE_UNAVAILABLE"
    }
