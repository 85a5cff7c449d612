"""The oracle: what counts as a crash, a hang or a pass, for the fuzzer and the regression tests.

Bad input must end in a :class:`~badgekiln.errors.BadgeKilnError` (or a normal return). Every other
exception is a crash: a foreign exception that escaped translation, a ``TypeError``/``ValueError``
(documented only for bad *calls*, which no harness makes), ``RecursionError``, ``MemoryError``, or
an :class:`OracleViolation` a harness raises when a property fails (a bake that does not extract
to its payload, a handler answering 500, a fetch that reached the network). A case that takes
more than :data:`HANG_SECONDS` of CPU time is a hang; CPU time, not wall time, so that a shared,
loaded machine does not invent hangs.
"""

from __future__ import annotations

import hashlib
import socket
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

from badgekiln.errors import BadgeKilnError

__all__ = [
    "HANG_SECONDS",
    "NetworkReached",
    "OracleViolation",
    "Outcome",
    "forbid_network",
    "judge",
]

#: A case using more CPU time than this is a hang (issue #14: "a case over 2 s is a hang").
HANG_SECONDS: Final = 2.0
#: Source folders whose frames name a crash (the innermost frame in one of them is its location).
_OUR_CODE: Final = ("layers/badgekiln/", "functions/", "server/", "fuzz/")


class OracleViolation(AssertionError):
    """A property of the library failed (raised by a harness, so always a crash)."""


class NetworkReached(OracleViolation):
    """Something tried to open a socket or resolve a name: fuzzing runs offline."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one case did: ``passed`` (returned or raised a typed error), ``crash`` or ``hang``.

    ``error`` names the typed error (``MalformedImage:crc``) or the crash's exception;
    ``signature`` identifies a distinct crash (exception type and innermost frame of our code),
    ``trace`` is its traceback.
    """

    kind: Literal["passed", "crash", "hang"]
    cpu_seconds: float
    error: str | None = None
    signature: str | None = None
    trace: str | None = None

    @property
    def failed(self) -> bool:
        return self.kind != "passed"


def _location(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if any(part in f.filename for part in _OUR_CODE)] or frames
    if not ours:
        return "?"
    frame = ours[-1]
    where = frame.filename
    for part in _OUR_CODE:
        if part in where:
            where = part + where.split(part, 1)[1]
            break
    return f"{where}:{frame.name}:{frame.lineno}"


def judge(target: Callable[[bytes], object], data: bytes) -> Outcome:
    """Run ``target(data)`` once and judge it (module docstring)."""
    start = time.process_time()
    try:
        target(data)
    except BadgeKilnError as exc:
        cpu = time.process_time() - start
        if cpu > HANG_SECONDS:
            return Outcome("hang", cpu, _typed(exc), _hang_signature(exc), traceback.format_exc())
        return Outcome("passed", cpu, _typed(exc))
    except Exception as exc:
        cpu = time.process_time() - start
        signature = f"{type(exc).__name__}@{_location(exc)}"
        return Outcome("crash", cpu, f"{type(exc).__name__}: {exc}"[:500], signature, traceback.format_exc())
    cpu = time.process_time() - start
    if cpu > HANG_SECONDS:
        return Outcome("hang", cpu, None, "hang@returned", None)
    return Outcome("passed", cpu)


def _typed(exc: BadgeKilnError) -> str:
    return f"{type(exc).__name__}:{exc.reason}" if exc.reason else type(exc).__name__


def _hang_signature(exc: BadgeKilnError) -> str:
    return f"hang@{_typed(exc)}@{_location(exc)}"


def signature_id(signature: str) -> str:
    """A short stable name for a crash signature (artifact file names)."""
    return hashlib.sha256(signature.encode("utf-8")).hexdigest()[:10]


def save_case(folder: Path, prefix: str, data: bytes) -> Path:
    """Write ``data`` as ``folder/prefix-<sha1>`` (idempotent) and return the path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{prefix}-{hashlib.sha1(data, usedforsecurity=False).hexdigest()[:16]}"
    if not path.exists():
        path.write_bytes(data)
    return path


def forbid_network() -> None:
    """Make every socket connection and name lookup in this process raise :class:`NetworkReached`.

    The harnesses give the library in-memory documents and refusing transports; this is the
    backstop that proves nothing went around them.
    """

    def refuse(*args: object, **kwargs: object) -> None:
        raise NetworkReached(f"a fuzz case reached the network: {args[:2]!r}")

    socket.socket.connect = refuse  # type: ignore[method-assign]
    socket.socket.connect_ex = refuse  # type: ignore[method-assign,assignment]
    socket.getaddrinfo = refuse  # type: ignore[assignment]
    socket.gethostbyname = refuse  # type: ignore[assignment]
    socket.create_connection = refuse  # type: ignore[assignment]
