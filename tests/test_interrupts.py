"""A load stopped mid-write, by Ctrl-C or by kill -9, leaves the database exactly as it was
(SQLite), and a load killed with kill -9 while copying rows in leaves PostgreSQL exactly as it
was and ready for the next load."""

import asyncio
import hashlib
import importlib.util
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy.engine import URL

from eventdb.config import DATABASE_URL_VARIABLE
from tests.conftest import engine_on, fresh_database, needs_postgres, raw_postgres
from tests.helpers import DERNA, snapshot, write
from tests.served import run_eventdb

BENCH_LOAD = Path(__file__).parent.parent / "bench" / "load.py"


def world_file(folder: Path, entries: int = 60_000) -> Path:
    """`entries` control records and as many events, with their places and actors."""
    spec = importlib.util.spec_from_file_location("bench_load", BENCH_LOAD)
    assert spec is not None
    assert spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    path = folder / "world.jsonl"
    path.write_text("".join(json.dumps(entry) + "\n" for entry in bench.generate(entries, entries)))
    return path


def eventdb(*arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "eventdb", *arguments], cwd=cwd, capture_output=True, text=True
    )


def counts(database: Path) -> tuple[int, int, str, str]:
    """Event and control rows, SQLite's integrity check, and a hash of the whole database's
    content (every table's rows, as `iterdump` writes them out)."""
    connection = sqlite3.connect(database)
    try:
        events = connection.execute("SELECT count(*) FROM event_versions").fetchone()[0]
        controls = connection.execute("SELECT count(*) FROM control_versions").fetchone()[0]
        integrity = connection.execute("PRAGMA integrity_check").fetchone()[0]
        content = hashlib.sha256("\n".join(connection.iterdump()).encode()).hexdigest()
    finally:
        connection.close()
    return events, controls, integrity, content


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "kill-9"])
def test_a_load_stopped_mid_write_leaves_the_database_unchanged(
    tmp_path: Path, stop: signal.Signals
) -> None:
    assert eventdb("init", cwd=tmp_path).returncode == 0
    assert eventdb("load", str(DERNA), cwd=tmp_path).returncode == 0
    database = tmp_path / "eventdb.sqlite3"
    before = counts(database)
    world = world_file(tmp_path)

    load = subprocess.Popen(
        [sys.executable, "-m", "eventdb", "load", str(world)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    wal = tmp_path / "eventdb.sqlite3-wal"
    deadline = time.monotonic() + 60
    while not (wal.exists() and wal.stat().st_size > 2_000_000):  # the write has begun
        assert load.poll() is None, "the load ended before it could be stopped"
        assert time.monotonic() < deadline
        time.sleep(0.01)
    os.kill(load.pid, stop)
    _, stderr = load.communicate(timeout=60)

    if stop == signal.SIGINT:
        assert load.returncode == 130
        assert "interrupted; nothing was written" in stderr
        assert "Traceback" not in stderr
    else:
        assert load.returncode == -signal.SIGKILL
    assert counts(database) == before
    assert eventdb("state", "derna", "--at", "2015-03-01", cwd=tmp_path).returncode == 0


async def writing_backends(url: URL) -> int:
    """Backends of this database copying rows in: a load's write has begun."""
    async with raw_postgres(url) as connection:
        copying = await connection.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND state = 'active' AND query ILIKE 'COPY%'"
        )
    assert isinstance(copying, int)
    return copying


async def fingerprint(url: URL) -> dict[str, tuple[int, str]]:
    async with engine_on(url, migrated=False) as engine:
        return await snapshot(engine)


@needs_postgres
async def test_a_load_killed_mid_write_leaves_postgresql_unchanged_and_usable(
    tmp_path: Path,
) -> None:
    async with fresh_database("postgresql", tmp_path) as url:
        raw = url.render_as_string(hide_password=False)
        run_eventdb("init", database_url=raw)
        run_eventdb("load", str(DERNA), database_url=raw)
        before = await fingerprint(url)
        world = world_file(tmp_path, 30_000)  # COPY takes seconds: long enough to be stopped in

        load = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "eventdb", "load", str(world)),
            env={**os.environ, DATABASE_URL_VARIABLE: raw},
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        started = time.monotonic()
        try:
            deadline = started + 60
            while await writing_backends(url) == 0:  # until the loader is copying rows in
                assert load.returncode is None, "the load ended before it could be stopped"
                assert time.monotonic() < deadline
                await asyncio.sleep(0.02)
        finally:
            if load.returncode is None:
                load.kill()
        print(f"killed {time.monotonic() - started:.1f} s after the load began, in its COPY")
        await asyncio.wait_for(load.wait(), 60)
        assert load.returncode == -signal.SIGKILL

        assert await fingerprint(url) == before
        # Usable: the next load takes the write lock (the dead one's transaction is gone) and
        # writes; Derna's state is answered.
        late = write(
            tmp_path,
            "late.yaml",
            "events:\n  - id: late-event\n    title: Late\n    kind: statement\n"
            "    date: 2019-01-01\n    location: derna\n",
        )
        assert "events: 1 added" in run_eventdb("load", str(late), database_url=raw)
        assert "Derna" in run_eventdb("state", "derna", "--at", "2015-03-01", database_url=raw)
        after = await fingerprint(url)
        assert after["event_versions"][0] == before["event_versions"][0] + 1
