"""Hostile badges: any member replaced by any JSON value gives a report or a typed error.

Never a foreign exception, never a hang. Three signed templates (OB 3.0 Data Integrity, OB 3.0
VC-JWT, OB 2.0 JWS) have one member at a time replaced by arbitrary JSON; the proof is then
re-made where the format allows, so the checks behind the signature are exercised too.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import badgekiln
from badgekiln.errors import BadgeKilnError
from badgekiln.verification import Report
from tests.verify_support import Ob2Endorser, Ob2Issuer, TestIssuer, replaced

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
    | st.sampled_from(
        ["https://[::1", "did:key:z6Mk", "_:b0", "urn:uuid:x", "2024-13-45T99:00:00Z", "@id", "#frag"]
    ),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)

DI = TestIssuer.did_web()
JWT = TestIssuer.https_jwks(kind="ed25519")
OB2 = Ob2Issuer.create(revoked=(), kind="ed25519")


def _paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*path, key)
            yield from _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield (*path, index)
            yield from _paths(item, (*path, index))


CREDENTIAL = DI.credential(validUntil="2999-01-01T00:00:00Z")
SIGNED = DI.sign_di(CREDENTIAL)
CREDENTIAL_PATHS = list(_paths(CREDENTIAL))
SIGNED_PATHS = list(_paths(SIGNED))
ASSERTION = OB2.assertion()
ASSERTION_PATHS = list(_paths(ASSERTION))


def _survives(data: str, documents: dict[str, bytes]) -> None:
    try:
        report = badgekiln.verify(data, offline=True, documents=documents, recipient="ann@example.org")
    except BadgeKilnError:
        return
    assert isinstance(report, Report)
    json.dumps(report.to_dict())


FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(path=st.sampled_from(SIGNED_PATHS), value=JSON)
def test_data_integrity_credential_after_signing(path: tuple[Any, ...], value: Any) -> None:
    _survives(json.dumps(replaced(SIGNED, path, value)), DI.documents)


@FUZZ
@given(path=st.sampled_from(CREDENTIAL_PATHS), value=JSON)
def test_vc_jwt_signed_over_hostile_claims(path: tuple[Any, ...], value: Any) -> None:
    document = replaced(JWT.credential(), path, value) if path[0] in JWT.credential() else JWT.credential()
    try:
        token = JWT.sign_jwt(document, header={"kid": "key-1"})
    except (KeyError, AttributeError, TypeError, ValueError):
        return  # the test helper cannot derive claims from this shape; nothing to verify
    _survives(token, JWT.documents)


@FUZZ
@given(path=st.sampled_from(ASSERTION_PATHS), value=JSON)
def test_ob2_assertion_signed_over_hostile_members(path: tuple[Any, ...], value: Any) -> None:
    _survives(OB2.sign(replaced(ASSERTION, path, value)), OB2.documents)


@FUZZ
@given(value=JSON)
def test_hostile_documents_behind_the_urls(value: Any) -> None:
    # every document the verifier fetches replaced by arbitrary JSON
    for documents in (
        {url: json.dumps(value).encode() for url in DI.documents},
        {
            **OB2.documents,
            **{url: json.dumps(value).encode() for url in OB2.documents if "revocations" not in url},
        },
    ):
        _survives(json.dumps(SIGNED), documents)
        _survives(OB2.sign(ASSERTION), documents)


@pytest.mark.parametrize("depth", [3, 12])
def test_endorsements_nested_deeply_stay_bounded(depth: int) -> None:
    # GIVEN endorsements of endorsements, deeper than the bound
    document: dict[str, Any] = DI.endorsement(DI.id)
    for _ in range(depth):
        document = {**document, "endorsement": [copy.deepcopy(document)]}
    outer = DI.sign_di(DI.credential(endorsement=[document] * 30))
    report = badgekiln.verify(json.dumps(outer), offline=True, documents=DI.documents)
    # THEN at most 16 are verified per credential, two levels deep, and the rest is said
    assert len(report.endorsements) == 16
    assert "14 more not verified (over 16)" in report.check("endorsements").message  # type: ignore[union-attr]
    second = [sub for first in report.endorsements for sub in first.endorsements]
    assert len(second) == 16
    assert all(sub.endorsements == () for sub in second)
    assert all(sub.check("endorsements").code == "depth" for sub in second)  # type: ignore[union-attr]


CLR_CONTEXT = "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json"
CLR = DI.credential(
    type=["VerifiableCredential", "ClrCredential"],
    credentialSubject={"id": "did:example:ann", "type": ["ClrSubject"], "verifiableCredential": [SIGNED]},
)
CLR["@context"] = [CLR["@context"][0], CLR_CONTEXT, CLR["@context"][1]]
CLR_PATHS = [path for path in _paths(CLR) if path[:2] == ("credentialSubject", "verifiableCredential")]


@FUZZ
@given(path=st.sampled_from(CLR_PATHS), value=JSON)
def test_clr_records_with_hostile_credentials(path: tuple[Any, ...], value: Any) -> None:
    record = replaced(CLR, path, value)
    _survives(json.dumps(record), DI.documents)  # unsigned: the credentials are still verified
    try:
        signed = DI.sign_di(record)
    except BadgeKilnError:
        return  # what cannot be signed (an undefined term …) makes no signed record
    _survives(json.dumps(signed), DI.documents)


ENDORSER = Ob2Endorser.create(kind="ed25519")
SIGNED_ENDORSEMENT = ENDORSER.endorsement()
SIGNED_ENDORSEMENT_PATHS = list(_paths(SIGNED_ENDORSEMENT))


@FUZZ
@given(path=st.sampled_from(SIGNED_ENDORSEMENT_PATHS), value=JSON, embedded=st.booleans())
def test_ob2_signed_endorsements_over_hostile_members(
    path: tuple[Any, ...], value: Any, embedded: bool
) -> None:
    # a well-signed JWS over an Endorsement with one member replaced: the badge's report stands
    served_at = Ob2Endorser.BASE + "endorsements/1.jws"
    document = replaced(SIGNED_ENDORSEMENT, path, value)
    ref = {**document, "id": served_at} if embedded else served_at
    documents = {**OB2.documents, **ENDORSER.documents, served_at: ENDORSER.sign(document).encode()}
    report = badgekiln.verify(
        OB2.sign({**ASSERTION, "endorsement": [ref]}), offline=True, documents=documents
    )
    assert report.valid
    (sub,) = report.endorsements
    json.dumps(sub.to_dict())


@FUZZ
@given(tail=st.binary(max_size=200) | st.text(alphabet="AZaz09-_.=+/ ", max_size=200).map(str.encode))
def test_ob2_endorsement_urls_serving_hostile_tokens(tail: bytes) -> None:
    # what looks like a JWS (eyJ…) is read as one, whatever follows
    served_at = Ob2Endorser.BASE + "endorsements/1.jws"
    documents = {**OB2.documents, **ENDORSER.documents, served_at: b"eyJ" + tail}
    report = badgekiln.verify(
        OB2.sign({**ASSERTION, "endorsement": [served_at]}), offline=True, documents=documents
    )
    assert report.valid
    (sub,) = report.endorsements
    assert not sub.valid


@FUZZ
@given(value=JSON)
def test_ob2_endorsements_hostile(value: Any) -> None:
    endorsement = "https://badges.example/endorsements/1.json"
    documents = {**OB2.documents, endorsement: json.dumps(value).encode()}
    _survives(OB2.sign({**ASSERTION, "endorsement": value}), documents)
    _survives(OB2.sign({**ASSERTION, "endorsement": [endorsement, value]}), documents)


@FUZZ
@given(value=JSON)
def test_issuer_registries_hostile(value: Any) -> None:
    from badgekiln.verification.identity import IssuerRegistry

    for document in (value, {"registry": value}, {"registry": {"did:key:z": value}}):
        try:
            registry = IssuerRegistry.parse(json.dumps(document).encode(), name="fuzz")
        except BadgeKilnError:
            continue
        assert all(isinstance(key, str) for key in registry.entries)
