"""Hostile requests: every one is refused or answered with a coded error or a correct empty
answer, within bounded time, never with an HTTP 500, and the database is left as it was.

The string arguments come from `schema.graphql` (checked against the code by test_schema_file), so
a root field added later is attacked too.
"""

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import (
    GraphQLArgument,
    GraphQLField,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    build_schema,
    get_named_type,
    is_list_type,
    is_non_null_type,
    is_scalar_type,
)

from eventdb import auth
from tests.api.conftest import Api
from tests.helpers import snapshot

SCHEMA: GraphQLSchema = build_schema((Path(__file__).parents[2] / "schema.graphql").read_text())

# Generous: a refusal or an empty answer takes milliseconds; this only catches a hang.
SECONDS = 5.0

HOSTILE_STRINGS = [
    "'; DROP TABLE events; --",
    "'; DROP TABLE actors; SELECT '",
    '" OR 1=1 --',
    "' OR '1'='1",
    "1); DELETE FROM control_versions; --",
    "'; SELECT pg_sleep(30); --",
    "\u0000",
    "\u0000'; DROP TABLE events; --",
    "%",
    "_",
    "\\",
    "\u202e\u200b",
    "x" * 100_000,
    "' UNION SELECT name, sql FROM sqlite_master --",
]

# Values for the arguments not under attack, so that the attacked one decides the answer.
BENIGN: dict[str, Any] = {
    "String": "derna",
    "Date": "2015-03-01",
    "DateTime": "2030-01-01T00:00:00+00:00",
    "FactKind": "EVENT",
}
CODES_FOR_BAD_INPUT = {"NOT_FOUND", "BAD_USER_INPUT", "AMBIGUOUS_REFERENCE"}
# Scalars a client sends as text: every one is a way in for a string.
TEXT_SCALARS = {"String", "ID", "Date", "DateTime", "FuzzyDate"}


def string_arguments() -> Iterator[tuple[str, str]]:
    """(field, argument) for every argument of a root query field that takes text."""
    assert SCHEMA.query_type is not None
    for field_name, field in SCHEMA.query_type.fields.items():
        for argument_name, argument in field.args.items():
            if get_named_type(argument.type).name in TEXT_SCALARS:
                yield field_name, argument_name


def attack(field_name: str, attacked: str, value: str) -> tuple[str, dict[str, Any]]:
    """A document asking `field_name` with `value` in argument `attacked` (as a variable, so the
    value arrives byte for byte), the other required arguments benign."""
    assert SCHEMA.query_type is not None
    field: GraphQLField = SCHEMA.query_type.fields[field_name]
    variables: dict[str, Any] = {}
    declarations, arguments = [], []
    for name, argument in field.args.items():
        if name != attacked and not is_non_null_type(argument.type):
            continue
        declarations.append(f"${name}: {argument.type}")
        arguments.append(f"{name}: ${name}")
        given = value if name == attacked else BENIGN[get_named_type(argument.type).name]
        variables[name] = [given] if _is_list(argument) else given
    document = (
        f"query({', '.join(declarations)}) "
        f"{{ {field_name}({', '.join(arguments)}) {_selection(get_named_type(field.type))} }}"
    )
    return document, variables


def _is_list(argument: GraphQLArgument) -> bool:
    inner = argument.type.of_type if is_non_null_type(argument.type) else argument.type
    return is_list_type(inner)


def _selection(named: GraphQLNamedType) -> str:
    if is_scalar_type(named):
        return ""
    if isinstance(named, GraphQLObjectType) and "edges" in named.fields:
        return "{ edges { cursor } }"  # a page: empty means no edges
    return "{ __typename }"


def is_empty(answer: Any) -> bool:
    if answer in (None, [], {"edges": []}):
        return True
    return isinstance(answer, dict) and answer.get("features") == []  # GeoJSON


def test_the_schema_has_string_arguments_to_attack() -> None:
    attacked = set(string_arguments())
    assert ("actor", "ref") in attacked
    assert ("events", "kinds") in attacked
    assert ("stateOf", "at") in attacked
    assert len(attacked) > 20, sorted(attacked)


async def test_injection_strings_in_every_string_argument_do_no_harm(api: Api) -> None:
    before = await snapshot(api.engine)
    problems = []
    for field_name, argument in string_arguments():
        for value in HOSTILE_STRINGS:
            document, variables = attack(field_name, argument, value)
            started = time.monotonic()
            response = await api.client.post(
                "/graphql", json={"query": document, "variables": variables}
            )
            took = time.monotonic() - started
            where = f"{field_name}({argument}: {value[:40]!r})"
            problem = _judge(response, field_name, took)
            if problem:
                problems.append(f"{where}: {problem}")
    assert not problems, "\n".join(problems)
    assert await snapshot(api.engine) == before


def _judge(response: httpx.Response, field_name: str, took: float) -> str | None:
    """What is wrong with the answer to an attack, if anything."""
    if response.status_code != 200:
        return f"HTTP {response.status_code}: {response.text[:200]}"
    if took > SECONDS:
        return f"took {took:.1f} s"
    body = response.json()
    codes = {error.get("extensions", {}).get("code") for error in body.get("errors", [])}
    if codes - CODES_FOR_BAD_INPUT:
        return f"error codes {sorted(map(str, codes))}: {body['errors']}"
    if not codes and not is_empty(body["data"][field_name]):
        return f"answered {str(body['data'])[:200]}"
    return None


