"""badgekiln.jsonld: bundled contexts, the strict loader, strict expansion and RDFC-1.0."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from badgekiln.errors import InputTooLarge, JsonLdError, MalformedPayload
from badgekiln.jsonld import canon, loader, strict

OB_VECTOR = "1edtech-openbadges-specification/ob_v3p0/impl/linked-data-proof-ob.vector.json"
OB_CANON = "1edtech-openbadges-specification/ob_v3p0/impl/test-vectors/obv3p0"
W3C = "w3c-vc-di-eddsa/TestVectors"
CONTEXTS = Path(loader.__file__).parent / "contexts"


@pytest.fixture(scope="module")
def ob(vectors: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((vectors / OB_VECTOR).read_text())
    return data


def _credential(ob: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(ob["unsignedCredential"])


# --- contexts and loader ------------------------------------------------------------------------


def test_bundle_matches_the_vector_map(vectors: Path) -> None:
    # GIVEN the authored URL→file map of the vectors, WHEN compared with the bundle,
    # THEN every URL is served with byte-identical content.
    url_map = json.loads((vectors / "context-url-map.json").read_text())
    url_map.pop("_comment")
    index = json.loads((CONTEXTS / "index.json").read_text())
    assert set(index) == set(url_map)
    for url, source in url_map.items():
        assert (CONTEXTS / index[url]).read_bytes() == (vectors / source).read_bytes(), url
    assert loader.bundled_context_urls() == frozenset(url_map)


def test_every_bundled_file_is_indexed() -> None:
    index = json.loads((CONTEXTS / "index.json").read_text())
    on_disk = {p.name for p in CONTEXTS.iterdir() if p.suffix in {".json", ".jsonld"}} - {"index.json"}
    assert on_disk == set(index.values())


def test_loader_parses_once_and_shares() -> None:
    url = "https://www.w3.org/ns/credentials/v2"
    assert loader.load_context(url) is loader.load_context(url)
    doc = loader.document_loader(url)
    assert doc["document"] is loader.load_context(url)
    assert doc["tag"] == "static"
    assert doc["documentUrl"] == url


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/context.json",
        "http://www.w3.org/ns/credentials/v2",  # http, not https
        "https://www.w3.org/ns/credentials/v2/",
        "",
        5,
    ],
)
def test_loader_refuses_unknown(url: Any) -> None:
    with pytest.raises(JsonLdError) as info:
        loader.load_context(url)
    assert info.value.reason == "unknown-context"


HEAVY = ("pyld", "requests", "boto3", "botocore", "cairosvg", "pydantic")


@pytest.mark.parametrize(
    "module",
    [
        "badgekiln.keys.formats",
        "badgekiln.jsonld.loader",
        "badgekiln.proofs.jws",
        "badgekiln.proofs.did",
        "badgekiln.proofs.dataintegrity",  # PyLD only once a proof is checked
    ],
)
def test_imports_stay_light(module: str) -> None:
    code = (
        f"import sys, {module}; import badgekiln.jsonld.loader as l;"
        "l.load_context('https://www.w3.org/ns/did/v1');"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_public_names() -> None:
    from badgekiln.keys import formats
    from badgekiln.proofs import dataintegrity, did, jws

    for module in (formats, loader, strict, canon, dataintegrity, jws, did):
        for name in module.__all__:
            assert hasattr(module, name), f"{module.__name__}.{name}"
    assert set(dataintegrity.__all__) == {
        "CREATE_CRYPTOSUITES",
        "SUITES",
        "UNSUPPORTED_SUITES",
        "VERIFY_SUITES",
        "Suite",
        "create_proof",
        "suite_name",
        "verify_proof",
    }


# --- canonicalization ---------------------------------------------------------------------------


def test_ob_spec_vector_canonical_forms(vectors: Path, ob: dict[str, Any]) -> None:
    document = _credential(ob)
    assert canon.canonicalize(document) == (vectors / OB_CANON / "document-canon.txt").read_text()
    config = {**ob["proofOptions"], "@context": document["@context"]}
    assert canon.canonicalize(config) == (vectors / OB_CANON / "proof-canon.txt").read_text()
    assert document == ob["unsignedCredential"]  # input untouched


@pytest.mark.parametrize(
    ("folder", "suffix"),
    [("eddsa-rdfc-2022", "DataInt"), ("Ed25519Signature2020", "EdSig")],
)
def test_w3c_canonical_forms(vectors: Path, folder: str, suffix: str) -> None:
    base = vectors / W3C / folder
    signed = json.loads((base / f"signed{suffix}.json").read_text())
    unsecured = {k: v for k, v in signed.items() if k != "proof"}
    config = json.loads((base / f"proofConfig{suffix}.json").read_text())
    assert canon.canonicalize(unsecured) == (base / f"canonDoc{suffix}.txt").read_text()
    assert canon.canonicalize(config) == (base / f"proofCanon{suffix}.txt").read_text()


def test_expansion_is_stable_across_documents(ob: dict[str, Any]) -> None:
    # The processed-context memo must not leak one document's state into another's output.
    first = canon.canonicalize(_credential(ob))
    other = _credential(ob)
    other["credentialSubject"]["achievement"]["name"] = "Other"
    assert canon.canonicalize(other) != first
    assert canon.canonicalize(_credential(ob)) == first


# --- strictness ---------------------------------------------------------------------------------


def _set(path: str, value: Any) -> Any:
    def mutate(doc: dict[str, Any]) -> None:
        *parents, last = path.split("/")
        target: Any = doc
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        if isinstance(target, list):
            target.insert(int(last), value)
        else:
            target[last] = value

    return mutate


SUBJECT = "credentialSubject"
ACHIEVEMENT = "credentialSubject/achievement"


@pytest.mark.parametrize(
    ("mutate", "reason", "path"),
    [
        (_set("fooUndefined", "x"), "undefined-term", "/fooUndefined"),
        (_set(f"{ACHIEVEMENT}/criteria/bar", 1), "undefined-term", f"/{ACHIEVEMENT}/criteria/bar"),
        (_set(f"{SUBJECT}/type", ["AchievementSubject", "Foo"]), "relative-iri", f"/{SUBJECT}/type/1"),
        (_set("type/2", "OtherCredential"), "relative-iri", "/type/2"),
        (_set("id", "credentials/3527"), "relative-iri", "/id"),
        (_set(f"{ACHIEVEMENT}/id", "_:b7"), "blank-node-id", f"/{ACHIEVEMENT}/id"),
        (
            lambda d: d.update({"https://www.w3.org/2018/credentials#validUntil": "2020-01-01"}),
            "iri-key",
            None,
        ),
        (_set("cred:validUntil", "2020-01-01T00:00:00Z"), "iri-key", "/cred:validUntil"),
        (_set("@graph", []), "keyword", "/@graph"),
        (_set("@included", []), "keyword", "/@included"),
        (_set(f"{SUBJECT}/@reverse", {}), "keyword", f"/{SUBJECT}/@reverse"),
        (
            _set("@context/2", {"cs": "https://www.w3.org/2018/credentials#credentialStatus"}),
            "inline-context",
            "/@context",
        ),
        (_set(f"{SUBJECT}/@context", {"foo": "https://example.com/foo"}), "inline-context", None),
        (_set("@context/2", "https://example.com/evil-context"), "unknown-context", None),
        (_set("@context", "https://www.w3.org/ns/credentials/v2"), "undefined-term", None),
    ],
)
def test_strict_refusals(ob: dict[str, Any], mutate: Any, reason: str, path: str | None) -> None:
    document = _credential(ob)
    document["@context"] = [*document["@context"]]
    mutate(document)
    with pytest.raises(JsonLdError) as info:
        canon.canonicalize(document)
    assert info.value.reason == reason
    if path is not None:
        assert info.value.details["path"] == path


def test_undefined_term_in_array_names_the_index(ob: dict[str, Any]) -> None:
    document = _credential(ob)
    document["credentialSubject"]["achievement"]["alignment"] = [
        {"type": ["Alignment"], "targetName": "n", "targetUrl": "https://example.com/t", "oops": 1}
    ]
    with pytest.raises(JsonLdError) as info:
        strict.expand(document)
    assert info.value.details["path"] == f"/{ACHIEVEMENT}/alignment/0/oops"


def test_nested_context_url_lists_are_accepted(ob: dict[str, Any]) -> None:
    # embedded endorsements carry their own @context list of bundled URLs
    document = _credential(ob)
    document["credentialSubject"]["achievement"]["@context"] = document["@context"]
    assert canon.canonicalize(document) == canon.canonicalize(_credential(ob))


def test_vocab_context_maps_undefined_terms(ob: dict[str, Any]) -> None:
    # With an @vocab context an undefined term is mapped (and signed), not dropped.
    document = _credential(ob)
    document["@context"] = [*document["@context"], "https://www.w3.org/ns/credentials/examples/v2"]
    document["fooUndefined"] = "x"
    assert "https://www.w3.org/ns/credentials/examples#fooUndefined" in canon.canonicalize(document)


@pytest.mark.parametrize(
    ("document", "error", "reason"),
    [
        ([], MalformedPayload, "json-type"),
        ({"id": "urn:x"}, JsonLdError, "no-context"),
        (
            {"@context": "https://www.w3.org/ns/credentials/v2", "name": float("inf")},
            MalformedPayload,
            "json-type",
        ),
        ({"@context": "https://www.w3.org/ns/credentials/v2", "name": b"x"}, MalformedPayload, "json-type"),
        ({"@context": "https://www.w3.org/ns/credentials/v2", 1: "x"}, MalformedPayload, "json-type"),
        ({"@context": "https://www.w3.org/ns/credentials/v2", "@id": 5}, JsonLdError, "invalid-jsonld"),
        (
            {"@context": "https://www.w3.org/ns/credentials/v2", "@type": {"a": 1}},
            JsonLdError,
            "invalid-jsonld",
        ),
    ],
)
def test_hostile_shapes(document: Any, error: type[Exception], reason: str) -> None:
    with pytest.raises(error) as info:
        strict.expand(document)
    assert info.value.reason == reason  # type: ignore[attr-defined]


def test_depth_cap() -> None:
    document: dict[str, Any] = {"@context": "https://www.w3.org/ns/credentials/v2"}
    node = document
    for _ in range(strict.MAX_DEPTH + 1):
        node["credentialSubject"] = {}
        node = node["credentialSubject"]
    with pytest.raises(InputTooLarge):
        strict.expand(document)


def test_value_cap() -> None:
    document = {
        "@context": "https://www.w3.org/ns/credentials/v2",
        "name": ["x"] * strict.MAX_VALUES,
    }
    with pytest.raises(InputTooLarge):
        strict.expand(document)


def test_poison_graph_is_refused_quickly() -> None:
    # GIVEN ten indistinguishable id-less nodes that all know each other (a "poison graph"; the
    # JSON form is refused earlier for its blank-node ids, so feed the expansion directly),
    # THEN canonicalization is refused instead of trying 9! permutations per node.
    knows = "https://www.w3.org/ns/credentials/examples#knows"
    expanded = [
        {"@id": f"_:n{i}", knows: [{"@id": f"_:n{j}"} for j in range(10) if j != i]} for i in range(10)
    ]
    with pytest.raises(InputTooLarge) as info:
        canon.canonicalize_expanded(expanded)
    assert info.value.reason == "canonicalization-budget"


def test_quad_cap() -> None:
    expanded = [
        {"@id": f"urn:x:{i}", "https://example.com/p": [{"@value": "v"}]} for i in range(canon.MAX_QUADS + 1)
    ]
    with pytest.raises(InputTooLarge):
        canon.canonicalize_expanded(expanded)


# --- caller-pinned contexts ---------------------------------------------------------------------

EXTRA = "https://contexts.example/extra.json"


def _extra_context(*terms: str) -> bytes:
    """A context defining ``terms`` (plain properties under https://contexts.example/#)."""
    return json.dumps({"@context": {term: f"https://contexts.example/#{term}" for term in terms}}).encode()


def _with_extra(ob: dict[str, Any], **members: Any) -> dict[str, Any]:
    document = _credential(ob)
    document["@context"] = [*document["@context"], EXTRA]
    document.update(members)
    return document


def test_a_pinned_context_defines_what_the_bundle_does_not(ob: dict[str, Any]) -> None:
    # GIVEN a credential using a context badgekiln does not bundle, and its body pinned
    document = _with_extra(ob, grade="A+")
    pinned = loader.PinnedContexts.of({EXTRA: _extra_context("grade")})
    # THEN it expands with it (and the pinned context was consulted) …
    expanded = strict.expand(document, pinned=pinned)
    assert "https://contexts.example/#grade" in json.dumps(expanded)
    assert pinned.served > 0
    # … and without the pin the URL is unknown: contexts are never fetched
    with pytest.raises(JsonLdError) as info:
        strict.expand(document)
    assert info.value.reason == "unknown-context"
    assert "pin a copy you trust" in info.value.message


def test_pins_do_not_leak_between_calls(ob: dict[str, Any]) -> None:
    # GIVEN the same URL pinned to two bodies in two calls: the second defines no 'grade'
    document = _with_extra(ob, grade="A+")
    strict.expand(document, pinned=loader.PinnedContexts.of({EXTRA: _extra_context("grade")}))
    # THEN each call sees its own body, never the other's processed copy
    with pytest.raises(JsonLdError) as info:
        strict.expand(document, pinned=loader.PinnedContexts.of({EXTRA: _extra_context("level")}))
    assert (info.value.reason, info.value.details["term"]) == ("undefined-term", "grade")
    with pytest.raises(JsonLdError) as unpinned:
        strict.expand(document)
    assert unpinned.value.reason == "unknown-context"


def test_a_bundled_url_is_never_answered_from_a_pin(ob: dict[str, Any]) -> None:
    # GIVEN a pin for the VC 2.0 context that would define an extra term
    url = "https://www.w3.org/ns/credentials/v2"
    pinned = loader.PinnedContexts.of({url: _extra_context("grade")})
    assert not pinned.has(url)
    # THEN the bundled context is used, and the term stays undefined
    with pytest.raises(JsonLdError) as info:
        strict.expand({**_credential(ob), "grade": "A+"}, pinned=pinned)
    assert info.value.reason == "undefined-term"


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2]",
        b'{"no": "context"}',
        b'{"@context": {}, "@context": {}}',  # duplicate member: strict JSON
        b" " * (loader.MAX_PINNED_CONTEXT_BYTES + 1),
    ],
    ids=["not-json", "not-an-object", "no-context", "duplicate-key", "too-large"],
)
def test_an_unusable_pinned_body_is_a_typed_refusal(ob: dict[str, Any], body: bytes) -> None:
    with pytest.raises(JsonLdError) as info:
        strict.expand(_with_extra(ob), pinned=loader.PinnedContexts.of({EXTRA: body}))
    assert (info.value.reason, info.value.details["url"]) == ("pinned-context", EXTRA)


def test_pinned_contexts_that_include_each_other_are_refused(ob: dict[str, Any]) -> None:
    other = "https://contexts.example/other.json"
    pins = {EXTRA: json.dumps({"@context": other}).encode(), other: json.dumps({"@context": EXTRA}).encode()}
    with pytest.raises(JsonLdError) as info:
        strict.expand(_with_extra(ob), pinned=loader.PinnedContexts.of(pins))
    assert info.value.reason == "invalid-jsonld"
