"""Hypothesis strategies for fixture files: entries of every kind of the fixture format
(CONTRACT.md section 2 and README's additions), mostly valid, some corrupted (a wrong type, a
missing key, a bad date, a reference to nothing, an unknown key, weird text, an id given twice),
written as YAML, JSON or JSON Lines, now and then damaged as bytes or replaced by random bytes.

Slugs come from small pools, so that entries refer to one another, to the base world the tests
load first, and to facts an earlier example loaded (which makes corrections and retractions).
"""

import copy
import json
import random
import string
from collections.abc import Callable, Sequence
from typing import Any, Final, TypeVar

import yaml
from hypothesis import strategies as st

from eventdb import vocabulary
from eventdb.loading.reading import LISTS

Entry = dict[str, Any]
T = TypeVar("T")

# The base world: facts every document may refer to, loaded before the fuzzing starts.
BASE_WORLD: Final = """\
sources:
  - {id: report, title: A report}
actors:
  - {id: front, name: Example Front, kind: armed_group, aliases: [EF]}
  - {id: army, name: Example Army, kind: armed_group}
locations:
  - {id: country, name: Example Country, kind: country}
  - {id: city, name: Example City, kind: city, within: country, coordinates: [32.7, 22.6]}
events:
  - {id: raid, title: A raid, kind: attack, date: 2015-06, location: city,
     participants: [{actor: front, role: perpetrator}], citations: [{source: report}]}
control:
  - {id: front-holds-city, location: city, actor: front, valid: 2014-11/2015-06,
     citations: [{source: report}]}
"""
BASE: Final = {
    "source": ["report"],
    "actor": ["front", "army"],
    "location": ["country", "city"],
    "event": ["raid"],
    "control": ["front-holds-city"],
}
# Slugs new entries take (besides the base world's, which they correct).
NEW: Final = {
    "source": ["s1", "s2", "s3"],
    "actor": ["a1", "a2", "a3"],
    "location": ["l1", "l2", "l3"],
    "event": ["e1", "e2", "e3"],
    "affiliation": ["f1", "f2"],
    "control": ["c1", "c2"],
}
DATES: Final = [
    "2015",
    "2015-06",
    "2015-06-14",
    "2016-04?",
    "2015~",
    "2015%",
    "2001-21",
    "[2016-04-20..]",
    "[..2016]",
    "2015-XX",
    "201X",
    "0001",
    "9999-12-31",
]
# The sides of intervals, in order.
SIDES: Final = ["2001", "2014", "2014-11", "2015", "2015-06", "2015-06-14", "2016-04?", "2017~"]
BAD_DATES: Final = [
    "2015-13-45",
    "2015-02-30",
    "last June",
    "",
    "-0001",
    "10000",
    "[1667, 1670]",
    "{2015}",
    "2015/2014",
    "2015-06-14T10:00",
    "٢٠١٥",
    "2015\x00",
]
# Text that a fixture may carry by mistake or by malice.
WEIRD_TEXT: Final = [
    "",
    "   ",
    "\x00",
    "a\x00b",
    "\x1b[31mred\x1b[0m",
    "\u202eevil\u202c",
    "e\u0301",
    "\ufeff",
    "\U0001f3f3\ufe0f\u200d\U0001f308",
    "x" * 600,
    "ليبيا",
    "?",
    "- not a list",
    "&anchor",
    "*alias",
    "!!python/object:os.system",
    "null",
    "~",
    "010",
    "1e999",
]
# Stands for an integer of 5,000 digits, which Python will not even turn into text: the
# serialized document gets the digits in its place.
HUGE: Final = "HUGE-NUMBER-TOKEN"
NUMBERS: Final = [-1, 2**31, 2**63, 10**30, HUGE, 1.5, float("nan"), float("inf"), True]
ORDER: Final = ("source", "actor", "location", "event", "affiliation", "control")
REFERENCES: Final = ("within", "location", "actor", "target", "started_by", "ended_by")


