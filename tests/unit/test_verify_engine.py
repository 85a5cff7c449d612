"""verify(): input detection, typed input errors, options, the one fetcher, import weight."""

from __future__ import annotations

import base64
import json
import struct
import subprocess
import sys
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import badgekiln
from badgekiln.errors import (
    InputTooLarge,
    InvalidField,
    MalformedImage,
    MalformedPayload,
    NoBadgeData,
    NotABadgeImage,
)
from badgekiln.fetch import Fetcher, FetchPolicy, MockTransport, TransportRequest, TransportResponse
from badgekiln.keys.formats import dump_pem_public_key, public_key_to_jwk
from badgekiln.verification import VerifyOptions, verify
from badgekiln.verification.options import MAX_ENDORSEMENT_DEPTH
from badgekiln.verification.recipient import MAX_IDENTITY_CHARS
from tests.verify_support import OB30, TestIssuer, as_bytes, check_of, forge_jws, outcome


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _jws(payload: bytes) -> bytes:
    """A compact JWS with header {"alg": "none"} over ``payload``."""
    return b"eyJhbGciOiJub25lIn0." + base64.urlsafe_b64encode(payload).rstrip(b"=") + b"."


PNG_1x1 = (
    b"\x89PNG\r\n\x1a\n"
    + _chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
    + _chunk(b"IDAT", zlib.compress(b"\0\0"))
    + _chunk(b"IEND", b"")
)
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>'


@pytest.fixture(scope="module")
def issuer() -> TestIssuer:
    return TestIssuer.did_web()


@pytest.fixture(scope="module")
def signed(issuer: TestIssuer) -> str:
    return json.dumps(issuer.sign_di(issuer.credential()))


# --- input detection -----------------------------------------------------------------------------


def test_json_bytes_str_and_baked_images_give_one_verdict(issuer: TestIssuer, signed: str) -> None:
    png = badgekiln.bake(PNG_1x1, signed)
    svg = badgekiln.bake(SVG, signed)
    for data, fmt in (
        (signed, "json"),
        (signed.encode(), "json"),
        (png, "png"),
        (svg, "svg"),
        (svg.decode(), "svg"),
    ):
        report = verify(data, offline=True, documents=issuer.documents)
        assert (report.valid, report.spec, report.format, report.proof) == (
            True,
            "ob3",
            fmt,
            "eddsa-rdfc-2022",
        )


def test_jwt_and_url_inputs(vectors: Path) -> None:
    issuer = TestIssuer.https_jwks()
    token = issuer.sign_jwt(issuer.credential(), header={"typ": "JWT", "kid": "key-1"})
    report = verify(f"\n {token}\n", offline=True, documents=issuer.documents)
    assert (report.valid, report.format, report.proof) == (True, "jwt", "vc-jwt RS256")
    report = verify("https://badges.example/assertions/1.json", offline=True)
    assert (report.spec, report.format) == ("ob2", "url")
    assert outcome(report, "hosted") == ("skipped", "offline")


def _serving(pages: dict[str, tuple[int, str, bytes]]) -> tuple[Fetcher, MockTransport]:
    def answer(request: TransportRequest) -> TransportResponse:
        status, media, body = pages.get(request.url, (404, "text/plain", b"not here"))
        return TransportResponse(status, {"content-type": media}, body)

    transport = MockTransport(answer)
    return Fetcher(FetchPolicy(), transport=transport), transport


