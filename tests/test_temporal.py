"""The temporal core: what each EDTF form means in days, certainty on a day, and overlap."""

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from edtf import parse_edtf
from hypothesis import assume, given
from hypothesis import strategies as st

from eventdb.temporal import (
    BEGINNING_OF_TIME,
    END_OF_TIME,
    Certainty,
    DayRange,
    FuzzyInterval,
    InvalidDate,
    certainty,
    definite_conflicts,
    definite_overlap_days,
    overlap,
    parse,
    parse_date,
    parse_interval,
)

VECTORS = json.loads((Path(__file__).parent / "data" / "edtf_test_vectors.json").read_text())

D = date.fromisoformat


def days(fact: FuzzyInterval) -> tuple[date, date, date, date]:
    return fact.earliest_start, fact.latest_start, fact.earliest_end, fact.latest_end


# Every form the issue names, with the days it must mean.


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2015", ("2015-01-01", "2015-12-31", "2015-01-01", "2015-12-31")),
        ("2015-06", ("2015-06-01", "2015-06-30", "2015-06-01", "2015-06-30")),
        ("2015-06-14", ("2015-06-14", "2015-06-14", "2015-06-14", "2015-06-14")),
        ("2016-02", ("2016-02-01", "2016-02-29", "2016-02-01", "2016-02-29")),
        # `?` on a month widens by a year and a month each way (the package's padding).
        ("2016-04?", ("2015-03-01", "2017-05-30", "2015-03-01", "2017-05-30")),
        ("2015~", ("2014-01-01", "2016-12-31", "2014-01-01", "2016-12-31")),
        ("2015%", ("2013-01-01", "2017-12-31", "2013-01-01", "2017-12-31")),
        # Since November 2014, ongoing: not rounded to 2014-11-01.
        ("2014-11/..", ("2014-11-01", "2014-11-30", "9999-12-31", "9999-12-31")),
        # Unknown start: up to ten years (DELTA_IF_UNKNOWN) before the end as written.
        ("/2015", ("2005-12-31", "2015-12-31", "2015-01-01", "2015-12-31")),
        ("../2015", ("0001-01-01", "0001-01-01", "2015-01-01", "2015-12-31")),
        ("2014-11/", ("2014-11-01", "2014-11-30", "2014-11-01", "2024-11-01")),
        ("2014-11/2015-06", ("2014-11-01", "2014-11-30", "2015-06-01", "2015-06-30")),
        # A start cannot fall after the end: the end narrows the start's latest day.
        ("2015-06/2015-06-10", ("2015-06-01", "2015-06-10", "2015-06-10", "2015-06-10")),
        ("2001-21", ("2001-03-01", "2001-05-31", "2001-03-01", "2001-05-31")),
        ("2004-06-XX/2004-07-03", ("2004-06-01", "2004-06-30", "2004-07-03", "2004-07-03")),
        ("2015-06-14T09:30:00Z", ("2015-06-14", "2015-06-14", "2015-06-14", "2015-06-14")),
        ("  2015-06  ", ("2015-06-01", "2015-06-30", "2015-06-01", "2015-06-30")),
        # On or after 2016-04-20: one day, somewhere in an open-ended range.
        ("[2016-04-20..]", ("2016-04-20", "9999-12-31", "2016-04-20", "9999-12-31")),
        ("[..2016-04]", ("0001-01-01", "2016-04-30", "0001-01-01", "2016-04-30")),
        ("[2016-04..2016-06]", ("2016-04-01", "2016-06-30", "2016-04-01", "2016-06-30")),
        # Nothing known about either side: it may hold on any day, never definitely.
        ("/", ("0001-01-01", "9999-12-31", "0001-01-01", "9999-12-31")),
        ("/..", ("0001-01-01", "9999-12-31", "9999-12-31", "9999-12-31")),
        ("../", ("0001-01-01", "0001-01-01", "0001-01-01", "9999-12-31")),
        ("../..", ("0001-01-01", "0001-01-01", "9999-12-31", "9999-12-31")),
    ],
)
def test_each_form_means_the_days_it_can_cover(text: str, expected: tuple[str, ...]) -> None:
    assert days(parse(text)) == tuple(D(day) for day in expected)


