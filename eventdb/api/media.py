"""GraphQL over HTTP's two response media types, and error bodies for requests refused before
any GraphQL runs.

`application/graphql-response+json` is what the GraphQL-over-HTTP spec asks new clients to accept:
with it a request error (a document that does not parse or validate, variables that do not
coerce) is an HTTP 400 with no `data` entry. Clients that only know `application/json` keep the
older behaviour: HTTP 200 with `"data": null`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import orjson
from starlette.responses import Response

JSON: Final = "application/json"
GRAPHQL_RESPONSE: Final = "application/graphql-response+json"

# Ranges that accept JSON without naming it; a client that sends only these predates the new type.
_JSON_RANGES: Final = (JSON, "application/*", "*/*")


def negotiate(accept: str | None) -> str:
    """The media type to answer with: GRAPHQL_RESPONSE when the client names it and likes it at
    least as much as JSON, else JSON (also for no Accept header, `*/*`, or types we cannot make)."""
    weights = _weights(accept or "")
    preferred = weights.get(GRAPHQL_RESPONSE, 0.0)
    if preferred > 0 and preferred >= max(weights.get(kind, 0.0) for kind in _JSON_RANGES):
        return GRAPHQL_RESPONSE
    return JSON


def _weights(accept: str) -> dict[str, float]:
    """Each media range of an Accept header with its quality (`q`, 1 when absent)."""
    weights: dict[str, float] = {}
    for item in accept.split(","):
        kind, *parameters = (part.strip() for part in item.split(";"))
        if not kind:
            continue
        quality = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0  # a malformed weight accepts nothing
        kind = kind.lower()
        weights[kind] = max(quality, weights.get(kind, 0.0))
    return weights


def is_request_error(response: Mapping[str, Any]) -> bool:
    """Whether a GraphQL response reports a request error, i.e. execution never started: no data,
    and no error belongs to a field (field errors carry a `path`)."""
    errors = response.get("errors") or []
    return (
        response.get("data") is None
        and bool(errors)
        and not any(isinstance(error, Mapping) and error.get("path") for error in errors)
    )


def error_response(
    status_code: int,
    message: str,
    code: str,
    media_type: str = JSON,
    headers: Mapping[str, str] | None = None,
    **extensions: Any,
) -> Response:
    """A GraphQL-shaped error for a request refused before (or outside) execution: one error
    with `extensions.code`, and no `data` since nothing was executed."""
    body = {"errors": [{"message": message, "extensions": {**extensions, "code": code}}]}
    return Response(
        orjson.dumps(body), status_code=status_code, media_type=media_type, headers=headers
    )
