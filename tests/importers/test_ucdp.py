"""Importing real UCDP GED data: counts and sums as the CSV says, corrections, odd releases."""

import asyncio
import csv
import io
from collections import defaultdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from eventdb.api.app import create_app
from eventdb.config import Settings
from eventdb.db.models import Actor, Event, Location
from eventdb.importers.ucdp import import_ged
from eventdb.loading import LoadRejected
from eventdb.names import name_key
from tests.helpers import load, snapshot, write

SAMPLE = Path(__file__).parents[1] / "data" / "ged191_myanmar_bangladesh.csv"
ROWS = list(csv.DictReader(SAMPLE.open(encoding="utf-8")))


async def count(engine: AsyncEngine, table: Any) -> int:
    async with engine.connect() as connection:
        return int(await connection.scalar(select(func.count()).select_from(table)) or 0)


def expected_places() -> int:
    """The places the mapping makes: countries, first and second administrative divisions, and
    the named places of rows precise enough to have one (where_prec 1, 2 or 5)."""
    countries, regions, districts, named = set(), set(), set(), set()
    for row in ROWS:
        country = row["country_id"]
        countries.add(country)
        if row["adm_1"]:
            regions.add((country, row["adm_1"]))
        if row["adm_2"]:
            districts.add((country, row["adm_1"], row["adm_2"]))
        place = row["where_coordinates"]
        enclosing = {name_key(row[column]) for column in ("adm_1", "adm_2", "country")}
        if row["where_prec"] in ("1", "2", "5") and place and name_key(place) not in enclosing:
            named.add((country, row["adm_1"], row["adm_2"], place))
    return len(countries) + len(regions) + len(districts) + len(named)


@pytest.fixture
async def imported(engine: AsyncEngine) -> AsyncEngine:
    report = await import_ged(engine, SAMPLE)
    assert report.counts["event"]["added"] == len(ROWS)
    return engine


async def test_the_sample_imports_as_many_events_actors_and_places_as_the_csv_has(
    imported: AsyncEngine,
) -> None:
    assert await count(imported, Event) == len(ROWS) == 3194
    sides = {row[f"side_{side}_new_id"] for row in ROWS for side in "ab"}
    assert await count(imported, Actor) == len(sides) == 38
    assert await count(imported, Location) == expected_places()


async def test_fatalities_per_dyad_and_year_read_back_through_graphql_match_the_csv(
    imported: AsyncEngine, database_url: Any
) -> None:
    # A dyad can be asked about through an actor that takes part in no other dyad.
    dyads_of: dict[str, set[str]] = defaultdict(set)
    for row in ROWS:
        for side in "ab":
            dyads_of[row[f"side_{side}_new_id"]].add(row["dyad_new_id"])
    own_actor = {next(iter(dyads)): actor for actor, dyads in dyads_of.items() if len(dyads) == 1}
    expected: dict[tuple[str, int], int] = defaultdict(int)
    for row in ROWS:
        start, end = date.fromisoformat(row["date_start"]), date.fromisoformat(row["date_end"])
        for year in range(start.year, end.year + 1):  # `from`/`to` keep overlapping events
            if row["dyad_new_id"] in own_actor:
                expected[row["dyad_new_id"], year] += int(row["best"])
    assert len(expected) >= 10

    query = """query($who: [String!], $from: Date, $to: Date, $after: String) {
        events(involving: $who, from: $from, to: $to, first: 500, after: $after) {
            edges { node { fatalities { best } } } pageInfo { hasNextPage endCursor } } }"""
    app = create_app(Settings(database_url=database_url), engine=imported)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as client:
        for (dyad, year), total in sorted(expected.items()):
            found, after = 0, None
            while True:
                variables = {
                    "who": [f"ucdp:{own_actor[dyad]}"],
                    "from": f"{year}-01-01",
                    "to": f"{year}-12-31",
                    "after": after,
                }
                body = (
                    await client.post("/graphql", json={"query": query, "variables": variables})
                ).json()
                page = body["data"]["events"]
                found += sum(edge["node"]["fatalities"]["best"] for edge in page["edges"])
                if not page["pageInfo"]["hasNextPage"]:
                    break
                after = page["pageInfo"]["endCursor"]
            assert found == total, (dyad, year)


async def test_ucdp_ids_find_actors_places_and_events(
    imported: AsyncEngine, database_url: Any
) -> None:
    app = create_app(Settings(database_url=database_url), engine=imported)
    query = """{ actor(ref: "ucdp:144") { name kind }
                 civilians: actor(ref: "ucdp:1") { name kind }
                 event(ref: "ucdp-event:209980") { kind date locationPrecision
                     location { name kind parent { name } } } }"""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as client:
        data = (await client.post("/graphql", json={"query": query})).json()["data"]
    assert data["actor"] == {"name": "Government of Myanmar (Burma)", "kind": "government"}
    assert data["civilians"] == {"name": "Civilians", "kind": "civilians"}
    assert data["event"] == {
        "kind": "state_based_violence",
        "date": "2015-05-11/2015-05-12",
        "locationPrecision": 2,
        "location": {
            "name": "Laukkaing Town",
            "kind": "site",
            "parent": {"name": "Laukkaing District"},
        },
    }


