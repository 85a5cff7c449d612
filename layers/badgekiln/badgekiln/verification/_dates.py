"""The validity-window check, on date-times the model has read."""

from __future__ import annotations

from datetime import datetime, timedelta

from badgekiln.model.dates import stamp as _shown
from badgekiln.verification._session import Checks

__all__ = ["check_window"]


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
