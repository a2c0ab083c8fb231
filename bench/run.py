"""The query benchmark suite: each question of issue 6 at each layer, beside its floors, at
each size of data, on SQLite and PostgreSQL; then the issue's targets, met or not.

    python -m bench                         # 10k, 100k and 1M spells of control, both engines
    python -m bench --sizes 10k,100k        # a choice of sizes
    python -m bench --quick                 # 1k, SQLite only, a few seconds (what the tests run)

PostgreSQL runs when --postgres-url or EVENTDB_TEST_POSTGRES_URL names a server; each world
gets a database of its own, dropped afterwards. See bench/README.md for what each column means.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import socket
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import orjson
from sqlalchemy.engine import URL

from bench import loadgen, report
from bench.load import connect
from bench.measure import Figures, InProcess
from bench.questions import TYPENAME, Question, questions
from bench.world import World, files_of, loaded, world_of
from eventdb.config import parse_database_url

# Below this median one connection leaves the server idle between requests, so requests/s are
# measured with eight; above it, two suffice to keep the one worker busy.
BUSY = 0.05


@dataclass
class Run:
    """One engine at one size."""

    engine: str
    world: World
    entries: int = 0
    load_seconds: float = 0.0
    floor: loadgen.Load | None = None  # `{ __typename }`, one connection
    floor_rate: loadgen.Load | None = None  # `{ __typename }`, eight connections
    figures: dict[str, Figures] = field(default_factory=dict)
    http: dict[str, loadgen.Load] = field(default_factory=dict)  # one connection
    rate: dict[str, loadgen.Load] = field(default_factory=dict)  # several


def parse_size(text: str) -> int:
    text = text.strip().lower()
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text.rstrip("km")) * scale)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def over_http(run: Run, url: URL, asked: list[Question], budget: float) -> None:
    """`eventdb serve` (uvicorn, one worker) on a loopback port, timed by the load generator."""
    port = free_port()
    environment = {**os.environ, "EVENTDB_DATABASE_URL": url.render_as_string(hide_password=False)}
    server = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "eventdb", "serve", "--port", str(port)),
        env=environment,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        await loadgen.wait_for_port(port)
        graphql = f"http://127.0.0.1:{port}/graphql"
        bodies = {"{ __typename }": {"query": TYPENAME}} | {q.name: q.body for q in asked}
        for name, body in bodies.items():
            request = orjson.dumps(body)
            warm = await loadgen.run(graphql, request, seconds=0, least=2)  # caches, pool
            if warm.errors:
                raise RuntimeError(f"{name} failed over HTTP: {warm.examples[0]}")
            await loadgen.run(graphql, request, seconds=budget / 4, least=1)
            single = await loadgen.run(graphql, request, seconds=budget, least=3)
            connections = 8 if single.p50 < BUSY else 2
            # Warm again at that concurrency: the pool opens (and on PostgreSQL prepares
            # statements on) a connection for each.
            await loadgen.run(graphql, request, concurrency=connections, seconds=budget / 4)
            many = await loadgen.run(graphql, request, concurrency=connections, seconds=budget)
            if single.errors or many.errors:
                failed = (single.examples + many.examples)[0]
                raise RuntimeError(f"{name} failed over HTTP: {failed}")
            if name == "{ __typename }":
                run.floor, run.floor_rate = single, many
            else:
                run.http[name], run.rate[name] = single, many
    finally:
        server.terminate()
        await server.wait()


async def measure(
    engine: str, world: World, folder: Path, server: URL | None, budget: float
) -> Run:
    run = Run(engine, world)
    asked = questions(world)
    async with loaded(engine, world, folder, server) as database:
        run.entries, run.load_seconds = database.entries, database.seconds
        layers = InProcess(database.url, server, budget)
        try:
            for question in asked:
                run.figures[question.name] = await layers.measure(question)
        finally:
            await layers.close()
        await over_http(run, database.url, asked, budget)
    return run


def cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


async def machine(server: URL | None) -> str:
    model = cpu_model()
    postgres = "not run"
    if server is not None:
        connection = await connect(server)
        postgres = str(await connection.fetchval("SHOW server_version"))
        await connection.close()
    one, five, fifteen = os.getloadavg()
    return (
        f"{platform.node()}: {os.cpu_count()} cores, {model}, {platform.machine()}; "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, PostgreSQL "
        f"{postgres}; load average at start {one:.2f} {five:.2f} {fifteen:.2f}"
    )


async def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--sizes", default="10k,100k,1M", help="spells of control, e.g. 10k,1M")
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--postgres-url", default=os.environ.get("EVENTDB_TEST_POSTGRES_URL"))
    parser.add_argument(
        "--budget", type=float, default=1.5, help="seconds to time each figure (median)"
    )
    parser.add_argument("--quick", action="store_true", help="1k, SQLite only, short budgets")
    options = parser.parse_args(argv)
    if options.quick:
        options.sizes, options.engines, options.budget = "1k", "sqlite", 0.05
    server = parse_database_url(options.postgres_url) if options.postgres_url else None
    engines = [e for e in options.engines.split(",") if e != "postgresql" or server is not None]
    sizes = [parse_size(size) for size in options.sizes.split(",")]

    print(await machine(server if "postgresql" in engines else None))
    single, many = await loadgen.overhead(free_port(), max(options.budget, 0.2))
    print(report.overhead(single, many))
    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="eventdb-bench-") as tmp:
        for size in sizes:
            world = world_of(size)
            started = time.perf_counter()
            _, entries = files_of(world)
            print(
                f"{world.label}: {entries:,} entries ({world.controls:,} spells of control on "
                f"{world.places:,} places, {world.events:,} events); files ready in "
                f"{time.perf_counter() - started:.1f} s"
            )
            for engine in engines:
                runs.append(await measure(engine, world, Path(tmp), server, options.budget))
                print(report.loaded(runs[-1]), flush=True)
    print()
    for engine in engines:
        print(report.engine_table(engine, [run for run in runs if run.engine == engine]))
    print(report.growth_table(runs))
    print(report.targets_table(runs))
