"""Every error a client sees carries `extensions.code`; nothing unexpected leaks its details.

Our own errors (`eventdb.errors`) keep their message and give their code. Input that fails a
scalar or a variable is BAD_USER_INPUT; a document that does not parse or validate is
GRAPHQL_PARSE_FAILED / GRAPHQL_VALIDATION_FAILED; one over a limit is QUERY_TOO_COMPLEX. Anything
else is logged with its traceback and answered as INTERNAL_SERVER_ERROR with no detail.
"""

import logging

from graphql import GraphQLError

from eventdb.errors import EventdbError

log = logging.getLogger("eventdb.api")

_LIMIT_MARKS = ("exceeds maximum operation depth", "aliases found", "contains more than")
_INPUT_MARKS = ("got invalid value", "Expected value of type", "Expected type", "was not provided")


def code_of(error: GraphQLError) -> str:
    original = error.original_error
    if isinstance(original, EventdbError):
        return original.code
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


def coded(error: GraphQLError) -> GraphQLError:
    """`error` with its `extensions.code`, its message masked if it was unexpected."""
    code = code_of(error)
    message = "Internal server error" if code == "INTERNAL_SERVER_ERROR" else error.message
    original = error.original_error
    details = original.details if isinstance(original, EventdbError) else {}
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=None,
        extensions={**(error.extensions or {}), **details, "code": code},
    )
