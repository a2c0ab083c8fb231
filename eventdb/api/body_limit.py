"""Refuse request bodies over a size limit with HTTP 413, without reading them into memory.

A declared `Content-Length` over the limit is refused before a byte of the body is read; a body
with no length (chunked) is counted as it arrives and refused as soon as it passes the limit, so
at most the limit plus one chunk is ever held.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from eventdb.api import media


class _TooLarge(Exception):
    """Raised from `receive` to stop the application reading a body past the limit."""


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if _declared_length(headers) > self.max_bytes:
            await self._refuse(headers, scope, receive, send)
            return

        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _TooLarge
            return message

        async def watching_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except _TooLarge:
            if started:  # too late to answer with a status: the connection just ends
                raise
            await self._refuse(headers, scope, receive, send)

    async def _refuse(self, headers: Headers, scope: Scope, receive: Receive, send: Send) -> None:
        response = media.error_response(
            413,
            f"the request body is larger than {self.max_bytes} bytes",
            "REQUEST_TOO_LARGE",
            media.negotiate(headers.get("accept")),
            # The rest of the body is never read, so the connection cannot serve another request.
            headers={"Connection": "close"},
            maxBytes=self.max_bytes,
        )
        await response(scope, receive, send)


def _declared_length(headers: Headers) -> int:
    """The Content-Length the client declared; 0 when there is none (or it is not a number,
    which the HTTP server refuses before we see it), and the body is counted instead."""
    raw = headers.get("content-length", "")
    return int(raw) if raw.isdigit() else 0
