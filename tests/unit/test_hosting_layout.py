"""The public URL layout: paths, store keys, headers, did:web, and what the public function answers."""

from __future__ import annotations

import pytest

from badgekiln.errors import InvalidField
from badgekiln.hosting import layout
from badgekiln.hosting.layout import Layout, classify
from badgekiln.hosting.media import CACHE_IMMUTABLE, CACHE_PUBLIC, CACHE_STATUS
from badgekiln.hosting.responses import public_response
from badgekiln.proofs.did import did_web_url
from badgekiln.store import LocalStore

# --- the public URL ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "base", "origin"),
    [
        ("https://badges.example.org", "https://badges.example.org", "https://badges.example.org"),
        ("https://Badges.Example.org/", "https://badges.example.org", "https://badges.example.org"),
        ("https://badges.example.org:443/", "https://badges.example.org", "https://badges.example.org"),
        ("https://example.org:8443/badges/", "https://example.org:8443/badges", "https://example.org:8443"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://[::1]:8080/x", "http://[::1]:8080/x", "http://[::1]:8080"),
    ],
)
def test_public_url_is_normalised(given: str, base: str, origin: str) -> None:
    where = Layout.parse(given)
    assert (where.base, where.origin) == (base, origin)


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "ftp://example.org",
        "https://example.org/?q=1",
        "https://example.org/#frag",
        "https://user:pw@example.org",
        "https://example.org:99999",
        "https://exa mple.org",
        "https://example.org/a b",
        "https://example.org/../x",
        "https://bad_host.example",
        "https:///nohost",
        "https://ex\u00e4mple.org",
        "https://example.org/" + "a" * 1100,
        "http://[::1",  # urlsplit's ValueError
        "https://[::1]x/",  # urlsplit drops the "x"
        "https://example.org:",
        "https://example.org:0443",
        "https://[fe80::1%25eth0]/",  # a zone id is local to one machine
    ],
)
def test_bad_public_urls_are_refused(bad: str) -> None:
    with pytest.raises(InvalidField) as caught:
        Layout.parse(bad)
    assert caught.value.details["field"] == "public_url"


@pytest.mark.parametrize(
    ("public_url", "did"),
    [
        ("https://badges.example.org", "did:web:badges.example.org:issuers:acme"),
        ("https://badges.example.org:8443", "did:web:badges.example.org%3A8443:issuers:acme"),
        ("https://example.org/badges/v1", "did:web:example.org:badges:v1:issuers:acme"),
    ],
)
def test_did_web_resolves_to_the_did_document_path(public_url: str, did: str) -> None:
    # GIVEN a public URL  WHEN the issuer's did:web is made  THEN DID-WEB resolves it to did.json
    where = Layout.parse(public_url)
    assert where.did_web("acme") == did
    assert did_web_url(did) == where.url(layout.did_document("acme"))


@pytest.mark.parametrize(
    "public_url", ["http://badges.example.org", "https://127.0.0.1", "https://[::1]:8443"]
)
def test_did_web_needs_https_on_a_domain(public_url: str) -> None:
    where = Layout.parse(public_url)
    assert not where.supports_did_web
    with pytest.raises(InvalidField) as caught:
        where.did_web("acme")
    assert caught.value.reason == "did-web"


# --- paths, keys, headers -------------------------------------------------------------------------


def _every_document() -> list[layout.Hosted]:
    return [
        layout.issuer_profile("acme"),
        layout.did_document("acme"),
        layout.key_document("acme", "ed25519-1", "json"),
        layout.key_document("acme", "ed25519-1", "jwk"),
        layout.key_document("acme", "rsa-1", "pem"),
        layout.ob2_issuer("acme"),
        layout.ob2_key("acme", "rsa-1"),
        layout.ob2_revocation_list("acme"),
        layout.status_list("acme", 0, "revocation"),
        layout.status_list("acme", 12, "suspension"),
        layout.achievement("acme", "teamwork"),
        layout.badge_class("acme", "teamwork"),
        layout.achievement_image("acme", "teamwork", "png"),
        layout.achievement_image("acme", "teamwork", "svg"),
        layout.credential("acme", "0b6f8d9e-1c1d-4c1a-9d63-2b3f2f0c2a11"),
        layout.credential("acme", "c-1", jwt=True),
        layout.assertion("acme", "c-2"),
        layout.signed_assertion("acme", "c-3"),
        layout.baked_image("acme", "c-1", "png", spec="ob3"),
        layout.baked_image("acme", "c-2", "svg", spec="ob2"),
        layout.jwks(),
    ]


def test_every_constructor_round_trips_through_classify() -> None:
    for hosted in _every_document():
        assert classify(hosted.path) == hosted
        assert classify("/" + hosted.path) == hosted
        assert hosted.key == "public/" + hosted.path


def test_caching_follows_what_can_change() -> None:
    # immutable: credentials and baked images; short: lists and hosted assertions; else 5 minutes
    by_kind = {h.kind: h.cache_control for h in _every_document()}
    assert by_kind["credential"] == by_kind["credential-jwt"] == by_kind["baked-image"] == CACHE_IMMUTABLE
    assert by_kind["signed-assertion"] == CACHE_IMMUTABLE
    assert by_kind["status-list"] == by_kind["ob2-revocation-list"] == by_kind["assertion"] == CACHE_STATUS
    assert by_kind["profile"] == by_kind["did"] == by_kind["jwks"] == by_kind["achievement"] == CACHE_PUBLIC


