"""Bad requests get coded GraphQL errors, never an HTTP 500 or a traceback; abuse is refused."""

from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from eventdb.api.app import create_app
from eventdb.config import Settings
from eventdb.queries import control
from tests.api.conftest import Api
from tests.helpers import load, write


async def test_an_unknown_reference_is_not_found(api: Api) -> None:
    error = await api.error('{ actor(ref: "Atlantis Liberation Front") { slug } }')
    assert error["extensions"]["code"] == "NOT_FOUND"
    assert error["message"] == "no actor is known as 'Atlantis Liberation Front'"
    assert error["path"] == ["actor"]


async def test_an_ambiguous_name_lists_the_candidates(api: Api, tmp_path: Path) -> None:
    other = (
        "actors:\n  - {id: islamic-state-of-sinai, name: Sinai Province, kind: armed_group,"
        " aliases: [IS]}\n"
    )
    await load(api.engine, write(tmp_path, "other.yaml", other))
    error = await api.error('{ actor(ref: "IS") { slug } }')
    assert error["extensions"]["code"] == "AMBIGUOUS_REFERENCE"
    assert error["extensions"]["candidates"] == [
        {"slug": "isis", "name": "ISIS"},
        {"slug": "islamic-state-of-sinai", "name": "Sinai Province"},
    ]
    assert "use a slug or id" in error["message"]
    assert (await api.data('{ actor(ref: "isis") { name } }'))["actor"]["name"] == "ISIS"


@pytest.mark.parametrize(
    ("document", "variables", "message"),
    [
        (
            'query($at: Date!) { stateOf(location: "derna", at: $at) { at } }',
            {"at": "2015-13-01"},
            "expected a day",
        ),
        ('{ stateOf(location: "derna", at: "March 2015") { at } }', {}, "expected a day"),
        (
            'query($k: DateTime) { actor(ref: "isis", knownAt: $k) { slug } }',
            {"k": "yesterday"},
            "ISO 8601",
        ),
        ("{ events(first: 1000) { totalCount } }", {}, "first: must be between 1 and 500"),
        ("{ events(first: 0) { totalCount } }", {}, "first: must be between 1 and 500"),
        (
            '{ events(after: "not-a-cursor") { totalCount } }',
            {},
            "is not a cursor this API gave out",
        ),
        ('{ events(from: "2016-01-01", to: "2015-01-01") { totalCount } }', {}, "is before from"),
        ('{ location(ref: "derna") { stateAt { at } } }', {}, "stateAt needs a day"),
    ],
)
async def test_bad_input_is_bad_user_input(
    api: Api, document: str, variables: dict[str, Any], message: str
) -> None:
    error = await api.error(document, **variables)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert message in error["message"]


async def test_a_document_that_does_not_parse_or_validate_says_so(api: Api) -> None:
    parse = await api.error("{ actor(ref: ")
    assert parse["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
    validation = await api.error('{ actor(ref: "isis") { nickname } }')
    assert validation["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


async def test_an_unexpected_failure_is_masked_and_logged_not_shown(
    api: Api, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*_: object) -> None:
        raise RuntimeError("secret detail: connection string postgres://user:pw@host")

    monkeypatch.setattr(control, "held_at_locations", broken)
    body = await api.post('{ stateOf(location: "derna", at: "2015-03-01") { at } }')
    assert body["errors"][0]["message"] == "Internal server error"
    assert body["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert "secret" not in str(body)
    assert "secret detail" in caplog.text


async def test_a_deep_query_is_refused_before_it_touches_the_database(api: Api) -> None:
    deep = '{ location(ref: "derna") { ' + "parent { " * 60 + "slug" + " }" * 62
    error = await api.error(deep)
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert "exceeds maximum operation depth of 15" in error["message"]
    assert api.statements == 0


async def test_thousands_of_aliases_are_refused_before_they_run(api: Api) -> None:
    wide = "{ " + " ".join(f'a{n}: actor(ref: "isis") {{ slug }}' for n in range(2_000)) + " }"
    body = await api.post(wide)
    assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert api.statements == 0


async def test_limits_come_from_the_environment(
    engine: AsyncEngine, database_url: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EVENTDB_MAX_DEPTH", "3")
    monkeypatch.setenv("EVENTDB_MAX_PAGE", "5")
    settings = Settings.load(database_url.render_as_string(hide_password=False))
    app = create_app(settings, engine=engine)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as client:
        deep = await client.post(
            "/graphql",
            json={"query": '{ location(ref: "x") { parent { parent { parent { slug } } } } }'},
        )
        page = await client.post("/graphql", json={"query": "{ events(first: 6) { totalCount } }"})
    assert deep.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert "between 1 and 5" in page.json()["errors"][0]["message"]


async def test_graphiql_is_served_to_browsers(api: Api) -> None:
    response = await api.client.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


async def test_queries_may_come_by_get(api: Api) -> None:
    response = await api.client.get("/graphql", params={"query": '{ actor(ref: "isis") { name } }'})
    assert response.json() == {"data": {"actor": {"name": "ISIS"}}}


async def test_health_reports_a_reachable_database(api: Api) -> None:
    response = await api.client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["database"] == "reachable"


async def test_health_reports_a_database_it_cannot_reach(tmp_path: Path) -> None:
    settings = Settings.load("postgresql://postgres@127.0.0.1:1/nowhere")
    app = create_app(settings)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as client:
        response = await client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"


async def test_front_ends_on_allowed_origins_may_call_the_api(
    engine: AsyncEngine, database_url: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EVENTDB_CORS_ORIGINS", "http://localhost:5173, https://maps.example.org")
    settings = Settings.load(database_url.render_as_string(hide_password=False))
    app = create_app(settings, engine=engine)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as client:
        allowed = await client.options(
            "/graphql",
            headers={"Origin": "https://maps.example.org", "Access-Control-Request-Method": "POST"},
        )
        other = await client.options(
            "/graphql",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        )
    assert allowed.headers["access-control-allow-origin"] == "https://maps.example.org"
    assert "access-control-allow-origin" not in other.headers