class Draft:
    """One document being drawn: Hypothesis for values worth exploring, a seeded `Random` for
    how often things happen (Hypothesis leans towards its simplest choices), and the slugs the
    document may refer to."""

    def __init__(self, draw: st.DrawFn) -> None:
        self.draw = draw
        self.dice: random.Random = draw(st.randoms(use_true_random=True))
        self.known = {kind: list(slugs) for kind, slugs in BASE.items()}

    def one_in(self, chances: int) -> bool:
        return self.dice.randrange(chances) == 0

    def pick(self, choices: Sequence[T]) -> T:
        return self.dice.choice(choices)

    def new(self, kind: str) -> str:
        """A slug for a new entry, or one of the base world's (which corrects it)."""
        return self.pick([*NEW[kind], *BASE.get(kind, [])])

    def ref(self, kind: str, besides: str | None = None) -> str:
        """A slug to refer to: mostly one known to exist (and mostly not `besides`)."""
        known = [slug for slug in self.known.get(kind, []) if slug != besides]
        if known and not self.one_in(30):
            return self.pick(known)
        return self.pick([*NEW[kind], *BASE.get(kind, [])])

    def text(self, size: int = 30) -> str:
        """Mostly ordinary words; sometimes weird text or any character at all (lone
        surrogates included)."""
        if not self.one_in(150):
            words = self.draw(st.text(string.ascii_letters + " -'", max_size=size - 1))
            return self.pick(string.ascii_letters) + str(words).rstrip()
        if self.one_in(3):
            anything = st.characters(categories=["L", "M", "N", "P", "S", "Z", "C"])  # Cs too
            return str(self.draw(st.text(anything, max_size=size)))
        return self.pick(WEIRD_TEXT)

    def junk(self) -> Any:
        """A value of any type, to put where another belongs."""
        scalars = st.one_of(
            st.none(),
            st.booleans(),
            st.integers(),
            st.sampled_from(NUMBERS),
            st.floats(),
            st.text(max_size=10),
            st.sampled_from(WEIRD_TEXT),
        )
        nested = st.recursive(
            scalars,
            lambda inner: (
                st.lists(inner, max_size=3)
                | st.dictionaries(st.text(max_size=5), inner, max_size=3)
            ),
            max_leaves=6,
        )
        return self.draw(nested)

    def date(self) -> str:
        return self.pick(DATES)

    def interval(self) -> str:
        """Mostly in order; now and then one that ends before it starts, or an open side."""
        start, end = self.dice.randrange(len(SIDES)), self.dice.randrange(len(SIDES))
        if not self.one_in(20):
            start, end = min(start, end), max(start, end)
        first = "" if self.one_in(10) else SIDES[start]
        last = self.pick(["..", ""]) if self.one_in(4) else SIDES[end]
        return f"{first}/{last}"

    def some(self, make: Callable[[], T], most: int) -> list[T]:
        return [make() for _ in range(self.dice.randint(0, most))]

    def optional(self, entry: Entry, values: dict[str, Callable[[], Any]]) -> Entry:
        for key, make in values.items():
            if self.one_in(2):
                entry[key] = make()
        return entry


def _citations(draft: Draft) -> list[Entry]:
    def citation() -> Entry:
        return draft.optional(
            {"source": draft.ref("source")},
            {
                "quote": lambda: draft.text(60),
                "confidence": lambda: draft.pick(vocabulary.CONFIDENCES),
            },
        )

    return draft.some(citation, 2)


def _external_ids(draft: Draft) -> list[str]:
    return draft.some(
        lambda: f"{draft.pick(['ucdp', 'wikidata', 'gwno'])}:{draft.dice.randint(1, 999)}", 2
    )


def _source(draft: Draft) -> Entry:
    return draft.optional(
        {"id": draft.new("source"), "title": draft.text(80)},
        {
            "publisher": draft.text,
            "published": draft.date,
            "url": lambda: "https://example.org/" + draft.text(10),
            "notes": lambda: draft.text(200),
        },
    )