def test_text_comes_back_as_written() -> None:
    for text in ("2014-11/..", "2016-04?", "/2015", "2014-11/", "2015~/2015-06"):
        assert str(parse(text)) == text


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2015-13-45", "there is no month 13"),
        ("2016-02-30", "there is no day 30 in 2016-02"),
        ("2015-02-29", "there is no day 29 in 2015-02"),
        ("2015-06/2014-01", "it ends before it starts"),
        ("2015-06~/2015-05", "it ends before it starts"),
        ("", "it is empty"),
        ("   ", "it is empty"),
        ("[2015, 2016]/2017", "each side of an interval must be a single date"),
        ("2015/2016/2017", "an interval has exactly one '/'"),
        ("last June", "not EDTF"),
        ("2015-13", "not EDTF"),
        ("0000", "only years 1 to 9999 are supported"),
        ("[2015, 2016]", "a set of possible dates is only supported as one range"),
        ("{2015, 2016}", "a list of dates ({...}) is not supported"),
    ],
)
def test_malformed_or_impossible_dates_raise_one_error_naming_the_text(
    text: str, reason: str
) -> None:
    with pytest.raises(InvalidDate) as raised:
        parse(text)
    assert raised.value.text == text.strip()
    assert raised.value.reason.startswith(reason)
    assert repr(text.strip()) in str(raised.value)


def test_parse_date_and_parse_interval_hold_to_their_shape() -> None:
    assert str(parse_date("2015-06")) == "2015-06"
    assert str(parse_interval("2015-06/..")) == "2015-06/.."
    with pytest.raises(InvalidDate, match="expected a single date"):
        parse_date("2015/2016")
    with pytest.raises(InvalidDate, match="expected an interval"):
        parse_interval("2015-06")


def test_a_non_text_date_is_refused_clearly() -> None:
    with pytest.raises(InvalidDate, match="expected EDTF text"):
        parse(date(2015, 6, 1))  # type: ignore[arg-type]


# The edtf package's own test vectors.

# Valid EDTF that eventdb refuses, and why: a `date` holds years 1 to 9999, and a set of dates
# with gaps or a list of dates is not one fact's valid time (a single range `[A..B]` is).
NOT_SUPPORTED = {
    "-0999": "only years 1 to 9999",
    "0000": "only years 1 to 9999",
    "-2005/-1999-02": "only years 1 to 9999",
    "-01XX": "only years 1 to 9999",
    "-0275~": "only years 1 to 9999",
    "-0001~": "only years 1 to 9999",
    "0000~": "only years 1 to 9999",
    "1XXX~": "only years 1 to 9999",  # the padded earliest day falls in year 0
    "-01XX~": "only years 1 to 9999",
    "XXXX-XX-23": "only years 1 to 9999",
    "Y170000002": "years beyond 9999",
    "Y-170000002": "years beyond 9999",
    "Y17E7": "years beyond 9999",
    "Y-17E7": "years beyond 9999",
    "Y17101E4S3": "years beyond 9999",
    "Y3388E2S3": "years beyond 9999",
    "Y171010000S3": "years beyond 9999",
    "[1667, 1668, 1670..1672]": "a set of possible dates",
    "[1760-01, 1760-02, 1760-12..]": "a set of possible dates",
    "[1667, 1760-12]": "a set of possible dates",
    "[1667, 1912-03..1912-05]": "a set of possible dates",
    "{1667,1668, 1670..1672}": "a list of dates",
    "{1960, 1961-12}": "a list of dates",
    "{1912-03..1912-05}": "a list of dates",
}


def _vector_day(text: str) -> date:
    return {"-inf": BEGINNING_OF_TIME, "inf": END_OF_TIME}.get(text) or D(text)


