"""Signing with an asymmetric AWS KMS key: the private key never leaves KMS.

The algorithm comes from the key's own ``KeySpec`` (GetPublicKey), never from the caller:

=========================  ==============================  ======
KMS key spec               KMS signing algorithm           JOSE
=========================  ==============================  ======
ECC_NIST_EDWARDS25519      ED25519_SHA_512 (RAW only)      EdDSA
ECC_NIST_P256              ECDSA_SHA_256                   ES256
RSA_2048 / 3072 / 4096     RSASSA_PKCS1_V1_5_SHA_256       RS256
=========================  ==============================  ======

KMS signs at most :data:`RAW_MESSAGE_LIMIT` bytes of RAW message. Up to that size the message
goes RAW (KMS hashes it). A longer ES256/RS256 message goes as its SHA-256 digest with
``MessageType=DIGEST``, which is the same signature on real KMS. Ed25519 has no such way out
(``ED25519_SHA_512`` is RAW-only; ``ED25519_PH_SHA_512`` is Ed25519ph, not JOSE's EdDSA), so
an EdDSA message over the limit is refused. A Data Integrity proof signs 64 bytes (two SHA-256
hashes) and a VC-JWT's signing input is rarely near 4 KB; keep JWT claims small or use
Data Integrity for large credentials.

Every signature is verified against the cached public key before it is returned, so a fault,
a re-pointed alias or an emulator that mishandles DIGEST (moto 5.2.5 does) can never emit a bad
signature: it becomes :class:`~badgekiln.errors.SigningError` (``reason="self-check"``).
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar, cast

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from badgekiln.errors import InvalidField, SigningError
from badgekiln.extras import requires
from badgekiln.keys.local import KEY_KINDS, KeyKind, ecdsa_der_to_raw
from badgekiln.keys.signer import JoseAlgorithm, PublicKey

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient
    from mypy_boto3_kms.literals import KeySpecType, MessageTypeType, SigningAlgorithmSpecType
    from mypy_boto3_kms.type_defs import TagTypeDef

__all__ = [
    "KMS_KEY_SPECS",
    "RAW_MESSAGE_LIMIT",
    "KmsSigner",
    "create_kms_key",
    "schedule_alias_key_deletion",
    "schedule_kms_key_deletion",
]

_T = TypeVar("_T")

#: Largest message KMS Sign accepts with ``MessageType=RAW`` (bytes), a KMS service limit.
RAW_MESSAGE_LIMIT = 4096
#: KMS's shortest pending window before a scheduled key is deleted (days).
MIN_PENDING_WINDOW_DAYS = 7
#: Longest KeyId/ARN/alias ARN KMS accepts (characters).
_MAX_KMS_KEY_ID = 2048
#: KMS's tag limits: 50 tags, keys up to 128 and values up to 256 characters.
_MAX_TAGS = 50
_CLIENT_RETRIES = 3

#: The key spec ``create_kms_key`` asks for, per kind.
KMS_KEY_SPECS: Mapping[KeyKind, KeySpecType] = {
    "ed25519": "ECC_NIST_EDWARDS25519",
    "p256": "ECC_NIST_P256",
    "rsa2048": "RSA_2048",
    "rsa3072": "RSA_3072",
    "rsa4096": "RSA_4096",
}
_ALGORITHMS: Mapping[str, tuple[JoseAlgorithm, SigningAlgorithmSpecType]] = {
    "ECC_NIST_EDWARDS25519": ("EdDSA", "ED25519_SHA_512"),
    "ECC_NIST_P256": ("ES256", "ECDSA_SHA_256"),
    "RSA_2048": ("RS256", "RSASSA_PKCS1_V1_5_SHA_256"),
    "RSA_3072": ("RS256", "RSASSA_PKCS1_V1_5_SHA_256"),
    "RSA_4096": ("RS256", "RSASSA_PKCS1_V1_5_SHA_256"),
}
_ALIAS = re.compile(r"alias/(?!aws/)[A-Za-z0-9/_-]{1,250}")
_KMS_KEY_ID = re.compile(r"[\x21-\x7e]+")


def _default_client() -> KMSClient:
    with requires("aws", "keys in AWS KMS"):
        from botocore.config import Config
        from botocore.exceptions import BotoCoreError

    from badgekiln.awsclients import client

    config = Config(
        retries={"mode": "standard", "max_attempts": _CLIENT_RETRIES}, connect_timeout=5, read_timeout=10
    )
    try:
        return cast("KMSClient", client("kms", config))
    except BotoCoreError as exc:
        raise SigningError(f"cannot set up the KMS client: {exc}", reason="config") from exc


def _kms_error(exc: Exception, action: str, kms_key: str) -> SigningError:
    from botocore.exceptions import ClientError

    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", "Unknown"))
        message = str(error.get("Message", "") or code)
        return SigningError(
            f"KMS {action} with {kms_key!r} failed: {code}: {message}", reason="kms", aws_code=code
        )
    return SigningError(f"KMS {action} with {kms_key!r} failed: {exc}", reason="kms-unreachable")


@dataclass(frozen=True)
class _KeyInfo:
    arn: str
    algorithm: JoseAlgorithm
    kms_algorithm: SigningAlgorithmSpecType
    public: PublicKey


def _check_public(spec: str, public: object, kms_key: str) -> PublicKey:
    """The public key, if its type matches the key spec KMS reported."""
    if spec == "ECC_NIST_EDWARDS25519" and isinstance(public, Ed25519PublicKey):
        return public
    if (
        spec == "ECC_NIST_P256"
        and isinstance(public, ec.EllipticCurvePublicKey)
        and isinstance(public.curve, ec.SECP256R1)
    ):
        return public
    if (
        spec.startswith("RSA_")
        and isinstance(public, rsa.RSAPublicKey)
        and public.key_size == int(spec.removeprefix("RSA_"))
    ):
        return public
    raise SigningError(
        f"KMS key {kms_key!r} reports {spec} but its public key is a {type(public).__name__}",
        reason="public-key",
    )


class KmsSigner:
    """A :class:`~badgekiln.keys.signer.Signer` for an existing asymmetric KMS key.

    ``kms_key`` is a key id, key ARN, alias name or alias ARN; ``key_id`` is the verification
    method / JWS ``kid`` verifiers resolve. The first use calls GetPublicKey once and pins the
    key's ARN, so a later alias change cannot make the signer sign with a key it did not publish.

    Example::

        signer = KmsSigner("alias/badges-acme-1", key_id="did:web:badges.example.org#key-1")
        signature = signer.sign(signing_input)
    """

    def __init__(self, kms_key: str, *, key_id: str, client: KMSClient | None = None) -> None:
        """Raises: InvalidField (``field="kms_key"``) for a malformed KMS key reference."""
        if not (
            isinstance(kms_key, str) and len(kms_key) <= _MAX_KMS_KEY_ID and _KMS_KEY_ID.fullmatch(kms_key)
        ):
            raise InvalidField("a KMS key id, ARN or alias is 1–2048 printable characters", field="kms_key")
        if not isinstance(key_id, str) or not key_id:
            raise ValueError("key_id must be a non-empty string (the verification method URL)")
        self._kms_key = kms_key
        self._key_id = key_id
        self._client = client if client is not None else _default_client()
        self._info: _KeyInfo | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"KmsSigner({self._kms_key!r}, key_id={self._key_id!r})"

    def _key(self) -> _KeyInfo:
        with self._lock:
            if self._info is None:
                self._info = self._describe()
            return self._info

    def _describe(self) -> _KeyInfo:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            response = self._client.get_public_key(KeyId=self._kms_key)
        except (BotoCoreError, ClientError) as exc:
            raise _kms_error(exc, "GetPublicKey", self._kms_key) from exc
        # moto 5.2.5 answers only the deprecated CustomerMasterKeySpec; real KMS sends both.
        fields: Mapping[str, Any] = response
        spec = str(fields.get("KeySpec") or fields.get("CustomerMasterKeySpec") or "")
        if response.get("KeyUsage") != "SIGN_VERIFY":
            raise SigningError(
                f"KMS key {self._kms_key!r} is not a signing key (KeyUsage {response.get('KeyUsage')})",
                reason="key-usage",
            )
        if spec not in _ALGORITHMS:
            raise SigningError(
                f"KMS key {self._kms_key!r} has key spec {spec or 'unknown'}; badgekiln signs with "
                f"{', '.join(_ALGORITHMS)}",
                reason="key-spec",
            )
        algorithm, kms_algorithm = _ALGORITHMS[spec]
        if kms_algorithm not in response.get("SigningAlgorithms", []):
            raise SigningError(
                f"KMS key {self._kms_key!r} does not offer {kms_algorithm}", reason="signing-algorithm"
            )
        try:
            public = serialization.load_der_public_key(response["PublicKey"])
        except (KeyError, ValueError) as exc:
            raise SigningError(
                f"KMS returned an unreadable public key for {self._kms_key!r}", reason="public-key"
            ) from exc
        return _KeyInfo(
            arn=str(response.get("KeyId") or self._kms_key),
            algorithm=algorithm,
            kms_algorithm=kms_algorithm,
            public=_check_public(spec, public, self._kms_key),
        )

    @property
    def algorithm(self) -> JoseAlgorithm:
        """``EdDSA``, ``ES256`` or ``RS256``, from the key's spec (calls KMS on first use).

        Raises:
            SigningError: KMS failed, or the key is not a signing key of a supported spec.
        """
        return self._key().algorithm

    @property
    def key_id(self) -> str:
        """The verification method / JWS ``kid`` that resolves to the public key."""
        return self._key_id

    def public_key(self) -> PublicKey:
        """The public half, from GetPublicKey (cached).

        Raises:
            SigningError: KMS failed, or the key is not a signing key of a supported spec.
        """
        return self._key().public

    def sign(self, message: bytes) -> bytes:
        """Sign ``message`` in KMS and return the JOSE-form signature, verified before return.

        Raises:
            SigningError: ``reason`` ``"message-too-large"`` (EdDSA over
                :data:`RAW_MESSAGE_LIMIT` bytes), ``"kms"`` (KMS refused; ``aws_code`` gives its
                code), ``"kms-unreachable"``, ``"signature-format"`` or ``"self-check"`` (KMS
                answered with something that is not a valid signature of ``message``).
        """
        from botocore.exceptions import BotoCoreError, ClientError

        info = self._key()
        payload = message
        message_type: MessageTypeType = "RAW"
        if len(message) > RAW_MESSAGE_LIMIT:
            if info.algorithm == "EdDSA":
                raise SigningError(
                    f"KMS signs at most {RAW_MESSAGE_LIMIT} bytes with Ed25519 and the message has "
                    f"{len(message)}; sign a hash (Data Integrity) or make the JWT smaller",
                    reason="message-too-large",
                    limit=RAW_MESSAGE_LIMIT,
                )
            payload = hashlib.sha256(message).digest()
            message_type = "DIGEST"
        try:
            response = self._client.sign(
                KeyId=info.arn,
                Message=payload,
                MessageType=message_type,
                SigningAlgorithm=info.kms_algorithm,
            )
        except (BotoCoreError, ClientError) as exc:
            raise _kms_error(exc, "Sign", self._kms_key) from exc
        signature = bytes(response.get("Signature", b""))
        # KMS answers ECDSA in DER; JOSE wants fixed-width r‖s (this also refuses non-DER).
        result = ecdsa_der_to_raw(signature) if info.algorithm == "ES256" else signature
        self._self_check(info, message, signature)
        return result

    def _self_check(self, info: _KeyInfo, message: bytes, signature: bytes) -> None:
        public: Any = info.public
        try:
            if info.algorithm == "EdDSA":
                if len(signature) != 64:
                    raise SigningError(
                        f"KMS returned a {len(signature)}-byte Ed25519 signature", reason="signature-format"
                    )
                public.verify(signature, message)
            elif info.algorithm == "ES256":
                public.verify(signature, message, ec.ECDSA(hashes.SHA256()))
            else:
                public.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature as exc:
            raise SigningError(
                f"KMS key {self._kms_key!r} returned a signature that does not verify with its public key",
                reason="self-check",
            ) from exc


def create_kms_key(
    kind: KeyKind,
    *,
    alias: str,
    tags: Mapping[str, str] | None = None,
    description: str = "badgekiln issuer signing key",
    client: KMSClient | None = None,
) -> str:
    """Create an asymmetric SIGN_VERIFY KMS key of ``kind`` named ``alias``; return its ARN.

    If the alias cannot be created the new key is scheduled for deletion (7 days), so a failed
    call leaves nothing to pay for.

    Raises:
        ValueError: an unknown ``kind``.
        InvalidField: ``alias`` is not ``alias/<name>`` (``alias/aws/`` is reserved), or a tag is
            over KMS's limits.
        SigningError: KMS refused (``aws_code`` gives its code, e.g. ``AlreadyExistsException``).
    """
    from botocore.exceptions import BotoCoreError, ClientError

    if kind not in KMS_KEY_SPECS:
        raise ValueError(f"unknown key kind {kind!r}; choose one of {', '.join(KEY_KINDS)}")
    if not _ALIAS.fullmatch(alias):
        raise InvalidField(
            f"{alias[:80]!r} is not a KMS alias: alias/ then up to 250 of A-Z a-z 0-9 / _ -, not alias/aws/",
            field="alias",
        )
    tag_list: list[TagTypeDef] = []
    for name, value in (tags or {}).items():
        if not (0 < len(name) <= 128 and len(value) <= 256):
            raise InvalidField("KMS tag keys are 1–128 and values 0–256 characters", field="tags")
        tag_list.append({"TagKey": name, "TagValue": value})
    if len(tag_list) > _MAX_TAGS:
        raise InvalidField(f"KMS allows at most {_MAX_TAGS} tags per key", field="tags", limit=_MAX_TAGS)
    kms = client if client is not None else _default_client()
    try:
        created = kms.create_key(
            KeySpec=KMS_KEY_SPECS[kind], KeyUsage="SIGN_VERIFY", Description=description, Tags=tag_list
        )
    except (BotoCoreError, ClientError) as exc:
        raise _kms_error(exc, "CreateKey", alias) from exc
    arn, key = created["KeyMetadata"]["Arn"], created["KeyMetadata"]["KeyId"]
    try:
        kms.create_alias(AliasName=alias, TargetKeyId=key)
    except (BotoCoreError, ClientError) as exc:
        cleanup = "scheduled for deletion"
        try:
            kms.schedule_key_deletion(KeyId=key, PendingWindowInDays=MIN_PENDING_WINDOW_DAYS)
        except (BotoCoreError, ClientError):
            cleanup = "NOT scheduled for deletion: delete it by hand"
        raise _kms_error(exc, f"CreateAlias (new key {arn} {cleanup})", alias) from exc
    return arn


def schedule_kms_key_deletion(
    kms_key: str, *, days: int = MIN_PENDING_WINDOW_DAYS, client: KMSClient | None = None
) -> None:
    """Schedule KMS key ``kms_key`` for deletion after ``days`` (7–30, KMS's bounds); it signs
    nothing from now on. A key already pending deletion, or gone, is no error (safe to repeat).

    Raises:
        SigningError: KMS refused (``aws_code`` gives its code).
    """
    kms = client if client is not None else _default_client()
    # the key id, not the ARN: moto 5 looks keys up by id here (KMS takes either)
    key_id = kms_key.rsplit(":key/", 1)[-1]
    _unless_gone(
        "ScheduleKeyDeletion",
        kms_key,
        lambda: kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=days),
    )


def schedule_alias_key_deletion(
    alias: str, *, days: int = MIN_PENDING_WINDOW_DAYS, client: KMSClient | None = None
) -> None:
    """Schedule the KMS key ``alias`` names for deletion after ``days`` (see
    :func:`schedule_kms_key_deletion`). No such alias (the key was never made, or its alias
    never was: :func:`create_kms_key` then scheduled it itself), or a key already pending
    deletion, is no error (safe to repeat).

    Raises:
        SigningError: KMS refused (``aws_code`` gives its code).
    """
    kms = client if client is not None else _default_client()
    # GetPublicKey resolves the alias as DescribeKey would, with the permission the functions
    # that make keys already hold on them (no kms:DescribeKey granted)
    found = _unless_gone("GetPublicKey", alias, lambda: kms.get_public_key(KeyId=alias))
    if found is not None:
        schedule_kms_key_deletion(str(found["KeyId"]), days=days, client=kms)


def _unless_gone(action: str, kms_key: str, call: Callable[[], _T]) -> _T | None:
    """``call()``, or ``None`` when KMS answers that the key does not exist or is pending
    deletion already.

    Raises:
        SigningError: KMS refused otherwise.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return call()
    except ClientError as exc:
        error = exc.response.get("Error", {})
        code, message = str(error.get("Code", "")), str(error.get("Message", "")).lower()
        if code == "NotFoundException" or (
            code == "KMSInvalidStateException" and "pending" in message and "deletion" in message
        ):
            return None
        raise _kms_error(exc, action, kms_key) from exc
    except BotoCoreError as exc:
        raise _kms_error(exc, action, kms_key) from exc
