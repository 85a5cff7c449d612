"""Store key rules, namespaces, header checks, the retry policy and open_store's URL forms."""

from __future__ import annotations

from pathlib import Path

import pytest

from badgekiln.errors import InvalidField, NotFound
from badgekiln.store import (
    DEFAULT_STORE,
    STORE_ENV,
    LocalStore,
    RetryPolicy,
    open_store,
    private_path,
    public_path,
    require_public,
)
from badgekiln.store.base import (
    MAX_KEY_DEPTH,
    MAX_KEY_LENGTH,
    MAX_OBJECT_BYTES,
    validate_headers,
    validate_key,
    validate_prefix,
    validate_write,
)


def too_long_key() -> str:
    return "public/" + "/".join(["a" * 100] * 6)


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("/public/a.json", "absolute"),
        ("public\\a.json", "backslash"),
        ("public/../private/k.pem", "dot-segment"),
        ("public/./a.json", "dot-segment"),
        ("public//a.json", "empty-segment"),
        ("public/a/", "empty-segment"),
        ("public", "namespace"),
        ("", "empty-segment"),
        ("other/a.json", "namespace"),
        ("publicity/a.json", "namespace"),
        ("public/a b.json", "characters"),
        ("public/a%2e%2e", "characters"),
        ("public/caf\u00e9.json", "characters"),
        ("public/a\x00b", "characters"),
        ("public/a\nb", "characters"),
        ("public/a~obj", "characters"),
        ("public/a:b", "characters"),
        ("public/" + "a" * 201, "too-long"),
        (too_long_key(), "too-long"),
        ("public/" + "a/" * MAX_KEY_DEPTH + "b", "too-deep"),
    ],
)
def test_hostile_keys_are_refused(key: str, reason: str) -> None:
    # GIVEN a key a hostile or careless caller built; WHEN validated; THEN InvalidField says why
    with pytest.raises(InvalidField) as caught:
        validate_key(key)
    assert caught.value.reason == reason
    assert caught.value.details["field"] == "key"


@pytest.mark.parametrize(
    "key",
    [
        "public/issuers/acme/profile.json",
        "public/.well-known/jwks.json",
        "private/keys/acme-1.pem",
        "private/idempotency/0f3a_b.json",
        "public/" + "a" * 200,
    ],
)
def test_good_keys_pass(key: str) -> None:
    assert validate_key(key) == key


def test_key_length_limit_is_exact() -> None:
    key = "public/" + "/".join(["a" * 100] * 4)
    key += "/" + "b" * (MAX_KEY_LENGTH - len(key) - 1)
    assert len(key) == MAX_KEY_LENGTH
    assert validate_key(key) == key
    with pytest.raises(InvalidField):
        validate_key(key + "b")


def test_key_must_be_a_string() -> None:
    with pytest.raises(TypeError):
        validate_key(b"public/a")  # type: ignore[arg-type]


@pytest.mark.parametrize("prefix", ["", "p", "public", "public/", "public/iss", "private/keys/", "priv"])
def test_prefixes_may_be_partial(prefix: str) -> None:
    assert validate_prefix(prefix) == prefix


@pytest.mark.parametrize("prefix", ["/", "x", "public//", "public/../", "../", "public/a b"])
def test_bad_prefixes_are_refused(prefix: str) -> None:
    with pytest.raises(InvalidField) as caught:
        validate_prefix(prefix)
    assert caught.value.details["field"] == "prefix"


def test_namespace_helpers_build_keys() -> None:
    assert public_path("issuers", "acme", "profile.json") == "public/issuers/acme/profile.json"
    assert private_path("keys", "acme-1.pem") == "private/keys/acme-1.pem"
    with pytest.raises(InvalidField):
        public_path("..", "private", "keys")
    with pytest.raises(InvalidField):
        private_path("keys", "a b")


@pytest.mark.parametrize(
    ("path", "key"),
    [
        ("/issuers/acme/profile.json", "public/issuers/acme/profile.json"),
        ("issuers/acme.json", "public/issuers/acme.json"),
        ("/.well-known/jwks.json", "public/.well-known/jwks.json"),
    ],
)
def test_require_public_maps_paths(path: str, key: str) -> None:
    assert require_public(path) == key


@pytest.mark.parametrize(
    "path",
    [
        "/../private/keys/a.pem",
        "/issuers/../../private/x",
        "//private/x",
        "/a\\..\\b",
        "/",
        "/a/",
        "/%2e%2e/x",
    ],
)
def test_require_public_refuses_everything_else_as_not_found(path: str) -> None:
    # GIVEN a request path aiming outside public/; THEN it is simply not found (a 404 leaks nothing)
    with pytest.raises(NotFound):
        require_public(path)


