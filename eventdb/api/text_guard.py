"""Refuse text with a NUL character (U+0000) in any input, before the operation runs.

PostgreSQL cannot hold NUL in text: a query that passes one to it fails inside the driver, and a
write would be stored on SQLite but refused on PostgreSQL. No name, slug or date contains one, so
it is refused as bad input, the same on both engines, before any statement is sent.
"""

from collections.abc import Iterator
from typing import Any, Final

from graphql import DocumentNode, StringValueNode, visit
from graphql.language import Visitor
from strawberry.extensions import SchemaExtension

from eventdb.errors import BadInput

NUL: Final = "\x00"
MESSAGE: Final = "text may not contain the NUL character (U+0000)"


class RefuseNul(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        if _has_nul(context.variables) or _document_has_nul(
            context.query, context.graphql_document
        ):
            raise BadInput(MESSAGE)
        yield


def _has_nul(value: Any) -> bool:
    """Whether any text inside a JSON value (variables) holds NUL; iterative, since variables
    may nest as deep as the JSON parser allows, deeper than Python's recursion."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if NUL in item:
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


def _document_has_nul(query: str | None, document: DocumentNode | None) -> bool:
    # A string literal gets a NUL only from a raw NUL or a `\u` escape: most documents have
    # neither, and are not walked.
    if document is None or not query or (NUL not in query and "\\u" not in query):
        return False
    finder = _NulFinder()
    visit(document, finder)
    return finder.found


class _NulFinder(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found = False

    def enter_string_value(self, node: StringValueNode, *_: Any) -> Any:
        if NUL in node.value:
            self.found = True
            return Visitor.BREAK
        return None