def test_a_url_is_verified_as_whatever_it_serves(issuer: TestIssuer, vectors: Path) -> None:
    # GIVEN one credential served at four URLs: as JSON-LD, as a VC-JWT, and baked into a PNG
    credential = issuer.sign_di(issuer.credential())
    jwks = TestIssuer.https_jwks()
    token = jwks.sign_jwt(jwks.credential(), header={"typ": "JWT", "kid": "key-1"})
    heart = vectors / "concentricsky-openbadges-bakery/openbadges_bakery/testfiles/public_domain_heart.png"
    baked = badgekiln.bake(heart.read_bytes(), json.dumps(credential))
    pages = {
        "https://issuer.example/c/1": (200, "application/ld+json", as_bytes(credential)),
        "https://issuer.example/c/1.jwt": (200, "text/plain", token.encode()),
        "https://issuer.example/c/1.png": (200, "image/png", baked),
        "https://issuer.example/c/gone": (410, "application/json", b"{}"),
    }
    for url, body in list(issuer.documents.items()) + list(jwks.documents.items()):
        pages[url] = (200, "application/json", body)
    fetcher, transport = _serving(pages)
    # WHEN each URL is verified THEN each is judged by what it serves
    report = verify("https://issuer.example/c/1", fetcher=fetcher)
    assert (report.valid, report.spec, report.format) == (True, "ob3", "url")
    report = verify("https://issuer.example/c/1.jwt", fetcher=fetcher)
    assert (report.valid, report.spec, report.proof) == (True, "ob3", "vc-jwt RS256")
    report = verify("https://issuer.example/c/1.png", fetcher=fetcher)
    assert (report.valid, report.spec, report.format) == (True, "ob3", "png")
    # AND an OB 2.0 hosted URL that answers 410 Gone is revoked, fetched once
    report = verify("https://issuer.example/c/gone", fetcher=fetcher)
    assert (report.valid, report.spec, outcome(report, "status")) == (False, "ob2", ("failed", "revoked"))
    assert [r.url for r in transport.requests].count("https://issuer.example/c/gone") == 1


@pytest.mark.parametrize(
    ("data", "error", "reason"),
    [
        (b"", MalformedPayload, "empty"),
        (b"   \n", MalformedPayload, "empty"),
        (b"\xff\xfe\x00garbage", NotABadgeImage, None),
        (b"[1, 2]", MalformedPayload, "json"),
        (b'{"a": 1, "a": 2}', MalformedPayload, "duplicate-key"),
        (
            b'{"@context": "https://w3id.org/openbadges/v2", "type": "BadgeClass"}',
            MalformedPayload,
            "not-a-badge",
        ),
        (b'{"name": "a cat picture"}', MalformedPayload, "not-a-badge"),
        (b"not a badge at all", MalformedPayload, "unknown"),
        (b"ftp://example.org/badge", MalformedPayload, "unknown"),
        (b"eyJhbGciOiJub25lIn0.e30.", MalformedPayload, "not-a-badge"),  # a JWS, but of {}
        (_jws(b'{"nbf": ' + b"1" * 5000 + b"}"), MalformedPayload, "number"),
        (_jws(b'{"sub": "\\ud800"}'), MalformedPayload, "utf-8"),  # a lone surrogate
        (b"\x89PNG\r\n\x1a\nbroken", MalformedImage, "truncated"),
        (PNG_1x1, NoBadgeData, None),
        (b"<html/>", NotABadgeImage, None),
        (b"{" * 200 + b"}" * 200, MalformedPayload, "json"),
    ],
)
def test_input_errors_raise_typed_errors(data: bytes, error: type[Exception], reason: str | None) -> None:
    with pytest.raises(error) as info:
        verify(data, offline=True)
    assert getattr(info.value, "reason", None) == reason


@pytest.mark.parametrize("data", ['{"a": "\ud800"}', "<svg>\ud800</svg>", "\ud800"])
def test_text_with_a_lone_surrogate_is_malformed(data: str) -> None:
    with pytest.raises(MalformedPayload) as info:
        verify(data, offline=True)
    assert info.value.reason == "utf-8"


def test_deeply_nested_json_is_refused_without_recursion() -> None:
    deep = '{"@context": "https://www.w3.org/ns/credentials/v2", "x": ' + "[" * 100 + "]" * 100 + "}"
    with pytest.raises(InputTooLarge):
        verify(deep, offline=True)


