"""Test support for the verifier: offline answers for the vectors' URLs, and credential builders.

``hosted_documents`` pins every URL the public vectors dereference to the file that stands for
it, the way each source's own test harness serves them:

* the 1EdTech validator's OB 2.0 harness (``OB20Tests.java`` ``localDomains``) serves
  ``https://example.org/``, ``https://www.example.org/`` and ``http://example.org/`` from
  ``ob20/assets/``;
* the DCC fixtures name their status lists and DID documents under
  ``https://digitalcredentials.github.io/vc-test-fixtures/`` (the fixture folder itself), and
  their copies on ``raw.githubusercontent.com`` (verifier-core, the 1EdTech validator) are the
  folders of those repositories.

``standin_documents`` adds what the vectors do *not* contain: the controller documents of the
1EdTech OB 3.0 fixtures' HTTPS issuers (``https://example.com/issuers/876543`` …). Those
fixtures name their key as a Multikey in the fragment of the verification method; badgekiln
never trusts such a key on its own, so a stand-in lists exactly the keys the fixtures name
(SOURCES.md: the OB spec test key signs them). The vector table says which verdicts rely on
them.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from badgekiln.keys.formats import b64url_encode, dump_pem_public_key, public_key_to_jwk
from badgekiln.keys.local import KeyKind, LocalSigner
from badgekiln.proofs.dataintegrity import create_proof
from badgekiln.proofs.did import did_web_url
from badgekiln.proofs.jws import sign_compact
from badgekiln.verification import Check, Report

VC_V2 = "https://www.w3.org/ns/credentials/v2"
OB_V3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
#: The members of a verification report (Report.to_dict, `badgekiln verify --json`), in order:
#: a wire format callers parse, so a new member goes at the end.
REPORT_KEYS = [
    "valid",
    "spec",
    "format",
    "proof",
    "credential",
    "checks",
    "endorsements",
    "conformance",
    "issuer_identity",
    "credentials",
]
VALIDATOR = "1edtech-digital-credentials-public-validator"
OB20 = f"{VALIDATOR}/inspector-vc/src/test/resources/ob20"
OB30 = f"{VALIDATOR}/inspector-vc/src/test/resources/ob30"
DCC = "digitalcredentials-vc-test-fixtures"

#: URL prefix -> folder under the vectors (see the module docstring for where each comes from).
PREFIXES: tuple[tuple[str, str], ...] = (
    ("https://example.org/", f"{OB20}/assets"),
    ("https://www.example.org/", f"{OB20}/assets"),
    ("http://example.org/", f"{OB20}/assets"),
    ("https://digitalcredentials.github.io/vc-test-fixtures/", DCC),
    (
        "https://raw.githubusercontent.com/digitalcredentials/verifier-core/refs/heads/main/",
        "digitalcredentials-verifier-core",
    ),
    (
        "https://raw.githubusercontent.com/1EdTech/digital-credentials-public-validator/refs/heads/main/",
        VALIDATOR,
    ),
)


def _files(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.suffix not in (".md", ".html", ".txt", ".java"):
            yield path


@cache
def _hosted(vectors: Path) -> tuple[tuple[str, bytes], ...]:
    pairs: list[tuple[str, bytes]] = []
    for prefix, folder in PREFIXES:
        root = vectors / folder
        pairs.extend((prefix + path.relative_to(root).as_posix(), path.read_bytes()) for path in _files(root))
    return tuple(pairs)


def hosted_documents(vectors: Path) -> dict[str, bytes]:
    """Every URL the vectors dereference that the vectors themselves hold (a fresh dict)."""
    return dict(_hosted(vectors))


def _multikey_fragments(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        method = value.get("verificationMethod")
        if isinstance(method, str) and method.startswith("https://") and "#z6Mk" in method:
            yield method
        for item in value.values():
            yield from _multikey_fragments(item)
    elif isinstance(value, list):
        for item in value:
            yield from _multikey_fragments(item)


@cache
def _standins(vectors: Path) -> tuple[tuple[str, bytes], ...]:
    from badgekiln.errors import KeyResolutionError
    from badgekiln.keys.formats import multikey_decode

    methods: dict[str, list[dict[str, str]]] = {}
    for path in _files(vectors / OB30):
        try:
            document = json.loads(path.read_text("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            continue
        for vm in _multikey_fragments(document):
            base, _, fragment = vm.partition("#")
            try:
                multikey_decode(fragment)
            except KeyResolutionError:
                continue  # a garbled fragment (simple-err-proof-method.json): nothing to publish
            entry = {"id": vm, "type": "Multikey", "controller": base, "publicKeyMultibase": fragment}
            if entry not in methods.setdefault(base, []):
                methods[base].append(entry)
    return tuple(
        (
            base,
            json.dumps(
                {"id": base, "verificationMethod": entries, "assertionMethod": [e["id"] for e in entries]}
            ).encode(),
        )
        for base, entries in sorted(methods.items())
    )


def standin_documents(vectors: Path) -> dict[str, bytes]:
    """Stand-in controller documents for the 1EdTech OB 3.0 fixtures' HTTPS issuers."""
    return dict(_standins(vectors))


