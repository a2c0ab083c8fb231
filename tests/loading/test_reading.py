"""Reading files: YAML 1.2's core types, and the line of every mapping and key."""

from pathlib import Path

from eventdb.loading.reading import Located, read_file
from tests.helpers import write

DOCUMENT = """\
sources:
  - id: report        # line 2
    title: "010"
    published: 2016-12-07
    notes: NO
    pages: 010
    ratio: 1.5e3
    flags: [true, False, ~, null, .inf]
    quoted: 'true'
  - {id: other, title: Other}
"""


def test_yaml_keeps_dates_and_words_as_text_and_numbers_decimal(tmp_path: Path) -> None:
    entries, problems = read_file(write(tmp_path, "doc.yaml", DOCUMENT))
    assert problems == []
    first = entries[0].data
    assert first["published"] == "2016-12-07"
    assert first["notes"] == "NO"
    assert first["title"] == "010"
    assert first["pages"] == 10
    assert first["ratio"] == 1500.0
    assert first["flags"] == [True, False, None, None, float("inf")]
    assert first["quoted"] == "true"


def test_every_mapping_and_key_knows_its_line(tmp_path: Path) -> None:
    entries, _ = read_file(write(tmp_path, "doc.yaml", DOCUMENT))
    first, second = (entry.data for entry in entries)
    assert isinstance(first, Located)
    assert first.line == 2
    assert first.key_lines["published"] == 4
    assert str(entries[1].where) == f"{tmp_path / 'doc.yaml'}:10"
    assert isinstance(second, Located)
    assert second.line == 10


def test_json_objects_know_their_line(tmp_path: Path) -> None:
    text = '{"sources": [\n  {"id": "a", "title": "A"},\n\n  {"id": "b",\n   "title": "B"}\n]}'
    entries, problems = read_file(write(tmp_path, "doc.json", text))
    assert problems == []
    assert [entry.where.line for entry in entries] == [2, 4]


def test_yaml_aliases_are_refused_so_a_small_file_cannot_expand(tmp_path: Path) -> None:
    laughs = "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\n"
    entries, problems = read_file(write(tmp_path, "bomb.yaml", laughs))
    assert entries == []
    assert [str(problem) for problem in problems] == [
        f"{tmp_path / 'bomb.yaml'}:2: not valid YAML: anchors and aliases are not supported"
    ]