def test_legacy_badges_are_verified_from_their_hosted_copy(vectors: Path) -> None:
    report = verify(
        (
            vectors / "concentricsky-openbadges-bakery/openbadges_bakery/testfiles/baked_heart.png"
        ).read_bytes(),
        offline=True,
    )
    assert (report.valid, report.spec, report.format) == (False, "ob1", "png")
    assert outcome(report, "hosted") == ("skipped", "offline")
    assert "could not be retrieved from http://example.org/badgeinstance1" in report.checks[0].message
    legacy = {"@context": "https://w3id.org/openbadges/v1", "type": "Assertion", "uid": "1"}
    report = verify(json.dumps(legacy))
    assert (report.spec, outcome(report, "version"), outcome(report, "hosted")) == (
        "ob1",
        ("passed", None),
        ("failed", "no-url"),
    )


def test_a_non_badge_credential_fails_structure(issuer: TestIssuer) -> None:
    credential = issuer.credential(type=["VerifiableCredential"])
    report = verify(json.dumps(issuer.sign_di(credential)), offline=True, documents=issuer.documents)
    assert outcome(report, "structure") == ("failed", "structure")
    assert outcome(report, "signature") == ("passed", None)
    assert not report.valid


# --- options -------------------------------------------------------------------------------------


def test_options_are_validated(issuer: TestIssuer, signed: str) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        verify(signed, at=datetime(2025, 1, 1))
    with pytest.raises(ValueError, match="through the fetcher"):
        verify(signed, fetcher=Fetcher(), offline=True)
    with pytest.raises(TypeError, match="either options or"):
        verify(signed, options=VerifyOptions(), offline=True)
    for blank in ("", "  "):  # what a user typed: bad input (exit 2 / HTTP 422), not a bad call
        with pytest.raises(InvalidField, match="recipient"):
            VerifyOptions(recipient=blank)
    with pytest.raises(TypeError, match="recipient"):
        VerifyOptions(recipient=b"a@example.org")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="endorsement_depth"):
        VerifyOptions(endorsement_depth=MAX_ENDORSEMENT_DEPTH + 1)
    with pytest.raises(TypeError):
        verify(12345)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "key",
    [
        b"\xff\xfe",
        "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
        '{"kty": "RSA"',
        '{"kty": "RSA", "kty": "EC"}',
        '{"k":' * 100_000,  # nested past the recursion limit
        '{"kty": "\ud800"}',  # a lone surrogate
        "[1]",
        '{"kty": "OKP", "crv": "Ed25519", "x": "AAAA", "d": "AAAA"}',
    ],
)
def test_unusable_pinned_keys_are_input_errors(signed: str, key: str | bytes) -> None:
    with pytest.raises(InvalidField) as info:
        verify(signed, key=key)
    assert info.value.details["field"] == "key"


@pytest.mark.parametrize("recipient", ["x" * (MAX_IDENTITY_CHARS + 1), "ann\ud800@example.org"])
def test_unusable_recipients_are_refused_before_any_work(recipient: str) -> None:
    with pytest.raises(InvalidField) as info:
        VerifyOptions(recipient=recipient)
    assert info.value.details["field"] == "recipient"


def test_pinned_key_as_pem_or_jwk(issuer: TestIssuer, signed: str) -> None:
    public = issuer.signer.public_key()
    for key in (dump_pem_public_key(public), json.dumps(public_key_to_jwk(public)).encode()):
        report = verify(signed, offline=True, key=key)  # no DID document needed
        assert report.valid
    other = TestIssuer.did_web("other.example")
    report = verify(signed, offline=True, key=dump_pem_public_key(other.signer.public_key()))
    assert outcome(report, "signature") == ("failed", "signature")


