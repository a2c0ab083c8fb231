"""Loading fixture files: read, validate everything, then write it all in one transaction.

`eventdb load` and the tests come here; GraphQL mutations share the validation, planning and
writing steps so that there is one set of rules for every way a fact gets in.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from eventdb.db.engine import SQLITE_BEGIN
from eventdb.db.versioning import take_write_lock
from eventdb.errors import BadInput, Conflict
from eventdb.loading.planning import KINDS, Plan, plan
from eventdb.loading.reading import Problem, RawEntry, read_file
from eventdb.loading.records import Record
from eventdb.loading.validation import validate
from eventdb.loading.writing import write

# A write of at least this many facts is followed, on PostgreSQL, by ANALYZE.
ANALYZE_AFTER: Final = 10_000
ACTIONS: Final = ("added", "corrected", "retracted", "unchanged")
PLURALS: Final = {
    "source": "sources",
    "actor": "actors",
    "location": "locations",
    "affiliation": "affiliations",
    "control": "control",
    "event": "events",
}


class LoadRejected(BadInput):
    """The load broke rules; `problems` lists each, and nothing was written."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.where.file, p.where.line or 0))
        count = len(self.problems)
        listing = "\n".join(str(problem) for problem in self.problems)
        super().__init__(f"{listing}\n{count} problem{'s' * (count != 1)}; nothing was written")
        self.details = {
            "problems": [
                {"path": _path(problem), "message": problem.message} for problem in self.problems
            ]
        }


def _path(problem: Problem) -> str:
    """Where a problem is, as an API client names it: `input.date`, or `FILE:LINE`."""
    if problem.where.line is None and problem.field is not None:
        return f"{problem.where.file}.{problem.field}"
    return str(problem.where)


@dataclass
class LoadReport:
    """What a load did (or, in a dry run, would do), kind by kind."""

    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    dry_run: bool = False
    warnings: list[Problem] = field(default_factory=list)
    # Seconds spent reading, validating, planning and writing.
    timings: dict[str, float] = field(default_factory=dict)

    @classmethod
    def of(cls, outcome: Plan, dry_run: bool) -> LoadReport:
        counts = {
            kind: {
                "added": len(outcome.added[kind]),
                "corrected": len(outcome.corrected[kind]),
                "retracted": len(outcome.retracted[kind]),
                "unchanged": outcome.unchanged[kind],
            }
            for kind in KINDS
        }
        return cls(counts, dry_run, outcome.warnings)

    @property
    def changed(self) -> bool:
        return any(c[action] for c in self.counts.values() for action in ACTIONS[:3])

    def lines(self) -> list[str]:
        lines = []
        for kind, counts in self.counts.items():
            if any(counts.values()):
                parts = ", ".join(f"{counts[action]} {action}" for action in ACTIONS)
                lines.append(f"{PLURALS[kind]}: {parts}")
        if not self.changed:
            lines.append("nothing to change: the database already holds all of this")
        elif self.dry_run:
            lines.append("dry run: nothing was written")
        return lines


class Progress:
    """How a caller follows a long load: phases, each with a total when one is known."""

    def phase(self, description: str, total: int | None = None) -> None:
        """A new phase begins."""

    def advance(self, count: int) -> None:
        """`count` more units of the current phase are done."""


