"""Where one question's time goes: `schema.execute` (or the query layer alone) under cProfile.

    python -m bench.profile controlMapGeoJSON --size 10k
    python -m bench.profile "100-event page" --layer      # the Reader.run hops only

SQLite reads run in this thread (not a read thread), so that cProfile sees them. Loads the same
world as `python -m bench` into a fresh SQLite database (PostgreSQL with
--postgres-url), runs the question a few times to warm caches, then --times more under
cProfile, and prints the functions that took longest, by own time and by cumulative time.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from bench.measure import InProcess, Recording
from bench.questions import questions
from bench.run import parse_size
from bench.world import loaded, world_of
from eventdb.api.context import Reader
from eventdb.config import parse_database_url

R = TypeVar("R")


class Inline(Reader):
    """A reader that runs SQLite reads in this thread, where cProfile sees them."""

    async def run(self, query: Callable[..., R], *arguments: Any) -> R:
        if self.sqlite is None:
            return await super().run(query, *arguments)
        return self._run_sqlite(query, arguments)


async def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("question")
    parser.add_argument("--size", default="10k")
    parser.add_argument("--times", type=int, default=20)
    parser.add_argument("--layer", action="store_true", help="the query layer only")
    parser.add_argument("--postgres-url")
    parser.add_argument("--top", type=int, default=25)
    options = parser.parse_args(argv)
    world = world_of(parse_size(options.size))
    question = {q.name: q for q in questions(world)}[options.question]
    server = parse_database_url(options.postgres_url) if options.postgres_url else None
    engine = "postgresql" if server else "sqlite"
    with tempfile.TemporaryDirectory(prefix="eventdb-profile-") as tmp:
        async with loaded(engine, world, Path(tmp), server) as database:
            layers = InProcess(database.url, server, 0)
            try:
                recording = Recording(layers.engine, layers.sqlite)
                await layers.execute(question.document, question.variables, recording)

                async def once() -> None:
                    reader = Inline(layers.engine, layers.sqlite)
                    if not options.layer:
                        await layers.execute(question.document, question.variables, reader)
                        return
                    for query, arguments in recording.hops:
                        await reader.run(query, *arguments)
                    await reader.close()

                for _ in range(3):
                    await once()
                profiler = cProfile.Profile()
                profiler.enable()
                for _ in range(options.times):
                    await once()
                profiler.disable()
            finally:
                await layers.close()
    statistics = pstats.Stats(profiler)
    for order in ("tottime", "cumulative"):
        statistics.sort_stats(order).print_stats(options.top)


if __name__ == "__main__":
    asyncio.run(main())
