"""Events a pipeline subscribes to: a credential issued, revoked, suspended or reinstated; a
batch or an upload finished. On Amazon EventBridge (``BADGEKILN_EVENT_BUS``), or appended to a
JSON Lines file (``BADGEKILN_EVENTS_FILE``; ``-`` is standard error) by ``badgekiln serve``.

Every event has ``source`` :data:`SOURCE`, a ``detail-type`` of :data:`DETAIL_TYPES` and a
``detail`` whose ``version`` is :data:`SCHEMA_VERSION` (docs/events.md has the schema). A
credential event's ``detail.credential`` is what ``GET /issuers/{issuer}/credentials/{name}``
answers, without the recipient: events carry no personal data.

**Guarantee: best effort, after the durable write.** An event is sent only once what it reports
is stored (the credential record and documents; the status change; the batch's results), so a
subscriber never hears of something that is not there. Sending never fails the operation: the
entries EventBridge refuses as throttled or failed internally are sent again (:data:`ATTEMPTS`
times), and what still fails is logged whole (logger ``badgekiln.events``, level WARNING, the
entries as JSON) and counted (:func:`take_unpublished`; the functions emit it as the
``EventsNotPublished`` metric, alarmed). So an event can be lost, never invented; a retried
request can send one twice (the ``detail`` then repeats the same credential and state).
Reconcile with ``GET /issuers/{issuer}/credentials`` when every event matters.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final, Literal, Protocol, get_args

from badgekiln.issue.records import stamp

if TYPE_CHECKING:
    from badgekiln.issue.registry import CredentialView

__all__ = [
    "ATTEMPTS",
    "BUS_ENV",
    "DETAIL_TYPES",
    "FILE_ENV",
    "SCHEMA_VERSION",
    "SOURCE",
    "STATE_CHANGED",
    "Event",
    "EventBridgeSink",
    "JsonLinesSink",
    "Sink",
    "credential_event",
    "event_sink",
    "publish",
    "take_unpublished",
]

#: Environment variable naming the EventBridge bus (its name or ARN).
BUS_ENV: Final = "BADGEKILN_EVENT_BUS"
#: Environment variable naming a JSON Lines file events are appended to (``-``: standard error).
FILE_ENV: Final = "BADGEKILN_EVENTS_FILE"
#: The ``source`` of every event (EventBridge rules match on it).
SOURCE: Final = "badgekiln"
#: ``detail.version``: bumped only by a change that breaks a subscriber (fields are only added).
SCHEMA_VERSION: Final = 1
DetailType = Literal[
    "Credential Issued",
    "Credential Revoked",
    "Credential Suspended",
    "Credential Reinstated",
    "Batch Completed",
    "Upload Completed",
]
DETAIL_TYPES: Final[tuple[DetailType, ...]] = get_args(DetailType)
#: Times an entry EventBridge refused (throttled, internal failure) is sent in all.
ATTEMPTS: Final = 3
#: Entries per PutEvents request (EventBridge's limit).
_PER_REQUEST: Final = 10
_log = logging.getLogger("badgekiln.events")


@dataclass(frozen=True)
class Event:
    """One event: its ``detail_type`` and ``detail`` (JSON-ready; ``version`` and ``time`` are
    added when it is built with :meth:`of`)."""

    detail_type: DetailType
    detail: Mapping[str, Any]

    @classmethod
    def of(cls, detail_type: DetailType, detail: Mapping[str, Any], *, now: datetime | None = None) -> Event:
        """An event of ``detail_type`` happening ``now``, its detail versioned."""
        return cls(
            detail_type, {"version": SCHEMA_VERSION, "time": stamp(now or datetime.now(UTC)), **detail}
        )

    def to_dict(self) -> dict[str, Any]:
        """As a JSON Lines sink writes it (the members of an EventBridge event of the same name)."""
        return {"source": SOURCE, "detail-type": self.detail_type, "detail": dict(self.detail)}

    def entry(self, bus: str) -> dict[str, Any]:
        """The PutEvents entry for ``bus``."""
        return {
            "EventBusName": bus,
            "Source": SOURCE,
            "DetailType": self.detail_type,
            "Detail": json.dumps(self.detail, ensure_ascii=False, separators=(",", ":")),
        }


#: The detail-type of a credential's change to each state.
STATE_CHANGED: Final[Mapping[str, DetailType]] = {
    "revoked": "Credential Revoked",
    "suspended": "Credential Suspended",
    "active": "Credential Reinstated",
}


def credential_event(detail_type: DetailType, view: CredentialView) -> Event:
    """The event of ``view``'s credential: ``detail.credential`` is its read-back form, without
    the recipient; the time is when it happened (issued, or its state changed)."""
    credential = {k: v for k, v in view.to_dict().items() if k not in ("recipient", "recipient_type")}
    when = view.record.changed if detail_type != "Credential Issued" else view.record.issued
    return Event(
        detail_type,
        {
            "version": SCHEMA_VERSION,
            "time": when or view.record.issued,
            "issuer": view.issuer.slug,
            "credential": credential,
        },
    )


class Sink(Protocol):
    """Where events go. ``send`` returns those it could not send (after its own retries), or
    raises when the sending itself failed (none can be taken as sent)."""

    def send(self, events: Sequence[Event]) -> Sequence[Event]: ...


class EventBridgeSink:
    """PutEvents to one bus, ten entries a request; refused entries are sent again."""

    def __init__(self, bus: str, *, client: Any | None = None, pause: float = 0.1) -> None:
        self.bus = bus
        self._client = client
        self._pause = pause

    def _events(self) -> Any:
        if self._client is None:
            from badgekiln.extras import requires

            with requires("aws", "events on EventBridge"):
                from botocore.config import Config

            from badgekiln.awsclients import client

            config = Config(
                retries={"mode": "standard", "max_attempts": 3}, connect_timeout=5, read_timeout=10
            )
            self._client = client("events", config)
        return self._client

    def send(self, events: Sequence[Event]) -> list[Event]:
        """The events EventBridge still refused after :data:`ATTEMPTS`; a request that fails
        (botocore's errors) passes, unless some events were sent before it: then the events not
        yet sent are returned (the failure logged), not all of them reported unsent."""
        unsent: list[Event] = []
        for start in range(0, len(events), _PER_REQUEST):
            chunk = list(events[start : start + _PER_REQUEST])
            try:
                self._send_chunk(chunk)
            except Exception:
                if start == 0 and len(chunk) == min(len(events), _PER_REQUEST):
                    raise  # nothing was sent
                _log.warning("PutEvents failed after some events were sent", exc_info=True)
                return unsent + chunk + list(events[start + _PER_REQUEST :])
            unsent.extend(chunk)
        return unsent

    def _send_chunk(self, chunk: list[Event]) -> None:
        """Send ``chunk`` (ten at most), narrowing it in place to the events not accepted: after
        :data:`ATTEMPTS` those refused, or, when a request raises, those not yet sent."""
        for attempt in range(ATTEMPTS):
            answer = self._events().put_events(Entries=[event.entry(self.bus) for event in chunk])
            if not answer.get("FailedEntryCount"):
                chunk.clear()
                break
            # results answer the entries in order; a refused one has an ErrorCode
            results = answer.get("Entries") or [{"ErrorCode": "Unknown"}] * len(chunk)
            chunk[:] = [
                event for event, result in zip(chunk, results, strict=False) if result.get("ErrorCode")
            ]
            if attempt + 1 < ATTEMPTS:
                time.sleep(self._pause * 2**attempt)


class JsonLinesSink:
    """Append each event as one JSON line to a file (``-``: standard error); local use."""

    _lock: Final = threading.Lock()

    def __init__(self, path: str) -> None:
        self.path = path

    def send(self, events: Sequence[Event]) -> list[Event]:
        """Raises: OSError: the file could not be written."""
        text = "".join(json.dumps(e.to_dict(), ensure_ascii=False) + "\n" for e in events)
        with self._lock:
            if self.path == "-":
                sys.stderr.write(text)
                sys.stderr.flush()
                return []
            # O_APPEND: each write lands whole at the end, whoever else appends
            with open(self.path, "a", encoding="utf-8") as out:
                out.write(text)
        return []


def event_sink(environ: Mapping[str, str] | None = None) -> Sink | None:
    """The bus ``BADGEKILN_EVENT_BUS`` names, else the file ``BADGEKILN_EVENTS_FILE`` names,
    else ``None`` (no events: the CLI, a library user who set neither)."""
    env = environ if environ is not None else os.environ
    bus, path = env.get(BUS_ENV), env.get(FILE_ENV)
    if bus:
        return _bus(bus)
    if path:
        return JsonLinesSink(path)
    return None


@functools.lru_cache(maxsize=4)
def _bus(bus: str) -> EventBridgeSink:
    # one client per bus per process: reused by every later request of the execution environment
    return EventBridgeSink(bus)


_unpublished = [0]
_count_lock = threading.Lock()


def publish(events: Sequence[Event], *, sink: Sink | None = None) -> int:
    """Send ``events`` (best effort, see the module doc) to ``sink``, by default
    :func:`event_sink`'s; never raises. Returns how many could not be sent (logged whole, and
    counted for :func:`take_unpublished`)."""
    target = sink if sink is not None else event_sink()
    if target is None or not events:
        return 0
    try:
        unsent = list(target.send(events))
        why = "refused"
    except Exception as exc:  # any failure of the sink: the operation it reports has succeeded
        unsent, why = list(events), type(exc).__name__
    if unsent:
        _log.warning(
            "%d event(s) not published (%s): %s",
            len(unsent),
            why,
            json.dumps([e.to_dict() for e in unsent], ensure_ascii=False)[:200_000],
        )
        with _count_lock:
            _unpublished[0] += len(unsent)
    return len(unsent)


def take_unpublished() -> int:
    """The number of events :func:`publish` could not send since the last call (then zero)."""
    with _count_lock:
        count, _unpublished[0] = _unpublished[0], 0
    return count
