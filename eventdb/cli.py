"""The `eventdb` command: thin wrappers over the same layers the GraphQL API uses."""

import asyncio
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console
from sqlalchemy.exc import DBAPIError, OperationalError

from eventdb.config import DATABASE_URL_VARIABLE, Settings
from eventdb.db import migrate
from eventdb.db.engine import create_engine
from eventdb.errors import EventdbError

app = typer.Typer(
    help="eventdb: a temporal event database for conflict analysis.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        envvar=DATABASE_URL_VARIABLE,
        show_envvar=True,
        help="SQLAlchemy URL of the database [default: sqlite+aiosqlite:///eventdb.sqlite3]",
    ),
]

T = TypeVar("T")


@app.callback()
def cli() -> None:
    """eventdb: a temporal event database for conflict analysis."""


@app.command()
def init(database_url: DatabaseUrl = None) -> None:
    """Create the database, or upgrade it to the newest schema."""
    settings = _settings(database_url)
    before, after = _run(_init(settings))
    where = settings.database_url.render_as_string(hide_password=True)
    if before == after:
        out.print(f"{where} is up to date (schema {after}).")
    else:
        out.print(f"{where}: schema {before or 'empty'} -> {after}.")


async def _init(settings: Settings) -> tuple[str | None, str | None]:
    _make_sqlite_folder(settings)
    engine = create_engine(settings)
    try:
        before = await migrate.current_revision(engine)
        await migrate.upgrade(engine)
        return before, await migrate.current_revision(engine)
    finally:
        await engine.dispose()


def _make_sqlite_folder(settings: Settings) -> None:
    database = settings.database_url.database
    if settings.database_url.get_backend_name() == "sqlite" and database not in (None, ":memory:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)


def _settings(database_url: str | None) -> Settings:
    try:
        return Settings.load(database_url)
    except EventdbError as error:
        _fail(str(error))


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run one command's work; what goes wrong is told in one line, never as a traceback."""
    try:
        return asyncio.run(coroutine)
    except EventdbError as error:
        _fail(str(error))
    except (OperationalError, DBAPIError, OSError) as error:
        reason = getattr(error, "orig", None) or error
        _fail(f"cannot use the database: {reason}")
    except KeyboardInterrupt:
        _fail("interrupted; nothing was written", code=130)


def _fail(message: str, code: int = 1) -> NoReturn:
    err.print(f"error: {message}")
    sys.exit(code)


def main() -> None:
    app()
