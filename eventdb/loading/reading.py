"""Reading fixture files (YAML, JSON, JSON Lines) into entries that remember their file and line."""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass
from json.decoder import JSONArray, JSONObject, scanstring  # type: ignore[attr-defined]
from json.scanner import py_make_scanner  # type: ignore[attr-defined]
from pathlib import Path
from typing import Any, Final

import orjson
import yaml
from yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    Event,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)

# The top-level lists of a fixture document, and the kind of entry each holds.
LISTS: Final = {
    "sources": "source",
    "actors": "actor",
    "locations": "location",
    "affiliations": "affiliation",
    "control": "control",
    "events": "event",
}
KINDS: Final = frozenset(LISTS.values())
FORMATS: Final = {".yaml": "yaml", ".yml": "yaml", ".json": "json", ".jsonl": "jsonl"}
# A fixture's values nest a few levels deep; a file nested deeper is refused before Python's
# recursion limit is. Integers are read up to Python's own limit on int() of text.
NESTING_LIMIT: Final = 100
DIGITS_LIMIT: Final = 4_300


@dataclass(frozen=True, slots=True)
class Where:
    """Where an entry or value came from: a file and line, or a path into GraphQL input."""

    file: str
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line is not None else self.file


@dataclass(frozen=True, slots=True)
class Problem:
    where: Where
    message: str
    # The key it concerns, when it concerns one (`date`, `citations[0]`): a path for the API.
    field: str | None = None

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


class Located(dict[str, Any]):
    """A mapping read from a file, with the line it starts on and the line of each key."""

    __slots__ = ("key_lines", "line")

    def __init__(self, pairs: Any = (), line: int | None = None) -> None:
        super().__init__(pairs)
        self.line = line
        self.key_lines: dict[str, int] = {}


@dataclass(frozen=True, slots=True)
class RawEntry:
    kind: str
    data: Mapping[str, Any]
    where: Where


def line_of(data: object, key: str | None = None) -> int | None:
    """The line of `key` in `data` (or of `data` itself) when it was read from a file."""
    if not isinstance(data, Located):
        return None
    if key is not None and key in data.key_lines:
        return data.key_lines[key]
    return data.line


