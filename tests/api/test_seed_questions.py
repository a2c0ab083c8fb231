"""The questions the project exists to answer, asked over HTTP of the Derna article."""

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from tests.api.conftest import Api
from tests.helpers import load, write

STATE = """
query State($at: Date!, $knownAt: DateTime) {
  stateOf(location: "Derna", at: $at, knownAt: $knownAt) {
    location { slug }
    at
    contested
    controllers { actor { slug } status certainty valid citations { source { slug } } }
  }
}
"""


def holders(state: dict) -> list[tuple[str, str, str]]:
    return [(c["actor"]["slug"], c["status"], c["certainty"]) for c in state["controllers"]]


async def test_derna_before_during_and_after_the_change_of_control(api: Api) -> None:
    before = (await api.data(STATE, at="2015-03-01"))["stateOf"]
    assert holders(before) == [("isis", "controls", "DEFINITE")]
    assert before["contested"] is False
    assert before["controllers"][0]["valid"] == "2014-11/2015-06"

    during = (await api.data(STATE, at="2015-06-15"))["stateOf"]
    assert set(holders(during)) == {
        ("isis", "controls", "POSSIBLE"),
        ("isis", "contested", "POSSIBLE"),
        ("shura-council-derna", "contested", "POSSIBLE"),
    }
    assert during["contested"] is True

    fighting = (await api.data(STATE, at="2016-01-01"))["stateOf"]
    assert set(holders(fighting)) == {
        ("isis", "contested", "DEFINITE"),
        ("shura-council-derna", "contested", "DEFINITE"),
    }

    after = (await api.data(STATE, at="2017-01-01"))["stateOf"]
    assert holders(after) == [("shura-council-derna", "controls", "DEFINITE")]
    sources = {c["source"]["slug"] for c in after["controllers"][0]["citations"]}
    assert sources == {"truitte-2018", "long-war-journal-2016-04-20", "jamestown-2016-04-29"}


EVENTS = """
query Events($who: [String!], $members: Boolean) {
  events(involving: $who, includeMembers: $members, order: ASC) {
    totalCount
    edges { node { slug date } }
  }
}
"""


def slugs(page: dict) -> list[str]:
    return [edge["node"]["slug"] for edge in page["events"]["edges"]]


async def test_events_of_isis_with_and_without_its_branches_at_the_time(api: Api) -> None:
    alone = await api.data(EVENTS, who=["Daesh"], members=False)
    assert "barqa-video-admits-loss" not in slugs(alone)
    assert "nasser-akr-assassination" in slugs(alone)
    with_branches = await api.data(EVENTS, who=["Daesh"], members=True)
    # The Barqa province (a branch since November 2014) and its media office (a branch of the
    # branch) made the video: events of its members at the time, transitively.
    assert "barqa-video-admits-loss" in slugs(with_branches)
    assert set(slugs(alone)) < set(slugs(with_branches))
    assert with_branches["events"]["totalCount"] == len(slugs(with_branches))


async def test_members_count_only_while_they_are_members(api: Api) -> None:
    alone = await api.data(EVENTS, who=["Shura Council"], members=False)
    with_members = await api.data(EVENTS, who=["Shura Council"], members=True)
    # Ansar al-Sharia joined the Shura Council in December 2014; its 2012 attack in Benghazi
    # was not an event of a member of the council at the time.
    assert "benghazi-compound-attack" not in slugs(with_members)
    assert set(slugs(alone)) == set(slugs(with_members))
    assert "shura-council-declares-war-on-isis" in slugs(alone)


async def test_isis_is_found_as_daesh_and_places_without_accents(api: Api) -> None:
    query = "query($ref: String!) { actor(ref: $ref) { slug name aliases } }"
    for ref in ("Daesh", "DAESH", "daesh", "ISIL", "isis", "Islamic State"):
        assert (await api.data(query, ref=ref))["actor"]["slug"] == "isis"
    place = "query($ref: String!) { location(ref: $ref) { slug parent { slug } } }"
    for ref in ("Banghāzī", "banghazi", "BENGHAZI", "بنغازي"):
        found = (await api.data(place, ref=ref))["location"]
        assert found == {"slug": "benghazi", "parent": {"slug": "libya"}}


