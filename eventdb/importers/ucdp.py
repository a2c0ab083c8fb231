"""The UCDP Georeferenced Event Dataset (GED), any release from 19.1 on, as eventdb facts.

Each row becomes an event (`ucdp-ged-<id>`, external id `ucdp-event:<id>`) with its two sides as
participants (`ucdp:<side id>`), the places above it (country, first and second administrative
divisions, the place itself), its sources and the dataset itself as citations. Columns are found
by name, never by position (releases add and reorder them). What the data says is kept as it is,
even where it breaks a rule: the estimates out of order are flagged, not fixed.

The entries made here go through the loader's validation and bulk write: all or nothing,
idempotent, and a changed row is a correction.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncEngine

from eventdb.loading import LoadReport, Progress, cyclic_gc_paused, load_entries
from eventdb.loading.reading import Problem, RawEntry, Where, decode
from eventdb.names import name_key
from eventdb.queries.refs import slugs_by_external_id

REQUIRED: Final = (
    "id",
    "type_of_violence",
    "side_a_new_id",
    "side_a",
    "side_b_new_id",
    "side_b",
    "country",
    "date_start",
    "date_end",
    "best",
    "latitude",
    "longitude",
    "where_prec",
)
KINDS: Final = {"1": "state_based_violence", "2": "non_state_violence", "3": "one_sided_violence"}
# Columns kept as the event's properties when present, under their own names.
PROPERTIES: Final = (
    "relid",
    "year",
    "active_year",
    "code_status",
    "conflict_new_id",
    "conflict_name",
    "dyad_new_id",
    "dyad_name",
    "side_a_dset_id",
    "side_b_dset_id",
    "gwnoa",
    "gwnob",
    "where_coordinates",
    "where_description",
    "priogrid_gid",
    "region",
    "event_clarity",
    "date_prec",
)
# where_prec: 1 the place, 2 within ~25 km (both points); 3 the second-order and 4 the first-order
# administrative division, 5 a larger named area, 6 the country, 7 at sea: their coordinates are
# that area's representative point, not a place of their own.
POINTS: Final = (1, 2)
DATASET_PUBLISHER: Final = "Uppsala Conflict Data Program (UCDP)"
RELEASE_IN_NAME: Final = re.compile(r"ged[_-]?(\d{2})[._]?(\d)", re.IGNORECASE)
ARTICLES: Final = re.compile(r'"\s*;\s*"')


@dataclass
class _Rows:
    """What a file's rows become, with each entry made once however many rows share it."""

    name: str
    release: str | None
    problems: list[Problem] = field(default_factory=list)
    sources: dict[str, RawEntry] = field(default_factory=dict)
    actors: dict[str, RawEntry] = field(default_factory=dict)
    locations: dict[str, RawEntry] = field(default_factory=dict)
    events: list[RawEntry] = field(default_factory=list)
    # Slugs of facts already in the database under another slug, by external id key.
    existing: dict[str, str] = field(default_factory=dict)


async def import_ged(
    engine: AsyncEngine,
    path: Path,
    *,
    countries: Iterable[str] = (),
    release: str | None = None,
    dry_run: bool = False,
    author: str | None = None,
    note: str | None = None,
    progress: Progress | None = None,
) -> LoadReport:
    """Import one GED CSV export (only the rows of `countries`, when given)."""
    progress = progress or Progress()
    progress.phase(f"reading {path.name}")
    with cyclic_gc_paused():  # as the loader does: a big file makes millions of small objects
        entries, problems, found_release = await ged_entries(engine, path, countries, release)
    label = f"UCDP GED {found_release} import" if found_release else "UCDP GED import"
    return await load_entries(
        engine,
        entries,
        problems,
        dry_run=dry_run,
        author=author,
        note=note or f"{label} of {path.name}",
        progress=progress,
    )


async def ged_entries(
    engine: AsyncEngine, path: Path, countries: Iterable[str] = (), release: str | None = None
) -> tuple[list[RawEntry], list[Problem], str | None]:
    """The entries a GED export becomes (attached to what `engine` already holds under their
    external ids), the problems that stop it, and the release it is."""
    rows, problems = read_rows(path)
    wanted = {name_key(country) for country in countries}
    if wanted:
        rows = [(line, row) for line, row in rows if name_key(row.get("country", "")) in wanted]
    state = _Rows(str(path), release or release_of(path), problems)
    state.existing = await _existing(engine, rows)
    for line, row in rows:
        _row(state, Where(state.name, line), row)
    entries = [
        *state.sources.values(),
        *state.actors.values(),
        *state.locations.values(),
        *state.events,
    ]
    return entries, state.problems, state.release