def test_content_types() -> None:
    types = {h.path.rsplit("/", 1)[-1]: h.content_type for h in _every_document()}
    assert types["profile.json"] == "application/ld+json"
    assert types["did.json"] == "application/did+json"
    assert types["ed25519-1.jwk"] == "application/jwk+json"
    assert types["rsa-1.pem"] == "application/x-pem-file"
    assert types["jwks.json"] == "application/jwk-set+json"
    assert types["c-1.jwt"] == "application/jwt"
    assert types["image.svg"] == "image/svg+xml"


@pytest.mark.parametrize(
    "path",
    [
        "",
        "/",
        "issuers/acme",
        "issuers/acme/profile.json/x",
        "issuers/Acme/profile.json",
        "issuers/-acme/profile.json",
        "issuers/acme/../private/keys/x.pem",
        "private/keys/acme.pem",
        "issuers/acme/status/01/revocation.json",
        "issuers/acme/status/0/refresh.json",
        "issuers/acme/credentials/x.exe",
        ".well-known/did.json",
        "issuers/acme/profile.json?x=1",
        "issuers/" + "a" * 600 + "/profile.json",
    ],
)
def test_paths_outside_the_layout_are_not_public(path: str) -> None:
    assert classify(path) is None


def test_constructors_refuse_unsafe_names() -> None:
    with pytest.raises(InvalidField):
        layout.issuer_profile("../x")
    with pytest.raises(InvalidField):
        layout.credential("acme", "A" * 70)
    with pytest.raises(ValueError, match="purpose"):
        layout.status_list("acme", 0, "refresh")  # type: ignore[arg-type]


def test_urls_and_paths_map_both_ways() -> None:
    where = Layout.parse("https://example.org/badges")
    profile = layout.issuer_profile("acme")
    assert where.url(profile) == "https://example.org/badges/issuers/acme/profile.json"
    assert where.url(layout.jwks()) == "https://example.org/.well-known/jwks.json"  # at the authority
    assert where.path_of(where.url(profile) + "#key-1") == profile.path
    assert where.path_of("https://example.org/.well-known/jwks.json") == ".well-known/jwks.json"
    assert where.path_of("https://example.org/issuers/acme/profile.json") is None  # outside the prefix
    assert where.path_of("https://example.org/badges/issuers/acme/secret.txt") is None


# --- answering GETs -------------------------------------------------------------------------------


@pytest.fixture
def store(tmp_path: object) -> LocalStore:
    return LocalStore(str(tmp_path))


def test_public_response_serves_with_the_layout_headers(store: LocalStore) -> None:
    hosted = layout.issuer_profile("acme")
    store.put(hosted.key, b'{"id":"x"}', content_type=hosted.content_type, cache_control=hosted.cache_control)
    answer = public_response(store, "/issuers/acme/profile.json")
    assert answer.status == 200
    assert answer.body == b'{"id":"x"}'
    assert answer.headers["Content-Type"] == "application/ld+json"
    assert answer.headers["Cache-Control"] == CACHE_PUBLIC
    # WHEN the client accepts JSON only  THEN JSON-LD goes out as application/json
    assert (
        public_response(store, hosted.path, accept="application/json").headers["Content-Type"]
        == "application/json"
    )
    assert public_response(store, hosted.path, accept="application/ld+json, application/json").headers[
        "Content-Type"
    ] == ("application/ld+json")
    # WHEN the client has the current version  THEN 304
    etag = answer.headers["ETag"]
    assert public_response(store, hosted.path, if_none_match=etag).status == 304
    assert public_response(store, hosted.path, if_none_match='"other"').status == 200


def test_public_response_hides_what_is_not_public(store: LocalStore) -> None:
    store.put("private/keys/acme.pem", b"secret", content_type="application/x-pem-file")
    for path in ("/private/keys/acme.pem", "/../private/keys/acme.pem", "/issuers/acme/profile.json"):
        answer = public_response(store, path)
        assert answer.status == 404
        assert b"secret" not in answer.body


def test_revoked_hosted_assertion_is_gone(store: LocalStore) -> None:
    hosted = layout.assertion("acme", "c-1")
    body = b'{"id":"x","revoked":true,"revocationReason":"fraud"}'
    store.put(hosted.key, body, content_type=hosted.content_type, metadata={"revoked": "true"})
    answer = public_response(store, hosted.path)
    assert (answer.status, answer.body) == (410, body)


@pytest.mark.parametrize(
    "module",
    ["badgekiln.issue", "badgekiln.hosting.responses", "badgekiln.web.documents", "badgekiln.issue.apikeys"],
)
def test_the_public_and_authorizer_paths_stay_light(module: str) -> None:
    # the public function and the authorizer import these on every cold start
    import json
    import subprocess
    import sys

    code = f"import {module}, sys, json; print(json.dumps(sorted(sys.modules)))"
    loaded = json.loads(
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    )
    heavy = {"pydantic", "pyld", "boto3", "botocore", "cairosvg", "requests", "cryptography", "jsonschema"}
    assert sorted({name.split(".")[0] for name in loaded} & heavy) == []
    # documents are answered without the page machinery (nor the verifier behind it)
    assert not {"badgekiln.web.pages", "badgekiln.verification"} & set(loaded)


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Acme Academy", "acme-academy"),
        ("  --Über Schule!! ", "ber-schule"),
        ("日本語", "badge"),
        ("x" * 62 + " yz", "x" * 62),
        ("A" * 100, "a" * 63),
    ],
)
def test_slugify_always_makes_a_slug(name: str, slug: str) -> None:
    made = layout.slugify(name, fallback="badge")
    assert made == slug
    assert layout.SLUG.fullmatch(made)
