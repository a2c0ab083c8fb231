"""A load stopped mid-write, by Ctrl-C or by kill -9, leaves the database exactly as it was."""

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

from tests.helpers import DERNA

BENCH_LOAD = Path(__file__).parent.parent / "bench" / "load.py"


def world_file(folder: Path) -> Path:
    spec = importlib.util.spec_from_file_location("bench_load", BENCH_LOAD)
    assert spec is not None
    assert spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    path = folder / "world.jsonl"
    path.write_text("".join(json.dumps(entry) + "\n" for entry in bench.generate(60_000, 60_000)))
    return path


def eventdb(*arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "eventdb", *arguments], cwd=cwd, capture_output=True, text=True
    )


def counts(database: Path) -> tuple[int, int, str]:
    connection = sqlite3.connect(database)
    try:
        events = connection.execute("SELECT count(*) FROM event_versions").fetchone()[0]
        controls = connection.execute("SELECT count(*) FROM control_versions").fetchone()[0]
        integrity = connection.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        connection.close()
    return events, controls, integrity


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
