"""Fuzzy dates: EDTF text to the earliest and latest day each bound can mean, certainty, overlap.

Pure: no database, no GraphQL. Every other module asks this one what a date means.

A fact's valid time has a start and an end, each known only as a range of possible days. The `edtf`
package turns each written bound into that range: a month covers all its days, and `?`, `~`, `%`
widen it by the package's padding settings (one year, month or day per precision level that is
written; `%` twice that). A fact holds on day D

* definitely when its latest possible start <= D <= its earliest possible end,
* possibly when its earliest possible start <= D <= its latest possible end, but not definitely.

A single date (an event on "2015-06") has the same range for its start and its end; a one-of
range (`[2016-04-20..]`, "on or after") covers every day it allows. An open side (`..`) reaches
the beginning or end of time; an unknown side (empty) spans what the package's DELTA_IF_UNKNOWN
allows (ten years) beyond the other side, or all of time when the other side is no date either.
"""

from __future__ import annotations

import calendar
import enum
import re
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from time import struct_time
from typing import Final

from dateutil.relativedelta import relativedelta
from edtf import appsettings, parse_edtf
from edtf.parser import parser_classes as edtf_classes
from edtf.parser.edtf_exceptions import EDTFParseException

# Open interval sides are stored as the first and last day a `date` can hold.
BEGINNING_OF_TIME: Final = date.min
END_OF_TIME: Final = date.max

_REFERENCE_DAY: Final = date(2000, 1, 1)

OPEN: Final = ".."
UNKNOWN: Final = ""

# Level 0 dates without qualifiers are most of what real data holds; they are bounded here without
# the package's grammar (which costs milliseconds a parse). A property test holds the two equal.
_PLAIN_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")

# What the package parses but which is not one date: lists of dates, and long years.
_UNSUPPORTED = {
    edtf_classes.MultipleDates: "a list of dates ({...}) is not supported; record each fact apart",
    edtf_classes.LongYear: "years beyond 9999 are not supported",
}
_RANGES = (
    edtf_classes.Consecutives,
    edtf_classes.EarlierConsecutives,
    edtf_classes.LaterConsecutives,
)


class InvalidDate(ValueError):
    """Malformed, impossible or unsupported EDTF text; `text` is the offending input."""

    def __init__(self, text: str, reason: str) -> None:
        super().__init__(f"{text!r} is not a valid EDTF date: {reason}")
        self.text = text
        self.reason = reason


class Certainty(enum.Enum):
    DEFINITE = "DEFINITE"
    POSSIBLE = "POSSIBLE"


@dataclass(frozen=True, slots=True)
class DayRange:
    """The days one written bound can mean."""

    earliest: date
    latest: date


@dataclass(frozen=True, slots=True)
class FuzzyInterval:
    """A fact's valid time: the text as written and the possible days of its start and end."""

    text: str
    earliest_start: date
    latest_start: date
    earliest_end: date
    latest_end: date

    @classmethod
    def between(cls, text: str, start: DayRange, end: DayRange) -> FuzzyInterval:
        """Combine two bounds. A start cannot fall after the end, so each bound is narrowed by
        the other: in `2015-06/2015-06-10` the start is at the latest on 2015-06-10."""
        if end.latest < start.earliest:
            raise InvalidDate(text, "it ends before it starts")
        return cls(
            text=text,
            earliest_start=start.earliest,
            latest_start=min(start.latest, end.latest),
            earliest_end=max(end.earliest, start.earliest),
            latest_end=end.latest,
        )

    @property
    def definite_days(self) -> tuple[date, date] | None:
        """First and last day on which the fact certainly holds, if any."""
        if self.latest_start <= self.earliest_end:
            return self.latest_start, self.earliest_end
        return None

    @property
    def possible_days(self) -> tuple[date, date]:
        """First and last day on which the fact may hold."""
        return self.earliest_start, self.latest_end

    def __str__(self) -> str:
        return self.text


def certainty(fact: FuzzyInterval, day: date) -> Certainty | None:
    """Whether `fact` holds on `day`: definitely, possibly, or (None) not at all."""
    if fact.latest_start <= day <= fact.earliest_end:
        return Certainty.DEFINITE
    if fact.earliest_start <= day <= fact.latest_end:
        return Certainty.POSSIBLE
    return None


