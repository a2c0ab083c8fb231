"""What a database failure means to a client: its request was too slow (`Timeout`), or the
database is away (`Unavailable`), as opposed to a bug, which stays an unexpected error.

Both engines and their drivers say these things differently; this is the one place that knows.
"""

import sqlite3
from typing import Final

from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from eventdb.errors import EventdbError, Timeout, Unavailable

TIMEOUT_MESSAGE: Final = (
    "the query ran past the statement timeout and was cancelled; ask for less"
    " (a smaller page, a shorter range, a smaller place)"
)
UNAVAILABLE_MESSAGE: Final = "the database is unavailable; try again shortly"
BUSY_MESSAGE: Final = "the database is busy with another write; try again shortly"

# PostgreSQL: a statement cancelled (here by statement_timeout).
_CANCELLED: Final = "57014"
# PostgreSQL: connection exceptions (class 08), a server shutting down, crashed or starting up,
# no connection slot left.
_AWAY_CLASS: Final = "08"
_AWAY: Final = frozenset({"57P01", "57P02", "57P03", "53300"})


def translate(error: BaseException) -> EventdbError | None:
    """Our error for a database failure that says nothing about our code; None otherwise."""
    if isinstance(error, PoolTimeout):
        return Unavailable("no database connection came free in time; try again shortly")
    if isinstance(error, DBAPIError):
        state = getattr(error.orig, "sqlstate", None) or ""
        if state == _CANCELLED or _sqlite_says(error, "interrupted"):
            return Timeout(TIMEOUT_MESSAGE)
        if _sqlite_says(error, "database is locked"):  # another writer, past the busy timeout
            return Unavailable(BUSY_MESSAGE)
        if error.connection_invalidated or state.startswith(_AWAY_CLASS) or state in _AWAY:
            return Unavailable(UNAVAILABLE_MESSAGE)
        return None
    # Refused, reset or timed out while connecting: raised by the driver as it is.
    if isinstance(error, OSError):
        return Unavailable(UNAVAILABLE_MESSAGE)
    return None


def _sqlite_says(error: DBAPIError, message: str) -> bool:
    # "interrupted": the progress handler (eventdb.db.engine) stopped the statement.
    return isinstance(error.orig, sqlite3.OperationalError) and str(error.orig) == message
