"""Whole verification, offline: ``badgekiln.verify`` of a badge with in-memory documents.

The input is a bundle (:mod:`fuzz.harnesses.bundle`): the badge (an image, JSON, a JWT or a URL)
and sections named by URL with the documents the verifier may dereference (issuer profiles,
BadgeClasses, keys, DID documents, status lists); a section named ``option:recipient`` gives the
recipient to check. The fetcher is offline with those documents pinned, and its network
transport raises :class:`~fuzz.oracle.NetworkReached`, so reaching it is a crash, as is any
socket (:func:`fuzz.oracle.forbid_network`); JSON-LD contexts are bundled and never fetched.
Every report must serialise to JSON, as the verify function answers it.

Seeds: every wild corpus entry with the documents its manifest lists, every proof-bearing vector
with the documents the vector suite serves, and credentials signed in every proof format by
fresh keys (so mutations start from signatures that verify).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Final

import badgekiln
from badgekiln.errors import BadgeKilnError
from badgekiln.fetch import Fetcher, FetchPolicy, TransportRequest, TransportResponse
from badgekiln.status import StatusPolicy
from badgekiln.verification import VerifyOptions
from fuzz.harnesses import bundle
from fuzz.harnesses.seeds import VECTORS, wild_entries
from fuzz.oracle import NetworkReached

__all__ = ["make_target", "seeds"]

#: The instant badges are judged at: the wild corpus's ``verify_at``, so seeds keep their verdicts.
AT: Final = datetime(2026, 12, 8, tzinfo=UTC)
#: A seed carries at most this many bytes of documents: those the badge names (and those they
#: name …) first, then others while the budget lasts.
_SEED_DOCUMENT_BYTES: Final = 64 * 1024
#: … of which at most this many for documents no document names (DID and key URLs are derived,
#: not written out, so some of these are needed).
_SEED_OTHER_BYTES: Final = 8 * 1024
_URL: Final = re.compile(rb"(?:https?://|did:web:)[^\s\"'<>\\#]+")


class _NoNetwork:
    """The fetcher's network transport: any request reaching it is a crash."""

    def handle(self, request: TransportRequest) -> TransportResponse:
        raise NetworkReached(f"the verifier asked the network for {request.url}")


def _fetcher(documents: dict[str, bytes]) -> Fetcher:
    """An offline fetcher pinning ``documents``, less the names it cannot pin (not a URL, or
    the same URL twice once canonical)."""
    try:
        return Fetcher(FetchPolicy(offline=True), documents=documents, transport=_NoNetwork())
    except ValueError:
        kept: dict[str, bytes] = {}
        for url, body in documents.items():
            try:
                Fetcher(FetchPolicy(offline=True), documents={**kept, url: body})
            except ValueError:
                continue
            kept[url] = body
        return Fetcher(FetchPolicy(offline=True), documents=kept, transport=_NoNetwork())


def _options(sections: list[tuple[str, bytes]]) -> VerifyOptions:
    documents: dict[str, bytes] = {}
    recipient: str | None = None
    for name, body in sections:
        if name == "option:recipient":
            recipient = body.decode("utf-8", "replace")
        elif name.startswith(("https://", "http://")):
            documents.setdefault(name, body)
    fetcher = _fetcher(documents)
    try:
        return VerifyOptions(
            recipient=recipient,
            at=AT,
            fetcher=fetcher,
            status_policy=StatusPolicy(require_same_issuer=recipient is None),
        )
    except BadgeKilnError:  # a recipient that cannot be matched is refused up front
        return VerifyOptions(at=AT, fetcher=fetcher)


def make_target(variant: str) -> Callable[[bytes], None]:
    def target(data: bytes) -> None:
        badge, sections = bundle.split(data)
        report = badgekiln.verify(badge, options=_options(sections))
        json.dumps(report.to_dict())

    return target


def _named(payload: bytes, documents: Mapping[str, bytes]) -> list[tuple[str, bytes]]:
    """The documents ``payload`` names, then those they name …, within the seed budget; then
    the rest while the budget lasts (DID and key URLs are derived, not written out)."""
    chosen: dict[str, bytes] = {}
    budget = _SEED_DOCUMENT_BYTES
    pending = [payload]
    while pending:
        text = pending.pop()
        for match in _URL.finditer(text):
            url = match.group().decode("ascii", "replace").rstrip(".,;)")
            for key in _forms(url):
                body = documents.get(key)
                if body is not None and key not in chosen and len(body) <= budget:
                    chosen[key] = body
                    budget -= len(body)
                    pending.append(body)
    other = min(budget, _SEED_OTHER_BYTES)
    for key, body in documents.items():
        if key not in chosen and len(body) <= other and not body.startswith(b"\x89PNG"):
            chosen[key] = body
            other -= len(body)
    return list(chosen.items())


def _forms(url: str) -> list[str]:
    """The URLs a reference may be fetched at: itself, a did:web's DID document, the JWK Set at
    its origin."""
    from urllib.parse import urlsplit

    from badgekiln.errors import BadgeKilnError as Refused
    from badgekiln.proofs.did import did_web_url

    if url.startswith("did:web:"):
        try:
            return [did_web_url(url)]
        except (Refused, ValueError):
            return []
    parts = urlsplit(url)
    return [url, f"{parts.scheme}://{parts.netloc}/.well-known/jwks.json"]


def _payload_text(data: bytes) -> bytes:
    try:
        return badgekiln.extract(data).payload.encode("utf-8")
    except BadgeKilnError:
        return data


def _signed_seeds() -> Iterator[tuple[str, bytes]]:
    from badgekiln.keys.local import KeyKind
    from tests.verify_support import TestIssuer, as_bytes

    issuer = TestIssuer.did_web()
    signed = issuer.sign_di(issuer.credential())
    yield "made/di-eddsa-rdfc-2022.json", bundle.join(as_bytes(signed), issuer.documents.items())
    kinds: tuple[KeyKind, ...] = ("rsa2048", "ed25519")
    for kind in kinds:
        issuer = TestIssuer.https_jwks(kind=kind)
        token = issuer.sign_jwt(issuer.credential()).encode()
        yield f"made/vcjwt-{kind}.jwt", bundle.join(token, issuer.documents.items())


def _vector_seeds() -> Iterator[tuple[str, bytes]]:
    from tests.integration.test_verify_vectors import EXPECTED
    from tests.verify_support import hosted_documents, self_hosted, standin_documents

    served: dict[str, bytes] = {**hosted_documents(VECTORS), **standin_documents(VECTORS)}
    for rel in sorted(EXPECTED):
        data = (VECTORS / rel).read_bytes()
        documents = {**served, **self_hosted(rel, data)}
        yield f"tests/vectors/{rel}", bundle.join(data, _named(_payload_text(data), documents))


def seeds(variant: str) -> Iterator[tuple[str, bytes]]:
    for entry, documents in wild_entries():
        data = (VECTORS / "wild" / entry["file"]).read_bytes()
        sections = _named(_payload_text(data), documents)
        if entry.get("recipient"):
            sections.append(("option:recipient", entry["recipient"].encode("utf-8")))
        yield f"tests/vectors/wild/{entry['file']}", bundle.join(data, sections)
    yield from _vector_seeds()
    yield from _signed_seeds()
