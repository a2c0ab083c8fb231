"""Many requests at once on PostgreSQL each hold a connection for their whole life (one snapshot);
they must wait for the database, not fail because the pool is smaller than the crowd."""

import asyncio
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from eventdb.api.app import create_app
from eventdb.config import Settings
from eventdb.queries import control
from tests.helpers import DERNA, load

READERS = 50
STATE = '{ stateOf(location: "derna", at: "2015-03-01") { controllers { status } } }'


async def test_fifty_requests_at_once_are_all_answered_when_each_holds_its_connection(
    postgres_engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each request reads for 300 ms; the pool may keep a request waiting 500 ms. With 15
    connections (SQLAlchemy's default) the fourth group of 15 waited 900 ms and was refused as
    DATABASE_UNAVAILABLE; every request must be answered."""
    await load(postgres_engine, DERNA)
    held = control.held_at_locations

    def slow(connection: Connection, *arguments: Any) -> Any:
        connection.execute(text("SELECT pg_sleep(0.3)"))
        return held(connection, *arguments)

    monkeypatch.setattr(control, "held_at_locations", slow)
    monkeypatch.setenv("EVENTDB_CONNECT_TIMEOUT_MS", "500")
    url = postgres_engine.url.render_as_string(hide_password=False)
    app = create_app(Settings.load(url))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
    ):
        answers = await asyncio.gather(
            *(client.post("/graphql", json={"query": STATE}) for _ in range(READERS))
        )
    assert [answer.status_code for answer in answers] == [200] * READERS
    assert [answer.json() for answer in answers] == [
        {"data": {"stateOf": {"controllers": [{"status": "controls"}]}}}
    ] * READERS
