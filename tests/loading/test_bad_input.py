"""Bad input is refused as a whole, each problem named as FILE:LINE, the database unchanged."""

from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from eventdb.loading import LoadRejected
from tests.helpers import load, snapshot, write

WORLD = """\
sources:
  - id: report
    title: A report
actors:
  - id: front
    name: Example Front
    kind: armed_group
  - id: army
    name: Example Army
    kind: armed_group
locations:
  - id: country
    name: Example Country
    kind: country
  - id: city
    name: Example City
    kind: city
    within: country
events:
  - id: raid
    title: A raid
    kind: attack
    date: 2015-06
    location: city
    participants: [{actor: front, role: perpetrator}]
    citations: [{source: report}]
control:
  - id: front-holds-city
    location: city
    actor: front
    valid: 2014-11/2015-06
    citations: [{source: report}]
"""

# A valid entry first in every bad file: it must not be written either.
VALID_FIRST = """\
sources:
  - id: another-report
    title: Another report
"""


@pytest.fixture
async def world(engine: AsyncEngine, tmp_path: Path) -> AsyncEngine:
    await load(engine, write(tmp_path, "world.yaml", WORLD))
    return engine


async def refused(engine: AsyncEngine, path: Path) -> list[str]:
    """Load `path`, expect a refusal that changes nothing, and return the problem lines."""
    before = await snapshot(engine)
    with pytest.raises(LoadRejected) as rejected:
        await load(engine, path)
    assert await snapshot(engine) == before
    assert "nothing was written" in str(rejected.value)
    return [str(problem) for problem in rejected.value.problems]