def _expected_possible_days(expected: list[str]) -> tuple[date, date]:
    """The package's fuzzy lower and upper bound, from the vector file's 1- to 4-value form."""
    if len(expected) == 1:
        return _vector_day(expected[0]), _vector_day(expected[0])
    if len(expected) == 2:
        return _vector_day(expected[0]), _vector_day(expected[1])
    return _vector_day(expected[-2]), _vector_day(expected[-1])


@pytest.mark.parametrize("vector", VECTORS["valid"], ids=lambda vector: vector["input"])
def test_valid_vector_is_bounded_as_the_package_expects_or_refused_as_listed(
    vector: dict[str, Any],
) -> None:
    text = vector["input"]
    if text in NOT_SUPPORTED:
        with pytest.raises(InvalidDate) as raised:
            parse(text)
        assert raised.value.reason.startswith(NOT_SUPPORTED[text])
        return
    assert parse(text).possible_days == _expected_possible_days(vector["expected_dates"])


def test_the_vector_file_has_what_its_sources_note_says() -> None:
    assert len(VECTORS["valid"]) == 94
    assert len(VECTORS["invalid"]) == 17
    assert set(NOT_SUPPORTED) <= {vector["input"] for vector in VECTORS["valid"]}


@pytest.mark.parametrize("text", VECTORS["invalid"], ids=repr)
def test_invalid_vector_is_rejected(text: str | None) -> None:
    with pytest.raises(InvalidDate):
        parse(text)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "vector", VECTORS["approximate_uncertain"], ids=lambda vector: vector["input"]
)
def test_qualified_vector_is_at_least_as_wide_as_written(vector: dict[str, Any]) -> None:
    if vector["input"] in NOT_SUPPORTED:
        return  # refused, as the valid vectors' test checks
    fact = parse(vector["input"])
    written = parse(vector["input"].replace("?", "").replace("~", "").replace("%", ""))
    assert fact.earliest_start <= written.earliest_start
    assert fact.latest_end >= written.latest_end
    qualified = vector["uncertain"] or vector["approximate"] or vector["uncertain_and_approximate"]
    assert (fact.possible_days != written.possible_days) == qualified


# Properties, checked against oracles that walk every day and every reading of the bounds.

WINDOW_START = date(2015, 1, 1)
WINDOW_DAYS = 12


def readings(raw: tuple[DayRange, DayRange]) -> list[tuple[date, date]]:
    """Every (start, end) the written bounds allow, with start <= end."""
    start, end = raw
    return [
        (first, last)
        for first in _each_day(start.earliest, start.latest)
        for last in _each_day(end.earliest, end.latest)
        if first <= last
    ]


def _each_day(first: date, last: date) -> list[date]:
    return [first + timedelta(offset) for offset in range((last - first).days + 1)]


@st.composite
def raw_bounds(draw: st.DrawFn) -> tuple[DayRange, DayRange]:
    offsets = [draw(st.integers(0, WINDOW_DAYS)) for _ in range(4)]
    start_low, start_high = sorted(offsets[:2])
    end_low, end_high = sorted(offsets[2:])
    assume(start_low <= end_high)
    return (
        DayRange(WINDOW_START + timedelta(start_low), WINDOW_START + timedelta(start_high)),
        DayRange(WINDOW_START + timedelta(end_low), WINDOW_START + timedelta(end_high)),
    )


def oracle_certainty(worlds: list[tuple[date, date]], day: date) -> Certainty | None:
    holds = [first <= day <= last for first, last in worlds]
    if all(holds):
        return Certainty.DEFINITE
    return Certainty.POSSIBLE if any(holds) else None


@given(raw_bounds(), st.integers(-2, WINDOW_DAYS + 2))
def test_certainty_matches_every_reading_of_the_bounds(
    raw: tuple[DayRange, DayRange], offset: int
) -> None:
    fact = FuzzyInterval.between("generated", *raw)
    day = WINDOW_START + timedelta(offset)
    assert certainty(fact, day) == oracle_certainty(readings(raw), day)