def test_every_url_goes_through_the_one_fetcher(issuer: TestIssuer) -> None:
    # GIVEN a credential whose proof, key and status need three documents, all served by a mock
    from badgekiln.status import StatusBitstring, build_status_entry, build_status_list_credential

    list_url = "https://issuer.example/status/1"
    status_list = issuer.sign_di(
        build_status_list_credential(
            list_url=list_url, issuer=issuer.id, purpose="revocation", bitstring=StatusBitstring()
        )
    )
    credential = issuer.sign_di(
        issuer.credential(credentialStatus=build_status_entry(list_url=list_url, index=3))
    )
    served = {**issuer.documents, list_url: as_bytes(status_list)}

    def answer(request: TransportRequest) -> TransportResponse:
        return TransportResponse(200, {"content-type": "application/json"}, served[request.url])

    transport = MockTransport(answer)
    fetcher = Fetcher(FetchPolicy(), transport=transport)
    report = verify(json.dumps(credential), fetcher=fetcher)
    # THEN it is valid, and the fetcher's transport saw each document once: the DID document the
    # credential's proof and the status list's proof both need is one read of the verification
    assert report.valid
    assert sorted(r.url for r in transport.requests) == sorted(served)
    # AND a second verification reads them through the fetcher again (nothing here may be cached)
    assert verify(json.dumps(credential), fetcher=fetcher).valid
    assert sorted(r.url for r in transport.requests) == sorted([*served, *served])


def test_a_foreign_status_list_is_trusted_for_its_max_age_and_no_longer(issuer: TestIssuer) -> None:
    # GIVEN another issuer's credential whose status list says max-age=60 (with an ETag), and a
    # DID document that says nothing about caching, verified by one long-lived fetcher
    from badgekiln.status import StatusBitstring, build_status_entry, build_status_list_credential

    list_url = "https://issuer.example/status/1"

    def status_list(revoked: bool) -> bytes:
        bits = StatusBitstring()
        if revoked:
            bits.set(3)
        document = build_status_list_credential(
            list_url=list_url, issuer=issuer.id, purpose="revocation", bitstring=bits
        )
        return as_bytes(issuer.sign_di(document))

    lists = {False: status_list(False), True: status_list(True)}
    credential = json.dumps(
        issuer.sign_di(issuer.credential(credentialStatus=build_status_entry(list_url=list_url, index=3)))
    )
    revoked = False

    def answer(request: TransportRequest) -> TransportResponse:
        if request.url != list_url:
            return TransportResponse(200, {"content-type": "application/json"}, issuer.documents[request.url])
        tag = f'"{int(revoked)}"'
        if request.headers.get("if-none-match") == tag:
            return TransportResponse(304, {"etag": tag, "cache-control": "max-age=60"})
        headers = {"content-type": "application/json", "cache-control": "max-age=60", "etag": tag}
        return TransportResponse(200, headers, lists[revoked])

    clock = [0.0]
    transport = MockTransport(answer)
    fetcher = Fetcher(FetchPolicy(), transport=transport, clock=lambda: clock[0])

    assert verify(credential, fetcher=fetcher).valid
    # WHEN the issuer revokes it, a verification within the list's max-age still uses the list it
    # has (the staleness bound), while the DID document, which may not be cached, is read again
    revoked = True
    clock[0] = 59.0
    assert verify(credential, fetcher=fetcher).valid
    assert sum(r.url == list_url for r in transport.requests) == 1
    assert sum("did.json" in r.url for r in transport.requests) == 2
    # THEN once the max-age has passed the list is revalidated, and the revocation is seen
    clock[0] = 60.0
    report = verify(credential, fetcher=fetcher)
    assert outcome(report, "status") == ("failed", "revoked")
    list_requests = [r for r in transport.requests if r.url == list_url]
    assert [r.headers.get("if-none-match") for r in list_requests] == [None, '"0"']