AFFILIATIONS = """
query($actor: String!, $at: Date) {
  affiliations(actor: $actor, at: $at) { actor { slug } kind target { slug } certainty valid }
}
"""


async def test_haftars_relations_on_a_date(api: Api) -> None:
    appointed = await api.data(AFFILIATIONS, actor="Khalifa Haftar", at="2015-03-02")
    assert [
        (a["kind"], a["target"]["slug"], a["certainty"]) for a in appointed["affiliations"]
    ] == [("commands", "haftar-forces", "DEFINITE")]
    # His command's end is unknown: the day after his appointment it only possibly holds.
    later = await api.data(AFFILIATIONS, actor="Khalifa Haftar", at="2016-01-01")
    assert [a["certainty"] for a in later["affiliations"]] == ["POSSIBLE"]
    before = await api.data(AFFILIATIONS, actor="Khalifa Haftar", at="2015-03-01")
    assert before["affiliations"] == []


async def test_symmetric_relations_are_found_from_either_side(api: Api) -> None:
    forces = await api.data(AFFILIATIONS, actor="haftar-forces", at="2016-01-01")
    relations = {
        (a["actor"]["slug"], a["kind"], a["target"]["slug"]) for a in forces["affiliations"]
    }
    # Recorded as "the Shura Council opposes Haftar's forces", found from Haftar's side too.
    assert ("haftar-forces", "opposes", "shura-council-derna") in relations
    assert ("haftar-forces", "loyal_to", "libya-recognized-government") in relations


async def test_the_benghazi_attack_keeps_the_articles_date_as_an_alternative(api: Api) -> None:
    query = """{ event(ref: "benghazi-compound-attack") {
        date kind fatalities { best }
        location { slug parent { slug } }
        participants { actor { slug } role }
        citations { source { slug } confidence }
        alternatives { field value citations { source { slug } quote } }
    } }"""
    found = (await api.data(query))["event"]
    assert found["date"] == "2012-09-11"
    assert found["fatalities"] == {"best": 4}
    assert found["location"] == {"slug": "us-compound-benghazi", "parent": {"slug": "benghazi"}}
    assert {"actor": {"slug": "ansar-al-sharia"}, "role": "perpetrator"} in found["participants"]
    assert {"source": {"slug": "article"}, "confidence": "suspected"} in found["citations"]
    [claim] = found["alternatives"]
    assert (claim["field"], claim["value"]) == ("date", "2011")
    assert claim["citations"][0]["source"]["slug"] == "article"


async def test_a_correction_is_seen_now_and_the_old_answer_with_known_at(
    api: Api, tmp_path: Path
) -> None:
    await asyncio.sleep(0.01)
    before_correction = datetime.now(UTC).isoformat()
    await asyncio.sleep(0.01)
    correction = """control:
  - id: derna-isis-controls
    location: derna
    actor: isis
    valid: 2014-11/2015-03
    citations: [{source: article}]
"""
    await load(api.engine, write(tmp_path, "fix.yaml", correction))
    now = (await api.data(STATE, at="2015-05-01"))["stateOf"]
    assert holders(now) == []
    then = (await api.data(STATE, at="2015-05-01", knownAt=before_correction))["stateOf"]
    assert holders(then) == [("isis", "controls", "DEFINITE")]
    assert then["controllers"][0]["valid"] == "2014-11/2015-06"


async def test_nested_fields_answer_for_the_parents_day_and_instant(api: Api) -> None:
    query = """{ stateOf(location: "derna", at: "2015-03-01") { controllers {
        actor { slug affiliations { kind target { slug } certainty } controls { status valid } }
    } } }"""
    [held] = (await api.data(query))["stateOf"]["controllers"]
    # ISIS's relations and control on 2015-03-01, the day the state was asked for.
    kinds = {(a["kind"], a["target"]["slug"]) for a in held["actor"]["affiliations"]}
    assert kinds == {("opposes", "shura-council-derna")}  # the war began in June
    assert held["actor"]["controls"] == [{"status": "controls", "valid": "2014-11/2015-06"}]


