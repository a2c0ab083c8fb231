"""A soak: `eventdb serve` under a steady load, for errors and for memory that keeps growing.

    python -m bench.soak                                   # 60 s a question, SQLite and PostgreSQL
    python -m bench.soak --seconds 30 --engines sqlite     # what CI runs on SQLite
    python -m bench.soak --quick                           # a few seconds, SQLite (the tests)

Per engine: a fresh database with the Derna article and generated events, `eventdb serve` (uvicorn,
one worker) on a free port of 127.0.0.1, and bench/loadgen.py at `--concurrency` connections:
a warm-up on each question, then `--seconds` on `stateOf` and `--seconds` on a 100-event page
(participants, locations, citations). The server's resident memory (VmRSS) is read at start, after
the warm-up and at the end. Exits 1 on any error, or when memory grew after the warm-up by more
than `--rss-growth-percent` AND more than `--rss-growth-mb` (both: a few MB of allocator noise on
a small process is not a leak, and neither is 10% of a large one).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy.engine import URL

from bench import loadgen
from bench.load import database
from eventdb.config import Settings, parse_database_url
from eventdb.db import migrate
from eventdb.db.engine import create_engine
from eventdb.loading import load_files

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS: dict[str, tuple[str, dict[str, object]]] = {
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
STARTUP_SECONDS = 30.0
RSS_EVERY = 10.0  # seconds between samples of the server's memory during the measured runs


@dataclass
class Soak:
    """One engine's run."""

    engine: str
    results: dict[str, loadgen.Load]
    rss_start: int  # kB
    rss_warm: int
    rss_end: int
    read_connections: int | None  # SQLite: files the server holds open on the database
    rss_samples: list[int]  # kB, every RSS_EVERY seconds of the measured runs

    def grew_too_much(self, percent: float, megabytes: float) -> bool:
        growth = self.rss_end - self.rss_warm
        return growth > self.rss_warm * percent / 100 and growth > megabytes * 1024


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


async def prepare(url: URL, folder: Path, events: int) -> None:
    engine = create_engine(Settings(database_url=url))
    try:
        await migrate.upgrade(engine)
        await load_files(engine, [ROOT / "fixtures" / "derna.yaml", events_file(folder, events)])
    finally:
        await engine.dispose()


