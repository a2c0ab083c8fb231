"""How fast the GraphQL API answers over HTTP, beside a trivial request to the same server.

    python bench/api.py                    # SQLite, and PostgreSQL when a server is named
    python bench/api.py --requests 500

Loads the Derna article plus generated events into a fresh database, starts `eventdb serve`
(uvicorn, one worker) on a loopback port, and times sequential requests over one keep-alive
connection: `{ __typename }` (the floor: HTTP, Starlette and Strawberry, no database), `stateOf`,
and a 100-event page with participants, locations and citations. It also counts the SQL
statements each request costs, in-process, at 10 and at 100 results.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy import Engine, event
from sqlalchemy.engine import URL, make_url

from eventdb.api.app import create_app
from eventdb.config import Settings, parse_database_url
from eventdb.db import migrate
from eventdb.db.engine import create_engine
from eventdb.loading import load_files

ROOT = Path(__file__).resolve().parents[1]

REQUESTS = {
    "{ __typename }": ("{ __typename }", {}),
    "stateOf": (
        """query($at: Date!) { stateOf(location: "Derna", at: $at) { contested controllers {
            actor { name } status certainty valid citations { source { slug } } } } }""",
        {"at": "2015-06-15"},
    ),
    "100-event page": (
        """query($first: Int) { events(first: $first, kinds: ["battle"]) { totalCount edges {
            node { slug title date location { name parent { name } }
                   participants { role actor { name } } citations { confidence source { title } } }
        } } }""",
        {"first": 100},
    ),
}


def events_file(folder: Path, count: int) -> Path:
    places = ["derna", "sirte", "benghazi", "tripoli"]
    lines = [
        json.dumps(
            {
                "type": "event",
                "id": f"clash-{number}",
                "title": f"Clash {number}",
                "kind": "battle",
                "date": f"2016-{number % 12 + 1:02d}-{number % 28 + 1:02d}",
                "location": places[number % 4],
                "participants": [
                    {"actor": "isis", "role": "perpetrator"},
                    {"actor": "shura-council-derna", "role": "target"},
                ],
                "citations": [{"source": "article"}, {"source": "afp-report"}],
            }
        )
        for number in range(count)
    ]
    path = folder / "events.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


async def prepare(url: URL, folder: Path) -> None:
    engine = create_engine(Settings(database_url=url))
    await migrate.upgrade(engine)
    await load_files(engine, [ROOT / "fixtures" / "derna.yaml", events_file(folder, 300)])
    await engine.dispose()


async def statements(url: URL) -> dict[str, tuple[int, int]]:
    """SQL statements per request at 10 and at 100 results, counted in-process."""
    engine = create_engine(Settings(database_url=url))
    count = 0

    def counted(*_: Any) -> None:
        nonlocal count
        count += 1

    # Every engine: on SQLite, requests read through an engine of their own.
    event.listen(Engine, "before_cursor_execute", counted)
    app = create_app(Settings(database_url=url), engine=engine)
    found = {}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://b"
    ) as client:
        for name, (document, variables) in REQUESTS.items():
            counts = []
            for size in (10, 100):
                count = 0
                values = {**variables, "first": size} if "first" in variables else variables
                response = await client.post(
                    "/graphql", json={"query": document, "variables": values}
                )
                assert "errors" not in response.json(), response.text
                counts.append(count)
            found[name] = (counts[0], counts[1])
    event.remove(Engine, "before_cursor_execute", counted)
    await engine.dispose()
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def timings(url: URL, requests: int) -> dict[str, list[float]]:
    port = free_port()
    server = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "eventdb", "serve", "--port", str(port)),
        env={**os.environ, "EVENTDB_DATABASE_URL": url.render_as_string(hide_password=False)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            for _ in range(100):
                try:
                    if (await client.get("/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
            results: dict[str, list[float]] = {}
            for name, (document, variables) in REQUESTS.items():
                body = {"query": document, "variables": variables}
                for _ in range(20):  # warm up: caches, connection pool
                    await client.post("/graphql", json=body)
                samples = []
                for _ in range(requests):
                    started = time.perf_counter()
                    response = await client.post("/graphql", json=body)
                    samples.append(time.perf_counter() - started)
                    assert response.status_code == 200
                results[name] = samples
            return results
    finally:
        server.terminate()
        await server.wait()


async def postgres_database(server: URL) -> tuple[URL, Any]:
    name = f"eventdb_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(
        host=server.host,
        port=server.port,
        user=server.username,
        password=server.password,
        database=server.database,
    )
    await admin.execute(f'CREATE DATABASE "{name}"')

    async def drop() -> None:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()

    return server.set(database=name), drop


async def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--postgres-url", default=os.environ.get("EVENTDB_TEST_POSTGRES_URL"))
    parser.add_argument("--quick", action="store_true", help="30 requests, SQLite only")
    options = parser.parse_args(argv)
    if options.quick:
        options.requests, options.postgres_url = 30, None
    with tempfile.TemporaryDirectory(prefix="eventdb-bench-") as tmp:
        folder = Path(tmp)
        engines: list[tuple[str, URL, Any]] = [
            ("sqlite", make_url(f"sqlite+aiosqlite:///{folder / 'api.sqlite3'}"), None)
        ]
        if options.postgres_url:
            url, drop = await postgres_database(parse_database_url(options.postgres_url))
            engines.append(("postgresql", url, drop))
        print(
            f"{options.requests} sequential requests over one keep-alive connection, after warm-up"
        )
        print(
            f"{'engine':<11}{'request':<17}{'median ms':>10}{'p99 ms':>9}{'x floor':>9}{'req/s':>8}"
            f"{'statements at 10 / 100':>25}"
        )
        for name, url, drop in engines:
            try:
                await prepare(url, folder)
                counts = await statements(url)
                results = await timings(url, options.requests)
            finally:
                if drop is not None:
                    await drop()
            floor = statistics.median(results["{ __typename }"])
            for request, samples in results.items():
                median = statistics.median(samples)
                p99 = statistics.quantiles(samples, n=100)[98]
                small, large = counts[request]
                print(
                    f"{name:<11}{request:<17}{median * 1e3:>10.2f}{p99 * 1e3:>9.2f}"
                    f"{median / floor:>9.1f}{1 / median:>8.0f}{f'{small} / {large}':>25}"
                )


if __name__ == "__main__":
    asyncio.run(main())
