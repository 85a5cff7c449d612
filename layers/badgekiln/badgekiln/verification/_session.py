"""One verification in progress: its options, its clock, and the checks collected so far.

Checks raise; only this collector turns what they raise into :class:`~badgekiln.verification.report.Check`
results. A check that could not run because the network is off (or a pinned document is
missing) is *skipped*, never passed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime
from typing import Any, Final

from badgekiln.errors import BadgeKilnError, FetchRefused, UnsupportedAlgorithm
from badgekiln.fetch import JSON_TYPES, Fetcher, FetchResponse
from badgekiln.jsonld.loader import PinnedContexts
from badgekiln.keys.signer import PublicKey
from badgekiln.verification.identity import Registries, identity_of, with_identity
from badgekiln.verification.options import VerifyOptions
from badgekiln.verification.report import CHECK_IDS, Check, CheckStatus, InputFormat, Report, Spec, Summary

__all__ = ["Checks", "Reads", "Session", "is_offline_refusal", "record_endorsements"]

# worse first: a second finding for the same check id can only make it worse
_SEVERITY: Final[Mapping[str, int]] = {"passed": 0, "warning": 1, "skipped": 2, "failed": 3}
#: Longest message kept in a check: details beyond it help nobody reading a report.
_MAX_MESSAGE_CHARS: Final = 600
#: Documents one verification remembers (its endorsements and a CLR's credentials included);
#: past this a document is fetched again (through the fetcher and its cache) rather than kept.
MAX_READS: Final = 256


def is_offline_refusal(exc: BaseException) -> bool:
    """Whether ``exc`` (or the fetch error it wraps) is the fetcher refusing to go online."""
    if isinstance(exc, FetchRefused):
        return exc.reason == "offline"
    if isinstance(exc, BadgeKilnError) and "offline" in (
        exc.details.get("cause"),
        exc.details.get("cause_reason"),
    ):
        return True
    cause = exc.__cause__
    depth = 0
    while cause is not None and depth < 8:  # bounded: causes chain a few levels at most
        if isinstance(cause, FetchRefused) and cause.reason == "offline":
            return True
        cause, depth = cause.__cause__, depth + 1
    return False


def _clip(message: str) -> str:
    if len(message) <= _MAX_MESSAGE_CHARS and "\n" not in message and "  " not in message:
        return message  # the common case: one short line already
    text = " ".join(message.split())
    return text if len(text) <= _MAX_MESSAGE_CHARS else text[: _MAX_MESSAGE_CHARS - 1] + "…"


class Checks:
    """Collects one result per check id; a later finding for an id keeps the worse status.

    Conformance deviations (:meth:`deviation`) are also kept one by one for the report's
    ``conformance`` section; ``strict`` makes them failures instead of warnings. With
    ``registries`` the report carries its issuer identity (``pinned``: the caller's pinned key
    applies to it).
    """

    def __init__(
        self, *, strict: bool = False, registries: Registries | None = None, pinned: bool = False
    ) -> None:
        self._items: dict[str, Check] = {}
        self._deviations: list[Check] = []
        self.strict = strict
        self._registries = registries
        self._pinned = pinned

    def add(self, check_id: str, status: CheckStatus, message: str, code: str | None = None) -> None:
        """Record a finding (merged with an earlier one for the same id)."""
        new = Check(check_id, status, _clip(message), code)
        old = self._items.get(check_id)
        if old is None:
            self._items[check_id] = new
            return
        worse, other = (new, old) if _SEVERITY[status] > _SEVERITY[old.status] else (old, new)
        message = (
            worse.message if other.message in worse.message else _clip(f"{worse.message}; {other.message}")
        )
        self._items[check_id] = Check(check_id, worse.status, message, worse.code)

    def passed(self, check_id: str, message: str) -> None:
        self.add(check_id, "passed", message)

    def warning(self, check_id: str, message: str, code: str | None = None) -> None:
        self.add(check_id, "warning", message, code)

    def failed(self, check_id: str, message: str, code: str | None = None) -> None:
        self.add(check_id, "failed", message, code)

    def skipped(self, check_id: str, message: str, code: str | None = None) -> None:
        self.add(check_id, "skipped", message, code)

    def deviation(self, check_id: str, message: str, code: str) -> None:
        """Record a conformance deviation: one that does not bear on authenticity, the issuer
        tie, the validity window, status or the recipient (docs/verification.md lists them). A
        warning on ``check_id``, or a failure in strict mode."""
        status: CheckStatus = "failed" if self.strict else "warning"
        self._deviations.append(Check(check_id, status, _clip(message), code))
        self.add(check_id, status, message, code)

    def error(self, check_id: str, exc: BadgeKilnError, prefix: str = "") -> None:
        """Record what a check raised: skipped when only the network was missing or the proof is
        of a suite badgekiln does not verify (nothing was checked), else failed."""
        text = f"{prefix}{exc.message}" if prefix else exc.message
        if is_offline_refusal(exc):
            self.skipped(check_id, f"not checked: {text}", "offline")
        elif isinstance(exc, UnsupportedAlgorithm) and exc.reason == "cryptosuite":
            self.skipped(check_id, text, "cryptosuite")
        else:
            self.failed(check_id, text, exc.reason or exc.code)

    def status_of(self, check_id: str) -> CheckStatus | None:
        """The status recorded for ``check_id`` so far, or ``None``."""
        check = self._items.get(check_id)
        return None if check is None else check.status

    def ok(self, check_id: str) -> bool:
        """Whether ``check_id`` was recorded as passed or warning."""
        return self.status_of(check_id) in ("passed", "warning")

    def freeze(self) -> tuple[Check, ...]:
        """The checks in :data:`~badgekiln.verification.report.CHECK_IDS` order."""
        items = self._items
        return tuple([items[check_id] for check_id in CHECK_IDS if check_id in items])

    def report(
        self,
        spec: Spec,
        fmt: InputFormat,
        summary: Summary | None,
        proof: str | None,
        *,
        endorsements: tuple[Report, ...] = (),
        credentials: tuple[Report, ...] = (),
    ) -> Report:
        """The immutable report of what was collected (checks, and deviations in the order found),
        with its issuer identity when the collector has the registries to judge it with."""
        checks = self.freeze()
        identity = None
        if self._registries is not None:
            chosen = self._registries.get()
            identity = identity_of(checks, summary, chosen, pinned=self._pinned)
            # a sub-report built without a collector (an unreadable CLR entry or endorsement)
            # has no identity yet: it gets one as verify() would give a whole report
            endorsements = tuple(
                [sub if sub.issuer_identity else with_identity(sub, chosen) for sub in endorsements]
            )
            credentials = tuple(
                [sub if sub.issuer_identity else with_identity(sub, chosen) for sub in credentials]
            )
        return Report(
            spec,
            fmt,
            checks,
            summary,
            proof,
            endorsements,
            conformance=tuple(self._deviations),
            strict=self.strict,
            issuer_identity=identity,
            credentials=credentials,
        )


def record_endorsements(checks: Checks, reports: tuple[Report, ...], total: int) -> None:
    """The ``endorsements`` check of ``reports`` (of ``total`` endorsements found): a warning
    when one is not valid or some were not verified (over the cap), never a failure —
    endorsements never change the badge's own verdict."""
    invalid = sum(not report.valid for report in reports)
    extra = total - len(reports)
    if invalid or extra:
        parts = [f"{invalid} of {len(reports)} endorsement(s) are not valid"] if invalid else []
        if extra:
            parts.append(f"{extra} more not verified (over {len(reports)})")
        checks.warning("endorsements", "; ".join(parts), "endorsements")
    else:
        checks.passed("endorsements", f"{len(reports)} endorsement(s) verified")


