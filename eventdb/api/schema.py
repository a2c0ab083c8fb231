"""The schema: the root query, the contract's scalars, caches and abuse limits."""

from collections.abc import AsyncIterator
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext, ExecutionResult

from eventdb.api.context import Context
from eventdb.api.curation import Mutation
from eventdb.api.errors import coded, is_fault, is_unexpected, log
from eventdb.api.resolvers import Query
from eventdb.api.scalars import SCALARS
from eventdb.api.text_guard import RefuseNul
from eventdb.config import Limits


class Schema(strawberry.Schema):
    async def execute(self, *arguments: Any, **options: Any) -> ExecutionResult:
        """Every error leaves with `extensions.code`, whichever stage it came from (parse
        errors escape the operation's extension hooks, so this is the one place for it)."""
        result = await super().execute(*arguments, **options)
        if result.errors:
            result.errors = [coded(error) for error in result.errors]
        return result

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Log what went wrong on our side; a client's mistake is answered, not logged."""
        for error in errors:
            if is_unexpected(error):
                log.error("unexpected error in %s", error.path, exc_info=error.original_error)
            elif is_fault(error):
                log.warning("database fault in %s: %s", error.path, error.original_error)


class CloseReader(SchemaExtension):
    """Give the request's connection back as soon as its operation is answered."""

    async def on_operation(self) -> AsyncIterator[None]:
        yield
        context = self.execution_context.context
        if isinstance(context, Context):
            await context.reader.close()


def make_schema(limits: Limits | None = None) -> Schema:
    limits = limits or Limits()
    # The limiters' validation rules, made once: a new rule per request would be a new key for
    # the validation cache, and every request would be validated again (~4 ms).
    rules = [
        *QueryDepthLimiter(max_depth=limits.max_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=limits.max_aliases).validation_rules,
    ]

    class AbuseLimits(AddValidationRules):
        def __init__(self) -> None:
            super().__init__(rules)

    extensions: list[Any] = [
        CloseReader,
        # Parsing and validating a document costs more than answering a point query: both are
        # cached (in caches shared across requests; each request gets its own extension).
        lambda: MaxTokensLimiter(max_token_count=limits.max_tokens),
        lambda: ParserCache(maxsize=1024),
        AbuseLimits,
        lambda: ValidationCache(maxsize=1024),
        RefuseNul,
    ]
    return Schema(
        query=Query,
        mutation=Mutation,
        extensions=extensions,
        config=StrawberryConfig(scalar_map=SCALARS),
    )


schema = make_schema()
