"""Issuers: the three kinds, their published documents, idempotent creation, key rotation, KMS."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from badgekiln.errors import Conflict, InvalidField, NotFound
from badgekiln.hosting import layout as paths
from badgekiln.issue import (
    KeyOptions,
    create_achievement,
    create_issuer,
    get_issuer,
    issue_credential,
    issuer_summary,
    list_issuers,
    rotate_key,
)
from badgekiln.issue.issuers import publish_issuer
from badgekiln.keys.formats import load_pem_public_key, multikey_decode
from badgekiln.proofs.dataintegrity import verify_proof
from badgekiln.proofs.did import did_key_decode, resolve_verification_method
from badgekiln.store import LocalStore
from badgekiln.verification import verify
from tests.aws_support import mocked_aws
from tests.issue_support import public_documents, small_png

PUBLIC_URL = "https://badges.example.org"
ACME = {"name": "Acme Academy", "url": "https://acme.example", "email": "badges@acme.example"}


@pytest.fixture
def store(tmp_path: Path) -> LocalStore:
    return LocalStore(str(tmp_path / "store"))


def document(store: LocalStore, hosted: paths.Hosted) -> Any:
    obj = store.get(hosted.key)
    assert obj.content_type == hosted.content_type
    assert obj.cache_control == hosted.cache_control
    return json.loads(obj.body)


def resolver(store: LocalStore) -> Any:
    documents = public_documents(store, PUBLIC_URL)
    return lambda url: json.loads(documents[url])


def test_did_web_issuer_publishes_everything(store: LocalStore) -> None:
    issuer = create_issuer(store, PUBLIC_URL, ACME)
    assert (issuer.slug, issuer.kind) == ("acme-academy", "web")
    assert issuer.id == "did:web:badges.example.org:issuers:acme-academy"
    # the DID document lists both keys, controlled by the issuer, for assertionMethod
    did = document(store, paths.did_document("acme-academy"))
    assert did["id"] == issuer.id
    methods = {m["id"]: m for m in did["verificationMethod"]}
    ed, rsa = f"{issuer.id}#ed25519-1", f"{issuer.id}#rsa-1"
    assert set(methods) == set(did["assertionMethod"]) == {ed, rsa}
    assert methods[ed]["type"] == "Multikey"
    assert methods[ed]["controller"] == issuer.id
    assert methods[rsa]["type"] == "JsonWebKey"
    assert methods[rsa]["publicKeyJwk"]["kty"] == "RSA"
    # the resolver used by verifiers accepts both
    fetch = resolver(store)
    for method_id in (ed, rsa):
        assert (
            resolve_verification_method(method_id, fetch_json=fetch, purpose="assertionMethod").controller
            == issuer.id
        )
    # OB 3.0 Profile, OB 2.0 Issuer, its CryptographicKey (two-way link), lists
    profile = document(store, paths.issuer_profile("acme-academy"))
    assert profile["id"] == issuer.id
    assert profile["type"] == ["Profile"]
    assert profile["email"] == ACME["email"]
    ob2 = document(store, paths.ob2_issuer("acme-academy"))
    assert ob2["id"] == f"{PUBLIC_URL}/issuers/acme-academy/ob2/issuer.json"
    (key_url,) = ob2["publicKey"]
    key = document(store, paths.ob2_key("acme-academy", "rsa-1"))
    assert (key["id"], key["owner"]) == (key_url, ob2["id"])
    load_pem_public_key(key["publicKeyPem"])
    revocations = document(store, paths.ob2_revocation_list("acme-academy"))
    assert revocations["revokedAssertions"] == []
    assert ob2["revocationList"] == revocations["id"]
    # the status list is signed by the issuer
    status = document(store, paths.status_list("acme-academy", 0, "revocation"))
    method = resolve_verification_method(
        status["proof"]["verificationMethod"], fetch_json=fetch, purpose="assertionMethod"
    )
    verify_proof(status, status["proof"], method.public_key)
    assert status["issuer"] == issuer.id
    # key documents in three forms; the JWK Set names the issuer
    assert document(store, paths.key_document("acme-academy", "ed25519-1", "json")) == methods[ed]
    jwk = document(store, paths.key_document("acme-academy", "rsa-1", "jwk"))
    assert (jwk["kid"], jwk["alg"], jwk["iss"]) == (rsa, "RS256", issuer.id)
    assert "d" not in jwk
    load_pem_public_key(store.get(paths.key_document("acme-academy", "rsa-1", "pem").key).body)
    jwks = document(store, paths.jwks())
    assert {k["kid"] for k in jwks["keys"]} == {ed, rsa}
    assert all(k["iss"] == issuer.id for k in jwks["keys"])
    # nothing private is public
    for key_name in store.list("public/"):
        assert b"PRIVATE KEY" not in store.get(key_name).body


def test_did_key_issuer_is_its_own_did(store: LocalStore) -> None:
    issuer = create_issuer(store, PUBLIC_URL, {**ACME, "kind": "key", "slug": "keyed"})
    assert issuer.id.startswith("did:key:z6Mk")
    did_key_decode(issuer.id)
    ed = issuer.active_key("ed25519")
    assert ed.method_id == f"{issuer.id}#{issuer.id.removeprefix('did:key:')}"
    assert issuer.active_key("rsa").method_id is None  # RSA serves OB 2.0 only
    with pytest.raises(NotFound):
        store.head(paths.did_document("keyed").key)
    create_achievement(store, "keyed", {"name": "T", "description": "d", "criteria": "c"}, small_png())
    # Data Integrity and EdDSA VC-JWT verify with nothing hosted but the status list
    for options in ({}, {"proof": "jwt", "algorithm": "EdDSA"}, {"spec": "ob2", "signed": True}):
        issued = issue_credential(
            store, "keyed", {"achievement": "t", "recipient": "ada@example.org", **options}
        )
        report = verify(issued.image, documents=public_documents(store, PUBLIC_URL), offline=True)  # type: ignore[arg-type]
        assert report.valid, [c.message for c in report.failures]
    with pytest.raises(InvalidField) as caught:
        issue_credential(store, "keyed", {"achievement": "t", "recipient": "ada@example.org", "proof": "jwt"})
    assert caught.value.details["field"] == "algorithm"
    with pytest.raises(InvalidField) as caught:
        rotate_key(store, "keyed", families=("ed25519",))
    assert caught.value.reason == "did-key"


def test_url_issuer_lists_its_keys_in_its_profile(store: LocalStore) -> None:
    issuer = create_issuer(store, PUBLIC_URL, {**ACME, "kind": "url", "slug": "urlish"})
    assert issuer.id == f"{PUBLIC_URL}/issuers/urlish/profile.json"
    profile = document(store, paths.issuer_profile("urlish"))
    assert profile["assertionMethod"] == [m["id"] for m in profile["verificationMethod"]]
    create_achievement(store, "urlish", {"name": "T", "description": "d", "criteria": "c"}, small_png())
    for options in ({}, {"proof": "jwt"}):
        issued = issue_credential(
            store, "urlish", {"achievement": "t", "recipient": "ada@example.org", **options}
        )
        report = verify(issued.image, documents=public_documents(store, PUBLIC_URL), offline=True)  # type: ignore[arg-type]
        assert report.valid, [c.message for c in report.failures]


def test_http_public_url_defaults_to_url_issuers(store: LocalStore) -> None:
    issuer = create_issuer(store, "http://127.0.0.1:8080", ACME)
    assert issuer.kind == "url"
    assert issuer.id == "http://127.0.0.1:8080/issuers/acme-academy/profile.json"
    note = issuer_summary(issuer)["note"]
    assert "plain http under http://127.0.0.1:8080" in note
    assert "badgekiln verify --store" in note
    keyed = create_issuer(store, "http://127.0.0.1:8080", {**ACME, "kind": "key", "slug": "keyed"})
    assert "did:key signatures verify anywhere" in issuer_summary(keyed)["note"]
    assert issuer_summary(create_issuer(store, PUBLIC_URL, {**ACME, "slug": "public"}))["note"] is None
    with pytest.raises(InvalidField) as caught:
        create_issuer(store, "http://127.0.0.1:8080", {**ACME, "kind": "web", "slug": "webby"})
    assert caught.value.details["field"] == "public_url"


def test_http_url_issuers_verify_on_their_own_deployment_only(store: LocalStore) -> None:
    from badgekiln.fetch import Fetcher, FetchPolicy
    from badgekiln.hosting.site import site_fetcher

    local = "http://127.0.0.1:8080"
    create_issuer(store, local, ACME)
    create_achievement(store, "acme-academy", {"name": "T", "description": "d", "criteria": "c"}, small_png())
    for options in ({}, {"proof": "jwt"}, {"proof": "jwt", "algorithm": "EdDSA"}):
        issued = issue_credential(
            store, "acme-academy", {"achievement": "t", "recipient": "ada@example.org", **options}
        )
        here = verify(issued.image, fetcher=site_fetcher(store, local))  # type: ignore[arg-type]
        assert here.valid, [c.message for c in here.failures]
        # the same documents pinned, but not this deployment's own: a key on http is refused
        pinned = Fetcher(FetchPolicy(offline=True), documents=public_documents(store, local))
        elsewhere = verify(issued.image, fetcher=pinned)  # type: ignore[arg-type]
        assert not elsewhere.valid
        assert "plain http" in " ".join(c.message for c in elsewhere.failures)


def test_creation_is_idempotent_and_slugs_are_claimed_once(store: LocalStore) -> None:
    first = create_issuer(store, PUBLIC_URL, ACME)
    again = create_issuer(store, PUBLIC_URL, ACME)
    assert again == first
    with pytest.raises(Conflict) as caught:
        create_issuer(store, PUBLIC_URL, {**ACME, "email": "other@acme.example"})
    assert caught.value.reason == "exists"
    assert get_issuer(store, first.id) == get_issuer(store, "acme-academy") == first
    assert [i.slug for i in list_issuers(store)] == ["acme-academy"]
    with pytest.raises(NotFound):
        get_issuer(store, "did:web:badges.example.org:issuers:nobody")
    with pytest.raises(NotFound):
        get_issuer(store, "did:web:badges.example.org:issuers:\udcff")  # non-UTF-8 argv
    with pytest.raises(NotFound):
        get_issuer(store, "nobody")


def test_listing_issuers_does_not_walk_their_credentials(store: LocalStore) -> None:
    create_issuer(store, PUBLIC_URL, {**ACME, "slug": "zeta"})
    create_issuer(store, PUBLIC_URL, {**ACME, "slug": "alpha", "kind": "key"})
    create_achievement(store, "zeta", {"name": "T", "description": "d", "criteria": "c"}, small_png())
    for n in range(5):
        issue_credential(
            store, "zeta", {"achievement": "t", "recipient": f"r{n}@example.org"}, idempotency_key=f"k{n}"
        )
    walked: list[str] = []
    listing = store.list

    def counted(prefix: str) -> Iterator[str]:
        for key in listing(prefix):
            walked.append(key)
            yield key

    store.list = counted  # type: ignore[method-assign]
    assert [i.slug for i in list_issuers(store)] == ["alpha", "zeta"]
    assert len(walked) == 2  # one index entry per issuer, whatever they issued


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"url": "https://x.example"}, "name"),
        ({"name": "X"}, "url"),
        ({"name": "X", "url": "javascript:alert(1)"}, "url"),
        ({"name": "X", "url": "https://x.example", "email": "nope"}, "email"),
        ({"name": "X", "url": "https://x.example", "slug": "Bad Slug"}, "slug"),
        ({"name": "X", "url": "https://x.example", "kind": "ens"}, "kind"),
        ({"name": "X\x00", "url": "https://x.example"}, "name"),
        ({"name": "X" * 201, "url": "https://x.example"}, "name"),
        ({"name": "X", "url": "https://x.example", "admin": True}, "admin"),
    ],
)
def test_bad_issuer_input_names_the_field(store: LocalStore, data: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidField) as caught:
        create_issuer(store, PUBLIC_URL, data)
    assert caught.value.details["field"] == field
    assert list(store.list("private/")) == []


def test_rotation_keeps_old_badges_verifying(store: LocalStore) -> None:
    issuer = create_issuer(store, PUBLIC_URL, {**ACME, "slug": "acme"})
    create_achievement(store, "acme", {"name": "T", "description": "d", "criteria": "c"}, small_png())
    formats: list[dict[str, Any]] = [{}, {"proof": "jwt"}, {"spec": "ob2", "signed": True}]
    before = [
        issue_credential(store, "acme", {"achievement": "t", "recipient": "ada@example.org", **o})
        for o in formats
    ]
    # WHEN the keys rotate
    rotated = rotate_key(store, "acme")
    assert [k.name for k in rotated.keys] == ["ed25519-1", "rsa-1", "ed25519-2", "rsa-2"]
    assert rotated.revision == issuer.revision + 1
    after = [
        issue_credential(store, "acme", {"achievement": "t", "recipient": "ada@example.org", **o})
        for o in formats
    ]
    # THEN new credentials use the new keys, and old and new all verify
    assert isinstance(after[0].credential, dict)
    assert after[0].credential["proof"][0]["verificationMethod"].endswith("#ed25519-2")
    documents = public_documents(store, PUBLIC_URL)
    for issued in before + after:
        report = verify(issued.image, documents=documents, offline=True)  # type: ignore[arg-type]
        assert report.valid, [c.message for c in report.failures]
    did = document(store, paths.did_document("acme"))
    assert len(did["verificationMethod"]) == len(did["assertionMethod"]) == 4
    assert len(document(store, paths.ob2_issuer("acme"))["publicKey"]) == 2
    assert len(document(store, paths.jwks())["keys"]) == 4
    summary = issuer_summary(rotated)
    assert [k["active"] for k in summary["keys"]] == [False, False, True, True]


def test_concurrent_rotations_never_drop_a_published_key(store: LocalStore) -> None:
    create_issuer(store, PUBLIC_URL, {**ACME, "slug": "acme"})
    outcomes: list[str] = []
    start = threading.Barrier(2)

    def rotate() -> None:
        start.wait()
        try:
            rotate_key(store, "acme", families=("ed25519",))
            outcomes.append("ok")
        except Conflict as exc:
            outcomes.append(exc.reason or "")

    threads = [threading.Thread(target=rotate) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert "ok" in outcomes
    record = get_issuer(store, "acme")
    listed = {m["id"] for m in document(store, paths.did_document("acme"))["verificationMethod"]}
    assert {k.method_id for k in record.keys} <= listed


def test_an_older_view_never_overwrites_newer_documents(store: LocalStore) -> None:
    old = create_issuer(store, PUBLIC_URL, {**ACME, "slug": "acme"})
    rotate_key(store, "acme", families=("ed25519",))
    publish_issuer(store, old)  # a slow writer holding the record before the rotation
    assert len(document(store, paths.did_document("acme"))["verificationMethod"]) == 3


# --- KMS (moto in-process: RSA through KMS, Ed25519 local — moto has no Ed25519) ---------------


@pytest.fixture
def kms(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    import boto3

    with mocked_aws(monkeypatch):
        yield boto3.client("kms", region_name="us-east-1")


def test_kms_keys_are_recorded_and_sign(store: LocalStore, kms: Any) -> None:
    options = KeyOptions(kms=True, kms_client=kms, local_kinds=frozenset({"ed25519"}))
    issuer = create_issuer(store, PUBLIC_URL, {**ACME, "slug": "kmsy"}, keys=options)
    rsa = issuer.active_key("rsa")
    assert rsa.backend == "kms"
    assert rsa.kms_key is not None
    assert rsa.kms_key.startswith("arn:aws:kms:")
    assert rsa.private_name is None
    assert issuer.active_key("ed25519").backend == "local"
    aliases = {a["AliasName"] for a in kms.list_aliases()["Aliases"]}
    assert any(a.startswith("alias/badgekiln/kmsy/rsa-1-") for a in aliases)
    tags = {t["TagKey"]: t["TagValue"] for t in kms.list_resource_tags(KeyId=rsa.kms_key)["Tags"]}
    assert tags == {"badgekiln:stack": "badgekiln", "badgekiln:issuer": "kmsy", "badgekiln:key": "rsa-1"}
    # no RSA private key anywhere in the store
    assert not any(".rsa-1." in key for key in store.list("private/keys/"))
    create_achievement(store, "kmsy", {"name": "T", "description": "d", "criteria": "c"}, small_png())
    for options_ in ({"proof": "jwt"}, {"spec": "ob2", "signed": True}):
        issued = issue_credential(
            store, "kmsy", {"achievement": "t", "recipient": "ada@example.org", **options_}
        )
        report = verify(issued.image, documents=public_documents(store, PUBLIC_URL), offline=True)  # type: ignore[arg-type]
        assert report.valid, [c.message for c in report.failures]
    rotated = rotate_key(store, "kmsy", families=("rsa",), keys=options)
    assert rotated.active_key("rsa").kms_key not in (None, rsa.kms_key)


def test_kms_keys_live_in_the_deployments_namespace(store: LocalStore, kms: Any) -> None:
    # GIVEN a deployment (stack) named "prod-badges": its keys are aliased and tagged under it,
    # which is what its IAM policy is scoped by (template.yaml), so another stack cannot use them
    options = KeyOptions(
        kms=True, kms_client=kms, local_kinds=frozenset({"ed25519"}), kms_namespace="prod-badges"
    )
    rsa = create_issuer(store, PUBLIC_URL, {**ACME, "slug": "spaced"}, keys=options).active_key("rsa")
    assert rsa.kms_key is not None
    aliases = {a["AliasName"] for a in kms.list_aliases(KeyId=rsa.kms_key)["Aliases"]}
    assert len(aliases) == 1
    assert next(iter(aliases)).startswith("alias/prod-badges/spaced/rsa-1-")
    tags = {t["TagKey"]: t["TagValue"] for t in kms.list_resource_tags(KeyId=rsa.kms_key)["Tags"]}
    assert tags["badgekiln:stack"] == "prod-badges"


@pytest.mark.parametrize("namespace", ["", "1stack", "has space", "a/b", "x" * 129])
def test_a_malformed_kms_namespace_is_refused(namespace: str) -> None:
    with pytest.raises(ValueError, match="kms_namespace"):
        KeyOptions(kms=True, kms_namespace=namespace)


def test_multikey_in_did_document_is_the_signing_key(store: LocalStore) -> None:
    issuer = create_issuer(store, PUBLIC_URL, {**ACME, "slug": "acme"})
    did = document(store, paths.did_document("acme"))
    method = next(m for m in did["verificationMethod"] if m["type"] == "Multikey")
    from badgekiln.issue.signing import key_public

    assert multikey_decode(method["publicKeyMultibase"]) == key_public(issuer.active_key("ed25519"))


def test_update_keeps_the_identity_and_refuses_bad_logos(store: LocalStore) -> None:
    from badgekiln.errors import InputTooLarge, NotABadgeImage
    from badgekiln.issue.issuers import MAX_LOGO_BYTES, update_issuer

    keyed = create_issuer(store, PUBLIC_URL, {"name": "Keyed", "url": "https://k.example", "kind": "key"})
    updated = update_issuer(store, keyed.slug, {"description": "Teaches things"}, logo=small_png())
    assert (updated.id, updated.keys, updated.logo) == (keyed.id, keyed.keys, "png")
    assert updated.revision == keyed.revision + 1
    # the same change again changes nothing
    assert update_issuer(store, keyed.slug, {"description": "Teaches things"}).revision == updated.revision
    with pytest.raises(InputTooLarge):
        update_issuer(store, keyed.slug, logo=b"\x89PNG\r\n\x1a\n" + b"\0" * MAX_LOGO_BYTES)
    with pytest.raises(NotABadgeImage):
        update_issuer(store, keyed.slug, logo=b"GIF89a")
    with pytest.raises(InvalidField) as caught:
        update_issuer(store, keyed.slug, {"email": "not an address"})
    assert caught.value.details["field"] == "email"
    with pytest.raises(InvalidField):
        update_issuer(store, keyed.slug, {"slug": "other"})  # identity fields are not updatable
    assert get_issuer(store, keyed.slug).logo == "png"


class _CountingStore(LocalStore):
    """Counts reads of private keys."""

    key_reads = 0

    def get(self, key: str) -> Any:
        if key.startswith("private/keys/"):
            self.key_reads += 1
        return super().get(key)


def test_a_local_key_is_read_once_per_store_and_a_rotation_reads_the_new_one(tmp_path: Path) -> None:
    store = _CountingStore(str(tmp_path / "store"))
    create_issuer(store, PUBLIC_URL, {**ACME, "slug": "acme"})
    create_achievement(store, "acme", {"name": "T", "description": "d", "criteria": "c"}, small_png())
    request = {"achievement": "t", "recipient": "ada@example.org"}
    issued = [issue_credential(store, "acme", request) for _ in range(3)]
    assert store.key_reads == 1
    rotate_key(store, "acme")
    issued.append(issue_credential(store, "acme", request))
    assert store.key_reads == 2  # the new key's PEM, once
    other = _CountingStore(str(tmp_path / "store"))  # another store object (another bucket client)
    issued.append(issue_credential(other, "acme", request))
    assert other.key_reads == 1
    documents = public_documents(store, PUBLIC_URL)
    for credential in issued:
        report = verify(credential.image, documents=documents, offline=True)  # type: ignore[arg-type]
        assert report.valid, [c.message for c in report.failures]


def test_local_keys_kept_per_store_are_bounded(store: LocalStore, monkeypatch: pytest.MonkeyPatch) -> None:
    from badgekiln.issue import signing

    monkeypatch.setattr(signing, "_LOCAL_SIGNERS_PER_STORE", 2)
    create_issuer(store, PUBLIC_URL, {**ACME, "slug": "acme"})
    create_achievement(store, "acme", {"name": "T", "description": "d", "criteria": "c"}, small_png())
    request = {"achievement": "t", "recipient": "ada@example.org"}
    for _ in range(4):  # four keys signed with, one after another
        issue_credential(store, "acme", request)
        rotate_key(store, "acme")
    assert len(signing._local_signers[store]) == 2


def test_kms_key_creation_is_capped_per_issuer_per_day(store: LocalStore, kms: Any) -> None:
    # issue #14 item 3: a leaked issuer key could rotate until the 64-key cap, each KMS key billed
    from datetime import UTC, datetime, timedelta

    from badgekiln.issue.signing import MAX_KMS_KEYS_PER_DAY

    options = KeyOptions(kms=True, kms_client=kms, local_kinds=frozenset({"ed25519"}))
    day = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
    create_issuer(store, PUBLIC_URL, {**ACME, "slug": "kmsy"}, keys=options, now=day)  # rsa-1 in KMS
    for _ in range(MAX_KMS_KEYS_PER_DAY - 1):
        rotate_key(store, "kmsy", keys=options, now=day)
    before = len(kms.list_keys()["Keys"])
    with pytest.raises(InvalidField) as caught:
        rotate_key(store, "kmsy", keys=options, now=day + timedelta(hours=15))
    assert (caught.value.reason, caught.value.details["field"]) == ("kms-daily-cap", "keys")
    assert len(kms.list_keys()["Keys"]) == before  # refused before any key was created
    # local keys are not counted, and the next UTC day has a new budget
    rotate_key(store, "kmsy", families=("ed25519",), keys=options, now=day)
    tomorrow = rotate_key(store, "kmsy", keys=options, now=day + timedelta(days=1))
    assert tomorrow.active_key("rsa").backend == "kms"
