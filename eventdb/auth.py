"""Bearer tokens: made and revoked by the operator, checked on each write (and read, if asked).

A token is 256 random bits shown once; only its SHA-256 is stored (a random token needs no slow
hash). The token's name is the author written into every version recorded with it.
"""

import hashlib
import secrets
from datetime import UTC, datetime

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from eventdb.db.models import Token
from eventdb.errors import BadInput, EventdbError, NotFound

NAME_LIMIT = 200


class Unauthenticated(EventdbError):
    """No token, or one that is wrong or revoked."""

    code = "UNAUTHENTICATED"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_token(connection: AsyncConnection, name: str) -> str:
    """A new token for `name`; the caller shows it once, it cannot be read back."""
    name = name.strip()
    if not name or len(name) > NAME_LIMIT or not name.isprintable():
        raise BadInput(f"a token's name is printable text of 1 to {NAME_LIMIT} characters")
    live = await connection.scalar(
        select(Token.id).where(Token.name == name, Token.revoked_at.is_(None))
    )
    if live is not None:
        raise BadInput(f"{name!r} already has a live token; revoke it first")
    token = secrets.token_urlsafe(32)
    await connection.execute(
        insert(Token).values(name=name, token_hash=_hash(token), created_at=datetime.now(UTC))
    )
    return token


async def revoke_token(connection: AsyncConnection, name: str) -> None:
    revoked = await connection.execute(
        update(Token)
        .where(Token.name == name, Token.revoked_at.is_(None))
        .values(revoked_at=datetime.now(UTC))
    )
    if revoked.rowcount == 0:
        raise NotFound(f"no live token is named {name!r}")


async def token_names(connection: AsyncConnection) -> list[tuple[str, datetime, datetime | None]]:
    rows = await connection.execute(
        select(Token.name, Token.created_at, Token.revoked_at).order_by(Token.created_at)
    )
    return [tuple(row) for row in rows]  # type: ignore[misc]


async def author_of(connection: AsyncConnection, token: str | None) -> str:
    """The name of a live token, or Unauthenticated."""
    if not token:
        raise Unauthenticated("this needs a token: send 'Authorization: Bearer <token>'")
    name = await connection.scalar(
        select(Token.name).where(Token.token_hash == _hash(token), Token.revoked_at.is_(None))
    )
    if name is None:
        raise Unauthenticated("the token is not valid, or has been revoked")
    return name