def resident_kb(pid: int) -> int:
    """The process's resident set (VmRSS), in kB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


def sqlite_connections(pid: int, url: URL) -> int | None:
    """How many descriptors the server holds on the SQLite file (one per connection)."""
    if url.get_backend_name() != "sqlite" or url.database is None:
        return None
    path = Path(url.database).resolve()
    count = 0
    for descriptor in Path(f"/proc/{pid}/fd").iterdir():
        try:
            if Path(os.readlink(descriptor)) == path:
                count += 1
        except OSError:
            continue
    return count


@asynccontextmanager
async def served(url: URL, log: Path) -> AsyncIterator[tuple[str, int]]:
    """The GraphQL URL of `eventdb serve` on a free loopback port, and the server's pid."""
    port = free_port()
    with log.open("wb") as output:
        server = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "eventdb", "serve", "--host", "127.0.0.1", "--port", str(port)),
            env={**os.environ, "EVENTDB_DATABASE_URL": url.render_as_string(hide_password=False)},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base, timeout=2) as client:
            deadline = time.monotonic() + STARTUP_SECONDS
            while True:
                if server.returncode is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"eventdb serve did not start: see {log}")
                try:
                    if (await client.get("/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
        yield f"{base}/graphql", server.pid
    finally:
        server.terminate()
        try:
            await asyncio.wait_for(server.wait(), 10)
        except TimeoutError:
            server.kill()
            await server.wait()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def soak(
    engine: str, url: URL, folder: Path, options: argparse.Namespace, say: Callable[[str], None]
) -> Soak:
    await prepare(url, folder, options.events)
    bodies = {
        name: loadgen.graphql_body(query, values) for name, (query, values) in QUESTIONS.items()
    }
    async with served(url, folder / f"{engine}.log") as (graphql, pid):
        rss_start = resident_kb(pid)
        for name, body in bodies.items():  # opens the connections the load will use
            warm = await loadgen.run(
                graphql, body, concurrency=options.concurrency, seconds=options.warmup
            )
            if warm.errors:
                say(f"{engine} warm-up {name}: {warm.errors} errors, e.g. {warm.examples[0]}")
        rss_warm = resident_kb(pid)
        samples: list[int] = []
        sampler = asyncio.create_task(sample(pid, samples))
        results = {}
        try:
            for name, body in bodies.items():
                results[name] = await loadgen.run(
                    graphql, body, concurrency=options.concurrency, seconds=options.seconds
                )
        finally:
            sampler.cancel()
        rss_end = resident_kb(pid)
        read_connections = sqlite_connections(pid, url)
    return Soak(engine, results, rss_start, rss_warm, rss_end, read_connections, samples)


async def sample(pid: int, samples: list[int]) -> None:
    while True:
        await asyncio.sleep(RSS_EVERY)
        samples.append(resident_kb(pid))


def report(soaks: list[Soak], options: argparse.Namespace, say: Callable[[str], None]) -> bool:
    """Print the tables; whether everything passed."""
    say(
        f"{options.seconds:g} s a question at concurrency {options.concurrency}, after a "
        f"{options.warmup:g} s warm-up on each; {options.events} generated events + Derna"
    )
    say(
        f"{'engine':<11}{'question':<16}{'requests':>9}{'req/s':>8}{'p50 ms':>8}{'p99 ms':>8}"
        f"{'errors':>7}"
    )
    passed = True
    for run in soaks:
        for name, result in run.results.items():
            say(
                f"{run.engine:<11}{name:<16}{result.requests:>9}{result.rate:>8.0f}"
                f"{result.percentile(0.5) * 1e3:>8.1f}{result.percentile(0.99) * 1e3:>8.1f}"
                f"{result.errors:>7}"
            )
            for example in result.examples:
                say(f"    {example}")
            passed = passed and result.errors == 0 and result.requests > 0
    say(
        f"{'engine':<11}{'RSS start MB':>13}{'after warm-up':>14}{'end':>7}{'growth':>9}"
        f"{'SQLite files open':>19}  verdict"
    )
    for run in soaks:
        growth = run.rss_end - run.rss_warm
        leaked = run.grew_too_much(options.rss_growth_percent, options.rss_growth_mb)
        passed = passed and not leaked
        files = "" if run.read_connections is None else str(run.read_connections)
        verdict = (
            f"grew more than {options.rss_growth_percent:g}% and {options.rss_growth_mb:g} MB"
            if leaked
            else "flat"
        )
        say(
            f"{run.engine:<11}{run.rss_start / 1024:>13.0f}{run.rss_warm / 1024:>14.0f}"
            f"{run.rss_end / 1024:>7.0f}{growth / 1024:>+8.1f}{files:>19}  {verdict}"
        )
    for run in soaks:
        if run.rss_samples:
            every = " ".join(f"{kb / 1024:.0f}" for kb in run.rss_samples)
            say(f"{run.engine} RSS every {RSS_EVERY:g} s under load, MB: {every}")
    return passed


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="per question")
    parser.add_argument("--warmup", type=float, default=5.0, help="per question")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--events", type=int, default=2_000, help="generated, beside Derna's")
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--postgres-url", default=os.environ.get("EVENTDB_TEST_POSTGRES_URL"))
    parser.add_argument("--rss-growth-percent", type=float, default=25.0)
    parser.add_argument("--rss-growth-mb", type=float, default=30.0)
    parser.add_argument("--quick", action="store_true", help="2 s a question, SQLite only")
    options = parser.parse_args(argv)
    if options.quick:
        options.seconds, options.warmup, options.events, options.engines = 2, 1, 300, "sqlite"
    engines = [name.strip() for name in options.engines.split(",") if name.strip()]
    if "postgresql" in engines and not options.postgres_url:
        print("PostgreSQL skipped: no --postgres-url or EVENTDB_TEST_POSTGRES_URL")
        engines.remove("postgresql")
    soaks = []
    with tempfile.TemporaryDirectory(prefix="eventdb-soak-") as tmp:
        for engine in engines:
            folder = Path(tmp) / engine
            folder.mkdir()
            server = parse_database_url(options.postgres_url) if options.postgres_url else None
            async with database(engine, folder, server) as url:
                soaks.append(await soak(engine, url, folder, options, print))
    passed = report(soaks, options, print)
    print("ok" if passed else "FAILED")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
