"""Pages of events: every event exactly once, and a cost that does not grow with the page."""

import json
from pathlib import Path

import pytest

from tests.api.conftest import Api
from tests.helpers import load, write

PAGE = """
query Page($first: Int, $after: String, $order: SortOrder) {
  events(first: $first, after: $after, order: $order) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { slug date } }
  }
}
"""


@pytest.mark.parametrize("order", ["ASC", "DESC"])
async def test_walking_the_pages_meets_every_event_exactly_once(api: Api, order: str) -> None:
    seen: list[str] = []
    after = None
    while True:
        page = (await api.data(PAGE, first=2, after=after, order=order))["events"]
        assert page["totalCount"] == 9
        assert len(page["edges"]) <= 2
        seen.extend(edge["node"]["slug"] for edge in page["edges"])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
        assert after == page["edges"][-1]["cursor"]
    assert len(seen) == 9
    assert len(set(seen)) == 9
    full = (await api.data(PAGE, first=50, order=order))["events"]
    assert seen == [edge["node"]["slug"] for edge in full["edges"]]
    first_day = full["edges"][0]["node"]["date"]
    assert (first_day == "2012-09-11") == (order == "ASC")


async def test_filters_narrow_the_total_and_the_pages(api: Api) -> None:
    query = """query($kinds: [String!], $from: Date, $to: Date, $within: String) {
        events(kinds: $kinds, from: $from, to: $to, within: $within) {
            totalCount edges { node { slug } } } }"""
    statements = await api.data(query, kinds=["statement"])
    assert statements["events"]["totalCount"] == 2
    june = await api.data(query, **{"from": "2015-06-01", "to": "2015-06-30"})
    slugs = {edge["node"]["slug"] for edge in june["events"]["edges"]}
    # The influx ("since November 2014, end unknown") may also have gone on in June 2015.
    assert slugs == {
        "nasser-akr-assassination",
        "shura-council-declares-war-on-isis",
        "derna-fighting-escalates",
        "isis-influx-into-derna",
    }
    in_benghazi = await api.data(query, within="Benghazi")
    assert [edge["node"]["slug"] for edge in in_benghazi["events"]["edges"]] == [
        "benghazi-compound-attack"
    ]


def many_events(count: int) -> str:
    events = [
        {
            "type": "event",
            "id": f"clash-{number}",
            "title": f"Clash {number}",
            "kind": "battle",
            "date": f"2016-{number % 12 + 1:02d}-{number % 28 + 1:02d}",
            "location": ["derna", "sirte", "benghazi"][number % 3],
            "participants": [
                {"actor": "isis", "role": "perpetrator"},
                {"actor": "shura-council-derna", "role": "target"},
            ],
            "citations": [{"source": "article"}, {"source": "afp-report"}],
        }
        for number in range(count)
    ]
    return "\n".join(json.dumps(event) for event in events) + "\n"


BIG_PAGE = """
query Page($first: Int) {
  events(first: $first, kinds: ["battle"]) {
    totalCount
    edges { node {
      slug title date
      location { name parent { name } }
      participants { role actor { name aliases } }
      citations { confidence source { title } }
    } }
  }
}
"""


async def test_a_page_costs_the_same_statements_for_10_or_100_events(
    api: Api, tmp_path: Path
) -> None:
    await load(api.engine, write(tmp_path, "clashes.jsonl", many_events(120)))
    small = await api.data(BIG_PAGE, first=10)
    small_statements = api.statements
    large = await api.data(BIG_PAGE, first=100)
    assert len(small["events"]["edges"]) == 10
    assert len(large["events"]["edges"]) == 100
    assert large["events"]["totalCount"] == 121
    assert api.statements == small_statements
    assert small_statements <= 12
    # The page and what it selects in one hop; actors' aliases (not read ahead) in another.
    assert api.hops == 2


EVENT_PARTS = """
fragment Parts on Event {
  slug title date
  location { name ... on Location { parent { name } } }
  participants { role actor { name aliases } }
}
query Page($first: Int) {
  events(first: $first, kinds: ["battle"]) {
    totalCount
    edges { node { ...Parts sources: citations { confidence source { title } } } }
  }
}
"""


async def test_reading_ahead_follows_fragments_and_aliases(api: Api, tmp_path: Path) -> None:
    await load(api.engine, write(tmp_path, "clashes.jsonl", many_events(30)))
    plain = await api.data(BIG_PAGE, first=25)
    plain_statements = api.statements
    parts = await api.data(EVENT_PARTS, first=25)
    for edge in parts["events"]["edges"]:
        edge["node"]["citations"] = edge["node"].pop("sources")
    assert parts == plain
    assert api.statements == plain_statements
    assert api.hops == 2


async def test_state_of_a_place_is_read_in_one_hop(api: Api) -> None:
    data = await api.data(
        """{ stateOf(location: "Darnah", at: "2015-06-15") { contested location { name }
             controllers { actor { name } status certainty citations { source { slug } } } } }"""
    )
    assert data["stateOf"]["location"]["name"] == "Derna"
    assert {c["actor"]["name"] for c in data["stateOf"]["controllers"]} == {
        "ISIS",
        "Shura Council of Mujahideen in Derna",
    }
    assert api.hops == 1
    # The place, its spells, their actors, the place itself, citations, sources (and BEGIN).
    assert api.statements <= 7


async def test_events_are_counted_only_when_the_total_is_asked_for(
    api: Api, tmp_path: Path
) -> None:
    await load(api.engine, write(tmp_path, "clashes.jsonl", many_events(30)))
    counted = await api.data(BIG_PAGE, first=25)
    counting = api.statements
    page = BIG_PAGE.replace("totalCount", "")
    uncounted = await api.data(page, first=25)
    assert api.statements == counting - 1
    assert uncounted["events"]["edges"] == counted["events"]["edges"]
    in_a_fragment = """query { events(first: 5, kinds: ["battle"]) { ...Total } }
        fragment Total on EventConnection { totalCount }"""
    assert (await api.data(in_a_fragment))["events"]["totalCount"] == counted["events"][
        "totalCount"
    ]
