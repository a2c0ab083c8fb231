"""Alembic environment: migrates the database eventdb is configured for, on SQLite or PostgreSQL.

`eventdb init` passes its own connection in `config.attributes["connection"]`; run by hand
(`alembic upgrade head`), it connects to EVENTDB_DATABASE_URL or the default SQLite file.
"""

import asyncio
from typing import Any

from alembic import context
from sqlalchemy.engine import Connection

from eventdb.config import Settings
from eventdb.db.engine import create_engine
from eventdb.db.migrate import migration_connection
from eventdb.db.models import Base

config = context.config

# Objects that live only in migrations because SQLAlchemy cannot describe them portably.
MIGRATION_ONLY = {"ex_control_versions_definite_control"}


def include_object(
    _object: Any, name: str | None, _type: str, _reflected: bool, _compare_to: Any
) -> bool:
    return name not in MIGRATION_ONLY


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        include_object=include_object,
        compare_type=True,
        render_as_batch=connection.dialect.name == "sqlite",
        transactional_ddl=True,  # SQLite can roll DDL back too: a failed migration leaves no trace
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_with_own_engine() -> None:
    engine = create_engine(Settings.load())
    try:
        async with migration_connection(engine) as connection:
            await connection.run_sync(run_migrations)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    context.configure(
        url=Settings.load().database_url,
        target_metadata=Base.metadata,
        literal_binds=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()
elif (shared := config.attributes.get("connection")) is not None:
    run_migrations(shared)
else:
    asyncio.run(run_with_own_engine())
