"""Key provenance: each route that ties a key to its issuer, and everything that does not."""

from __future__ import annotations

import json
from collections.abc import Mapping

import pytest

from badgekiln.errors import FetchRefused, KeyResolutionError
from badgekiln.keys.formats import did_key_encode, multikey_encode, public_key_to_jwk
from badgekiln.keys.local import LocalSigner
from badgekiln.proofs.did import did_web_url
from badgekiln.verification._session import Session
from badgekiln.verification.options import VerifyOptions
from badgekiln.verification.provenance import (
    MAX_JWKS_KEYS,
    find_jwks_key,
    jwks_url,
    same_key,
    tie_key_to_issuer,
)
from tests.verify_support import as_bytes

ISSUER = "https://issuer.example/profile"
JWKS = "https://issuer.example/.well-known/jwks.json"


def _session(documents: dict[str, bytes] | None = None, **options: object) -> Session:
    return Session.start(VerifyOptions(offline=True, documents=documents, **options))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def key() -> LocalSigner:
    return LocalSigner.generate("ed25519", "unused")


def _jwks(*entries: Mapping[str, object]) -> dict[str, bytes]:
    return {JWKS: as_bytes({"keys": list(entries)})}


def test_jwks_url_is_at_the_issuers_authority() -> None:
    assert (
        jwks_url("https://issuer.example:8443/a/b?c#d") == "https://issuer.example:8443/.well-known/jwks.json"
    )
    assert jwks_url("did:web:issuer.example") is None
    assert jwks_url("http://issuer.example/") is None


def test_pinned_key(key: LocalSigner) -> None:
    from badgekiln.keys.formats import dump_pem_public_key

    session = _session(key=dump_pem_public_key(key.public_key()))
    assert (
        tie_key_to_issuer(session, key.public_key(), issuer_id=ISSUER)
        == "the issuer's key was pinned by the caller"
    )
    other = LocalSigner.generate("ed25519", "unused")
    with pytest.raises(KeyResolutionError) as info:
        tie_key_to_issuer(session, other.public_key(), issuer_id=ISSUER)
    assert info.value.reason == "not-pinned"


def test_controller_is_the_issuer(key: LocalSigner) -> None:
    how = tie_key_to_issuer(
        _session(), key.public_key(), issuer_id="did:web:a.example", controller="did:web:a.example"
    )
    assert how == "the key's controller is the issuer (did:web:a.example)"


def test_did_key_issuer(key: LocalSigner) -> None:
    did = did_key_encode(key.public_key())  # type: ignore[arg-type]
    assert (
        tie_key_to_issuer(_session(), key.public_key(), issuer_id=did)
        == "the issuer is the did:key of the signing key"
    )
    other = LocalSigner.generate("ed25519", "unused")
    with pytest.raises(KeyResolutionError) as info:
        tie_key_to_issuer(_session(), other.public_key(), issuer_id=did)
    assert info.value.reason == "not-tied"


def test_did_web_document_lists_the_key(key: LocalSigner) -> None:
    did = "did:web:issuer.example"
    method = {
        "id": f"{did}#k",
        "type": "Multikey",
        "controller": did,
        "publicKeyMultibase": multikey_encode(key.public_key()),  # type: ignore[arg-type]
    }
    listed = {
        did_web_url(did): as_bytes({"id": did, "verificationMethod": [method], "assertionMethod": ["#k"]})
    }
    assert "lists the key" in tie_key_to_issuer(_session(listed), key.public_key(), issuer_id=did)
    # present but not authorised for assertions: not tied
    unlisted = {
        did_web_url(did): as_bytes({"id": did, "verificationMethod": [method], "authentication": ["#k"]})
    }
    with pytest.raises(KeyResolutionError):
        tie_key_to_issuer(_session(unlisted), key.public_key(), issuer_id=did)


