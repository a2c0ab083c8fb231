"""The `eventdb` command: thin wrappers over the same layers the GraphQL API uses."""

import asyncio
import getpass
import json
import os
import sys
from collections.abc import Awaitable, Callable, Coroutine
from datetime import date
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
import uvicorn
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine
from strawberry.types import ExecutionResult

from eventdb import auth
from eventdb.api.app import create_app, freeze_startup_heap
from eventdb.api.context import Context, Reader
from eventdb.api.schema import make_schema
from eventdb.config import DATABASE_URL_VARIABLE, Settings
from eventdb.db import migrate
from eventdb.db.engine import create_engine
from eventdb.errors import BadInput, EventdbError
from eventdb.importers.ucdp import import_ged
from eventdb.loading import LoadRejected, LoadReport, load_files
from eventdb.loading import Progress as LoadProgress

app = typer.Typer(
    help="eventdb: a temporal event database for conflict analysis.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(highlight=False, soft_wrap=True, markup=False)
err = Console(stderr=True, highlight=False, soft_wrap=True, markup=False)

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


@app.command()
def load(
    files: Annotated[list[Path], typer.Argument(help="YAML, JSON or JSON Lines fixture files")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check everything and report, but write nothing")
    ] = False,
    author: Annotated[
        str | None, typer.Option(help="Who records these versions [default: your login name]")
    ] = None,
    note: Annotated[
        str | None, typer.Option(help="Why: kept with every version this load writes")
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Load fixture files: all or nothing, and loading the same files again changes nothing."""
    settings = _settings(database_url)
    _report(_run(_load(settings, files, dry_run, author or _login_name(), note)))


async def _load(
    settings: Settings, files: list[Path], dry_run: bool, author: str, note: str | None
) -> LoadReport:
    engine = await _ready_engine(settings)
    try:
        with _LoadProgress(files) as progress:
            return await load_files(
                engine, files, dry_run=dry_run, author=author, note=note, progress=progress
            )
    finally:
        await engine.dispose()


class _LoadProgress(LoadProgress):
    """A progress display for loads big enough to wait for; silent for small ones."""

    THRESHOLD_BYTES = 2_000_000

    def __init__(self, files: list[Path]) -> None:
        self.bar = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=err,
            transient=True,
        )
        self.task: TaskID | None = None
        self.shown = sum(_size(path) for path in files) >= self.THRESHOLD_BYTES

    def __enter__(self) -> "_LoadProgress":
        if self.shown:
            self.bar.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.bar.stop()

    def phase(self, description: str, total: int | None = None) -> None:
        if self.shown:
            if self.task is not None:
                self.bar.remove_task(self.task)
            self.task = self.bar.add_task(description, total=total)

    def advance(self, count: int) -> None:
        if self.task is not None:
            self.bar.advance(self.task, count)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0  # the loader reports it


STATE_QUERY = """
query State($location: String!, $at: Date!, $knownAt: DateTime) {
  stateOf(location: $location, at: $at, knownAt: $knownAt) {
    location { name }
    contested
    controllers {
      actor { name slug }
      status
      certainty
      valid
      citations { source { slug } confidence }
    }
  }
}
"""


@app.command()
def state(
    location: Annotated[str, typer.Argument(help="A slug, name, alias or id of a location")],
    at: Annotated[str, typer.Option("--at", help="The day, YYYY-MM-DD")],
    known_at: Annotated[
        str | None,
        typer.Option("--known-at", help="Answer as the database stood then (ISO 8601 instant)"),
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Who controls LOCATION on a day, how sure that is, since and until when, who says so."""
    settings = _settings(database_url)
    try:
        date.fromisoformat(at)
    except ValueError:
        _fail(f"--at: expected a day as YYYY-MM-DD, got {at!r}")
    variables = {"location": location, "at": at, "knownAt": known_at}
    result = _run(_execute(settings, STATE_QUERY, variables))
    if result.errors:
        _fail("; ".join(error.message for error in result.errors))
    assert result.data is not None
    found = result.data["stateOf"]
    when = f" (as known at {known_at})" if known_at else ""
    name = found["location"]["name"]
    if not found["controllers"]:
        out.print(f"{name} on {at}{when}: no control is recorded.")
        return
    contested = " (contested)" if found["contested"] else ""
    out.print(f"{name} on {at}{when}{contested}:")
    for spell in found["controllers"]:
        how = "definitely" if spell["certainty"] == "DEFINITE" else "possibly"
        actor = spell["actor"]
        out.print(
            f"- {actor['name']} ({actor['slug']}) {spell['status']}, {how}; {_span(spell['valid'])}"
        )
        cited = dict.fromkeys(
            f"{c['source']['slug']} ({c['confidence']})" for c in spell["citations"]
        )
        out.print(f"  sources: {', '.join(cited) or 'none'}")


def _span(valid: str) -> str:
    """`2014-11/2015-06` as 'since 2014-11, until 2015-06', saying what is open or unknown."""
    start, _, end = valid.partition("/")
    since = {"..": "since always", "": "since a time unknown"}.get(start, f"since {start}")
    until = {"..": "ongoing", "": "until a time unknown"}.get(end, f"until {end}")
    return f"{since}, {until} ({valid})"


@app.command()
def query(
    document: Annotated[str, typer.Argument(help="A GraphQL query")],
    var: Annotated[
        list[str] | None,
        typer.Option(
            "--var", help="NAME=VALUE; VALUE is read as JSON when it parses, else as text"
        ),
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(envvar="EVENTDB_TOKEN", show_envvar=True, help="Bearer token, to write"),
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Run a GraphQL query or mutation and print the JSON response (exit 1 on errors)."""
    settings = _settings(database_url)
    variables = dict(_variable(item) for item in var or [])
    result = _run(_execute(settings, document, variables, token))
    response: dict[str, Any] = {"data": result.data}
    if result.errors:
        response["errors"] = [error.formatted for error in result.errors]
    out.print(json.dumps(response, indent=2, ensure_ascii=False))
    if result.errors:
        sys.exit(1)


def _variable(item: str) -> tuple[str, Any]:
    name, equals, raw = item.partition("=")
    if not equals or not name:
        _fail(f"--var: expected NAME=VALUE, got {item!r}")
    try:
        return name, json.loads(raw)
    except json.JSONDecodeError:
        return name, raw


async def _execute(
    settings: Settings, document: str, variables: dict[str, Any], token: str | None = None
) -> ExecutionResult:
    engine = await _ready_engine(settings)
    try:
        schema = make_schema(settings.limits)
        context = Context(
            reader=Reader(engine),
            limits=settings.limits,
            token=token,
            tokens_for_reads=settings.tokens_for_reads,
        )
        return await schema.execute(document, variable_values=variables, context_value=context)
    finally:
        await engine.dispose()


importers = typer.Typer(help="Import real datasets.", no_args_is_help=True)
app.add_typer(importers, name="import")


@importers.command("ucdp-ged")
def import_ucdp_ged(
    file: Annotated[Path, typer.Argument(help="A UCDP GED export, CSV, any release from 19.1")],
    country: Annotated[
        list[str] | None, typer.Option(help="Only rows of this country (repeat for more)")
    ] = None,
    release: Annotated[
        str | None, typer.Option(help="The GED release, when the file's name does not say it")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check everything and report, but write nothing")
    ] = False,
    author: Annotated[
        str | None, typer.Option(help="Who records these versions [default: your login name]")
    ] = None,
    note: Annotated[str | None, typer.Option(help="Why: kept with every version written")] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Import UCDP's Georeferenced Event Dataset: events, sides, places and sources, all or
    nothing; importing the same file again changes nothing, a changed row is a correction."""
    settings = _settings(database_url)

    async def run() -> LoadReport:
        engine = await _ready_engine(settings)
        try:
            with _LoadProgress([file]) as progress:
                return await import_ged(
                    engine,
                    file,
                    countries=country or (),
                    release=release,
                    dry_run=dry_run,
                    author=author or _login_name(),
                    note=note,
                    progress=progress,
                )
        finally:
            await engine.dispose()

    _report(_run(run()))


def _report(report: LoadReport) -> None:
    for warning in report.warnings:
        err.print(f"warning: {warning}")
    for line in report.lines():
        out.print(line)


tokens = typer.Typer(help="Bearer tokens for writing through the API.", no_args_is_help=True)
app.add_typer(tokens, name="token")


@tokens.command("create")
def token_create(
    name: Annotated[str, typer.Argument(help="Who holds it; written into every version as author")],
    database_url: DatabaseUrl = None,
) -> None:
    """Make a token for NAME and print it once: only its hash is kept."""
    token = _run(_with_connection(_settings(database_url), auth.create_token, name))
    out.print(token)
    err.print(f"token for {name!r} created; it cannot be shown again")


@tokens.command("revoke")
def token_revoke(
    name: Annotated[str, typer.Argument(help="The name the token was created for")],
    database_url: DatabaseUrl = None,
) -> None:
    """Revoke NAME's token: from now on it is refused."""
    _run(_with_connection(_settings(database_url), auth.revoke_token, name))
    out.print(f"token for {name!r} revoked")


@tokens.command("list")
def token_list(database_url: DatabaseUrl = None) -> None:
    """The names of all tokens, live and revoked."""
    for name, created, revoked in _run(_with_connection(_settings(database_url), auth.token_names)):
        state = f"revoked {revoked:%Y-%m-%d %H:%M}" if revoked else "live"
        out.print(f"{name}\tcreated {created:%Y-%m-%d %H:%M}\t{state}")


async def _with_connection(
    settings: Settings, action: Callable[..., Awaitable[T]], *args: Any
) -> T:
    engine = await _ready_engine(settings)
    try:
        async with engine.begin() as connection:
            return await action(connection, *args)
    finally:
        await engine.dispose()


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    database_url: DatabaseUrl = None,
) -> None:
    """Serve the GraphQL API (and GraphiQL) at http://HOST:PORT/graphql."""
    settings = _settings(database_url)
    _run(_check_ready(settings))
    where = settings.database_url.render_as_string(hide_password=True)
    err.print(f"eventdb: GraphQL at http://{host}:{port}/graphql, health at /healthz, data {where}")
    app = create_app(settings)
    freeze_startup_heap()
    uvicorn.run(app, host=host, port=port, log_level="info")


async def _check_ready(settings: Settings) -> None:
    engine = await _ready_engine(settings)
    await engine.dispose()


async def _ready_engine(settings: Settings) -> AsyncEngine:
    """An engine on a database at the newest schema; otherwise say how to get there."""
    engine = create_engine(settings)
    try:
        current = await migrate.current_revision(engine)
    except BaseException:
        await engine.dispose()
        raise
    if current != migrate.head_revision():
        await engine.dispose()
        where = settings.database_url.render_as_string(hide_password=True)
        found = f"is at schema {current}" if current else "has no eventdb schema"
        raise BadInput(f"{where} {found}; run `eventdb init` first")
    return engine


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "eventdb"


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
    except LoadRejected as rejected:
        err.print(str(rejected))  # one problem a line, each with its file and line
        sys.exit(1)
    except EventdbError as error:
        _fail(str(error))
    except (OperationalError, DBAPIError, OSError) as error:
        reason = getattr(error, "orig", None) or error
        _fail(f"cannot use the database: {reason}")
    except KeyboardInterrupt:
        _fail("interrupted; nothing was written", code=130)
    except Exception as error:  # the edge: a bug is reported in one line, not a traceback
        if os.environ.get("EVENTDB_DEBUG"):
            raise
        _fail(
            f"unexpected failure ({type(error).__name__}: {error}); nothing was written. "
            "This is a bug in eventdb: set EVENTDB_DEBUG=1 to see where, and please report it",
            code=70,
        )


def _fail(message: str, code: int = 1) -> NoReturn:
    err.print(f"error: {message}")
    sys.exit(code)


def main() -> None:
    app()
