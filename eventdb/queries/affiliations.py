"""Relations between actors over time, symmetric ones found from either side."""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, Final

from sqlalchemy import Select, bindparam, or_, select
from sqlalchemy.engine import Connection

from eventdb.db.models import Affiliation, AffiliationVersion
from eventdb.queries.refs import storable
from eventdb.queries.statements import one_of, visible
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


@functools.cache
def _affiliations(of_kinds: bool, on_a_day: bool, known: bool) -> Select[*tuple[Any, ...]]:
    version = AffiliationVersion
    where = [
        visible(version, known),
        or_(
            one_of(version.actor_id),
            one_of(version.target_id) & version.kind.in_(SYMMETRIC_AFFILIATION_KINDS),
        ),
    ]
    if of_kinds:
        where.append(one_of(version.kind, "kinds"))
    if on_a_day:
        day = bindparam("day", type_=version.earliest_start.type)
        where.extend((version.earliest_start <= day, version.latest_end >= day))
    return _columns().where(*where).order_by(version.kind, version.earliest_start, version.id)


def affiliations_of(
    connection: Connection,
    actor_ids: Iterable[int],
    day: date | None,
    kinds: Sequence[str] | None,
    at: datetime | None,
) -> dict[int, list[Related]]:
    """Each actor's relations: its own, and symmetric ones others recorded with it, turned so
    that the actor asked about is `actor`. With a day, only those that may hold then."""
    ids = set(actor_ids)
    values = {"ids": list(ids), "kinds": storable(kinds or ()), "day": day, "at": at}
    rows = connection.execute(_affiliations(bool(kinds), day is not None, at is not None), values)
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


def affiliations_by_version(
    connection: Connection, version_ids: Iterable[int]
) -> dict[int, AffiliationView]:
    rows = connection.execute(_BY_VERSION, {"ids": list(version_ids)})
    return {row[1]: _view(row) for row in rows}


def _columns() -> Select[*tuple[Any, ...]]:
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


_BY_VERSION: Final = _columns().where(one_of(AffiliationVersion.id))