async def post(api: Api, body: Any) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = await api.client.post("/graphql", json=body)
    return response, time.monotonic() - started


async def test_a_query_deep_through_fragments_is_refused(api: Api) -> None:
    fragments = " ".join(
        f"fragment F{n} on Location {{ parent {{ ...F{n + 1} }} }}" for n in range(30)
    )
    document = (
        f'{{ location(ref: "derna") {{ ...F0 }} }} {fragments} fragment F30 on Location {{ slug }}'
    )
    response, took = await post(api, {"query": document})
    assert response.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert api.statements == 0
    assert took < SECONDS


async def test_a_document_nested_past_the_parser_is_refused(api: Api) -> None:
    nested = "{ actor(ref: " + "[" * 2_400 + "]" * 2_400 + ") { slug } }"
    response, took = await post(api, {"query": nested})
    assert response.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
    assert "nested too deeply" in response.json()["errors"][0]["message"]
    assert took < SECONDS


async def test_variables_nested_a_hundred_thousand_deep_are_a_400_not_a_crash(api: Api) -> None:
    body = b'{"query": "{ __typename }", "variables": {"v": ' + b"[" * 100_000
    body += b"]" * 100_000 + b"}}"
    response = await api.client.post(
        "/graphql", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_text_no_database_can_store_is_a_400(api: Api) -> None:
    document = b'"query($r: String!) { actor(ref: $r) { slug } }"'
    body = b'{"query": ' + document + b', "variables": {"r": "\\ud800"}}'
    response = await api.client.post(
        "/graphql", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_ten_thousand_fields_without_aliases_are_refused(api: Api) -> None:
    response, took = await post(api, {"query": "{ " + "__typename " * 10_000 + "}"})
    assert response.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert took < SECONDS


async def test_a_thousand_operations_in_one_document_are_refused(api: Api) -> None:
    document = " ".join(f'query Q{n} {{ actor(ref: "isis") {{ slug }} }}' for n in range(1_000))
    response, took = await post(api, {"query": document, "operationName": "Q999"})
    assert response.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert api.statements == 0
    assert took < SECONDS


async def test_a_field_repeated_under_directives_is_refused(api: Api) -> None:
    directives = " ".join("@include(if: true)" for _ in range(2_000))
    response, took = await post(api, {"query": f"{{ __typename {directives} }}"})
    assert response.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert took < SECONDS


async def test_a_batch_of_operations_is_refused(api: Api) -> None:
    response, _ = await post(api, [{"query": '{ actor(ref: "isis") { slug } }'}] * 100)
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert api.statements == 0


async def test_the_widest_query_the_limits_allow_is_answered_in_bounded_time(api: Api) -> None:
    """The most aliases allowed, each a full page of events with everything nested: answered,
    at a cost in statements of one page's times the aliases, whatever the rows."""
    node = "node { title participants { actor { name aliases } } location { parent { name } } }"
    page = f"events(first: 500) {{ totalCount edges {{ {node} }} }}"
    one = await api.post("{ a0: " + page + " }")
    one_page, api.statements = api.statements, 0
    response, took = await post(
        api, {"query": "{ " + " ".join(f"a{n}: {page}" for n in range(100)) + " }"}
    )
    body = response.json()
    assert "errors" not in body, body["errors"][:3]
    assert all(answer == one["data"]["a0"] for answer in body["data"].values())
    assert api.statements <= 100 * one_page
    assert took < SECONDS * 2


@pytest.mark.parametrize(
    ("document", "variables"),
    [
        ('{ actor(ref: "isis\\u0000") { slug } }', {}),
        ('{ actor(ref: "isis\\u{0}") { slug } }', {}),
        ("query($r: String!) { actor(ref: $r) { slug } }", {"r": "isis\x00"}),
        ("query($k: [String!]) { events(kinds: $k) { totalCount } }", {"k": ["attack\x00"]}),
    ],
    ids=["escape", "braced-escape", "variable", "list-variable"],
)
async def test_text_with_a_nul_character_is_refused_before_it_runs(
    api: Api, document: str, variables: dict[str, Any]
) -> None:
    """PostgreSQL cannot hold NUL in text; both engines refuse it alike, before any statement."""
    error = await api.error(document, **variables)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["message"] == "text may not contain the NUL character (U+0000)"
    assert api.statements == 0


async def test_a_write_with_a_nul_character_is_refused_and_writes_nothing(api: Api) -> None:
    async with api.engine.begin() as connection:
        secret = await auth.create_token(connection, "Mallory")
    before = await snapshot(api.engine)
    front = {"id": "nul-front", "name": "Nul\x00Front", "kind": "armed_group"}
    response = await api.client.post(
        "/graphql",
        json={
            "query": "mutation($input: ActorInput!) { createActor(input: $input) { slug } }",
            "variables": {"input": front},
        },
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert await snapshot(api.engine) == before
