"""Recipient matching: was this badge awarded to the identity the verifier was given?

OB 2.0 names its recipient with an IdentityObject ``recipient: {type, hashed, identity, salt?}``;
OB 3.0 with ``credentialSubject.id`` and/or ``credentialSubject.identifier[]`` IdentityObjects
``{type: "IdentityObject", identityType, hashed, identityHash, salt?}``. A hashed identity is
``"<alg>$<hex>"`` with ``<alg>`` ``sha256`` or ``md5`` and
``hex = alg(UTF-8(identity ‖ salt))`` (hex digits of either case). Digests and plaintexts are
compared in constant time.

Strictness (documented choice): identities are compared exactly as given, with one exception —
for email identities (OB 2.0 ``email``, OB 3.0 ``emailAddress``) the domain part is
case-insensitive (RFC 5321 §2.4), so ``Ann@Example.org`` also matches a hash of
``Ann@example.org``. The local part is *not* folded (it may be case-sensitive), no whitespace is
stripped, and no Unicode normalisation is applied: pass the identity as the issuer recorded it.

The finders return a :class:`RecipientMatch` or ``None`` (no match is an answer, not an error);
malformed identity objects raise :class:`~badgekiln.errors.MalformedPayload`.
:func:`hash_identity` is the issuing side.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Any, Final, Literal, TypeGuard

from badgekiln.errors import MalformedPayload
from badgekiln.model import ob2, ob3

__all__ = [
    "MAX_IDENTIFIERS",
    "OB2_IDENTITY_TYPES",
    "RecipientMatch",
    "find_ob2_recipient",
    "find_ob3_recipient",
    "hash_identity",
]

#: OB 2.0 IdentityObject ``type`` values (the spec's three; ``id`` as the 1EdTech validator).
OB2_IDENTITY_TYPES: Final = frozenset({"email", "url", "telephone", "id"})
#: Most ``identifier`` entries examined on one credentialSubject.
MAX_IDENTIFIERS: Final = 64
#: Longest identity or salt hashed or compared (characters): far past any address or id.
MAX_IDENTITY_CHARS: Final = 4096
#: Random salt bytes :func:`hash_identity` draws (hex-encoded, so 32 characters).
SALT_BYTES: Final = 16

_HASH: Final = re.compile(r"(?i:(sha256)\$([0-9a-f]{64})|(md5)\$([0-9a-f]{32}))")
_EMAIL_TYPES: Final = frozenset({"email", "emailAddress"})


@dataclass(frozen=True, slots=True)
class RecipientMatch:
    """Which part of the badge named the identity.

    ``via`` is ``"recipient"`` (OB 2.0), ``"id"`` (OB 3.0 ``credentialSubject.id``) or
    ``"identifier"`` (OB 3.0, ``index`` says which); ``algorithm`` is ``sha256``/``md5`` for a
    hashed match and ``None`` for a plaintext one; ``identity_type`` is the matched object's
    type. ``warnings`` lists tolerated deviations (e.g. ``identityType: "email"``).
    """

    via: Literal["recipient", "id", "identifier"]
    identity_type: str
    hashed: bool
    algorithm: str | None = None
    index: int | None = None
    warnings: tuple[str, ...] = ()


def _malformed(message: str, field: str) -> MalformedPayload:
    return MalformedPayload(message, reason="recipient", field=field)


def _text(value: object, *, empty: bool = False) -> TypeGuard[str]:
    """A string we can hash: bounded, UTF-8-encodable (no lone surrogates), empty only if allowed."""
    if not isinstance(value, str) or len(value) > MAX_IDENTITY_CHARS or (not value and not empty):
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # e.g. a surrogate-escaped command-line argument
        return False
    return True


def _check_identity(identity: str) -> None:
    if not isinstance(identity, str):
        raise TypeError(f"identity must be a str, not {type(identity).__name__}")
    if not _text(identity):
        raise ValueError(f"identity must be 1 to {MAX_IDENTITY_CHARS} characters of valid Unicode text")


def _candidates(identity: str, identity_type: str) -> list[str]:
    """The spellings of ``identity`` that count as the same identity (see the module docstring)."""
    forms = [identity]
    if identity_type in _EMAIL_TYPES:
        local, at, domain = identity.rpartition("@")
        folded = f"{local}{at}{domain.lower()}"
        if at and folded != identity:
            forms.append(folded)
    return forms


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


def _digest(algorithm: str, identity: str, salt: str) -> str:
    # md5 is read for OB 2.0 badges issued with it; usedforsecurity=False keeps FIPS builds working.
    return hashlib.new(algorithm, (identity + salt).encode("utf-8"), usedforsecurity=False).hexdigest()


@dataclass(frozen=True, slots=True)
class _Stored:
    """An IdentityObject's claim: ``value`` (hash or plaintext), ``hashed``, ``salt``, ``type``."""

    value: str
    hashed: bool
    salt: str
    type: str
    field: str