def overlap(a: FuzzyInterval, b: FuzzyInterval) -> Certainty | None:
    """Whether two facts share a day: in every reading of their fuzzy bounds (DEFINITE), in some
    (POSSIBLE), or in none (None)."""
    if a.latest_start <= b.earliest_end and b.latest_start <= a.earliest_end:
        return Certainty.DEFINITE
    if a.earliest_start <= b.latest_end and b.earliest_start <= a.latest_end:
        return Certainty.POSSIBLE
    return None


def definite_overlap_days(a: FuzzyInterval, b: FuzzyInterval) -> tuple[date, date] | None:
    """The days on which both facts definitely hold, if any.

    This is the control rule's test: two actors may not both definitely control one place on a day.
    """
    a_days, b_days = a.definite_days, b.definite_days
    if a_days is None or b_days is None:
        return None
    first, last = max(a_days[0], b_days[0]), min(a_days[1], b_days[1])
    return (first, last) if first <= last else None


def definite_conflicts(facts: Sequence[tuple[Hashable, FuzzyInterval]]) -> list[tuple[int, int]]:
    """Pairs of indexes into `facts` whose holders differ and that share a definite day.

    Facts are taken in order of their first definite day; each one that shares a definite day
    with an earlier fact of another holder is reported once, beside the earlier fact whose
    definite days reach furthest. Sorting once makes this O(n log n) for a place's whole history.
    """
    spans = sorted(
        (days, index, holder)
        for index, (holder, fact) in enumerate(facts)
        if (days := fact.definite_days) is not None
    )
    conflicts: list[tuple[int, int]] = []
    # The earlier fact reaching furthest, and the one reaching furthest among other holders.
    furthest: tuple[date, Hashable, int] | None = None
    runner_up: tuple[date, Hashable, int] | None = None
    for (first, last), index, holder in spans:
        rival = furthest if furthest is not None and furthest[1] != holder else runner_up
        if rival is not None and rival[0] >= first:
            conflicts.append((rival[2], index))
        if furthest is None or last > furthest[0]:
            if furthest is not None and furthest[1] != holder:
                runner_up = furthest
            furthest = (last, holder, index)
        elif holder != furthest[1] and (runner_up is None or last > runner_up[0]):
            runner_up = (last, holder, index)
    return conflicts


def parse(text: str) -> FuzzyInterval:
    """An EDTF date (`2015-06`, `2016-04?`) or interval (`2014-11/..`, `/2015`)."""
    return _parse(_clean(text))


def parse_date(text: str) -> FuzzyInterval:
    """A single EDTF date; an interval is refused."""
    text = _clean(text)
    if "/" in text:
        raise InvalidDate(text, "expected a single date, not an interval")
    return _parse(text)


def parse_interval(text: str) -> FuzzyInterval:
    """An EDTF interval `START/END`: each side a date, `..` (open) or empty (unknown)."""
    text = _clean(text)
    if "/" not in text:
        raise InvalidDate(text, "expected an interval START/END (use `..` for an open side)")
    return _parse(text)


def _clean(text: str) -> str:
    if not isinstance(text, str):
        raise InvalidDate(repr(text), "expected EDTF text")
    text = text.strip()
    if not text:
        raise InvalidDate(text, "it is empty")
    return text


@lru_cache(maxsize=65_536)
def _parse(text: str) -> FuzzyInterval:
    if "/" not in text:
        day_range = _date_range(text)
        return FuzzyInterval.between(text, day_range, day_range)
    start_text, end_text = text.split("/", 1)
    if "/" in end_text:
        raise InvalidDate(text, "an interval has exactly one '/'")
    start = _side(text, start_text, BEGINNING_OF_TIME)
    end = _side(text, end_text, END_OF_TIME)
    dated = start_text not in (OPEN, UNKNOWN), end_text not in (OPEN, UNKNOWN)
    if all(dated) and _strict_range(end_text).latest < _strict_range(start_text).earliest:
        raise InvalidDate(text, "it ends before it starts")  # as written, before any widening
    # An unknown side reaches DELTA_IF_UNKNOWN past the other side as written, as the package
    # does; past an open or unknown side it may be anywhere.
    if start is None:
        earliest = BEGINNING_OF_TIME
        if dated[1]:
            earliest = _shift(_strict_range(end_text).latest, -appsettings.DELTA_IF_UNKNOWN)
        start = DayRange(earliest, end.latest if end else END_OF_TIME)
    if end is None:
        latest = END_OF_TIME
        if dated[0]:
            latest = _shift(_strict_range(start_text).earliest, appsettings.DELTA_IF_UNKNOWN)
        end = DayRange(start.earliest, latest)
    return FuzzyInterval.between(text, start, end)


