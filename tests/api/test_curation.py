"""Editing through the API: create, correct, retract, with tokens, versions and full history."""

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from eventdb import auth
from tests.api.conftest import Api
from tests.helpers import snapshot

CREATE_ACTOR = """
mutation($input: ActorInput!, $note: String) {
  createActor(input: $input, note: $note) { slug name version aliases externalIds }
}
"""
CORRECT_ACTOR = """
mutation($input: ActorInput!, $expected: Int, $note: String) {
  correctActor(input: $input, expectedVersion: $expected, note: $note) { slug name version aliases }
}
"""
READ_ACTOR = """
query($ref: String!, $knownAt: DateTime) { actor(ref: $ref, knownAt: $knownAt) { name version } }
"""
HISTORY = """
query($kind: FactKind!, $ref: String!) {
  history(kind: $kind, ref: $ref) {
    version recordedBy changeNote closedBy closingNote retracted supersededAt
    fact { __typename ... on Actor { name } ... on Control { valid } }
  }
}
"""
FRONT = {"id": "derna-front", "name": "Derna Front", "kind": "armed_group", "aliases": ["DF"]}


async def token(api: Api, name: str) -> str:
    async with api.engine.begin() as connection:
        return await auth.create_token(connection, name)


async def as_(api: Api, secret: str | None, document: str, **variables: Any) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {secret}"} if secret else {}
    response = await api.client.post(
        "/graphql", json={"query": document, "variables": variables}, headers=headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def moment() -> str:
    return datetime.now(UTC).isoformat()


async def test_create_correct_and_read_now_and_before_with_authors_in_history(api: Api) -> None:
    ada, ben = await token(api, "Ada"), await token(api, "Ben")
    created = await as_(api, ada, CREATE_ACTOR, input=FRONT, note="first seen in a local report")
    assert created["data"]["createActor"]["aliases"] == ["DF"]
    first_version = created["data"]["createActor"]["version"]
    await asyncio.sleep(0.01)
    before = moment()
    await asyncio.sleep(0.01)

    renamed = {**FRONT, "name": "Derna Protection Front", "aliases": ["DPF", "DF"]}
    corrected = await as_(
        api, ben, CORRECT_ACTOR, input=renamed, expected=first_version, note="renamed in 2017"
    )
    assert corrected["data"]["correctActor"]["name"] == "Derna Protection Front"
    assert corrected["data"]["correctActor"]["version"] > first_version

    now = await api.data(READ_ACTOR, ref="DPF")
    assert now["actor"]["name"] == "Derna Protection Front"
    then = await api.data(READ_ACTOR, ref="derna-front", knownAt=before)
    assert then["actor"] == {"name": "Derna Front", "version": first_version}

    versions = (await api.data(HISTORY, kind="ACTOR", ref="derna-front"))["history"]
    assert [(v["recordedBy"], v["changeNote"], v["closedBy"]) for v in versions] == [
        ("Ada", "first seen in a local report", "Ben"),
        ("Ben", "renamed in 2017", None),
    ]
    assert [v["fact"]["name"] for v in versions] == ["Derna Front", "Derna Protection Front"]
    assert versions[0]["supersededAt"] is not None
    assert versions[1]["supersededAt"] is None


async def test_a_stale_expected_version_is_a_conflict_and_writes_nothing(api: Api) -> None:
    ada = await token(api, "Ada")
    first = (await as_(api, ada, CREATE_ACTOR, input=FRONT))["data"]["createActor"]["version"]
    second = await as_(api, ada, CORRECT_ACTOR, input={**FRONT, "name": "B"}, expected=first)
    current = second["data"]["correctActor"]["version"]
    before = await snapshot(api.engine)

    stale = await as_(api, ada, CORRECT_ACTOR, input={**FRONT, "name": "C"}, expected=first)
    [error] = stale["errors"]
    assert error["extensions"]["code"] == "CONFLICT"
    assert error["extensions"]["currentVersion"] == current
    assert f"you expected version {first}, it is now version {current}" in error["message"]
    assert await snapshot(api.engine) == before


async def test_creating_what_exists_or_correcting_what_does_not_is_refused(api: Api) -> None:
    ada = await token(api, "Ada")
    exists = await as_(
        api, ada, CREATE_ACTOR, input={"id": "isis", "name": "ISIS", "kind": "armed_group"}
    )
    assert exists["errors"][0]["extensions"]["code"] == "CONFLICT"
    missing = await as_(api, ada, CORRECT_ACTOR, input=FRONT)
    assert missing["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    gone = await as_(api, ada, 'mutation { retract(kind: EVENT, id: "no-such-event") { slug } }')
    assert gone["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_a_retracted_fact_is_gone_now_and_there_with_known_at_and_history(api: Api) -> None:
    ada = await token(api, "Ada")
    await asyncio.sleep(0.01)
    before = moment()
    retracted = await as_(
        api,
        ada,
        'mutation { retract(kind: CONTROL, id: "derna-isis-controls", note: "bad source") '
        "{ kind slug version } }",
    )
    assert retracted["data"]["retract"]["slug"] == "derna-isis-controls"

    state = """query($knownAt: DateTime) { stateOf(location: "derna", at: "2015-03-01",
        knownAt: $knownAt) { controllers { actor { slug } } } }"""
    assert (await api.data(state))["stateOf"]["controllers"] == []
    then = await api.data(state, knownAt=before)
    assert then["stateOf"]["controllers"] == [{"actor": {"slug": "isis"}}]

    [version] = (await api.data(HISTORY, kind="CONTROL", ref="derna-isis-controls"))["history"]
    assert version["retracted"] is True
    assert (version["closedBy"], version["closingNote"]) == ("Ada", "bad source")


async def test_retracting_a_fact_still_referred_to_is_refused(api: Api) -> None:
    ada = await token(api, "Ada")
    body = await as_(api, ada, 'mutation { retract(kind: ACTOR, id: "isis") { slug } }')
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "cannot be retracted while" in error["message"]


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "this needs a token"),
        ({"Authorization": "Bearer not-a-token"}, "not valid, or has been revoked"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, "this needs a token"),
    ],
)
async def test_writes_without_a_valid_token_are_refused_and_write_nothing(
    api: Api, headers: dict[str, str], reason: str
) -> None:
    before = await snapshot(api.engine)
    response = await api.client.post(
        "/graphql", json={"query": CREATE_ACTOR, "variables": {"input": FRONT}}, headers=headers
    )
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert reason in error["message"]
    assert await snapshot(api.engine) == before