@cache
def _vector_documents(vectors: Path) -> dict[str, bytes]:
    return {**hosted_documents(vectors), **standin_documents(vectors)}


def self_hosted(rel: str, data: bytes) -> dict[str, bytes]:
    """An OB 2.0 vector served at its own id: the vector *is* the hosted copy."""
    import badgekiln
    from badgekiln.errors import BadgeKilnError

    if f"{OB20}/" not in rel and "bakery" not in rel:
        return {}
    try:
        payload = badgekiln.extract(data).payload if rel.endswith((".png", ".svg")) else data.decode()
        document = json.loads(payload)
    except (BadgeKilnError, ValueError):
        return {}
    target = document.get("id") if isinstance(document, dict) else None
    return {target: payload.encode()} if isinstance(target, str) and target.startswith("http") else {}


def verify_vector(vectors: Path, rel: str, **overrides: Any) -> Report:
    """Verify the vector ``rel`` offline with every answer the vectors hold (and the stand-ins);
    DCC fixtures with ``require_same_issuer=False`` (their shared status list)."""
    import badgekiln
    from badgekiln.status import StatusPolicy
    from badgekiln.verification import VerifyOptions

    data = (vectors / rel).read_bytes()
    policy = StatusPolicy(require_same_issuer=not rel.startswith(DCC))
    documents = {**_vector_documents(vectors), **self_hosted(rel, data)}
    options = {"documents": documents, "offline": True, "status_policy": policy, **overrides}
    return badgekiln.verify(data, options=VerifyOptions(**options))


def check_of(report: Report, check_id: str) -> Check:
    """The report's check ``check_id`` (failing the test when there is none)."""
    found = report.check(check_id)
    assert found is not None, f"the report has no {check_id!r} check: {[c.id for c in report.checks]}"
    return found


def outcome(report: Report, check_id: str) -> tuple[str, str | None]:
    """``(status, code)`` of a check."""
    found = check_of(report, check_id)
    return found.status, found.code


def as_bytes(document: Mapping[str, Any]) -> bytes:
    return json.dumps(document).encode("utf-8")


# --- builders: fresh keys, real proofs ------------------------------------------------------------


def credential(issuer_id: str, **members: Any) -> dict[str, Any]:
    """A minimal OB 3.0 (VC 2.0) OpenBadgeCredential from ``issuer_id``; ``members`` override."""
    document: dict[str, Any] = {
        "@context": [VC_V2, OB_V3],
        "id": "urn:uuid:2f2b58e4-5a4c-4f5e-9a43-7d1f1b9a1c01",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": issuer_id, "type": ["Profile"], "name": "Example Issuer"},
        "validFrom": "2024-01-01T00:00:00Z",
        "name": "Teamwork Badge",
        "credentialSubject": {
            "id": "did:example:ann",
            "type": ["AchievementSubject"],
            "achievement": {
                "id": "https://issuer.example/achievements/teamwork",
                "type": ["Achievement"],
                "name": "Teamwork",
                "description": "Works well with others.",
                "criteria": {"narrative": "Nominated by peers."},
            },
        },
    }
    document.update(members)
    return document


