"""Issuer identity: what the issuer's identity rests on, once its key (or hosting) is tied to it.

The ``issuer`` check proves that the key or hosted copy belongs to the issuer *id*; it says
nothing about who is behind that id. A badge whose issuer is a ``did:key`` may call itself
"Harvard University" and still be valid. :func:`identify` says, for a report, what else the
id rests on, strongest first:

1. ``registry``: the issuer id is an entry of a trusted-issuer registry the deployment
   configured (:class:`IssuerRegistry`, the Digital Credentials Consortium's registry format:
   ``{"meta": {…}, "registry": {"<issuer id>": {"name", "url", "location"}}}``); registries are
   consulted in the order given, the first naming the issuer wins, as DCC's client does;
2. ``domain``: a domain vouches for it — a ``did:web`` (its document is served by that domain)
   or an ``https`` issuer URL (an OB 2.0/1.x profile, or an OB 3.0 issuer whose key the domain
   publishes); ``http`` is not enough: nothing authenticates the host;
3. ``key``: the caller pinned the issuer's key;
4. ``none``: nothing — the issuer's name is self-declared (``did:key``, ``did:jwk`` …), or the
   issuer check did not pass.

A deployment configures its registries in ``BADGEKILN_ISSUER_REGISTRIES``: a JSON list of
``{"name", "url"}`` (DCC's ``knownRegistries`` form; an https URL, fetched through the
verification's safe fetcher and kept :data:`REGISTRY_TTL` seconds) or ``{"name", "file"}``;
:func:`badgekiln.verify` consults them unless ``VerifyOptions.issuer_registries`` names others.

The answer is :class:`~badgekiln.verification.report.IssuerIdentity` on
``Report.issuer_identity`` (``to_dict()`` key ``issuer_identity``; docs/verification.md).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import os
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import unquote, urlsplit

from badgekiln.errors import BadgeKilnError, InputTooLarge, MalformedPayload
from badgekiln.verification.report import (
    PROOF_CHECKS,
    Check,
    IssuerIdentity,
    RegistryEntry,
    Report,
    Summary,
)

if TYPE_CHECKING:
    from badgekiln.fetch import Fetcher

__all__ = [
    "MAX_REGISTRY_BYTES",
    "MAX_REGISTRY_ENTRIES",
    "REGISTRIES_ENV",
    "REGISTRY_TTL",
    "IssuerRegistry",
    "Registries",
    "configured_registries",
    "identify",
    "identity_of",
    "load_registry",
    "with_identity",
]

REGISTRIES_ENV: Final = "BADGEKILN_ISSUER_REGISTRIES"
#: Seconds a configured registry is reused before it is read again (a failed read: a tenth).
REGISTRY_TTL: Final = 600.0
_log = logging.getLogger(__name__)
_cache: dict[tuple[str, str], tuple[float, IssuerRegistry | None]] = {}
_cache_lock = threading.Lock()

#: Largest registry document read (DCC's largest public registry is about 10 KB).
MAX_REGISTRY_BYTES: Final = 4 * 1024 * 1024
#: Issuers one registry may list.
MAX_REGISTRY_ENTRIES: Final = 50_000
_MAX_FIELD_CHARS: Final = 1000


def _text(value: Any, what: str, source: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > _MAX_FIELD_CHARS:
        raise MalformedPayload(
            f"the issuer registry {source}: {what} must be text of at most {_MAX_FIELD_CHARS} characters",
            reason="issuer-registry",
        )
    return value


@dataclass(frozen=True, slots=True)
class IssuerRegistry:
    """A trusted-issuer registry: its ``name`` (shown to people), where it came from
    (``source``: a URL or a file) and its entries by issuer id (a DID or URL)."""

    name: str
    entries: Mapping[str, RegistryEntry]
    source: str | None = None

    @classmethod
    def parse(cls, data: bytes, *, name: str, source: str | None = None) -> IssuerRegistry:
        """Read a registry in the DCC format (``{"meta": …, "registry": {id: entry}}``).

        Raises:
            MalformedPayload: ``reason="issuer-registry"``: not that format (or ``json``: not
                JSON at all).
            InputTooLarge: over :data:`MAX_REGISTRY_BYTES` or :data:`MAX_REGISTRY_ENTRIES`.
        """
        from badgekiln.strictjson import loads_strict

        where = source or name
        if len(data) > MAX_REGISTRY_BYTES:
            raise InputTooLarge(f"the issuer registry {where} is over {MAX_REGISTRY_BYTES} bytes")
        document = loads_strict(data, source=f"the issuer registry {where}")
        listed = document.get("registry") if isinstance(document, Mapping) else None
        if not isinstance(listed, Mapping):
            raise MalformedPayload(
                f"the issuer registry {where} is not a DCC registry (an object with a 'registry' map)",
                reason="issuer-registry",
            )
        if len(listed) > MAX_REGISTRY_ENTRIES:
            raise InputTooLarge(f"the issuer registry {where} lists over {MAX_REGISTRY_ENTRIES} issuers")
        entries: dict[str, RegistryEntry] = {}
        for issuer, entry in listed.items():
            if not isinstance(entry, Mapping):
                raise MalformedPayload(
                    f"the issuer registry {where}: the entry of {issuer[:80]!r} is not an object",
                    reason="issuer-registry",
                )
            entries[issuer] = RegistryEntry(
                name=_text(entry.get("name"), "name", where),
                url=_text(entry.get("url"), "url", where),
                location=_text(entry.get("location"), "location", where),
            )
        return cls(name=name, entries=MappingProxyType(entries), source=source)

    def entry(self, issuer_id: str) -> RegistryEntry | None:
        """The entry of ``issuer_id`` (its fragment ignored), or ``None``."""
        return self.entries.get(issuer_id) or self.entries.get(issuer_id.partition("#")[0])


def load_registry(
    location: str, *, name: str | None = None, fetcher: Fetcher | None = None
) -> IssuerRegistry:
    """The registry at ``location``: an ``https://`` URL (through ``fetcher``, the safe fetcher;
    a default one when ``None``) or a file path. ``name`` defaults to the location.

    Raises:
        FetchError: the URL could not be fetched.
        MalformedPayload, InputTooLarge: not a usable registry (see :meth:`IssuerRegistry.parse`).
        InvalidField: ``field="issuer-registry"``: the file cannot be read.
    """
    from badgekiln.errors import InvalidField

    if location.startswith(("https://", "http://")):
        from badgekiln.fetch import JSON_TYPES, Fetcher

        body = (fetcher or Fetcher()).get(location, accept=JSON_TYPES).body
    else:
        try:
            with Path(location).open("rb") as handle:
                body = handle.read(MAX_REGISTRY_BYTES + 1)
        except OSError as exc:
            raise InvalidField(
                f"the issuer registry {location} cannot be read: {exc.strerror or exc}",
                field="issuer-registry",
            ) from exc
    return IssuerRegistry.parse(body, name=name or location, source=location)


@functools.lru_cache(maxsize=4)  # a pure function of the variable's text, read on every verification
def _configured(raw: str) -> tuple[tuple[str, str], ...]:
    """(name, location) of each registry ``BADGEKILN_ISSUER_REGISTRIES`` lists.

    Raises:
        RuntimeError: not a JSON list of ``{"name", "url" or "file"}`` (a deployment error).
    """
    try:
        listed = json.loads(raw)
    except ValueError as exc:
        raise RuntimeError(f"{REGISTRIES_ENV} is not JSON: {exc}") from exc
    out: list[tuple[str, str]] = []
    for item in listed if isinstance(listed, list) else [None]:
        name = item.get("name") if isinstance(item, dict) else None
        location = (item.get("url") or item.get("file")) if isinstance(item, dict) else None
        if not isinstance(name, str) or not name or not isinstance(location, str) or not location:
            raise RuntimeError(f'{REGISTRIES_ENV} must be a JSON list of {{"name", "url" or "file"}} objects')
        out.append((name, location))
    return tuple(out)


def configured_registries(fetcher: Fetcher) -> tuple[IssuerRegistry, ...]:
    """The registries ``BADGEKILN_ISSUER_REGISTRIES`` configures, read through ``fetcher`` (a
    URL) or from their file, each kept :data:`REGISTRY_TTL` seconds. One that cannot be read is
    left out (and logged) until it is tried again.

    Raises:
        RuntimeError: the variable is malformed.
    """
    raw = os.environ.get(REGISTRIES_ENV, "").strip()
    if not raw:
        return ()
    registries: list[IssuerRegistry] = []
    for name, location in _configured(raw):
        now = time.monotonic()
        with _cache_lock:
            cached = _cache.get((name, location))
        if cached is not None and cached[0] > now:
            registry = cached[1]
        else:
            try:
                registry = load_registry(location, name=name, fetcher=fetcher)
                ttl = REGISTRY_TTL
            except BadgeKilnError as exc:
                _log.warning("issuer registry %s (%s) not read: %s", name, location, exc.message)
                registry, ttl = None, REGISTRY_TTL / 10
            with _cache_lock:
                _cache[(name, location)] = (now + ttl, registry)
        if registry is not None:
            registries.append(registry)
    return tuple(registries)


class Registries:
    """The registries one verification's reports consult: those its options name, else those
    the deployment configures (:func:`configured_registries`), read when its first report is
    built (after the badge itself has been read) and shared by all its reports."""

    __slots__ = ("_fetcher", "_found")

    def __init__(self, given: tuple[IssuerRegistry, ...] | None, fetcher: Fetcher) -> None:
        self._found = given
        self._fetcher = fetcher

    def get(self) -> tuple[IssuerRegistry, ...]:
        """The registries (read on the first call).

        Raises:
            RuntimeError: ``BADGEKILN_ISSUER_REGISTRIES`` is malformed.
        """
        found = self._found
        if found is None:
            found = self._found = configured_registries(self._fetcher)
        return found


# --- identity -------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1024)  # a pure function of the id: an issuer's badges all ask it
def _domain_of(issuer_id: str) -> tuple[str | None, str]:
    """(domain vouching for ``issuer_id`` or ``None``, why not)."""
    if issuer_id.startswith("did:web:"):
        host = unquote(issuer_id.removeprefix("did:web:").partition("#")[0].split(":", 1)[0])
        return (host.lower(), "") if host else (None, "the did:web names no domain")
    if issuer_id.startswith("did:"):
        method = issuer_id.split(":", 2)[1]
        return None, f"a did:{method} issuer names only a key, not an organisation"
    try:
        parts = urlsplit(issuer_id)
    except ValueError:
        return None, "the issuer id is not a usable URL"
    if parts.scheme == "https" and parts.hostname:
        return (parts.netloc.rpartition("@")[2].lower(), "")
    if parts.scheme == "http":
        return None, "the issuer's profile is served over plain http, which authenticates no domain"
    return None, "the issuer id is neither a did:web nor an https URL"


def identify(
    report: Report, registries: Iterable[IssuerRegistry] = (), *, pinned: bool = False
) -> IssuerIdentity:
    """What the issuer identity of ``report`` rests on (``pinned``: the caller pinned the key)."""
    return identity_of(report.checks, report.credential, registries, pinned=pinned)


def identity_of(
    checks: tuple[Check, ...],
    credential: Summary | None,
    registries: Iterable[IssuerRegistry] = (),
    *,
    pinned: bool = False,
) -> IssuerIdentity:
    """:func:`identify` of a report still being built: its checks and its summary."""
    issuer_id = credential.issuer.get("id") if credential is not None else None
    tied: bool | None = None  # the (first) issuer check passed, or warned
    proven = False  # a proof check passed, or warned
    for check in checks:  # one pass for both
        if check.id == "issuer":
            if tied is None:
                tied = check.status in ("passed", "warning")
        elif check.id in PROOF_CHECKS and check.status in ("passed", "warning"):
            proven = True
    if not tied or not proven:
        return IssuerIdentity(
            "none",
            issuer_id,
            message="issuer identity not verified: the badge's key or hosting is not tied to its issuer",
        )
    if issuer_id is None:
        return IssuerIdentity(
            "none", None, message="issuer identity not verified: the badge names no issuer id"
        )
    domain, why_not = _domain_of(issuer_id)
    for registry in registries:
        entry = registry.entry(issuer_id)
        if entry is not None:
            named = f": {entry.name}" if entry.name else ""
            return IssuerIdentity(
                "registry",
                issuer_id,
                domain=domain,
                registry=registry.name,
                registered=entry,
                message=f"issuer identity confirmed by the registry {registry.name}{named}",
            )
    if pinned:
        return IssuerIdentity(
            "key", issuer_id, domain=domain, message="issuer identity rests on the key the caller pinned"
        )
    if domain is not None:
        return IssuerIdentity(
            "domain", issuer_id, domain=domain, message=f"issuer identity confirmed for {domain}"
        )
    return IssuerIdentity(
        "none",
        issuer_id,
        message=f"issuer identity not verified: the issuer's name is self-declared ({why_not})",
    )


def with_identity(
    report: Report, registries: Iterable[IssuerRegistry] = (), *, pinned: bool = False
) -> Report:
    """``report`` (and each endorsement and CLR sub-report, whose issuer is their own) with its
    :class:`~badgekiln.verification.report.IssuerIdentity`. A pinned key is the main issuer's:
    endorsers are judged without it. (:func:`badgekiln.verify` gives each report its identity as
    the report is built, :meth:`~badgekiln.verification._session.Checks.report`; this is for a
    report built otherwise.)"""
    chosen = registries if type(registries) is tuple else tuple(registries)
    endorsements = tuple([with_identity(sub, chosen) for sub in report.endorsements])
    credentials = tuple([with_identity(sub, chosen) for sub in report.credentials])
    identity = identify(report, chosen, pinned=pinned)
    # replace, not Report(...) field by field: a field added to Report later cannot be dropped
    # here (the ~1 µs replace costs more per report is nothing beside a verification)
    return dataclasses.replace(
        report, endorsements=endorsements, credentials=credentials, issuer_identity=identity
    )