def read_file(path: Path) -> tuple[list[RawEntry], list[Problem]]:
    """The entries of one fixture file, or the problems that stop it from being read."""
    name = str(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        known = ", ".join(FORMATS)
        return [], [Problem(Where(name), f"unknown file type {path.suffix!r}; use {known}")]
    try:
        raw = path.read_bytes()
    except OSError as error:
        return [], [Problem(Where(name), f"cannot read the file: {error.strerror or error}")]
    if fmt == "jsonl":
        return _read_json_lines(name, raw)  # orjson checks the UTF-8 of each line itself
    text, problem = decode(name, raw)
    if problem is not None:
        return [], [problem]
    if not text.strip():
        return [], [Problem(Where(name, 1), "the file is empty: nothing to load")]
    document, problems = _read_yaml(name, text) if fmt == "yaml" else _read_json(name, text)
    if document is None and problems:
        return [], problems
    entries, more = _entries_of_document(name, document)
    return entries, problems + more


def decode(name: str, raw: bytes) -> tuple[str, Problem | None]:
    if b"\x00" in raw:
        line = raw.count(b"\n", 0, raw.index(b"\x00")) + 1
        return "", Problem(Where(name, line), "a NUL byte: this is a binary file, not text")
    try:
        return raw.decode("utf-8-sig"), None
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        byte = raw[error.start]
        return "", Problem(Where(name, line), f"not UTF-8 text (byte 0x{byte:02x})")


def _entries_of_document(name: str, document: Any) -> tuple[list[RawEntry], list[Problem]]:
    if not isinstance(document, Mapping):
        found = type_name(document)
        lists = ", ".join(LISTS)
        return [], [Problem(Where(name, 1), f"expected a mapping of lists ({lists}), got {found}")]
    entries: list[RawEntry] = []
    problems: list[Problem] = []
    for key, items in document.items():
        kind = LISTS.get(key) if isinstance(key, str) else None
        where = Where(name, line_of(document, key))
        if kind is None:
            problems.append(Problem(where, f"unknown list {key!r}; expected {', '.join(LISTS)}"))
            continue
        if items is None:
            continue
        if not isinstance(items, list):
            problems.append(Problem(where, f"{key}: expected a list, got {type_name(items)}"))
            continue
        for index, item in enumerate(items):
            item_where = Where(name, line_of(item) or where.line)
            if not isinstance(item, Mapping):
                problems.append(
                    Problem(
                        item_where, f"{key}[{index}]: expected a mapping, got {type_name(item)}"
                    )
                )
                continue
            entries.append(RawEntry(kind, item, item_where))
    return entries, problems


def _read_json_lines(name: str, raw: bytes) -> tuple[list[RawEntry], list[Problem]]:
    entries: list[RawEntry] = []
    problems: list[Problem] = []
    if b"\x00" in raw:
        _, problem = decode(name, raw)
        return [], [problem] if problem else []
    for number, line in enumerate(raw.split(b"\n"), start=1):
        if not line.strip():
            continue
        where = Where(name, number)
        try:
            item = orjson.loads(line)
        except orjson.JSONDecodeError as error:
            problems.append(Problem(where, f"not valid JSON: {error.msg} (column {error.colno})"))
            continue
        if not isinstance(item, dict):
            problems.append(Problem(where, f"expected a JSON object, got {type_name(item)}"))
            continue
        kind = item.get("type")
        if not isinstance(kind, str) or kind not in KINDS:
            expected = ", ".join(sorted(KINDS))
            problems.append(Problem(where, f"type: expected one of {expected}, got {kind!r}"))
            continue
        entries.append(RawEntry(kind, item, where))
    if not entries and not problems:
        problems.append(Problem(Where(name, 1), "the file is empty: nothing to load"))
    return entries, problems


# JSON: the standard decoder, with objects that know their line.


def _read_json(name: str, text: str) -> tuple[Any, list[Problem]]:
    newlines = [match.start() for match in re.finditer("\n", text)]
    problems: list[Problem] = []
    depth = 0

    def nested(parse: Any) -> Any:
        def parse_nested(s_and_end: tuple[str, int], *arguments: Any) -> Any:
            nonlocal depth
            depth += 1
            try:
                if depth > NESTING_LIMIT:
                    message = f"nested more than {NESTING_LIMIT} levels deep"
                    raise json.JSONDecodeError(message, s_and_end[0], s_and_end[1] - 1)
                return parse(s_and_end, *arguments)
            finally:
                depth -= 1

        return parse_nested

    @nested
    def parse_object(
        s_and_end: tuple[str, int], strict: bool, scan_once: Any, hook: Any, _: Any, memo: Any
    ) -> tuple[Located, int]:
        start = s_and_end[1] - 1  # the position of `{`
        pairs, end = JSONObject(s_and_end, strict, scan_once, hook, list, memo)
        for key, _value in pairs:
            _refuse_surrogates(key, s_and_end[0], start)
        mapping = Located(pairs, bisect_right(newlines, start) + 1)
        if len(mapping) != len(pairs):
            keys = [key for key, _ in pairs]
            twice = sorted({key for key in keys if keys.count(key) > 1})
            problems.append(Problem(Where(name, mapping.line), f"duplicate key {twice[0]!r}"))
        return mapping, end

    def parse_string(text: str, end: int, strict: bool) -> tuple[str, int]:
        value, after = scanstring(text, end, strict)
        _refuse_surrogates(value, text, end)
        return value, after

    decoder = json.JSONDecoder(parse_int=_integer)
    decoder.parse_object = parse_object  # type: ignore[attr-defined]
    decoder.parse_array = nested(JSONArray)  # type: ignore[attr-defined]
    decoder.parse_string = parse_string  # type: ignore[attr-defined]
    decoder.scan_once = py_make_scanner(decoder)  # type: ignore[attr-defined]
    try:
        return decoder.decode(text), problems
    except json.JSONDecodeError as error:
        return None, [Problem(Where(name, error.lineno), f"not valid JSON: {error.msg}")]
    except _TooManyDigits as error:
        line = bisect_right(newlines, text.find(error.digits)) + 1
        return None, [Problem(Where(name, line), str(error))]


def _refuse_surrogates(value: str, text: str, position: int) -> None:
    """A `\\ud800` escape without its pair decodes to half a character, which no database
    can store: JSON allows the escape, so the reader refuses it."""
    if not value.isascii() and _SURROGATE(value):
        raise json.JSONDecodeError(
            "half of a UTF-16 surrogate pair (\\ud800-\\udfff)", text, position
        )


_SURROGATE = re.compile("[\ud800-\udfff]").search


class _TooManyDigits(ValueError):
    def __init__(self, digits: str) -> None:
        super().__init__(
            f"a number {len(digits):,} digits long: at most {DIGITS_LIMIT:,} digits are read"
        )
        self.digits = digits


def _integer(digits: str) -> int:
    if len(digits.lstrip("+-")) > DIGITS_LIMIT:
        raise _TooManyDigits(digits)
    return int(digits)


# YAML: PyYAML's C parser, read event by event into mappings that know their lines. Building the
# values ourselves is three times faster than PyYAML's constructors, and it gives YAML 1.2's core
# types: `2016-12-07` and `NO` stay text, `010` is ten. Anchors and aliases are refused: a fixture
# has no need of them, and they would let a small file expand into a huge one.

_INTEGER = re.compile(r"[-+]?[0-9]+").fullmatch
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?").fullmatch
_WORDS: Final[dict[str, Any]] = {
    **dict.fromkeys(("true", "True", "TRUE"), True),
    **dict.fromkeys(("false", "False", "FALSE"), False),
    **dict.fromkeys(("null", "Null", "NULL", "~", ""), None),
    **{
        sign + inf: float(sign + "inf")
        for sign in ("", "+", "-")
        for inf in (".inf", ".Inf", ".INF")
    },
    **dict.fromkeys((".nan", ".NaN", ".NAN"), float("nan")),
}
_MAY_NOT_BE_TEXT: Final = frozenset("-+.0123456789tTfFnN~")
_NO_KEY: Final = object()


def _plain_scalar(value: str) -> Any:
    """An unquoted scalar's value under YAML 1.2's core schema."""
    if not value or value[0] not in _MAY_NOT_BE_TEXT:
        return value or None
    if value in _WORDS:
        return _WORDS[value]
    if _INTEGER(value):
        return _integer(value)
    return float(value) if _FLOAT(value) else value


class _YamlError(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line


def _read_yaml(name: str, text: str) -> tuple[Any, list[Problem]]:
    try:
        document, duplicates = _build_yaml(text)
    except _YamlError as error:
        return None, [Problem(Where(name, error.line), f"not valid YAML: {error}")]
    except yaml.reader.ReaderError as error:  # a character YAML does not allow
        at = text.count("\n", 0, error.position) + 1
        return None, [Problem(Where(name, at), f"not valid YAML: {error.reason}")]
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        # At the end of a file without a final newline, libyaml counts one line too many.
        line = min(mark.line + 1, text.count("\n") + 1) if mark is not None else None
        reason = ", ".join(part for part in (error.context, error.problem) if part)
        return None, [Problem(Where(name, line), f"not valid YAML: {reason or 'unreadable'}")]
    except yaml.YAMLError as error:
        return None, [Problem(Where(name), f"not valid YAML: {error}")]
    return document, [
        Problem(Where(name, line), f"duplicate key {key!r}") for line, key in duplicates
    ]


def _line(event: Event) -> int:
    return event.start_mark.line + 1 if event.start_mark is not None else 0


def _build_yaml(text: str) -> tuple[Any, list[tuple[int, str]]]:
    """The document, and the (line, key) of every duplicate key."""
    parser = yaml.CBaseLoader(text)
    stack: list[tuple[Any, Any]] = []
    duplicates: list[tuple[int, str]] = []
    container: Any = None
    key: Any = _NO_KEY
    root: Any = None
    documents = 0
    try:
        while True:
            event = parser.get_event()
            assert event is not None
            kind = event.__class__
            if isinstance(event, ScalarEvent):
                plain = not event.style and event.implicit[0]
                try:
                    value: Any = _plain_scalar(event.value) if plain else event.value
                except _TooManyDigits as error:
                    raise _YamlError(_line(event), str(error)) from None
            elif kind is MappingStartEvent:
                stack.append((container, key))
                container, key = Located(line=_line(event)), _NO_KEY
                continue
            elif kind is SequenceStartEvent:
                stack.append((container, key))
                container, key = [], _NO_KEY
                continue
            elif kind is MappingEndEvent or kind is SequenceEndEvent:
                value = container
                container, key = stack.pop()
            elif kind is AliasEvent:
                raise _YamlError(_line(event), "anchors and aliases are not supported")
            elif kind is DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise _YamlError(_line(event), "expected a single document, but found another")
                continue
            elif kind is StreamEndEvent:
                return root, duplicates
            else:
                continue  # the stream's start, a document's end
            if container is None:
                root = value
            elif container.__class__ is list:
                container.append(value)
            elif key is _NO_KEY:
                if not isinstance(event, ScalarEvent):
                    raise _YamlError(_line(event), "a key must be text")
                key = event.value
                line = _line(event)
                if key in container:
                    duplicates.append((line, key))
                container.key_lines[key] = line
            else:
                container[key] = value
                key = _NO_KEY
    finally:
        parser.dispose()


def type_name(value: object) -> str:
    """How to name a value's type to someone who wrote a fixture by hand."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "a mapping"
    return "nothing" if value is None else type(value).__name__