async def test_importing_the_same_file_again_changes_nothing(imported: AsyncEngine) -> None:
    before = await snapshot(imported)
    again = await import_ged(imported, SAMPLE)
    assert not again.changed
    assert await snapshot(imported) == before


async def test_a_changed_row_is_a_correction_and_the_old_value_stays_readable(
    imported: AsyncEngine, tmp_path: Path, database_url: Any
) -> None:
    await asyncio.sleep(0.01)
    before = datetime.now(UTC).isoformat()
    await asyncio.sleep(0.01)
    text = SAMPLE.read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    changed = next(row for row in rows if row["id"] == "209980")
    changed["best"] = "7"
    changed["high"] = "30"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    report = await import_ged(imported, write(tmp_path, "ged191_fixed.csv", out.getvalue()))
    assert report.counts["event"] == {"added": 0, "corrected": 1, "retracted": 0, "unchanged": 3193}

    app = create_app(Settings(database_url=database_url), engine=imported)
    query = """query($knownAt: DateTime) { event(ref: "ucdp-event:209980", knownAt: $knownAt) {
        fatalities { best } } }"""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as client:
        now = (await client.post("/graphql", json={"query": query})).json()
        then = (
            await client.post("/graphql", json={"query": query, "variables": {"knownAt": before}})
        ).json()
    assert now["data"]["event"]["fatalities"]["best"] == 7
    assert then["data"]["event"]["fatalities"]["best"] == 1


async def test_what_the_data_says_is_kept_even_where_it_breaks_a_rule(
    imported: AsyncEngine, database_url: Any
) -> None:
    app = create_app(Settings(database_url=database_url), engine=imported)
    out_of_order = [
        row["id"] for row in ROWS if not int(row["low"]) <= int(row["best"]) <= int(row["high"])
    ]
    assert len(out_of_order) == 6
    query = """query($ref: String!) { event(ref: $ref) { fatalities { best low high } properties
        location { kind } locationPrecision } }"""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as client:
        for ged_id in out_of_order:
            event = (
                await client.post(
                    "/graphql", json={"query": query, "variables": {"ref": f"ucdp-event:{ged_id}"}}
                )
            ).json()["data"]["event"]
            row = next(row for row in ROWS if row["id"] == ged_id)
            assert event["fatalities"] == {
                "best": int(row["best"]),
                "low": int(row["low"]),
                "high": int(row["high"]),
            }
            assert event["properties"]["flags"] == ["estimates_out_of_order"]
        # number_of_sources = -1 is unknown, not a count
        unknown = next(row["id"] for row in ROWS if row["number_of_sources"] == "-1")
        event = (
            await client.post(
                "/graphql", json={"query": query, "variables": {"ref": f"ucdp-event:{unknown}"}}
            )
        ).json()["data"]["event"]
        assert "number_of_sources" not in event["properties"]
        # a province's centroid is not a place: the event is at the province
        provincial = next(row for row in ROWS if row["where_prec"] == "4" and row["adm_1"])
        event = (
            await client.post(
                "/graphql",
                json={"query": query, "variables": {"ref": f"ucdp-event:{provincial['id']}"}},
            )
        ).json()["data"]["event"]
        assert event["location"] == {"kind": "region"}
        assert event["locationPrecision"] == 4
        assert event["properties"]["area_point"] == [
            float(provincial["latitude"]),
            float(provincial["longitude"]),
        ]


def other_release(rows: list[dict[str, str]]) -> str:
    """Rows as a later release writes them: more columns and two optional ones missing (region,
    geom_wkt), another order (estimates best, high, low), dates with a time part, an HXL row, a
    list in gwnoa, a side that names two groups, an empty count, a place name in Burmese."""
    columns = [
        "id", "relid", "year", "active_year", "code_status", "type_of_violence", "conflict_dset_id",
        "conflict_new_id", "conflict_name", "dyad_dset_id", "dyad_new_id", "dyad_name",
        "side_a_dset_id", "side_a_new_id", "side_a", "side_b_dset_id", "side_b_new_id", "side_b",
        "number_of_sources", "source_article", "source_office", "source_date", "source_headline",
        "source_original", "where_prec", "where_coordinates", "where_description", "adm_1", "adm_2",
        "latitude", "longitude", "priogrid_gid", "country", "country_id",
        "event_clarity", "date_prec", "date_start", "date_end", "deaths_a", "deaths_b",
        "deaths_civilians", "deaths_unknown", "best", "high", "low", "gwnoa", "gwnob",
    ]  # fmt: skip
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    out.write("#event+id,#meta+id," + "," * (len(columns) - 3) + "\n")
    for row in rows:
        later = {
            **row,
            "relid": f"MMR-{row['id']}",
            "code_status": "Clear",
            "where_description": "",
        }
        later["date_start"] = row["date_start"] + "T00:00:00"
        later["date_end"] = row["date_end"] + "T00:00:00"
        later["gwnoa"] = "775;750"
        later["side_b"] = "MNDAA, TNLA"  # one id, two groups, kept as written
        later["deaths_unknown"] = ""
        later["where_coordinates"] = "လောက်ကိုင်"
        writer.writerow(later)
    return out.getvalue()


