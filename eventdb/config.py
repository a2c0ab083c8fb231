"""Settings from the environment and the command line."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Final

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from eventdb.errors import BadInput

DEFAULT_DATABASE_URL: Final = "sqlite+aiosqlite:///eventdb.sqlite3"
DATABASE_URL_VARIABLE: Final = "EVENTDB_DATABASE_URL"

# The async driver each supported engine is reached through.
_DRIVERS: Final = {"sqlite": "aiosqlite", "postgresql": "asyncpg"}


@dataclass(frozen=True)
class Limits:
    """What one GraphQL request may ask for; beyond these it is refused before it runs."""

    max_depth: int = 15
    max_aliases: int = 100
    max_tokens: int = 5_000
    default_page: int = 50
    max_page: int = 500
    # The largest request body read, in bytes; a bigger one is refused with HTTP 413.
    max_body_bytes: int = 1_048_576

    @classmethod
    def from_environment(cls) -> Limits:
        values = {}
        for name in (
            "max_depth",
            "max_aliases",
            "max_tokens",
            "default_page",
            "max_page",
            "max_body_bytes",
        ):
            raw = os.environ.get(f"EVENTDB_{name.upper()}")
            if raw is not None:
                if not raw.isdigit() or int(raw) < 1:
                    raise BadInput(f"EVENTDB_{name.upper()} must be a whole number above 0")
                values[name] = int(raw)
        return cls(**values)


@dataclass(frozen=True)
class Settings:
    database_url: URL
    # Milliseconds SQLite waits for another writer before giving up.
    sqlite_busy_timeout_ms: int = 5_000
    # Milliseconds one statement of a served request may run before it is cancelled (0: no limit).
    statement_timeout_ms: int = 10_000
    # Milliseconds to open a database connection, or to wait for a free one in the pool.
    connect_timeout_ms: int = 5_000
    limits: Limits = field(default_factory=Limits)
    # Origins allowed to call the API from a browser (EVENTDB_CORS_ORIGINS, comma-separated).
    cors_origins: tuple[str, ...] = ()
    # Whether reading through the API needs a token too (writing always does).
    tokens_for_reads: bool = False

    @classmethod
    def load(cls, database_url: str | None = None) -> Settings:
        """`database_url` if given, else EVENTDB_DATABASE_URL, else the SQLite file here."""
        raw = database_url or os.environ.get(DATABASE_URL_VARIABLE) or DEFAULT_DATABASE_URL
        origins = os.environ.get("EVENTDB_CORS_ORIGINS", "")
        return cls(
            database_url=parse_database_url(raw),
            statement_timeout_ms=_milliseconds("EVENTDB_STATEMENT_TIMEOUT_MS", 10_000, minimum=0),
            connect_timeout_ms=_milliseconds("EVENTDB_CONNECT_TIMEOUT_MS", 5_000, minimum=1),
            limits=Limits.from_environment(),
            cors_origins=tuple(origin.strip() for origin in origins.split(",") if origin.strip()),
            tokens_for_reads=_flag("EVENTDB_TOKENS_FOR_READS"),
        )


def _milliseconds(variable: str, default: int, minimum: int) -> int:
    raw = os.environ.get(variable)
    if raw is None:
        return default
    if not raw.strip().isdigit() or int(raw) < minimum:
        raise BadInput(f"{variable} must be a whole number of milliseconds, at least {minimum}")
    return int(raw)


def _flag(variable: str) -> bool:
    raw = os.environ.get(variable, "").strip().lower()
    if raw in ("", "0", "false", "no", "off"):
        return False
    if raw in ("1", "true", "yes", "on"):
        return True
    raise BadInput(f"{variable} must be true or false, got {raw!r}")


def parse_database_url(raw: str) -> URL:
    """A database URL with its async driver filled in (`postgresql://` means asyncpg)."""
    try:
        url = make_url(raw)
    except ArgumentError:
        raise BadInput(f"not a database URL: {raw!r}") from None
    backend, _, driver = url.drivername.partition("+")
    expected = _DRIVERS.get(backend)
    if expected is None:
        supported = ", ".join(f"{name}+{driver}://" for name, driver in _DRIVERS.items())
        raise BadInput(f"unsupported database {backend!r} in {raw!r}; use {supported}")
    if driver and driver != expected:
        raise BadInput(f"use the {expected} driver for {backend} ({backend}+{expected}://)")
    return url.set(drivername=f"{backend}+{expected}")
