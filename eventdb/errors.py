"""Errors of our own: raised below the edges, turned into GraphQL codes and CLI messages there."""


class EventdbError(Exception):
    """Base of every error a user can be shown."""

    code = "INTERNAL_SERVER_ERROR"


class BadInput(EventdbError):
    """The input is malformed or breaks a rule."""

    code = "BAD_USER_INPUT"


class NotFound(EventdbError):
    """A reference names nothing known."""

    code = "NOT_FOUND"


class Conflict(EventdbError):
    """The write contradicts what the database holds."""

    code = "CONFLICT"
