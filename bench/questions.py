"""The questions the suite asks, as GraphQL documents with the variables of one world: the one
timed, and two more giving 10 and 100 results (to count statements at each)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bench.world import World

TYPENAME = "{ __typename }"

STATE_OF = """query($location: String!, $at: Date!) {
  stateOf(location: $location, at: $at) {
    location { slug name } contested
    controllers { actor { slug name } status certainty valid
                  citations { confidence source { slug title } } } } }"""

CONTROL_MAP = """query($at: Date!, $within: String) {
  controlMap(at: $at, within: $within) {
    location { slug name latitude longitude } contested
    controllers { actor { slug name } status certainty } } }"""

GEOJSON = """query($at: Date!, $within: String) {
  controlMapGeoJSON(at: $at, within: $within) }"""

EVENT_PAGE = """query($first: Int!) {
  events(first: $first) {
    pageInfo { hasNextPage endCursor }
    edges { node { slug title kind date fatalities { best }
      location { slug name parent { name } }
      participants { role actor { slug name } }
      citations { quote confidence source { slug title } } } } } }"""

AFFILIATIONS = """query($actor: String!, $at: Date) {
  affiliations(actor: $actor, at: $at) {
    kind certainty valid actor { slug } target { slug name }
    citations { source { slug } } } }"""

INCLUDE_MEMBERS = """query($first: Int!) {
  events(involving: ["a0"], includeMembers: true, first: $first) {
    edges { node { slug date participants { role actor { slug } } } } } }"""


@dataclass(frozen=True)
class Question:
    name: str
    document: str
    variables: dict[str, Any]
    # Variables giving 10 and 100 results; None where the question has one answer.
    ten: dict[str, Any] | None = None
    hundred: dict[str, Any] | None = None
    # A point lookup: its time should not grow with the data.
    point: bool = False

    @property
    def body(self) -> dict[str, Any]:
        return {"query": self.document, "variables": self.variables}


def questions(world: World) -> list[Question]:
    at = world.day.isoformat()
    related = world.affiliation_day.isoformat()
    return [
        Question(
            "stateOf",
            STATE_OF,
            {"location": f"p{world.places // 2}", "at": at},
            point=True,
        ),
        Question(
            "controlMap",
            CONTROL_MAP,
            {"at": at},
            {"at": at, "within": "d0"},
            {"at": at, "within": "r0"},
        ),
        Question(
            "controlMapGeoJSON",
            GEOJSON,
            {"at": at},
            {"at": at, "within": "d0"},
            {"at": at, "within": "r0"},
        ),
        Question("100-event page", EVENT_PAGE, {"first": 100}, {"first": 10}, {"first": 100}),
        Question(
            "affiliations(at)",
            AFFILIATIONS,
            {"actor": "hub10", "at": related},
            {"actor": "hub10", "at": related},
            {"actor": "hub100", "at": related},
            point=True,
        ),
        Question(
            "includeMembers",
            INCLUDE_MEMBERS,
            {"first": 100},
            {"first": 10},
            {"first": 100},
        ),
    ]
