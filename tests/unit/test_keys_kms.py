"""KmsSigner: RSA and P-256 through moto in-process; Ed25519 and DIGEST through a local stand-in.

moto 5.2.5 cannot create ECC_NIST_EDWARDS25519 keys and ignores ``MessageType=DIGEST`` (it hashes
the digest again), so those paths run against :class:`LocalKms`, which answers as real KMS does
(documented in docs/storage-and-keys.md).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed, encode_dss_signature

from badgekiln.errors import InvalidField, SigningError
from badgekiln.keys.kms import RAW_MESSAGE_LIMIT, KmsSigner, create_kms_key, schedule_alias_key_deletion
from badgekiln.keys.signer import Signer
from tests.aws_support import kms_refuses_unusable_keys, mocked_aws

KID = "did:web:badges.example.org:issuers:acme#key-1"
MESSAGE = b"eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJhY21lIn0"


def verify(public: Any, algorithm: str, signature: bytes, message: bytes) -> None:
    """Check a JOSE-form signature with cryptography (raises InvalidSignature)."""
    if algorithm == "EdDSA":
        public.verify(signature, message)
    elif algorithm == "ES256":
        assert len(signature) == 64
        der = encode_dss_signature(
            int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
        )
        public.verify(der, message, ec.ECDSA(hashes.SHA256()))
    else:
        public.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())


@pytest.fixture
def kms(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    import boto3

    with mocked_aws(monkeypatch):
        yield boto3.client("kms", region_name="us-east-1")


def kms_public_key(client: Any, key: str) -> Any:
    return serialization.load_der_public_key(client.get_public_key(KeyId=key)["PublicKey"])


# --- through moto ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "algorithm"), [("rsa2048", "RS256"), ("rsa3072", "RS256"), ("p256", "ES256")]
)
def test_moto_keys_sign_and_verify_against_get_public_key(kms: Any, kind: Any, algorithm: str) -> None:
    # GIVEN a KMS key made by the admin helper, addressed by its alias
    arn = create_kms_key(kind, alias=f"alias/badgekiln-{kind}", tags={"app": "badgekiln"}, client=kms)
    signer = KmsSigner(f"alias/badgekiln-{kind}", key_id=KID, client=kms)
    # WHEN it signs
    signature = signer.sign(MESSAGE)
    # THEN the algorithm came from the key spec and the signature verifies with GetPublicKey's key
    assert isinstance(signer, Signer)
    assert (signer.algorithm, signer.key_id) == (algorithm, KID)
    verify(kms_public_key(kms, arn), algorithm, signature, MESSAGE)
    assert signer.public_key().public_numbers() == kms_public_key(kms, arn).public_numbers()
    tags = kms.list_resource_tags(KeyId=arn)["Tags"]
    assert {"TagKey": "app", "TagValue": "badgekiln"} in tags


def test_public_key_is_fetched_once_and_the_key_pinned(kms: Any) -> None:
    # GIVEN a signer on an alias, used once
    first = create_kms_key("p256", alias="alias/issuer", client=kms)
    published = kms_public_key(kms, first)
    calls: list[str] = []
    real_get = kms.get_public_key

    def counting_get(**kwargs: Any) -> Any:
        calls.append(kwargs["KeyId"])
        return real_get(**kwargs)

    kms.get_public_key = counting_get
    signer = KmsSigner("alias/issuer", key_id=KID, client=kms)
    verify(signer.public_key(), "ES256", signer.sign(b"one"), b"one")
    # WHEN the alias is re-pointed to another key
    second = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    kms.update_alias(AliasName="alias/issuer", TargetKeyId=second)
    # THEN the signer keeps signing with the key it published, and asked KMS for it only once
    verify(published, "ES256", signer.sign(b"two"), b"two")
    assert calls == ["alias/issuer"]


def test_moto_ignores_digest_and_the_self_check_catches_it(kms: Any) -> None:
    # GIVEN a message over the RAW limit, which the signer sends as a SHA-256 DIGEST; moto 5.2.5
    # hashes the digest again, so its signature is wrong. THEN no bad signature escapes.
    create_kms_key("rsa2048", alias="alias/big", client=kms)
    signer = KmsSigner("alias/big", key_id=KID, client=kms)
    with pytest.raises(SigningError) as caught:
        signer.sign(b"x" * (RAW_MESSAGE_LIMIT + 1))
    assert caught.value.reason == "self-check"
    verify(signer.public_key(), "RS256", signer.sign(b"x" * RAW_MESSAGE_LIMIT), b"x" * RAW_MESSAGE_LIMIT)


def test_moto_cannot_make_ed25519_keys(kms: Any) -> None:
    with pytest.raises(SigningError) as caught:
        create_kms_key("ed25519", alias="alias/ed", client=kms)
    assert caught.value.details["aws_code"] == "ValidationException"


@pytest.mark.parametrize(
    ("create", "reason"),
    [
        ({}, "key-usage"),  # a symmetric encryption key
        ({"KeySpec": "ECC_NIST_P384", "KeyUsage": "SIGN_VERIFY"}, "key-spec"),
        ({"KeySpec": "ECC_SECG_P256K1", "KeyUsage": "SIGN_VERIFY"}, "key-spec"),
        ({"KeySpec": "RSA_2048", "KeyUsage": "ENCRYPT_DECRYPT"}, "key-usage"),
    ],
)
def test_unusable_keys_are_refused(kms: Any, create: dict[str, str], reason: str) -> None:
    key = kms.create_key(**create)["KeyMetadata"]["KeyId"]
    signer = KmsSigner(key, key_id=KID, client=kms)
    with pytest.raises(SigningError) as caught:
        signer.sign(MESSAGE)
    assert caught.value.reason == reason


def test_unknown_key_is_a_signing_error_with_the_aws_code(kms: Any) -> None:
    signer = KmsSigner("alias/nobody", key_id=KID, client=kms)
    with pytest.raises(SigningError) as caught:
        _ = signer.algorithm
    assert (caught.value.reason, caught.value.details["aws_code"]) == ("kms", "NotFoundException")
    assert "alias/nobody" in caught.value.message


def test_create_kms_key_alias_clash_schedules_the_new_key_for_deletion(kms: Any) -> None:
    create_kms_key("rsa2048", alias="alias/taken", client=kms)
    with pytest.raises(SigningError) as caught:
        create_kms_key("p256", alias="alias/taken", client=kms)
    assert caught.value.details["aws_code"] == "AlreadyExistsException"
    states = {
        key["KeyId"]: kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"]
        for key in kms.list_keys()["Keys"]
    }
    assert sorted(states.values()) == ["Enabled", "PendingDeletion"]


def test_schedule_alias_key_deletion_finds_the_key_by_its_alias_and_may_be_repeated(
    kms: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    kms_refuses_unusable_keys(monkeypatch)  # GetPublicKey of a key pending deletion, as on KMS
    arn = create_kms_key("rsa2048", alias="alias/ns/acme/rsa-2-abcd", client=kms)
    other = create_kms_key("rsa2048", alias="alias/ns/acme/rsa-1-abcd", client=kms)
    for _ in range(2):  # the second finds it pending deletion
        schedule_alias_key_deletion("alias/ns/acme/rsa-2-abcd", client=kms)
    schedule_alias_key_deletion("alias/ns/acme/never-made", client=kms)  # nothing to destroy
    states = {a: kms.describe_key(KeyId=a)["KeyMetadata"]["KeyState"] for a in (arn, other)}
    assert states == {arn: "PendingDeletion", other: "Enabled"}
    kms.disable_key(KeyId=other.rsplit("/", 1)[1])
    with pytest.raises(SigningError) as caught:  # a refusal that is not "gone" is an error
        schedule_alias_key_deletion("alias/ns/acme/rsa-1-abcd", client=kms)
    assert caught.value.details["aws_code"] == "DisabledException"


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"alias": "taken"}, InvalidField),
        ({"alias": "alias/aws/s3"}, InvalidField),
        ({"alias": "alias/a b"}, InvalidField),
        ({"alias": "alias/" + "a" * 251}, InvalidField),
        ({"alias": "alias/ok", "tags": {"": "v"}}, InvalidField),
        ({"alias": "alias/ok", "tags": {"k": "v" * 257}}, InvalidField),
        ({"alias": "alias/ok", "tags": {f"k{i}": "v" for i in range(51)}}, InvalidField),
        ({"alias": "alias/ok", "kind": "rsa1024"}, ValueError),
    ],
)
def test_create_kms_key_refuses_bad_arguments(kwargs: dict[str, Any], error: type) -> None:
    kind = kwargs.pop("kind", "p256")
    with pytest.raises(error):
        create_kms_key(kind, client=object(), **kwargs)  # type: ignore[arg-type]


def test_bad_calls() -> None:
    for reference in ("", "a b", "x" * 2049, "alias/\n"):
        with pytest.raises(InvalidField):
            KmsSigner(reference, key_id=KID, client=object())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="key_id"):
        KmsSigner("alias/x", key_id="", client=object())  # type: ignore[arg-type]


# --- a stand-in that answers as real KMS does ---------------------------------------------------


class LocalKms:
    """A KMS client over a local key: Ed25519 and DIGEST as the KMS documentation specifies."""

    ARN = "arn:aws:kms:us-east-1:111122223333:key/0000aaaa-1111-2222-3333-444455556666"

    def __init__(self, key: Any, spec: str, **overrides: Any) -> None:
        self.key = key
        self.spec = spec
        self.overrides = overrides
        self.calls: list[dict[str, Any]] = []

    def get_public_key(self, KeyId: str) -> dict[str, Any]:
        algorithm = {
            "ECC_NIST_EDWARDS25519": ["ED25519_SHA_512", "ED25519_PH_SHA_512"],
            "ECC_NIST_P256": ["ECDSA_SHA_256"],
        }.get(self.spec, ["RSASSA_PKCS1_V1_5_SHA_256", "RSASSA_PSS_SHA_256"])
        public = self.key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        answer = {
            "KeyId": self.ARN,
            "PublicKey": public,
            "KeySpec": self.spec,
            "KeyUsage": "SIGN_VERIFY",
            "SigningAlgorithms": algorithm,
        }
        return {**answer, **self.overrides}

    def sign(self, KeyId: str, Message: bytes, MessageType: str, SigningAlgorithm: str) -> dict[str, Any]:
        self.calls.append(
            {"KeyId": KeyId, "Message": Message, "MessageType": MessageType, "Algorithm": SigningAlgorithm}
        )
        if "Signature" in self.overrides:
            return {"Signature": self.overrides["Signature"]}
        assert MessageType == "DIGEST" or len(Message) <= RAW_MESSAGE_LIMIT
        if isinstance(self.key, Ed25519PrivateKey):
            assert (MessageType, SigningAlgorithm) == ("RAW", "ED25519_SHA_512")
            return {"Signature": self.key.sign(Message)}
        digest: Any = Prehashed(hashes.SHA256()) if MessageType == "DIGEST" else hashes.SHA256()
        if isinstance(self.key, ec.EllipticCurvePrivateKey):
            return {"Signature": self.key.sign(Message, ec.ECDSA(digest))}
        return {"Signature": self.key.sign(Message, padding.PKCS1v15(), digest)}


def test_ed25519_path_behind_the_same_interface() -> None:
    # GIVEN an ECC_NIST_EDWARDS25519 key (backed locally: moto lacks it)
    fake = LocalKms(Ed25519PrivateKey.generate(), "ECC_NIST_EDWARDS25519")
    signer = KmsSigner("alias/ed", key_id=KID, client=fake)  # type: ignore[arg-type]
    # THEN EdDSA, RAW, ED25519_SHA_512, pinned to the ARN, 64 bytes that verify
    message = hashlib.sha256(b"proof config").digest() + hashlib.sha256(b"document").digest()
    signature = signer.sign(message)
    assert signer.algorithm == "EdDSA"
    assert isinstance(signer.public_key(), Ed25519PublicKey)
    verify(signer.public_key(), "EdDSA", signature, message)
    assert fake.calls == [
        {"KeyId": LocalKms.ARN, "Message": message, "MessageType": "RAW", "Algorithm": "ED25519_SHA_512"}
    ]
    # AND the RAW limit is exact
    verify(signer.public_key(), "EdDSA", signer.sign(b"j" * RAW_MESSAGE_LIMIT), b"j" * RAW_MESSAGE_LIMIT)


def test_ed25519_over_the_raw_limit_is_refused_before_calling_kms() -> None:
    fake = LocalKms(Ed25519PrivateKey.generate(), "ECC_NIST_EDWARDS25519")
    signer = KmsSigner("alias/ed", key_id=KID, client=fake)  # type: ignore[arg-type]
    with pytest.raises(SigningError) as caught:
        signer.sign(b"j" * (RAW_MESSAGE_LIMIT + 1))
    assert (caught.value.reason, caught.value.details["limit"]) == ("message-too-large", RAW_MESSAGE_LIMIT)
    assert fake.calls == []


@pytest.mark.parametrize(
    ("key", "spec", "algorithm"),
    [
        (ec.generate_private_key(ec.SECP256R1()), "ECC_NIST_P256", "ES256"),
        (rsa.generate_private_key(65537, 2048), "RSA_2048", "RS256"),
    ],
)
def test_long_messages_go_as_digest_on_real_kms(key: Any, spec: str, algorithm: str) -> None:
    fake = LocalKms(key, spec)
    signer = KmsSigner("alias/k", key_id=KID, client=fake)  # type: ignore[arg-type]
    message = b"h" * 10_000
    verify(key.public_key(), algorithm, signer.sign(message), message)
    assert fake.calls[-1]["MessageType"] == "DIGEST"
    assert fake.calls[-1]["Message"] == hashlib.sha256(message).digest()


@pytest.mark.parametrize(
    ("key", "spec", "overrides", "reason"),
    [
        (Ed25519PrivateKey.generate(), "ECC_NIST_EDWARDS25519", {"Signature": bytes(63)}, "signature-format"),
        (Ed25519PrivateKey.generate(), "ECC_NIST_EDWARDS25519", {"Signature": bytes(64)}, "self-check"),
        (
            ec.generate_private_key(ec.SECP256R1()),
            "ECC_NIST_P256",
            {"Signature": bytes(64)},
            "signature-format",
        ),
        (
            ec.generate_private_key(ec.SECP256R1()),
            "ECC_NIST_P256",
            {"Signature": encode_dss_signature(1, 1)},
            "self-check",
        ),
        (rsa.generate_private_key(65537, 2048), "RSA_2048", {"Signature": bytes(256)}, "self-check"),
        (rsa.generate_private_key(65537, 2048), "RSA_3072", {}, "public-key"),
        (ec.generate_private_key(ec.SECP256R1()), "RSA_2048", {}, "public-key"),
        (ec.generate_private_key(ec.SECP384R1()), "ECC_NIST_P256", {}, "public-key"),
        (Ed25519PrivateKey.generate(), "ECC_NIST_EDWARDS25519", {"PublicKey": b"\x30\x00"}, "public-key"),
        (
            Ed25519PrivateKey.generate(),
            "ECC_NIST_EDWARDS25519",
            {"SigningAlgorithms": ["ED25519_PH_SHA_512"]},
            "signing-algorithm",
        ),
        (Ed25519PrivateKey.generate(), "ECC_NIST_EDWARDS25519", {"KeySpec": None}, "key-spec"),
    ],
)
def test_bad_answers_from_kms_are_refused(
    key: Any, spec: str, overrides: dict[str, Any], reason: str
) -> None:
    signer = KmsSigner("alias/k", key_id=KID, client=LocalKms(key, spec, **overrides))  # type: ignore[arg-type]
    with pytest.raises(SigningError) as caught:
        signer.sign(MESSAGE)
    assert caught.value.reason == reason


@pytest.mark.parametrize(
    ("operation", "code"),
    [
        ("GetPublicKey", "AccessDeniedException"),
        ("Sign", "DisabledException"),
        ("Sign", "KMSInvalidStateException"),
        ("Sign", "ThrottlingException"),
    ],
)
def test_client_errors_keep_the_aws_code(operation: str, code: str) -> None:
    import boto3
    from botocore.stub import Stubber

    client = boto3.client("kms", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    key = ec.generate_private_key(ec.SECP256R1())
    signer = KmsSigner("alias/k", key_id=KID, client=client)
    with Stubber(client) as stub:
        if operation == "Sign":
            stub.add_response(
                "get_public_key",
                LocalKms(key, "ECC_NIST_P256").get_public_key("alias/k"),
                {"KeyId": "alias/k"},
            )
        stub.add_client_error(
            "sign" if operation == "Sign" else "get_public_key",
            service_error_code=code,
            service_message="no",
            http_status_code=400,
        )
        with pytest.raises(SigningError) as caught:
            signer.sign(MESSAGE)
    assert (caught.value.reason, caught.value.details["aws_code"]) == ("kms", code)
    assert operation in caught.value.message


def test_an_unreachable_kms_is_a_signing_error() -> None:
    from botocore.exceptions import EndpointConnectionError

    class Down:
        def get_public_key(self, **kwargs: Any) -> Any:
            raise EndpointConnectionError(endpoint_url="https://kms.us-east-1.amazonaws.com")

    with pytest.raises(SigningError) as caught:
        KmsSigner("alias/k", key_id=KID, client=Down()).public_key()  # type: ignore[arg-type]
    assert caught.value.reason == "kms-unreachable"


def test_repr() -> None:
    assert repr(KmsSigner("alias/k", key_id=KID, client=object())) == f"KmsSigner('alias/k', key_id={KID!r})"  # type: ignore[arg-type]


def test_signer_modules_do_not_import_boto3() -> None:
    import subprocess
    import sys

    code = (
        "import sys, badgekiln.keys.kms, badgekiln.keys.local; "
        "print('boto3' in sys.modules, 'botocore' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
