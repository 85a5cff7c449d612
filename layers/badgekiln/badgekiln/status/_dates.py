"""Date-times as badges and credentials write them: XML Schema dateTime with a time zone.

One parser serves the status lists here and the verifier (:mod:`badgekiln.verify._dates`),
which sits above this package.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, Final

from badgekiln.errors import StatusError

__all__ = ["parse_aware", "parse_timestamp"]

# VC 2.0 dateTimeStamp and OB 2.0 DateTime require a zone (VC 1.1 issuanceDate is dateTime, but
# every publisher writes one); a stamp without one is ambiguous by hours, so it is refused.
_STAMP: Final = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})T(?P<time>\d{2}:\d{2}:\d{2})(?:\.(?P<frac>\d{1,9}))?"
    r"(?P<zone>Z|z|[+-]\d{2}:\d{2})"
)


def parse_aware(value: Any) -> datetime:
    """``value`` as an aware datetime in UTC.

    Raises:
        ValueError: not a string, no time zone, an impossible date, or an instant that is not
            representable in UTC (``0001-01-01T00:00:00+01:00``); the message says which.
    """
    match = _STAMP.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError("not a date-time with a time zone (e.g. 2025-01-09T15:20:02Z)")
    fraction = (match["frac"] or "0")[:6]  # datetime keeps microseconds
    zone = "+00:00" if match["zone"] in ("Z", "z") else match["zone"]
    try:
        return datetime.fromisoformat(f"{match['date']}T{match['time']}.{fraction:0<6}{zone}").astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise ValueError(f"not a valid date-time ({exc})") from exc


def parse_timestamp(value: Any, *, field: str, url: str) -> datetime:
    """Parse ``value`` (a member of the list credential at ``url``) as an aware UTC datetime.

    Raises:
        StatusError: ``reason="list"``: not a string, not a dateTime, no time zone, or an
            impossible date.
    """
    try:
        return parse_aware(value)
    except ValueError as exc:
        raise StatusError(f"the status list's {field} is {exc}", reason="list", field=field, url=url) from exc
