"""The memoised JSON-LD term check agrees with strict expansion, document by document."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from badgekiln.errors import BadgeKilnError, JsonLdError
from badgekiln.jsonld.strict import expand
from badgekiln.verification import terms
from badgekiln.verification.terms import check_terms
from tests.conftest import VECTORS, vector_files
from tests.verify_support import credential, replaced


def _documents() -> Iterator[tuple[str, dict[str, Any]]]:
    for path in vector_files():
        if "contexts" in path.parts or "schemas" in path.parts:
            continue
        try:
            document = json.loads(path.read_text("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            continue
        if isinstance(document, dict) and "@context" in document and "proof" in document:
            yield path.relative_to(VECTORS).as_posix(), document


DOCUMENTS = dict(_documents())


def _verdict(fn: Any, document: dict[str, Any]) -> str | None:
    try:
        fn(document)
    except BadgeKilnError as exc:
        return f"{type(exc).__name__}:{exc.reason}"
    return None


@pytest.fixture(autouse=True)
def _empty_memo() -> None:
    terms._memo.clear()


def test_memo_agrees_with_expansion_on_every_vector() -> None:
    # twice: the second pass answers passes from the memo
    for _ in range(2):
        for rel, document in DOCUMENTS.items():
            unsecured = {k: v for k, v in document.items() if k != "proof"}
            assert _verdict(check_terms, document) == _verdict(expand, unsecured), rel
    assert 0 < len(terms._memo) <= terms.MEMO_SIZE


BASE = credential("did:web:issuer.example")


@pytest.mark.parametrize(
    ("path", "value", "reason"),
    [
        (("fooUndefined",), "x", "undefined-term"),
        (("credentialSubject", "grade"), "A", "undefined-term"),
        (("credentialSubject", "type"), ["AchievementSubject", "Bogus"], "relative-iri"),
        (("id",), "not-an-iri", "relative-iri"),
        (("id",), "_:b0", "blank-node-id"),
        (("issuer", "id"), "relative/issuer", "relative-iri"),
        (("credentialSubject", "achievement", "achievementType"), "NoSuchType", None),
        (("credentialSubject", "achievement", "achievementType"), "Badge", None),
        (("https://www.w3.org/2018/credentials#credentialStatus",), {"id": "urn:x"}, "iri-key"),
        (("@context",), ["https://www.w3.org/ns/credentials/v2", {"@vocab": "urn:x#"}], "inline-context"),
    ],
)
def test_a_memoised_shape_never_hides_a_refusal(
    path: tuple[Any, ...], value: Any, reason: str | None
) -> None:
    # GIVEN a valid credential whose shape is already memoised
    check_terms(BASE)
    altered = replaced(BASE, path, value)
    # THEN the altered one gets exactly the strict expansion's verdict
    expected = _verdict(expand, altered)
    assert _verdict(check_terms, altered) == expected
    if reason is not None:
        assert expected == f"JsonLdError:{reason}"


def test_same_shape_with_other_values_hits_the_memo(monkeypatch: pytest.MonkeyPatch) -> None:
    check_terms(BASE)
    other = replaced(replaced(BASE, ("id",), "urn:uuid:other"), ("name",), "Another badge, another name")

    def fail(document: Any) -> None:
        raise AssertionError("expanded again")

    monkeypatch.setattr("badgekiln.jsonld.strict.expand", fail)
    check_terms(other)


def test_the_memo_keeps_digests_not_shapes() -> None:
    # a string with a colon that is no IRI stays verbatim in the shape: a large credential's
    # shape is as large as the credential, and the memo must not hold 1024 of those
    check_terms(replaced(BASE, ("name",), "Note: " + "x" * 100_000))
    assert [len(key) for key in terms._memo] == [32]


def test_refusals_are_not_memoised() -> None:
    bad = replaced(BASE, ("fooUndefined",), 1)
    for _ in range(2):
        with pytest.raises(JsonLdError):
            check_terms(bad)
    assert len(terms._memo) == 0


def test_the_bundled_contexts_let_the_memo_work() -> None:
    assert terms.memo_is_sound()


VOCAB = ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("ExampleType", "Example Type"),  # whitespace: vocab-expanded to a non-absolute IRI
        ("ExampleType", "1EdTechRevocationList:x"),  # a term as prefix
        ("ExampleType", "x://y"),
        ("ExampleType", "@json"),
        ("ExampleType", ""),
        ("2024-01-01T00:00:00Z", "2024-01-01T00:00:00Z x"),
    ],
)
def test_vocab_positions_keep_what_matters(first: str, second: str) -> None:
    # GIVEN a context with @vocab, where undefined types expand into the vocabulary
    base = {"@context": VOCAB, "type": ["VerifiableCredential", first], "issuer": "did:example:1"}
    check_terms(base)
    altered = {**base, "type": ["VerifiableCredential", second]}
    # THEN the memo never answers for a type that expands differently
    assert _verdict(check_terms, altered) == _verdict(expand, altered)


def test_vectors_were_found(vectors: Path) -> None:
    assert len(DOCUMENTS) == 148  # every top-level credential with a proof in the vectors


def test_a_pass_that_needed_a_pinned_context_is_not_memoised() -> None:
    from badgekiln.jsonld.loader import PinnedContexts

    # GIVEN a credential whose extra context only the caller pins, and which passes with it
    url = "https://contexts.example/extra.json"
    document = {**BASE, "@context": [*BASE["@context"], url], "grade": "A+"}
    body = json.dumps({"@context": {"grade": "https://contexts.example/#grade"}}).encode()
    pinned = PinnedContexts.of({url: body})
    for _ in range(2):  # even the second time, when the processed context is memoised
        check_terms(document, pinned=pinned)
    assert len(terms._memo) == 0
    # THEN without the pin the same document is refused: nothing remembered the pass
    with pytest.raises(JsonLdError) as info:
        check_terms(document)
    assert info.value.reason == "unknown-context"


@pytest.mark.parametrize("value", [("a", "b"), object(), {1: "x"}, b"bytes"])
def test_a_document_that_is_not_plain_json_has_no_shape(value: Any) -> None:
    # its verdict is never answered from the memo: the expansion judges it every time
    assert terms._digest(replaced(BASE, ("credentialSubject", "grade"), value)) is None
    assert terms._digest(BASE) is not None


def test_the_shape_tells_scalars_apart() -> None:
    values = (1, 1.0, True, "1", None)
    digests = {terms._digest(replaced(BASE, ("credentialSubject", "n"), value)) for value in values}
    assert len(digests) == 5


def test_the_string_table_stays_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(terms, "_STAND_INS_SIZE", 8)
    monkeypatch.setattr(terms, "_stand_ins", {})
    long_name = "x " * 200
    check_terms(replaced(BASE, ("name",), long_name))
    assert 0 < len(terms._stand_ins) <= 8
    assert long_name not in terms._stand_ins  # long strings are classified each time, never kept