@given(raw_bounds(), raw_bounds())
def test_overlap_matches_every_pair_of_readings(
    raw_a: tuple[DayRange, DayRange], raw_b: tuple[DayRange, DayRange]
) -> None:
    a, b = FuzzyInterval.between("a", *raw_a), FuzzyInterval.between("b", *raw_b)
    shared = [
        a_first <= b_last and b_first <= a_last
        for a_first, a_last in readings(raw_a)
        for b_first, b_last in readings(raw_b)
    ]
    expected = Certainty.DEFINITE if all(shared) else Certainty.POSSIBLE if any(shared) else None
    assert overlap(a, b) == expected


@given(raw_bounds(), raw_bounds())
def test_definite_overlap_days_are_the_days_both_definitely_hold(
    raw_a: tuple[DayRange, DayRange], raw_b: tuple[DayRange, DayRange]
) -> None:
    a, b = FuzzyInterval.between("a", *raw_a), FuzzyInterval.between("b", *raw_b)
    window = _each_day(WINDOW_START, WINDOW_START + timedelta(WINDOW_DAYS))
    both = [
        day
        for day in window
        if oracle_certainty(readings(raw_a), day) is Certainty.DEFINITE
        and oracle_certainty(readings(raw_b), day) is Certainty.DEFINITE
    ]
    assert definite_overlap_days(a, b) == ((both[0], both[-1]) if both else None)


@given(st.lists(st.tuples(st.sampled_from("ABC"), raw_bounds()), max_size=8))
def test_definite_conflicts_name_each_fact_that_clashes_with_an_earlier_one(
    facts: list[tuple[str, tuple[DayRange, DayRange]]],
) -> None:
    intervals = [(holder, FuzzyInterval.between("f", *raw)) for holder, raw in facts]
    reported = definite_conflicts(intervals)
    for earlier, later in reported:
        assert intervals[earlier][0] != intervals[later][0]
        assert definite_overlap_days(intervals[earlier][1], intervals[later][1]) is not None

    # Brute force: in order of first definite day, which facts clash with one before them?
    order = sorted(
        (fact.definite_days, index)
        for index, (_, fact) in enumerate(intervals)
        if fact.definite_days is not None
    )
    clashing = {
        later
        for position, (_, later) in enumerate(order)
        for _, earlier in order[:position]
        if intervals[earlier][0] != intervals[later][0]
        and definite_overlap_days(intervals[earlier][1], intervals[later][1]) is not None
    }
    assert {later for _, later in reported} == clashing


def test_bounds_that_cannot_be_read_in_order_are_refused() -> None:
    with pytest.raises(InvalidDate, match="ends before it starts"):
        FuzzyInterval.between(
            "x",
            DayRange(D("2015-06-02"), D("2015-06-05")),
            DayRange(D("2015-06-01"), D("2015-06-01")),
        )


# The fast path for plain dates agrees with the package.


@given(st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)), st.sampled_from([4, 7, 10]))
def test_plain_dates_are_bounded_as_the_package_bounds_them(day: date, length: int) -> None:
    text = day.isoformat()[:length]
    parsed = parse_edtf(text)
    expected = (
        date(*parsed.lower_strict()[:3]),
        date(*parsed.upper_strict()[:3]),
    )
    assert parse(text).possible_days == expected


@given(
    st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)),
    st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)),
    st.sampled_from([4, 7, 10]),
    st.sampled_from([4, 7, 10]),
    st.sampled_from(["", "?", "~", "%"]),
    st.sampled_from(["", "?", "~", "%"]),
)
def test_interval_spans_match_the_package(
    first: date, last: date, first_length: int, last_length: int, first_mark: str, last_mark: str
) -> None:
    first, last = min(first, last), max(first, last)
    start = first.isoformat()[:first_length] + first_mark
    text = f"{start}/{last.isoformat()[:last_length]}{last_mark}"
    parsed = parse_edtf(text)
    expected = (date(*parsed.lower_fuzzy()[:3]), date(*parsed.upper_fuzzy()[:3]))
    assert parse(text).possible_days == expected
