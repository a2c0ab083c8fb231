"""Arguments the API fuzzing (test_fuzzing.py) found answered as INTERNAL_SERVER_ERROR: each is
now a client's error with its code, or an answer, on both engines."""

import base64

import pytest

from tests.api.conftest import Api


def cursor(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


async def test_the_history_of_an_affiliation_is_found_by_slug_and_a_name_is_not_found(
    api: Api,
) -> None:
    slug = "shura-council-derna-opposes-isis"
    history = f'{{ history(kind: AFFILIATION, ref: "{slug}") {{ version }} }}'
    assert len((await api.data(history))["history"]) == 1
    for kind in ("AFFILIATION", "CONTROL"):
        error = await api.error(f'{{ history(kind: {kind}, ref: "derna") {{ version }} }}')
        assert error["extensions"]["code"] == "NOT_FOUND", error
        assert error["message"] == f"no {kind.lower()} is known as 'derna'"


@pytest.mark.parametrize(
    "ref",
    [
        pytest.param("²", id="a digit to str.isdigit that int() refuses"),
        pytest.param("9" * 30, id="a number past 64 bits"),
        pytest.param("9" * 5_000, id="a number past int()'s digit limit"),
    ],
)
async def test_a_reference_that_can_name_nothing_is_not_found(api: Api, ref: str) -> None:
    for field in ("actor", "location", "event", "source"):
        error = await api.error(
            f"query($ref: String!) {{ {field}(ref: $ref) {{ slug }} }}", ref=ref
        )
        assert error["extensions"]["code"] == "NOT_FOUND", error
    error = await api.error(
        "query($ref: String!) { history(kind: CONTROL, ref: $ref) { version } }", ref=ref
    )
    assert error["extensions"]["code"] == "NOT_FOUND", error


async def test_text_with_a_nul_is_refused_before_any_statement(api: Api) -> None:
    # PostgreSQL cannot compare or store NUL: refused the same way on both engines.
    for query, variables in (
        ("query($ref: String!) { actor(ref: $ref) { slug } }", {"ref": "derna\x00"}),
        ("query($ref: String!) { location(ref: $ref) { slug } }", {"ref": "derna\x00"}),
        (
            "query($ref: String!) { history(kind: CONTROL, ref: $ref) { version } }",
            {"ref": "derna\x00"},
        ),
        (
            "query($kinds: [String!]) { events(kinds: $kinds) { totalCount } }",
            {"kinds": ["attack\x00"]},
        ),
        (
            'query($kinds: [String!]) { affiliations(actor: "isis", kinds: $kinds) { kind } }',
            {"kinds": ["opposes\x00"]},
        ),
    ):
        error = await api.error(query, **variables)
        assert error["extensions"]["code"] == "BAD_USER_INPUT", error
        assert "NUL" in error["message"]
        assert api.statements == 0
    relations = 'query($kinds: [String!]) { affiliations(actor: "isis", kinds: $kinds) { kind } }'
    assert (await api.data(relations, kinds=["opposes"]))["affiliations"] != []


@pytest.mark.parametrize("instant", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
async def test_an_instant_outside_the_years_1_to_9999_in_utc_is_bad_user_input(
    api: Api, instant: str
) -> None:
    error = await api.error(
        'query($at: DateTime) { actor(ref: "isis", knownAt: $at) { slug } }', at=instant
    )
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "falls outside the years 1 to 9999 in UTC" in error["message"]


EVENTS = "events(first: 1, after: $after) { totalCount }"
CHANGES = 'changes(since: "2000-01-01T00:00:00Z", after: $after) { edges { cursor } }'


@pytest.mark.parametrize(
    ("document", "after"),
    [
        pytest.param(EVENTS, cursor(f"2015-01-01|{'9' * 30}"), id="events past 64 bits"),
        pytest.param(EVENTS, cursor("2015-01-01|²"), id="events not ASCII digits"),
        pytest.param(
            CHANGES,
            cursor(f"2026-01-01T00:00:00+00:00|event|{'9' * 30}|added"),
            id="changes past 64 bits",
        ),
        pytest.param(
            CHANGES, cursor("0001-01-01T00:00:00+14:00|event|1|added"), id="changes before year 1"
        ),
    ],
)
async def test_a_forged_cursor_is_bad_user_input(api: Api, document: str, after: str) -> None:
    error = await api.error(f"query($after: String) {{ {document} }}", after=after)
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    assert "is not a cursor this API gave out" in error["message"]