async def test_a_revoked_token_is_refused(api: Api) -> None:
    ada = await token(api, "Ada")
    async with api.engine.begin() as connection:
        await auth.revoke_token(connection, "Ada")
    before = await snapshot(api.engine)
    body = await as_(api, ada, CREATE_ACTOR, input=FRONT)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert await snapshot(api.engine) == before


async def test_two_concurrent_corrections_one_wins_one_conflicts_no_version_lost(api: Api) -> None:
    ada, ben = await token(api, "Ada"), await token(api, "Ben")
    seen = (await as_(api, ada, CREATE_ACTOR, input=FRONT))["data"]["createActor"]["version"]
    answers = await asyncio.gather(
        as_(api, ada, CORRECT_ACTOR, input={**FRONT, "name": "Ada's name"}, expected=seen),
        as_(api, ben, CORRECT_ACTOR, input={**FRONT, "name": "Ben's name"}, expected=seen),
    )
    won = [answer for answer in answers if "errors" not in answer]
    lost = [answer for answer in answers if "errors" in answer]
    assert len(won) == 1
    assert len(lost) == 1
    assert lost[0]["errors"][0]["extensions"]["code"] == "CONFLICT"
    winner = won[0]["data"]["correctActor"]["name"]
    versions = (await api.data(HISTORY, kind="ACTOR", ref="derna-front"))["history"]
    assert [v["fact"]["name"] for v in versions] == ["Derna Front", winner]
    assert (await api.data(READ_ACTOR, ref="derna-front"))["actor"]["name"] == winner