def test_jwks_routes(key: LocalSigner) -> None:
    jwk = public_key_to_jwk(key.public_key())
    profile = {ISSUER: as_bytes({"id": ISSUER, "type": "Profile"})}
    how = tie_key_to_issuer(
        _session({**_jwks({**jwk, "kid": "1", "use": "sig"}), **profile}),
        key.public_key(),
        issuer_id=ISSUER,
        prefer_jwks=True,
    )
    assert how == f"the key is in the issuer's JWK Set {JWKS}"
    # a multi-issuer key set: a key marked for another issuer does not count
    marked = _jwks({**jwk, "kid": "1", "iss": "https://someone-else.example/"})
    with pytest.raises(KeyResolutionError) as info:
        tie_key_to_issuer(_session({**marked, **profile}), key.public_key(), issuer_id=ISSUER)
    assert info.value.reason == "not-tied"
    assert "does not list it" in info.value.message
    # one unusable key does not spoil the set
    broken = _jwks({"kty": "oct", "k": "c2VjcmV0"}, {**jwk, "kid": "2"})
    assert "JWK Set" in tie_key_to_issuer(_session({**broken, **profile}), key.public_key(), issuer_id=ISSUER)


def test_issuer_profile_lists_the_key(key: LocalSigner) -> None:
    method = {
        "id": f"{ISSUER}#key",
        "type": "JsonWebKey",
        "controller": ISSUER,
        "publicKeyJwk": public_key_to_jwk(key.public_key()),
    }
    profile = {
        ISSUER: as_bytes({"id": ISSUER, "verificationMethod": [method], "assertionMethod": [method["id"]]}),
        **_jwks(),
    }
    assert "lists the key" in tie_key_to_issuer(_session(profile), key.public_key(), issuer_id=ISSUER)


def test_offline_without_the_documents_is_a_refusal(key: LocalSigner) -> None:
    with pytest.raises(FetchRefused) as info:
        tie_key_to_issuer(_session(), key.public_key(), issuer_id=ISSUER)
    assert info.value.reason == "offline"


@pytest.mark.parametrize(
    "issuer", ["urn:uuid:1f7f1a1e-0000-4000-8000-000000000000", "http://issuer.example/", "did:example:123"]
)
def test_issuers_with_no_route_are_not_tied(key: LocalSigner, issuer: str) -> None:
    with pytest.raises(KeyResolutionError) as info:
        tie_key_to_issuer(_session(), key.public_key(), issuer_id=issuer, controller="did:key:z6Mkother")
    assert info.value.reason == "not-tied"
    assert "its controller is did:key:z6Mkother" in info.value.message


def test_oversized_and_malformed_key_sets(key: LocalSigner) -> None:
    from badgekiln.errors import InputTooLarge

    jwk = public_key_to_jwk(key.public_key())
    session = _session(_jwks(*[{**jwk, "kid": str(n)} for n in range(MAX_JWKS_KEYS + 1)]))
    with pytest.raises(InputTooLarge):
        find_jwks_key(session, ISSUER, "1")
    with pytest.raises(KeyResolutionError) as info:
        find_jwks_key(_session({JWKS: json.dumps({"nokeys": []}).encode()}), ISSUER, "1")
    assert info.value.reason == "jwks"
    assert same_key(find_jwks_key(_session(_jwks({**jwk, "kid": "k1"})), ISSUER, "k1"), key.public_key())
    with pytest.raises(KeyResolutionError):
        find_jwks_key(_session(_jwks({**jwk, "kid": "k1"})), ISSUER, "k2")
    with pytest.raises(KeyResolutionError):
        find_jwks_key(_session(), "did:web:issuer.example", "k1")


def test_same_key_compares_keys_not_objects(key: LocalSigner) -> None:
    from badgekiln.keys.formats import jwk_to_public_key

    assert same_key(key.public_key(), jwk_to_public_key(public_key_to_jwk(key.public_key())))
    rsa = LocalSigner.generate("rsa2048", "unused")
    assert not same_key(key.public_key(), rsa.public_key())
