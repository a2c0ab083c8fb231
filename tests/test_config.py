"""Where the database is: the flag, then EVENTDB_DATABASE_URL, then a SQLite file here."""

import pytest

from eventdb.config import DEFAULT_DATABASE_URL, Settings
from eventdb.errors import BadInput


def test_the_default_is_a_sqlite_file_in_the_working_folder(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("EVENTDB_DATABASE_URL", raising=False)
    settings = Settings.load()
    assert settings.database_url.render_as_string() == DEFAULT_DATABASE_URL


def test_the_environment_names_another_database(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVENTDB_DATABASE_URL", "postgresql://postgres@127.0.0.1/events")
    url = Settings.load().database_url
    assert url.drivername == "postgresql+asyncpg"
    assert url.database == "events"


def test_the_flag_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVENTDB_DATABASE_URL", "postgresql://postgres@127.0.0.1/events")
    url = Settings.load("sqlite:///elsewhere.sqlite3").database_url
    assert url.drivername == "sqlite+aiosqlite"
    assert url.database == "elsewhere.sqlite3"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://root@localhost/x", "unsupported database 'mysql'"),
        ("sqlite+pysqlite:///x.sqlite3", "use the aiosqlite driver"),
        ("postgresql+psycopg2://x", "use the asyncpg driver"),
        ("not a url", "not a database URL"),
    ],
)
def test_an_unusable_url_is_refused_with_the_reason(url: str, message: str) -> None:
    with pytest.raises(BadInput, match=message):
        Settings.load(url)
