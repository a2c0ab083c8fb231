"""Generated fixture files (tests/loading/documents.py) fed to the loader, on each engine: each
one loads, or is refused with LoadRejected whose every problem names FILE:LINE, and nothing else.
A refused load leaves every table as it was; a load that succeeds, done again, changes nothing.
A few go through `eventdb load`, which exits 0 or 1 and never reports a bug.

The number of examples is EVENTDB_FUZZ_EXAMPLES (default 150; docs/reliability.md has a deeper run).
"""

import os
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine
from typer.testing import CliRunner

from eventdb.cli import app
from eventdb.loading import LoadRejected
from tests.helpers import load, snapshot, write
from tests.loading.documents import BASE_WORLD, documents

EXAMPLES = int(os.environ.get("EVENTDB_FUZZ_EXAMPLES", "150"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    # One database for all the examples, on purpose: what one loads, the next one corrects.
    # So an example cannot be replayed alone, and shrinking one would only waste minutes.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)


class Files:
    """A fresh file for each example, in the test's folder, and how the loads fared."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.outcomes: Counter[str] = Counter()

    def write(self, suffix: str, raw: bytes) -> Path:
        path = self.folder / f"fuzz-{self.outcomes.total()}{suffix}"
        path.write_bytes(raw)
        return path


@pytest.fixture
async def world(engine: AsyncEngine, tmp_path: Path) -> AsyncEngine:
    await load(engine, write(tmp_path, "world.yaml", BASE_WORLD))
    return engine


@pytest.fixture
def files(tmp_path: Path) -> Iterator[Files]:
    files = Files(tmp_path)
    yield files
    print(f"{files.outcomes.total()} files: {dict(files.outcomes)}")  # shown with -s


def problems_are_located(rejected: LoadRejected, path: Path, raw: bytes) -> None:
    """Every problem names this file and a line in it, and is safe to print on a terminal."""
    last_line = raw.count(b"\n") + 1
    for problem in rejected.problems:
        assert problem.where.file == str(path), problem
        assert problem.where.line is not None, problem
        assert 1 <= problem.where.line <= last_line, problem
        assert problem.message.isprintable(), problem
    assert str(rejected).endswith("nothing was written")


@FUZZ
@given(document=documents())
async def test_a_generated_file_loads_or_is_refused_whole_with_every_line(
    world: AsyncEngine, files: Files, document: tuple[str, bytes]
) -> None:
    suffix, raw = document
    path = files.write(suffix, raw)
    before = await snapshot(world)
    try:
        report = await load(world, path)
    except LoadRejected as rejected:
        files.outcomes["refused"] += 1
        problems_are_located(rejected, path, raw)
        assert await snapshot(world) == before
        return
    files.outcomes["loaded" if report.changed else "unchanged"] += 1
    after = await snapshot(world)
    assert report.changed == (after != before)
    again = await load(world, path)
    assert not again.changed, again.lines()
    assert await snapshot(world) == after


runner = CliRunner()


@pytest.fixture
def initialized(database_url: URL, tmp_path: Path) -> str:
    """A database made by `eventdb init`, with the base world loaded by `eventdb load`."""
    url = database_url.render_as_string(hide_password=False)
    assert runner.invoke(app, ["init", "--database-url", url]).exit_code == 0
    world = write(tmp_path, "world.yaml", BASE_WORLD)
    assert runner.invoke(app, ["load", str(world), "--database-url", url]).exit_code == 0
    return url


@settings(FUZZ, max_examples=max(EXAMPLES // 10, 5))
@given(document=documents())
def test_eventdb_load_exits_0_or_1_and_names_the_line_of_each_problem(
    initialized: str, files: Files, document: tuple[str, bytes]
) -> None:
    suffix, raw = document
    path = files.write(suffix, raw)
    result = runner.invoke(app, ["load", str(path), "--database-url", initialized])
    assert result.exit_code in (0, 1), result.output  # 70 says "a bug in eventdb"
    assert "Traceback" not in result.output
    if result.exit_code == 0:
        files.outcomes["loaded"] += 1
        return
    files.outcomes["refused"] += 1
    *problems, summary = result.output.strip().splitlines()
    assert summary.endswith("; nothing was written"), result.output
    for problem in problems:
        assert re.match(rf"{re.escape(str(path))}:\d+: \S", problem), result.output
