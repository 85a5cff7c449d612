"""Timestamps of status list credentials: XML Schema dateTime with a time zone, as VC requires."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Final

from badgekiln.errors import StatusError

__all__ = ["parse_timestamp"]

# VC 2.0 dateTimeStamp (VC 1.1 issuanceDate is dateTime, but every publisher writes a zone; a
# stamp without one is ambiguous by hours, so it is refused rather than guessed).
_STAMP: Final = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})T(?P<time>\d{2}:\d{2}:\d{2})(?:\.(?P<frac>\d{1,9}))?"
    r"(?P<zone>Z|[+-]\d{2}:\d{2})"
)


def parse_timestamp(value: Any, *, field: str, url: str) -> datetime:
    """Parse ``value`` (a member of the list credential at ``url``) as an aware datetime.

    Raises:
        StatusError: ``reason="list"``: not a string, not a dateTime, no time zone, or an
            impossible date.
    """
    match = _STAMP.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise StatusError(
            f"the status list's {field} is not a date-time with a time zone (e.g. 2025-01-09T15:20:02Z)",
            reason="list",
            field=field,
            url=url,
        )
    fraction = (match["frac"] or "0")[:6]  # datetime keeps microseconds
    zone = "+00:00" if match["zone"] == "Z" else match["zone"]
    try:
        return datetime.fromisoformat(f"{match['date']}T{match['time']}.{fraction:0<6}{zone}")
    except ValueError as exc:
        raise StatusError(
            f"the status list's {field} is not a valid date-time: {exc}", reason="list", field=field, url=url
        ) from exc
