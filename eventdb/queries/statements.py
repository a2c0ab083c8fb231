"""Statements built once, with their values as bound parameters.

SQLAlchemy caches each statement's compiled form, but finds it by a key computed from the
statement; a statement built anew for every call pays for building and for that key (here
~300 µs, against ~10 µs for SQLite to answer a point query). Built once, by a cached function
of its shape (which kind, whether an instant is asked about), a statement costs its key once.
Values go in as parameters: `ids` (any number of ids, an expanding `IN`), `at`, and the rest
by name.
"""

from typing import Any

from sqlalchemy import BindParameter, ColumnElement, and_, bindparam, or_


def ids(name: str = "ids") -> BindParameter[Any]:
    """Any number of values, bound as `name`."""
    return bindparam(name, expanding=True)


def visible(version: Any, known: bool) -> ColumnElement[bool]:
    """The versions of `version`'s table as the database knew them at the instant bound as
    `at` when `known`, else the current ones (`eventdb.db.versioning.known_at`, bound)."""
    if not known:
        return version.superseded_at.is_(None)  # type: ignore[no-any-return]
    at = bindparam("at", type_=version.recorded_at.type)
    return and_(
        version.recorded_at <= at,
        or_(version.superseded_at.is_(None), version.superseded_at > at),
    )
