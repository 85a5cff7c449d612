"""POST /verify and GET /verify through the real handler with API Gateway v2 events.

No test touches the network: the handler's fetcher is replaced by an offline one whose pinned
documents answer the URLs a case needs.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

import pytest
from verify import verify_handler

from badgekiln.fetch import Fetcher, FetchPolicy, TransportRequest, TransportResponse
from badgekiln.fetch._requests import RequestsTransport
from badgekiln.hosting.site import SiteTransport
from badgekiln.http import MAX_BODY_BYTES
from badgekiln.issue import Issued, create_achievement, create_issuer, issue_credential, revoke
from badgekiln.store import open_store
from tests.integration.conftest import Context, body_bytes, load_event, problem
from tests.issue_support import small_png

FIXTURES = "digitalcredentials-vc-test-fixtures"
DI_DIDKEY = f"{FIXTURES}/verifiableCredentials/v1/dataIntegrityProof/didKey"
#: eddsa-rdfc-2022 by a did:key, with a subject id: valid offline
VALID = (
    f"{FIXTURES}/verifiableCredentials/v2/dataIntegrityProof/didKey/"
    + "legacyRegistry-noStatus-noExpiry-basicOBv3.json"
)
STATUS_LIST = (
    "https://digitalcredentials.github.io/vc-test-fixtures/statusLists/didkey-ed25519Signature2020/"
    "e5WK8CbZ1GjycuPombrj"
)
STATUS_LIST_FILE = f"{FIXTURES}/statusLists/didkey-ed25519Signature2020/e5WK8CbZ1GjycuPombrj"


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    """Pinned documents the handler may read; anything else is refused as offline."""
    documents: dict[str, bytes] = {}
    monkeypatch.setattr(
        verify_handler, "fetcher", lambda event=None: Fetcher(FetchPolicy(offline=True), documents=documents)
    )
    return documents


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, str]]]:
    """The metrics the handler counts, in order."""
    seen: list[tuple[str, dict[str, str]]] = []

    def count(self: object, name: str, value: int = 1, **dims: str) -> None:
        if name != "ColdStart":
            seen.append((name, dims))

    monkeypatch.setattr(verify_handler.obs.__class__, "count", count)
    return seen


def report(response: dict[str, Any]) -> dict[str, Any]:
    assert response["statusCode"] == 200, response
    assert response["headers"]["Content-Type"] == "application/json"
    document: dict[str, Any] = json.loads(body_bytes(response))
    return document


def json_event(body: bytes, *, query: dict[str, str] | None = None) -> dict[str, Any]:
    event = load_event("verify-json.json")
    event["body"] = body.decode()
    if query:
        event["queryStringParameters"] = query
        event["rawQueryString"] = "&".join(f"{k}={v}" for k, v in query.items())
    return event


def test_signed_credential_is_valid(
    context: Context, vectors: Path, offline: dict[str, bytes], counted: list[Any]
) -> None:
    # GIVEN an eddsa-rdfc-2022 credential signed by a did:key (no network needed)
    body = (vectors / VALID).read_bytes()
    # WHEN it is posted as JSON
    document = report(verify_handler.handler(json_event(body), context))
    # THEN the report is valid and names the proof
    assert (document["valid"], document["spec"], document["format"]) == (True, "ob3", "json")
    assert document["proof"] == "eddsa-rdfc-2022"
    assert {c["id"]: c["status"] for c in document["checks"]}["signature"] == "passed"
    assert counted == [("BadgesVerified", {})]


def test_issuer_identity_uses_the_configured_registries(
    context: Context, vectors: Path, offline: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    from badgekiln.verification import identity

    body = (vectors / VALID).read_bytes()
    # GIVEN no registry: a did:key issuer's name is self-declared
    monkeypatch.delenv(identity.REGISTRIES_ENV, raising=False)
    document = report(verify_handler.handler(json_event(body), context))
    assert document["issuer_identity"]["basis"] == "none"
    assert document["issuer_identity"]["message"].startswith("issuer identity not verified")
    # GIVEN the deployment configures DCC's sandbox registry (as a URL, read through the fetcher)
    monkeypatch.setattr(identity, "_cache", {})
    url = "https://digitalcredentials.github.io/sandbox-registry/registry.json"
    offline[url] = (vectors / "digitalcredentials-sandbox-registry/registry.json").read_bytes()
    monkeypatch.setenv(identity.REGISTRIES_ENV, json.dumps([{"name": "DCC Sandbox Registry", "url": url}]))
    document = report(verify_handler.handler(json_event(body), context))
    # THEN the report says which registry vouches for the issuer
    assert document["valid"] is True
    assert document["issuer_identity"]["basis"] == "registry"
    assert document["issuer_identity"]["registry"]["name"] == "DCC Sandbox Registry"
    assert document["issuer_identity"]["registry"]["entry"]["name"] == "Public Test Issuer"


def test_a_clr_answers_one_report_per_credential(context: Context, offline: dict[str, bytes]) -> None:
    from tests.verify_support import TestIssuer

    # GIVEN a CLR 2.0 record carrying one valid and one tampered achievement credential
    university = TestIssuer.did_web("university.example")
    good = university.sign_di(university.credential())
    bad = {**university.sign_di(university.credential()), "name": "Forged"}
    record = university.credential(
        type=["VerifiableCredential", "ClrCredential"],
        credentialSubject={
            "id": "did:example:ann",
            "type": ["ClrSubject"],
            "verifiableCredential": [good, bad],
        },
    )
    vc, ob = record["@context"]
    record["@context"] = [vc, "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json", ob]
    offline.update(university.documents)
    # WHEN it is posted
    document = report(
        verify_handler.handler(json_event(json.dumps(university.sign_di(record)).encode()), context)
    )
    # THEN the record is not valid, and each credential has its own report
    assert document["valid"] is False
    assert {c["id"]: c.get("code") for c in document["checks"]}["credentials"] == "credentials"
    assert [sub["valid"] for sub in document["credentials"]] == [True, False]


#: eddsa-rdfc-2022 by a did:key whose subject has neither id nor identifier (a conformance deviation)
NO_SUBJECT_ID = (
    f"{FIXTURES}/verifiableCredentials/v2/dataIntegrityProof/didKey/"
    + "legacyRegistry-noStatus-noExpiry-credName.json"
)


@pytest.mark.parametrize(("query", "status"), [(None, "warning"), ({"strict": "true"}, "failed")])
def test_strict_query_parameter_fails_conformance_deviations(
    context: Context, vectors: Path, offline: dict[str, bytes], query: dict[str, str] | None, status: str
) -> None:
    body = (vectors / NO_SUBJECT_ID).read_bytes()
    document = report(verify_handler.handler(json_event(body, query=query), context))
    valid = status == "warning"
    assert document["valid"] is valid
    assert {c["id"]: c["status"] for c in document["checks"]}["structure"] == status
    assert document["conformance"] == {
        "strict": not valid,
        "deviations": [
            {
                "id": "structure",
                "status": status,
                "message": "credentialSubject has neither an id nor an identifier (OB 3.0 requires one)",
                "code": "subject-id",
            }
        ],
    }


def test_each_failed_check_is_counted(
    context: Context, vectors: Path, offline: dict[str, bytes], counted: list[Any]
) -> None:
    # GIVEN an expired credential whose status list (pinned) is not its issuer's
    offline[STATUS_LIST] = (vectors / STATUS_LIST_FILE).read_bytes()
    body = (vectors / DI_DIDKEY / "oidf-revokedStatus-expired.json").read_bytes()
    # WHEN it is verified
    document = report(verify_handler.handler(json_event(body), context))
    # THEN the list was read and judged, and each failed check is counted by its id
    failed = [(c["id"], c.get("code")) for c in document["checks"] if c["status"] == "failed"]
    assert document["valid"] is False
    assert {("status", "issuer"), ("expiry", "expired")} <= set(failed)
    assert counted == [("BadgesVerified", {})] + [("VerificationFailures", {"check": i}) for i, _ in failed]


def test_recipient_query_parameter_is_checked(
    context: Context, vectors: Path, offline: dict[str, bytes]
) -> None:
    # GIVEN a credential whose subject has no identity to match against
    body = (vectors / VALID).read_bytes()
    # WHEN a recipient is asked for
    document = report(
        verify_handler.handler(json_event(body, query={"recipient": "ann@example.org"}), context)
    )
    # THEN the recipient check decides, and the badge is not valid for that person
    recipient = next(c for c in document["checks"] if c["id"] == "recipient")
    assert recipient["status"] == "failed"
    assert document["valid"] is False


def test_unsigned_credential_is_a_report_not_an_error(context: Context, offline: dict[str, bytes]) -> None:
    document = report(verify_handler.handler(load_event("verify-json.json"), context))
    assert document["valid"] is False
    assert document["credential"]["issuer"]["id"] == "https://example.org/issuers/1"
    assert any(c["id"] == "signature" and c["status"] == "failed" for c in document["checks"])


def test_multipart_baked_png_with_recipient_field(context: Context, offline: dict[str, bytes]) -> None:
    # GIVEN a baked PNG naming a hosted assertion that is not reachable (offline)
    document = report(verify_handler.handler(load_event("verify-multipart-png.json"), context))
    # THEN the image was read and the hosted check could not run: not valid, never a 5xx
    assert (document["spec"], document["format"], document["valid"]) == ("ob2", "png", False)
    assert document["checks"][0]["id"] == "hosted"
    assert document["checks"][0]["status"] == "skipped"


def test_hosted_assertion_by_url(context: Context, offline: dict[str, bytes]) -> None:
    # GIVEN the hosted assertion's URL answering 410-like "revoked" content
    url = "https://example.org/assertions/1.json"
    offline[url] = json.dumps(
        {
            "@context": "https://w3id.org/openbadges/v2",
            "id": url,
            "type": "Assertion",
            "revoked": True,
            "revocationReason": "issued in error",
        }
    ).encode()
    # WHEN GET /verify?url=… is asked
    document = report(verify_handler.handler(load_event("verify-url.json"), context))
    # THEN the report says revoked
    assert (document["format"], document["valid"]) == ("url", False)
    status = next(c for c in document["checks"] if c["id"] == "status")
    assert (status["status"], status["code"]) == ("failed", "revoked")


# --- malformed requests: every one a 4xx problem ------------------------------------------------


def _with(name: str, **changes: Any) -> dict[str, Any]:
    event = load_event(name)
    for key, value in changes.items():
        if key == "content_type":
            event["headers"]["content-type"] = value
        elif key == "query":
            event["queryStringParameters"] = value
        else:
            event[key] = value
    return event


_FORM = load_event("verify-multipart-png.json")["headers"]["content-type"]
_PNG_FORM = base64.b64decode(load_event("verify-multipart-png.json")["body"])

MALFORMED = [
    # (case, event, status, code, field-or-reason)
    ("wrong content type", load_event("verify-wrong-content-type.json"), 415, "unsupported-media-type", None),
    ("no content type", _with("verify-json.json", headers={}), 415, "unsupported-media-type", None),
    ("empty body", _with("verify-json.json", body=""), 400, "invalid-input", "empty"),
    ("bad JSON", _with("verify-json.json", body='{"@context": '), 422, "malformed-payload", None),
    ("JSON not a badge", _with("verify-json.json", body='{"a": 1}'), 422, "malformed-payload", "not-a-badge"),
    ("JSON array", _with("verify-json.json", body="[1, 2]"), 422, "malformed-payload", None),
    (
        "garbage JWT",
        _with("verify-json.json", content_type="application/jwt", body="abc.def"),
        422,
        "malformed-payload",
        None,
    ),
    (
        "truncated PNG",
        _with(
            "verify-json.json",
            content_type="image/png",
            body=base64.b64encode(b"\x89PNG\r\n\x1a\n\x00\x00").decode(),
            isBase64Encoded=True,
        ),
        422,
        "malformed-image",
        None,
    ),
    (
        "SVG with an entity bomb",
        _with(
            "verify-json.json",
            content_type="image/svg+xml",
            body='<!DOCTYPE svg [<!ENTITY a "aaaa">]><svg xmlns="http://www.w3.org/2000/svg">&a;</svg>',
        ),
        422,
        "malformed-image",
        None,
    ),
    (
        "PNG without a badge",
        _with(
            "verify-json.json",
            content_type="image/png",
            body=load_event("extract-no-badge.json")["body"],
            isBase64Encoded=True,
        ),
        422,
        "no-badge-data",
        None,
    ),
    (
        "bad base64",
        _with("verify-json.json", content_type="image/png", body="!!!", isBase64Encoded=True),
        400,
        "invalid-input",
        "base64",
    ),
    (
        "truncated multipart",
        _with(
            "verify-multipart-png.json",
            body=base64.b64encode(_PNG_FORM[: len(_PNG_FORM) // 2]).decode(),
        ),
        400,
        "invalid-input",
        "multipart",
    ),
    (
        "multipart without the badge",
        _with(
            "verify-multipart-png.json",
            body=base64.b64encode(
                _PNG_FORM.split(b"\r\n", 1)[0]
                + b'\r\nContent-Disposition: form-data; name="recipient"\r\n\r\nann@example.org\r\n'
                + _PNG_FORM.split(b"\r\n", 1)[0]
                + b"--\r\n"
            ).decode(),
        ),
        422,
        "invalid-field",
        "badge",
    ),
    (
        "unknown form field",
        _with(
            "verify-multipart-png.json",
            body=base64.b64encode(_PNG_FORM.replace(b'name="recipient"', b'name="other"')).decode(),
        ),
        422,
        "invalid-field",
        "other",
    ),
    (
        "recipient twice",
        _with("verify-multipart-png.json", query={"recipient": "bob@example.org"}),
        422,
        "invalid-field",
        "recipient",
    ),
    (
        "recipient with control characters",
        _with("verify-json.json", query={"recipient": "ann@example.org\r\nX: y"}),
        422,
        "invalid-field",
        "recipient",
    ),
    (
        "huge body",
        _with("verify-json.json", body="x" * (MAX_BODY_BYTES + 1)),
        413,
        "input-too-large",
        None,
    ),
    (
        "strict that is not a boolean",
        _with("verify-json.json", query={"strict": "maybe"}),
        422,
        "invalid-field",
        "strict",
    ),
    (
        "GET strict that is not a boolean",
        _with("verify-url.json", query={"url": "https://example.org/a.json", "strict": "2"}),
        422,
        "invalid-field",
        "strict",
    ),
    ("GET without url", _with("verify-url.json", query={}), 422, "invalid-field", "url"),
    (
        "GET with a file URL",
        _with("verify-url.json", query={"url": "file:///etc/passwd"}),
        422,
        "invalid-field",
        "url",
    ),
    (
        "GET with an over-long URL",
        _with("verify-url.json", query={"url": "https://example.org/" + "a" * 3000}),
        422,
        "invalid-field",
        "url",
    ),
]


@pytest.mark.parametrize(
    ("event", "status", "code", "detail"), [m[1:] for m in MALFORMED], ids=[m[0] for m in MALFORMED]
)
@pytest.mark.usefixtures("offline")
def test_malformed_requests_are_4xx_problems(
    context: Context,
    event: dict[str, Any],
    status: int,
    code: str,
    detail: str | None,
) -> None:
    document = problem(verify_handler.handler(event, context))
    assert (document["status"], document["code"]) == (status, code), document
    if detail is not None:
        assert detail in (document.get("field"), document.get("reason")), document


# --- this deployment's own documents: from the store, and nothing else local -------------------

LOCAL = "http://127.0.0.1:8080"


@pytest.fixture
def local_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Issued:
    """``badgekiln serve``'s set-up (a local store, a loopback public URL) with one credential;
    a fetch that reaches for the network fails the test."""
    store = open_store(str(tmp_path / "store"))
    monkeypatch.setenv("BADGEKILN_STORE", str(tmp_path / "store"))
    monkeypatch.setenv("BADGEKILN_PUBLIC_URL", LOCAL)
    # did:key: an http public URL cannot name an issuer's keys (the verifier wants https or a DID)
    issuer = {"name": "Acme", "url": "https://acme.example", "slug": "acme", "kind": "key"}
    create_issuer(store, LOCAL, issuer)
    teamwork = {"name": "Teamwork", "description": "Works with others.", "criteria": "Shipped."}
    create_achievement(store, "acme", teamwork, small_png())

    def no_network(self: object, request: TransportRequest) -> TransportResponse:
        raise AssertionError(f"the network was asked for {request.url}")

    monkeypatch.setattr(RequestsTransport, "handle", no_network)
    return issue_credential(store, "acme", {"achievement": "teamwork", "recipient": "ada@example.org"})


def verify_url(context: Context, url: str) -> dict[str, Any]:
    result: dict[str, Any] = verify_handler.handler(_with("verify-url.json", query={"url": url}), context)
    return result


def test_own_badges_are_verified_from_the_store(context: Context, local_site: Issued) -> None:
    # WHEN the local server verifies a badge it issued, by URL  THEN the credential and its status
    # list are read from the store, neither over loopback
    document = report(verify_url(context, local_site.public_url))
    assert (document["format"], document["valid"]) == ("url", True), document["checks"]
    status = next(c for c in document["checks"] if c["id"] == "status")
    assert status["status"] == "passed"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.2:8080/issuers/acme/profile.json",  # another loopback address, same port
        "http://0x7f000002:8080/issuers/acme/profile.json",
        "http://[::1]:8080/issuers/acme/profile.json",
        "http://localhost:8080/issuers/acme/profile.json",
        "http://127.0.0.1:443/issuers/acme/profile.json",  # the same host on another port
        "http://127.0.0.1:8081/issuers/acme/profile.json",
        "https://127.0.0.1:8080/issuers/acme/profile.json",  # another scheme
        "http://10.0.0.1:8080/issuers/acme/profile.json",
    ],
)
def test_only_the_public_url_itself_is_exempt(context: Context, local_site: Issued, url: str) -> None:
    document = report(verify_url(context, url))
    assert [(c["id"], c["status"], c["code"]) for c in document["checks"]] == [
        ("hosted", "failed", "address")
    ]


# --- a warm function: its own documents from memory while HTTP says they are fresh -------------

SITE = "https://badges.example"


@pytest.fixture
def did_web_site(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Issued, list[tuple[str, bool, int]]]:
    """A deployment under an https public URL with a did:web issuer and one credential, and what
    reached the store's mount at the fetcher's transport seam: ``(url, conditional, status)``; a
    request to the network fails the test."""
    store = open_store(str(tmp_path / "store"))
    monkeypatch.setenv("BADGEKILN_STORE", str(tmp_path / "store"))
    monkeypatch.setenv("BADGEKILN_PUBLIC_URL", SITE)
    create_issuer(store, SITE, {"name": "Acme", "url": "https://acme.example", "slug": "acme"})
    teamwork = {"name": "Teamwork", "description": "Works with others.", "criteria": "Shipped."}
    create_achievement(store, "acme", teamwork, small_png())
    seen: list[tuple[str, bool, int]] = []
    site_handle = SiteTransport.handle

    def site(self: SiteTransport, request: TransportRequest) -> TransportResponse:
        answer = site_handle(self, request)
        seen.append((request.url, "if-none-match" in request.headers, answer.status))
        return answer

    def no_network(self: object, request: TransportRequest) -> TransportResponse:
        raise AssertionError(f"the network was asked for {request.url}")

    monkeypatch.setattr(SiteTransport, "handle", site)
    monkeypatch.setattr(RequestsTransport, "handle", no_network)
    issued = issue_credential(store, "acme", {"achievement": "teamwork", "recipient": "ada@example.org"})
    return issued, seen


def test_verifying_an_own_badge_again_makes_no_network_request_and_sees_a_revocation_at_once(
    context: Context, did_web_site: tuple[Issued, list[tuple[str, bool, int]]]
) -> None:
    issued, seen = did_web_site  # any request to the network fails the test
    event = json_event(json.dumps(issued.credential).encode())
    first = report(verify_handler.handler(event, context))
    assert first["valid"], first["checks"]
    assert first["credential"]["issuer"]["id"].startswith("did:web:badges.example")
    # the DID document and the status list, read from the store through the seam
    urls = [url for url, _, _ in seen]
    assert any(url.endswith("/acme/did.json") for url in urls)
    assert any(url.endswith("/status/0/revocation.json") for url in urls)
    assert all(status == (304 if conditional else 200) for _, conditional, status in seen)
    seen.clear()
    second = report(verify_handler.handler(event, context))
    assert second == first
    # the second time only revalidated from the store: each document asked with its ETag, 304s
    assert {url for url, _, _ in seen} == set(urls)
    assert all(conditional and status == 304 for _, conditional, status in seen)
    # and a revocation shows at once, not a max-age later: the store is the truth
    revoke(open_store(os.environ["BADGEKILN_STORE"]), "acme", issued.name)
    third = report(verify_handler.handler(event, context))
    assert not third["valid"]
    assert {c["id"]: c.get("code") for c in third["checks"] if c["status"] == "failed"} == {
        "status": "revoked"
    }


@pytest.mark.parametrize(
    "served",
    [b"eyJub3QganNvbg.e30.AA", b"eyJhbGciOiJFUzI1NiJ9.a.b.c.d", b"eyJ\xff\xfe.x.y", b"eyJ" + b"A" * 300_000],
)
def test_a_malformed_signed_endorsement_is_reported_not_a_500(
    context: Context, offline: dict[str, bytes], served: bytes
) -> None:
    from tests.verify_support import Ob2Issuer

    # GIVEN a signed OB 2.0 badge whose endorsement URL serves a broken JWS
    endorsement = "https://endorser.example/endorsements/1.jws"
    issuer = Ob2Issuer.create()
    token = issuer.sign(issuer.assertion(endorsement=[endorsement]))
    offline.update({**issuer.documents, endorsement: served})
    # WHEN the badge is posted
    event = _with("verify-json.json", content_type="application/jwt", body=token)
    document = report(verify_handler.handler(event, context))
    # THEN the badge is valid and the endorsement's sub-report says what is wrong with it
    assert document["valid"] is True
    (sub,) = document["endorsements"]
    assert sub["valid"] is False
    assert {c["id"]: c["status"] for c in sub["checks"]}["signature"] == "failed"
