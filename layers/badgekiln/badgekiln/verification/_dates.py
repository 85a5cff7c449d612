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
    start_text: str | None = None,
    end_text: str | None = None,
) -> None:
    """Record ``issued`` and ``expiry`` for the window ``[start, end]`` judged at ``now``.
    ``start_text``/``end_text`` are ``start``/``end`` as :func:`~badgekiln.model.dates.stamp`
    writes them, when the caller has them already (:attr:`~badgekiln.model.dates.DateTime.stamped`)."""
    # differences, not shifted instants: now ± skew overflows at the ends of datetime's range
    if start is not None:
        shown = start_text or _shown(start)
        if start - now > skew:
            checks.failed("issued", f"not valid yet: {start_field} is {shown}", "not-yet-valid")
        else:
            checks.passed("issued", f"{start_field} {shown} has passed")
    if end is None:
        checks.passed("expiry", "the badge does not expire")
        return
    shown = end_text or _shown(end)
    if start is not None and end < start:
        checks.failed(
            "expiry", f"{end_field} {shown} is before {start_field} {start_text or _shown(start)}", "expired"
        )
    elif now - end > skew:
        checks.failed("expiry", f"expired: {end_field} was {shown}", "expired")
    else:
        checks.passed("expiry", f"not expired: {end_field} is {shown}")
