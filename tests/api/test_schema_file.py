"""`schema.graphql` is what the code serves: regenerate it when the schema changes."""

from pathlib import Path

from eventdb.api.schema import schema

SCHEMA_FILE = Path(__file__).parents[2] / "schema.graphql"
REGENERATE = "strawberry export-schema eventdb.api.schema:schema --output schema.graphql"


def test_schema_graphql_matches_the_code() -> None:
    assert SCHEMA_FILE.read_text().strip() == str(schema).strip(), f"run: {REGENERATE}"


def test_the_contract_names_are_all_there() -> None:
    printed = str(schema)
    for name in (
        "stateOf(",
        "controlMap(",
        "controlMapGeoJSON(",
        "events(",
        "affiliations(",
        "type LocationState",
        "type EventConnection",
        "enum Certainty",
        "scalar FuzzyDate",
        "includeMembers: Boolean = false",
        "order: SortOrder = DESC",
        "first: Int = 50",
    ):
        assert name in printed, name
