"""Date-times as badges and credentials write them: XML Schema dateTime with a time zone.

One parser and one writer for the whole library (status lists, proofs, the verifier, issuing);
standard library only, so every layer may import it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, Final

__all__ = ["parse_aware", "stamp"]

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


def stamp(value: datetime) -> str:
    """``value`` as an ISO 8601 UTC timestamp to the second (``2026-05-01T12:00:00Z``).

    Raises:
        ValueError: a naive datetime, or an instant not representable in UTC.
    """
    if value.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    try:
        utc = value.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError(f"{value.isoformat()} is outside the range of UTC date-times") from exc
    # isoformat, not strftime: %Y does not zero-pad years before 1000 on every platform
    return utc.replace(microsecond=0, tzinfo=None).isoformat() + "Z"
