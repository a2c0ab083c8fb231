"""Every error a client sees carries `extensions.code`; nothing unexpected leaks its details.

Our own errors (`eventdb.errors`) keep their message and give their code; so do the database
faults `eventdb.db.faults` names (a statement timeout is TIMEOUT, a database away is
DATABASE_UNAVAILABLE). Input that fails a scalar or a variable is BAD_USER_INPUT; a document that
does not parse or validate is GRAPHQL_PARSE_FAILED / GRAPHQL_VALIDATION_FAILED; one over a limit
is QUERY_TOO_COMPLEX. Anything else is logged with its traceback and answered as
INTERNAL_SERVER_ERROR with no detail.
"""

import logging

from graphql import GraphQLError

from eventdb.db import faults
from eventdb.errors import EventdbError, Timeout, Unavailable

log = logging.getLogger("eventdb.api")

_LIMIT_MARKS = ("exceeds maximum operation depth", "aliases found", "contains more than")
_INPUT_MARKS = (
    "got invalid value",
    "has invalid value",  # a variable that does not coerce, or a required one missing
    "Expected value of type",
    "Expected type",
    "was not provided",
)


def ours(error: GraphQLError) -> EventdbError | None:
    """The error of our own behind `error`: raised as one, or a database fault that is one."""
    original = error.original_error
    if isinstance(original, EventdbError):
        return original
    if original is not None and not isinstance(original, GraphQLError):
        return faults.translate(original)
    return None


def code_of(error: GraphQLError) -> str:
    own = ours(error)
    if own is not None:
        return own.code
    original = error.original_error
    if original is not None and not isinstance(original, GraphQLError):
        if isinstance(original, ValueError) and error.path is None:
            return "BAD_USER_INPUT"  # a scalar refused a variable's value
        return "INTERNAL_SERVER_ERROR"
    message = error.message
    if any(mark in message for mark in _LIMIT_MARKS):
        return "QUERY_TOO_COMPLEX"  # the token limit stops the parser: check limits first
    if message.startswith("Syntax Error"):
        return "GRAPHQL_PARSE_FAILED"
    if any(mark in message for mark in _INPUT_MARKS):
        return "BAD_USER_INPUT"
    return "GRAPHQL_VALIDATION_FAILED"


def is_unexpected(error: GraphQLError) -> bool:
    return code_of(error) == "INTERNAL_SERVER_ERROR"


def is_fault(error: GraphQLError) -> bool:
    """Whether the database failed the request (slow or away): the operator's to know."""
    return isinstance(ours(error), Timeout | Unavailable)


def coded(error: GraphQLError) -> GraphQLError:
    """`error` with its `extensions.code`, its message masked if it was unexpected."""
    code = code_of(error)
    own = ours(error)
    if own is not None:
        message = str(own)
    elif code == "INTERNAL_SERVER_ERROR":
        message = "Internal server error"
    else:
        message = error.message
    details = own.details if own is not None else {}
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=None,
        extensions={**(error.extensions or {}), **details, "code": code},
    )