def test_a_verification_reads_a_document_once_and_keeps_no_failure() -> None:
    from badgekiln.errors import FetchFailed
    from badgekiln.fetch import JWT_TYPES
    from badgekiln.verification._session import Reads

    # GIVEN a server that fails its first answer, then serves a document
    url = "https://issuer.example/profile"
    served = TransportResponse(200, {"content-type": "application/json"}, b"{}")
    answers = [TransportResponse(503, {}), served]
    transport = MockTransport(lambda request: answers.pop(0) if len(answers) > 1 else answers[0])
    reads = Reads(Fetcher(FetchPolicy(), transport=transport))
    # THEN the failure is not remembered: the next read asks again and is kept
    with pytest.raises(FetchFailed):
        reads.get(url)
    first = reads.get(url)
    assert reads.get(url) is first
    assert len(transport.requests) == 2
    # AND another accept list is another read, checked by the fetcher on its own
    with pytest.raises(FetchFailed) as refused:
        reads.get(url, accept=JWT_TYPES)
    assert refused.value.reason == "content-type"


def test_offline_never_touches_the_transport(signed: str) -> None:
    transport = MockTransport(lambda request: pytest.fail(f"network used for {request.url}"))
    report = verify(signed, fetcher=Fetcher(FetchPolicy(offline=True), transport=transport))
    assert outcome(report, "signature") == ("skipped", "offline")
    assert transport.requests == ()


def test_endorsement_depth_zero_skips_endorsements(issuer: TestIssuer) -> None:
    endorser = TestIssuer.did_web("endorser.example")
    endorsement = endorser.sign_di(endorser.endorsement(issuer.id, endorsementComment="Good."))
    credential = issuer.sign_di(issuer.credential(endorsement=[endorsement]))
    documents = {**issuer.documents, **endorser.documents}
    report = verify(json.dumps(credential), offline=True, documents=documents)
    assert report.valid
    assert [sub.valid for sub in report.endorsements] == [True]
    assert outcome(report, "endorsements") == ("passed", None)
    shallow = verify(
        json.dumps(credential), options=VerifyOptions(offline=True, documents=documents, endorsement_depth=0)
    )
    assert shallow.endorsements == ()
    assert outcome(shallow, "endorsements") == ("skipped", "depth")
    assert shallow.valid  # endorsements never change the main verdict


def test_endorsement_jwt_and_broken_endorsements(issuer: TestIssuer) -> None:
    endorser = TestIssuer.https_jwks("endorser.example")
    endorsement = endorser.sign_jwt(
        endorser.endorsement(issuer.id, endorsementComment="Good."),
        header={"typ": "JWT", "kid": "key-1"},
    )
    credential = issuer.sign_di(issuer.credential(endorsementJwt=[endorsement, "not.a.jwt"]))
    report = verify(
        json.dumps(credential), offline=True, documents={**issuer.documents, **endorser.documents}
    )
    assert report.valid
    assert [(sub.format, sub.valid) for sub in report.endorsements] == [("jwt", True), ("jwt", False)]
    assert outcome(report, "endorsements") == ("warning", "endorsements")


def test_forged_alg_none_token_is_a_report_not_an_error(issuer: TestIssuer) -> None:
    forged = forge_jws({"alg": "none"}, issuer.credential())
    report = verify(forged, offline=True)
    assert outcome(report, "signature") == ("failed", "alg")


# --- the package and its imports -----------------------------------------------------------------


def _run(code: str) -> Any:
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


def test_badgekiln_verify_is_the_function_after_submodule_imports(vectors: Path) -> None:
    # the engine lives in badgekiln.verification, so importing its submodules never rebinds
    # badgekiln.verify (no module is named so): it stays the recipe function
    code = (
        "import json, badgekiln, badgekiln.verification.recipient, badgekiln.verification.engine\n"
        f"r = badgekiln.verify(open({str(vectors / OB30 / 'simple.json')!r}, 'rb').read(), offline=True)\n"
        "print(json.dumps([type(r).__name__, type(badgekiln.verify).__name__, badgekiln.Report.__name__,"
        " badgekiln.verify is badgekiln.verification.verify]))"
    )
    assert _run(code) == ["Report", "function", "Report", True]