def _actor(draft: Draft) -> Entry:
    return draft.optional(
        {
            "id": draft.new("actor"),
            "name": draft.text(),
            "kind": draft.pick(vocabulary.ACTOR_KINDS),
        },
        {
            "aliases": lambda: draft.some(draft.text, 3),
            "external_ids": lambda: _external_ids(draft),
            "citations": lambda: _citations(draft),
        },
    )


def _location(draft: Draft) -> Entry:
    def coordinates() -> list[float]:
        return [draft.dice.uniform(-90, 90), draft.dice.uniform(-180, 180)]

    slug = draft.new("location")
    return draft.optional(
        {"id": slug, "name": draft.text(), "kind": draft.pick(vocabulary.LOCATION_KINDS)},
        {
            "within": lambda: draft.ref("location", besides=slug),
            "coordinates": coordinates,
            "aliases": lambda: draft.some(draft.text, 3),
            "external_ids": lambda: _external_ids(draft),
        },
    )


def _affiliation(draft: Draft) -> Entry:
    actor, target = draft.ref("actor"), draft.ref("actor")
    if target == actor and not draft.one_in(10):  # now and then, the actor itself
        target = "army" if actor == "front" else "front"
    return draft.optional(
        {
            "actor": actor,
            "kind": draft.pick(vocabulary.AFFILIATION_KINDS),
            "target": target,
            "valid": draft.interval(),
        },
        {"id": lambda: draft.new("affiliation"), "citations": lambda: _citations(draft)},
    )


def _control(draft: Draft) -> Entry:
    return draft.optional(
        {"location": draft.ref("location"), "actor": draft.ref("actor"), "valid": draft.interval()},
        {
            "id": lambda: draft.new("control"),
            "status": lambda: draft.pick(vocabulary.CONTROL_STATUSES),
            "started_by": lambda: draft.ref("event"),
            "ended_by": lambda: draft.ref("event"),
            "citations": lambda: _citations(draft),
        },
    )


def _event(draft: Draft) -> Entry:
    def count() -> int:
        return draft.dice.randint(0, 10_000)

    def participant() -> Entry:
        return {"actor": draft.ref("actor"), "role": draft.pick(["perpetrator", "target"])}

    def properties() -> dict[str, Any]:
        keys = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)
        values = st.integers() | st.floats() | st.text(max_size=8) | st.booleans()
        return dict(draft.draw(st.dictionaries(keys, values, max_size=3)))

    return draft.optional(
        {
            "id": draft.new("event"),
            "title": draft.text(80),
            "kind": draft.pick(["attack", "battle", "statement", "capture"]),
            "date": draft.interval() if draft.one_in(4) else draft.date(),
        },
        {
            "location": lambda: draft.ref("location"),
            "participants": lambda: draft.some(participant, 2),
            "fatalities": lambda: (
                count() if draft.one_in(2) else {"best": count(), "high": count()}
            ),
            "deaths": lambda: {"side_a": count(), "civilians": count()},
            "location_precision": lambda: draft.dice.randint(1, 7),
            "properties": properties,
            "external_ids": lambda: _external_ids(draft),
            "citations": lambda: _citations(draft),
            "alternatives": lambda: [
                {"field": "date", "value": draft.date(), "citations": _citations(draft)}
            ],
        },
    )


BUILDERS: Final[dict[str, Callable[[Draft], Entry]]] = {
    "source": _source,
    "actor": _actor,
    "location": _location,
    "affiliation": _affiliation,
    "control": _control,
    "event": _event,
}