class Reads:
    """What one verification has read, by URL and accepted types.

    Every document goes through the verification's fetcher (pins, offline mode, the address,
    redirect, content-type and size checks, and the fetcher's HTTP cache) the first time it is
    read; a second read of the same URL for the same types is answered with that response. So a
    verification sees one version of each document throughout (the DID document read for the
    credential's proof and again for its status list's is one read), and naming one URL many
    times costs one fetch, whatever the document's cache headers say. Failures are not kept: a
    refused or failed read is asked again (and fails again) rather than remembered.
    """

    __slots__ = ("_fetcher", "_responses")

    def __init__(self, fetcher: Fetcher) -> None:
        self._fetcher = fetcher
        self._responses: dict[tuple[str, tuple[str, ...]], FetchResponse] = {}

    @property
    def fetcher(self) -> Fetcher:
        """The fetcher every first read goes through."""
        return self._fetcher

    def get(self, url: str, *, accept: Sequence[str] = JSON_TYPES) -> FetchResponse:
        """The response for ``url`` accepting ``accept``: read once, then remembered.

        Raises:
            FetchRefused, FetchFailed: as :meth:`badgekiln.fetch.Fetcher.get`.
        """
        key = (url, tuple(accept))
        response = self._responses.get(key)
        if response is None:
            response = self._fetcher.get(url, accept=accept)
            if len(self._responses) < MAX_READS:
                self._responses[key] = response
        return response