def _side(interval: str, side: str, open_day: date) -> DayRange | None:
    """One side of an interval: its day range, or None when it is unknown."""
    if side == OPEN:
        return DayRange(open_day, open_day)
    if side == UNKNOWN:
        return None
    if side.startswith(("[", "{")):
        raise InvalidDate(interval, "each side of an interval must be a single date")
    try:
        return _date_range(side)
    except InvalidDate as error:
        raise InvalidDate(interval, error.reason) from None


def _date_range(text: str) -> DayRange:
    """The possible days of one EDTF date, fuzzy padding included."""
    plain = _plain_range(text)
    if plain is not None:
        return plain
    parsed = _parse_edtf_date(text)
    if isinstance(parsed, edtf_classes.OneOfASet):
        return _one_of_range(text, parsed)
    return DayRange(_to_date(text, parsed.lower_fuzzy()), _to_date(text, parsed.upper_fuzzy()))


def _one_of_range(text: str, parsed: edtf_classes.OneOfASet) -> DayRange:
    """`[A..B]`, `[A..]`, `[..B]`: one day somewhere in a range, open ends reaching the edges."""
    if len(parsed.objects) != 1 or not isinstance(parsed.objects[0], _RANGES):
        raise InvalidDate(
            text, "a set of possible dates is only supported as one range ([A..B], [A..], [..B])"
        )
    lower, upper = parsed.lower_strict(), parsed.upper_strict()
    return DayRange(
        BEGINNING_OF_TIME if isinstance(lower, float) else _to_date(text, lower),
        END_OF_TIME if isinstance(upper, float) else _to_date(text, upper),
    )


def _strict_range(text: str) -> DayRange:
    """The days one EDTF date means as written, before `?`, `~`, `%` widen it."""
    plain = _plain_range(text)
    if plain is not None:
        return plain
    parsed = _parse_edtf_date(text)
    if isinstance(parsed, edtf_classes.OneOfASet):
        return _one_of_range(text, parsed)
    return DayRange(_to_date(text, parsed.lower_strict()), _to_date(text, parsed.upper_strict()))


def _plain_range(text: str) -> DayRange | None:
    """Bounds of `YYYY`, `YYYY-MM` or `YYYY-MM-DD` computed directly; None for anything else."""
    match = _PLAIN_DATE.fullmatch(text)
    if match is None:
        return None
    year_text, month_text, day_text = match.groups()
    year = int(year_text)
    if year == 0:
        return None  # the package explains why year 0 is out of range
    if month_text is None:
        return DayRange(date(year, 1, 1), date(year, 12, 31))
    month = int(month_text)
    if not 1 <= month <= 12:
        if day_text is None:
            return None  # seasons (2001-21) go to the package
        raise InvalidDate(text, f"there is no month {month_text}")
    if day_text is None:
        return DayRange(
            date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
        )
    try:
        day = date(year, month, int(day_text))
    except ValueError:
        raise InvalidDate(text, f"there is no day {day_text} in {year_text}-{month_text}") from None
    return DayRange(day, day)


@lru_cache(maxsize=4096)
def _parse_edtf_date(text: str) -> edtf_classes.EDTFObject:
    try:
        parsed = parse_edtf(text)
    except (EDTFParseException, TypeError, ValueError) as error:
        raise InvalidDate(text, _parse_reason(error)) from None
    for unsupported, reason in _UNSUPPORTED.items():
        if isinstance(parsed, unsupported):
            raise InvalidDate(text, reason)
    if isinstance(parsed, edtf_classes.Interval) or not isinstance(parsed, edtf_classes.EDTFObject):
        raise InvalidDate(text, "expected a date")
    return parsed


def _parse_reason(error: Exception) -> str:
    if isinstance(error, EDTFParseException):
        return "not EDTF (see https://www.loc.gov/standards/datetime/)"
    return f"not EDTF ({error})"


def _to_date(text: str, value: struct_time | float) -> date:
    if isinstance(value, float):  # the package's +-infinity
        raise InvalidDate(text, "an open bound is only allowed as a side of an interval")
    try:
        return date(value.tm_year, value.tm_mon, value.tm_mday)
    except ValueError:
        raise InvalidDate(text, "only years 1 to 9999 are supported") from None


def _shift(day: date, delta: relativedelta) -> date:
    """`day + delta`, held to the range a `date` can represent."""
    try:
        shifted: date = day + delta
    except (OverflowError, ValueError):
        forward = _REFERENCE_DAY + delta > _REFERENCE_DAY
        return END_OF_TIME if forward else BEGINNING_OF_TIME
    return shifted
