"""The Starlette application: GraphQL (and GraphiQL) at /graphql, health at /healthz, CORS."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from strawberry.asgi import GraphQL

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


def create_app(settings: Settings | None = None, engine: AsyncEngine | None = None) -> Starlette:
    settings = settings or Settings.load()
    engine = engine or create_engine(settings)
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
    if settings.cors_origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=list(settings.cors_origins),
                allow_methods=["GET", "POST"],
                allow_headers=["Content-Type", "Authorization"],
            )
        )
    routes = [
        Route("/graphql", graphql, methods=["GET", "POST"]),
        Route("/healthz", healthz, methods=["GET"]),
    ]
    return Starlette(routes=routes, middleware=middleware, lifespan=lifespan)


def _reason(error: BaseException) -> str:
    original = getattr(error, "orig", None) or error
    return str(original).splitlines()[0] if str(original) else type(original).__name__