@dataclass
class TestIssuer:
    """An issuer with a fresh key and the documents that publish it (served from pins)."""

    id: str
    signer: LocalSigner
    documents: dict[str, bytes] = field(default_factory=dict)

    __test__ = False  # not a pytest class

    @classmethod
    def did_web(cls, host: str = "issuer.example", kind: KeyKind = "ed25519") -> TestIssuer:
        """A did:web issuer whose DID document lists its key for assertions."""
        did = f"did:web:{host}"
        signer = LocalSigner.generate(kind, f"{did}#key-1")
        method: dict[str, Any] = {"id": signer.key_id, "controller": did}
        if kind == "ed25519":
            from badgekiln.keys.formats import multikey_encode

            method.update(type="Multikey", publicKeyMultibase=multikey_encode(signer.public_key()))  # type: ignore[arg-type]
        else:
            method.update(type="JsonWebKey", publicKeyJwk=public_key_to_jwk(signer.public_key()))
        document = {"id": did, "verificationMethod": [method], "assertionMethod": [signer.key_id]}
        return cls(did, signer, {did_web_url(did): as_bytes(document)})

    @classmethod
    def https_jwks(cls, host: str = "issuer.example", kind: KeyKind = "rsa2048") -> TestIssuer:
        """An HTTPS issuer publishing its key in ``/.well-known/jwks.json``."""
        issuer_id = f"https://{host}/issuers/1"
        signer = LocalSigner.generate(kind, f"https://{host}/keys/1")
        jwks = {"keys": [{**public_key_to_jwk(signer.public_key()), "kid": "key-1"}]}
        profile = {"id": issuer_id, "type": ["Profile"], "name": "Example Issuer"}  # lists no keys
        documents = {f"https://{host}/.well-known/jwks.json": as_bytes(jwks), issuer_id: as_bytes(profile)}
        return cls(issuer_id, signer, documents)

    def credential(self, **members: Any) -> dict[str, Any]:
        return credential(self.id, **members)

    def endorsement(self, subject_id: str, **subject: Any) -> dict[str, Any]:
        """An unsigned EndorsementCredential of ``subject_id`` by this issuer."""
        return self.credential(
            type=["VerifiableCredential", "EndorsementCredential"],
            credentialSubject={"id": subject_id, "type": ["EndorsementSubject"], **subject},
        )

    def sign_di(self, document: Mapping[str, Any], *, method: str | None = None) -> dict[str, Any]:
        """``document`` with an eddsa-rdfc-2022 proof by this issuer's key."""
        return create_proof(
            document,
            self.signer,
            verification_method=method or self.signer.key_id,
            created=datetime(2024, 1, 1, tzinfo=UTC),
        )

    def sign_jwt(
        self,
        document: Mapping[str, Any],
        *,
        header: Mapping[str, Any] | None = None,
        claims: Mapping[str, Any] | None = None,
        form: str = "payload",
    ) -> str:
        """A VC-JWT of ``document`` (``form`` ``payload`` = VC 2.0, ``vc`` = VC 1.1 claim)."""
        start = document.get("validFrom", document.get("issuanceDate"))
        registered: dict[str, Any] = {
            "iss": document["issuer"]["id"] if isinstance(document["issuer"], dict) else document["issuer"],
            "jti": document.get("id"),
            "sub": document["credentialSubject"].get("id"),
            "nbf": int(datetime.fromisoformat(str(start).replace("Z", "+00:00")).timestamp()),
        }
        end = document.get("validUntil", document.get("expirationDate"))
        if end is not None:
            registered["exp"] = int(datetime.fromisoformat(str(end).replace("Z", "+00:00")).timestamp())
        body = {"vc": dict(document)} if form == "vc" else dict(document)
        payload = {**body, **registered, **(claims or {})}
        payload = {k: v for k, v in payload.items() if v is not None}
        head = {"typ": "JWT", "kid": self.signer.key_id} if header is None else dict(header)
        return sign_compact(head, json.dumps(payload).encode(), self.signer)


def forge_jws(header: Mapping[str, Any], payload: Mapping[str, Any], signature: bytes = b"") -> str:
    """A compact JWS with any header (``alg: none`` …) and a made-up signature."""
    parts = [b64url_encode(json.dumps(header).encode()), b64url_encode(json.dumps(payload).encode())]
    return ".".join([*parts, b64url_encode(signature)])


# --- OB 2.0 ---------------------------------------------------------------------------------------


def _ob2_party_documents(
    signer: LocalSigner, profile: dict[str, Any], key_url: str, list_url: str, revoked: tuple[Any, ...] | None
) -> dict[str, bytes]:
    """The documents of an OB 2.0 issuer or endorser: ``profile``, its CryptographicKey at
    ``key_url`` and, when ``revoked`` is given, a RevocationList at ``list_url`` listing it
    (which ``profile`` then names)."""
    context = "https://w3id.org/openbadges/v2"
    owner = profile["id"]
    key = {
        "@context": context,
        "type": "CryptographicKey",
        "id": key_url,
        "owner": owner,
        "publicKeyPem": dump_pem_public_key(signer.public_key()),
    }
    documents = {key_url: as_bytes(key)}
    if revoked is not None:
        profile["revocationList"] = list_url
        documents[list_url] = as_bytes(
            {
                "@context": context,
                "type": "RevocationList",
                "id": list_url,
                "issuer": owner,
                "revokedAssertions": list(revoked),
            }
        )
    documents[owner] = as_bytes(profile)
    return documents


