"""The fetcher: policy checks, pinned documents, redirects, content types and the HTTP cache."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from types import MappingProxyType
from typing import Any
from urllib.parse import urljoin

from badgekiln.errors import FetchError, FetchFailed, FetchRefused, InputError
from badgekiln.fetch._cache import FetchCache, Stored, store
from badgekiln.fetch._media import JSON_TYPES, JWT_TYPES, accept_header, check_accept, matches, media_type
from badgekiln.fetch._policy import FetchPolicy, check_max_bytes
from badgekiln.fetch._response import FetchResponse
from badgekiln.fetch._transport import Transport, TransportRequest, TransportResponse
from badgekiln.fetch._url import Target, check_target, parse_url
from badgekiln.files import read_input
from badgekiln.masking import redact_for_log

__all__ = ["Fetcher"]

_log = logging.getLogger("badgekiln.fetch")

#: Statuses whose Location is followed (as a GET); other 3xx answers are failures.
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _pin_table(documents: Mapping[str, bytes] | None) -> dict[str, bytes]:
    table: dict[str, bytes] = {}
    for url, body in (documents or {}).items():
        if not isinstance(body, bytes):
            raise TypeError(f"pinned document for {url!r} must be bytes, not {type(body).__name__}")
        try:
            canonical = parse_url(url).url
        except FetchRefused as exc:
            raise ValueError(f"cannot pin {url!r}: {exc.message}") from exc
        if canonical in table:
            raise ValueError(f"{url!r} is pinned twice")
        table[canonical] = body
    return table


def _mount_table(mounts: Mapping[str, Transport] | None) -> tuple[tuple[str, Transport], ...]:
    table: dict[str, Transport] = {}
    for url, transport in (mounts or {}).items():
        try:
            canonical = parse_url(url).url
        except FetchRefused as exc:
            raise ValueError(f"cannot mount {url!r}: {exc.message}") from exc
        table[canonical] = transport
    # the longest prefix first: a mount below another one wins
    return tuple(sorted(table.items(), key=lambda item: -len(item[0])))


class _Same:
    """A cache-key part that compares by identity and keeps its object alive (an ``id`` alone
    could be reused by a later transport and hand it another one's answers)."""

    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value

    def __hash__(self) -> int:
        return id(self.value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Same) and other.value is self.value


def _pinned_type(body: bytes, accept: Sequence[str]) -> str:
    """Content type of a pinned document: PNG and SVG by their first bytes, a compact JWS (its
    header is base64url of ``{"``: ``eyJ``) as the JWT type asked for, JSON otherwise."""
    if body.startswith(_PNG_SIGNATURE):
        return "image/png"
    start = body.lstrip()[:3]
    if start[:1] == b"<":
        return "image/svg+xml"
    if start == b"eyJ":
        jwt = next((e for e in accept if e in JWT_TYPES), None)
        if jwt is not None:
            return jwt
    return next((e for e in accept if e.endswith("json") and "*" not in e), "application/json")


class Fetcher:
    """The one door to the network: every URL badgekiln dereferences goes through ``get``.

    ``documents`` pins answers by URL (fragment ignored): they are served even offline and never
    touch the network. ``transport`` replaces the network (tests); by default requests with
    requests-hardened is used, imported on the first real fetch. ``mounts`` hands URLs to other
    transports, as httpx's do: a key ending in ``/`` takes every URL below it, any other key that
    one URL (both canonicalised, query strings included). A mounted transport must not touch the
    network (it answers from the store, say), so mounted URLs skip the address, scheme and port
    rules and are served offline too; everything else, redirects included, obeys the policy.
    Answers are cached as HTTP says (``Cache-Control``, ``Expires``, ``ETag``; see
    :class:`~badgekiln.fetch.FetchCache`), each hop of a redirect chain on its own and under the
    transport that gave it, so a cached hop is re-checked like a fetched one; ``cache`` shares
    one cache between fetchers (a process-wide one, say), otherwise the fetcher keeps its own
    of ``policy.cache_entries`` entries, whose ``clock`` (monotonic seconds) tests may replace.
    A Fetcher is safe to share between threads.

    Example::

        fetcher = Fetcher()
        profile = fetcher.get_json("https://issuer.example/profile")

    Raises:
        TypeError: ``policy`` is not a :class:`FetchPolicy`, ``cache`` not a
            :class:`~badgekiln.fetch.FetchCache`, or a pinned body is not bytes.
        ValueError: a pinned or mounted URL is not an absolute http(s) URL, or is pinned twice;
            ``clock`` is given with a shared ``cache`` (the cache has its own).
    """

    def __init__(
        self,
        policy: FetchPolicy = FetchPolicy(),  # noqa: B008  # frozen, so one shared default is safe
        *,
        documents: Mapping[str, bytes] | None = None,
        transport: Transport | None = None,
        mounts: Mapping[str, Transport] | None = None,
        clock: Callable[[], float] | None = None,
        cache: FetchCache | None = None,
    ) -> None:
        if not isinstance(policy, FetchPolicy):
            raise TypeError(f"policy must be a FetchPolicy, not {type(policy).__name__}")
        if cache is not None and not isinstance(cache, FetchCache):
            raise TypeError(f"cache must be a FetchCache, not {type(cache).__name__}")
        if cache is not None and clock is not None:
            raise ValueError("clock drives the fetcher's own cache; a shared cache keeps its own clock")
        self._policy = policy
        self._documents = MappingProxyType(_pin_table(documents))
        self._pinned_responses: dict[tuple[str, tuple[str, ...]], FetchResponse] = {}
        self._mounts = _mount_table(mounts)
        self._transport = transport
        self._lock = threading.Lock()
        if cache is None:
            cache = FetchCache(entries=policy.cache_entries, clock=clock or time.monotonic)
        self._cache = cache

    @classmethod
    def from_document_files(
        cls,
        pairs: Iterable[str],
        policy: FetchPolicy = FetchPolicy(),  # noqa: B008
        *,
        transport: Transport | None = None,
        mounts: Mapping[str, Transport] | None = None,
    ) -> Fetcher:
        """A fetcher pinning each ``URL=PATH`` pair (as the CLI's ``--document`` passes them),
        with ``mounts`` as the constructor takes them.

        The pair is split at its last ``=``, so the URL may carry a query string and the path may
        not contain ``=``. Each file is read whole, up to ``policy.max_bytes``.

        Raises:
            InputError: a pair is not ``URL=PATH``, its URL is not an absolute http(s) URL, a URL is
                pinned twice, or the file cannot be read.
            InputTooLarge: a file is larger than ``policy.max_bytes``.
        """
        if isinstance(pairs, str):
            raise TypeError("pairs must be an iterable of 'URL=PATH' strings, not one string")
        documents: dict[str, bytes] = {}
        for pair in pairs:
            url, sep, path = pair.rpartition("=")
            if not sep or not url or not path:
                raise InputError(f"--document {pair!r}: expected URL=PATH", field="document")
            try:
                canonical = parse_url(url).url
            except FetchRefused as exc:
                raise InputError(
                    f"--document {pair!r}: {exc.message}", field="document", reason=exc.reason
                ) from exc
            if canonical in documents:
                raise InputError(f"--document {pair!r}: {url} is pinned twice", field="document")
            documents[canonical] = read_input(path, limit=policy.max_bytes)
        return cls(policy, documents=documents, transport=transport, mounts=mounts)

    @property
    def policy(self) -> FetchPolicy:
        """The policy every fetch obeys."""
        return self._policy

    @property
    def documents(self) -> Mapping[str, bytes]:
        """The pinned documents, by canonical URL (read-only)."""
        return self._documents

    def pinned(self, url: str) -> bytes | None:
        """The body pinned for ``url`` (compared in canonical form, fragment ignored), or
        ``None``; never fetches. A URL the fetcher could never request is pinned by nothing."""
        if not self._documents:
            return None
        try:
            canonical = parse_url(url).url
        except FetchRefused:
            return None
        return self._documents.get(canonical)

    def serves_locally(self, url: str) -> bool:
        """Whether ``url`` is answered by a mounted transport (this deployment's own documents,
        from its store), so fetching it never touches a network: a key there may be trusted on
        plain http (:func:`badgekiln.proofs.did.resolve_verification_method`)."""
        try:
            return self._mounted(parse_url(url.partition("#")[0])) is not None
        except FetchRefused:
            return False

    def get(
        self, url: str, *, accept: Sequence[str] = JSON_TYPES, max_bytes: int | None = None
    ) -> FetchResponse:
        """Fetch ``url`` (or its pinned document) and return the 2xx response.

        ``accept`` is both the Accept header and the allow-list of response media types;
        ``max_bytes`` overrides the policy's body cap for this call.

        Raises:
            TypeError, ValueError: ``accept`` or ``max_bytes`` is unusable (a bad call).
            FetchRefused: ``reason`` is ``url``, ``scheme``, ``userinfo``, ``port``, ``address``,
                ``offline`` or ``redirect`` (a redirect to a refused target; ``cause`` says why).
            FetchFailed: ``reason`` is ``dns``, ``connect``, ``tls``, ``timeout``, ``protocol``,
                ``status`` (``status`` holds the HTTP code, e.g. 410), ``too-many-redirects``,
                ``content-type`` or ``too-large``.
        """
        if max_bytes is None and type(url) is str and type(accept) is tuple:
            # the usual read of a pinned document, asked for by its canonical URL: the answer
            # made for it before (the pin's checks passed then), if the cap still admits it
            known = self._pinned_responses.get((url, accept))
            if known is not None and len(known.body) <= self._policy.max_bytes:
                return known
        accepted = check_accept(accept)
        if max_bytes is None:
            limit = self._policy.max_bytes  # checked when the (frozen) policy was made
        else:
            check_max_bytes(max_bytes)
            limit = max_bytes
        target = parse_url(url)
        pinned = self._pinned(target.url, accepted, limit, requested=url)
        if pinned is not None:
            return pinned
        if self._policy.offline and self._mounted(target) is None:
            raise _offline(target.url, url)
        try:
            self._check(target)
            return self._follow(target, accepted, limit, requested=url)
        except FetchRefused as exc:
            if exc.reason in ("address", "redirect"):
                _log.warning("%s", redact_for_log(exc.message))
            raise

    def get_json(self, url: str, *, accept: Sequence[str] = JSON_TYPES) -> Any:
        """``get(url, accept=accept).json()``: the document as strict JSON.

        Raises:
            FetchRefused, FetchFailed: as :meth:`get`.
            MalformedPayload: the body is not strict UTF-8 JSON.
            InputTooLarge: it nests too deeply.
        """
        return self.get(url, accept=accept).json()

    @property
    def cache(self) -> FetchCache:
        """The cache this fetcher reads and fills (shared with others or its own)."""
        return self._cache

    def clear_cache(self) -> None:
        """Forget every cached response, also for fetchers sharing the cache (pins stay)."""
        self._cache.clear()

    # --- internals ------------------------------------------------------------------------------

    def _mounted(self, target: Target) -> Transport | None:
        for prefix, transport in self._mounts:
            if target.url == prefix or (prefix.endswith("/") and target.url.startswith(prefix)):
                return transport
        return None

    def _check(self, target: Target) -> None:
        if self._mounted(target) is not None:
            return  # never reaches the network: the policy's address rules do not apply
        policy = self._policy
        check_target(
            target, allow_http=policy.allow_http, allow_loopback=policy.allow_loopback, ports=policy.ports
        )

    def _pinned(
        self, canonical: str, accept: tuple[str, ...], limit: int, *, requested: str
    ) -> FetchResponse | None:
        body = self._documents.get(canonical)
        if body is None:
            return None
        key = (canonical, accept)
        response = self._pinned_responses.get(key)
        if response is None or len(body) > limit:
            content_type = _pinned_type(body, accept)
            self._check_answer(requested, canonical, content_type, size=len(body), accept=accept, limit=limit)
            response = FetchResponse(
                canonical, 200, content_type, MappingProxyType({"content-type": content_type}), body
            )
            # only answers of an accepted type, at most one per pinned URL and accept list the
            # caller uses (bounded by the pins): a remembered one needs only the size check above
            self._pinned_responses[key] = response
        return response

    def _transport_for(self, target: Target, requested: str) -> Transport:
        mounted = self._mounted(target)
        if mounted is not None:
            return mounted
        if self._policy.offline:  # a mounted transport redirected to the network
            raise _offline(target.url, requested)
        return self._network()

    def _network(self) -> Transport:
        with self._lock:
            if self._transport is None:
                from badgekiln.fetch._requests import network_transport

                self._transport = network_transport()
            return self._transport

    def _follow(
        self, target: Target, accept: tuple[str, ...], limit: int, *, requested: str
    ) -> FetchResponse:
        policy = self._policy
        deadline = time.monotonic() + policy.total_timeout
        headers = MappingProxyType(
            {"user-agent": policy.user_agent, "accept": accept_header(accept), "accept-encoding": "identity"}
        )
        redirects = 0
        while True:
            if time.monotonic() >= deadline:
                raise FetchFailed(
                    f"fetching {requested} took longer than {policy.total_timeout} s",
                    url=requested,
                    reason="timeout",
                )
            request = TransportRequest(
                url=target.url,
                headers=headers,
                max_bytes=limit,
                connect_timeout=policy.connect_timeout,
                read_timeout=policy.read_timeout,
                deadline=deadline,
                allow_loopback=policy.allow_loopback,
            )
            try:
                transport = self._transport_for(target, requested)
                # everything that decided this answer's safety: who gave it, under which address
                # rule, for which URL and headers (the Vary-able ones: all we send)
                key = (_Same(transport), policy.allow_loopback, target.url, tuple(sorted(headers.items())))
                answer, entry, parsed = self._ask(transport, key, request)
            except FetchRefused as exc:
                if redirects == 0:
                    raise
                raise _redirect_refused(requested, target.url, exc) from exc
            fields = {name.lower(): value for name, value in answer.headers.items()}
            location = fields.get("location")
            if answer.status in _REDIRECTS and location:
                if redirects == policy.max_redirects:
                    raise FetchFailed(
                        f"{requested} redirected more than {policy.max_redirects} times",
                        url=requested,
                        reason="too-many-redirects",
                        limit=policy.max_redirects,
                    )
                redirects += 1
                target = self._redirect_target(requested, target, location)
                self._keep(key, entry)  # only once its target passed: no cached road to a refusal
                pinned = self._pinned(target.url, accept, limit, requested=requested)
                if pinned is not None:
                    return pinned
                continue
            if not 200 <= answer.status < 300:
                raise FetchFailed(
                    f"{target.url} answered HTTP {answer.status}",
                    url=requested,
                    reason="status",
                    status=answer.status,
                    final_url=target.url if target.url != requested else None,
                )
            content_type = media_type(fields.get("content-type"))
            self._check_answer(
                requested, target.url, content_type, size=len(answer.body), accept=accept, limit=limit
            )
            self._keep(key, entry)
            return FetchResponse(
                target.url, answer.status, content_type, MappingProxyType(fields), answer.body, parsed
            )

    def _ask(
        self, transport: Transport, key: tuple[Any, ...], request: TransportRequest
    ) -> tuple[TransportResponse, Stored | None, list[Any]]:
        """One hop: a fresh cached answer, or the transport's (revalidating a stale one); the
        entry to keep once the answer passed the fetcher's checks (``None``: nothing to keep);
        and the slot its parse goes in (a cache entry's, shared by every read of it)."""
        cache = self._cache
        caching = cache.enabled and self._policy.cache_ttl > 0
        stored = cache.get(key) if caching else None
        if stored is not None and stored.fresh(cache.now(), cap=self._policy.cache_ttl):
            return _answer_of(stored), None, stored.parsed
        if stored is not None and stored.validators:
            conditional = MappingProxyType({**request.headers, **stored.validators})
            sent = cache.now()
            try:
                answer = transport.handle(replace(request, headers=conditional))
            except FetchError:
                cache.discard(key)  # whatever it was, it cannot be vouched for now
                raise
            if answer.status == 304:
                renewed = stored.freshened(answer.headers, sent=sent, now=cache.now())
                if renewed is not None:
                    return _answer_of(renewed), renewed, renewed.parsed
            cache.discard(key)
            if answer.status != 304:
                return _stored(answer, sent=sent, now=cache.now())
            # a 304 for another representation than the stored one: ask without conditions
        elif stored is not None:
            cache.discard(key)
        sent = cache.now()
        answer = transport.handle(request)
        if not caching:
            return answer, None, []
        return _stored(answer, sent=sent, now=cache.now())

    def _keep(self, key: tuple[Any, ...], entry: Stored | None) -> None:
        if entry is not None:
            self._cache.put(key, entry)

    def _redirect_target(self, requested: str, current: Target, location: str) -> Target:
        try:
            target = parse_url(urljoin(current.url, location.strip()))
            self._check(target)
        except ValueError as exc:  # urljoin on a malformed Location
            raise FetchRefused(
                f"refused to follow the redirect from {current.url}: malformed Location {location[:200]!r}",
                url=requested,
                reason="redirect",
                cause="url",
            ) from exc
        except FetchRefused as exc:
            raise _redirect_refused(requested, current.url, exc) from exc
        return target

    @staticmethod
    def _check_answer(
        requested: str, final: str, content_type: str, *, size: int, accept: tuple[str, ...], limit: int
    ) -> None:
        if not matches(content_type, accept):
            raise FetchFailed(
                f"{final} is served as {content_type or 'no valid content type'!r}, "
                f"not one of {', '.join(accept)}",
                url=requested,
                reason="content-type",
                content_type=content_type or None,
            )
        if size > limit:
            raise FetchFailed(
                f"{final} is larger than {limit} bytes", url=requested, reason="too-large", limit=limit
            )


def _answer_of(entry: Stored) -> TransportResponse:
    return TransportResponse(entry.status, entry.headers, entry.body)


def _stored(
    answer: TransportResponse, *, sent: float, now: float
) -> tuple[TransportResponse, Stored | None, list[Any]]:
    entry = store(answer.status, answer.headers, answer.body, sent=sent, now=now)
    return answer, entry, [] if entry is None else entry.parsed


def _offline(target: str, requested: str) -> FetchRefused:
    return FetchRefused(
        f"refused to fetch {target}: offline mode forbids network access "
        "(pin the document instead, e.g. --document URL=PATH)",
        url=requested,
        reason="offline",
    )


def _redirect_refused(requested: str, source: str, exc: FetchRefused) -> FetchRefused:
    return FetchRefused(
        f"refused to follow the redirect from {source}: {exc.message}",
        url=requested,
        reason="redirect",
        cause=exc.reason,
        location=exc.details.get("url"),
    )