async def test_a_time_slider_gets_every_change_of_control_in_order(api: Api) -> None:
    query = """{ location(ref: "derna") { timeline { at contested
        controllers { actor { slug } status certainty } } } }"""
    timeline = (await api.data(query))["location"]["timeline"]
    days = [point["at"] for point in timeline]
    assert days == sorted(days)
    assert days[0] == "2014-11-01"
    first = timeline[0]["controllers"]
    assert [(c["actor"]["slug"], c["certainty"]) for c in first] == [("isis", "POSSIBLE")]
    definite = next(point for point in timeline if point["at"] == "2014-11-30")
    assert [c["certainty"] for c in definite["controllers"]] == ["DEFINITE"]
    assert timeline[-1]["controllers"] == []  # after the last possible end, nobody


async def test_a_map_frame_lists_the_places_within_and_as_geojson(api: Api) -> None:
    frame = await api.data(
        """{ controlMap(at: "2015-03-01", within: "Libya") {
            location { slug } contested controllers { actor { slug } certainty } } }"""
    )
    assert frame["controlMap"] == [
        {
            "location": {"slug": "derna"},
            "contested": False,
            "controllers": [{"actor": {"slug": "isis"}, "certainty": "DEFINITE"}],
        }
    ]
    geojson = (await api.data('{ controlMapGeoJSON(at: "2015-03-01", within: "libya") }'))[
        "controlMapGeoJSON"
    ]
    assert geojson["type"] == "FeatureCollection"
    [feature] = geojson["features"]
    assert feature["geometry"] == {"type": "Point", "coordinates": [22.6367, 32.767]}
    assert feature["properties"]["controllers"] == [
        {"actor": "isis", "name": "ISIS", "status": "controls", "certainty": "DEFINITE"}
    ]
    elsewhere = await api.data('{ controlMap(at: "2015-03-01", within: "egypt") { at } }')
    assert elsewhere["controlMap"] == []


async def test_a_source_lists_what_it_is_cited_for(api: Api) -> None:
    query = """{ source(ref: "truitte-2018") { title published citations { quote about {
        __typename ... on Control { slug actor { slug } } } } } }"""
    source = (await api.data(query))["source"]
    assert source["published"] == "2018"
    [citation] = source["citations"]
    assert citation["about"] == {
        "__typename": "Control",
        "slug": "derna-shura-council-controls",
        "actor": {"slug": "shura-council-derna"},
    }


async def test_places_know_their_children_and_events_within(api: Api) -> None:
    query = """{ location(ref: "libya") { children { slug }
        events(first: 50) { totalCount edges { node { slug location { slug } } } } } }"""
    libya = (await api.data(query))["location"]
    children = [child["slug"] for child in libya["children"]]
    assert children == ["benghazi", "derna", "sirte", "tripoli"]
    places = {edge["node"]["location"]["slug"] for edge in libya["events"]["edges"]}
    assert places == {"libya", "derna", "us-compound-benghazi"}


async def test_a_source_names_every_kind_of_fact_it_is_cited_for(api: Api) -> None:
    query = """{ source(ref: "article") { citations { about { __typename
        ... on Actor { slug } ... on Location { slug } ... on Event { slug }
        ... on Control { slug } ... on Affiliation { slug } } } } }"""
    citations = (await api.data(query))["source"]["citations"]
    cited = {(c["about"]["__typename"], c["about"]["slug"]) for c in citations}
    assert ("Actor", "isis") in cited
    assert ("Location", "derna") in cited
    assert ("Control", "derna-isis-controls") in cited
    assert ("Affiliation", "shura-council-derna-opposes-isis") in cited
    # The article's "2011" is a claim on the Benghazi event: the citation is about the event.
    assert ("Event", "benghazi-compound-attack") in cited
