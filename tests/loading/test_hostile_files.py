"""Hostile files given to `eventdb load`, each in a process of its own: refused (or loaded) within
a bounded time and memory, with a message that says where and why, and the database left as it
was when refused. The process reports its own peak resident memory; the growth is measured
against the same command loading a one-line file. docs/reliability.md has the figures.

Unit-level cases live beside the reader's other tests (test_bad_input.py, test_reading.py).
"""

import asyncio
import importlib.util
import json
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import pytest
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import engine_on
from tests.helpers import load, snapshot, write

MIB: Final = 1024 * 1024
# Runs the command line, then says how much memory the process held at its peak.
MEASURED: Final = """
import resource, sys
from eventdb.cli import main
try:
    main()
finally:
    print(f"peak-rss-kib={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}", file=sys.stderr)
"""
WORLD: Final = "sources:\n  - {id: report, title: A report}\n"


@dataclass
class Run:
    exit_code: int
    output: str
    peak_mib: float
    seconds: float


async def eventdb_load(path: Path, url: URL, within: float) -> Run:
    """`eventdb load PATH` in a process of its own, killed if it outlives `within` seconds."""
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        MEASURED,
        "load",
        str(path),
        "--database-url",
        url.render_as_string(hide_password=False),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), within)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    output = (stdout + stderr).decode()
    peak = re.search(r"peak-rss-kib=(\d+)", output)
    assert peak is not None, output
    assert process.returncode is not None
    seconds = time.perf_counter() - started
    return Run(process.returncode, output, int(peak.group(1)) / 1024, seconds)


@pytest.fixture
async def world(engine: AsyncEngine, database_url: URL, tmp_path: Path) -> AsyncEngine:
    await load(engine, write(tmp_path, "world.yaml", WORLD))
    return engine


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """The same command loading a one-line file into a new SQLite database: what every run
    holds anyway (the interpreter, eventdb, its libraries and drivers)."""
    folder = tmp_path_factory.mktemp("baseline")
    url = make_url(f"sqlite+aiosqlite:///{folder / 'eventdb.sqlite3'}")

    async def measure() -> Run:
        async with engine_on(url):
            pass  # migrated
        return await eventdb_load(write(folder, "small.yaml", WORLD), url, within=60)

    run = asyncio.run(measure())
    assert run.exit_code == 0, run.output
    return run


def billion_laughs() -> str:
    """Nine levels of ten aliases each: a few hundred bytes that expand to 10⁹ strings."""
    lines = ['a0: &a0 "lol"']
    lines += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 10)}]" for n in range(1, 10)]
    return "sources:\n  - {id: s, title: T}\n" + "\n".join(lines) + "\n"


def anchor_chain(depth: int = 10) -> str:
    """Each level an alias of the one before: a chain ten anchors deep."""
    lines = ["sources:", "  - &level0 {id: s, title: T}"]
    lines += [f"level{n}: &level{n} {{inner: *level{n - 1}}}" for n in range(1, depth + 1)]
    return "\n".join(lines) + "\n"


def many_aliases(count: int) -> str:
    aliases = ", ".join(f'"Alias {n}"' for n in range(count))
    return (
        f"actors:\n  - id: many\n    name: Many Names\n    kind: person\n    aliases: [{aliases}]\n"
    )


REFUSED: Final = [
    pytest.param(
        "bomb.yaml",
        billion_laughs().encode(),
        "bomb.yaml:4: not valid YAML: anchors and aliases are not supported",
        id="billion laughs",
    ),
    pytest.param(
        "chain.yaml",
        anchor_chain().encode(),
        "chain.yaml:3: not valid YAML: anchors and aliases are not supported",
        id="anchor chain ten deep",
    ),
    pytest.param(
        "long.yaml",
        b"actors:\n  - id: long\n    name: " + b"x" * 1_000_000 + b"\n    kind: person\n",
        "long.yaml:3: actor 'long': name: is 1,000,000 characters long; at most 500 are allowed",
        id="a 1 MB name",
    ),
    pytest.param(
        "aliases.yaml",
        many_aliases(10_000).encode(),
        "aliases.yaml:5: actor 'many': aliases: has 10,000 items; at most 1,000 are allowed",
        id="10,000 aliases",
    ),
    pytest.param(
        "nul.json",
        b'{"sources": [\n  {"id": "a",\n   "title": "A\x00B"}]}',
        "nul.json:3: a NUL byte: this is a binary file, not text",
        id="a NUL byte",
    ),
    pytest.param(
        "latin1.jsonl",
        b'{"type": "source", "id": "a", "title": "A"}\n{"type": "source", "id": "b", '
        b'"title": "caf\xe9"}\n',
        "latin1.jsonl:2: not valid JSON: str is not valid UTF-8",
        id="invalid UTF-8",
    ),
]


@pytest.mark.parametrize(("name", "content", "problem"), REFUSED)
async def test_a_hostile_file_is_refused_quickly_in_little_memory_and_changes_nothing(
    world: AsyncEngine,
    database_url: URL,
    baseline: Run,
    tmp_path: Path,
    name: str,
    content: bytes,
    problem: str,
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    before = await snapshot(world)
    run = await eventdb_load(path, database_url, within=60)
    assert run.exit_code == 1, run.output
    assert f"{tmp_path}/{problem}" in run.output
    assert "1 problem; nothing was written" in run.output
    growth = run.peak_mib - baseline.peak_mib
    assert growth < 100, (run.peak_mib, baseline.peak_mib)
    assert await snapshot(world) == before
    print(f"{name}: refused in {run.seconds:.2f} s, peak {run.peak_mib:.0f} MiB (+{growth:.0f})")


def fifty_megabytes(folder: Path) -> Path:
    """bench/load.py's synthetic world as JSON Lines, at least 50 MB of it."""
    spec = importlib.util.spec_from_file_location(
        "bench_load", Path(__file__).parents[2] / "bench" / "load.py"
    )
    assert spec is not None
    assert spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    path = folder / "big.jsonl"
    with path.open("w") as out:
        out.writelines(json.dumps(entry) + "\n" for entry in bench.generate(110_000, 110_000))
    assert path.stat().st_size >= 50 * MIB
    return path


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_50_megabyte_file_loads_in_bounded_time_and_memory(
    world: AsyncEngine, database_url: URL, baseline: Run, tmp_path: Path
) -> None:
    path = fifty_megabytes(tmp_path)
    run = await eventdb_load(path, database_url, within=600)
    assert run.exit_code == 0, run.output
    assert "events: 110,000 added" in run.output or "events: 110000 added" in run.output
    # About 15 times the file, as bench/README.md measured: the parsed document is in memory.
    size_mib = path.stat().st_size / MIB
    assert run.peak_mib - baseline.peak_mib < 20 * size_mib, (run.peak_mib, size_mib)
    growth = run.peak_mib - baseline.peak_mib
    took = f"{run.seconds:.1f} s, peak {run.peak_mib:.0f} MiB (+{growth:.0f})"
    print(f"{size_mib:.0f} MiB: loaded in {took}")  # shown with -s