def test_the_verify_path_imports_neither_cairosvg_nor_boto3(vectors: Path) -> None:
    jwt_png = vectors / OB30 / "simple-jwt.png"
    code = (
        "import json, sys, badgekiln\n"
        f"badgekiln.verify(open({str(vectors / OB30 / 'simple.json')!r}, 'rb').read(), offline=True)\n"
        f"badgekiln.verify(open({str(jwt_png)!r}, 'rb').read(), offline=True)\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    loaded = _run(code)
    assert "pyld" in loaded  # the Data Integrity path did run
    assert not {"cairosvg", "boto3", "botocore", "pydantic", "jinja2"} & set(loaded)


SCHEMA = "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
EXTENSIONS = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json",
]


@pytest.mark.parametrize(
    ("schema_id", "members", "strict", "expected"),
    [
        (SCHEMA, {}, False, ("passed", None)),
        # a schema violation is a conformance deviation: a warning, a failure in strict mode
        (SCHEMA, {"awardedDate": "not a date"}, False, ("warning", "schema")),
        (SCHEMA, {"awardedDate": "not a date"}, True, ("failed", "schema")),
        ("https://issuer.example/my-schema.json", {}, True, ("skipped", "schema-not-checked")),
    ],
)
def test_credential_schema(
    issuer: TestIssuer, schema_id: str, members: dict[str, Any], strict: bool, expected: tuple[str, str]
) -> None:
    valid = expected[0] != "failed"
    entry = [{"id": schema_id, "type": "1EdTechJsonSchemaValidator2019"}]
    signed = issuer.sign_di(
        issuer.credential(**{"@context": EXTENSIONS, "credentialSchema": entry, **members})
    )
    report = verify(json.dumps(signed), offline=True, documents=issuer.documents, strict=strict)
    assert outcome(report, "schema") == expected
    assert report.valid is valid  # a schema that is not bundled is reported, not held against the badge
    deviations = [(d.id, d.status, d.code) for d in report.conformance]
    assert deviations == ([("schema", expected[0], "schema")] if expected[1] == "schema" else [])


def test_a_data_integrity_proof_past_its_expires_is_not_accepted(issuer: TestIssuer) -> None:
    # GIVEN a credential whose proof says it expires on 1 June 2024 (the credential itself does not)
    from badgekiln.proofs.dataintegrity import create_proof

    signed = create_proof(
        issuer.credential(),
        issuer.signer,
        verification_method=issuer.signer.key_id,
        created=datetime(2024, 1, 1, tzinfo=UTC),
        expires=datetime(2024, 6, 1, tzinfo=UTC),
    )
    text = json.dumps(signed)
    # THEN before that date it verifies, and after it the signature check fails on the proof's expiry
    before = verify(text, offline=True, documents=issuer.documents, at=datetime(2024, 5, 31, tzinfo=UTC))
    assert before.valid, [c.message for c in before.failures]
    after = verify(text, offline=True, documents=issuer.documents, at=datetime(2024, 6, 2, tzinfo=UTC))
    assert outcome(after, "signature") == ("failed", "proof-expired")
    assert not after.valid
    # AND an expires that is not a date-time is malformed, not ignored
    signed["proof"]["expires"] = "soon"
    broken = verify(json.dumps(signed), offline=True, documents=issuer.documents)
    assert outcome(broken, "signature")[0] == "failed"


def test_create_proof_refuses_an_expires_before_created(issuer: TestIssuer) -> None:
    from badgekiln.proofs.dataintegrity import create_proof

    with pytest.raises(ValueError, match="expires"):
        create_proof(
            issuer.credential(),
            issuer.signer,
            verification_method=issuer.signer.key_id,
            created=datetime(2024, 1, 1, tzinfo=UTC),
            expires=datetime(2024, 1, 1, tzinfo=UTC),
        )