def release_of(path: Path) -> str | None:
    """The GED release a file's name says (`ged191.csv` is 19.1), if it says one."""
    match = RELEASE_IN_NAME.search(path.name)
    return f"{match.group(1)}.{match.group(2)}" if match else None


def read_rows(path: Path) -> tuple[list[tuple[int, dict[str, str]]], list[Problem]]:
    """Each data row with the line it starts on, or the problems that make the file unusable."""
    name = str(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        return [], [Problem(Where(name), f"cannot read the file: {error.strerror or error}")]
    text, problem = decode(name, raw)
    if problem is not None:
        return [], [problem]
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [column.strip() for column in next(reader)]
    except StopIteration:
        return [], [Problem(Where(name), "the file is empty: nothing to import")]
    except csv.Error as error:
        return [], [Problem(Where(name, 1), f"not CSV: {error}")]
    missing = [column for column in REQUIRED if column not in header]
    if missing:
        return [], [
            Problem(Where(name, 1), f"not a UCDP GED export: no column {', '.join(missing)}")
        ]
    rows: list[tuple[int, dict[str, str]]] = []
    line = reader.line_num + 1
    try:
        for cells in reader:
            start, line = line, reader.line_num + 1
            if not cells or (cells[0].startswith("#") and start == 2):
                continue  # a blank line, or the HXL hashtag row some exports carry
            if len(cells) != len(header):
                found = len(cells)
                return [], [
                    Problem(
                        Where(name, start), f"{found} fields where the header has {len(header)}"
                    )
                ]
            rows.append((start, dict(zip(header, cells, strict=True))))
    except csv.Error as error:
        return [], [Problem(Where(name, line), f"not CSV: {error}")]
    if not rows:
        return [], [Problem(Where(name), "no rows: nothing to import")]
    return rows, []


async def _existing(engine: AsyncEngine, rows: list[tuple[int, dict[str, str]]]) -> dict[str, str]:
    """Facts the database already holds under these rows' external ids (curated ones included)."""
    actors = {f"ucdp:{row[side]}" for _, row in rows for side in ("side_a_new_id", "side_b_new_id")}
    countries = {f"gwno:{row['country_id']}" for _, row in rows if row.get("country_id")}
    events = {f"ucdp-event:{row['id']}" for _, row in rows}
    async with engine.connect() as connection:
        found = await connection.run_sync(slugs_by_external_id, "actor", actors)
        found.update(await connection.run_sync(slugs_by_external_id, "location", countries))
        found.update(await connection.run_sync(slugs_by_external_id, "event", events))
    return found


def _row(state: _Rows, where: Where, row: Mapping[str, str]) -> None:
    problems_before = len(state.problems)
    ged_id = _whole(state, where, row, "id")
    precision = _whole(state, where, row, "where_prec")
    start = _day(state, where, row, "date_start")
    end = _day(state, where, row, "date_end")
    kind = KINDS.get(row["type_of_violence"].strip())
    if kind is None:
        state.problems.append(
            Problem(where, f"type_of_violence: expected 1, 2 or 3, got {row['type_of_violence']!r}")
        )
    estimates = {key: _count(state, where, row, key) for key in ("best", "low", "high")}
    deaths = {
        name: _count(state, where, row, column)
        for name, column in (
            ("side_a", "deaths_a"),
            ("side_b", "deaths_b"),
            ("civilians", "deaths_civilians"),
            ("unknown", "deaths_unknown"),
        )
    }
    if len(state.problems) > problems_before:
        return
    assert ged_id is not None
    assert precision is not None
    assert start is not None
    assert end is not None
    assert kind is not None
    side_a = _actor(state, where, row, "a")
    side_b = _actor(state, where, row, "b")
    one_sided = kind == "one_sided_violence"
    dataset = _dataset_source(state, where)
    citations: list[dict[str, Any]] = [{"source": dataset, "confidence": "reported"}]
    quote = row.get("source_original", "").strip() or None
    citations += [
        {"source": source, "quote": quote, "confidence": "reported"}
        for source in _sources(state, where, row)
    ]
    place = _location(state, where, row, precision)
    best, low, high = estimates["best"], estimates["low"], estimates["high"]
    properties: dict[str, Any] = {
        key: _plain(row[key]) for key in PROPERTIES if key in row and row[key].strip()
    }
    properties["release"] = state.release
    sources_count = row.get("number_of_sources", "").strip()
    if sources_count and sources_count != "-1":  # -1 means unknown
        properties["number_of_sources"] = _plain(sources_count)
    if precision not in POINTS:
        properties["area_point"] = [_plain(row["latitude"]), _plain(row["longitude"])]
    if best is not None and low is not None and high is not None and not low <= best <= high:
        properties["flags"] = ["estimates_out_of_order"]  # kept as UCDP gives them
    event_external_id = f"ucdp-event:{ged_id}"
    entry: dict[str, Any] = {
        "id": state.existing.get(event_external_id, f"ucdp-ged-{ged_id}"),
        "title": f"{row['side_a'].strip()} vs {row['side_b'].strip()}, {_place_name(row)}",
        "kind": kind,
        "date": start if start == end else f"{start}/{end}",
        "location": place,
        "location_precision": precision,
        "participants": [
            {"actor": side_a, "role": "perpetrator" if one_sided else "side_a"},
            {"actor": side_b, "role": "victim" if one_sided else "side_b"},
        ],
        "fatalities": {key: value for key, value in estimates.items() if value is not None},
        "deaths": {key: value for key, value in deaths.items() if value is not None},
        "citations": citations,
        "external_ids": [event_external_id],
        "properties": properties,
    }
    state.events.append(RawEntry("event", entry, where))


# Parts of a row


def _whole(state: _Rows, where: Where, row: Mapping[str, str], column: str) -> int | None:
    text = row[column].strip()
    try:
        return int(text)
    except ValueError:
        state.problems.append(Problem(where, f"{column}: expected a whole number, got {text!r}"))
        return None


def _count(state: _Rows, where: Where, row: Mapping[str, str], column: str) -> int | None:
    """A number of deaths; an empty cell or a missing column is unknown."""
    text = row.get(column, "").strip()
    if not text:
        return None
    try:
        value = int(float(text))
    except ValueError:
        state.problems.append(Problem(where, f"{column}: expected a number, got {text!r}"))
        return None
    if value < 0:
        state.problems.append(Problem(where, f"{column}: expected 0 or more, got {value}"))
        return None
    return value


def _day(state: _Rows, where: Where, row: Mapping[str, str], column: str) -> str | None:
    """An ISO day; releases write `2009-02-25`, `2009-02-25T00:00:00`, `2009-02-25 00:00:00`."""
    text = row[column].strip()
    try:
        return date.fromisoformat(text[:10]).isoformat()
    except ValueError:
        state.problems.append(Problem(where, f"{column}: {text!r} is not a date (YYYY-MM-DD)"))
        return None


_INTEGER: Final = re.compile(r"-?\d+").fullmatch
_DECIMAL: Final = re.compile(r"-?\d+\.\d*(?:[eE][-+]?\d+)?").fullmatch


def _plain(text: str) -> Any:
    """A cell as the number it is, or as text."""
    text = text.strip()
    if _INTEGER(text):
        return int(text)
    if _DECIMAL(text):
        return float(text)
    return text


@lru_cache(maxsize=65_536)
def _slug(*parts: str, key: str, limit: int = 60) -> str:
    """A readable slug, made unique and stable by a short hash of what identifies the thing."""
    words = unicodedata.normalize("NFKD", " ".join(parts)).encode("ascii", "ignore").decode()
    readable = re.sub(r"[^a-z0-9]+", "-", words.lower()).strip("-")[:limit].strip("-")
    digest = hashlib.blake2b(key.encode(), digest_size=4).hexdigest()
    return f"{readable}-{digest}" if readable else digest


def _actor(state: _Rows, where: Where, row: Mapping[str, str], side: str) -> str:
    """The slug of one side, keyed on its UCDP id; its name kept as written."""
    ucdp_id = row[f"side_{side}_new_id"].strip()
    name = row[f"side_{side}"].strip()
    external_id = f"ucdp:{ucdp_id}"
    slug = f"ucdp-actor-{ucdp_id}"
    existing = state.existing.get(external_id)
    if existing is not None and existing != slug:
        return existing  # a curated actor carries this id: attach to it, leave it as it is
    known = state.actors.get(slug)
    if known is None:
        kind = "government" if name.startswith("Government of") else "armed_group"
        if name_key(name) == "civilians":
            kind = "civilians"  # the victims of one-sided violence
        state.actors[slug] = RawEntry(
            "actor",
            {"id": slug, "name": name, "kind": kind, "aliases": [], "external_ids": [external_id]},
            where,
        )
    elif name != known.data["name"] and name_key(name) != name_key(known.data["name"]):
        aliases = known.data["aliases"]
        if name not in aliases:
            aliases.append(name)  # the same id written another way in another row
    return slug


def _location(state: _Rows, where: Where, row: Mapping[str, str], precision: int) -> str:
    """The place an event is recorded at, making the chain of places above it as needed. Only
    the level `where_prec` names gets the row's coordinates (as a point, or as that area's
    representative point); an area the row cannot place precisely gets none."""
    country_id = row.get("country_id", "").strip()
    country_name = row["country"].strip()
    country = state.existing.get(f"gwno:{country_id}") if country_id else None
    if country is None:
        country = (
            f"ucdp-country-{country_id}" if country_id else _slug(country_name, key=country_name)
        )
        gwno = [f"gwno:{country_id}"] if country_id else []
        _add_location(state, where, country, country_name, "country", None, gwno)
    if precision >= 6:  # the country; 7 is at sea or in the air, with no point of its own
        if precision == 6:
            _set_point(state, country, row)
        return country
    chain, key = country, country_id or country_name
    for column, kind, level in (("adm_1", "region", 4), ("adm_2", "district", 3)):
        area = row.get(column, "").strip()
        if not area:
            continue
        key = f"{key}|{area}"
        slug = _slug(area, key=key)
        _add_location(state, where, slug, area, kind, chain, [])
        chain = slug
        if precision == level:
            _set_point(state, slug, row)
            return slug
    named = row.get("where_coordinates", "").strip()
    if precision in (*POINTS, 5) and named and not _encloses(row, named):
        slug = _slug(named, key=f"{key}|{named}")
        kind = "site" if precision in POINTS else "region"
        _add_location(state, where, slug, named, kind, chain, [])
        _set_point(state, slug, row)
        return slug
    return chain


def _encloses(row: Mapping[str, str], named: str) -> bool:
    """Whether `named` is the country or an administrative division the row already has."""
    key = name_key(named)
    return any(key == name_key(row.get(column, "")) for column in ("adm_1", "adm_2", "country"))


def _add_location(
    state: _Rows,
    where: Where,
    slug: str,
    name: str,
    kind: str,
    parent: str | None,
    external_ids: list[str],
) -> None:
    if slug in state.locations:
        return
    entry: dict[str, Any] = {"id": slug, "name": name, "kind": kind, "external_ids": external_ids}
    if parent is not None:
        entry["within"] = parent
    state.locations[slug] = RawEntry("location", entry, where)


def _set_point(state: _Rows, slug: str, row: Mapping[str, str]) -> None:
    """Coordinates for a place of this import's, from the first row that gives them."""
    entry = state.locations.get(slug)
    if entry is None or "coordinates" in entry.data:
        return
    try:
        latitude, longitude = float(row["latitude"]), float(row["longitude"])
    except ValueError:
        return
    entry.data["coordinates"] = [latitude, longitude]  # type: ignore[index]


def _place_name(row: Mapping[str, str]) -> str:
    for column in ("where_coordinates", "adm_2", "adm_1", "country"):
        if row.get(column, "").strip():
            return row[column].strip()
    return "unknown place"


def _dataset_source(state: _Rows, where: Where) -> str:
    slug = f"ucdp-ged-{(state.release or 'unknown').replace('.', '-')}"
    if slug not in state.sources:
        title = "UCDP Georeferenced Event Dataset" + (f" {state.release}" if state.release else "")
        state.sources[slug] = RawEntry(
            "source",
            {
                "id": slug,
                "title": title,
                "publisher": DATASET_PUBLISHER,
                "url": "https://ucdp.uu.se/downloads/",
                "notes": "CC BY 4.0. Cite Sundberg & Melander 2013 and the release's own paper.",
            },
            where,
        )
    return slug


def _sources(state: _Rows, where: Where, row: Mapping[str, str]) -> list[str]:
    """The articles a row cites: from the office/date/headline columns when they agree in
    number, else from `source_article` as written (its surrounding quotes dropped)."""
    offices, days, headlines = (
        [part.strip() for part in row.get(column, "").split(";")]
        for column in ("source_office", "source_date", "source_headline")
    )
    articles: list[tuple[str, str | None, str | None]]
    if any(offices) and len(offices) == len(days) == len(headlines):
        articles = [
            (headline or office, office or None, day or None)
            for office, day, headline in zip(offices, days, headlines, strict=True)
        ]
    else:
        text = row.get("source_article", "").strip().strip('"').strip()
        articles = [(part.strip(), None, None) for part in ARTICLES.split(text) if part.strip()]
    slugs = []
    for title, publisher, day in articles:
        key = f"{title}|{publisher}|{day}"
        slug = "ucdp-source-" + hashlib.blake2b(key.encode(), digest_size=6).hexdigest()
        if slug not in state.sources:
            entry: dict[str, Any] = {"id": slug, "title": title[:2_000]}
            if publisher:
                entry["publisher"] = publisher[:500]
            if day and _is_day(day):
                entry["published"] = day
            elif day:
                entry["notes"] = f"date as UCDP gives it: {day}"
            state.sources[slug] = RawEntry("source", entry, where)
        if slug not in slugs:
            slugs.append(slug)
    return slugs


def _is_day(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True
