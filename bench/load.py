"""How fast `eventdb load` is, beside the floor of the same rows written by the raw driver.

    python bench/load.py                       # 100k control + 100k events, SQLite and PostgreSQL
    python bench/load.py --controls 10000 --events 10000 --engines sqlite

Prints, per engine: entries/s end to end (read, validate, plan, write, commit), each phase's
time, the write phase's rate, and the raw rate of inserting the very rows the loader wrote with
stdlib sqlite3 executemany / asyncpg COPY in one transaction; then the parse rate of each file
format. PostgreSQL runs when --postgres-url or EVENTDB_TEST_POSTGRES_URL names a server.
"""

from __future__ import annotations

import argparse
import asyncio
import calendar
import gc
import json
import os
import platform
import random
import resource
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
import yaml
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from eventdb.config import Settings, parse_database_url
from eventdb.db import migrate
from eventdb.db.engine import create_engine
from eventdb.loading import load_files, writing
from eventdb.loading.reading import read_file

Captured = list[tuple[str, tuple[str, ...], list[tuple[Any, ...]]]]


def generate(
    controls: int,
    events: int,
    seed: int = 7,
    *,
    regions: bool = False,
    affiliation_spells: int = 0,
    members_share: float = 0.0,
    places: int | None = None,
) -> Iterator[dict[str, Any]]:
    """A synthetic world: ~10k places, each with a chain of non-overlapping spells of control
    (some bounds at month precision), and events with two participants and a citation.

    For the query benchmarks (`bench/run.py`): `regions` puts places ten to a district and
    districts ten to a region (so that a map frame within one has 10 or 100 places);
    `affiliation_spells` gives every actor but a group's first a chain of that many spells as
    member or branch of the one before it, in groups of ten (work for `includeMembers`), plus
    two hubs allied with 10 and 100 actors; `members_share` of events involve the first group;
    `places` overrides the number of places.
    """
    rng = random.Random(seed)
    places = places or max(1, min(10_000, controls // 10))
    actors = max(2, places // 10)
    yield from ({"type": "source", "id": f"s{i}", "title": f"Source {i}"} for i in range(100))
    yield from (
        {"type": "actor", "id": f"a{i}", "name": f"Actor {i}", "kind": "armed_group"}
        for i in range(actors)
    )
    yield {"type": "location", "id": "country", "name": "Country", "kind": "country"}
    if regions:
        yield from (
            {"type": "location", "id": f"r{i}", "name": f"Region {i}", "kind": "region"}
            | {"within": "country"}
            for i in range((places + 99) // 100)
        )
        yield from (
            {"type": "location", "id": f"d{i}", "name": f"District {i}", "kind": "district"}
            | {"within": f"r{i // 10}"}
            for i in range((places + 9) // 10)
        )
    yield from (
        {
            "type": "location",
            "id": f"p{i}",
            "name": f"Place {i}",
            "kind": "city",
            "within": f"d{i // 10}" if regions else "country",
            "coordinates": [rng.uniform(-60, 60), rng.uniform(-170, 170)],
        }
        for i in range(places)
    )
    per_place = max(1, controls // places)
    for place in range(places):
        year = 1990
        for spell in range(per_place):
            start, end = year, year + 1
            month = spell % 12 + 1
            valid = (
                f"{start}-{month:02d}/{end}-{month:02d}"
                if spell % 3 == 0
                else f"{start}-{month:02d}-01/{end}-{month:02d}-01"
            )
            year += 2  # a gap, so spells never share a day
            yield {
                "type": "control",
                "id": f"c{place}-{spell}",
                "location": f"p{place}",
                "actor": f"a{rng.randrange(actors)}",
                "status": "controls",
                "valid": valid,
                "citations": [{"source": f"s{rng.randrange(100)}"}],
            }
    if affiliation_spells:
        yield from affiliations(actors, affiliation_spells)
    for i in range(events):
        day = f"{rng.randrange(1990, 2020)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
        first, second = rng.sample(range(actors), 2)
        if members_share and rng.random() < members_share:
            first = rng.randrange(min(10, actors))
            second = second if second != first else (first + 1) % actors
        yield {
            "type": "event",
            "id": f"e{i}",
            "title": f"Event {i}",
            "kind": rng.choice(["attack", "battle", "protest"]),
            "date": day if i % 4 else day[:7],
            "location": f"p{rng.randrange(places)}",
            "participants": [
                {"actor": f"a{first}", "role": "perpetrator"},
                {"actor": f"a{second}", "role": "target"},
            ],
            "fatalities": {"best": rng.randrange(0, 20)},
            "citations": [{"source": f"s{rng.randrange(100)}", "quote": "as reported"}],
        }


def affiliations(actors: int, spells: int) -> Iterator[dict[str, Any]]:
    """Chains of membership in groups of ten (a1 member of a0, a2 branch of a1, ...), each link
    `spells` non-overlapping spells covering 1990-2019 with a month's gap between them, every
    third at month precision; and hubs allied with 10 and with 100 actors since 1990."""
    spells = min(spells, 120)
    months = 360 // spells  # each spell lasts months - 1, then a month's gap
    for group in range(0, actors - actors % 10 or actors, 10):
        for member in range(group + 1, min(group + 10, actors)):
            for spell in range(spells):
                first, last = spell * months, spell * months + months - 2
                start = (1990 + first // 12, first % 12 + 1)
                end = (1990 + last // 12, last % 12 + 1)
                valid = (
                    f"{start[0]}-{start[1]:02d}/{end[0]}-{end[1]:02d}"
                    if spell % 3 == 0
                    else f"{start[0]}-{start[1]:02d}-01/{end[0]}-{end[1]:02d}-"
                    f"{calendar.monthrange(*end)[1]:02d}"
                )
                yield {
                    "type": "affiliation",
                    "actor": f"a{member}",
                    "kind": "member_of" if member % 2 else "branch_of",
                    "target": f"a{member - 1}",
                    "valid": valid,
                    "citations": [{"source": f"s{(member + spell) % 100}"}],
                }
    for hub in (10, 100):
        yield {"type": "actor", "id": f"hub{hub}", "name": f"Hub {hub}", "kind": "coalition"}
        yield from (
            {
                "type": "affiliation",
                "actor": f"hub{hub}",
                "kind": "allied_with",
                "target": f"a{ally}",
                "valid": "1990-01-01/..",
            }
            for ally in range(min(hub, actors))
        )


def write_files(folder: Path, entries: list[dict[str, Any]]) -> dict[str, Path]:
    jsonl = folder / "world.jsonl"
    jsonl.write_text("".join(json.dumps(entry) + "\n" for entry in entries))
    lists: dict[str, list[dict[str, Any]]] = {}
    plural = {"control": "control"}
    for entry in entries:
        kind = entry["type"]
        lists.setdefault(plural.get(kind, kind + "s"), []).append(
            {key: value for key, value in entry.items() if key != "type"}
        )
    as_json = folder / "world.json"
    as_json.write_text(json.dumps(lists, indent=1))
    as_yaml = folder / "world.yaml"
    as_yaml.write_text(yaml.dump(lists, Dumper=yaml.CSafeDumper, sort_keys=False))
    return {"jsonl": jsonl, "json": as_json, "yaml": as_yaml}


async def connect(server: URL) -> asyncpg.Connection:
    """A plain asyncpg connection to the database `server` names."""
    return await asyncpg.connect(
        host=server.host,
        port=server.port,
        user=server.username,
        password=server.password,
        database=server.database,
    )


@asynccontextmanager
async def database(engine_name: str, folder: Path, server: URL | None) -> Any:
    """A fresh database: a new SQLite file in `folder`, or a new PostgreSQL database on
    `server`, dropped afterwards."""
    if engine_name == "sqlite":
        path = folder / f"bench-{uuid.uuid4().hex[:8]}.sqlite3"
        yield make_url(f"sqlite+aiosqlite:///{path}")
        return
    assert server is not None
    name = f"eventdb_bench_{uuid.uuid4().hex[:8]}"
    admin = await connect(server)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield server.set(database=name)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def migrated(url: URL) -> AsyncEngine:
    engine = create_engine(Settings(database_url=url))
    await migrate.upgrade(engine)
    return engine


async def measure_engine(
    engine_name: str, files: dict[str, Path], entries: int, folder: Path, server: URL | None
) -> dict[str, Any]:
    captured: Captured = []
    original = writing._insert

    async def recording_insert(connection: Any, table: str, columns: Any, rows: Any) -> None:
        captured.append((table, columns, rows))
        await original(connection, table, columns, rows)

    result: dict[str, Any] = {}
    async with database(engine_name, folder, server) as url:
        engine = await migrated(url)
        writing._insert = recording_insert
        try:
            started = time.perf_counter()
            report = await load_files(engine, [files["jsonl"]])
            result["total"] = time.perf_counter() - started
        finally:
            writing._insert = original
        result["timings"] = report.timings
        started = time.perf_counter()
        again = await load_files(engine, [files["jsonl"]])
        result["reload"] = time.perf_counter() - started
        assert not again.changed
        await engine.dispose()
    result["rows"] = sum(len(rows) for _, _, rows in captured)
    async with database(engine_name, folder, server) as url:
        engine = await migrated(url)
        await engine.dispose()
        result["raw"] = await (
            raw_sqlite(url, captured) if engine_name == "sqlite" else raw_copy(url, captured)
        )
    result["entries"] = entries
    return result


async def raw_sqlite(url: URL, captured: Captured) -> float:
    """The same rows through stdlib sqlite3: one transaction, one executemany per batch."""
    assert url.database is not None
    connection = sqlite3.connect(url.database, isolation_level=None)
    connection.execute("PRAGMA foreign_keys = ON")
    connection.execute("PRAGMA journal_mode = WAL")
    started = time.perf_counter()
    connection.execute("BEGIN IMMEDIATE")
    for table, columns, rows in captured:
        marks = ", ".join("?" * len(columns))
        connection.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)
    connection.execute("COMMIT")
    elapsed = time.perf_counter() - started
    connection.close()
    return elapsed


async def raw_copy(url: URL, captured: Captured) -> float:
    """The same rows through asyncpg's binary COPY, in one transaction."""
    connection = await connect(url)
    started = time.perf_counter()
    async with connection.transaction():
        for table, columns, rows in captured:
            await connection.copy_records_to_table(table, records=rows, columns=columns)
    elapsed = time.perf_counter() - started
    await connection.close()
    return elapsed


UCDP_SAMPLE = (
    Path(__file__).resolve().parents[1] / "tests" / "data" / "ged191_myanmar_bangladesh.csv"
)


def ucdp_file(folder: Path, rows: int) -> Path:
    """The GED sample replicated to `rows` rows, each copy's event ids shifted."""
    import csv

    with UCDP_SAMPLE.open(encoding="utf-8") as sample:
        reader = csv.DictReader(sample)
        fields = list(reader.fieldnames or [])
        originals = list(reader)
    path = folder / "ged191_replicated.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=fields)
        writer.writeheader()
        for number in range(rows):
            copy, row = divmod(number, len(originals))
            writer.writerow(
                {**originals[row], "id": str(int(originals[row]["id"]) + copy * 10_000_000)}
            )
    return path


async def measure_ucdp(
    engine_name: str, path: Path, rows: int, folder: Path, server: URL | None
) -> tuple[float, float]:
    """Seconds to import the replicated GED file into a fresh database, and seconds to load the
    very entries the import makes, written out as JSON Lines, into another."""
    from eventdb.importers.ucdp import ged_entries, import_ged

    async with database(engine_name, folder, server) as url:
        engine = await migrated(url)
        entries, problems, _ = await ged_entries(engine, path)
        assert not problems, problems[:3]
        started = time.perf_counter()
        report = await import_ged(engine, path)
        elapsed = time.perf_counter() - started
        assert report.counts["event"]["added"] == rows
        await engine.dispose()
    same = folder / "ged_as_entries.jsonl"
    with same.open("w", encoding="utf-8") as out:
        for entry in entries:
            out.write(json.dumps({"type": entry.kind, **entry.data}, ensure_ascii=False) + "\n")
    async with database(engine_name, folder, server) as url:
        engine = await migrated(url)
        started = time.perf_counter()
        report = await load_files(engine, [same])
        as_jsonl = time.perf_counter() - started
        assert report.counts["event"]["added"] == rows
        await engine.dispose()
    return elapsed, as_jsonl


def parse_rates(files: dict[str, Path], entries: int) -> dict[str, float]:
    rates = {}
    for name, path in files.items():
        gc.disable()  # as the loader does while it reads
        started = time.perf_counter()
        found, problems = read_file(path)
        elapsed = time.perf_counter() - started
        gc.enable()
        assert not problems, problems[:3]
        assert len(found) == entries
        rates[name] = entries / elapsed
    return rates


def machine() -> str:
    sqlite_version = sqlite3.sqlite_version
    return (
        f"{platform.node()}: {os.cpu_count()} cores, {platform.machine()}, "
        f"Python {platform.python_version()}, SQLite {sqlite_version}"
    )


async def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--controls", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--postgres-url", default=os.environ.get("EVENTDB_TEST_POSTGRES_URL"))
    parser.add_argument("--skip-formats", action="store_true", help="do not time YAML and JSON")
    parser.add_argument("--ucdp-rows", type=int, default=300_000, help="0 to skip the UCDP case")
    parser.add_argument(
        "--quick", action="store_true", help="2,000 of each, SQLite only: a smoke run for CI"
    )
    options = parser.parse_args(argv)
    if options.quick:
        options.controls = options.events = 2_000
        options.ucdp_rows = 4_000
        options.engines = "sqlite"
    server = parse_database_url(options.postgres_url) if options.postgres_url else None
    engines = [name for name in options.engines.split(",") if name != "postgresql" or server]

    with tempfile.TemporaryDirectory(prefix="eventdb-bench-") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        world = list(generate(options.controls, options.events))
        files = write_files(folder, world)
        print(machine())
        print(
            f"{len(world):,} entries ({options.controls:,} control, {options.events:,} events, "
            f"the rest sources, actors, places); generated in {time.perf_counter() - started:.1f} s"
        )
        print()
        header = (
            f"{'engine':<11}{'entries/s':>11}{'total s':>9}{'read':>7}{'valid.':>7}{'plan':>7}"
            f"{'write':>7}{'rows':>10}{'write rows/s':>14}{'raw rows/s':>12}{'write/raw':>10}"
            f"{'reload s':>10}"
        )
        print(header)
        jsonl_rates = {}
        for name in engines:
            result = await measure_engine(name, files, len(world), folder, server)
            jsonl_rates[name] = result["entries"] / result["total"]
            timing = result["timings"]
            write_rate = result["rows"] / timing["write"]
            raw_rate = result["rows"] / result["raw"]
            print(
                f"{name:<11}{result['entries'] / result['total']:>11,.0f}{result['total']:>9.2f}"
                f"{timing['read']:>7.2f}{timing['validate']:>7.2f}{timing['plan']:>7.2f}"
                f"{timing['write']:>7.2f}{result['rows']:>10,}{write_rate:>14,.0f}"
                f"{raw_rate:>12,.0f}{write_rate / raw_rate:>10.0%}{result['reload']:>10.2f}"
            )
        if options.ucdp_rows:
            print()
            path = ucdp_file(folder, options.ucdp_rows)
            print(f"UCDP GED import: the 3,194-row sample replicated to {options.ucdp_rows:,} rows")
            print(
                "(vs JSON Lines: the loader's entries/s above over these rows/s; same entries: "
                "what the import makes, written as JSON Lines and given to `eventdb load`)"
            )
            print(
                f"{'engine':<11}{'rows/s':>11}{'total s':>9}{'vs JSON Lines':>15}"
                f"{'same entries as JSON Lines: rows/s':>37}{'ratio':>7}"
            )
            for name in engines:
                elapsed, as_jsonl = await measure_ucdp(
                    name, path, options.ucdp_rows, folder, server
                )
                rate, same_rate = options.ucdp_rows / elapsed, options.ucdp_rows / as_jsonl
                print(
                    f"{name:<11}{rate:>11,.0f}{elapsed:>9.2f}{jsonl_rates[name] / rate:>14.2f}x"
                    f"{same_rate:>37,.0f}{elapsed / as_jsonl:>6.2f}x"
                )
        if not options.skip_formats:
            print()
            rates = parse_rates(files, len(world))
            print(
                "reading with line numbers kept, entries/s: "
                + ", ".join(f"{name} {rate:,.0f}" for name, rate in rates.items())
            )
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak resident memory of this process: {peak:,.0f} MB")


if __name__ == "__main__":
    asyncio.run(main())
