"""What the concurrency tests share: a database on each engine named by a URL string that other
processes (`eventdb load`, `eventdb serve`) can be given."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.api.conftest import api  # noqa: F401  (a fixture: the API in-process, Derna loaded)
from tests.conftest import ENGINES, fresh_database
from tests.served import run_eventdb


@pytest.fixture(params=ENGINES)
async def initialised_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A database at the newest schema, made by `eventdb init`, on each engine."""
    async with fresh_database(request.param, tmp_path) as url:
        raw = url.render_as_string(hide_password=False)
        run_eventdb("init", database_url=raw)
        yield raw
