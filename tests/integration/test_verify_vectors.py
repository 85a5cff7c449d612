"""Every proof-bearing vector in tests/vectors gives its expected verdict, offline.

Discovery (``_discover``): every baked image and ``.jwt`` file, every JSON document with a
top-level ``proof``, and every OB 2.0 / OB 3.0 fixture of the 1EdTech validator (hosted OB 2.0
assertions carry no proof: being served at their id is their proof) — skipping bundled
contexts, schemas and the documents the harness serves (``assets/``).

Offline answers (tests/verify_support.py): the URLs the vectors name are answered from the
vector files as each source's own harness serves them; an OB 2.0 assertion is served at its
own ``id`` (the vector *is* the hosted copy); the 1EdTech OB 3.0 HTTPS issuers get stand-in
controller documents listing the keys their fixtures name. DCC fixtures share a status list
signed by another key, so they run with ``StatusPolicy(require_same_issuer=False)``, as the DCC
verifiers do; ``test_dcc_status_lists_fail_the_default_same_issuer_rule`` shows the default.

``EXPECTED`` lists each vector with its verdict in **strict** mode (``strict=True``: conformance
deviations fail, the verdicts badgekiln gave before they became warnings): ``VALID``;
``invalid(ids…)`` — not valid, and these are exactly the checks that failed or could not run
(schema checks aside); or ``error(Class, reason)`` — an input error (not a badge, no badge data,
malformed). ``invalid(…, conformance=ids)`` names the checks that fail on conformance deviations
alone (docs/verification.md, "Trust and conformance"): by default they only warn, so the badge
is valid when nothing else fails.

Counts (pinned in ``test_counts``): 201 vectors. Strict: 34 valid, 150 not valid, 17 input
errors. By default 103 of the 150 lose a conformance-only failure and 43 of those become valid
(77 valid in all). Verdicts that differ from what a vector's name suggests, and why:

* 68 DCC fixtures fail ``structure`` in strict mode (and only that, unless revoked or expired):
  their ``credentialSubject`` has neither ``id`` nor ``identifier``, which OB 3.0 requires
  ("MUST"); openbadgeslib refuses them too. By default that is a conformance warning (DCC's
  verifier, which does not check the OB data model, accepts them): authentic and in force.
* ``ob20/assertion-with-data-image.json`` (an Assertion's image is the baked badge at a URL,
  never a ``data:`` URI, the 1EdTech validator's rule), ``basic-assertion-invalid-type.json``
  (type ``OtherAssertion``) and ``basic-assertion-invalid-context.json`` (not the 2.0 context)
  fail ``structure``/``context`` in strict mode only: they are served at their id by their
  issuer, which is what a hosted assertion's trust rests on.
* ``ob20/assertion-with-extension-node-*.json``, ``assertion-with-multiple-extensions.json``
  fail ``context`` in strict mode: their extension nodes name contexts badgekiln does not
  bundle, and contexts are never fetched (the 1EdTech validator fails them offline for the same
  reason); by default a conformance warning.
* Credentials without the OB 3.0 context (W3C suite vectors, status list credentials) fail
  ``context`` in strict mode only; they still fail ``structure``: not Open Badges.
* ``ob30/simple-did-key-method.json`` fails ``issuer``: its key is a did:key and its issuer a
  ``urn:uuid``, so nothing ties the key to the issuer (OB 3.0 key-provenance practice).
* ``ob30/simple-jwt*.png|svg`` fail ``issuer`` (not checked): the key travels in a ``jwk``
  header, which proves nothing alone, and the issuer's JWK Set is not in the vectors
  (``test_simple_jwt_is_valid_with_the_issuers_jwk_set`` pins one).
* ``ob30/complete.json``, ``credential-status-revoked.json``: their 1EdTech revocation lists and
  DID document live on the network; offline, status (and the key) are not checked.
* ``ob20/simple-badge.png``'s assertion and ``mozilla/no-json.svg``'s ``http://example.org``:
  the latter is not in the vectors, so hosted verification cannot run.
* The baked OB 1.0 assertions of the two bakeries (``baked_heart.png``, ``baked_example.svg``,
  ``mozilla/baked.svg``) are verified from their hosted copies (``verify.url``), which no vector
  holds: ``hosted`` is skipped, "could not be retrieved" (before 1.x verification they failed
  ``version`` as legacy).
* Non-badge credentials (W3C suite vectors, status list credentials, DCC ``nonOB``/``minimal``
  VCs) fail ``structure``: they are verifiable credentials but not Open Badges.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest

import badgekiln
from badgekiln.errors import BadgeKilnError, MalformedPayload, NoBadgeData
from badgekiln.keys.formats import jwk_thumbprint
from badgekiln.status import StatusPolicy
from badgekiln.verification import Report
from tests.conftest import VECTORS, vector_files
from tests.verify_support import (
    DCC,
    OB20,
    OB30,
    as_bytes,
    check_of,
    outcome,
    verify_vector,
)

DCC_VC = f"{DCC}/verifiableCredentials"
DCC_CORE = "digitalcredentials-verifier-core"
W3C = "w3c-vc-di-eddsa/TestVectors"
W3C_ECDSA = "w3c-vc-di-ecdsa/TestVectors"
CS_BAKERY = "concentricsky-openbadges-bakery/openbadges_bakery/testfiles"
MOZILLA = "mozilla-openbadges-bakery/test"
_SKIP_SUFFIXES = (".md", ".txt", ".html", ".java", ".csv", ".pem", "LICENSE", "LICENSE-MPL-2.0")

Expected = tuple[str, Any, Any]
VALID: Expected = ("valid", None, None)


def invalid(*check_ids: str, conformance: tuple[str, ...] = ()) -> Expected:
    """Not valid on ``check_ids`` in strict mode; ``conformance`` are those of them that fail on
    conformance deviations alone (docs/verification.md), so by default they only warn."""
    assert set(conformance) <= set(check_ids)
    return ("invalid", frozenset(check_ids), frozenset(conformance))


def error(kind: type[BadgeKilnError], reason: str | None) -> Expected:
    return ("error", kind, reason)


EXPECTED: dict[str, Expected] = {
    f"{OB20}/assertion-with-data-image.json": invalid("structure", conformance=("structure",)),
    f"{OB20}/assertion-with-endorsements.json": VALID,
    f"{OB20}/assertion-with-extension-node-basic.json": invalid("context", conformance=("context",)),
    f"{OB20}/assertion-with-extension-node-invalid.json": invalid("context", conformance=("context",)),
    f"{OB20}/assertion-with-multiple-extensions.json": invalid("context", conformance=("context",)),
    f"{OB20}/badge-class-with-language.json": error(MalformedPayload, "not-a-badge"),
    f"{OB20}/basic-assertion-expired-before-issued.json": invalid("expiry"),
    f"{OB20}/basic-assertion-expired.json": invalid("expiry"),
    f"{OB20}/basic-assertion-in-future.json": invalid("issued"),
    f"{OB20}/basic-assertion-invalid-context.json": invalid("context", conformance=("context",)),
    f"{OB20}/basic-assertion-invalid-type.json": invalid("structure", conformance=("structure",)),
    f"{OB20}/basic-assertion-no-public-key.json": VALID,
    f"{OB20}/basic-assertion-with-allowed-origins-invalid-multiple-starts-with.json": invalid("issuer"),
    f"{OB20}/basic-assertion-with-allowed-origins-invalid-starts-with.json": invalid("issuer"),
    f"{OB20}/basic-assertion-with-allowed-origins-valid-multiple-starts-with.json": VALID,
    f"{OB20}/basic-assertion-with-allowed-origins-valid-starts-with.json": VALID,
    f"{OB20}/basic-assertion-with-allowed-origins.json": VALID,
    f"{OB20}/basic-assertion-with-language.json": VALID,
    f"{OB20}/basic-assertion.json": VALID,
    f"{OB20}/issuer-compact-iri-validation.json": error(MalformedPayload, "not-a-badge"),
    f"{OB20}/rdf-validation/badge-class-invalid-issuer-type.json": error(MalformedPayload, "not-a-badge"),
    f"{OB20}/rdf-validation/invalid-class.json": error(MalformedPayload, "not-a-badge"),
    f"{OB20}/rdf-validation/invalid-empty-type.json": error(MalformedPayload, "not-a-badge"),
    f"{OB20}/rdf-validation/invalid-one-invalid-class.json": error(MalformedPayload, "not-a-badge"),
    f"{OB20}/rdf-validation/valid-alignment-object.json": error(MalformedPayload, "not-a-badge"),
    f"{OB20}/rdf-validation/valid-badge-class-empty-criteria-type.json": error(
        MalformedPayload, "not-a-badge"
    ),
    f"{OB20}/rdf-validation/valid-badge-class.json": error(MalformedPayload, "not-a-badge"),
    f"{OB20}/rdf-validation/valid-cool-class.json": error(MalformedPayload, "not-a-badge"),
    f"{OB20}/rdf-validation/valid-issuer-extension.json": error(MalformedPayload, "not-a-badge"),
    f"{OB20}/redirected-validation-subject.json": error(MalformedPayload, "json"),
    f"{OB20}/simple-badge.png": VALID,
    f"{OB20}/simple-not-revoked.jwt": VALID,
    f"{OB20}/simple-revoked.jwt": invalid("status"),
    f"{OB20}/simple.jwt": VALID,
    f"{OB20}/warning-issuer-non-http.json": VALID,
    f"{OB20}/warning-with-redirection.json": VALID,
    f"{OB30}/bit-string-list/credential-status-revoked-blank-nodes.json": invalid("status"),
    f"{OB30}/bit-string-list/credential-status-revoked.json": invalid("status"),
    f"{OB30}/bit-string-list/testlist": invalid("context", "structure", conformance=("context",)),
    f"{OB30}/complete.json": invalid("status"),
    f"{OB30}/complete_v1.json": invalid("context", "signature", "issuer", "status", "expiry"),
    f"{OB30}/credential-status-revoked.json": invalid("signature", "issuer", "status"),
    f"{OB30}/endorsement-err-schema-status-refresh.json": invalid("signature", "issuer", "status"),
    f"{OB30}/endorsement-valid.json": VALID,
    f"{OB30}/sd/derivedcredential.json": invalid("signature", "issuer"),
    f"{OB30}/simple-context-alias.json": VALID,
    f"{OB30}/simple-context-version.json": VALID,
    f"{OB30}/simple-did-key-method.json": invalid("issuer"),
    f"{OB30}/simple-did-web-method.json": VALID,
    f"{OB30}/simple-eddsa-2022.json": VALID,
    f"{OB30}/simple-err-context.json": invalid("context", "structure", "signature", "issuer"),
    f"{OB30}/simple-err-credential-subject-achievement-result-description-type.json": invalid(
        "context", "signature", "issuer"
    ),
    f"{OB30}/simple-err-credential-subject-identifier-type.json": invalid("context", "signature", "issuer"),
    f"{OB30}/simple-err-credential-subject-profile-type.json": invalid("context", "signature", "issuer"),
    f"{OB30}/simple-err-credential-subject-result-type.json": invalid("context", "signature", "issuer"),
    f"{OB30}/simple-err-credential-subject-type.json": invalid("context", "signature", "issuer"),
    f"{OB30}/simple-err-evidence-type.json": invalid("context", "signature", "issuer"),
    f"{OB30}/simple-err-expired.json": invalid("expiry"),
    f"{OB30}/simple-err-issued.json": invalid("structure", "issued"),
    f"{OB30}/simple-err-issuer-otheridentifier-type.json": invalid("context", "signature", "issuer"),
    f"{OB30}/simple-err-issuer-parentorg-type.json": invalid("context", "signature", "issuer"),
    f"{OB30}/simple-err-issuer-type.json": invalid(
        "context", "structure", "signature", "issuer", conformance=("structure",)
    ),
    f"{OB30}/simple-err-issuer.json": invalid("structure", "issuer"),
    f"{OB30}/simple-err-proof-method-no-scheme.json": invalid("signature", "issuer"),
    f"{OB30}/simple-err-proof-method-unknown-did-method.json": invalid("signature", "issuer"),
    f"{OB30}/simple-err-proof-method-unknown-scheme.json": invalid("signature", "issuer"),
    f"{OB30}/simple-err-proof-method.json": invalid("signature", "issuer"),
    f"{OB30}/simple-err-proof-value.json": invalid("signature", "issuer"),
    f"{OB30}/simple-err-type.json": invalid("context", "structure", "signature", "issuer"),
    f"{OB30}/simple-json.png": VALID,
    f"{OB30}/simple-json.svg": VALID,
    f"{OB30}/simple-jwt.png": invalid("issuer"),
    f"{OB30}/simple-jwt.svg": invalid("issuer"),
    f"{OB30}/simple-jwt_v1.png": invalid("issuer"),
    f"{OB30}/simple-jwt_v1.svg": invalid("issuer"),
    f"{OB30}/simple-multiple-proofs.json": VALID,
    f"{OB30}/simple.1ob": VALID,
    f"{OB30}/simple.json": VALID,
    f"{OB30}/simple.jwt": invalid("context", "structure", "signature", "issuer", conformance=("context",)),
    f"{OB30}/simple_v1.json": VALID,
    f"{OB30}/velocity.jwt": invalid("context", "signature", "issuer", "status", conformance=("context",)),
    f"{CS_BAKERY}/baked_example.svg": invalid("hosted"),
    f"{CS_BAKERY}/baked_heart.png": invalid("hosted"),
    f"{CS_BAKERY}/public_domain_heart.png": error(NoBadgeData, None),
    f"{CS_BAKERY}/unbaked_example.svg": error(NoBadgeData, None),
    f"{DCC}/statusLists/didkey-ed25519Signature2020/e5WK8CbZ1GjycuPombrj": invalid(
        "context", "structure", conformance=("context",)
    ),
    f"{DCC}/statusLists/didkey-ed25519Signature2020/expired": invalid(
        "context", "structure", "expiry", conformance=("context",)
    ),
    f"{DCC}/statusLists/didkey-ed25519Signature2020/missingBitStringType": invalid(
        "context", "structure", conformance=("context",)
    ),
    f"{DCC}/statusLists/didkey-ed25519Signature2020/notYetValid": invalid(
        "context", "structure", "issued", conformance=("context",)
    ),
    f"{DCC}/statusLists/didkey-ed25519Signature2020/tampered": invalid(
        "context", "structure", "signature", "issuer", conformance=("context",)
    ),
    f"{DCC_VC}/v1/bothSignatureTypes/didKey/fourRegistry-noStatus-noExpiry.json": invalid(
        "structure", conformance=("structure",)
    ),
    f"{DCC_VC}/v1/bothSignatureTypes/didKey/legacy-noStatus-noExpiry-basicOBv3.json": VALID,
    f"{DCC_VC}/v1/bothSignatureTypes/didKey/legacy-noStatus-noExpiry.json": invalid(
        "structure", conformance=("structure",)
    ),
    f"{DCC_VC}/v1/bothSignatureTypes/didKey/mixedRegistry-validStatus-noExpiry.json": invalid(
        "structure", conformance=("structure",)
    ),
    f"{DCC_VC}/v1/bothSignatureTypes/didKey/noRegistry-noStatus-noExpiry.json": invalid(
        "structure", conformance=("structure",)
    ),
    f"{DCC_VC}/v1/bothSignatureTypes/didKey/oidf-noStatus-expired.json": invalid(
        "structure", "expiry", conformance=("structure",)
    ),
    f"{DCC_VC}/v1/bothSignatureTypes/didKey/oidf-noStatus-noExpiry.json": invalid(
        "structure", conformance=("structure",)
    ),
    f"{DCC_VC}/v1/bothSignatureTypes/didKey/oidf-revokedStatus-expired.json": invalid(
        "structure", "status", "expiry", conformance=("structure",)
    ),
    f"{DCC_VC}/v1/bothSignatureTypes/didWeb/legacy-noStatus-noExpiry.json": invalid(
        "structure", conformance=("structure",)
    ),
    f"{DCC_VC}/v1/bothSignatureTypes/didWeb/legacy-revokedStaus-noExpiry.json": invalid(
        "structure", "status", conformance=("structure",)
    ),
    f"{DCC_VC}/v1/bothSignatureTypes/didWeb/legacy-validStatus-noExpiry.json": invalid(
        "structure", conformance=("structure",)
    ),
    f"{DCC_VC}/v1/bothSignatureTypes/didWeb/oidf-noStatus-noExpiry.json": invalid(
        "structure", conformance=("structure",)
    ),
    f"{DCC_VC}/v1/bothSignatureTypes/didWeb/oidf-revokedStatus-noExpiry.json": invalid(
        "structure", "status", conformance=("structure",)
    ),
    f"{DCC_VC}/v1/bothSignatureTypes/didWeb/oidf-validStatus-noExpiry.json": invalid(
        "structure", conformance=("structure",)
    ),
    f"{DCC_VC}/v1/dataIntegrityProof/didKey/fourRegistry-noStatus-noExpiry.json": invalid(
        "structure", conformance=("structure",)
    ),
    f"{DCC_VC}/v1/dataIntegrityProof/didKey/legacy-noStatus-noExpiry.json": invalid(
        "structure", conformance=("structure",)
    ),
    f"{DCC_VC}/v1/dataIntegrityProof/didKey/legacyRegistry-noStatus-noExpiry-OBSpecExample.json": VALID,
    f"{DCC_VC}/v1/dataIntegrityProof/didKey/legacyRegistry-noStatus-noExpiry-oldDCCExample.json": invalid(
        "context", "structure", "signature", "issuer"
    ),
    f"{DCC_VC}/v1/dataIntegrityProof/didKey/mixedRegistry-validStatus-noExpiry.json": invalid(
        "structure", conformance=("structure",)
    ),
    f"{DCC_VC}/v1/dataIntegrityProof/didKey/noRegistry-noStatus-noExpiry.json": invalid(
        "structure", conformance=("structure",)
    ),
    f"{DCC_VC}/v1/dataIntegrityProof/didKey/oidf-noStatus-expired.json": invalid(
        "structure", "expiry", conformance=("structure",)
    ),
    f"{DCC_VC}/v1/dataIntegrityProof/didKey/oidf-noStatus-noExpiry.json": invalid(
        "structure", conformance=("structure",)
    ),
    f"{DCC_VC}/v1/dataIntegrityProof/didKey/oidf-revokedStatus-expired.json": invalid(
        "structure", "status", "expiry", conformance=("structure",)
    ),
    f"{DCC_VC}/v1/dataIntegrityProof/didWeb/legacy-noStatus-noExpiry.json": invalid(
        "structure", conformance=("structure",)
    ),
    f"{DCC_VC}/v1/dataIntegrityProof/didWeb/legacy-revokedStatus-noExpiry.json": invalid(
        "structure", "status", conformance=("structure",)
    ),
    f"{DCC_VC}/v1/dataIntegrityProof/didWeb/legacy-validStatus-noExpiry.json": invalid(
        "structure", conformance=("structure",)
    ),
    f"{DCC_VC}/v1/dataIntegrityProof/didWeb/oidf-noStatus-noExpiry.json": invalid(
        "structure", conformance=("structure",)
    ),
    f"{DCC_VC}/v1/dataIntegrityProof/didWeb/oidf-revokedStatus-noExpiry.json": invalid(
        "structure", "status", conformance=("structure",)
    ),
    f"{DCC_VC}/v1/dataIntegrityProof/didWeb/oidf-validStatus-noExpiry.json": invalid(
        "structure", conformance=("structure",)
    ),
    f"{DCC_VC}/v1/ed25519/didKey/fourRegistry-noStatus-noExpiry.json": invalid(
        "structure", conformance=("structure",)
    ),
    f"{DCC_VC}/v1/ed25519/didKey/legacy-noStatus-expired.json": invalid(
        "structure", "expiry", conformance=("structure",)
    ),
    f"{DCC_VC}/v1/ed25519/didKey/legacy-noStatus-noExpiry-stringIssuerId.json": invalid(
        "structure", conformance=("structure",)
    ),
    f"{DCC_VC}/v1/ed25519/didKey/legacyRegistry-noStatus-noExpiry-issuerImageId.json": invalid(
        "structure", conformance=("structure",)
    ),
    f"{DCC_VC}/v1/ed25519/didKey/mixedRegistry-validStatus-noExpiry.json": invalid(
        "structure", conformance=("structure",)
    ),
    f"{DCC_VC}/v1/ed25519/didKey/noRegistry-noStatus-noExpiry.json": invalid(
        "structure", conformance=("structure",)
    ),
    f"{DCC_VC}/v1/ed25519/didKey/oidf-noStatus-expired.json": invalid(
        "structure", "expiry", conformance=("structure",)
    ),
    f"{DCC_VC}/v1/ed25519/didKey/oidf-noStatus-noExpiry.json": invalid(
        "structure", conformance=("structure",)
    ),
    f"{DCC_VC}/v1/ed25519/didKey/oidf-revokedStatus-expired.json": invalid(
        "structure", "status", "expiry", conformance=("structure",)
    ),
    f"{DCC_VC}/v1/ed25519/didWeb/legacy-noStatus-noExpiry.json": invalid(
        "structure", conformance=("structure",)
    ),
    f"{DCC_VC}/v1/ed25519/didWeb/legacy-revokedStatus-noExpiry.json": invalid(
        "structure", "status", conformance=("structure",)
    ),
    f"{DCC_VC}/v1/ed25519/didWeb/legacy-validStatus-noExpiry.json": invalid(
        "structure", conformance=("structure",)
    ),
    f"{DCC_VC}/v1/ed25519/didWeb/oidf-noStatus-noExpiry.json": invalid(
        "structure", conformance=("structure",)
    ),
    f"{DCC_VC}/v1/ed25519/didWeb/oidf-revokedStatus-noExpiry.json": invalid(
        "structure", "status", conformance=("structure",)
    ),
    f"{DCC_VC}/v1/ed25519/didWeb/oidf-validStatus-noExpiry.json": invalid(
        "structure", conformance=("structure",)
    ),
    f"{DCC_VC}/v2/bothSignatureTypes/didkey/legacy-noStatus-noExpiry-nonOBWithOBContext.json": invalid(
        "structure"
    ),
    f"{DCC_VC}/v2/bothSignatureTypes/didkey/legacy-noStatus-noExpiry.json": VALID,
    f"{DCC_VC}/v2/bothSignatureTypes/didkey/legacy-noStatus-notExpired-endorsement-withSchema.json": VALID,
    f"{DCC_VC}/v2/bothSignatureTypes/didkey/legacy-noStatus-notExpired-endorsement.json": VALID,
    f"{DCC_VC}/v2/bothSignatureTypes/didkey/noRegistry-revokedStatus-expired.json": invalid(
        "structure", "status", "expiry", conformance=("structure",)
    ),
    f"{DCC_VC}/v2/bothSignatureTypes/didkey/noRegistry-revokedStatus-notExpired.json": invalid(
        "structure", "status", conformance=("structure",)
    ),
    f"{DCC_VC}/v2/bothSignatureTypes/didkey/oidf-revokedStatus-noExpiry.json": invalid(
        "structure", "status", conformance=("structure",)
    ),
    f"{DCC_VC}/v2/bothSignatureTypes/didweb/legacy-revokedStatus-expired.json": invalid(
        "structure", "status", "expiry", conformance=("structure",)
    ),
    f"{DCC_VC}/v2/bothSignatureTypes/didweb/legacy-revokedStatus-noExpiry.json": invalid(
        "structure", "status", conformance=("structure",)
    ),
    f"{DCC_VC}/v2/bothSignatureTypes/didweb/oidf-noStatus-notExpired.json": invalid(
        "structure", conformance=("structure",)
    ),
    f"{DCC_VC}/v2/dataIntegrityProof/didKey/legacyRegistry-noStatus-noExpiry-OBSpecExample.json": VALID,
    f"{DCC_VC}/v2/dataIntegrityProof/didKey/legacyRegistry-noStatus-noExpiry-achievementTypeExample.json": (
        invalid("structure", conformance=("structure",))
    ),
    f"{DCC_VC}/v2/dataIntegrityProof/didKey/legacyRegistry-noStatus-noExpiry-alignments.json": VALID,
    f"{DCC_VC}/v2/dataIntegrityProof/didKey/legacyRegistry-noStatus-noExpiry-basicOBv3.json": VALID,
    f"{DCC_VC}/v2/dataIntegrityProof/didKey/legacyRegistry-noStatus-noExpiry-credName.json": invalid(
        "structure", conformance=("structure",)
    ),
    f"{DCC_VC}/v2/dataIntegrityProof/didKey/legacyRegistry-noStatus-noExpiry-credSubjName.json": invalid(
        "structure", conformance=("structure",)
    ),
    f"{DCC_VC}/v2/dataIntegrityProof/didKey/legacyRegistry-noStatus-noExpiry-identityHash.json": VALID,
    f"{DCC_VC}/v2/dataIntegrityProof/didKey/legacyRegistry-noStatus-noExpiry-minimal.json": invalid(
        "context", "structure", conformance=("context",)
    ),
    f"{DCC_VC}/v2/dataIntegrityProof/didKey/legacyRegistry-noStatus-notExpired-withSchema.json": invalid(
        "structure", conformance=("structure",)
    ),
    f"{DCC_VC}/v2/dataIntegrityProof/didKey/noRegistry-revokedStatus-noExpiry.json": invalid(
        "structure", "status", "expiry", conformance=("structure",)
    ),
    f"{DCC_VC}/v2/dataIntegrityProof/didKey/noRegsitry-revokedStatus-notExpired.json": invalid(
        "structure", "status", conformance=("structure",)
    ),
    f"{DCC_VC}/v2/dataIntegrityProof/didKey/oidf-noStatus-notExpired-complexIssuer.json": invalid(
        "structure", conformance=("structure",)
    ),
    f"{DCC_VC}/v2/dataIntegrityProof/didKey/oidf-noStatus-notExpired-notYetValid.json": invalid(
        "structure", "issued", conformance=("structure",)
    ),
    f"{DCC_VC}/v2/dataIntegrityProof/didKey/oidf-revokedStatus-noExpiry.json": invalid(
        "structure", "status", conformance=("structure",)
    ),
    f"{DCC_VC}/v2/dataIntegrityProof/didKey/twoOIDF-revoked-notExpired-badSchema.json": invalid(
        "context", "structure", "signature", "issuer", "status", conformance=("structure",)
    ),
    f"{DCC_VC}/v2/dataIntegrityProof/didKey/twoOIDF-validStatus-expired.json": invalid(
        "structure", "expiry", conformance=("structure",)
    ),
    f"{DCC_VC}/v2/dataIntegrityProof/didweb/legacy-revokedStatus-expired.json": invalid(
        "structure", "status", "expiry", conformance=("structure",)
    ),
    f"{DCC_VC}/v2/dataIntegrityProof/didweb/legacy-revokedStatus-noExpiry.json": invalid(
        "structure", "status", conformance=("structure",)
    ),
    f"{DCC_VC}/v2/dataIntegrityProof/didweb/oidf-noStatus-notExpired.json": invalid(
        "structure", conformance=("structure",)
    ),
    f"{DCC_VC}/v2/ed25519/didKey/legacy-expiredStatus-noExpiry.json": invalid(
        "context", "structure", "status", conformance=("context",)
    ),
    f"{DCC_VC}/v2/ed25519/didKey/legacy-missingTypeStatus-noExpiry.json": invalid(
        "context", "structure", "status", conformance=("context",)
    ),
    f"{DCC_VC}/v2/ed25519/didKey/legacy-noStatus-expired.json": invalid("expiry"),
    f"{DCC_VC}/v2/ed25519/didKey/legacy-noStatus-noExpiry-lcwExperience.json": invalid(
        "structure", conformance=("structure",)
    ),
    f"{DCC_VC}/v2/ed25519/didKey/legacy-noStatus-noExpiry-stringIssuerId.json": VALID,
    f"{DCC_VC}/v2/ed25519/didKey/legacy-noStatus-noExpiry-tampered.json": invalid("signature", "issuer"),
    f"{DCC_VC}/v2/ed25519/didKey/legacy-noStatus-noExpiry.json": VALID,
    f"{DCC_VC}/v2/ed25519/didKey/legacy-notYetValidStatus-noExpiry.json": invalid(
        "context", "structure", "status", conformance=("context",)
    ),
    f"{DCC_VC}/v2/ed25519/didKey/legacy-tamperedStatus-noExpiry.json": invalid(
        "context", "structure", "status", conformance=("context",)
    ),
    f"{DCC_VC}/v2/ed25519/didKey/noRegistry-revokedStatus-expired.json": invalid(
        "structure", "status", "expiry", conformance=("structure",)
    ),
    f"{DCC_VC}/v2/ed25519/didKey/noRegistry-revokedStatus-notExpired.json": invalid(
        "structure", "status", conformance=("structure",)
    ),
    f"{DCC_VC}/v2/ed25519/didKey/oidf-revokedStatus-noExpiry.json": invalid(
        "structure", "status", conformance=("structure",)
    ),
    f"{DCC_VC}/v2/ed25519/didWeb/badDidWeb.json": invalid(
        "structure", "signature", "issuer", conformance=("structure",)
    ),
    f"{DCC_VC}/v2/ed25519/didWeb/legacy-revokedStatus-expired.json": invalid(
        "structure", "status", "expiry", conformance=("structure",)
    ),
    f"{DCC_VC}/v2/ed25519/didWeb/legacy-revokedStatus-noExpiry.json": invalid(
        "structure", "status", conformance=("structure",)
    ),
    f"{DCC_VC}/v2/ed25519/didWeb/oidf-noStatus-notExpired.json": invalid(
        "structure", conformance=("structure",)
    ),
    f"{DCC_CORE}/src/test-fixtures/status/e5WK8CbZ1GjycuPombrj": invalid(
        "context", "structure", conformance=("context",)
    ),
    f"{MOZILLA}/bad-json.svg": error(MalformedPayload, "json"),
    f"{MOZILLA}/baked.svg": invalid("hosted"),
    f"{MOZILLA}/no-json.svg": invalid("hosted"),
    f"{MOZILLA}/unbaked.png": error(NoBadgeData, None),
    f"{MOZILLA}/unbaked.svg": error(NoBadgeData, None),
    f"{W3C}/Ed25519Signature2020/signedEdSig.json": invalid(
        "context", "structure", "issuer", conformance=("context",)
    ),
    f"{W3C}/eddsa-jcs-2022/signedJCS.json": invalid(
        "context", "structure", "issuer", conformance=("context",)
    ),
    f"{W3C}/eddsa-rdfc-2022/employ/signedDataInt.json": invalid(
        "context", "structure", "signature", "issuer"
    ),
    f"{W3C}/eddsa-rdfc-2022/signedDataInt.json": invalid(
        "context", "structure", "issuer", conformance=("context",)
    ),
    # not Open Badges, and signed with a did:key for an https issuer: authentic, but no issuer tie
    f"{W3C_ECDSA}/ecdsa-jcs-2019-p256/signedJCSECDSAP256.json": invalid(
        "context", "structure", "issuer", conformance=("context",)
    ),
    f"{W3C_ECDSA}/ecdsa-jcs-2019-p384/signedJCSECDSAP384.json": invalid(
        "context", "structure", "issuer", conformance=("context",)
    ),
    f"{W3C_ECDSA}/ecdsa-rdfc-2019-p256/signedECDSAP256.json": invalid(
        "context", "structure", "issuer", conformance=("context",)
    ),
    f"{W3C_ECDSA}/ecdsa-rdfc-2019-p384/signedECDSAP384.json": invalid(
        "context", "structure", "issuer", conformance=("context",)
    ),
    f"{W3C_ECDSA}/ecdsa-rdfc-2019-p256/employ/signedECDSAP256.json": invalid(
        "context", "structure", "signature", "issuer"
    ),
    f"{W3C_ECDSA}/ecdsa-rdfc-2019-p384/employ/signedECDSAP384.json": invalid(
        "context", "structure", "signature", "issuer"
    ),
    f"{W3C}/proof-set-chain/proofChainTempDoc1.json": invalid(
        "context", "structure", "issuer", conformance=("context",)
    ),
    f"{W3C}/proof-set-chain/proofChainTempDoc2.json": invalid(
        "context", "structure", "signature", "issuer", conformance=("context",)
    ),
    f"{W3C}/proof-set-chain/signedProofChain1.json": invalid(
        "context", "structure", "issuer", conformance=("context",)
    ),
    f"{W3C}/proof-set-chain/signedProofChain2.json": invalid(
        "context", "structure", "issuer", conformance=("context",)
    ),
    f"{W3C}/proof-set-chain/signedProofSet1.json": invalid(
        "context", "structure", "issuer", conformance=("context",)
    ),
    f"{W3C}/proof-set-chain/signedProofSet2.json": invalid(
        "context", "structure", "issuer", conformance=("context",)
    ),
}


def _discover() -> Iterator[str]:
    for path in vector_files():
        rel = path.relative_to(VECTORS).as_posix()
        if rel.endswith(_SKIP_SUFFIXES):
            continue
        if "/contexts/" in rel or "schemas/" in rel or "/assets/" in rel:
            continue
        if path.suffix in (".png", ".svg", ".jwt"):
            yield rel
            continue
        fixture = f"{OB20}/" in rel or f"{OB30}/" in rel
        try:
            document = json.loads(path.read_text("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            if fixture:
                yield rel  # not strict JSON (comments): an input error is its verdict
            continue
        if isinstance(document, dict) and ("proof" in document or f"{OB20}/" in rel):
            yield rel


def _verify(rel: str, **overrides: Any) -> Report:
    return verify_vector(VECTORS, rel, **overrides)


def _not_ok(report: Report) -> frozenset[str]:
    return frozenset(c.id for c in report.checks if c.status in ("failed", "skipped") and c.id != "schema")


@pytest.mark.parametrize("rel", sorted(EXPECTED))
def test_vector_verdict(rel: str) -> None:
    verdict, detail, reason = EXPECTED[rel]
    if verdict == "error":
        with pytest.raises(detail) as info:
            _verify(rel)
        assert info.value.reason == reason
        return
    # strict: the verdicts as they were before conformance deviations became warnings
    strict = _verify(rel, strict=True)
    assert strict.valid is (verdict == "valid"), [c.to_dict() for c in strict.checks]
    assert _not_ok(strict) == (detail or frozenset())
    # default: the checks that failed on conformance deviations alone now warn
    lenient = _not_ok_after_conformance(detail, reason)
    report = _verify(rel)
    assert report.valid is (not lenient), [c.to_dict() for c in report.checks]
    assert _not_ok(report) == lenient
    assert {d.id for d in report.conformance} >= (reason or frozenset())
    assert all(d.status == "warning" for d in report.conformance)
    assert all(d.status == "failed" for d in strict.conformance)
    json.dumps(report.to_dict())  # the JSON form of every verdict serialises


def _not_ok_after_conformance(
    detail: frozenset[str] | None, conformance: frozenset[str] | None
) -> frozenset[str]:
    return (detail or frozenset()) - (conformance or frozenset())


def test_table_covers_every_proof_bearing_vector() -> None:
    assert set(_discover()) == set(EXPECTED)


def test_counts() -> None:
    verdicts = [v[0] for v in EXPECTED.values()]
    assert (len(verdicts), verdicts.count("valid"), verdicts.count("invalid"), verdicts.count("error")) == (
        201,
        34,
        150,
        17,
    )
    relaxed = [v for v in EXPECTED.values() if v[0] == "invalid" and v[2]]
    newly_valid = [v for v in relaxed if not _not_ok_after_conformance(v[1], v[2])]
    assert (len(relaxed), len(newly_valid)) == (103, 43)


def test_dcc_status_lists_fail_the_default_same_issuer_rule() -> None:
    # GIVEN a DCC credential whose status list another key signed, and the default policy
    report = _verify(
        f"{DCC_VC}/v1/ed25519/didWeb/legacy-validStatus-noExpiry.json", status_policy=StatusPolicy()
    )
    # THEN the status check fails, naming the other issuer
    assert outcome(report, "status") == ("failed", "issuer")
    assert not report.valid


def test_simple_jwt_is_valid_with_the_issuers_jwk_set() -> None:
    # GIVEN the JWK Set the 1EdTech issuer would publish, listing the key in the JWT header
    data = (VECTORS / OB30 / "simple-jwt.png").read_bytes()
    header_b64 = badgekiln.extract(data).payload.split(".")[0]
    header = json.loads(base64.urlsafe_b64decode(header_b64 + "=="))
    jwks = {"keys": [{**header["jwk"], "kid": jwk_thumbprint(header["jwk"])}]}
    documents = {"https://1edtech.edu/.well-known/jwks.json": as_bytes(jwks)}
    report = badgekiln.verify(data, offline=True, documents=documents)
    # THEN provenance is established through it, and the missing sub is only a warning
    assert report.valid
    jwks_url = "https://1edtech.edu/.well-known/jwks.json"
    assert check_of(report, "issuer").message == f"the key is in the issuer's JWK Set {jwks_url}"
    assert outcome(report, "claims") == ("warning", "no-sub")


def test_https_issuer_fixtures_need_their_controller_documents() -> None:
    # WITHOUT the stand-ins the key in the fragment is not trusted, and offline it cannot be checked
    report = badgekiln.verify((VECTORS / OB30 / "simple.json").read_bytes(), offline=True)
    assert outcome(report, "signature") == ("skipped", "offline")
    assert not report.valid


def test_endorsement_sub_reports() -> None:
    report = _verify(f"{OB30}/complete.json")
    # the spec example's three endorsements carry illustrative proofs ("eddsa-rdf-2022")
    assert len(report.endorsements) == 3
    assert all(not sub.valid for sub in report.endorsements)
    # nothing was checked: the signature check is skipped (never failed), and not valid
    assert all(outcome(sub, "signature") == ("skipped", "cryptosuite") for sub in report.endorsements)
    assert all(
        check_of(sub, "signature").message.startswith("unsupported suite eddsa-rdf-2022")
        for sub in report.endorsements
    )
    assert outcome(report, "endorsements") == ("warning", "endorsements")


def test_ob2_endorsements_of_the_validator_vector() -> None:
    """The 1EdTech validator's assertion-with-endorsements: two endorsements of the assertion and
    two of its BadgeClass, each fetched and verified. Its endorsements are served at https URLs
    but call themselves http ones, and say ``issuedOn: 2017-10-01T00:00Z`` (no seconds): not
    valid, which never changes the badge's own verdict."""
    report = _verify(f"{OB20}/assertion-with-endorsements.json")
    assert report.valid
    assert [sub.credential.id for sub in report.endorsements if sub.credential] == [
        f"https://example.org/endorsement-{n}.json" for n in (1, 2, 3, 4)
    ]
    for sub in report.endorsements:
        assert (sub.spec, sub.proof, sub.valid) == ("ob2", "hosted", False)
        assert outcome(sub, "hosted") == ("failed", "id-mismatch")
        assert outcome(sub, "structure") == ("failed", "structure")
    assert outcome(report, "endorsements") == ("warning", "endorsements")


def test_revoked_vectors_name_the_list_and_index() -> None:
    report = _verify(f"{OB30}/bit-string-list/credential-status-revoked.json")
    assert outcome(report, "status") == ("failed", "revoked")
    assert "/ob30/bit-string-list/testlist #23;" in check_of(report, "status").message
    report = _verify(f"{OB20}/simple-revoked.jwt")
    assert check_of(report, "status").message == (
        "revoked by its issuer (A good reason, for sure): listed in http://example.org/revocation-list.json"
    )