@dataclass
class Ob2Issuer:
    """An OB 2.0 issuer at https://badges.example/ with a CryptographicKey and documents."""

    signer: LocalSigner
    documents: dict[str, bytes]
    profile: dict[str, Any]

    BASE = "https://badges.example/"
    PROFILE = BASE + "issuer.json"
    BADGE = BASE + "badges/robotics.json"
    KEY = BASE + "keys/1.json"
    LIST = BASE + "revocations.json"
    __test__ = False

    @classmethod
    def create(cls, *, revoked: tuple[Any, ...] | None = None, kind: KeyKind = "rsa2048") -> Ob2Issuer:
        signer = LocalSigner.generate(kind, cls.KEY)
        context = "https://w3id.org/openbadges/v2"
        profile: dict[str, Any] = {
            "@context": context,
            "type": "Issuer",
            "id": cls.PROFILE,
            "name": "Badges Example",
            "url": cls.BASE,
            "email": "badges@badges.example",
            "publicKey": cls.KEY,
        }
        badge = {
            "@context": context,
            "type": "BadgeClass",
            "id": cls.BADGE,
            "name": "Robotics",
            "description": "Built a robot.",
            "image": cls.BASE + "badges/robotics.png",
            "criteria": cls.BASE + "badges/robotics.html",
            "issuer": cls.PROFILE,
        }
        documents = {
            cls.BADGE: as_bytes(badge),
            **_ob2_party_documents(signer, profile, cls.KEY, cls.LIST, revoked),
        }
        return cls(signer, documents, profile)

    def assertion(
        self, *, assertion_id: str = "urn:uuid:7b9c0d1e-0000-4000-8000-000000000001", **members: Any
    ) -> dict[str, Any]:
        document: dict[str, Any] = {
            "@context": "https://w3id.org/openbadges/v2",
            "type": "Assertion",
            "id": assertion_id,
            "recipient": {"type": "email", "hashed": False, "identity": "ann@example.org"},
            "badge": self.BADGE,
            "verification": {"type": "SignedBadge", "creator": self.KEY},
            "issuedOn": "2024-01-01T00:00:00Z",
        }
        document.update(members)
        return document

    def sign(self, assertion: Mapping[str, Any], *, header: Mapping[str, Any] | None = None) -> str:
        return sign_compact(dict(header or {}), json.dumps(assertion).encode(), self.signer)

    def hosted(self, assertion_id: str, **members: Any) -> tuple[dict[str, Any], dict[str, bytes]]:
        """A hosted assertion at ``assertion_id`` and the documents serving it."""
        document = self.assertion(
            assertion_id=assertion_id, **{"verification": {"type": "HostedBadge"}, **members}
        )
        return document, {**self.documents, assertion_id: as_bytes(document)}


@dataclass
class Ob2Endorser:
    """An OB 2.0 endorser at https://endorser.example/ with its own key (and, asked, a
    revocation list), signing Endorsements of :class:`Ob2Issuer`'s BadgeClass as compact JWS."""

    signer: LocalSigner
    profile: dict[str, Any]
    documents: dict[str, bytes]

    BASE = "https://endorser.example/"
    PROFILE = BASE + "profile.json"
    KEY = BASE + "keys/1.json"
    LIST = BASE + "revocations.json"
    ENDORSEMENT_ID = "urn:uuid:0e1d2c3b-0000-4000-8000-00000000e002"
    __test__ = False

    @classmethod
    def create(
        cls,
        *,
        kind: KeyKind = "p256",
        revoked: tuple[Any, ...] | None = None,
        signer: LocalSigner | None = None,
    ) -> Ob2Endorser:
        signer = signer or LocalSigner.generate(kind, cls.KEY)
        context = "https://w3id.org/openbadges/v2"
        profile: dict[str, Any] = {
            "@context": context,
            "type": "Profile",
            "id": cls.PROFILE,
            "name": "Robotics Guild",
            "publicKey": [cls.KEY],
        }
        documents = _ob2_party_documents(signer, profile, cls.KEY, cls.LIST, revoked)
        return cls(signer, profile, documents)

    def endorsement(self, **members: Any) -> dict[str, Any]:
        """A signed Endorsement of the BadgeClass (``members`` replace or add members)."""
        document: dict[str, Any] = {
            "@context": "https://w3id.org/openbadges/v2",
            "type": "Endorsement",
            "id": self.ENDORSEMENT_ID,
            "claim": {"id": Ob2Issuer.BADGE, "endorsementComment": "A rigorous badge."},
            "issuer": self.PROFILE,
            "issuedOn": "2024-02-01T00:00:00Z",
            "verification": {"type": "SignedBadge", "creator": self.KEY},
        }
        document.update(members)
        return document

    def sign(self, endorsement: Mapping[str, Any], signer: LocalSigner | None = None) -> str:
        """``endorsement`` as a compact JWS, by this endorser's key (or ``signer``)."""
        return sign_compact({}, json.dumps(endorsement).encode(), signer or self.signer)


