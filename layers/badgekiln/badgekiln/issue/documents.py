"""The public documents of an issuer and its achievements, built from the private records.

Pure functions: records in, JSON-ready dicts out. Where they are published is
:mod:`badgekiln.hosting.layout`'s business; who writes them is :mod:`badgekiln.issue.issuers`'
and :mod:`badgekiln.issue.achievements`'.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from badgekiln.hosting import layout as paths
from badgekiln.hosting.layout import ImageFormat, Layout
from badgekiln.issue.records import IssuerRecord, KeyFamily, KeyRecord
from badgekiln.issue.signing import key_forms

__all__ = [
    "DID_CONTEXTS",
    "OB2_CONTEXT",
    "OB3_CONTEXTS",
    "achievement_document",
    "badge_class_document",
    "did_document",
    "embedded_profile",
    "jwks_entries",
    "key_documents",
    "key_jwk",
    "key_paths",
    "ob2_issuer_document",
    "ob2_key_document",
    "profile_document",
    "verification_method",
]

VC2_CONTEXT: Final = "https://www.w3.org/ns/credentials/v2"
OB3_CONTEXT: Final = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
#: Every OB 3.0 document starts with these two contexts, in this order.
OB3_CONTEXTS: Final = (VC2_CONTEXT, OB3_CONTEXT)
OB2_CONTEXT: Final = "https://w3id.org/openbadges/v2"
#: DID core, plus the vocabularies of the two method types used (Multikey, JsonWebKey).
DID_CONTEXTS: Final = (
    "https://www.w3.org/ns/did/v1",
    "https://w3id.org/security/multikey/v1",
    "https://w3id.org/security/jwk/v1",
)


def embedded_profile(issuer: IssuerRecord) -> dict[str, Any]:
    """The issuer as OB 3.0 credentials embed it (a ``Profile``; verifiers want the object)."""
    profile: dict[str, Any] = {"id": issuer.id, "type": ["Profile"], "name": issuer.name, "url": issuer.url}
    if issuer.email:
        profile["email"] = issuer.email
    if issuer.description:
        profile["description"] = issuer.description
    logo = logo_url(issuer)
    if logo is not None:
        profile["image"] = {"id": logo, "type": "Image"}
    return profile


def logo_url(issuer: IssuerRecord) -> str | None:
    """Where the issuer's logo is published (``None``: it has none)."""
    if issuer.logo is None:
        return None
    return Layout.parse(issuer.public_url).url(paths.issuer_logo(issuer.slug, issuer.logo))


def verification_method(issuer: IssuerRecord, key: KeyRecord) -> dict[str, Any] | None:
    """``key`` as a verification method controlled by the issuer (``None``: it has no method id).

    Ed25519 keys are ``Multikey`` (what ``eddsa-rdfc-2022`` verifiers expect); RSA keys are
    ``JsonWebKey`` (Multikey has no RSA form).
    """
    if key.method_id is None:
        return None
    forms = key_forms(key)
    method: dict[str, Any] = {"id": key.method_id, "controller": issuer.id}
    if "multibase" in forms:
        method["type"] = "Multikey"
        method["publicKeyMultibase"] = forms["multibase"]
    else:
        method["type"] = "JsonWebKey"
        method["publicKeyJwk"] = forms["jwk"]
    return method


def _methods(issuer: IssuerRecord) -> list[dict[str, Any]]:
    return [m for m in (verification_method(issuer, k) for k in issuer.published_keys) if m is not None]


def profile_document(issuer: IssuerRecord) -> dict[str, Any]:
    """The OB 3.0 Profile published at ``issuers/<slug>/profile.json``.

    For a ``url`` issuer this URL is the issuer id and the controller document of its keys, so
    it lists them (``verificationMethod`` and ``assertionMethod``).
    """
    document: dict[str, Any] = {"@context": list(OB3_CONTEXTS), **embedded_profile(issuer)}
    if issuer.kind == "url":
        methods = _methods(issuer)
        document["verificationMethod"] = methods
        document["assertionMethod"] = [m["id"] for m in methods]
    return document


def did_document(issuer: IssuerRecord) -> dict[str, Any]:
    """The did:web DID document: every key, old and new, authorised for ``assertionMethod``."""
    methods = _methods(issuer)
    return {
        "@context": list(DID_CONTEXTS),
        "id": issuer.id,
        "verificationMethod": methods,
        "assertionMethod": [m["id"] for m in methods],
    }


def key_documents(
    where: Layout, issuer: IssuerRecord, key: KeyRecord
) -> dict[paths.Hosted, bytes | dict[str, Any]]:
    """The per-key documents: verification method (``.json``), JWK (``.jwk``), SPKI PEM (``.pem``)."""
    out: dict[paths.Hosted, bytes | dict[str, Any]] = {}
    method = verification_method(issuer, key)
    if method is not None:
        out[paths.key_document(issuer.slug, key.name, "json")] = method
    out[paths.key_document(issuer.slug, key.name, "jwk")] = key_jwk(where, issuer, key)
    out[paths.key_document(issuer.slug, key.name, "pem")] = key_forms(key)["pem"].encode("ascii")
    if key.family == "rsa":
        out[paths.ob2_key(issuer.slug, key.name)] = ob2_key_document(where, issuer, key)
    return out


def key_paths(slug: str, name: str, family: KeyFamily) -> tuple[paths.Hosted, ...]:
    """Where :func:`key_documents` may put key ``name``'s documents (to delete them)."""
    hosted = tuple(paths.key_document(slug, name, ext) for ext in ("json", "jwk", "pem"))
    return (*hosted, paths.ob2_key(slug, name)) if family == "rsa" else hosted


