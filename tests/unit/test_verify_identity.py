"""Issuer identity: what the issuer's identity rests on (a registry, a domain, a pinned key, nothing)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import badgekiln
from badgekiln.errors import BadgeKilnError, InputTooLarge, InvalidField, MalformedPayload
from badgekiln.verification import Report, VerifyOptions
from badgekiln.verification import identity as identity_module
from badgekiln.verification.identity import (
    MAX_REGISTRY_BYTES,
    REGISTRIES_ENV,
    IssuerRegistry,
    configured_registries,
    identify,
    load_registry,
    with_identity,
)
from badgekiln.verification.report import Check, IssuerIdentity, RegistryEntry, Summary
from tests.verify_support import Ob1Issuer, Ob2Issuer, TestIssuer, as_bytes, verify_vector

VECTORS = Path(__file__).resolve().parent.parent / "vectors"
SANDBOX = VECTORS / "digitalcredentials-sandbox-registry" / "registry.json"
DCC_VC = "digitalcredentials-vc-test-fixtures/verifiableCredentials"
PUBLIC_TEST_ISSUER = "did:key:z6MknNQD1WHLGGraFi6zcbGevuAgkVfdyCdtZnQTGWVVvR5Q"


@pytest.fixture(scope="module")
def sandbox() -> IssuerRegistry:
    return load_registry(str(SANDBOX), name="DCC Sandbox Registry")


def _signed(issuer: TestIssuer, **options: Any) -> Report:
    token = issuer.sign_jwt(issuer.credential())
    return badgekiln.verify(token, options=VerifyOptions(documents=issuer.documents, offline=True, **options))


# --- the bases ------------------------------------------------------------------------------------


def test_did_web_rests_on_its_domain() -> None:
    report = _signed(TestIssuer.did_web("acme.example"))
    assert report.valid
    found = report.issuer_identity
    assert found is not None
    assert (found.basis, found.verified, found.domain) == ("domain", True, "acme.example")
    assert found.message == "issuer identity confirmed for acme.example"
    assert report.to_dict()["issuer_identity"] == {
        "verified": True,
        "basis": "domain",
        "issuer": "did:web:acme.example",
        "domain": "acme.example",
        "registry": None,
        "message": "issuer identity confirmed for acme.example",
    }


def test_https_issuer_rests_on_its_domain() -> None:
    issuer = TestIssuer.https_jwks("badges.acme.example")
    token = issuer.sign_jwt(issuer.credential(), header={"typ": "JWT", "kid": "key-1"})
    report = badgekiln.verify(token, documents=issuer.documents, offline=True)
    assert report.valid
    assert report.issuer_identity == IssuerIdentity(
        "domain",
        "https://badges.acme.example/issuers/1",
        domain="badges.acme.example",
        message="issuer identity confirmed for badges.acme.example",
    )


def test_ob2_signed_rests_on_the_profile_domain() -> None:
    issuer = Ob2Issuer.create()
    report = badgekiln.verify(issuer.sign(issuer.assertion()), documents=issuer.documents, offline=True)
    assert report.valid
    assert report.issuer_identity is not None
    assert (report.issuer_identity.basis, report.issuer_identity.domain) == ("domain", "badges.example")


def test_did_key_is_self_declared() -> None:
    """A did:key badge may call its issuer anything: nothing ties the name to an organisation."""
    report = verify_vector(
        VECTORS, f"{DCC_VC}/v1/bothSignatureTypes/didKey/noRegistry-noStatus-noExpiry.json"
    )
    assert report.valid
    found = report.issuer_identity
    assert found is not None
    assert not found.verified
    assert found.basis == "none"
    assert found.message.startswith("issuer identity not verified: the issuer's name is self-declared")
    assert "did:key" in found.message


def test_ob1_rests_on_the_issuer_domain_but_plain_http_is_not_one() -> None:
    """1.x issuers are often http: nothing authenticated that host."""
    issuer = Ob1Issuer.create("1.0")
    url = "https://old.example/assertions/1.json"
    _, documents = issuer.hosted(url)
    report = badgekiln.verify(url, documents=documents, offline=True)
    assert report.valid
    assert report.issuer_identity is not None
    assert (report.issuer_identity.basis, report.issuer_identity.domain) == ("domain", "old.example")
    checks = (Check("hosted", "passed", "ok"), Check("issuer", "passed", "ok"))
    found = identify(Report("ob1", "url", checks, Summary(issuer={"id": "http://old.example/issuer.json"})))
    assert found.basis == "none"
    assert "plain http" in found.message


def test_a_pinned_key_is_the_basis() -> None:
    from badgekiln.keys.formats import public_key_to_jwk

    issuer = TestIssuer.did_web("acme.example")
    report = _signed(issuer, key=json.dumps(public_key_to_jwk(issuer.signer.public_key())))
    assert report.issuer_identity is not None
    assert (report.issuer_identity.basis, report.issuer_identity.domain) == ("key", "acme.example")


def test_nothing_when_the_issuer_is_not_tied() -> None:
    issuer = TestIssuer.did_web("acme.example")
    report = badgekiln.verify(issuer.sign_jwt(issuer.credential()), documents={}, offline=True)
    assert not report.valid
    found = report.issuer_identity
    assert found is not None
    assert found.basis == "none"
    assert "not tied to its issuer" in found.message


def test_identify_without_an_issuer_id() -> None:
    checks = (Check("signature", "passed", "ok"), Check("issuer", "passed", "ok"))
    found = identify(Report("ob3", "json", checks, Summary()))
    assert (found.basis, found.issuer) == ("none", None)
    assert "names no issuer id" in found.message


def test_with_identity_keeps_every_other_member_of_the_report() -> None:
    checks = (Check("signature", "passed", "ok"), Check("issuer", "passed", "ok"))
    sub = Report("ob2", "url", (Check("hosted", "failed", "gone"),))
    report = Report(
        "ob2",
        "png",
        checks,
        Summary(id="urn:uuid:1", issuer={"id": "https://acme.example/issuer", "name": "Acme"}),
        "jws RS256",
        endorsements=(sub,),
        conformance=(Check("structure", "warning", "odd", "assertion-id"),),
        strict=False,
        credentials=(sub,),
    )
    found = with_identity(report)
    assert found.issuer_identity is not None
    assert found.issuer_identity.basis == "domain"
    for name in Report.__dataclass_fields__:
        if name not in ("issuer_identity", "endorsements", "credentials"):
            assert getattr(found, name) == getattr(report, name), name
    assert [sub.checks for sub in found.endorsements] == [sub.checks]
    assert [sub.checks for sub in found.credentials] == [sub.checks]


@pytest.mark.parametrize(
    ("issuer_id", "domain"),
    [
        ("did:web:acme.example%3A8443:issuers:1", "acme.example:8443"),
        ("did:web:ACME.example", "acme.example"),
        ("https://user@acme.example/issuer", "acme.example"),
        ("did:jwk:eyJrdHkiOiJPS1AifQ", None),
        ("urn:uuid:1", None),
        ("https://[::1", None),
    ],
)
def test_domains(issuer_id: str, domain: str | None) -> None:
    checks = (Check("signature", "passed", "ok"), Check("issuer", "passed", "ok"))
    found = identify(Report("ob3", "json", checks, Summary(issuer={"id": issuer_id})))
    assert found.domain == domain
    assert found.basis == ("domain" if domain else "none")


# --- registries -----------------------------------------------------------------------------------


def test_the_dcc_sandbox_registry(sandbox: IssuerRegistry) -> None:
    assert len(sandbox.entries) == 39
    entry = sandbox.entry(PUBLIC_TEST_ISSUER + "#key-1")
    assert entry == RegistryEntry("Public Test Issuer", "https://dcconsortium.org", "Everywhere")


@pytest.mark.parametrize(
    ("rel", "basis"),
    [
        # DCC's fixtures name the registry their issuer is in: "legacy" ones are in DCC's
        # (legacy-format) registries, "noRegistry" in none, "oidf" only in an OpenID Federation one
        ("v1/bothSignatureTypes/didKey/legacy-noStatus-noExpiry-basicOBv3.json", "registry"),
        ("v1/bothSignatureTypes/didKey/fourRegistry-noStatus-noExpiry.json", "registry"),
        ("v1/bothSignatureTypes/didKey/mixedRegistry-validStatus-noExpiry.json", "registry"),
        ("v1/bothSignatureTypes/didWeb/legacy-noStatus-noExpiry.json", "registry"),
        ("v1/bothSignatureTypes/didKey/noRegistry-noStatus-noExpiry.json", "none"),
        ("v1/bothSignatureTypes/didKey/oidf-noStatus-noExpiry.json", "none"),
        ("v1/bothSignatureTypes/didWeb/oidf-noStatus-noExpiry.json", "domain"),
    ],
)
def test_dcc_fixtures_agree_with_their_registry_names(sandbox: IssuerRegistry, rel: str, basis: str) -> None:
    report = verify_vector(VECTORS, f"{DCC_VC}/{rel}", issuer_registries=(sandbox,))
    assert report.issuer_identity is not None
    assert report.issuer_identity.basis == basis


def test_a_registry_entry_is_reported(sandbox: IssuerRegistry) -> None:
    rel = f"{DCC_VC}/v1/bothSignatureTypes/didKey/legacy-noStatus-noExpiry-basicOBv3.json"
    other = IssuerRegistry("Other", {PUBLIC_TEST_ISSUER: RegistryEntry("Someone else")})
    report = verify_vector(VECTORS, rel, issuer_registries=(sandbox, other))
    assert report.to_dict()["issuer_identity"] == {
        "verified": True,
        "basis": "registry",
        "issuer": PUBLIC_TEST_ISSUER,
        "domain": None,
        "registry": {
            "name": "DCC Sandbox Registry",  # the first registry that lists it
            "entry": {
                "name": "Public Test Issuer",
                "url": "https://dcconsortium.org",
                "location": "Everywhere",
            },
        },
        "message": "issuer identity confirmed by the registry DCC Sandbox Registry: Public Test Issuer",
    }


def test_a_registry_never_vouches_for_an_untied_issuer() -> None:
    issuer = TestIssuer.did_web("acme.example")
    registry = IssuerRegistry("Mine", {issuer.id: RegistryEntry("Acme")})
    report = badgekiln.verify(
        issuer.sign_jwt(issuer.credential()),
        options=VerifyOptions(documents={}, offline=True, issuer_registries=(registry,)),
    )
    assert report.issuer_identity is not None
    assert report.issuer_identity.basis == "none"


def test_endorsers_get_their_own_identity() -> None:
    badge_issuer, endorser = TestIssuer.did_web("acme.example"), TestIssuer.did_web("endorser.example")
    endorsement = endorser.sign_di(endorser.endorsement("https://issuer.example/achievements/teamwork"))
    document = badge_issuer.sign_di(badge_issuer.credential(endorsement=[endorsement]))
    documents = {**badge_issuer.documents, **endorser.documents}
    report = badgekiln.verify(as_bytes(document), documents=documents, offline=True)
    assert report.issuer_identity is not None
    assert report.issuer_identity.domain == "acme.example"
    assert [sub.issuer_identity.domain for sub in report.endorsements if sub.issuer_identity] == [
        "endorser.example"
    ]


@pytest.mark.parametrize(
    ("body", "error", "reason"),
    [
        (b"[]", MalformedPayload, "issuer-registry"),
        (b'{"meta": {}}', MalformedPayload, "issuer-registry"),
        (b'{"registry": {"did:key:z": "Acme"}}', MalformedPayload, "issuer-registry"),
        (b'{"registry": {"did:key:z": {"name": 5}}}', MalformedPayload, "issuer-registry"),
        (
            b'{"registry": {"did:key:z": {"name": "' + b"x" * 2000 + b'"}}}',
            MalformedPayload,
            "issuer-registry",
        ),
        (b'{"registry": {"a": {}} "b"', MalformedPayload, None),  # DCC's sandbox once missed a comma
        (b" " * (MAX_REGISTRY_BYTES + 1), InputTooLarge, None),
    ],
)
def test_malformed_registries(body: bytes, error: type[BadgeKilnError], reason: str | None) -> None:
    with pytest.raises(error) as raised:
        IssuerRegistry.parse(body, name="bad")
    if reason is not None:
        assert raised.value.reason == reason


def test_registry_entries_are_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(identity_module, "MAX_REGISTRY_ENTRIES", 2)
    body = as_bytes({"registry": {f"did:key:{n}": {} for n in range(3)}})
    with pytest.raises(InputTooLarge):
        IssuerRegistry.parse(body, name="big")


def test_load_registry_from_a_url_and_from_a_missing_file() -> None:
    from badgekiln.fetch import Fetcher, FetchPolicy

    url = "https://registry.example/registry.json"
    fetcher = Fetcher(FetchPolicy(offline=True), documents={url: SANDBOX.read_bytes()})
    registry = load_registry(url, fetcher=fetcher)
    assert (registry.name, registry.source, len(registry.entries)) == (url, url, 39)
    with pytest.raises(InvalidField) as raised:
        load_registry("/nonexistent/registry.json")
    assert raised.value.details["field"] == "issuer-registry"


# --- the deployment's registries -------------------------------------------------------------------


def test_configured_registries(monkeypatch: pytest.MonkeyPatch) -> None:
    from badgekiln.fetch import Fetcher, FetchPolicy

    monkeypatch.setattr(identity_module, "_cache", {})
    url = "https://registry.example/registry.json"
    config = [{"name": "Sandbox", "file": str(SANDBOX)}, {"name": "Gone", "url": url}]
    monkeypatch.setenv(REGISTRIES_ENV, json.dumps(config))
    fetcher = Fetcher(FetchPolicy(offline=True))
    found = configured_registries(fetcher)  # the unreachable one is left out
    assert [registry.name for registry in found] == ["Sandbox"]
    assert configured_registries(fetcher)[0] is found[0]  # kept, not read again
    rel = f"{DCC_VC}/v1/bothSignatureTypes/didKey/legacy-noStatus-noExpiry-basicOBv3.json"
    report = verify_vector(VECTORS, rel)  # verify() consults them by default
    assert report.issuer_identity is not None
    assert report.issuer_identity.registry == "Sandbox"
    assert verify_vector(VECTORS, rel, issuer_registries=()).issuer_identity.basis == "none"  # type: ignore[union-attr]


@pytest.mark.parametrize("raw", ["{", "{}", '[{"name": "x"}]', '[{"url": "https://r.example/"}]', "[5]"])
def test_a_malformed_configuration_is_a_deployment_error(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    from badgekiln.fetch import Fetcher

    monkeypatch.setenv(REGISTRIES_ENV, raw)
    with pytest.raises(RuntimeError, match=REGISTRIES_ENV):
        configured_registries(Fetcher())


def test_options_check_the_registries() -> None:
    with pytest.raises(TypeError):
        VerifyOptions(issuer_registries=({"registry": {}},))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Report("ob3", "json", (), issuer_identity={"basis": "none"})  # type: ignore[arg-type]