def _matches(stored: _Stored, identity: str) -> str | None:
    """The algorithm (or ``""`` for plaintext) when ``identity`` matches ``stored``, else ``None``."""
    forms = _candidates(identity, stored.type)
    if not stored.hashed:
        return "" if any(_same(stored.value, form) for form in forms) else None
    parsed = _HASH.fullmatch(stored.value)
    if parsed is None:
        raise _malformed(f"{stored.field} is not 'sha256$<64 hex>' or 'md5$<32 hex>'", stored.field)
    algorithm = (parsed[1] or parsed[3]).lower()
    expected = (parsed[2] or parsed[4]).lower()
    hits = [_same(_digest(algorithm, form, stored.salt), expected) for form in forms]  # no early exit
    return algorithm if any(hits) else None


def _salt(salt: Any, field: str) -> str:
    if salt is None:
        return ""
    if not _text(salt, empty=True):
        raise _malformed(f"{field} must be a string of at most {MAX_IDENTITY_CHARS} characters", field)
    return salt


def _string(value: Any, field: str) -> str:
    if not _text(value):
        raise _malformed(f"{field} must be a non-empty string", field)
    return value


def _flag(value: Any, field: str) -> bool:
    if not isinstance(value, bool):
        raise _malformed(f"{field} must be true or false", field)
    return value


def find_ob2_recipient(
    recipient: Any, identity: str, *, identity_type: str | None = None
) -> RecipientMatch | None:
    """Match ``identity`` against an OB 2.0 assertion's ``recipient`` IdentityObject (a JSON
    object, or the model's view of one).

    ``identity_type`` (``email``, ``url``, ``telephone``, ``id``) restricts the match to a
    recipient of that type; ``None`` compares with whatever type the badge declares.

    Raises:
        MalformedPayload: ``reason="recipient"``: not an IdentityObject (unknown ``type``,
            ``hashed`` not a boolean, ``identity`` not a string, a hashed identity that is not
            ``sha256$…``/``md5$…``, a non-string salt); ``field`` names the member.
        TypeError, ValueError: ``identity`` is not a non-empty string or ``identity_type`` is
            not an OB 2.0 type (bad calls).

    Example::

        match = find_ob2_recipient(assertion["recipient"], "nobody@example.org", identity_type="email")
    """
    _check_identity(identity)
    if identity_type is not None and identity_type not in OB2_IDENTITY_TYPES:
        raise ValueError(f"identity_type must be one of {sorted(OB2_IDENTITY_TYPES)}")
    claimed = recipient if isinstance(recipient, ob2.IdentityObject) else ob2.IdentityObject.of(recipient)
    if claimed is None:
        raise _malformed("recipient must be an IdentityObject (a JSON object)", "recipient")
    declared = claimed.identity_type
    if not isinstance(declared, str) or declared not in OB2_IDENTITY_TYPES:
        raise _malformed(
            f"recipient.type must be one of {', '.join(sorted(OB2_IDENTITY_TYPES))}", "recipient.type"
        )
    stored = _Stored(
        _string(claimed.identity, "recipient.identity"),
        _flag(claimed.hashed, "recipient.hashed"),
        _salt(claimed.salt, "recipient.salt"),
        declared,
        "recipient.identity",
    )
    if identity_type is not None and identity_type != declared:
        return None
    algorithm = _matches(stored, identity)
    if algorithm is None:
        return None
    return RecipientMatch("recipient", declared, stored.hashed, algorithm or None)


