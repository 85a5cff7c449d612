"""Which badge a JSON object is: the one place the Open Badges version and kind are decided.

* an OB 3.0 credential (:class:`~badgekiln.model.ob3.Credential`) when a context is a VC or OB
  3.0 one, or a type is a credential type (:func:`is_credential`: baking's spec detection and
  the verifier's dispatch share it);
* an OB 0.5/1.x assertion (:class:`~badgekiln.model.ob2.LegacyAssertion`): the v1 context
  and an Assertion, or no context and a 1.x shape (:func:`is_legacy`);
* an OB 2.0 assertion (:class:`~badgekiln.model.ob2.Assertion`): type ``Assertion``, or the 2.0
  context with ``badge`` and ``recipient``;
* anything else is not a badge (a BadgeClass or a profile, 1.1 or 2.0, is named as such).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from badgekiln.errors import MalformedPayload
from badgekiln.model.jwt import VcJwt
from badgekiln.model.node import is_object, type_names
from badgekiln.model.ob2 import OB1_CONTEXT, OB2_CONTEXTS, Assertion, LegacyAssertion
from badgekiln.model.ob3 import Credential

__all__ = ["Badge", "carries_credential", "is_credential", "is_legacy", "read", "read_jwt"]

#: What :func:`read` returns: a credential, or an assertion (2.0, or 1.x read as 2.0).
Badge = Credential | Assertion

#: A document is an OB 3.0 (VC) credential when a context starts with one of these, or it has
#: one of the credential types.
_VC_CONTEXT_PREFIXES: Final = (
    "https://www.w3.org/2018/credentials/",
    "https://www.w3.org/ns/credentials/",
    "https://purl.imsglobal.org/spec/ob/v3p0/",
)
_VC_TYPES: Final = frozenset(
    {"VerifiableCredential", "OpenBadgeCredential", "AchievementCredential", "EndorsementCredential"}
)
_OB2_NODE_TYPES: Final = frozenset({"BadgeClass", "Issuer", "Profile", "CryptographicKey", "RevocationList"})
#: What a 1.1 document that is not an Assertion may be (``IssuerOrg``: the 1.1 alias of Issuer).
_OB1_NODE_TYPES: Final = frozenset({"BadgeClass", "Issuer", "IssuerOrg", "Extension"})


def is_credential(document: Mapping[str, Any]) -> bool:
    """Whether a JSON object is an OB 3.0 / VC credential rather than an OB 2.0 assertion."""
    return _names_credential(type_names(document.get("@context")), type_names(document.get("type")))


def _names_credential(contexts: tuple[str, ...], types: tuple[str, ...]) -> bool:
    """:func:`is_credential` of a document's ``@context`` and ``type`` entries."""
    for context in contexts:  # a loop: asked of every badge read
        if context.startswith(_VC_CONTEXT_PREFIXES):
            return True
    return not _VC_TYPES.isdisjoint(types)


def carries_credential(claims: Mapping[str, Any]) -> bool:
    """Whether a JSON object is a credential, or JWT claims carrying one in ``vc`` (VC 1.1)."""
    return _carries(claims, type_names(claims.get("@context")), type_names(claims.get("type")))


def _carries(claims: Mapping[str, Any], contexts: tuple[str, ...], types: tuple[str, ...]) -> bool:
    """:func:`carries_credential` of claims whose ``@context`` and ``type`` entries are read."""
    vc = claims.get("vc")
    return (is_object(vc) and is_credential(vc)) or _names_credential(contexts, types)


def _is_v1(document: Mapping[str, Any], contexts: tuple[str, ...] | None = None) -> bool:
    return OB1_CONTEXT in (type_names(document.get("@context")) if contexts is None else contexts)


def _assertion_shaped(document: Mapping[str, Any]) -> bool:
    """1.0's ``verify`` or ``uid``, or ``badge`` with ``recipient`` (0.5)."""
    return "verify" in document or "uid" in document or {"badge", "recipient"} <= set(document)


def is_legacy(
    document: Mapping[str, Any], contexts: tuple[str, ...] | None = None, types: tuple[str, ...] | None = None
) -> bool:
    """Whether a JSON object is an Open Badges 0.5/1.0/1.1 assertion: the v1 context with type
    ``Assertion`` (or no type and an assertion's members), or no ``@context`` and an assertion's
    members (1.0's ``verify`` or ``uid``, or ``badge`` with ``recipient``). ``contexts`` and
    ``types``: its ``@context`` and ``type`` entries, when already read."""
    if _is_v1(document, contexts):
        types = type_names(document.get("type")) if types is None else types
        return "Assertion" in types or (not types and _assertion_shaped(document))
    return "@context" not in document and _assertion_shaped(document)


def read(document: Mapping[str, Any]) -> Badge:
    """The badge a JSON object is: a credential, a 2.0 assertion or a 1.x one.

    Raises:
        MalformedPayload: ``reason="not-a-badge"``: neither a credential nor an assertion (the
            message names an OB 2.0 BadgeClass, profile, key or list for what it is).
    """
    contexts = type_names(document.get("@context"))  # read once for every question below
    types = type_names(document.get("type"))
    if _names_credential(contexts, types):
        return Credential(document)
    return _read_assertion(document, contexts, types)


def _read_assertion(
    document: Mapping[str, Any], contexts: tuple[str, ...], named: tuple[str, ...]
) -> Assertion:
    """:func:`read` of a JSON object known not to be a credential, its ``@context`` and ``type``
    entries read."""
    if is_legacy(document, contexts, named):
        return LegacyAssertion(document)
    types = set(named)
    if OB1_CONTEXT in contexts:
        kinds = sorted(types & _OB1_NODE_TYPES)
        kind = f"an Open Badges 1.1 {kinds[0]}" if kinds else "an Open Badges 1.1 document"
        raise MalformedPayload(f"not a badge: this is {kind}, not an Assertion", reason="not-a-badge")
    if "Assertion" in types or (
        not OB2_CONTEXTS.isdisjoint(contexts) and {"badge", "recipient"} <= document.keys()
    ):
        return Assertion(document)
    if types & _OB2_NODE_TYPES:
        kind = sorted(types & _OB2_NODE_TYPES)[0]
        raise MalformedPayload(
            f"not a badge: this is an Open Badges 2.0 {kind}, not an Assertion", reason="not-a-badge"
        )
    raise MalformedPayload(
        "not a badge: neither an Open Badges 3.0 credential nor an Open Badges 2.0 assertion",
        reason="not-a-badge",
    )


def read_jwt(claims: Mapping[str, Any]) -> VcJwt | Assertion:
    """The badge the claims of a JWT/JWS carry: a VC-JWT, or a signed 2.0 (or 1.x) assertion.

    Raises:
        MalformedPayload: ``reason="not-a-badge"``, as :func:`read`.
    """
    contexts = type_names(claims.get("@context"))  # read once for every question below
    types = type_names(claims.get("type"))
    if _carries(claims, contexts, types):
        return VcJwt(claims)
    return _read_assertion(claims, contexts, types)
