"""A client for the GraphQL API over HTTP (httpx's ASGI transport), the Derna article loaded."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, event
from sqlalchemy.ext.asyncio import AsyncEngine

from eventdb.api.app import create_app
from eventdb.api.context import Reader
from eventdb.config import Settings
from tests.helpers import DERNA, load


class Api:
    """Posts GraphQL documents and counts what each one costs: SQL statements (through any
    engine: on SQLite, requests read through an engine of their own) and hops, the batches of
    reads handed to the database (on SQLite, each a hand-off to a read thread)."""

    def __init__(self, client: httpx.AsyncClient, engine: AsyncEngine) -> None:
        self.client = client
        self.engine = engine
        self.statements = 0
        self.hops = 0
        event.listen(Engine, "before_cursor_execute", self._count)

    def close(self) -> None:
        event.remove(Engine, "before_cursor_execute", self._count)

    def _count(self, *_: Any) -> None:
        self.statements += 1

    async def post(self, document: str, **variables: Any) -> dict[str, Any]:
        """The whole response of one request, which must not be an HTTP error."""
        self.statements = self.hops = 0
        response = await self.client.post(
            "/graphql", json={"query": document, "variables": variables}
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def data(self, document: str, **variables: Any) -> dict[str, Any]:
        """The data of a request that must succeed."""
        body = await self.post(document, **variables)
        assert "errors" not in body, body["errors"]
        data: dict[str, Any] = body["data"]
        return data

    async def error(self, document: str, **variables: Any) -> dict[str, Any]:
        """The one error of a request that must fail."""
        body = await self.post(document, **variables)
        assert len(body.get("errors", [])) == 1, body
        error: dict[str, Any] = body["errors"][0]
        return error


@asynccontextmanager
async def _api(
    engine: AsyncEngine, database_url: Any, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Api]:
    await load(engine, DERNA)
    app = create_app(Settings(database_url=database_url), engine=engine)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://eventdb.test") as client:
        api = Api(client, engine)
        run = Reader.run

        async def counted(reader: Reader, *arguments: Any) -> Any:
            api.hops += 1
            return await run(reader, *arguments)

        monkeypatch.setattr(Reader, "run", counted)
        yield api
        api.close()


@pytest.fixture
async def api(
    engine: AsyncEngine, database_url: Any, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Api]:
    async with _api(engine, database_url, monkeypatch) as api:
        yield api


@pytest.fixture
async def sqlite_api(
    sqlite_engine: AsyncEngine, sqlite_url: Any, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Api]:
    """The same client on SQLite only: for what HTTP decides before any database is asked."""
    async with _api(sqlite_engine, sqlite_url, monkeypatch) as api:
        yield api
