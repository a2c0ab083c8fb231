"""Writing one fact at a time, as an editor does through the API.

The loader's own steps do the work (validation, planning against the database, writing under the
write lock), so a fact entered by hand obeys exactly the rules of a fact loaded from a file. On
top, what an editor needs: create only what is new, correct only what exists, and refuse to
overwrite a version the editor has not seen (`expected_version`).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncEngine

from eventdb.errors import Conflict, NotFound
from eventdb.loading import LoadRejected, apply
from eventdb.loading.planning import Plan
from eventdb.loading.reading import Problem, RawEntry, Where
from eventdb.loading.records import Record, Retraction
from eventdb.loading.validation import validate_entry

INPUT = Where("input")


@dataclass(frozen=True, slots=True)
class Written:
    kind: str
    slug: str
    identity_id: int
    # The fact's open version after the write (the one closed, for a retraction).
    version_id: int
    changed: bool


async def put(
    engine: AsyncEngine,
    kind: str,
    data: Mapping[str, Any],
    *,
    mode: Literal["create", "correct"],
    expected_version: int | None,
    author: str,
    note: str | None,
) -> Written:
    """Create a fact, or correct one, from fixture-shaped `data`."""
    problems: list[Problem] = []
    record = validate_entry(RawEntry(kind, data, INPUT), problems)
    if record is None:
        raise LoadRejected(problems)

    def check(plan: Plan) -> None:
        current = _current_version(plan, kind, record.slug)
        if mode == "create" and current is not None:
            raise Conflict(
                f"{kind} {record.slug!r} already exists (version {current}); correct it instead",
                current,
            )
        if mode == "correct":
            if current is None:
                raise NotFound(f"no {kind} {record.slug!r} to correct; create it instead")
            _expect(kind, record.slug, expected_version, current)

    return await _write(engine, kind, record, check, author, note)


async def retract(
    engine: AsyncEngine,
    kind: str,
    slug: str,
    *,
    expected_version: int | None,
    author: str,
    note: str | None,
) -> Written:
    """Close the fact's open version with no successor."""
    record = Retraction(slug=slug, where=INPUT, note=note, fact_kind=kind)

    def check(plan: Plan) -> None:
        current = _current_version(plan, kind, slug)
        if current is None:
            raise NotFound(f"no current {kind} {slug!r} to retract")
        _expect(kind, slug, expected_version, current)

    return await _write(engine, kind, record, check, author, note)


async def _write(
    engine: AsyncEngine,
    kind: str,
    record: Record,
    check: Any,
    author: str,
    note: str | None,
) -> Written:
    plan = await apply(engine, [record], author=author, note=note, check=check)
    slug = record.slug
    stored = plan.stored[kind].get(slug)
    written = plan.written.get((kind, slug))
    version = written or (stored.version_id if stored else None)
    assert version is not None
    changed = written is not None or bool(plan.retracted[kind])
    return Written(kind, slug, plan.ids[kind][slug], version, changed)


def _current_version(plan: Plan, kind: str, slug: str) -> int | None:
    stored = plan.stored[kind].get(slug)
    return stored.version_id if stored else None


def _expect(kind: str, slug: str, expected: int | None, current: int) -> None:
    if expected is not None and expected != current:
        raise Conflict(
            f"{kind} {slug!r} has changed: you expected version {expected}, it is now "
            f"version {current}; read it again before correcting it",
            current,
        )