def deep(document: Mapping[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(dict(document))


def replaced(document: Mapping[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    """A deep copy of ``document`` with the member or item at ``path`` set to ``value``."""
    altered = deep(document)
    node: Any = altered
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return altered


# --- OB 1.x ---------------------------------------------------------------------------------------

OB1_CONTEXT = "https://w3id.org/openbadges/v1"


@dataclass
class Ob1Issuer:
    """An Open Badges 1.0 or 1.1 issuer at https://old.example/: its Issuer and BadgeClass
    documents, a PEM public key for signed badges, and (optionally) a 1.x revocation list."""

    version: str
    signer: LocalSigner
    documents: dict[str, bytes]

    BASE = "https://old.example/"
    ISSUER = BASE + "issuer.json"
    BADGE = BASE + "badges/robotics.json"
    KEY = BASE + "public-key.pem"
    LIST = BASE + "revoked.json"
    __test__ = False

    @classmethod
    def create(cls, version: str = "1.0", *, revoked: Mapping[str, Any] | None = None) -> Ob1Issuer:
        signer = LocalSigner.generate("rsa2048", cls.KEY)
        issuer: dict[str, Any] = {"name": "Old Issuer", "url": cls.BASE, "email": "badges@old.example"}
        badge: dict[str, Any] = {
            "name": "Robotics",
            "description": "Built a robot.",
            "image": cls.BASE + "badges/robotics.png",
            "criteria": cls.BASE + "badges/robotics.html",
            "issuer": cls.ISSUER,
        }
        if version == "1.1":
            issuer = {"@context": OB1_CONTEXT, "type": "Issuer", "id": cls.ISSUER, **issuer}
            badge = {"@context": OB1_CONTEXT, "type": "BadgeClass", "id": cls.BADGE, **badge}
        documents = {
            cls.BADGE: as_bytes(badge),
            cls.KEY: dump_pem_public_key(signer.public_key()).encode("ascii"),
        }
        if revoked is not None:
            issuer["revocationList"] = cls.LIST
            documents[cls.LIST] = as_bytes(revoked)
        documents[cls.ISSUER] = as_bytes(issuer)
        return cls(version, signer, documents)

    def assertion(self, url: str | None = None, **members: Any) -> dict[str, Any]:
        """A hosted assertion at ``url`` (signed by the key when ``url`` is None)."""
        verify = {"type": "hosted", "url": url} if url is not None else {"type": "signed", "url": self.KEY}
        document: dict[str, Any] = {
            "uid": "abc123",
            "recipient": {"type": "email", "hashed": False, "identity": "ann@example.org"},
            "badge": self.BADGE,
            "issuedOn": "2015-04-30",
            "verify": verify,
        }
        if self.version == "1.1":
            identifier = url if url is not None else "urn:uuid:7b9c0d1e-0000-4000-8000-000000000011"
            document = {"@context": OB1_CONTEXT, "type": "Assertion", "id": identifier, **document}
        document.update(members)
        return {key: value for key, value in document.items() if value is not None}

    def hosted(self, url: str, **members: Any) -> tuple[dict[str, Any], dict[str, bytes]]:
        """A hosted assertion at ``url`` and the documents serving it."""
        document = self.assertion(url, **members)
        return document, {**self.documents, url: as_bytes(document)}

    def sign(self, assertion: Mapping[str, Any]) -> str:
        return sign_compact({}, json.dumps(assertion).encode(), self.signer)


def ob05_assertion(origin: str = "https://old.example", **members: Any) -> dict[str, Any]:
    """An Open Badges 0.5 assertion: bare recipient, BadgeClass and issuer embedded."""
    document: dict[str, Any] = {
        "recipient": "ann@example.org",
        "issued_on": "2012-03-01",
        "badge": {
            "version": "0.5.0",
            "name": "Robotics",
            "description": "Built a robot.",
            "image": origin + "/badge.png",
            "criteria": origin + "/criteria.html",
            "issuer": {"origin": origin, "name": "Old Issuer"},
        },
    }
    document.update(members)
    return document
