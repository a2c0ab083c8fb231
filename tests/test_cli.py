"""`eventdb init` creates or upgrades the database, on each engine, and explains failures."""

from pathlib import Path

import pytest
from sqlalchemy.engine import URL
from typer.testing import CliRunner

from eventdb.cli import app
from eventdb.db import migrate
from tests.helpers import DERNA

runner = CliRunner()


def url_text(url: URL) -> str:
    return url.render_as_string(hide_password=False)


def test_init_creates_then_finds_the_schema_up_to_date(database_url: URL) -> None:
    first = runner.invoke(app, ["init", "--database-url", url_text(database_url)])
    assert first.exit_code == 0, first.output
    assert f"schema empty -> {migrate.head_revision()}" in first.output

    again = runner.invoke(app, ["init"], env={"EVENTDB_DATABASE_URL": url_text(database_url)})
    assert again.exit_code == 0, again.output
    assert "is up to date" in again.output


def test_init_makes_the_sqlite_file_and_its_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("EVENTDB_DATABASE_URL", raising=False)
    assert runner.invoke(app, ["init"]).exit_code == 0
    assert (tmp_path / "eventdb.sqlite3").is_file()

    nested = runner.invoke(app, ["init", "--database-url", "sqlite:///data/events.sqlite3"])
    assert nested.exit_code == 0, nested.output
    assert (tmp_path / "data" / "events.sqlite3").is_file()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://root@127.0.0.1/x", "unsupported database 'mysql'"),
        ("postgresql://postgres@127.0.0.1:1/x", "cannot use the database"),
    ],
)
def test_init_explains_a_database_it_cannot_use_without_a_traceback(url: str, message: str) -> None:
    result = runner.invoke(app, ["init", "--database-url", url])
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output


def test_init_refuses_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"this is not a database" * 100)
    result = runner.invoke(app, ["init", "--database-url", f"sqlite:///{garbage}"])
    assert result.exit_code == 1
    assert "file is not a database" in result.output
    assert garbage.read_bytes() == b"this is not a database" * 100


@pytest.fixture
def initialized(database_url: URL) -> str:
    url = url_text(database_url)
    assert runner.invoke(app, ["init", "--database-url", url]).exit_code == 0
    return url


def test_load_then_ask_who_held_derna(initialized: str) -> None:
    loaded = runner.invoke(app, ["load", str(DERNA), "--database-url", initialized])
    assert loaded.exit_code == 0, loaded.output
    assert "events: 9 added, 0 corrected, 0 retracted, 0 unchanged" in loaded.output

    again = runner.invoke(app, ["load", str(DERNA), "--database-url", initialized])
    assert "nothing to change" in again.output

    state = runner.invoke(
        app, ["state", "Darnah", "--at", "2015-03-01", "--database-url", initialized]
    )
    assert state.exit_code == 0, state.output
    assert "Derna on 2015-03-01:" in state.output
    assert "- ISIS (isis) controls, definitely; since 2014-11, until 2015-06" in state.output
    assert "sources: article (reported), long-war-journal-2016-04-20 (reported)" in state.output


def test_a_bad_file_lists_its_problems_and_exits_non_zero(initialized: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("actors:\n  - {id: x, name: X, kind: militia}\n  - {id: y, kind: person}\n")
    result = runner.invoke(app, ["load", str(bad), "--database-url", initialized])
    assert result.exit_code == 1
    assert f"{bad}:2: actor 'x': kind: expected one of" in result.output
    assert f"{bad}:3: actor 'y': name: is required" in result.output
    assert "2 problems; nothing was written" in result.output
    assert "Traceback" not in result.output


def test_a_dry_run_says_what_it_would_do(initialized: str) -> None:
    result = runner.invoke(app, ["load", "--dry-run", str(DERNA), "--database-url", initialized])
    assert result.exit_code == 0
    assert "dry run: nothing was written" in result.output
    state = runner.invoke(app, ["state", "x", "--at", "2015-03-01", "--database-url", initialized])
    assert "no location is known as 'x'" in state.output


def test_commands_ask_for_init_on_a_database_without_the_schema(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.sqlite3'}"
    result = runner.invoke(app, ["load", str(DERNA), "--database-url", url])
    assert result.exit_code == 1
    assert "has no eventdb schema; run `eventdb init` first" in result.output


def test_state_refuses_a_malformed_day(initialized: str) -> None:
    result = runner.invoke(
        app, ["state", "derna", "--at", "March 2015", "--database-url", initialized]
    )
    assert result.exit_code == 1
    assert "--at: expected a day as YYYY-MM-DD, got 'March 2015'" in result.output


def test_tokens_are_made_listed_and_revoked(initialized: str) -> None:
    made = runner.invoke(app, ["token", "create", "Ada", "--database-url", initialized])
    assert made.exit_code == 0, made.output
    secret = made.stdout.strip().splitlines()[0]
    assert len(secret) >= 40
    twice = runner.invoke(app, ["token", "create", "Ada", "--database-url", initialized])
    assert twice.exit_code == 1
    assert "already has a live token" in twice.output

    mutation = 'mutation { createSource(input: {id: "s", title: "S"}) { slug recordedAt } }'
    written = runner.invoke(
        app, ["query", mutation, "--token", secret, "--database-url", initialized]
    )
    assert written.exit_code == 0, written.output
    assert '"slug": "s"' in written.output

    listed = runner.invoke(app, ["token", "list", "--database-url", initialized])
    assert "Ada" in listed.output
    assert "live" in listed.output
    assert (
        runner.invoke(app, ["token", "revoke", "Ada", "--database-url", initialized]).exit_code == 0
    )
    refused = runner.invoke(
        app,
        ["query", mutation.replace('"s"', '"t"'), "--token", secret, "--database-url", initialized],
    )
    assert refused.exit_code == 1
    assert "UNAUTHENTICATED" in refused.output
