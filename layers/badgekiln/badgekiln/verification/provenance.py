"""Key provenance: is the key that signed a credential really the issuer's?

A signature proves only that *some* key signed. OB 3.0's recommended practice makes a
credential whose key provenance cannot be established not valid, and badgekiln follows it
everywhere: a key carried in a JWT ``jwk`` header, or a ``did:key`` verification method, proves
nothing by itself. A key counts as the issuer's when

1. the caller pinned it (``--key``);
2. its controller (DID document / controller document) is the issuer id;
3. the issuer id *is* a DID naming it: the issuer's ``did:key``, or the issuer's ``did:web``
   document lists it under ``assertionMethod``;
4. the issuer id is an HTTPS URL and the issuer publishes it: in the JWK Set at
   ``https://{authority}/.well-known/jwks.json`` (a JWK carrying ``iss`` must name the issuer),
   or under ``assertionMethod`` of the profile served at the issuer id.

Everything is fetched through the verification's fetcher, so pins and offline mode hold.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from badgekiln.errors import BadgeKilnError, FetchError, InputTooLarge, KeyResolutionError
from badgekiln.keys.signer import PublicKey
from badgekiln.verification._session import Session, is_offline_refusal

__all__ = ["MAX_JWKS_KEYS", "find_jwks_key", "jwks_url", "same_key", "tie_key_to_issuer"]

#: Keys examined in one JWK Set; key sets rotate a handful of keys, not thousands.
MAX_JWKS_KEYS: Final = 64


def same_key(a: PublicKey, b: PublicKey) -> bool:
    """Whether two public keys are the same key (compared as DER SubjectPublicKeyInfo)."""
    if a is b:  # the pinned key, handed back by key resolution
        return True
    der = Encoding.DER, PublicFormat.SubjectPublicKeyInfo
    return type(a) is type(b) and a.public_bytes(*der) == b.public_bytes(*der)


def jwks_url(issuer_id: str) -> str | None:
    """``https://{authority}/.well-known/jwks.json`` for an HTTPS issuer id, else ``None``."""
    try:
        parts = urlsplit(issuer_id)
    except ValueError:  # e.g. an unclosed IPv6 bracket: not a URL we could fetch anyway
        return None
    if parts.scheme != "https" or not parts.netloc:
        return None
    return f"https://{parts.netloc}/.well-known/jwks.json"


def _jwks_entries(session: Session, url: str) -> list[Mapping[str, Any]]:
    document = session.fetch_json(url)
    keys = document.get("keys") if isinstance(document, Mapping) else None
    if not isinstance(keys, list):
        raise KeyResolutionError(f"{url} is not a JWK Set (no 'keys' array)", reason="jwks", url=url)
    if len(keys) > MAX_JWKS_KEYS:
        raise InputTooLarge(f"the JWK Set {url} holds more than {MAX_JWKS_KEYS} keys", limit=MAX_JWKS_KEYS)
    return [entry for entry in keys if isinstance(entry, Mapping)]


def find_jwks_key(session: Session, issuer_id: str, kid: str) -> PublicKey:
    """The key with ``kid`` in the issuer's JWK Set (the issuer id must be an HTTPS URL).

    Raises:
        KeyResolutionError: no JWK Set location, no such key, or an unusable JWK.
        FetchError: the JWK Set could not be fetched.
    """
    from badgekiln.keys.formats import jwk_to_public_key

    url = jwks_url(issuer_id)
    if url is None:
        raise KeyResolutionError(
            f"the JWT names key {kid!r} but the issuer {issuer_id!r} is not an HTTPS URL with a JWK Set",
            reason="kid",
        )
    for entry in _jwks_entries(session, url):
        if entry.get("kid") == kid and entry.get("iss", issuer_id) == issuer_id:
            return jwk_to_public_key(entry)
    raise KeyResolutionError(f"the issuer's JWK Set {url} has no key {kid!r}", reason="kid", url=url)


def _in_jwks(session: Session, issuer_id: str, key: PublicKey) -> str | None:
    from badgekiln.keys.formats import jwk_to_public_key

    url = jwks_url(issuer_id)
    if url is None:
        return None
    for entry in _jwks_entries(session, url):
        if entry.get("iss", issuer_id) != issuer_id:
            continue  # a multi-issuer key set marks each key's issuer
        try:
            listed = jwk_to_public_key(entry)
        except KeyResolutionError:
            continue  # one unusable key does not spoil the set
        if same_key(listed, key):
            return f"the key is in the issuer's JWK Set {url}"
    return None


