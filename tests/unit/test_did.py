"""proofs.did: did:key documents, did:web URLs, controller documents and key resolution."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from badgekiln.errors import FetchFailed, InputTooLarge, KeyResolutionError
from badgekiln.keys.formats import b58encode, did_key_encode, multikey_encode, public_key_to_jwk
from badgekiln.proofs.did import (
    MAX_DID_CHARS,
    MAX_METHODS,
    VerificationMethod,
    did_key_document,
    did_key_verification_method,
    did_web_url,
    find_verification_method,
    resolve_verification_method,
)

OB_KEY = "z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi"
OB_DID = f"did:key:{OB_KEY}"
DCC_DIDS = "digitalcredentials-vc-test-fixtures/dids"
DCC_KEY = "z6MkjXe1vZvPRqFuc9nRBtZ3e1Y9XKDFSbjFAfzLfW2bD6cZ"
LEGACY = "did:web:digitalcredentials.github.io:vc-test-fixtures:dids:legacy"
OIDF = "did:web:digitalcredentials.github.io:vc-test-fixtures:dids:oidf"
ISSUER = "https://issuer.example/profile"


def _serve(documents: dict[str, Any]) -> Callable[[str], Any]:
    """A dict-backed fetch_json that records what was asked for."""
    asked: list[str] = []

    def fetch_json(url: str) -> Any:
        asked.append(url)
        if url not in documents:
            raise FetchFailed(f"HTTP 404 for {url}", url=url, reason="http-status")
        return json.loads(json.dumps(documents[url]))

    fetch_json.asked = asked  # type: ignore[attr-defined]
    return fetch_json


def _no_fetch(url: str) -> Any:
    raise AssertionError(f"unexpected fetch of {url}")


def _multikey() -> str:
    return multikey_encode(ed25519.Ed25519PrivateKey.generate().public_key())


def _method(vm_id: str, controller: str | None, key: str | None = None, **extra: Any) -> dict[str, Any]:
    method = {
        "id": vm_id,
        "type": "Multikey",
        "controller": controller,
        "publicKeyMultibase": key or _multikey(),
    }
    return {**method, **extra}


def _controller(doc_id: str, *methods: dict[str, Any], purpose: str = "assertionMethod") -> dict[str, Any]:
    return {"id": doc_id, "verificationMethod": list(methods), purpose: [m["id"] for m in methods]}


@pytest.fixture(scope="module")
def dcc(vectors: Path) -> dict[str, Any]:
    documents = {}
    for name in ("legacy", "oidf"):
        document = json.loads((vectors / DCC_DIDS / name / "did.json").read_text())
        documents[did_web_url(document["id"])] = document
    return documents


# --- did:key ------------------------------------------------------------------------------------


def test_did_key_verification_method() -> None:
    assert did_key_verification_method(OB_DID) == {
        "id": f"{OB_DID}#{OB_KEY}",
        "type": "Multikey",
        "controller": OB_DID,
        "publicKeyMultibase": OB_KEY,
    }
    legacy = did_key_verification_method(OB_DID, form="Ed25519VerificationKey2020")
    assert legacy["type"] == "Ed25519VerificationKey2020"
    assert legacy["publicKeyMultibase"] == OB_KEY
    p256 = did_key_encode(ec.generate_private_key(ec.SECP256R1()).public_key())
    assert did_key_verification_method(p256)["id"] == f"{p256}#{p256[8:]}"
    with pytest.raises(KeyResolutionError) as info:
        did_key_verification_method(p256, form="Ed25519VerificationKey2020")
    assert info.value.reason == "key-type"


def test_did_key_document() -> None:
    document = did_key_document(OB_DID)
    vm_id = f"{OB_DID}#{OB_KEY}"
    assert document["id"] == OB_DID
    assert [m["id"] for m in document["verificationMethod"]] == [vm_id]
    assert document["assertionMethod"] == [vm_id]
    assert "keyAgreement" not in document
    method = find_verification_method(document, vm_id)
    assert method.controller == OB_DID


@pytest.mark.parametrize("vm_id", [OB_DID, f"{OB_DID}#{OB_KEY}"])
def test_resolve_did_key_locally(vm_id: str) -> None:
    method = resolve_verification_method(vm_id, fetch_json=_no_fetch)
    assert method.id == f"{OB_DID}#{OB_KEY}"
    assert method.controller == OB_DID
    assert method.type == "Multikey"
    assert isinstance(method.public_key, ed25519.Ed25519PublicKey)


@pytest.mark.parametrize(
    ("vm_id", "purpose", "reason"),
    [
        (f"{OB_DID}#key-1", "assertionMethod", "method-id"),
        (f"{OB_DID}#{DCC_KEY}", "assertionMethod", "method-id"),  # another key in the fragment
        (f"{OB_DID}#{OB_KEY}", "keyAgreement", "not-authorized"),
        ("did:key:z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwX", "assertionMethod", "point"),
        ("did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme", "assertionMethod", "multicodec"),
    ],
)
def test_resolve_did_key_refusals(vm_id: str, purpose: str, reason: str) -> None:
    with pytest.raises(KeyResolutionError) as info:
        resolve_verification_method(vm_id, fetch_json=_no_fetch, purpose=purpose)
    assert info.value.reason == reason


# --- did:web URLs -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("did", "url"),
    [
        ("did:web:w3c-ccg.github.io", "https://w3c-ccg.github.io/.well-known/did.json"),
        ("did:web:w3c-ccg.github.io:user:alice", "https://w3c-ccg.github.io/user/alice/did.json"),
        ("did:web:example.com%3A3000:user:alice", "https://example.com:3000/user/alice/did.json"),
        ("did:web:example.com%3a443", "https://example.com:443/.well-known/did.json"),
        ("did:web:Example.COM:Users:Alice", "https://example.com/Users/Alice/did.json"),
        ("did:web:example.com:user%20name", "https://example.com/user%20name/did.json"),
        (LEGACY, "https://digitalcredentials.github.io/vc-test-fixtures/dids/legacy/did.json"),
    ],
)
def test_did_web_url(did: str, url: str) -> None:
    assert did_web_url(did) == url


@pytest.mark.parametrize(
    "did",
    [
        "did:web:",
        "did:key:" + OB_KEY,
        "did:web:127.0.0.1",
        "did:web:10.0.0.1%3A8080",
        "did:web:[::1]",
        "did:web:localhost%3A0",
        "did:web:example.com%3A65536",
        "did:web:example.com%3Ahttp",
        "did:web:example.com%2Fevil",
        "did:web:user%40example.com",
        "did:web:-example.com",
        "did:web:exa mple.com",
        "did:web:example.com#key-1",
        "did:web:example.com:a?b=c",
        "did:web:example.com::a",
        "did:web:example.com:..:etc",
        "did:web:example.com:%2e%2E",
        "did:web:example.com:a/b",
        "did:web:example.com:",
    ],
)
def test_did_web_url_refusals(did: str) -> None:
    with pytest.raises(KeyResolutionError) as info:
        did_web_url(did)
    assert info.value.reason == "did-web"


def test_did_web_length_cap() -> None:
    with pytest.raises(InputTooLarge):
        did_web_url("did:web:example.com:" + "a" * MAX_DID_CHARS)


# --- did:web resolution -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("did", "kind"),
    [(LEGACY, "Ed25519VerificationKey2020"), (OIDF, "Multikey")],
)
def test_resolve_dcc_did_web(dcc: dict[str, Any], did: str, kind: str) -> None:
    # legacy embeds the key in assertionMethod; oidf references verificationMethod by id
    fetch = _serve(dcc)
    method = resolve_verification_method(f"{did}#{DCC_KEY}", fetch_json=fetch)
    assert method == VerificationMethod(f"{did}#{DCC_KEY}", kind, did, method.public_key)
    assert multikey_encode(method.public_key) == DCC_KEY  # type: ignore[arg-type]
    assert fetch.asked == [did_web_url(did)]  # type: ignore[attr-defined]


def test_did_web_document_must_be_the_did(dcc: dict[str, Any]) -> None:
    fetch = _serve({did_web_url(OIDF): dcc[did_web_url(LEGACY)]})
    with pytest.raises(KeyResolutionError) as info:
        resolve_verification_method(f"{OIDF}#{DCC_KEY}", fetch_json=fetch)
    assert info.value.reason == "document-id"


def test_did_web_fetch_errors_propagate() -> None:
    with pytest.raises(FetchFailed):
        resolve_verification_method("did:web:nowhere.example#k", fetch_json=_serve({}))


def test_did_web_needs_a_fragment(dcc: dict[str, Any]) -> None:
    with pytest.raises(KeyResolutionError) as info:
        resolve_verification_method(OIDF, fetch_json=_serve(dcc))
    assert info.value.reason == "method-id"


def test_did_web_purpose_is_checked(dcc: dict[str, Any]) -> None:
    with pytest.raises(KeyResolutionError) as info:
        resolve_verification_method(f"{OIDF}#{DCC_KEY}", fetch_json=_serve(dcc), purpose="authentication")
    assert info.value.reason == "not-authorized"


# --- controller documents -----------------------------------------------------------------------


def test_relative_references() -> None:
    key = _multikey()
    document = {
        "id": "did:web:issuer.example",
        "verificationMethod": [_method("#key-1", "did:web:issuer.example", key)],
        "assertionMethod": ["#key-1"],
    }
    method = find_verification_method(document, "did:web:issuer.example#key-1")
    assert method.id == "did:web:issuer.example#key-1"
    assert multikey_encode(method.public_key) == key  # type: ignore[arg-type]


def _doc(**changes: Any) -> dict[str, Any]:
    vm = f"{ISSUER}#key-1"
    document = _controller(ISSUER, _method(vm, ISSUER))
    document.update(changes)
    return document


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        (_doc(assertionMethod=[]), "not-authorized"),
        (_doc(assertionMethod=[f"{ISSUER}#key-2"]), "not-authorized"),
        (_doc(verificationMethod=[]), "not-found"),
        (
            _doc(
                verificationMethod=[
                    _method(f"{ISSUER}#key-1", ISSUER, type="EcdsaSecp256k1VerificationKey2019")
                ]
            ),
            "method-type",
        ),
        (  # a 2018 key carries publicKeyBase58, not a Multikey
            _doc(verificationMethod=[_method(f"{ISSUER}#key-1", ISSUER, type="Ed25519VerificationKey2018")]),
            "method",
        ),
        (_doc(verificationMethod=[_method(f"{ISSUER}#key-1", None)]), "method"),
        (
            _doc(verificationMethod=[_method(f"{ISSUER}#key-1", ISSUER, publicKeyJwk={"kty": "OKP"})]),
            "method",
        ),
        (
            _doc(verificationMethod=[_method(f"{ISSUER}#key-1", ISSUER, publicKeyMultibase="zabc")]),
            "multicodec",
        ),
        (_doc(verificationMethod=["not an object"]), "not-found"),
        (_doc(verificationMethod=[{"id": ["a list"]}]), "not-found"),  # unhashable ids
        (_doc(verificationMethod=[_method(f"{ISSUER}#key-1", ISSUER, type=["Multikey"])]), "method-type"),
        (_doc(id=None), "document"),
    ],
)
def test_controller_document_refusals(document: dict[str, Any], reason: str) -> None:
    with pytest.raises(KeyResolutionError) as info:
        find_verification_method(document, f"{ISSUER}#key-1")
    assert info.value.reason == reason


def test_ed25519_2020_must_hold_ed25519() -> None:
    p256 = multikey_encode(ec.generate_private_key(ec.SECP256R1()).public_key())
    method = _method(f"{ISSUER}#key-1", ISSUER, p256, type="Ed25519VerificationKey2020")
    with pytest.raises(KeyResolutionError) as info:
        find_verification_method(_controller(ISSUER, method), f"{ISSUER}#key-1")
    assert info.value.reason == "key-type"


@pytest.mark.parametrize("kind", ["JsonWebKey", "JsonWebKey2020"])
def test_json_web_key_methods(kind: str) -> None:
    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    method: dict[str, Any] = {
        "id": f"{ISSUER}#jwk",
        "type": kind,
        "controller": ISSUER,
        "publicKeyJwk": public_key_to_jwk(key),
    }
    found = find_verification_method(_controller(ISSUER, method), f"{ISSUER}#jwk")
    assert found.public_key.public_numbers() == key.public_numbers()  # type: ignore[union-attr]
    method["publicKeyJwk"] = {**public_key_to_jwk(key), "d": "AAAA"}
    with pytest.raises(KeyResolutionError) as info:
        find_verification_method(_controller(ISSUER, method), f"{ISSUER}#jwk")
    assert info.value.reason == "private-key"


def test_method_list_cap() -> None:
    document = _doc(assertionMethod=[f"{ISSUER}#k{i}" for i in range(MAX_METHODS + 1)])
    with pytest.raises(InputTooLarge):
        find_verification_method(document, f"{ISSUER}#key-1")


# --- HTTPS verification methods -----------------------------------------------------------------


def test_https_controller_document() -> None:
    key = _multikey()
    vm = f"{ISSUER}#{key}"
    method = resolve_verification_method(
        vm, fetch_json=_serve({ISSUER: _controller(ISSUER, _method(vm, ISSUER, key))})
    )
    assert method.controller == ISSUER
    assert multikey_encode(method.public_key) == key  # type: ignore[arg-type]


def test_a_key_in_the_fragment_is_not_trusted() -> None:
    # GIVEN an id spelling a perfectly good Multikey in its fragment, WHEN the issuer's
    # document does not list it, THEN it is refused: anyone can spell a key in a URL.
    vm = f"{ISSUER}#{OB_KEY}"
    documents = {ISSUER: _controller(ISSUER, _method(f"{ISSUER}#key-1", ISSUER))}
    with pytest.raises(KeyResolutionError) as info:
        resolve_verification_method(vm, fetch_json=_serve(documents))
    assert info.value.reason == "not-found"
    with pytest.raises(FetchFailed):
        resolve_verification_method(vm, fetch_json=_serve({}))


def test_https_document_id_must_match() -> None:
    vm = f"{ISSUER}#key-1"
    documents = {ISSUER: _controller("https://other.example/profile", _method(vm, ISSUER))}
    with pytest.raises(KeyResolutionError) as info:
        resolve_verification_method(vm, fetch_json=_serve(documents))
    assert info.value.reason == "document-id"


KEY_URL = "https://keys.example/k1"


def _key_document(controller: str = ISSUER, key: str | None = None) -> dict[str, Any]:
    return _method(KEY_URL, controller, key or OB_KEY)


def test_https_key_document_confirmed_by_its_controller() -> None:
    documents = {KEY_URL: _key_document(), ISSUER: {"id": ISSUER, "assertionMethod": [KEY_URL]}}
    fetch = _serve(documents)
    method = resolve_verification_method(KEY_URL, fetch_json=fetch)
    assert method.controller == ISSUER
    assert multikey_encode(method.public_key) == OB_KEY  # type: ignore[arg-type]
    assert fetch.asked == [KEY_URL, ISSUER]  # type: ignore[attr-defined]


def test_https_key_document_controlled_by_a_did_web() -> None:
    did = "did:web:issuer.example"
    documents = {KEY_URL: _key_document(did), did_web_url(did): {"id": did, "assertionMethod": [KEY_URL]}}
    assert resolve_verification_method(KEY_URL, fetch_json=_serve(documents)).controller == did


@pytest.mark.parametrize(
    ("controller_document", "reason"),
    [
        ({"id": ISSUER}, "not-found"),  # the controller does not claim the key
        ({"id": ISSUER, "authentication": [KEY_URL]}, "not-found"),
        ({"id": ISSUER, "verificationMethod": [_key_document()], "assertionMethod": []}, "not-authorized"),
        ({"id": ISSUER, "assertionMethod": [_method(KEY_URL, ISSUER)]}, "controller"),  # other key
        ({"id": "https://elsewhere.example/", "assertionMethod": [KEY_URL]}, "document-id"),
    ],
)
def test_https_key_document_refusals(controller_document: dict[str, Any], reason: str) -> None:
    documents = {KEY_URL: _key_document(), ISSUER: controller_document}
    with pytest.raises(KeyResolutionError) as info:
        resolve_verification_method(KEY_URL, fetch_json=_serve(documents))
    assert info.value.reason == reason


def test_https_key_document_with_a_list_type_is_a_controller_document() -> None:
    # a key document's type must be one string; a list is not one (and is not hashable)
    documents = {KEY_URL: {**_key_document(), "type": ["Multikey"]}}
    with pytest.raises(KeyResolutionError) as info:
        resolve_verification_method(KEY_URL, fetch_json=_serve(documents))
    assert info.value.reason == "not-found"


@pytest.mark.parametrize(
    "controller", ["did:key:" + OB_KEY, "http://issuer.example/", KEY_URL, f"{ISSUER}#me"]
)
def test_https_key_document_controller_kinds(controller: str) -> None:
    with pytest.raises(KeyResolutionError) as info:
        resolve_verification_method(KEY_URL, fetch_json=_serve({KEY_URL: _key_document(controller)}))
    assert info.value.reason == "controller"


def test_https_documents_must_be_objects() -> None:
    with pytest.raises(KeyResolutionError) as info:
        resolve_verification_method(f"{ISSUER}#k", fetch_json=_serve({ISSUER: ["not", "an", "object"]}))
    assert info.value.reason == "document"


# --- unsupported ids ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("vm_id", "reason"),
    [
        ("did:example:z6MkrvfzkMnvCroEUP2DVc9SHPE48CRsvHiVSusHioxTYu1x", "unsupported-method"),
        ("did:jwk:eyJrdHkiOiJPS1AifQ#0", "unsupported-method"),
        ("xxx:z6MkrvfzkMnvCroEUP2DVc9SHPE48CRsvHiVSusHioxTYu1x", "unsupported-method"),
        ("z6MkrvfzkMnvCroEUP2DVc9SHPE48CRsvHiVSusHioxTYu1x", "unsupported-method"),
        ("http://issuer.example/profile#key-1", "unsupported-method"),
        ("HTTPS://issuer.example/profile#key-1", "unsupported-method"),
        ("", "method-id"),
    ],
)
def test_unsupported_ids(vm_id: str, reason: str) -> None:
    with pytest.raises(KeyResolutionError) as info:
        resolve_verification_method(vm_id, fetch_json=_no_fetch)
    assert info.value.reason == reason


def test_id_length_cap() -> None:
    with pytest.raises(InputTooLarge):
        resolve_verification_method("https://a.example/#" + "k" * MAX_DID_CHARS, fetch_json=_no_fetch)


# --- Ed25519VerificationKey2018 (publicKeyBase58), as DID documents of 2018-suite issuers list them --


def _method_2018(key: Any) -> dict[str, Any]:
    method = _method(f"{ISSUER}#key-1", ISSUER, type="Ed25519VerificationKey2018", publicKeyBase58=key)
    del method["publicKeyMultibase"]
    return method


def test_ed25519_2018_key_is_read_from_base58() -> None:
    key = ed25519.Ed25519PrivateKey.generate().public_key()
    document = _controller(ISSUER, _method_2018(b58encode(key.public_bytes_raw())))
    method = find_verification_method(document, f"{ISSUER}#key-1")
    assert method.type == "Ed25519VerificationKey2018"
    assert method.public_key.public_bytes_raw() == key.public_bytes_raw()  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (b58encode(b"\x01" * 31), "key-length"),
        (b58encode(b"\x01" * 33), "key-length"),
        ("0OIl", "method"),  # not base58
        ("", "method"),
        (7, "method"),
        ("z" + b58encode(b"\x01" * 32), "key-length"),  # a multibase prefix is not base58 of the key
        (b58encode(b"\x01" + b"\x00" * 31), "small-order"),  # a small-order point
    ],
)
def test_ed25519_2018_key_refusals(value: Any, reason: str) -> None:
    document = _controller(ISSUER, _method_2018(value))
    with pytest.raises(KeyResolutionError) as info:
        find_verification_method(document, f"{ISSUER}#key-1")
    assert info.value.reason == reason


def test_ed25519_2018_key_with_a_second_key_member_is_refused() -> None:
    key = ed25519.Ed25519PrivateKey.generate().public_key()
    method = {**_method_2018(b58encode(key.public_bytes_raw())), "publicKeyMultibase": _multikey()}
    with pytest.raises(KeyResolutionError) as info:
        find_verification_method(_controller(ISSUER, method), f"{ISSUER}#key-1")
    assert info.value.reason == "method"


# --- plain http: only for the verifying deployment's own documents -----------------------------

LOCAL = "http://127.0.0.1:8080/issuers/acme/profile.json"


def test_http_method_resolves_only_where_the_caller_answers_it_itself() -> None:
    key = _multikey()
    vm = f"{LOCAL}#ed25519-1"
    fetch = _serve({LOCAL: _controller(LOCAL, _method(vm, LOCAL, key))})
    method = resolve_verification_method(vm, fetch_json=fetch, local=lambda url: url.startswith(LOCAL))
    assert (method.controller, multikey_encode(method.public_key)) == (LOCAL, key)  # type: ignore[arg-type]
    with pytest.raises(KeyResolutionError) as info:
        resolve_verification_method(vm, fetch_json=fetch)
    assert info.value.reason == "unsupported-method"
    assert "plain http" in info.value.message
    with pytest.raises(KeyResolutionError) as info:
        resolve_verification_method(vm, fetch_json=fetch, local=lambda url: not url.startswith(LOCAL))
    assert info.value.reason == "unsupported-method"


def test_http_key_document_needs_its_controller_local_too() -> None:
    key_url = "http://127.0.0.1:8080/keys/k1"
    documents = {key_url: _method(key_url, LOCAL, OB_KEY), LOCAL: {"id": LOCAL, "assertionMethod": [key_url]}}
    method = resolve_verification_method(key_url, fetch_json=_serve(documents), local=lambda url: True)
    assert method.controller == LOCAL
    with pytest.raises(KeyResolutionError) as info:
        resolve_verification_method(key_url, fetch_json=_serve(documents), local=lambda url: url == key_url)
    assert info.value.reason == "controller"