@pytest.mark.parametrize(
    ("entries", "line", "message"),
    [
        pytest.param(
            "actors:\n  - id: x\n    name: X\n",
            5,
            "actor 'x': kind: is required",
            id="missing required key",
        ),
        pytest.param(
            "actors:\n  - id: x\n    name: X\n    kind: militia\n",
            7,
            "actor 'x': kind: expected one of armed_group, state",
            id="word outside the vocabulary",
        ),
        pytest.param(
            "actors:\n  - id: x\n    name: X\n    kind: person\n    titel: Dr\n",
            8,
            "actor 'x': titel: unknown key",
            id="unknown key",
        ),
        pytest.param(
            "actors:\n  - id: x\n    name: true\n    kind: person\n",
            6,
            "actor 'x': name: expected text, got a boolean",
            id="wrong type",
        ),
        pytest.param(
            "actors:\n  - id: x\n    name: X\n    kind: person\n    aliases: X2\n",
            8,
            "actor 'x': aliases: expected a list, got text",
            id="text where a list belongs",
        ),
        pytest.param(
            "actors:\n  - id: Bad Slug\n    name: X\n    kind: person\n",
            5,
            "actor: id: expected a slug",
            id="malformed slug",
        ),
        pytest.param(
            "events:\n  - id: e\n    title: E\n    kind: attack\n    date: 2015-13-45\n",
            8,
            "event 'e': date: '2015-13-45' is not a valid EDTF date: there is no month 13",
            id="impossible date",
        ),
        pytest.param(
            "events:\n  - id: e\n    title: E\n    kind: attack\n    date: last June\n",
            8,
            "event 'e': date: 'last June' is not a valid EDTF date",
            id="not EDTF",
        ),
        pytest.param(
            "control:\n  - {location: city, actor: army, valid: 2016-06/2016-01}\n",
            5,
            "it ends before it starts",
            id="end before start",
        ),
        pytest.param(
            "events:\n  - id: e\n    title: E\n    kind: attack\n    date: 2015\n"
            "    fatalities: {best: four}\n",
            9,
            "event 'e': best: expected a whole number, 0 or more, got 'four'",
            id="text where a number belongs",
        ),
        pytest.param(
            "locations:\n  - id: l\n    name: L\n    kind: city\n    coordinates: [132.7, 22.6]\n",
            8,
            "location 'l': coordinates: [132.7, 22.6] is off the globe",
            id="coordinates off the globe",
        ),
        pytest.param(
            "events:\n  - id: e\n    title: E\n    kind: attack\n    date: 2015\n"
            "    participants: [{actor: nobody, role: perpetrator}]\n",
            5,
            "event 'e': participant: unknown actor 'nobody'",
            id="reference to nothing",
        ),
        pytest.param(
            "events:\n  - id: e\n    title: E\n    kind: attack\n    date: 2015\n"
            "    citations: [{source: report, confidence: rumoured}]\n",
            9,
            "citations[0].confidence: expected one of confirmed, reported",
            id="unknown confidence",
        ),
        pytest.param(
            "actors:\n  - id: x\n    name: X\n    kind: person\n"
            "  - id: x\n    name: Y\n    kind: person\n",
            8,
            "actor 'x' appears twice (also at",
            id="duplicate id",
        ),
        pytest.param(
            "events:\n  - id: e\n    title: E\n    kind: attack\n    date: 2015\n"
            "    fatalities: {best: 3000000000}\n",
            9,
            "event 'e': best: is larger than the largest count, 2,147,483,647",
            id="a count past the database's integer column",
        ),
        pytest.param(
            "events:\n  - id: e\n    title: E\n    kind: attack\n    date: 2015\n"
            "    deaths: {civilians: 100000000000000000000000000000}\n",
            9,
            "event 'e': civilians: is larger than the largest count",
            id="a count past 64 bits",
        ),
        pytest.param(
            "events:\n  - id: e\n    title: E\n    kind: attack\n    date: 2015\n"
            "    citations: [" + ", ".join(["{source: report}"] * 1_001) + "]\n",
            9,
            "event 'e': citations: has 1,001 items; at most 1,000 are allowed",
            id="1,001 citations, which were cut to 1,000 in silence",
        ),
        pytest.param(
            "events:\n  - id: e\n    title: E\n    kind: attack\n    date: 2015\n"
            "    properties: {ratio: .nan, rate: .inf}\n",
            5,
            "event 'e': properties.ratio: expected a lowercase key and text, a finite number",
            id="NaN, which no JSON column holds",
        ),
        pytest.param(
            'actors:\n  - id: x\n    name: X\n    kind: person\n    external_ids: ["ucdp:1\\0"]\n',
            5,
            "actor 'x': external_ids[0]: expected 'scheme:value' such as 'ucdp:144'",
            id="a NUL in an external id",
        ),
        pytest.param(
            'actors:\n  - id: x\n    name: X\n    kind: person\n    "\\e[2J": clear\n',
            8,
            "actor 'x': '\\x1b[2J': unknown key",
            id="an unknown key with a terminal's escape code",
        ),
        pytest.param(
            "locations:\n  - {id: a, name: A, kind: region, within: b}\n"
            "  - {id: b, name: B, kind: region, within: a}\n",
            5,
            "location 'a': within: a location cannot be inside itself (a within b within a)",
            id="location inside itself",
        ),
        pytest.param(
            "locations:\n  - {id: country, name: Example Country, kind: country, within: city}\n",
            5,
            "location 'country': within: a location cannot be inside itself (country within city"
            " within country)",
            id="location inside itself through the database",
        ),
        pytest.param(
            "control:\n  - {location: city, actor: army, valid: 2016-01/2016-12}\n"
            "  - {location: city, actor: front, valid: 2016-06/..}\n",
            6,
            "'city' would be definitely controlled by both 'front' (2016-06/..) and 'army'",
            id="overlapping definite control in the file",
        ),
        pytest.param(
            "control:\n  - {location: city, actor: army, valid: 2015-01/2015-12}\n",
            5,
            "'city' would be definitely controlled by both 'army' (2015-01/2015-12) and 'front' "
            "(2014-11/2015-06, control 'front-holds-city' in the database) on 2015-01-31 to "
            "2015-06-01",
            id="overlapping definite control with the database",
        ),
        pytest.param(
            "actors:\n  - {id: nobody, retracted: true}\n",
            5,
            "actor 'nobody': nothing to retract, no such actor",
            id="retraction of nothing",
        ),
        pytest.param(
            "actors:\n  - {id: front, retracted: true}\n",
            5,
            "actor 'front': cannot be retracted while control 'front-holds-city' refers to it",
            id="retraction of a fact still in use",
        ),
        pytest.param(
            "locations:\n  - {id: country, retracted: true}\n"
            "  - {id: town, name: Town, kind: city, within: country}\n",
            6,
            "location 'town': within: location 'country' is retracted by this load",
            id="reference to a fact this load retracts",
        ),
    ],
)
async def test_a_bad_entry_is_refused_with_its_line_and_nothing_is_written(
    world: AsyncEngine, tmp_path: Path, entries: str, line: int, message: str
) -> None:
    path = write(tmp_path, "bad.yaml", VALID_FIRST + entries)
    problems = await refused(world, path)
    assert any(
        problem.startswith(f"{path}:{line}: ") and message in problem for problem in problems
    ), problems


async def test_every_problem_in_a_file_is_reported_at_once(
    world: AsyncEngine, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "bad.yaml",
        "actors:\n"
        "  - {id: a, name: A}\n"
        "  - {id: b, name: B, kind: person, aliases: [ok, 7]}\n"
        "events:\n"
        "  - {id: e, title: E, kind: Attack, date: 2015-02-30, location: atlantis}\n",
    )
    problems = await refused(world, path)
    assert f"{path}:2: actor 'a': kind: is required" in problems
    assert any(p.startswith(f"{path}:3: actor 'b': aliases[1]: expected text") for p in problems)
    assert any(p.startswith(f"{path}:5: event 'e': kind: expected a word") for p in problems)
    assert any(p.startswith(f"{path}:5: event 'e': date: '2015-02-30'") for p in problems)


