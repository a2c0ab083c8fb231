"""Relations between actors over time, symmetric ones found from either side."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from eventdb.db.models import Affiliation, AffiliationVersion
from eventdb.db.versioning import known_at
from eventdb.queries.refs import storable
from eventdb.temporal import Certainty, FuzzyInterval, certainty
from eventdb.vocabulary import SYMMETRIC_AFFILIATION_KINDS


@dataclass(frozen=True, slots=True)
class AffiliationView:
    id: int
    version_id: int
    slug: str
    recorded_at: datetime
    actor_id: int
    kind: str
    target_id: int
    valid: FuzzyInterval


@dataclass(frozen=True, slots=True)
class Related:
    affiliation: AffiliationView
    certainty: Certainty


async def affiliations_of(
    connection: AsyncConnection,
    actor_ids: Iterable[int],
    day: date | None,
    kinds: Sequence[str] | None,
    at: datetime | None,
) -> dict[int, list[Related]]:
    """Each actor's relations: its own, and symmetric ones others recorded with it, turned so
    that the actor asked about is `actor`. With a day, only those that may hold then."""
    ids = set(actor_ids)
    version = AffiliationVersion
    where = [
        known_at(version, at),
        or_(
            version.actor_id.in_(ids),
            version.target_id.in_(ids) & version.kind.in_(SYMMETRIC_AFFILIATION_KINDS),
        ),
    ]
    if kinds:
        where.append(version.kind.in_(storable(kinds)))
    if day is not None:
        where.extend((version.earliest_start <= day, version.latest_end >= day))
    rows = await connection.execute(
        _columns().where(*where).order_by(version.kind, version.earliest_start, version.id)
    )
    found: dict[int, list[Related]] = defaultdict(list)
    for row in rows:
        view = _view(row)
        sure = certainty(view.valid, day) if day is not None else Certainty.DEFINITE
        if sure is None:
            continue
        if view.actor_id in ids:
            found[view.actor_id].append(Related(view, sure))
        if view.target_id in ids and view.kind in SYMMETRIC_AFFILIATION_KINDS:
            turned = replace(view, actor_id=view.target_id, target_id=view.actor_id)
            found[view.target_id].append(Related(turned, sure))
    return found


async def affiliations_by_version(
    connection: AsyncConnection, version_ids: Iterable[int]
) -> dict[int, AffiliationView]:
    version = AffiliationVersion
    rows = await connection.execute(_columns().where(version.id.in_(set(version_ids))))
    return {row[1]: _view(row) for row in rows}


def _columns() -> Any:
    version = AffiliationVersion
    return select(
        Affiliation.id,
        version.id,
        Affiliation.slug,
        version.recorded_at,
        version.actor_id,
        version.kind,
        version.target_id,
        version.valid,
        version.earliest_start,
        version.latest_start,
        version.earliest_end,
        version.latest_end,
    ).join(Affiliation, Affiliation.id == version.affiliation_id)


def _view(row: Sequence[Any]) -> AffiliationView:
    identity, version, slug, recorded_at, actor, kind, target, valid, *days = row
    interval = FuzzyInterval(valid, *days)
    return AffiliationView(identity, version, slug, recorded_at, actor, kind, target, interval)