def _corrupt(draft: Draft, entry: Entry) -> Entry:
    """The entry with one thing wrong in it."""
    entry = dict(entry)
    keys = sorted(entry)
    how = draft.pick(["type", "missing", "date", "reference", "unknown", "text", "number"])
    if how == "type":
        entry[draft.pick(keys)] = draft.junk()
    elif how == "missing":
        del entry[draft.pick(keys)]
    elif how == "date":
        key = next((key for key in ("date", "valid", "published") if key in entry), "published")
        bad = draft.pick(BAD_DATES)
        entry[key] = f"{bad}/.." if key == "valid" and draft.one_in(2) else bad
    elif how == "reference":
        present = [key for key in keys if key in REFERENCES]
        if present:
            entry[draft.pick(present)] = draft.pick(["nowhere", "Bad Slug", "x" * 101])
        else:
            entry["citations"] = [{"source": "no-such-source"}]
    elif how == "unknown":
        entry[draft.pick(["titel", "Name", "", " ", "\x1b[2J", "id ", "type"])] = draft.junk()
    elif how == "text":
        text_keys = [key for key in keys if isinstance(entry[key], str)] or ["note"]
        entry[draft.pick(text_keys)] = draft.pick(WEIRD_TEXT)
    else:
        entry["fatalities"] = draft.pick(NUMBERS)
    return entry


@st.composite
def entries(draw: st.DrawFn) -> list[tuple[str, Entry]]:
    """(kind, entry) pairs, what is referred to first: mostly right, about one in sixteen
    corrupted, now and then a retraction or an entry given twice."""
    draft = Draft(draw)
    kinds = sorted([draft.pick(ORDER), *draft.some(lambda: draft.pick(ORDER), 7)], key=ORDER.index)
    found: list[tuple[str, Entry]] = []
    for kind in kinds:
        if draft.one_in(25):
            entry: Entry = {"id": draft.pick(NEW[kind]), "retracted": True}
        else:
            entry = BUILDERS[kind](draft)
            if "id" in entry:
                draft.known.setdefault(kind, []).append(entry["id"])
            if draft.one_in(16):
                entry = _corrupt(draft, entry)
        found.append((kind, entry))
    if draft.one_in(10):
        kind, entry = draft.pick(found)
        found.append((kind, copy.deepcopy(entry)))  # a copy: YAML would write an alias
    return found


# Writing the entries as a file.


def _by_list(found: list[tuple[str, Entry]]) -> dict[str, list[Entry]]:
    plurals = {kind: plural for plural, kind in LISTS.items()}
    document: dict[str, list[Entry]] = {}
    for kind, entry in found:
        document.setdefault(plurals[kind], []).append(entry)
    return document


def _damage(draft: Draft, raw: bytes) -> bytes:
    """The bytes cut short, or with a few bytes changed, inserted or removed."""
    how = draft.pick(["truncate", "flip", "insert", "delete"])
    at = draft.dice.randrange(len(raw))
    if how == "truncate":
        return raw[: at + 1]
    if how == "flip":
        return raw[:at] + bytes([draft.dice.randrange(256)]) + raw[at + 1 :]
    if how == "insert":
        return raw[:at] + draft.dice.randbytes(draft.dice.randint(1, 4)) + raw[at:]
    return raw[:at] + raw[at + 4 :]


@st.composite
def documents(draw: st.DrawFn) -> tuple[str, bytes]:
    """A file's suffix and bytes: mostly a well-formed document, some damaged, some noise."""
    draft = Draft(draw)
    suffix = draft.pick([".yaml", ".json", ".jsonl"])
    if draft.one_in(20):
        return suffix, draw(st.binary(min_size=1, max_size=200))
    found = draw(entries())
    ascii_only = draft.one_in(2)
    if suffix == ".jsonl":
        lines = [{"type": kind, **entry} for kind, entry in found]
        text = "".join(json.dumps(line, ensure_ascii=ascii_only) + "\n" for line in lines)
    elif suffix == ".json":
        text = json.dumps(_by_list(found), indent=1, ensure_ascii=ascii_only)
    else:
        try:
            text = yaml.safe_dump(_by_list(found), allow_unicode=True, sort_keys=False, width=60)
        except yaml.YAMLError:  # PyYAML will not write some text (lone surrogates)
            text = json.dumps(_by_list(found), indent=1)  # JSON is YAML too
    text = text.replace(f'"{HUGE}"', "9" * 5_000).replace(HUGE, "9" * 5_000)
    raw = text.encode("utf-8", "surrogatepass")  # a lone surrogate makes invalid UTF-8
    return suffix, _damage(draft, raw) if draft.one_in(10) else raw
