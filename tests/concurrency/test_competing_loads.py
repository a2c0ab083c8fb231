"""Two `eventdb load` processes, started together, each give Derna a different definite holder
for overlapping months of 2030: exactly one wins, the other is refused with a message naming the
place, and the database never holds the overlap.

The test holds the write lock (PostgreSQL's advisory lock; SQLite's write lock, by a transaction
begun IMMEDIATE) until both processes are waiting for it, so neither can finish before the other
has started: then they race for the lock the moment it is let go.
"""

import asyncio
import os
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import make_url

from eventdb.config import DATABASE_URL_VARIABLE
from eventdb.db.models import Actor, Control, ControlVersion, Location
from eventdb.db.versioning import WRITE_LOCK_KEY
from eventdb.temporal import FuzzyInterval, definite_conflicts
from tests.conftest import engine_on, raw_postgres
from tests.helpers import DERNA, write
from tests.served import run_eventdb

CLAIMS = {
    "haftar": ("haftar-forces", "2030-01-01/2030-12-31"),
    "isis": ("isis", "2030-06-01/2031-06-30"),
}
# Only catches a hang: each load takes about a second.
WAIT_SECONDS = 60.0


def claim(folder: Path, name: str) -> Path:
    actor, valid = CLAIMS[name]
    return write(
        folder,
        f"{name}.yaml",
        f"control:\n  - location: derna\n    actor: {actor}\n    status: controls\n"
        f"    valid: {valid}\n    citations: [{{source: article}}]\n",
    )


def start_load(database_url: str, path: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "eventdb", "load", str(path)],
        env={**os.environ, DATABASE_URL_VARIABLE: database_url},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@asynccontextmanager
async def write_lock_held(database_url: str) -> AsyncIterator[None]:
    """Hold the write lock eventdb's writers take, for the body of the `with`."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        assert url.database is not None
        holder = sqlite3.connect(url.database, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        return
    async with raw_postgres(url) as connection:
        await connection.execute("SELECT pg_advisory_lock($1)", WRITE_LOCK_KEY)
        try:
            yield
        finally:
            await connection.execute("SELECT pg_advisory_unlock($1)", WRITE_LOCK_KEY)


async def until_both_wait(database_url: str, loads: list[subprocess.Popen[str]]) -> None:
    """Until both loads wait for the write lock (PostgreSQL says so in pg_locks); on SQLite,
    until both have the database open, and then half a second, well inside the 5 s they wait
    for a busy database."""
    url = make_url(database_url)
    deadline = asyncio.get_running_loop().time() + WAIT_SECONDS
    while True:
        for load in loads:
            assert load.poll() is None, load.communicate()
        assert asyncio.get_running_loop().time() < deadline, "the loads never waited"
        if url.get_backend_name() == "sqlite":
            assert url.database is not None
            if all(has_open(load.pid, Path(url.database)) for load in loads):
                await asyncio.sleep(0.5)
                return
        elif await waiting_for_advisory_locks(database_url) == len(loads):
            return
        await asyncio.sleep(0.05)


def has_open(pid: int, database: Path) -> bool:
    try:
        descriptors = list(Path(f"/proc/{pid}/fd").iterdir())
    except FileNotFoundError:
        return False
    targets = set()
    for descriptor in descriptors:
        try:
            targets.add(Path(os.readlink(descriptor)))
        except OSError:
            continue
    return database.resolve() in targets


async def waiting_for_advisory_locks(database_url: str) -> int:
    async with raw_postgres(make_url(database_url)) as connection:
        waiting = await connection.fetchval(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        )
    assert isinstance(waiting, int)
    return waiting


async def stored_claims(database_url: str) -> list[tuple[str, FuzzyInterval]]:
    """Who the database says holds Derna (status `controls`, current versions), with when."""
    async with (
        engine_on(make_url(database_url), migrated=False) as engine,
        engine.connect() as connection,
    ):
        rows = await connection.execute(
            select(
                Actor.slug,
                ControlVersion.valid,
                ControlVersion.earliest_start,
                ControlVersion.latest_start,
                ControlVersion.earliest_end,
                ControlVersion.latest_end,
            )
            .join(Control, Control.id == ControlVersion.control_id)
            .join(Actor, Actor.id == ControlVersion.actor_id)
            .join(Location, Location.id == ControlVersion.location_id)
            .where(
                ControlVersion.superseded_at.is_(None),
                ControlVersion.status == "controls",
                Location.slug == "derna",
            )
        )
        return [(actor, FuzzyInterval(*days)) for actor, *days in rows]


async def test_two_loads_of_overlapping_control_at_once_one_wins_one_is_refused(
    initialised_url: str, tmp_path: Path
) -> None:
    run_eventdb("load", str(DERNA), database_url=initialised_url)
    before = await stored_claims(initialised_url)
    files = {name: claim(tmp_path, name) for name in CLAIMS}

    async with write_lock_held(initialised_url):
        loads = {name: start_load(initialised_url, path) for name, path in files.items()}
        try:
            await until_both_wait(initialised_url, list(loads.values()))
        except BaseException:
            for load in loads.values():
                load.kill()
            raise
    outcomes = {name: load.communicate(timeout=WAIT_SECONDS) for name, load in loads.items()}
    codes = {name: load.returncode for name, load in loads.items()}

    assert sorted(codes.values()) == [0, 1], outcomes
    [winner] = [name for name, code in codes.items() if code == 0]
    [loser] = [name for name, code in codes.items() if code == 1]
    assert "control: 1 added" in outcomes[winner][0]
    refusal = outcomes[loser][1]
    assert f"{files[loser]}:2: control" in refusal
    assert "'derna' would be definitely controlled by both" in refusal
    assert "1 problem; nothing was written" in refusal
    assert "Traceback" not in refusal

    after = await stored_claims(initialised_url)
    added = [spell for spell in after if spell not in before]
    assert [actor for actor, _ in added] == [CLAIMS[winner][0]]
    assert definite_conflicts(after) == []