def _in_controller_document(
    session: Session, document_url: str, issuer_id: str, key: PublicKey
) -> str | None:
    from badgekiln.proofs.did import MAX_METHODS, find_verification_method

    document = session.fetch_json(document_url)
    if not isinstance(document, Mapping) or document.get("id") != issuer_id:
        raise KeyResolutionError(
            f"the document at {document_url} does not describe {issuer_id} (its id differs)",
            reason="document-id",
            url=document_url,
        )
    raw = document.get("assertionMethod", [])
    entries = raw if isinstance(raw, list) else [raw]
    for entry in entries[:MAX_METHODS]:
        ref = entry.get("id") if isinstance(entry, Mapping) else entry
        if not isinstance(ref, str):
            continue
        method_id = issuer_id + ref if ref.startswith("#") else ref
        try:
            method = find_verification_method(document, method_id)
        except KeyResolutionError:
            continue
        if same_key(method.public_key, key):
            return f"the issuer's document {document_url} lists the key ({method_id}) for assertions"
    return None


def tie_key_to_issuer(
    session: Session,
    key: PublicKey,
    *,
    issuer_id: str,
    controller: str | None = None,
    prefer_jwks: bool = False,
) -> str:
    """Establish that ``key`` belongs to ``issuer_id``; return a sentence saying how.

    ``controller`` is the controller a resolved verification method declared (its document
    listed the key for ``assertionMethod``). ``prefer_jwks`` looks in the JWK Set before the
    issuer profile (VC-JWT practice); both are tried either way.

    Raises:
        KeyResolutionError: ``reason="not-tied"``: no route ties the key to the issuer (the
            message lists what was tried); ``"not-pinned"``: a key other than the pinned one.
        FetchRefused: ``reason="offline"``: nothing tied the key and a document that might
            have could not be fetched offline.
    """
    pinned = session.pinned_key
    if pinned is not None:
        if same_key(pinned, key):
            return "the issuer's key was pinned by the caller"
        raise KeyResolutionError(
            "the credential is signed by a key other than the pinned one", reason="not-pinned"
        )
    from badgekiln.keys.formats import did_key_decode
    from badgekiln.proofs.did import did_web_url

    if controller is not None and controller == issuer_id:
        return f"the key's controller is the issuer ({issuer_id})"
    if issuer_id.startswith("did:key:"):
        try:
            if same_key(did_key_decode(issuer_id.partition("#")[0]), key):
                return "the issuer is the did:key of the signing key"
        except KeyResolutionError:
            pass
        raise _not_tied(issuer_id, controller, ["the issuer's did:key is another key"])
    routes: list[tuple[str, str]] = []
    if issuer_id.startswith("did:web:"):
        routes.append(("document", did_web_url(issuer_id)))
    elif jwks_url(issuer_id) is not None:
        jwks = jwks_url(issuer_id) or ""
        profile = issuer_id.partition("#")[0]
        pair = [("jwks", jwks), ("document", profile)]
        routes.extend(pair if prefer_jwks else reversed(pair))
    tried: list[str] = []
    offline: FetchError | None = None
    for kind, url in routes:
        try:
            found = (
                _in_jwks(session, issuer_id, key)
                if kind == "jwks"
                else _in_controller_document(session, url, issuer_id, key)
            )
        except BadgeKilnError as exc:
            if is_offline_refusal(exc) and isinstance(exc, FetchError):
                offline = offline or exc
            tried.append(f"{url}: {exc.message}")
            continue
        if found is not None:
            return found
        tried.append(f"{url} does not list it")
    if offline is not None:
        raise offline
    raise _not_tied(issuer_id, controller, tried)


def _not_tied(issuer_id: str, controller: str | None, tried: list[str]) -> KeyResolutionError:
    by = f" (its controller is {controller})" if controller else ""
    detail = f"; tried {'; '.join(tried)}" if tried else ""
    return KeyResolutionError(
        f"the signing key{by} is not tied to the issuer {issuer_id}: it is neither controlled, "
        f"published nor named by the issuer{detail}",
        reason="not-tied",
    )