async def test_a_later_release_with_other_columns_imports_the_same_events(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    rows = [row for row in ROWS if row["side_b_new_id"] == "880"][:20]
    report = await import_ged(engine, write(tmp_path, "ged231.csv", other_release(rows)))
    assert report.counts["event"]["added"] == 20
    async with engine.connect() as connection:
        from eventdb.queries import facts, refs

        event_id = await connection.run_sync(refs.resolve, "event", f"ucdp-event:{rows[0]['id']}")
        event = (await connection.run_sync(facts.events, [event_id], None))[event_id]
        actor_id = await connection.run_sync(refs.resolve, "actor", "ucdp:880")
        actor = (await connection.run_sync(facts.actors, [actor_id], None))[actor_id]
    assert (event.fatalities_best, event.fatalities_low, event.fatalities_high) == (
        int(rows[0]["best"]),
        int(rows[0]["low"]),
        int(rows[0]["high"]),
    )
    assert event.date.text == (
        rows[0]["date_start"]
        if rows[0]["date_start"] == rows[0]["date_end"]
        else f"{rows[0]['date_start']}/{rows[0]['date_end']}"
    )
    assert event.properties is not None
    assert event.properties["release"] == "23.1"
    assert event.properties["gwnoa"] == "775;750"
    assert event.properties["relid"] == f"MMR-{rows[0]['id']}"
    assert "region" not in event.properties
    assert event.deaths[3] is None  # an empty cell is unknown, not zero
    assert actor.name == "MNDAA, TNLA"
    if rows[0]["where_prec"] in ("1", "2"):
        async with engine.connect() as connection:
            found = await connection.run_sync(facts.locations, [event.location_id or 0], None)
        place = found.values()
        assert [location.name for location in place] == ["လောက်ကိုင်"]


async def test_an_import_attaches_to_a_curated_actor_with_the_same_id(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    curated = """actors:
  - id: tatmadaw
    name: Tatmadaw
    kind: government
    external_ids: ["ucdp:144"]
"""
    await load(engine, write(tmp_path, "curated.yaml", curated))
    await import_ged(engine, SAMPLE)
    async with engine.connect() as connection:
        slugs = set((await connection.execute(select(Actor.slug))).scalars())
    assert "tatmadaw" in slugs
    assert "ucdp-actor-144" not in slugs
    assert len(slugs) == 38


async def test_the_country_option_imports_only_those_rows(engine: AsyncEngine) -> None:
    report = await import_ged(engine, SAMPLE, countries=["bangladesh"])
    assert report.counts["event"]["added"] == sum(
        1 for row in ROWS if row["country"] == "Bangladesh"
    )


def broken(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new, 1)


SAMPLE_TEXT = SAMPLE.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("name", "content", "where", "message"),
    [
        pytest.param(
            "ged191.csv",
            broken(SAMPLE_TEXT, ",date_start,", ",start_of_event,").encode(),
            ":1: ",
            "not a UCDP GED export: no column date_start",
            id="required column missing",
        ),
        pytest.param(
            "ged191.csv",
            broken(SAMPLE_TEXT, ",2015-05-11,2015-05-12,", ",2015-05-41,2015-05-12,").encode(),
            ":2: ",
            "date_start: '2015-05-41' is not a date",
            id="a date that does not parse",
        ),
        pytest.param(
            "ged191.csv",
            broken(SAMPLE_TEXT, "Laukkaing Town", "Laukkaing Town\udcff").encode(
                "utf-8", "surrogateescape"
            ),
            ":2: ",
            "not UTF-8 text (byte 0xff)",
            id="a byte that is not UTF-8",
        ),
        pytest.param(
            "ged191.csv",
            broken(SAMPLE_TEXT, "209980,2015,1,1,", "209980,2015,1,9,").encode(),
            ":2: ",
            "type_of_violence: expected 1, 2 or 3, got '9'",
            id="a type of violence UCDP does not have",
        ),
        pytest.param("ged191.csv", b"", "", "the file is empty", id="empty"),
        pytest.param(
            "ged191.csv",
            SAMPLE_TEXT.splitlines(keepends=True)[0].encode(),
            "",
            "no rows: nothing to import",
            id="header only",
        ),
    ],
)
async def test_a_file_that_is_not_a_good_ged_export_is_refused_whole(
    imported: AsyncEngine, tmp_path: Path, name: str, content: bytes, where: str, message: str
) -> None:
    before = await snapshot(imported)
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(LoadRejected) as rejected:
        await import_ged(imported, path)
    problems = [str(problem) for problem in rejected.value.problems]
    assert any(p.startswith(f"{path}{where}") and message in p for p in problems), problems
    assert await snapshot(imported) == before