def _without(*path: str) -> Callable[[dict[str, Any]], None]:
    def apply(document: dict[str, Any]) -> None:
        node = document
        for step in path[:-1]:
            node = node[step]
        del node[path[-1]]

    return apply


def _setting(value: Any, *path: str) -> Callable[[dict[str, Any]], None]:
    def apply(document: dict[str, Any]) -> None:
        node = document
        for step in path[:-1]:
            node = node[step]
        node[path[-1]] = value

    return apply


@pytest.mark.parametrize(
    ("change", "kind", "code"),
    [
        # the OB 3.0 profile's rules that do not bear on trust: conformance deviations
        (_without("id"), "deviation", "no-id"),
        (_without("validFrom"), "deviation", "no-start"),
        (_without("credentialSubject", "id"), "deviation", "subject-id"),
        (_without("credentialSubject", "achievement", "id"), "deviation", "achievement"),
        (_without("credentialSubject", "achievement", "name"), "deviation", "achievement"),
        # what trust needs: an Open Badge type, an issuer, an achievement, readable dates
        (_setting(["VerifiableCredential"], "type"), "failure", "structure"),
        (_without("issuer"), "failure", "structure"),
        (_without("credentialSubject", "achievement"), "failure", "structure"),
        (_setting("2030-01-01T00:00:00", "validUntil"), "failure", "structure"),
    ],
)
def test_structure_separates_conformance_from_trust(
    issuer: TestIssuer, change: Callable[[dict[str, Any]], None], kind: str, code: str
) -> None:
    # GIVEN a credential its issuer signed with one member changed
    document = issuer.credential()
    change(document)
    text = json.dumps(issuer.sign_di(document))
    report = verify(text, offline=True, documents=issuer.documents)
    strict = verify(text, offline=True, documents=issuer.documents, strict=True)
    assert outcome(strict, "structure") == ("failed", code)  # strict: refused either way
    if kind == "deviation":
        # THEN a deviation only warns: the badge is valid, and the report lists it
        assert outcome(report, "structure") == ("warning", code)
        assert report.valid, [c.message for c in report.failures]
        assert [(d.id, d.code) for d in report.conformance] == [("structure", code)]
        assert not strict.valid
    else:
        # THEN a trust failure fails whatever the mode
        assert outcome(report, "structure") == ("failed", code)
        assert not report.valid
        assert report.conformance == ()


def test_a_vc_jwt_with_an_unbundled_context_is_authentic_with_a_deviation() -> None:
    # GIVEN a VC-JWT whose issuer added a context badgekiln does not bundle (its JSON is signed)
    issuer = TestIssuer.https_jwks()
    document = issuer.credential()
    document["@context"] = [*document["@context"], "https://issuer.example/contexts/extra.json"]
    token = issuer.sign_jwt(document, header={"typ": "JWT", "kid": "key-1"})
    report = verify(token, offline=True, documents=issuer.documents)
    # THEN its signature and issuer hold; the unknown context is a conformance warning, said once
    assert outcome(report, "signature") == ("passed", None)
    assert outcome(report, "context") == ("warning", "unknown-context")
    context = check_of(report, "context").message
    assert context.count("is not bundled") == 1
    assert report.valid
    assert not verify(token, offline=True, documents=issuer.documents, strict=True).valid


# --- caller-pinned contexts (#12 item 7) ------------------------------------------------------------

EXTRA_CONTEXT = "https://contexts.example/extra.json"
EXTRA_BODY = json.dumps({"@context": {"grade": "https://contexts.example/#grade"}}).encode()


