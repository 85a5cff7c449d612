"""Date-times of badges and the validity-window checks built on them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Final

from badgekiln.errors import MalformedPayload
from badgekiln.model.dates import parse_aware
from badgekiln.verification._session import Checks

__all__ = ["check_window", "from_numeric_date", "parse_datetime"]

#: NumericDate claims beyond this (year 9999) cannot be compared with datetime values.
_MAX_NUMERIC_DATE: Final = 253_402_300_799


def parse_datetime(value: Any, *, field: str) -> datetime:
    """Parse ``value`` as an aware UTC date-time (:func:`badgekiln.model.dates.parse_aware`);
    ``field`` names it in errors.

    Raises:
        MalformedPayload: ``reason="datetime"``: not a string, no time zone, impossible date.
    """
    try:
        return parse_aware(value)
    except ValueError as exc:
        raise MalformedPayload(
            f"{field} is {repr(value)[:60]}, {exc}", reason="datetime", field=field
        ) from exc


def from_numeric_date(value: Any, *, claim: str) -> datetime:
    """A JWT NumericDate claim (seconds since the epoch) as an aware UTC datetime.

    Raises:
        MalformedPayload: ``reason="claims"``: not a finite non-negative number in range.
    """
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= _MAX_NUMERIC_DATE:
        raise MalformedPayload(
            f"the JWT {claim!r} claim is {repr(value)[:40]}, not a NumericDate", reason="claims", field=claim
        )
    return datetime.fromtimestamp(value, UTC)


def _shown(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def check_window(
    checks: Checks,
    *,
    start: datetime | None,
    start_field: str,
    end: datetime | None,
    end_field: str,
    now: datetime,
    skew: timedelta,
) -> None:
    """Record ``issued`` and ``expiry`` for the window ``[start, end]`` judged at ``now``."""
    # differences, not shifted instants: now ± skew overflows at the ends of datetime's range
    if start is not None:
        if start - now > skew:
            checks.failed("issued", f"not valid yet: {start_field} is {_shown(start)}", "not-yet-valid")
        else:
            checks.passed("issued", f"{start_field} {_shown(start)} has passed")
    if end is None:
        checks.passed("expiry", "the badge does not expire")
        return
    if start is not None and end < start:
        checks.failed(
            "expiry", f"{end_field} {_shown(end)} is before {start_field} {_shown(start)}", "expired"
        )
    elif now - end > skew:
        checks.failed("expiry", f"expired: {end_field} was {_shown(end)}", "expired")
    else:
        checks.passed("expiry", f"not expired: {end_field} is {_shown(end)}")
