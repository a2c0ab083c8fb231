"""The contract's scalars: `Date`, `DateTime`, `FuzzyDate` (EDTF) and `JSON`, checking input."""

from datetime import UTC, date, datetime
from typing import Any, Final

import strawberry
from strawberry.scalars import JSON

from eventdb.temporal import FuzzyInterval, InvalidDate, parse

__all__ = ["JSON", "SCALARS"]


def _parse_day(value: Any) -> date:
    if not isinstance(value, str):
        raise ValueError(f"expected a day as 'YYYY-MM-DD', got {value!r}")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"expected a day as 'YYYY-MM-DD', got {value!r}") from None


def parse_instant(value: Any) -> datetime:
    """An ISO 8601 instant, in UTC; without an offset it is taken as UTC. One whose UTC time
    falls outside the years 1 to 9999 (`0001-01-01T00:00:00+14:00`) is refused here: a
    database driver cannot convert it."""
    if not isinstance(value, str):
        raise ValueError(
            f"expected an ISO 8601 instant such as '2016-05-01T00:00:00Z', got {value!r}"
        )
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(
            f"expected an ISO 8601 instant such as '2016-05-01T00:00:00Z', got {value!r}"
        ) from None
    if instant.tzinfo is None:
        return instant.replace(tzinfo=UTC)
    try:
        return instant.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"{value!r} falls outside the years 1 to 9999 in UTC") from None


def _parse_fuzzy(value: Any) -> FuzzyInterval:
    if not isinstance(value, str):
        raise ValueError(f"expected EDTF text such as '2015-06' or '2014-11/..', got {value!r}")
    try:
        return parse(value)
    except InvalidDate as error:
        raise ValueError(str(error)) from None


DateScalar = strawberry.scalar(
    name="Date",
    description="A day, ISO 8601: `2015-03-01`.",
    serialize=date.isoformat,
    parse_value=_parse_day,
)

DateTimeScalar = strawberry.scalar(
    name="DateTime",
    description="An instant, ISO 8601 with an offset (`2026-01-01T00:00:00Z`); UTC when omitted.",
    serialize=lambda instant: instant.isoformat(),
    parse_value=parse_instant,
)

FuzzyDateScalar = strawberry.scalar(
    name="FuzzyDate",
    description=(
        "A date or interval in EDTF as recorded: `2015-06`, `2016-04?`, `2014-11/..`, `/2015`,"
        " `[2016-04-20..]`. https://www.loc.gov/standards/datetime/"
    ),
    serialize=str,
    parse_value=_parse_fuzzy,
)

# Python types and the GraphQL scalars they are read and written as.
SCALARS: Final[dict[object, Any]] = {
    date: DateScalar,
    datetime: DateTimeScalar,
    FuzzyInterval: FuzzyDateScalar,
}
