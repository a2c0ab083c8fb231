"""Finding a fact from what a user typed: an id, a slug, a name, an alias or an external id.

Names and aliases match case- and accent-insensitively (`eventdb.names`). A name shared by several
facts is refused with the candidates listed, never answered by a random pick.
"""

import functools
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Final

from sqlalchemy import CompoundSelect, Integer, String, bindparam, select, union
from sqlalchemy.engine import Connection

from eventdb.db.models import ActorAlias, ExternalId, LocationAlias
from eventdb.db.versioning import FACTS, known_at
from eventdb.errors import Ambiguous, BadInput, NotFound
from eventdb.names import external_id_key, name_key
from eventdb.queries.statements import visible

# The largest id a row can have (a 64-bit integer column): a longer number names nothing.
MAX_ID: Final = 2**63 - 1

# The column holding each kind's display name, and its lookup key; affiliations and control have
# neither, and are found by slug or id only.
_NAMES: Final = {
    "actor": ("name", "name_key"),
    "location": ("name", "name_key"),
    "event": ("title", "title_key"),
    "source": ("title", None),
}
_ALIASES: Final[dict[str, Any]] = {"actor": ActorAlias, "location": LocationAlias}


def storable(texts: Iterable[str]) -> list[str]:
    """The texts that a stored value could equal. No stored text holds a NUL character (every
    writer refuses control characters), and PostgreSQL refuses to even compare one."""
    return [text for text in texts if "\x00" not in text]


def parse_id(text: str) -> int | None:
    """The row id `text` spells in ASCII digits, or None: `²` and `٣` are digits to
    `str.isdigit`, and a number past MAX_ID would overflow the column."""
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(MAX_ID)):
        return None
    number = int(text)
    return number if number <= MAX_ID else None


def resolve(connection: Connection, kind: str, ref: str, at: datetime | None = None) -> int:
    """The identity id of the `kind` fact that `ref` names, as known at `at`."""
    tables = FACTS[kind]
    identity, version = tables.identity, tables.version
    ref = ref.strip()
    if not ref:
        raise BadInput(f"an empty reference names no {kind}")
    if not storable([ref]):
        raise NotFound(f"no {kind} is known as {ref!r}")
    number = parse_id(ref)
    key = name_key(ref)
    display, lookup = _NAMES.get(kind, (None, None))
    by_name = bool(key) and lookup is not None
    by_alias = bool(key) and kind in _ALIASES
    by_external_id = ":" in ref and kind in ("actor", "location", "event")
    values = {
        "slug": ref.lower(),
        "id": number,
        "key": key,
        "external_id": external_id_key(ref) if by_external_id else None,
        "at": at,
    }
    by_id = number is not None
    statement = _matches(kind, at is not None, by_id, by_name, by_alias, by_external_id)
    found = sorted({row[0] for row in connection.execute(statement, values)})
    if len(found) == 1:
        return found[0]
    if not found:
        when = f" as known at {at.isoformat()}" if at is not None else ""
        raise NotFound(f"no {kind} is known as {ref!r}{when}")
    shown = getattr(version, display) if display is not None else identity.slug
    rows = connection.execute(
        select(identity.slug, shown)
        .join(version, tables.fact_id == identity.id)
        .where(identity.id.in_(found), known_at(version, at))
        .order_by(identity.slug)
    )
    candidates = [{"slug": slug, "name": name} for slug, name in rows]
    listing = ", ".join(f"{c['slug']} ({c['name']})" for c in candidates)
    raise Ambiguous(f"{ref!r} names several {kind}s: {listing}; use a slug or id", candidates)


@functools.cache
def _matches(
    kind: str, known: bool, by_id: bool, by_name: bool, by_alias: bool, by_external_id: bool
) -> CompoundSelect[int]:
    """The facts a reference may name, each way it may name them; the values are bound as
    `slug`, `id`, `key` and `external_id`."""
    tables = FACTS[kind]
    identity, version = tables.identity, tables.version
    visible_ = select(tables.fact_id.label("fact_id")).where(visible(version, known))
    matches = [
        visible_.join(identity, identity.id == tables.fact_id).where(
            identity.slug == bindparam("slug", type_=String)
        ),
    ]
    if by_id:
        matches.append(visible_.where(tables.fact_id == bindparam("id", type_=Integer)))
    key = bindparam("key", type_=String)
    lookup = _NAMES.get(kind, (None, None))[1]
    if by_name and lookup is not None:
        matches.append(visible_.where(getattr(version, lookup) == key))
    if by_alias:
        alias = _ALIASES[kind]
        owner = getattr(alias, f"{kind}_version_id")
        matches.append(visible_.join(alias, owner == version.id).where(alias.alias_key == key))
    if by_external_id:
        owner = getattr(ExternalId, f"{kind}_version_id")
        matches.append(
            visible_.join(ExternalId, owner == version.id).where(
                ExternalId.value_key == bindparam("external_id", type_=String)
            )
        )
    return union(*matches)


def resolve_any(connection: Connection, kind: str, ref: str) -> int:
    """Like `resolve`, but a slug or id also finds a fact that has been retracted (to read its
    history); names and aliases only find what is current."""
    identity = FACTS[kind].identity
    ref = ref.strip()
    if storable([ref]):
        match = identity.slug == ref.lower()
        if (number := parse_id(ref)) is not None:
            match = match | (identity.id == number)
        found = connection.scalar(select(identity.id).where(match).limit(1))
        if found is not None:
            return int(found)
    return resolve(connection, kind, ref)


def slugs_by_external_id(
    connection: Connection, kind: str, external_ids: Iterable[str]
) -> dict[str, str]:
    """The slug of each current fact of `kind` that carries one of `external_ids`, by id key."""
    tables = FACTS[kind]
    owner = getattr(ExternalId, f"{kind}_version_id")
    keys = sorted({external_id_key(value) for value in external_ids})
    found: dict[str, str] = {}
    for start in range(0, len(keys), 5_000):
        rows = connection.execute(
            select(ExternalId.value_key, tables.identity.slug)
            .join(tables.version, tables.version.id == owner)
            .join(tables.identity, tables.identity.id == tables.fact_id)
            .where(
                ExternalId.value_key.in_(keys[start : start + 5_000]),
                tables.version.superseded_at.is_(None),
            )
        )
        found.update(dict(rows.all()))
    return found