async def load_files(
    engine: AsyncEngine,
    paths: Sequence[Path],
    *,
    dry_run: bool = False,
    author: str | None = None,
    note: str | None = None,
    progress: Progress | None = None,
) -> LoadReport:
    """Load `paths` as one all-or-nothing, idempotent change; raise LoadRejected on any problem."""
    with cyclic_gc_paused():
        return await _load(engine, paths, dry_run, author, note, progress or Progress())


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """A load builds millions of small acyclic objects, which reference counting frees; the
    cyclic collector would only rescan them again and again (a third of the parse time)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


async def _load(
    engine: AsyncEngine,
    paths: Sequence[Path],
    dry_run: bool,
    author: str | None,
    note: str | None,
    progress: Progress,
) -> LoadReport:
    clock = _Clock()
    entries: list[RawEntry] = []
    problems: list[Problem] = []
    for path in paths:
        progress.phase(f"reading {path.name}")
        found, trouble = read_file(path)
        entries.extend(found)
        problems.extend(trouble)
    clock.lap("read")
    return await _load_entries(engine, entries, problems, dry_run, author, note, progress, clock)


async def load_entries(
    engine: AsyncEngine,
    entries: list[RawEntry],
    problems: Sequence[Problem] = (),
    *,
    dry_run: bool = False,
    author: str | None = None,
    note: str | None = None,
    progress: Progress | None = None,
) -> LoadReport:
    """Load fixture-shaped entries an importer made (each with the file and line it came
    from), exactly as `load_files` loads a file's: one transaction, all or nothing."""
    with cyclic_gc_paused():
        return await _load_entries(
            engine, entries, list(problems), dry_run, author, note, progress or Progress(), _Clock()
        )


async def _load_entries(
    engine: AsyncEngine,
    entries: list[RawEntry],
    problems: list[Problem],
    dry_run: bool,
    author: str | None,
    note: str | None,
    progress: Progress,
    clock: _Clock,
) -> LoadReport:
    progress.phase("checking entries", len(entries))
    validated = validate(entries, progress.advance)
    problems.extend(validated.problems)
    clock.lap("validate")

    outcome = await apply(
        engine,
        validated.records,
        refused=validated.refused,
        problems=problems,
        dry_run=dry_run,
        author=author,
        note=note,
        progress=progress,
        clock=clock,
    )
    report = LoadReport.of(outcome, dry_run)
    report.timings = clock.laps
    return report


async def apply(
    engine: AsyncEngine,
    records: Sequence[Record],
    *,
    refused: Mapping[str, set[str]] | None = None,
    problems: Sequence[Problem] = (),
    dry_run: bool = False,
    author: str | None = None,
    note: str | None = None,
    progress: Progress | None = None,
    clock: _Clock | None = None,
    check: Callable[[Plan], None] | None = None,
) -> Plan:
    """Plan `records` against the database and write them, in one transaction under the write
    lock: the step every way of changing facts shares (files, GraphQL mutations).

    Raises LoadRejected listing `problems` and the plan's own; `check` may refuse the plan too
    (a mutation's preconditions). Either way nothing is written.
    """
    progress = progress or Progress()
    clock = clock or _Clock()
    async with engine.connect() as connection:
        if connection.dialect.name == "sqlite" and not dry_run:
            # Take the write lock before reading, so what is validated is what gets written.
            connection = await connection.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"})
        async with connection.begin() as transaction:
            if not dry_run:
                await take_write_lock(connection)
            progress.phase("comparing with the database")
            outcome = await plan(connection, records, refused)
            if check is not None:
                check(outcome)  # first: "no such fact" says more than what follows from it
            if problems or outcome.problems:
                raise LoadRejected([*problems, *outcome.problems])
            clock.lap("plan")
            if dry_run or not outcome.changes_anything:
                await transaction.rollback()
            else:
                progress.phase("writing", outcome.size)
                try:
                    await write(
                        connection, outcome, author=author, note=note, progress=progress.advance
                    )
                except IntegrityError as error:
                    # The planner checked everything under the write lock; the database's own
                    # guards (one open version, the control exclusion) only fire on a race.
                    raise Conflict(
                        f"the database refused the write ({_constraint(error)}); another write "
                        "changed the same facts: nothing was written, try again"
                    ) from error
                if connection.dialect.name == "postgresql" and outcome.size >= ANALYZE_AFTER:
                    # Without statistics PostgreSQL plans the new rows blind until autovacuum
                    # comes by, minutes later (a point query took 18.6 ms instead of 0.95 ms).
                    # In the transaction, so that a failure here is the load's failure.
                    await connection.execute(text("ANALYZE"))
        clock.lap("write")  # the commit included
    return outcome


def _constraint(error: IntegrityError) -> str:
    return str(error.orig).splitlines()[0] if error.orig is not None else "a constraint"


class _Clock:
    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self.last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = now - self.last
        self.last = now
