"""Statements built once, with their values as bound parameters.

SQLAlchemy caches each statement's compiled form, but finds it by a key computed from the
statement; a statement built anew for every call pays for building and for that key (here
~300 µs, against ~10 µs for SQLite to answer a point query). Built once, by a cached function
of its shape (which kind, whether an instant is asked about), a statement costs its key once.
Values go in as parameters: `ids` (any number of ids), `at`, and the rest by name.

Any number of values go in as one parameter, not as an expanding `IN (?, ?, ...)` that would be
rewritten for each call: a JSON array read by `json_each` on SQLite, an array with `= ANY` on
PostgreSQL. The SQL of a statement is then the same for every call.
"""

from collections.abc import Iterable
from typing import Any

import orjson
from sqlalchemy import BindParameter, Boolean, ColumnElement, Dialect, Integer, and_, bindparam, or_
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import String, TypeDecorator, TypeEngine


class Values(TypeDecorator[Iterable[Any]]):
    """Any number of values of one type, as one parameter."""

    impl = String
    cache_ok = True

    def __init__(self, item: TypeEngine[Any] | None = None) -> None:
        super().__init__()
        self.item = item if item is not None else Integer()

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(ARRAY(self.item))
        return dialect.type_descriptor(String())

    def process_bind_param(self, value: Iterable[Any] | None, dialect: Dialect) -> Any:
        values = list(value or ())
        return values if dialect.name == "postgresql" else orjson.dumps(values).decode()


class OneOf(ColumnElement[bool]):
    """`column` equals one of the values bound as one parameter (see `one_of`)."""

    inherit_cache = True
    type = Boolean()
    _is_implicitly_boolean = True  # a condition already: never `... = 1` where booleans are not
    _traverse_internals = [  # noqa: RUF012 (SQLAlchemy's own declaration)
        ("column", InternalTraversal.dp_clauseelement),
        ("values", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, column: ColumnElement[Any], values: BindParameter[Any]) -> None:
        self.column = column
        self.values = values


@compiles(OneOf)
def _one_of_in_json(element: OneOf, compiler: SQLCompiler, **options: Any) -> str:
    column = compiler.process(element.column, **options)
    values = compiler.process(element.values, **options)
    return f"{column} IN (SELECT value FROM json_each({values}))"


@compiles(OneOf, "postgresql")
def _one_of_any(element: OneOf, compiler: SQLCompiler, **options: Any) -> str:
    column = compiler.process(element.column, **options)
    values = compiler.process(element.values, **options)
    return f"{column} = ANY({values})"


def one_of(column: Any, name: str = "ids") -> ColumnElement[bool]:
    """`column` is one of the values bound as `name` (any number of them, of its type)."""
    return OneOf(column, bindparam(name, type_=Values(column.type)))


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
