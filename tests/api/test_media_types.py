"""A client that accepts `application/graphql-response+json` gets it, with HTTP 400 and no `data`
for a request that never ran; a client that only knows `application/json` keeps HTTP 200.

HTTP decides all of this, whatever the engine: these run on SQLite only."""

from typing import Any

import httpx
import pytest

from tests.api.conftest import Api

NEW = "application/graphql-response+json"
OLD = "application/json"


async def ask(api: Api, accept: str | None, document: str, **variables: Any) -> httpx.Response:
    headers = {"Accept": accept} if accept is not None else {}
    return await api.client.post(
        "/graphql", json={"query": document, "variables": variables}, headers=headers
    )


async def test_an_answer_comes_in_the_new_media_type_when_the_client_accepts_it(
    sqlite_api: Api,
) -> None:
    response = await ask(sqlite_api, NEW, '{ actor(ref: "Daesh") { slug } }')
    assert response.status_code == 200
    assert response.headers["content-type"] == NEW
    assert response.json() == {"data": {"actor": {"slug": "isis"}}}


@pytest.mark.parametrize(
    ("document", "variables", "code"),
    [
        ("{ actor(ref: ", {}, "GRAPHQL_PARSE_FAILED"),
        ('{ actor(ref: "isis") { nickname } }', {}, "GRAPHQL_VALIDATION_FAILED"),
        (
            '{ location(ref: "derna") { ' + "parent { " * 20 + "slug" + " }" * 22,
            {},
            "QUERY_TOO_COMPLEX",
        ),
        (
            'query($at: Date!) { stateOf(location: "derna", at: $at) { at } }',
            {"at": "2015-13-01"},
            "BAD_USER_INPUT",
        ),
        ("query($at: Date!) { controlMap(at: $at) { at } }", {}, "BAD_USER_INPUT"),
    ],
    ids=["parse", "validation", "too-deep", "variable-value", "variable-missing"],
)
async def test_a_request_that_never_ran_is_a_400_without_data(
    sqlite_api: Api, document: str, variables: dict[str, Any], code: str
) -> None:
    new = await ask(sqlite_api, NEW, document, **variables)
    assert new.status_code == 400
    assert new.headers["content-type"] == NEW
    assert "data" not in new.json()
    assert new.json()["errors"][0]["extensions"]["code"] == code
    assert sqlite_api.statements == 0


@pytest.mark.parametrize("accept", [OLD, None, "*/*", "text/html, application/*;q=0.8"])
async def test_clients_that_only_know_json_keep_http_200_and_null_data(
    sqlite_api: Api, accept: str | None
) -> None:
    response = await ask(sqlite_api, accept, "{ actor(ref: ")
    assert response.status_code == 200
    assert response.headers["content-type"] == OLD
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"


async def test_a_field_that_fails_is_a_partial_answer_not_a_request_error(sqlite_api: Api) -> None:
    response = await ask(
        sqlite_api, NEW, '{ isis: actor(ref: "isis") { slug } x: actor(ref: "nobody") { slug } }'
    )
    assert response.status_code == 200
    body = response.json()
    assert body["data"] == {"isis": {"slug": "isis"}, "x": None}
    assert body["errors"][0]["path"] == ["x"]
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_a_failed_required_root_field_still_answers_200_with_null_data(
    sqlite_api: Api,
) -> None:
    response = await ask(
        sqlite_api, NEW, '{ stateOf(location: "Atlantis", at: "2015-03-01") { at } }'
    )
    assert response.status_code == 200
    assert response.json()["data"] is None
    assert response.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (f"{NEW}, {OLD};q=0.9", NEW),  # what the spec tells clients to send
        (f"{OLD}, {NEW}", NEW),  # equal weights: the newer type
        (f"{NEW};q=0.5, {OLD}", OLD),
        (f"{NEW};q=0", OLD),
        (f"{NEW};q=oops", OLD),
        (f"{NEW.upper()}; charset=utf-8", NEW),
    ],
)
async def test_the_media_type_follows_the_accept_header(
    sqlite_api: Api, accept: str, expected: str
) -> None:
    response = await ask(sqlite_api, accept, '{ actor(ref: "isis") { slug } }')
    assert response.headers["content-type"] == expected


async def test_a_body_that_is_not_json_gets_a_coded_400(sqlite_api: Api) -> None:
    response = await sqlite_api.client.post(
        "/graphql", content=b"{not json", headers={"Content-Type": OLD, "Accept": NEW}
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == NEW
    assert response.json() == {
        "errors": [
            {
                "message": "Unable to parse request body as JSON",
                "extensions": {"code": "BAD_REQUEST"},
            }
        ]
    }


async def test_a_mutation_by_get_is_refused_with_a_coded_405(sqlite_api: Api) -> None:
    response = await sqlite_api.client.get(
        "/graphql", params={"query": 'mutation { retract(kind: EVENT, id: "x") { version } }'}
    )
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"
