"""Every version a fact has had, and what changed since an instant (for clients that sync)."""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Select, String, and_, case, exists, literal, select, tuple_, union_all
from sqlalchemy.engine import Connection
from sqlalchemy.orm import aliased

from eventdb.db.versioning import FACTS
from eventdb.queries.statements import one_of

ACTIONS: Final = ("added", "corrected", "retracted")


@dataclass(frozen=True, slots=True)
class VersionView:
    kind: str
    identity_id: int
    slug: str
    version_id: int
    recorded_at: datetime
    superseded_at: datetime | None
    recorded_by: str | None
    change_note: str | None
    closed_by: str | None
    closing_note: str | None
    # Closed with no successor: retracted (and perhaps restored later, as a new version).
    retracted: bool


def versions_of(
    connection: Connection, kind: str, identity_ids: Iterable[int]
) -> dict[int, list[VersionView]]:
    """Each fact's versions, oldest first."""
    rows = connection.execute(_versions(kind), {"ids": list(identity_ids)})
    found: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        found[row[0]].append(row)
    history = {}
    for identity_id, versions in found.items():
        starts = {row[3] for row in versions}
        history[identity_id] = [_version(kind, row, starts) for row in versions]
    return history


@functools.cache
def _versions(kind: str) -> Select[*tuple[Any, ...]]:
    tables = FACTS[kind]
    version = tables.version
    return (
        select(
            tables.fact_id,
            tables.identity.slug,
            version.id,
            version.recorded_at,
            version.superseded_at,
            version.recorded_by,
            version.change_note,
            version.closed_by,
            version.closing_note,
        )
        .join(tables.identity, tables.identity.id == tables.fact_id)
        .where(one_of(tables.fact_id))
        .order_by(version.recorded_at, version.id)
    )


def _version(kind: str, row: Any, starts: set[datetime]) -> VersionView:
    identity_id, slug, version_id, recorded_at, superseded_at, *rest = row
    recorded_by, change_note, closed_by, closing_note = rest
    retracted = superseded_at is not None and superseded_at not in starts
    return VersionView(
        kind,
        identity_id,
        slug,
        version_id,
        recorded_at,
        superseded_at,
        recorded_by,
        change_note,
        closed_by,
        closing_note,
        retracted,
    )


@dataclass(frozen=True, slots=True)
class ChangeView:
    at: datetime
    kind: str
    slug: str
    version_id: int
    action: str  # added (or restored), corrected, retracted
    author: str | None
    note: str | None

    @property
    def position(self) -> tuple[datetime, str, int, str]:
        return self.at, self.kind, self.version_id, self.action


def changes_since(
    connection: Connection,
    since: datetime,
    first: int,
    after: tuple[datetime, str, int, str] | None,
) -> tuple[list[ChangeView], bool]:
    """What was added, corrected or retracted after `since`, in order, one page at a time."""
    parts = []
    for kind, tables in FACTS.items():
        version, identity = tables.version, tables.identity
        other = aliased(version)
        same_fact = getattr(other, tables.fact_id.key) == tables.fact_id
        replaced = exists().where(same_fact, other.superseded_at == version.recorded_at)
        succeeded = exists().where(same_fact, other.recorded_at == version.superseded_at)
        name = literal(kind, String).label("kind")
        parts.append(
            select(
                version.recorded_at.label("at"),
                name,
                identity.slug,
                version.id.label("version_id"),
                case((replaced, "corrected"), else_="added").label("action"),
                version.recorded_by.label("author"),
                version.change_note.label("note"),
            )
            .join(identity, identity.id == tables.fact_id)
            .where(version.recorded_at > since)
        )
        parts.append(
            select(
                version.superseded_at.label("at"),
                name,
                identity.slug,
                version.id.label("version_id"),
                literal("retracted", String).label("action"),
                version.closed_by.label("author"),
                version.closing_note.label("note"),
            )
            .join(identity, identity.id == tables.fact_id)
            .where(and_(version.superseded_at > since, ~succeeded))
        )
    every = union_all(*parts).subquery("changes")
    order = (every.c.at, every.c.kind, every.c.version_id, every.c.action)
    page = select(every).order_by(*order).limit(first + 1)
    if after is not None:
        page = page.where(tuple_(*order) > tuple_(*after))
    rows = (connection.execute(page)).all()
    return [ChangeView(*row) for row in rows[:first]], len(rows) > first
