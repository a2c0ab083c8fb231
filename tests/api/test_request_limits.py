"""A request body over EVENTDB_MAX_BODY_BYTES is refused with HTTP 413 and a coded error, and is
never read into memory: a declared length is refused before the body is read, a chunked body as
soon as it passes the limit. HTTP decides this before any database is asked: SQLite only."""

import json
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine

from eventdb.api.app import create_app
from eventdb.config import Limits, Settings
from eventdb.errors import BadInput
from tests.api.conftest import Api
from tests.served import run_eventdb, served

QUERY = '{ actor(ref: "Daesh") { slug } }'
CHUNK = 16_384


def padded(size: int) -> bytes:
    """A valid request body of exactly `size` bytes: the query, padded with JSON whitespace."""
    body = json.dumps({"query": QUERY}).encode()
    return body + b" " * (size - len(body))


class Endless:
    """A body that never ends, counting what the server took of it."""

    def __init__(self) -> None:
        self.sent = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while True:
            self.sent += CHUNK
            yield b" " * CHUNK


def assert_refused(response: httpx.Response, limit: int) -> None:
    assert response.status_code == 413
    assert response.headers["connection"] == "close"
    error = response.json()["errors"][0]
    assert error["extensions"] == {"code": "REQUEST_TOO_LARGE", "maxBytes": limit}
    assert error["message"] == f"the request body is larger than {limit} bytes"
    assert "data" not in response.json()


async def test_a_body_of_two_megabytes_is_refused_by_default(sqlite_api: Api) -> None:
    response = await sqlite_api.client.post(
        "/graphql", content=padded(2_000_000), headers={"Content-Type": "application/json"}
    )
    assert_refused(response, 1_048_576)
    assert sqlite_api.statements == 0


async def test_a_body_at_the_limit_is_answered(sqlite_api: Api) -> None:
    response = await sqlite_api.client.post(
        "/graphql", content=padded(1_048_576), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 200
    assert response.json() == {"data": {"actor": {"slug": "isis"}}}


async def test_a_declared_length_over_the_limit_is_refused_before_the_body_is_read(
    sqlite_api: Api,
) -> None:
    body = Endless()
    response = await sqlite_api.client.post(
        "/graphql",
        content=body,
        headers={"Content-Type": "application/json", "Content-Length": "5000000"},
    )
    assert_refused(response, 1_048_576)
    assert body.sent == 0


async def test_a_chunked_body_is_refused_as_soon_as_it_passes_the_limit(sqlite_api: Api) -> None:
    body = Endless()
    response = await sqlite_api.client.post(
        "/graphql", content=body, headers={"Content-Type": "application/json"}
    )
    assert_refused(response, 1_048_576)
    assert 1_048_576 < body.sent <= 1_048_576 + CHUNK


async def test_the_refusal_comes_in_the_media_type_the_client_accepts(sqlite_api: Api) -> None:
    response = await sqlite_api.client.post(
        "/graphql",
        content=padded(2_000_000),
        headers={
            "Content-Type": "application/json",
            "Accept": "application/graphql-response+json",
        },
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/graphql-response+json"


async def test_the_limit_comes_from_the_environment(
    sqlite_engine: AsyncEngine, sqlite_url: URL, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EVENTDB_MAX_BODY_BYTES", "2000")
    settings = Settings.load(sqlite_url.render_as_string(hide_password=False))
    app = create_app(settings, engine=sqlite_engine)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as client:
        small = await client.post("/graphql", json={"query": "{ __typename }"})
        big = await client.post(
            "/graphql", content=padded(2001), headers={"Content-Type": "application/json"}
        )
    assert small.json() == {"data": {"__typename": "Query"}}
    assert_refused(big, 2000)


@pytest.mark.parametrize("raw", ["0", "-1", "lots"])
def test_a_limit_that_is_not_a_positive_number_is_refused(
    raw: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EVENTDB_MAX_BODY_BYTES", raw)
    with pytest.raises(BadInput, match="EVENTDB_MAX_BODY_BYTES must be a whole number above 0"):
        Limits.from_environment()


def test_a_served_api_refuses_big_bodies_before_reading_them(tmp_path: Path) -> None:
    """Over real HTTP (uvicorn): a declared length is answered with no body sent at all, and a
    chunked body is answered once it passes the limit, with the rest never sent."""
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'eventdb.sqlite3'}"
    run_eventdb("init", database_url=database_url)
    with served(
        database_url, tmp_path / "server.log", {"EVENTDB_MAX_BODY_BYTES": "100000"}
    ) as base_url:
        port = int(base_url.rsplit(":", 1)[1])
        declared = _raw_post(port, [], content_length=10_000_000)
        chunked = _raw_post(port, [b" " * 10_000] * 11)
    for status, headers, body in (declared, chunked):
        assert status == 413
        assert headers["connection"] == "close"
        assert body["errors"][0]["extensions"] == {"code": "REQUEST_TOO_LARGE", "maxBytes": 100_000}


def _raw_post(
    port: int, chunks: list[bytes], content_length: int | None = None
) -> tuple[int, dict[str, str], Any]:
    """POST /graphql by hand, sending only `chunks` (chunked unless a length is declared) and
    never the end of the body; then read the whole response."""
    framing = (
        f"Content-Length: {content_length}"
        if content_length is not None
        else "Transfer-Encoding: chunked"
    )
    head = (
        f"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"{framing}\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(head.encode())
        for chunk in chunks:
            connection.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        received = b""
        while data := connection.recv(65_536):  # the server closes the connection
            received += data
    head_part, _, body = received.partition(b"\r\n\r\n")
    status_line, *header_lines = head_part.decode().split("\r\n")
    headers = {
        name.lower(): value.strip()
        for name, _, value in (line.partition(":") for line in header_lines)
    }
    return int(status_line.split()[1]), headers, json.loads(body)