def test_a_pinned_context_lets_a_data_integrity_badge_verify(issuer: TestIssuer) -> None:
    from badgekiln.jsonld.loader import PinnedContexts
    from badgekiln.proofs.dataintegrity import create_proof

    # GIVEN a credential signed with a context badgekiln does not bundle (the issuer's own)
    document = issuer.credential(
        **{"@context": [*issuer.credential()["@context"], EXTRA_CONTEXT]}, grade="A+"
    )
    signed = create_proof(
        document,
        issuer.signer,
        verification_method=issuer.signer.key_id,
        pinned=PinnedContexts.of({EXTRA_CONTEXT: EXTRA_BODY}),
    )
    text = json.dumps(signed)
    # WHEN the caller pins the context's body with the other documents
    report = verify(text, offline=True, documents={**issuer.documents, EXTRA_CONTEXT: EXTRA_BODY})
    # THEN it verifies, and the report says the pinned copy was trusted
    assert report.valid, [c.message for c in report.failures]
    assert outcome(report, "context") == ("warning", "pinned-context")
    assert EXTRA_CONTEXT in check_of(report, "context").message
    assert report.conformance == ()
    # AND without the pin the context is unknown (said once) and the signature cannot be checked
    bare = verify(text, offline=True, documents=issuer.documents)
    assert outcome(bare, "context") == ("failed", "unknown-context")
    assert check_of(bare, "context").message.count("not bundled") == 1
    assert outcome(bare, "signature")[0] == "failed"
    # AND a pin with another body for that URL does not verify it (what was signed differs)
    other = json.dumps({"@context": {"grade": "https://elsewhere.example/#grade"}}).encode()
    forged = verify(text, offline=True, documents={**issuer.documents, EXTRA_CONTEXT: other})
    assert outcome(forged, "signature") == ("failed", "signature")


def test_a_pinned_context_serves_a_vc_jwt_without_deviation() -> None:
    issuer = TestIssuer.https_jwks()
    document = issuer.credential(
        **{"@context": [*issuer.credential()["@context"], EXTRA_CONTEXT]}, grade="A+"
    )
    token = issuer.sign_jwt(document, header={"typ": "JWT", "kid": "key-1"})
    report = verify(token, offline=True, documents={**issuer.documents, EXTRA_CONTEXT: EXTRA_BODY})
    assert report.valid
    assert outcome(report, "context") == ("warning", "pinned-context")
    assert report.conformance == ()


def test_the_cli_document_option_pins_a_context(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from badgekiln.cli import main

    # GIVEN a VC-JWT using an unbundled context, and its body in a file
    issuer = TestIssuer.https_jwks()
    document = issuer.credential(
        **{"@context": [*issuer.credential()["@context"], EXTRA_CONTEXT]}, grade="A+"
    )
    badge = tmp_path / "badge.jwt"
    badge.write_text(issuer.sign_jwt(document, header={"typ": "JWT", "kid": "key-1"}))
    args = []
    for number, (url, body) in enumerate({**issuer.documents, EXTRA_CONTEXT: EXTRA_BODY}.items()):
        (tmp_path / f"{number}.json").write_bytes(body)
        args += ["--document", f"{url}={tmp_path / f'{number}.json'}"]
    # THEN --document answers the context URL (it was silently ignored before)
    assert main(["verify", str(badge), "--offline", "--strict", *args]) == 0
    out = capsys.readouterr().out
    assert (
        f"the context {EXTRA_CONTEXT} is not bundled with badgekiln: the copy the caller pinned was used"
        in out
    )


def test_an_ob2_extension_context_can_be_pinned() -> None:
    from tests.verify_support import Ob2Issuer

    ob2 = Ob2Issuer.create()
    extension = {"@context": EXTRA_CONTEXT, "type": ["Extension", "extensions:Grade"], "grade": "A+"}
    token = ob2.sign(ob2.assertion(**{"extensions:grade": extension}))
    pinned = verify(token, offline=True, documents={**ob2.documents, EXTRA_CONTEXT: EXTRA_BODY})
    assert outcome(pinned, "context") == ("warning", "pinned-context")
    assert pinned.conformance == ()
    bare = verify(token, offline=True, documents=ob2.documents)
    assert outcome(bare, "context") == ("warning", "unknown-context")
    assert [d.code for d in bare.conformance] == ["unknown-context"]
