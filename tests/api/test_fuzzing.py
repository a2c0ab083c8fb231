"""Schemathesis sends generated GraphQL to the app, in process through ASGI, with the Derna article
loaded: every query and mutation, valid documents and broken ones, on each engine. No answer is an
HTTP 500 or an INTERNAL_SERVER_ERROR, every error carries its code, and every answer keeps to the
schema the app publishes.

The generated values lean towards what reaches the resolvers (the fixture's slugs, names and
aliases, EDTF dates, the vocabularies) and towards hostile text (NUL, digits that are not ASCII,
ids past 64 bits, instants that leave the years 1 to 9999 in UTC, forged cursors). The number of
examples per operation is EVENTDB_FUZZ_EXAMPLES (default 25; docs/reliability.md has a deeper run).
"""

import base64
import os
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from datetime import date
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.config import SchemathesisConfig
from schemathesis.core.result import Ok
from schemathesis.core.transport import Response
from schemathesis.generation import GenerationMode
from schemathesis.generation.case import Case
from schemathesis.graphql import nodes
from schemathesis.python.asgi import shutdown_lifespans
from schemathesis.schemas import APIOperation
from schemathesis.specs.graphql.schemas import GraphQLSchema
from schemathesis.specs.openapi.checks import response_schema_conformance
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine

from eventdb import vocabulary
from eventdb.api.app import create_app
from eventdb.auth import create_token
from eventdb.config import Settings
from eventdb.loading.reading import LISTS, read_file
from tests.helpers import DERNA, load

Operation = APIOperation[Any, Any, Any, Any]
EXAMPLES = int(os.environ.get("EVENTDB_FUZZ_EXAMPLES", "25"))


def _cursor(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


HOSTILE = [
    "",
    " ",
    "\x00",
    "derna\x00",
    "\x1f",
    "²",  # a digit to str.isdigit, not to int()
    "٣",
    "9" * 30,  # past a 64-bit id
    "-1",
    "0",
    "1",
    "ucdp:144",
    "a:b",
    "%",
    "_",
    "'",
    "\\",
    "x" * 5_000,
    "\U0001f3f3\ufe0f",
    _cursor(f"2015-01-01|{'9' * 30}"),
    _cursor("9999-12-31|1"),
    _cursor("2015-01-01|²"),
    _cursor(f"2026-01-01T00:00:00|event|{'9' * 30}|added"),
    _cursor("2026-01-01T00:00:00|event|1|added"),
    _cursor("0001-01-01T00:00:00+14:00|actor|1|added"),
]
DATES = [
    "2015-06",
    "2015-06-10",
    "2016-04?",
    "2015~",
    "2015%",
    "[2016-04-20..]",
    "[..2016]",
    "2016-21",
    "2015-XX",
    "1XXX",
    "0001",
    "9999-12-31",
    "9999~",
    "0001?",
    "2015-13-45",
    "-0001",
    "[1667, 1670]",
    "{2015}",
]
INTERVALS = [
    "2014-11/..",
    "2014-11/2015-06",
    "/2015",
    "2015/",
    "/",
    "../..",
    "2015-06/2015-06-10",
    "2016-06/2016-01",
    "0001?/9999~",
    "2016-04-20/2018-06~",
    "2015-06",
]
WORDS = [
    *vocabulary.ACTOR_KINDS,
    *vocabulary.LOCATION_KINDS,
    *vocabulary.AFFILIATION_KINDS,
    *vocabulary.CONTROL_STATUSES,
    *vocabulary.CONFIDENCES,
    "attack",
    "perpetrator",
    "victim",
    "date",
    "title",
    "fatalities",
]


def fixture_values() -> dict[str, list[str]]:
    """From the Derna fixture: per kind, every way a reference names a fact (slug, name,
    alias); the slugs alone, with some new ones; the names and titles."""
    entries, problems = read_file(DERNA)
    assert not problems
    values: dict[str, list[str]] = defaultdict(list)
    for entry in entries:
        data = entry.data
        names = [str(data[key]) for key in ("name", "title") if key in data]
        values[entry.kind].extend([*names, *data.get("aliases", [])])
        if "id" in data:
            values[entry.kind].append(data["id"])
            values["slugs"].append(data["id"])
        values["names"].extend(names)
    values["slugs"].extend(f"new-{kind}" for kind in LISTS.values())
    return values


def _days() -> st.SearchStrategy[str]:
    return st.one_of(
        st.dates(date(2010, 1, 1), date(2020, 12, 31)).map(date.isoformat),
        st.dates().map(date.isoformat),
        st.sampled_from(["0001-01-01", "9999-12-31", "2016-02-29", "2015-02-29", "2015-6-1"]),
        st.text(max_size=12),
    )


def _instants() -> st.SearchStrategy[str]:
    return st.one_of(
        st.just("2999-01-01T00:00:00Z"),  # everything loaded is known by then
        st.datetimes(timezones=st.none() | st.timezones()).map(lambda instant: instant.isoformat()),
        st.sampled_from(
            ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "2016-05-01", "now"]
        ),
    )


schemathesis.graphql.scalar("Date", _days().map(nodes.String))
schemathesis.graphql.scalar("DateTime", _instants().map(nodes.String))
schemathesis.graphql.scalar("FuzzyDate", st.sampled_from(DATES + INTERVALS).map(nodes.String))
schemathesis.graphql.scalar("JSON", st.just(nodes.Null))  # output only: never an argument


