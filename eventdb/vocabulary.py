"""The closed vocabularies of the domain (DESIGN.md): one place that every validator reads."""

from typing import Final

ACTOR_KINDS: Final = (
    "armed_group",
    "state",
    "government",
    "coalition",
    "organization",
    "person",
    "media",
    "civilians",  # the victims of one-sided violence, as UCDP records them
)
LOCATION_KINDS: Final = ("country", "region", "city", "district", "site")
AFFILIATION_KINDS: Final = (
    "member_of",
    "branch_of",
    "affiliated_with",
    "allied_with",
    "at_war_with",
    "opposes",
    "commands",
    "loyal_to",
    "leads",
)
# A relation of these kinds reads the same from either side.
SYMMETRIC_AFFILIATION_KINDS: Final = ("allied_with", "at_war_with", "opposes")
CONTROL_STATUSES: Final = ("controls", "contested")
CONFIDENCES: Final = ("confirmed", "reported", "claimed", "suspected", "disputed")