@pytest.mark.parametrize(
    ("content_type", "cache_control", "metadata", "field"),
    [
        ("application/json\r\nX-Evil: 1", None, None, "content_type"),
        ("json", None, None, "content_type"),
        ("", None, None, "content_type"),
        ("application/" + "x" * 80, None, None, "content_type"),
        ("application/json", "max-age=1\r\nX: y", None, "cache_control"),
        ("application/json", "", None, "cache_control"),
        ("application/json", "x" * 257, None, "cache_control"),
        ("application/json", None, {"Upper": "v"}, "metadata"),
        ("application/json", None, {"a": "\u00e9"}, "metadata"),
        ("application/json", None, {"a": "x" * 513}, "metadata"),
        ("application/json", None, {f"k{i}": "v" for i in range(17)}, "metadata"),
        ("application/json", None, {f"k{i}": "v" * 200 for i in range(11)}, "metadata"),
    ],
)
def test_bad_headers_are_refused(
    content_type: str, cache_control: str | None, metadata: dict[str, str] | None, field: str
) -> None:
    with pytest.raises(InvalidField) as caught:
        validate_headers(content_type, cache_control, metadata)
    assert caught.value.details["field"] == field


def test_good_headers_pass() -> None:
    meta = validate_headers("application/ld+json; charset=utf-8", "public, max-age=60", {"issuer": "acme"})
    assert dict(meta) == {"issuer": "acme"}


def test_write_checks_body_and_preconditions() -> None:
    with pytest.raises(TypeError):
        validate_write("public/a", "text", content_type="text/plain", cache_control=None, metadata=None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="exclude"):
        validate_write(
            "public/a",
            b"",
            content_type="text/plain",
            cache_control=None,
            metadata=None,
            if_match='"x"',
            if_none_match=True,
        )
    with pytest.raises(InvalidField) as caught:
        validate_write(
            "public/a", b"", content_type="text/plain", cache_control=None, metadata=None, if_match="\n"
        )
    assert caught.value.details["field"] == "if_match"


def test_object_size_cap() -> None:
    from badgekiln.errors import InputTooLarge

    # A 64 MiB bytes object is cheap to build once; one byte over must be refused before any I/O.
    body = bytes(MAX_OBJECT_BYTES + 1)
    with pytest.raises(InputTooLarge) as caught:
        validate_write("public/a", body, content_type="text/plain", cache_control=None, metadata=None)
    assert caught.value.details["limit"] == MAX_OBJECT_BYTES


def test_retry_policy_bounds_and_delays() -> None:
    policy = RetryPolicy(attempts=5, base_delay=0.01, max_delay=0.05)
    for attempt in range(40):
        assert 0 <= policy.delay(attempt) <= min(0.05, 0.01 * 2**attempt)
    with pytest.raises(ValueError):
        RetryPolicy(attempts=0)
    with pytest.raises(ValueError):
        RetryPolicy(base_delay=2, max_delay=1)
    with pytest.raises(ValueError):
        RetryPolicy(max_delay=61)


def test_retry_jitter_does_not_follow_the_random_module() -> None:
    # SnapStart restores every execution environment from one snapshot: jitter drawn from the
    # random module's generator (seeded before it) would be the same in all of them
    import random

    policy = RetryPolicy(attempts=5, base_delay=1.0, max_delay=1.0)
    runs = []
    for _ in range(3):
        random.seed(7)
        runs.append([policy.delay(0) for _ in range(4)])
    assert runs[0] != runs[1] != runs[2]


# --- open_store --------------------------------------------------------------------------------


def test_open_store_local_forms(tmp_path: Path) -> None:
    for url in (str(tmp_path), f"file://{tmp_path}", f"file://localhost{tmp_path}"):
        store = open_store(url)
        assert isinstance(store, LocalStore)
        assert store.root == tmp_path
    relative = open_store("./some/dir")
    assert isinstance(relative, LocalStore)
    assert relative.root == Path.cwd() / "some" / "dir"


def test_open_store_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(STORE_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    default = open_store()
    assert isinstance(default, LocalStore)
    assert default.root == tmp_path / DEFAULT_STORE
    assert not default.root.exists()  # opening alone creates nothing; the first write does
    monkeypatch.setenv(STORE_ENV, str(tmp_path / "env"))
    from_env = open_store(None)
    assert isinstance(from_env, LocalStore)
    assert from_env.root == tmp_path / "env"


def test_open_store_s3(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    from badgekiln.store.s3 import S3Store

    store = open_store("s3://badges-example/prod/v1")
    assert isinstance(store, S3Store)
    assert (store.bucket, store.prefix) == ("badges-example", "prod/v1")
    bare = open_store("s3://badges-example")
    assert isinstance(bare, S3Store)
    assert bare.prefix == ""


@pytest.mark.parametrize(
    "url",
    [
        "",
        "   ",
        "http://example.org/store",
        "gs://bucket/x",
        "s3:/bucket",
        "file://otherhost/x",
        "file:///x?y=1",
        "s3://UPPER/x",
        "s3://b/x",
        "s3://user@bucket/x",
        "s3://bucket:443/x",
        "s3://bucket/../x",
        "s3://bucket/a b",
        "s3://bucket/x?versionId=1",
        "s3://[::1/x",  # urlsplit's ValueError
        "file://[::1/x",
    ],
)
def test_open_store_refuses_bad_urls(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with pytest.raises(InvalidField) as caught:
        open_store(url)
    assert caught.value.details["field"] == "store"


def test_store_import_stays_light() -> None:
    import subprocess
    import sys

    code = "import sys, badgekiln.store; print('boto3' in sys.modules, 'botocore' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
