"""`eventdb init` creates or upgrades the database, on each engine, and explains failures."""

from pathlib import Path

import pytest
from sqlalchemy.engine import URL
from typer.testing import CliRunner

from eventdb.cli import app
from eventdb.db import migrate

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
