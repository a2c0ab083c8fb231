"""Errors of our own: raised below the edges, turned into GraphQL codes and CLI messages there."""

from typing import Any


class EventdbError(Exception):
    """Base of every error a user can be shown."""

    code = "INTERNAL_SERVER_ERROR"
    # What a client may want besides the message, e.g. the candidates of an ambiguous name.
    details: dict[str, Any] = {}  # noqa: RUF012  (never mutated; subclasses set their own)


class BadInput(EventdbError):
    """The input is malformed or breaks a rule."""

    code = "BAD_USER_INPUT"


class NotFound(EventdbError):
    """A reference names nothing known."""

    code = "NOT_FOUND"


class Conflict(EventdbError):
    """The write contradicts what the database holds."""

    code = "CONFLICT"

    def __init__(self, message: str, current_version: int | None = None) -> None:
        super().__init__(message)
        if current_version is not None:
            self.details = {"currentVersion": current_version}


class Ambiguous(BadInput):
    """A name matches several facts; `candidates` lists them."""

    code = "AMBIGUOUS_REFERENCE"

    def __init__(self, message: str, candidates: list[dict[str, str]]) -> None:
        super().__init__(message)
        self.details = {"candidates": candidates}


class Timeout(EventdbError):
    """A statement ran past the statement timeout and was cancelled."""

    code = "TIMEOUT"


class Unavailable(EventdbError):
    """The database cannot be reached, or gave no connection in time."""

    code = "DATABASE_UNAVAILABLE"
