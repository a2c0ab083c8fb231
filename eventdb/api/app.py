"""The Starlette application: GraphQL (and GraphiQL) at /graphql, health at /healthz, CORS."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson
from cross_web import HTTPException
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types import ExecutionResult

from eventdb.api import media
from eventdb.api.body_limit import BodyLimit
from eventdb.api.context import Context, Reader
from eventdb.api.schema import Schema, make_schema
from eventdb.config import Settings
from eventdb.db import migrate
from eventdb.db.engine import SqliteReads, create_engine

HEALTH_TIMEOUT_SECONDS = 2.0


class EventdbGraphQL(GraphQL[Context, None]):
    def __init__(
        self,
        schema: Schema,
        engine: AsyncEngine,
        settings: Settings,
        sqlite_reads: SqliteReads | None = None,
    ) -> None:
        super().__init__(schema, graphql_ide="graphiql")
        self.engine = engine
        self.settings = settings
        self.sqlite_reads = sqlite_reads

    async def get_context(self, request: Any, response: Any) -> Context:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        return Context(
            reader=Reader(self.engine, self.sqlite_reads),
            limits=self.settings.limits,
            token=token.strip() if scheme.lower() == "bearer" else None,
            tokens_for_reads=self.settings.tokens_for_reads,
        )

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    def decode_json(self, data: str | bytes) -> object:
        """orjson refuses what the standard parser lets through to do harm: nesting past 1024
        levels (a RecursionError, so an HTTP 500) and lone surrogates (text no database can
        store); its JSONDecodeError is the standard one, which Strawberry answers with a 400."""
        return orjson.loads(data)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Strawberry answers a malformed request (bad JSON, no query, a mutation by GET) in
        plain text; ours say what went wrong as a coded GraphQL error, like every other."""
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope, receive)
        try:
            response = await self.run(request)
        except HTTPException as error:
            not_allowed = error.status_code == 405
            response = media.error_response(
                error.status_code,
                error.reason,
                "METHOD_NOT_ALLOWED" if not_allowed else "BAD_REQUEST",
                media.negotiate(request.headers.get("accept")),
                headers={"Allow": "POST"} if not_allowed else None,
            )
        await response(scope, receive, send)

    async def execute_single(self, *arguments: Any, **options: Any) -> ExecutionResult:
        """A mutation sent by GET is a 405, as GraphQL over HTTP requires (Strawberry says 400)."""
        try:
            return await super().execute_single(*arguments, **options)
        except HTTPException as error:
            if isinstance(error.__cause__, InvalidOperationTypeError):
                raise HTTPException(405, error.reason) from error
            raise

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        response = await super().get_sub_response(request)
        response.media_type = media.negotiate(request.headers.get("accept"))
        return response

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        """The response in the media type the client accepts; with the GraphQL-over-HTTP one, a
        request error (nothing executed) is a 400 and has no `data` entry."""
        media_type = sub_response.media_type or media.JSON
        status_code = sub_response.status_code or 200
        body: object = response_data
        if (
            media_type == media.GRAPHQL_RESPONSE
            and isinstance(response_data, dict)
            and media.is_request_error(response_data)
        ):
            body = {key: value for key, value in response_data.items() if key != "data"}
            status_code = 400
        response = Response(self.encode_json(body), status_code=status_code, media_type=media_type)
        response.headers.raw.extend(sub_response.headers.raw)
        response.background = sub_response.background
        return response


def freeze_startup_heap() -> None:
    """Keep what lives once the app is made (modules, the schema) out of the cyclic garbage
    collector's scans: answers are built of many small objects, whose allocations trigger
    collections, and each full one rescanned all of it (a 10k-place GeoJSON frame spent 40% of
    its time in the collector). `eventdb serve` calls it; in-process users of the app need not."""
    gc.collect()  # garbage frozen now would never be collected
    gc.freeze()


def create_app(settings: Settings | None = None, engine: AsyncEngine | None = None) -> Starlette:
    settings = settings or Settings.load()
    engine = engine or create_engine(settings, statement_timeout_ms=settings.statement_timeout_ms)
    schema = make_schema(settings.limits)
    sqlite_reads = SqliteReads.of(engine, settings)
    graphql = EventdbGraphQL(schema, engine, settings, sqlite_reads)

    async def healthz(_: Request) -> Response:
        try:
            async with asyncio.timeout(HEALTH_TIMEOUT_SECONDS):
                async with engine.connect() as connection:
                    await connection.execute(text("SELECT 1"))
                revision = await migrate.current_revision(engine)
        except (SQLAlchemyError, OSError, TimeoutError) as error:
            reason = "no answer in time" if isinstance(error, TimeoutError) else _reason(error)
            return JSONResponse({"status": "unavailable", "database": reason}, status_code=503)
        current = revision == migrate.head_revision()
        body = {
            "status": "ok" if current else "outdated",
            "database": "reachable",
            "schema": revision,
        }
        return JSONResponse(body, status_code=200 if current else 503)

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        yield
        if sqlite_reads is not None:
            sqlite_reads.dispose()
        await engine.dispose()

    middleware = []
    if settings.cors_origins:  # outermost, so that even a refusal carries the CORS headers
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=list(settings.cors_origins),
                allow_methods=["GET", "POST"],
                allow_headers=["Content-Type", "Authorization"],
            )
        )
    middleware.append(Middleware(BodyLimit, max_bytes=settings.limits.max_body_bytes))
    routes = [
        Route("/graphql", graphql, methods=["GET", "POST"]),
        Route("/healthz", healthz, methods=["GET"]),
    ]
    return Starlette(routes=routes, middleware=middleware, lifespan=lifespan)


def _reason(error: BaseException) -> str:
    original = getattr(error, "orig", None) or error
    return str(original).splitlines()[0] if str(original) else type(original).__name__
