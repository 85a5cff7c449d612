"""Verification methods: did:key, did:web and HTTPS controller documents → public keys.

A key counts only when a document its controller publishes says so: a did:key is its own
document; a did:web DID document must carry the DID as its ``id`` and list the method under the
proof purpose (by reference into ``verificationMethod`` or embedded); an HTTPS key id resolves
through the controller document the same way. A multibase key spelt in a URL fragment
(``https://issuer.example/profile#z6Mk…``) is never trusted on its own.

Documents are fetched through an injected ``fetch_json(url) -> Any`` (the verifier passes
:meth:`badgekiln.fetch.Fetcher.get_json`), whose :class:`~badgekiln.errors.FetchError` subclasses
propagate unchanged. An ``http://`` key id is resolved only where the injected ``local(url)``
says the deployment verifying it answers that URL itself, from its own store (a ``badgekiln
serve`` site on loopback): nothing crosses a network there, so https has nothing to add.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from badgekiln.errors import InputTooLarge, KeyResolutionError, MalformedPayload
from badgekiln.keys.formats import (
    b58decode,
    check_public_key,
    did_key_decode,
    jwk_to_public_key,
    multikey_decode,
    multikey_encode,
)
from badgekiln.keys.signer import PublicKey

__all__ = [
    "MAX_DID_CHARS",
    "MAX_METHODS",
    "VERIFICATION_METHOD_TYPES",
    "VerificationMethod",
    "did_key_document",
    "did_key_verification_method",
    "did_web_url",
    "find_verification_method",
    "is_web_key_url",
    "resolve_verification_method",
]

#: DIDs and key ids are short; a longer one is not worth parsing.
MAX_DID_CHARS: Final = 2048
#: Verification methods / relationship entries examined in one document.
MAX_METHODS: Final = 256
VERIFICATION_METHOD_TYPES: Final = frozenset(
    {"Multikey", "Ed25519VerificationKey2020", "Ed25519VerificationKey2018", "JsonWebKey", "JsonWebKey2020"}
)
#: The one key member each method type carries.
_KEY_MEMBERS: Final = {
    "Multikey": "publicKeyMultibase",
    "Ed25519VerificationKey2020": "publicKeyMultibase",
    "Ed25519VerificationKey2018": "publicKeyBase58",
    "JsonWebKey": "publicKeyJwk",
    "JsonWebKey2020": "publicKeyJwk",
}
# A did:key document authorises its one key for these relationships (W3C did:key §3.1.2).
_DID_KEY_PURPOSES: Final = frozenset(
    {"assertionMethod", "authentication", "capabilityInvocation", "capabilityDelegation"}
)
_HOST: Final = re.compile(
    r"(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
)
_AUTHORITY: Final = re.compile(r"(?P<host>[^%]+)(?:%3[Aa](?P<port>[0-9]{1,5}))?")
_DOT_SEGMENT: Final = re.compile(r"(\.|%2[Ee]){1,2}")
_PATH_SEGMENT: Final = re.compile(r"([A-Za-z0-9._~!$&'()*+,;=@-]|%[0-9A-Fa-f]{2})+")

FetchJson = Callable[[str], Any]


@dataclass(frozen=True)
class VerificationMethod:
    """A resolved verification method: its id, type, controller and public key."""

    id: str
    type: str
    controller: str
    public_key: PublicKey


def _fail(message: str, reason: str, **details: Any) -> KeyResolutionError:
    return KeyResolutionError(message, reason=reason, **details)


def _split_id(vm_id: str) -> tuple[str, str | None]:
    if not isinstance(vm_id, str) or not vm_id:
        raise _fail("verification method id must be a non-empty string", "method-id")
    if len(vm_id) > MAX_DID_CHARS:
        raise InputTooLarge(f"verification method id is over {MAX_DID_CHARS} characters", limit=MAX_DID_CHARS)
    base, sep, fragment = vm_id.partition("#")
    return base, fragment if sep else None


# --- did:key ------------------------------------------------------------------------------------


def did_key_verification_method(
    did: str, *, form: Literal["Multikey", "Ed25519VerificationKey2020"] = "Multikey"
) -> dict[str, str]:
    """The verification method object of a ``did:key`` (id ``did:key:z…#z…``).

    Raises:
        KeyResolutionError: not a valid did:key, or ``Ed25519VerificationKey2020`` asked for a
            key that is not Ed25519.
    """
    key = did_key_decode(did)
    multibase = did[len("did:key:") :]
    if form == "Ed25519VerificationKey2020" and not multibase.startswith("z6Mk"):
        raise _fail("Ed25519VerificationKey2020 needs an Ed25519 did:key", "key-type")
    return {
        "id": f"{did}#{multibase}",
        "type": form,
        "controller": did,
        "publicKeyMultibase": multikey_encode(key),
    }


def did_key_document(did: str) -> dict[str, Any]:
    """The DID document of a ``did:key``: one Multikey method, authorised for signing purposes.

    Raises:
        KeyResolutionError: not a valid did:key.
    """
    method = did_key_verification_method(did)
    document: dict[str, Any] = {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": did,
        "verificationMethod": [method],
    }
    document.update({purpose: [method["id"]] for purpose in sorted(_DID_KEY_PURPOSES)})
    return document


def _resolve_did_key(vm_id: str, purpose: str) -> VerificationMethod:
    did, fragment = _split_id(vm_id)
    multibase = did[len("did:key:") :]
    if fragment is not None and fragment != multibase:
        raise _fail(
            f"did:key verification method fragment must repeat the key ({multibase})",
            "method-id",
            id=vm_id,
        )
    if purpose not in _DID_KEY_PURPOSES:
        raise _fail(f"a did:key is not authorised for {purpose}", "not-authorized", id=vm_id)
    return VerificationMethod(
        id=f"{did}#{multibase}", type="Multikey", controller=did, public_key=did_key_decode(did)
    )


# --- did:web ------------------------------------------------------------------------------------


def did_web_url(did: str) -> str:
    """The HTTPS URL of a did:web DID document (DID-WEB "Read"; port as ``%3A``).

    ``did:web:example.com`` → ``https://example.com/.well-known/did.json``;
    ``did:web:example.com%3A3000:user:alice`` → ``https://example.com:3000/user/alice/did.json``.

    Raises:
        KeyResolutionError: not a did:web DID (fragments, queries and IP addresses are refused),
            a malformed host, port or path segment.
    """
    if not isinstance(did, str) or not did.startswith("did:web:"):
        raise _fail("not a did:web DID", "did-web")
    if len(did) > MAX_DID_CHARS:
        raise InputTooLarge(f"DID is over {MAX_DID_CHARS} characters", limit=MAX_DID_CHARS)
    segments = did[len("did:web:") :].split(":")
    match = _AUTHORITY.fullmatch(segments[0])
    if match is None or not _HOST.fullmatch(match["host"]):
        # the last label must start with a letter, which also keeps IP literals out
        raise _fail(f"did:web host {segments[0]!r} is not a domain name", "did-web", did=did)
    host, port = match["host"], match["port"]
    if port is not None and not 0 < int(port) < 65536:
        raise _fail(f"did:web port {port} is out of range", "did-web", did=did)
    path = segments[1:]
    for segment in path:
        if not _PATH_SEGMENT.fullmatch(segment) or _DOT_SEGMENT.fullmatch(segment):
            raise _fail(f"did:web path segment {segment!r} is not allowed", "did-web", did=did)
    authority = f"{host.lower()}:{port}" if port is not None else host.lower()
    tail = "/".join(path) if path else ".well-known"
    return f"https://{authority}/{tail}/did.json"


# --- documents ----------------------------------------------------------------------------------


def _method_from_object(obj: Any, vm_id: str) -> VerificationMethod:
    if not isinstance(obj, Mapping):
        raise _fail("verification method must be a JSON object", "method", id=vm_id)
    vm_type, controller = obj.get("type"), obj.get("controller")
    if obj.get("id") != vm_id:
        raise _fail("verification method id does not match", "method", id=vm_id)
    if not isinstance(vm_type, str) or vm_type not in VERIFICATION_METHOD_TYPES:
        raise _fail(
            f"verification method type {vm_type!r} is not supported "
            f"({', '.join(sorted(VERIFICATION_METHOD_TYPES))})",
            "method-type",
            id=vm_id,
        )
    if not isinstance(controller, str) or not controller:
        raise _fail("verification method has no controller", "method", id=vm_id)
    member = _KEY_MEMBERS[vm_type]
    if member not in obj or any(other in obj for other in set(_KEY_MEMBERS.values()) - {member}):
        raise _fail(
            f"{vm_type} must carry exactly its key member ({member})",
            "method",
            id=vm_id,
        )
    key: PublicKey
    if member == "publicKeyMultibase":
        key = multikey_decode(obj[member])
        if vm_type == "Ed25519VerificationKey2020" and not obj[member].startswith("z6Mk"):
            raise _fail("Ed25519VerificationKey2020 must hold an Ed25519 key", "key-type", id=vm_id)
    elif member == "publicKeyBase58":
        key = _ed25519_base58(obj[member], vm_id)
    else:
        key = jwk_to_public_key(obj[member])
    return VerificationMethod(id=vm_id, type=vm_type, controller=controller, public_key=key)


def _ed25519_base58(value: Any, vm_id: str) -> PublicKey:
    """An Ed25519VerificationKey2018 ``publicKeyBase58``: 32 raw bytes, base58btc, no multibase."""
    if not isinstance(value, str):
        raise _fail("publicKeyBase58 must be a string", "method", id=vm_id)
    try:
        raw = b58decode(value)
    except MalformedPayload as exc:
        raise _fail(f"publicKeyBase58: {exc.message}", "method", id=vm_id) from exc
    if len(raw) != 32:
        raise _fail(f"publicKeyBase58 holds {len(raw)} bytes, an Ed25519 key has 32", "key-length", id=vm_id)
    return check_public_key(Ed25519PublicKey.from_public_bytes(raw))


def _entries(document: Mapping[str, Any], member: str) -> list[Any]:
    value = document.get(member, [])
    entries = value if isinstance(value, list) else [value]
    if len(entries) > MAX_METHODS:
        raise InputTooLarge(f"{member} lists more than {MAX_METHODS} entries", limit=MAX_METHODS)
    return entries


def _absolute(ref: Any, document_id: str) -> Any:
    # relative references ("#key-1") are resolved against the document id
    return document_id + ref if isinstance(ref, str) and ref.startswith("#") else ref


def find_verification_method(
    document: Mapping[str, Any], vm_id: str, *, purpose: str = "assertionMethod"
) -> VerificationMethod:
    """Find ``vm_id`` in a DID / controller document and check it is authorised for ``purpose``.

    The purpose relationship may reference the method by id (looked up in
    ``verificationMethod``) or embed it.

    Raises:
        KeyResolutionError: not a JSON object, no such method (``reason="not-found"``), listed
            but not under ``purpose`` (``"not-authorized"``), or an unusable method.
        InputTooLarge: more than :data:`MAX_METHODS` entries in a list.
    """
    if not isinstance(document, Mapping) or not isinstance(document.get("id"), str):
        raise _fail("controller document must be a JSON object with an id", "document", id=vm_id)
    doc_id: str = document["id"]
    methods = {
        _absolute(m["id"], doc_id): m
        for m in _entries(document, "verificationMethod")
        if isinstance(m, Mapping) and isinstance(m.get("id"), str)
    }
    for entry in _entries(document, purpose):
        if isinstance(entry, Mapping):
            if _absolute(entry.get("id"), doc_id) == vm_id:
                return _method_from_object({**entry, "id": vm_id}, vm_id)
        elif _absolute(entry, doc_id) == vm_id:
            if vm_id not in methods:
                raise _fail(
                    f"{purpose} references {vm_id} but verificationMethod does not define it",
                    "not-found",
                    id=vm_id,
                )
            return _method_from_object({**methods[vm_id], "id": vm_id}, vm_id)
    if vm_id in methods:
        raise _fail(f"{vm_id} is not authorised for {purpose}", "not-authorized", id=vm_id)
    raise _fail(f"{vm_id} is not in the controller document", "not-found", id=vm_id)


def _fetch_document(url: str, fetch_json: FetchJson, expected_id: str) -> Mapping[str, Any]:
    document = fetch_json(url)
    if not isinstance(document, Mapping):
        raise _fail(f"{url} did not return a JSON object", "document", url=url)
    if document.get("id") != expected_id:
        raise _fail(
            f"document at {url} has id {document.get('id')!r}, expected {expected_id!r}",
            "document-id",
            url=url,
        )
    return document


def _resolve_did_web(vm_id: str, fetch_json: FetchJson, purpose: str) -> VerificationMethod:
    did, fragment = _split_id(vm_id)
    if not fragment:
        raise _fail("a did:web verification method needs a #fragment", "method-id", id=vm_id)
    document = _fetch_document(did_web_url(did), fetch_json, did)
    return find_verification_method(document, vm_id, purpose=purpose)


def _der(key: PublicKey) -> bytes:
    return key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)


def _resolve_https(
    vm_id: str, fetch_json: FetchJson, purpose: str, local: Callable[[str], bool]
) -> VerificationMethod:
    base, _ = _split_id(vm_id)
    document = fetch_json(base)
    if not isinstance(document, Mapping):
        raise _fail(f"{base} did not return a JSON object", "document", url=base)
    vm_type = document.get("type")
    if document.get("id") == vm_id and isinstance(vm_type, str) and vm_type in VERIFICATION_METHOD_TYPES:
        # A key document: it names its controller, whose document must list it for purpose.
        method = _method_from_object(document, vm_id)
        controller = method.controller
        if controller.startswith("did:web:"):
            owner = _fetch_document(did_web_url(controller), fetch_json, controller)
        elif is_web_key_url(controller, local) and "#" not in controller and controller != base:
            owner = _fetch_document(controller, fetch_json, controller)
        else:
            raise _fail(
                f"key document controller {controller!r} is not a did:web or HTTPS document",
                "controller",
                id=vm_id,
            )
        confirmed = _confirm(owner, vm_id, purpose)
        if confirmed is not None and _der(confirmed.public_key) != _der(method.public_key):
            raise _fail("controller document lists a different key", "controller", id=vm_id)
        return method
    if document.get("id") != base:
        raise _fail(
            f"document at {base} has id {document.get('id')!r}, expected {base!r}",
            "document-id",
            url=base,
        )
    return find_verification_method(document, vm_id, purpose=purpose)


def _confirm(document: Mapping[str, Any], vm_id: str, purpose: str) -> VerificationMethod | None:
    # The controller document must list vm_id under purpose; it may also define the method
    # (returned, to compare keys) or only reference it by id (None: the key document defines it).
    try:
        return find_verification_method(document, vm_id, purpose=purpose)
    except KeyResolutionError as exc:
        listed = any(_absolute(e, document["id"]) == vm_id for e in _entries(document, purpose))
        if exc.reason == "not-found" and listed:
            return None  # referenced by id, defined only in the key document itself
        raise


def is_web_key_url(value: str, local: Callable[[str], bool]) -> bool:
    """Whether ``value`` is a key or controller URL to resolve: https, or http that ``local``
    says the verifying deployment answers itself."""
    return value.startswith("https://") or (value.startswith("http://") and local(value))


def _nowhere(url: str) -> bool:
    return False


def resolve_verification_method(
    vm_id: str,
    *,
    fetch_json: FetchJson,
    purpose: str = "assertionMethod",
    local: Callable[[str], bool] = _nowhere,
) -> VerificationMethod:
    """Resolve a proof's ``verificationMethod`` to a key its controller authorises for ``purpose``.

    Handles ``did:key`` (locally), ``did:web`` (DID document; its ``id`` must be the DID) and
    ``https://`` ids (a controller document listing the method, or a key document whose
    controller document lists it); ``http://`` ids the same way, but only where ``local(url)``
    says the caller answers that URL itself, never over a network (the fetcher's mounts:
    :meth:`badgekiln.fetch.Fetcher.serves_locally`). Whether the controller is the credential's
    issuer is the caller's check.

    Raises:
        KeyResolutionError: unsupported scheme or DID method, a document that does not match
            or does not authorise the method, an unusable key.
        FetchError: ``fetch_json`` could not get a document (propagated unchanged).
        InputTooLarge: an over-long id or an over-long list in a document.

    Example::

        vm = resolve_verification_method(proof["verificationMethod"], fetch_json=fetcher.get_json)
    """
    _split_id(vm_id)
    if vm_id.startswith("did:key:"):
        return _resolve_did_key(vm_id, purpose)
    if vm_id.startswith("did:web:"):
        return _resolve_did_web(vm_id, fetch_json, purpose)
    if is_web_key_url(vm_id, local):
        return _resolve_https(vm_id, fetch_json, purpose, local)
    if vm_id.startswith("http://"):
        raise _fail(
            "verification method on plain http: its key could be anyone's in transit (https, "
            "did:web and did:key are resolved; http only for the verifying deployment's own documents)",
            "unsupported-method",
            id=vm_id,
        )
    scheme = vm_id.partition(":")[0] if ":" in vm_id else ""
    kind = "DID method" if vm_id.startswith("did:") else "scheme"
    shown = ":".join(vm_id.split(":")[:2]) if vm_id.startswith("did:") else scheme or "(none)"
    raise _fail(
        f"verification method {kind} {shown!r} is not supported (did:key, did:web, https)",
        "unsupported-method",
        id=vm_id,
    )
