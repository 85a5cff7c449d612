"""Date-times as badges and credentials write them: XML Schema dateTime with a time zone.

One parser (:func:`parse_aware`) and one writer (:func:`stamp`) for the whole library (the
model's views, status lists, proofs, the verifier, issuing, the pages); standard library only,
so every layer may import it. A :class:`DateTime` is a date-time member as a view reads it:
parsed once, with the reason when it is not one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Final, NamedTuple

__all__ = ["DateTime", "parse_aware", "parse_legacy", "stamp"]

#: NumericDate values beyond this (year 9999) cannot be compared with datetime values.
_MAX_NUMERIC_DATE: Final = 253_402_300_799
# VC 2.0 dateTimeStamp and OB 2.0 DateTime require a zone (VC 1.1 issuanceDate is dateTime, but
# every publisher writes one); a stamp without one is ambiguous by hours, so it is refused.
_STAMP: Final = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})T(?P<time>\d{2}:\d{2}:\d{2})(?:\.(?P<frac>\d{1,9}))?"
    r"(?P<zone>Z|z|[+-]\d{2}:\d{2})"
)

# Open Badges 0.5/1.x DateTime: "Either an ISO 8601 date or a standard 10-digit Unix timestamp"
# (the 1.1 specification); the spec's own JSON Schemas allow a date alone, a time without seconds
# and a zone written +hh, +hhmm or +hh:mm (ob_v2p0/v1/schema/assertion.json).
_LEGACY_STAMP: Final = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})(?:T(?P<hm>\d{2}:\d{2})(?::(?P<s>\d{2}))?(?:[.,](?P<frac>\d{1,9}))?"
    r"(?P<zone>Z|z|[+-]\d{2}(?::?\d{2})?)?)?"
)
#: A 1.x Unix timestamp has 10 digits (the 0.5 and 1.1 schemas: 0 … 9999999999).
_MAX_LEGACY_TIMESTAMP: Final = 9_999_999_999
_TEN_DIGITS: Final = re.compile(r"\d{10}")


def parse_aware(value: Any) -> datetime:
    """``value`` as an aware datetime in UTC.

    Raises:
        ValueError: not a string, no time zone, an impossible date, or an instant that is not
            representable in UTC (``0001-01-01T00:00:00+01:00``); the message says which.
    """
    match = _STAMP.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError("not a date-time with a time zone (e.g. 2025-01-09T15:20:02Z)")
    if len(value) == 20 and value[19] == "Z":  # the usual form, which datetime reads as it is
        try:
            return datetime.fromisoformat(value)  # UTC already
        except ValueError:
            pass  # an impossible date or time: worded below, as for every other form
    fraction = (match["frac"] or "0")[:6]  # datetime keeps microseconds
    zone = "+00:00" if match["zone"] in ("Z", "z") else match["zone"]
    try:
        return datetime.fromisoformat(f"{match['date']}T{match['time']}.{fraction:0<6}{zone}").astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise ValueError(f"not a valid date-time ({exc})") from exc


def parse_legacy(value: Any) -> datetime:
    """An Open Badges 0.5/1.0/1.1 DateTime as an aware datetime in UTC.

    Those versions allow an ISO 8601 date or date-time, or a 10-digit Unix timestamp (an integer,
    or in 0.5 a string of ten digits). A date alone, or a date-time without a zone, is read as
    UTC, as the 1EdTech validator-core upgrades them to OB 2.0.

    Raises:
        ValueError: none of these, or an impossible date (``2015-04-31``); the message says which.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        if not 0 <= value <= _MAX_LEGACY_TIMESTAMP:
            raise ValueError("not a 10-digit Unix timestamp")
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, str) and _TEN_DIGITS.fullmatch(value):
        return datetime.fromtimestamp(int(value), UTC)
    match = _LEGACY_STAMP.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError("not an ISO 8601 date or date-time, nor a 10-digit Unix timestamp")
    zone = match["zone"] or "Z"
    if zone in ("Z", "z"):
        zone = "+00:00"
    elif len(zone) == 3:
        zone += ":00"
    elif ":" not in zone:
        zone = f"{zone[:3]}:{zone[3:]}"
    time = f"{match['hm'] or '00:00'}:{match['s'] or '00'}.{(match['frac'] or '0')[:6]:0<6}"
    try:
        return datetime.fromisoformat(f"{match['date']}T{time}{zone}").astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise ValueError(f"not a valid date ({exc})") from exc


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
    return utc.isoformat(timespec="seconds").removesuffix("+00:00") + "Z"


class DateTime(NamedTuple):
    """A date-time member of a badge: ``field`` (its name), ``raw`` (as written), and ``value``
    (an aware UTC datetime) or, when ``raw`` is not a date-time with a time zone, ``error``
    saying why. (A named tuple: immutable, and cheap to make for every date a badge carries.)"""

    field: str
    raw: Any
    value: datetime | None
    error: str | None = None

    @classmethod
    def read(cls, raw: Any, field: str, parse: Callable[[Any], datetime] = parse_aware) -> DateTime:
        """``raw`` parsed with ``parse`` (:func:`parse_aware`, or :func:`parse_legacy` for an Open
        Badges 0.5/1.x DateTime); never raises."""
        try:
            return cls(field, raw, parse(raw))
        except ValueError as exc:
            return cls(field, raw, None, str(exc))

    @classmethod
    def numeric(cls, raw: Any, field: str) -> DateTime:
        """``raw`` read as a JWT NumericDate (seconds since the epoch, up to year 9999); never
        raises."""
        if isinstance(raw, bool) or not isinstance(raw, int | float) or not 0 <= raw <= _MAX_NUMERIC_DATE:
            return cls(field, raw, None, "not a NumericDate")
        try:
            return cls(field, raw, datetime.fromtimestamp(raw, UTC))
        except (ValueError, OverflowError, OSError):  # a fraction rounding past year 9999
            return cls(field, raw, None, "not a NumericDate")

    @classmethod
    def member(cls, node: Mapping[str, Any], field: str) -> DateTime | None:
        """``node[field]`` read as a date-time, or ``None`` when the member is absent."""
        return cls.read(node[field], field) if field in node else None

    @property
    def text(self) -> str | None:
        """The member as written, when it is a string."""
        return self.raw if isinstance(self.raw, str) else None

    @property
    def stamped(self) -> str | None:
        """:func:`stamp` of the value, when the member is written exactly so (the usual
        ``2025-01-09T15:20:02Z``; a parsed one holds ASCII digits): a message shows it as
        written, without formatting the value again. ``None`` otherwise."""
        raw = self.raw
        if (
            self.value is not None
            and type(raw) is str
            and len(raw) == 20
            and raw[19] == "Z"
            and raw[4] == raw[7] == "-"
            and raw[10] == "T"
            and raw[13] == raw[16] == ":"
        ):
            return raw
        return None

    @property
    def problem(self) -> str | None:
        """A sentence naming the member and why it is not a date-time (``None`` when it is)."""
        if self.error is None:
            return None
        return f"{self.field} is {repr(self.raw)[:60]}, {self.error}"
