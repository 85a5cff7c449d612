"""What the fetcher is allowed to do: one frozen value, strict by default."""

from __future__ import annotations

import math
from dataclasses import dataclass

from badgekiln._version import __version__

__all__ = [
    "DEFAULT_MAX_BYTES",
    "HARD_MAX_BYTES",
    "MAX_REDIRECTS_LIMIT",
    "USER_AGENT",
    "FetchPolicy",
]

#: Default body cap (bytes). Assertions, profiles, DID documents, key sets and status lists are a
#: few KiB; 1 MiB leaves room for large status lists while bounding memory per fetch.
DEFAULT_MAX_BYTES = 1 << 20
#: No policy or call may raise the cap above this (bytes): 64 MiB is the CLI's own input cap, and
#: a Lambda holding several such bodies still fits its memory.
HARD_MAX_BYTES = 64 << 20
#: Redirect budgets above this are refused as a bad configuration (RFC 9110 suggests 5 at most
#: for loop detection; every hop costs a resolution, a connection and a policy check).
MAX_REDIRECTS_LIMIT = 10
#: Fixed User-Agent: issuers can identify verification traffic, and nothing about the caller leaks.
USER_AGENT = f"badgekiln/{__version__} (+https://github.com/badgekiln)"


@dataclass(frozen=True, slots=True)
class FetchPolicy:
    """Limits and permissions for :class:`~badgekiln.fetch.Fetcher`; derive variants with ``replace``.

    ``allow_loopback`` is for tests that run a server on 127.0.0.1: it admits 127.0.0.0/8 and
    ``::1`` (and plain http to them), never link-local, private or any other local range.
    ``ports`` optionally restricts destination ports (``None`` allows any). ``cache_ttl`` caps
    how long a cached answer is used without asking the server again, whatever its
    ``Cache-Control`` allows (0 turns caching off); ``cache_entries`` sizes a fetcher's own cache
    (a shared :class:`~badgekiln.fetch.FetchCache` has its own bounds).

    Raises:
        ValueError: a limit is out of range (zero or negative caps or timeouts, a cap above
            :data:`HARD_MAX_BYTES`, more than :data:`MAX_REDIRECTS_LIMIT` redirects …).
    """

    allow_http: bool = False
    allow_loopback: bool = False
    max_bytes: int = DEFAULT_MAX_BYTES
    connect_timeout: float = 3.0
    read_timeout: float = 5.0
    total_timeout: float = 10.0
    max_redirects: int = 3
    offline: bool = False
    cache_ttl: float = 300.0
    cache_entries: int = 256
    user_agent: str = USER_AGENT
    ports: frozenset[int] | None = None

    def __post_init__(self) -> None:
        check_max_bytes(self.max_bytes)
        for name in ("connect_timeout", "read_timeout", "total_timeout"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or not (0 < value < math.inf):
                raise ValueError(f"{name} must be a positive finite number of seconds, not {value!r}")
        if not isinstance(self.max_redirects, int) or not 0 <= self.max_redirects <= MAX_REDIRECTS_LIMIT:
            raise ValueError(f"max_redirects must be between 0 and {MAX_REDIRECTS_LIMIT}")
        if not isinstance(self.cache_ttl, int | float) or not 0 <= self.cache_ttl < math.inf:
            raise ValueError("cache_ttl must be a finite number of seconds >= 0 (0 disables the cache)")
        if not isinstance(self.cache_entries, int) or self.cache_entries < 0:
            raise ValueError("cache_entries must be an int >= 0 (0 disables the cache)")
        if not self.user_agent.isprintable() or not self.user_agent.isascii() or not self.user_agent:
            raise ValueError("user_agent must be non-empty printable ASCII")
        if self.ports is not None and not all(isinstance(p, int) and 0 < p < 65536 for p in self.ports):
            raise ValueError("ports must be a frozenset of TCP ports (1-65535)")


def check_max_bytes(value: int) -> None:
    """Refuse a body cap that is not an int in ``1..HARD_MAX_BYTES`` (``ValueError``)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= HARD_MAX_BYTES:
        raise ValueError(f"max_bytes must be an int between 1 and {HARD_MAX_BYTES}, not {value!r}")