def find_ob3_recipient(
    subject: Any, identity: str, *, identity_type: str | None = None
) -> RecipientMatch | None:
    """Match ``identity`` against an OB 3.0 ``credentialSubject`` (its ``id`` and ``identifier``),
    a JSON object or the model's view of one.

    ``identity_type`` is an OB 3.0 ``identityType`` (``emailAddress``, ``sourcedId`` …):
    identifiers of other types are skipped, as the spec's verification steps say. ``id`` is
    compared exactly, or as ``mailto:<identity>`` for ``emailAddress``. ``identifier`` may be
    one object or a list. Entries spelt ``identityType: "email"`` (a typo in 1EdTech's own
    guide) count as ``emailAddress`` with a warning.

    Raises:
        MalformedPayload: ``reason="recipient"``: the subject is not an object, an identifier
            is not an IdentityObject (``field`` points at it), or there are more than
            :data:`MAX_IDENTIFIERS` of them.
        TypeError, ValueError: ``identity`` is not a non-empty string (a bad call).

    Example::

        match = find_ob3_recipient(credential["credentialSubject"], "a@example.com",
                                   identity_type="emailAddress")
    """
    _check_identity(identity)
    claimed = subject if isinstance(subject, ob3.Subject) else ob3.Subject.of(subject)
    if claimed is None:
        raise _malformed("credentialSubject must be a JSON object", "credentialSubject")
    subject_id = claimed.declared_id
    if isinstance(subject_id, str):
        forms = [identity]
        if identity_type in (None, "emailAddress"):
            forms += [f"mailto:{form}" for form in _candidates(identity, "emailAddress")]
        if any(_same(subject_id, form) for form in forms):
            return RecipientMatch("id", "id", hashed=False)
    entries = claimed.identifiers
    if len(entries) > MAX_IDENTIFIERS:
        raise _malformed(
            f"credentialSubject.identifier has more than {MAX_IDENTIFIERS} entries", "identifier"
        )
    for position, entry in enumerate(entries):
        field = f"credentialSubject.identifier[{position}]"
        item = ob3.IdentityObject.of(entry)
        if item is None or "IdentityObject" not in item.types:
            raise _malformed(f"{field} is not an IdentityObject", field)
        declared = _string(item.identity_type, f"{field}.identityType")
        warnings: tuple[str, ...] = ()
        if declared == "email":
            declared = "emailAddress"
            warnings = (f'{field}.identityType is "email"; the specification says "emailAddress"',)
        stored = _Stored(
            _string(item.identity, f"{field}.identityHash"),
            _flag(item.hashed, f"{field}.hashed"),
            _salt(item.salt, f"{field}.salt"),
            declared,
            f"{field}.identityHash",
        )
        if identity_type is not None and declared != identity_type:
            continue
        algorithm = _matches(stored, identity)
        if algorithm is not None:
            return RecipientMatch(
                "identifier", declared, stored.hashed, algorithm or None, position, warnings
            )
    return None


def hash_identity(identity: str, *, salt: str | None = None, algorithm: str = "sha256") -> tuple[str, str]:
    """``(identity_hash, salt)`` for an IdentityObject: ``"sha256$" + sha256(identity ‖ salt)``.

    ``salt`` defaults to 32 random hex characters (:mod:`secrets`); pass ``""`` for none. The
    identity is hashed as given: normalise it first if the issuer records identities
    normalised (e.g. a lower-cased domain).

    Raises:
        TypeError, ValueError: an identity or salt that is not a string of at most
            :data:`MAX_IDENTITY_CHARS` characters (identity non-empty), or an algorithm other
            than ``sha256`` (md5 is only read, never issued).

    Example::

        identity_hash, salt = hash_identity("a@example.com")
        subject["identifier"] = [{"type": "IdentityObject", "identityType": "emailAddress",
                                  "hashed": True, "identityHash": identity_hash, "salt": salt}]
    """
    _check_identity(identity)
    if algorithm != "sha256":
        raise ValueError("only sha256 identity hashes are issued (md5 is accepted when verifying old badges)")
    if salt is None:
        salt = secrets.token_hex(SALT_BYTES)
    elif not _text(salt, empty=True):
        raise ValueError(f"salt must be a string of at most {MAX_IDENTITY_CHARS} characters of valid text")
    return f"sha256${_digest('sha256', identity, salt)}", salt