async def test_every_problem_of_an_input_is_listed_with_its_path(api: Api) -> None:
    ada = await token(api, "Ada")
    before = await snapshot(api.engine)
    document = """mutation($input: EventInput!) { createEvent(input: $input) { slug } }"""
    bad = {
        "id": "raid",
        "title": "A raid",
        "kind": "Attack",
        "date": "2015-13-45",
        "participants": [{"actor": "isis", "role": "perpetrator"}],
        "citations": [{"source": "article", "confidence": "rumoured"}],
    }
    [error] = (await as_(api, ada, document, input=bad))["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    paths = {problem["path"] for problem in error["extensions"]["problems"]}
    assert paths == {"input.kind", "input.date", "input.citations[0].confidence"}
    assert "there is no month 13" in error["message"]
    assert await snapshot(api.engine) == before


async def test_overlapping_definite_control_is_refused(api: Api) -> None:
    ada = await token(api, "Ada")
    document = "mutation($input: ControlInput!) { createControl(input: $input) { slug } }"
    overlap = {"location": "derna", "actor": "haftar-forces", "valid": "2015-01/2015-03"}
    [error] = (await as_(api, ada, document, input=overlap))["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "would be definitely controlled by both 'haftar-forces'" in error["message"]
    contested = {**overlap, "status": "contested"}
    created = await as_(api, ada, document, input=contested)
    assert "errors" not in created


async def test_an_event_is_created_with_everything_it_can_carry(api: Api) -> None:
    ada = await token(api, "Ada")
    document = """mutation($input: EventInput!) { createEvent(input: $input) {
        slug date fatalities { best low high } location { slug }
        participants { actor { slug } role } citations { source { slug } confidence }
        alternatives { field value citations { source { slug } } } externalIds } }"""
    event = {
        "id": "sirte-checkpoint-attack",
        "title": "Attack on a checkpoint near Sirte",
        "kind": "attack",
        "date": "2016-05?",
        "location": "sirte",
        "participants": [{"actor": "isis", "role": "perpetrator"}],
        "fatalities": {"best": 3, "low": 2, "high": 5},
        "citations": [{"source": "stratfor-statement", "confidence": "claimed"}],
        "alternatives": [
            {"field": "date", "value": "2016-06", "citations": [{"source": "afp-report"}]}
        ],
        "externalIds": ["acled:LBY1234"],
    }
    created = (await as_(api, ada, document, input=event))["data"]["createEvent"]
    assert created == {
        "slug": "sirte-checkpoint-attack",
        "date": "2016-05?",
        "fatalities": {"best": 3, "low": 2, "high": 5},
        "location": {"slug": "sirte"},
        "participants": [{"actor": {"slug": "isis"}, "role": "perpetrator"}],
        "citations": [{"source": {"slug": "stratfor-statement"}, "confidence": "claimed"}],
        "alternatives": [
            {"field": "date", "value": "2016-06", "citations": [{"source": {"slug": "afp-report"}}]}
        ],
        "externalIds": ["acled:LBY1234"],
    }
    found = await api.data('{ event(ref: "acled:LBY1234") { slug } }')
    assert found["event"]["slug"] == "sirte-checkpoint-attack"


async def test_changes_since_list_what_happened_in_order_a_page_at_a_time(api: Api) -> None:
    ada = await token(api, "Ada")
    since = moment()
    await as_(api, ada, CREATE_ACTOR, input=FRONT)
    await as_(api, ada, CORRECT_ACTOR, input={**FRONT, "name": "B"})
    await as_(api, ada, 'mutation { retract(kind: ACTOR, id: "derna-front") { slug } }')
    document = """query($since: DateTime!, $after: String) { changes(since: $since, first: 2,
        after: $after) { edges { cursor node { kind slug action author } }
        pageInfo { hasNextPage endCursor } } }"""
    first = (await api.data(document, since=since))["changes"]
    assert [edge["node"]["action"] for edge in first["edges"]] == ["added", "corrected"]
    assert first["pageInfo"]["hasNextPage"] is True
    rest = (await api.data(document, since=since, after=first["pageInfo"]["endCursor"]))["changes"]
    assert [edge["node"] for edge in rest["edges"]] == [
        {"kind": "ACTOR", "slug": "derna-front", "action": "retracted", "author": "Ada"}
    ]
    assert rest["pageInfo"]["hasNextPage"] is False


async def test_reads_can_be_made_to_need_a_token(
    engine: AsyncEngine, database_url: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import httpx

    from eventdb.api.app import create_app
    from eventdb.config import Settings

    monkeypatch.setenv("EVENTDB_TOKENS_FOR_READS", "true")
    settings = Settings.load(database_url.render_as_string(hide_password=False))
    async with engine.begin() as connection:
        secret = await auth.create_token(connection, "Reader")
    app = create_app(settings, engine=engine)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as client:
        query = {"query": "{ events { totalCount } }"}
        anonymous = await client.post("/graphql", json=query)
        signed = await client.post(
            "/graphql", json=query, headers={"Authorization": f"Bearer {secret}"}
        )
    assert anonymous.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert "errors" not in signed.json()