def key_jwk(where: Layout, issuer: IssuerRecord, key: KeyRecord) -> dict[str, Any]:
    """``key`` as a bare JWK (its ``.jwk`` document and JWK Set member): ``kid`` (the method id,
    else the ``.jwk`` URL), ``alg``, ``use`` and ``iss`` (the issuer id)."""
    return {
        **key.jwk,
        "kid": key.method_id or where.url(paths.key_document(issuer.slug, key.name, "jwk")),
        "alg": "EdDSA" if key.family == "ed25519" else "RS256",
        "use": "sig",
        "iss": issuer.id,
    }


def jwks_entries(where: Layout, issuer: IssuerRecord) -> list[dict[str, Any]]:
    """The issuer's keys as JWK Set members (:func:`key_jwk`)."""
    return [key_jwk(where, issuer, key) for key in issuer.published_keys]


def ob2_issuer_document(where: Layout, issuer: IssuerRecord) -> dict[str, Any]:
    """The OB 2.0 Issuer profile: its RSA CryptographicKeys and its RevocationList."""
    document: dict[str, Any] = {
        "@context": OB2_CONTEXT,
        "type": "Issuer",
        "id": where.url(paths.ob2_issuer(issuer.slug)),
        "name": issuer.name,
        "url": issuer.url,
    }
    if issuer.email:
        document["email"] = issuer.email
    if issuer.description:
        document["description"] = issuer.description
    logo = logo_url(issuer)
    if logo is not None:
        document["image"] = logo
    document["publicKey"] = [
        where.url(paths.ob2_key(issuer.slug, k.name)) for k in issuer.published_keys if k.family == "rsa"
    ]
    document["revocationList"] = where.url(paths.ob2_revocation_list(issuer.slug))
    return document


def ob2_key_document(where: Layout, issuer: IssuerRecord, key: KeyRecord) -> dict[str, Any]:
    """An OB 2.0 CryptographicKey: ``owner`` is the OB 2.0 Issuer, which lists it back."""
    return {
        "@context": OB2_CONTEXT,
        "type": "CryptographicKey",
        "id": where.url(paths.ob2_key(issuer.slug, key.name)),
        "owner": where.url(paths.ob2_issuer(issuer.slug)),
        "publicKeyPem": key_forms(key)["pem"],
    }


def _alignments(items: Any, *, ob3: bool) -> list[dict[str, Any]]:
    out = []
    for item in items or []:
        entry: dict[str, Any] = {"type": ["Alignment"]} if ob3 else {}
        entry["targetName"] = item["target_name"]
        entry["targetUrl"] = item["target_url"]
        for source, target in (
            ("target_description", "targetDescription"),
            ("target_framework", "targetFramework"),
            ("target_code", "targetCode"),
        ):
            if item.get(source):
                entry[target] = item[source]
        out.append(entry)
    return out


def achievement_document(
    where: Layout,
    issuer: IssuerRecord,
    achievement: Mapping[str, Any],
    image: ImageFormat,
    *,
    embedded: bool = False,
) -> dict[str, Any]:
    """The OB 3.0 Achievement (``embedded=True``: without ``@context``, as credentials carry it).

    ``achievement`` is the stored achievement record (the validated input plus its ``slug``).
    """
    slug = achievement["slug"]
    criteria: dict[str, Any] = {"narrative": achievement["criteria"]}
    if achievement.get("criteria_url"):
        criteria = {"id": achievement["criteria_url"], **criteria}
    document: dict[str, Any] = {} if embedded else {"@context": list(OB3_CONTEXTS)}
    document.update(
        {
            "id": where.url(paths.achievement(issuer.slug, slug)),
            "type": ["Achievement"],
            "name": achievement["name"],
            "description": achievement["description"],
            "criteria": criteria,
            "image": {"id": where.url(paths.achievement_image(issuer.slug, slug, image)), "type": "Image"},
        }
    )
    if achievement.get("achievement_type"):
        document["achievementType"] = achievement["achievement_type"]
    if achievement.get("alignments"):
        document["alignment"] = _alignments(achievement["alignments"], ob3=True)
    if achievement.get("tags"):
        document["tag"] = list(achievement["tags"])
    return document


def badge_class_document(
    where: Layout, issuer: IssuerRecord, achievement: Mapping[str, Any], image: ImageFormat
) -> dict[str, Any]:
    """The OB 2.0 BadgeClass of an achievement (issued by the OB 2.0 Issuer profile)."""
    slug = achievement["slug"]
    criteria: dict[str, Any] = {"narrative": achievement["criteria"]}
    if achievement.get("criteria_url"):
        criteria = {"id": achievement["criteria_url"], **criteria}
    document: dict[str, Any] = {
        "@context": OB2_CONTEXT,
        "type": "BadgeClass",
        "id": where.url(paths.badge_class(issuer.slug, slug)),
        "name": achievement["name"],
        "description": achievement["description"],
        "image": where.url(paths.achievement_image(issuer.slug, slug, image)),
        "criteria": criteria,
        "issuer": where.url(paths.ob2_issuer(issuer.slug)),
    }
    if achievement.get("alignments"):
        document["alignment"] = _alignments(achievement["alignments"], ob3=False)
    if achievement.get("tags"):
        document["tags"] = list(achievement["tags"])
    return document