def configuration(token: str) -> SchemathesisConfig:
    values = fixture_values()
    every_ref = [ref for kind in LISTS.values() for ref in values[kind]]

    def often(dictionary: str) -> dict[str, Any]:
        return {"dictionary": dictionary, "probability": 0.8}

    return SchemathesisConfig.from_dict(
        {
            "headers": {"Authorization": f"Bearer {token}"},
            "dictionaries": {
                "hostile": {"values": HOSTILE},
                "refs": {"values": every_ref},
                "dates": {"values": DATES},
                "intervals": {"values": INTERVALS},
                "words": {"values": WORDS},
                **{kind: {"values": found} for kind, found in values.items()},
            },
            # Any text argument: now and then something hostile.
            "generation": {
                "dictionaries": {"string": {"dictionary": "hostile", "probability": 0.2}}
            },
            "parameters": {
                "Query.actor.ref": often("actor"),
                "Query.location.ref": often("location"),
                "Query.event.ref": often("event"),
                "Query.source.ref": often("source"),
                "Query.history.ref": often("refs"),
                "Mutation.retract.id": often("refs"),
                "*.*.actor": often("actor"),
                "*.*.involving[*]": often("actor"),
                "*.*.location": often("location"),
                "*.*.within": often("location"),
                "*.*.kinds[*]": often("words"),
                "*.*.input.id": often("slugs"),
                "*.*.input.name": often("names"),
                "*.*.input.title": often("names"),
                "*.*.input.actor": often("slugs"),
                "*.*.input.target": often("slugs"),
                "*.*.input.location": often("slugs"),
                "*.*.input.within": often("slugs"),
                "*.*.input.kind": often("words"),
                "*.*.input.status": often("words"),
                "*.*.input.valid": often("intervals"),
                "*.*.input.date": often("dates"),
                "*.*.input.published": often("dates"),
                "*.*.input.startedBy": often("slugs"),
                "*.*.input.endedBy": often("slugs"),
                "*.*.input.citations[*].source": often("slugs"),
                "*.*.input.citations[*].confidence": often("words"),
                "*.*.input.participants[*].actor": often("slugs"),
                "*.*.input.participants[*].role": often("words"),
                "*.*.input.alternatives[*].field": often("words"),
                "*.*.input.alternatives[*].value": often("dates"),
            },
        }
    )


@pytest.fixture
async def derna_api(engine: AsyncEngine, database_url: URL) -> AsyncIterator[GraphQLSchema]:
    """The app's schema as Schemathesis reads it, over the Derna article; writes carry a token.
    The app makes its own engine, on the event loop Schemathesis serves it from."""
    await load(engine, DERNA)
    async with engine.begin() as connection:
        token = await create_token(connection, "fuzzer")
    app = create_app(Settings(database_url=database_url))
    yield schemathesis.graphql.from_asgi("/graphql", app, config=configuration(token))
    shutdown_lifespans()  # the app's lifespan disposes of its engine


def no_internal_error(response: Response) -> str | None:
    """What is wrong with a response by the contract (CONTRACT.md section 1), if anything."""
    if response.status_code >= 500:
        return f"HTTP {response.status_code}"
    body = response.json()
    for error in body.get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        if code is None or code == "INTERNAL_SERVER_ERROR":
            return f"error without a client's code: {error}"
    return None


class Tally:
    """How the examples fared: answered with data, or refused (by the first error's code)."""

    def __init__(self) -> None:
        self.outcomes: dict[str, int] = defaultdict(int)

    def count(self, response: Response) -> None:
        errors = response.json().get("errors")
        outcome = (errors[0].get("extensions") or {}).get("code", "?") if errors else "data"
        self.outcomes[outcome] += 1

    @property
    def examples(self) -> int:
        return sum(self.outcomes.values())

    def __str__(self) -> str:
        counts = ", ".join(f"{count} {outcome}" for outcome, count in sorted(self.outcomes.items()))
        return f"{self.examples} examples: {counts}"


def fuzz(operation: Operation, tally: Tally) -> Callable[[], None]:
    # Positive documents reach the resolvers; negative ones (a wrong type, a missing argument)
    # test the refusals. Two in three are positive.
    positive = operation.as_strategy(generation_mode=GenerationMode.POSITIVE)
    negative = operation.as_strategy(generation_mode=GenerationMode.NEGATIVE)

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(case=st.one_of(positive, positive, negative))
    def run(case: Case[Operation]) -> None:
        response = case.call()
        tally.count(response)
        problem = no_internal_error(response)
        assert problem is None, f"{case.body!s}\n{problem}"
        case.validate_response(response, checks=[response_schema_conformance])

    return run


def test_no_generated_request_breaks_the_server_or_the_schema(derna_api: GraphQLSchema) -> None:
    tally = Tally()
    failures = {}
    results = list(derna_api.get_all_operations())
    operations = [result.ok() for result in results if isinstance(result, Ok)]
    assert len(operations) == len(results), "Schemathesis could not read some operations"
    for operation in operations:
        try:
            fuzz(operation, tally)()
        except (AssertionError, BaseExceptionGroup) as failure:  # all operations, all failures
            failures[operation.label] = str(failure)
    print(f"{len(operations)} operations, {tally}")  # shown with -s
    assert not failures, "\n\n".join(f"{label}: {text}" for label, text in failures.items())
    assert len(operations) >= 20
    # The fuzzing reached the resolvers, not only the validation of documents.
    assert tally.outcomes["data"] >= tally.examples // 20, dict(tally.outcomes)