@dataclass(frozen=True, slots=True, init=False)
class Session:
    """The options of one :func:`~badgekiln.verify` call, the instant it judges validity at, how
    deep in endorsements it is, the JSON-LD contexts the caller pinned (``None`` when the
    fetcher pins no document at all), what the verification has read (:class:`Reads`, shared
    by its endorsements' and credentials' sessions) and the issuer registries its reports consult."""

    options: VerifyOptions
    now: datetime
    reads: Reads
    depth: int = 0
    pin: bool = True
    contexts: PinnedContexts | None = None
    registries: Registries | None = None

    def __init__(  # noqa: PLR0917 -- by hand, as Check's (with _SET_SESSION): one or more per verification
        self,
        options: VerifyOptions,
        now: datetime,
        reads: Reads,
        depth: int = 0,
        pin: bool = True,
        contexts: PinnedContexts | None = None,
        registries: Registries | None = None,
    ) -> None:
        set_options, set_now, set_reads, set_depth, set_pin, set_contexts, set_registries = _SET_SESSION
        set_options(self, options)
        set_now(self, now)
        set_reads(self, reads)
        set_depth(self, depth)
        set_pin(self, pin)
        set_contexts(self, contexts)
        set_registries(self, registries)

    @classmethod
    def start(cls, options: VerifyOptions) -> Session:
        fetcher = options.active_fetcher
        contexts = PinnedContexts(fetcher.pinned) if fetcher.documents else None
        registries = Registries(options.issuer_registries, fetcher)
        return cls(
            options, options.at or datetime.now(UTC), Reads(fetcher), contexts=contexts, registries=registries
        )

    def checks(self) -> Checks:
        """A fresh collector for one report of this session (strict as the options say; its
        report carries the issuer identity, judged with the pinned key only where it applies)."""
        return Checks(
            strict=self.options.strict, registries=self.registries, pinned=self.pinned_key is not None
        )

    def note_pinned_contexts(self, checks: Checks, urls: Iterable[Any]) -> frozenset[str]:
        """Record on ``context`` each of ``urls`` that is a context the caller pinned (its body
        is trusted on the caller's word); return them. A pinned body that is not a usable
        context is left to the JSON-LD expansion to report."""
        if self.contexts is None:
            return frozenset()
        pinned: list[str] = []
        for url in urls:
            try:  # has() answers a bundled URL (never pinned) and a repeated one from its memo
                if isinstance(url, str) and self.contexts.has(url):
                    pinned.append(url)
            except BadgeKilnError:
                continue
        for url in dict.fromkeys(pinned):
            checks.warning(
                "context",
                f"the context {url} is not bundled with badgekiln: the copy the caller pinned was used, "
                "trusted on the caller's word",
                "pinned-context",
            )
        return frozenset(pinned)

    def nested(self) -> Session:
        """The session an endorsement is verified in (one level deeper; its own issuer's keys)."""
        return replace(self, depth=self.depth + 1, pin=False)

    def leaf(self) -> Session:
        """The session a credential a CLR carries is verified in: its own issuer's keys, and its
        endorsements not followed (a record of 64 credentials stays 64 proof checks)."""
        return replace(self, depth=max(self.depth + 1, self.options.endorsement_depth), pin=False)

    def unpinned(self) -> Session:
        """This session without the pinned key (for documents another issuer signed)."""
        return replace(self, pin=False)

    @property
    def pinned_key(self) -> PublicKey | None:
        """The caller's pinned issuer key, when it applies to this session's documents."""
        return self.options.pinned_key if self.pin else None

    def fetch(self, url: str, *, accept: Sequence[str] = JSON_TYPES) -> FetchResponse:
        """The response at ``url`` through the options' fetcher (pins and offline honoured), read
        once per verification (:class:`Reads`).

        Raises:
            FetchError: refused or failed.
        """
        return self.reads.get(url, accept=accept)

    def fetch_json(self, url: str) -> Any:
        """The JSON document at ``url`` (:meth:`fetch`).

        Raises:
            FetchError: refused or failed; MalformedPayload / InputTooLarge: not strict JSON.
        """
        return self.fetch(url).json()

    def fetch_list(self, url: str) -> Any:
        """A status or revocation list at ``url``: its JSON document, or a
        :class:`~badgekiln.status.CompactToken` when it is served as a JWT (VC-JWT lists).

        Raises:
            FetchError: refused or failed; MalformedPayload / InputTooLarge: neither strict JSON
                nor UTF-8 token text.
        """
        from badgekiln.errors import MalformedPayload
        from badgekiln.fetch import JWT_TYPES
        from badgekiln.status import CompactToken

        response = self.fetch(url, accept=(*JSON_TYPES, *JWT_TYPES))
        if response.content_type not in JWT_TYPES or response.body.lstrip()[:1] in (b"{", b"["):
            return response.json()
        try:
            return CompactToken(response.body.decode("utf-8").strip())
        except UnicodeDecodeError as exc:
            raise MalformedPayload(f"{url} serves a token that is not UTF-8", reason="jws", url=url) from exc

    def local(self, url: str) -> bool:
        """Whether the fetcher answers ``url`` from this deployment's own store (its mounts)."""
        return self.options.active_fetcher.serves_locally(url)


#: The slot setters of :class:`Session`, in field order (as report._SET_CHECK).
_SET_SESSION: Final[tuple[Any, ...]] = tuple(getattr(Session, each.name).__set__ for each in fields(Session))