async def test_a_reference_into_a_failed_entry_is_not_reported_twice(
    world: AsyncEngine, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "bad.yaml",
        "actors:\n  - {id: a, name: A, kind: militia}\n"
        "events:\n  - {id: e, title: E, kind: attack, date: 2015,\n"
        "           participants: [{actor: a, role: x}]}\n",
    )
    problems = await refused(world, path)
    assert len(problems) == 1, problems
    assert "kind: expected one of" in problems[0]


HUGE = "a number 5,000 digits long: at most 4,300 digits are read"
HALF = "not valid JSON: half of a UTF-16 surrogate pair"


@pytest.mark.parametrize(
    ("name", "content", "line", "message"),
    [
        ("empty.yaml", b"", 1, "the file is empty: nothing to load"),
        ("blank.jsonl", b"\n  \n", 1, "the file is empty: nothing to load"),
        ("comments.yaml", b"# nothing here\n", 1, "expected a mapping of lists"),
        ("binary.yaml", b"sources:\n\x00\x01\x02", 2, "a NUL byte: this is a binary file"),
        ("latin1.yaml", b"sources:\n  - id: caf\xe9\n", 2, "not UTF-8 text (byte 0xe9)"),
        ("broken.yaml", b"sources: [\n  - id: a\n", 2, "not valid YAML"),
        ("list.yaml", b"- id: a\n", 1, "expected a mapping of lists"),
        ("unknown.yaml", b"people:\n  - id: a\n", 1, "unknown list 'people'"),
        ("two.yaml", b"sources: []\n---\nactors: []\n", 2, "expected a single document"),
        ("keys.yaml", b"actors:\n  - id: a\n    id: b\n", 3, "duplicate key 'id'"),
        ("broken.json", b'{"sources": [\n  {"id": "a",}\n]}', 2, "not valid JSON"),
        ("keys.json", b'{"actors": [\n {"id": "a", "id": "b"}]}', 2, "duplicate key 'id'"),
        ("bad.jsonl", b'{"type": "source", "id": "a", "title": "A"}\n{nope\n', 2, "not valid JSON"),
        ("kind.jsonl", b'{"type": "person", "id": "a"}\n', 1, "type: expected one of actor"),
        ("notes.txt", b"hello", None, "unknown file type '.txt'"),
        # What fuzzing the loader found (tests/loading/test_fuzzing.py):
        ("huge.yaml", b"sources:\n  - {id: a, title: " + b"9" * 5_000 + b"}\n", 2, HUGE),
        ("huge.json", b'{"sources": [\n {"id": "a", "title": ' + b"9" * 5_000 + b"}]}", 2, HUGE),
        ("half.json", b'{"sources": [\n {"id": "a", "title": "x\\ud800"}]}', 2, HALF),
        ("key.json", b'{"sources": [\n {"id": "a", "title": "x", "\\udc00": 1}]}', 2, HALF),
        ("deep.json", b"[" * 1_000 + b"]" * 1_000, 1, "nested more than 100 levels deep"),
        ("c1.yaml", "sources:\n  - {id: a, title: x\x80y}\n".encode(), 2, "characters are not"),
        ("cut.yaml", b"sources:\n  - id: a\n    tit", 3, "could not find expected ':'"),
        ("type.jsonl", b'{"type": ["source"], "id": "a"}\n', 1, "type: expected one of actor"),
    ],
)
async def test_an_unreadable_file_is_refused_with_where_and_why(
    world: AsyncEngine, tmp_path: Path, name: str, content: bytes, line: int | None, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    problems = await refused(world, path)
    where = f"{path}:{line}: " if line is not None else f"{path}: "
    assert any(problem.startswith(where) and message in problem for problem in problems), problems


async def test_a_missing_file_is_refused(world: AsyncEngine, tmp_path: Path) -> None:
    problems = await refused(world, tmp_path / "nowhere.yaml")
    assert problems == [
        f"{tmp_path / 'nowhere.yaml'}: cannot read the file: No such file or directory"
    ]


async def test_a_good_file_is_not_loaded_beside_a_bad_one(
    world: AsyncEngine, tmp_path: Path
) -> None:
    good = write(tmp_path, "good.yaml", VALID_FIRST)
    bad = write(tmp_path, "bad.yaml", "actors:\n  - {id: x}\n")
    before = await snapshot(world)
    with pytest.raises(LoadRejected):
        await load(world, good, bad)
    assert await snapshot(world) == before
