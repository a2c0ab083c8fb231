"""The data the query benchmarks ask about: a generated world at a given number of spells of
control, written once as JSON Lines (cached), loaded through `eventdb.loading` into a fresh
database on each engine."""

from __future__ import annotations

import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import orjson
from sqlalchemy.engine import URL, make_url

from bench.load import database, generate, migrated
from eventdb.loading import load_files

# Bump when the generator changes, so that cached files are not reused.
VERSION = 1
PLACES = 10_000
CHUNK = 200_000  # entries a file: each is loaded by a command of its own, bounding memory


@dataclass(frozen=True)
class World:
    """A world's shape, and the days and references the questions use."""

    controls: int
    places: int

    @property
    def events(self) -> int:
        return max(2_000, self.controls // 10)

    @property
    def spells_per_place(self) -> int:
        return max(1, self.controls // self.places)

    @property
    def affiliation_spells(self) -> int:
        return max(1, self.controls // 10_000)

    @property
    def day(self) -> date:
        """A day in the middle of every place's chain of spells, on which each place is
        definitely held (spell k runs from some month of 1990 + 2k for a year)."""
        return date(1990 + 2 * (self.spells_per_place // 2), 12, 31)

    # Relations and events are dated 1990-2019; on this day every link of a chain holds.
    affiliation_day = date(2005, 5, 15)

    @property
    def label(self) -> str:
        return f"{self.controls // 1000}k" if self.controls < 1_000_000 else "1M"


def world_of(controls: int) -> World:
    """About 10k places from 10k spells up (one spell each at 10k, a hundred at 1M); below
    that, two spells a place."""
    return World(controls, PLACES if controls >= PLACES else max(1, controls // 2))


def files_of(world: World, cache: Path | None = None) -> tuple[list[Path], int]:
    """The world as JSON Lines files of at most CHUNK entries each, generated once and kept
    under the temporary folder; and how many entries they hold."""
    folder = (cache or Path(tempfile.gettempdir()) / "eventdb-bench-cache") / (
        f"world-v{VERSION}-{world.controls}-{world.places}"
    )
    done = folder / "entries"
    if not done.exists():
        folder.mkdir(parents=True, exist_ok=True)
        entries = generate(
            world.controls,
            world.events,
            regions=True,
            affiliation_spells=world.affiliation_spells,
            members_share=0.2,
            places=world.places,
        )
        count, lines, number = 0, [], 0
        for entry in entries:
            lines.append(orjson.dumps(entry))
            count += 1
            if len(lines) == CHUNK:
                (folder / f"chunk-{number:03d}.jsonl").write_bytes(b"\n".join(lines) + b"\n")
                lines, number = [], number + 1
        if lines:
            (folder / f"chunk-{number:03d}.jsonl").write_bytes(b"\n".join(lines) + b"\n")
        done.write_text(str(count))
    return sorted(folder.glob("chunk-*.jsonl")), int(done.read_text())


@dataclass
class Loaded:
    url: URL
    entries: int
    seconds: float


@asynccontextmanager
async def loaded(
    engine_name: str, world: World, folder: Path, server: URL | None
) -> AsyncIterator[Loaded]:
    """A fresh database on `engine_name` holding `world`, loaded by `eventdb.loading`; dropped
    (PostgreSQL) or left in `folder` to be deleted with it (SQLite) afterwards."""
    files, entries = files_of(world)
    if engine_name == "sqlite":
        url = make_url(f"sqlite+aiosqlite:///{folder / f'world-{uuid.uuid4().hex[:8]}.sqlite3'}")
        async with _loaded_into(url, files, entries) as result:
            yield result
        return
    async with (
        database(engine_name, folder, server) as url,
        _loaded_into(url, files, entries) as result,
    ):
        yield result


@asynccontextmanager
async def _loaded_into(url: URL, files: list[Path], entries: int) -> AsyncIterator[Loaded]:
    engine = await migrated(url)
    try:
        started = time.perf_counter()
        for path in files:
            await load_files(engine, [path])
        # (on PostgreSQL each file of 10,000 facts or more ends with ANALYZE: the loader's own)
        seconds = time.perf_counter() - started
    finally:
        await engine.dispose()
    yield Loaded(url, entries, seconds)
