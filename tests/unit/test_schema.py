"""badgekiln.verification.schema: bundled OB 3.0 schemas, compaction tolerance, pointers, "not checked"."""

from __future__ import annotations

import copy
import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from badgekiln.errors import MalformedPayload
from badgekiln.verification import schema
from badgekiln.verification.schema import (
    BUNDLED_SCHEMAS,
    MAX_VIOLATIONS,
    SchemaResult,
    SchemaViolation,
    check_credential_schemas,
    validate,
)

OB30 = "1edtech-digital-credentials-public-validator/inspector-vc/src/test/resources/ob30"
REF = "educredentials-obv3-examples/ref"
DCC = "digitalcredentials-vc-test-fixtures/verifiableCredentials/v2"
SCHEMA = "https://purl.imsglobal.org/spec/ob/v3p0/schema/"
ACHIEVEMENT = f"{SCHEMA}json/ob_v3p0_achievementcredential_schema.json"
ACHIEVEMENT_LD = f"{SCHEMA}json-ld/ob_v3p0_achievementcredential_schema.json"
ENDORSEMENT = f"{SCHEMA}json/ob_v3p0_endorsementcredential_schema.json"
PROFILE = f"{SCHEMA}json/ob_v3p0_profile_schema.json"
SUBJECT = "/credentialSubject"
ACHIEVED = "/credentialSubject/achievement"
BUNDLED_FILE = Path(schema.__file__).parent / "schemas" / "ob_v3p0_achievementcredential_schema.json"


def load(vectors: Path, rel: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((vectors / rel).read_text("utf-8"))
    return data


def violations(document: Any, schema_id: str = ACHIEVEMENT, **kwargs: Any) -> list[tuple[str, str]]:
    try:
        validate(document, schema_id, **kwargs)
    except MalformedPayload as exc:
        error = exc
    else:
        return []
    assert (error.reason, error.details["schema"]) == ("schema", schema_id)
    found: tuple[SchemaViolation, ...] = error.details["violations"]
    assert error.details["pointer"] == found[0].pointer
    return [(v.pointer, v.keyword) for v in found]


# --- the bundled file ---------------------------------------------------------------------------


def test_bundled_schema_is_the_vector_copy_byte_for_byte(vectors: Path) -> None:
    copy_in_vectors = (
        vectors / "educredentials-obv3-examples/schemas/ob_v3p0_achievementcredential_schema.json"
    )
    assert BUNDLED_FILE.read_bytes() == copy_in_vectors.read_bytes()
    digest = hashlib.sha256(BUNDLED_FILE.read_bytes()).hexdigest()
    assert digest == "859e405b592d93c3261fe899362f4128801140d4d20c01502a066b3540483d95"  # PROVENANCE.md


def test_every_bundled_schema_is_a_valid_draft_2019_09_schema() -> None:
    from jsonschema import Draft201909Validator

    Draft201909Validator.check_schema(json.loads(BUNDLED_FILE.read_text()))
    for schema_id in BUNDLED_SCHEMAS:
        for strict in (False, True):
            Draft201909Validator.check_schema(schema._validator(schema_id, strict).schema)
    assert len(BUNDLED_SCHEMAS) == 6


# --- vectors that conform ------------------------------------------------------------------------


@pytest.mark.parametrize("rel", [
    f"{REF}/minimal_valid_obv3.json",
    f"{REF}/full_ex.json",
    f"{OB30}/complete.json",
    f"{OB30}/simple.json",
    f"{OB30}/simple-multiple-proofs.json",
    f"{OB30}/simple-context-version.json",
])  # fmt: skip
def test_conforming_vectors_pass_both_readings(vectors: Path, rel: str) -> None:
    document = load(vectors, rel)
    assert violations(document) == []
    assert violations(document, ACHIEVEMENT_LD) == []
    assert violations(document, strict_arrays=True) == []


@pytest.mark.parametrize("rel", [
    f"{OB30}/simple-did-web-method.json",
    f"{DCC}/dataIntegrityProof/didKey/legacyRegistry-noStatus-notExpired-withSchema.json",
])  # fmt: skip
def test_single_proof_object_passes_the_tolerant_reading_only(vectors: Path, rel: str) -> None:
    document = load(vectors, rel)
    assert isinstance(document["proof"], dict)
    assert violations(document) == []
    assert violations(document, strict_arrays=True) == [("/proof", "type")]


@pytest.mark.parametrize("rel", [
    f"{OB30}/endorsement-valid.json",
    f"{DCC}/bothSignatureTypes/didkey/legacy-noStatus-notExpired-endorsement-withSchema.json",
])  # fmt: skip
def test_endorsement_vectors_pass_the_derived_endorsement_schema(vectors: Path, rel: str) -> None:
    document = load(vectors, rel)
    assert violations(document, ENDORSEMENT) == []
    assert ("/credentialSubject", "required") in violations(document, ACHIEVEMENT)  # no achievement


def test_profile_schema_checks_an_issuer_profile(vectors: Path) -> None:
    issuer = load(vectors, f"{REF}/full_ex.json")["issuer"]
    assert violations(issuer, PROFILE) == []
    assert violations({"id": "https://example.org/", "type": "Profile"}, PROFILE) == []  # compacted type
    assert violations({"id": "https://example.org/", "type": ["Issuer"]}, PROFILE) == [("/type", "contains")]
    assert violations({"type": ["Profile"]}, PROFILE) == [("", "required")]


# --- vectors that do not conform, with pointers ----------------------------------------------------


@pytest.mark.parametrize(("rel", "expected"), [
    (f"{OB30}/simple-err-issuer.json", [("", "required"), ("/credentialSubject", "required")]),
    (f"{OB30}/simple-err-evidence-type.json", [("/evidence/1/type", "enum")]),
    (f"{OB30}/simple-err-credential-subject-type.json", [("/credentialSubject/type", "contains")]),
    (f"{OB30}/simple-err-credential-subject-identifier-type.json",
     [(f"{SUBJECT}/identifier/0/type", "enum")]),
    (f"{OB30}/simple-err-credential-subject-profile-type.json", [("/credentialSubject/source/type", "enum")]),
    (f"{OB30}/simple-err-issuer-type.json", [("/issuer/type", "contains")]),
    (f"{OB30}/simple-err-issuer-otheridentifier-type.json", [("/issuer/otherIdentifier/1/type", "enum")]),
    (f"{OB30}/simple-err-issued.json", [("/credentialSubject", "required")]),
    (f"{OB30}/simple_v1.json", [("", "required"), ("/@context/0", "enum")]),   # VC 1.1: no validFrom
])  # fmt: skip
def test_non_conforming_vectors_fail_with_pointers(
    vectors: Path, rel: str, expected: list[tuple[str, str]]
) -> None:
    assert violations(load(vectors, rel)) == expected


def test_failure_message_names_the_schema_the_pointer_and_the_count(vectors: Path) -> None:
    with pytest.raises(MalformedPayload) as caught:
        validate(load(vectors, f"{OB30}/simple-err-issuer.json"), ACHIEVEMENT)
    assert (
        caught.value.message
        == f"the credential does not conform to {ACHIEVEMENT}: / 'issuer' is a required property (and 1 more)"
    )
    assert caught.value.to_dict()["code"] == "malformed-payload"


# --- hand-made breakages: one per line ----------------------------------------------------------


def broken(vectors: Path, pointer: str, value: Any) -> dict[str, Any]:
    """minimal_valid_obv3.json with the member at ``pointer`` replaced (``...`` deletes it)."""
    document = copy.deepcopy(load(vectors, f"{REF}/minimal_valid_obv3.json"))
    *parents, last = pointer.strip("/").split("/")
    target: Any = document
    for part in parents:
        target = target[int(part)] if isinstance(target, list) else target[part]
    if value is ...:
        del target[last]
    else:
        target[int(last) if isinstance(target, list) else last] = value
    return document


@pytest.mark.parametrize(("pointer", "value", "expected"), [
    ("/validFrom", "2010-01-01", [("/validFrom", "format")]),
    ("/validFrom", "2010-01-01T00:00:00", [("/validFrom", "format")]),             # no zone
    ("/validFrom", "2010-02-30T00:00:00Z", [("/validFrom", "format")]),            # no such day
    ("/validFrom", "2010-01-01T00:00:00.123456789+02:00", []),
    ("/validFrom", 1262304000, [("/validFrom", "type")]),
    ("/validUntil", "tomorrow", [("/validUntil", "format")]),
    ("/id", ..., [("", "required")]),
    ("/type", "OpenBadgeCredential", [("/type", "enum")]),                          # a single type: not a VC
    ("/type", ["VerifiableCredential"], [("/type", "contains")]),
    ("/@context/1", "https://purl.imsglobal.org/spec/ob/v3p0/context-4.json", [("/@context/1", "pattern")]),
    ("/@context", "https://www.w3.org/ns/credentials/v2", [("/@context", "type")]),
    ("/credentialSubject/achievement/criteria", ..., [("/credentialSubject/achievement", "required")]),
    ("/credentialSubject/achievement/type", "Achievement", []),                      # compacted: fine
    ("/credentialSubject/achievement/type", "Badge", [("/credentialSubject/achievement/type", "enum")]),
    (f"{ACHIEVED}/achievementType", "Trophy", [(f"{ACHIEVED}/achievementType", "oneOf")]),  # enum or ext:
    ("/credentialSubject/achievement/achievementType", "ext:Trophy", []),
    ("/issuer/type", ["Issuer"], [("/issuer/type", "contains")]),
])  # fmt: skip
def test_hand_made_breakages(
    vectors: Path, pointer: str, value: Any, expected: list[tuple[str, str]]
) -> None:
    assert violations(broken(vectors, pointer, value)) == expected


def test_pointers_locate_array_items_and_escape_member_names(vectors: Path) -> None:
    # an Alignment needs type, targetName and targetUrl: three violations at one pointer
    document = broken(vectors, "/credentialSubject/achievement/alignment", [{"a/b~c": 1}])
    assert violations(document) == [("/credentialSubject/achievement/alignment/0", "required")] * 3
    assert schema._pointer(["a/b~c", 0]) == "/a~1b~0c/0"  # RFC 6901


def test_violations_are_capped_for_a_hostile_document(vectors: Path) -> None:
    document = load(vectors, f"{REF}/minimal_valid_obv3.json")
    document["evidence"] = [{"type": ["Nope"]}] * 500
    found = violations(document)
    assert len(found) == MAX_VIOLATIONS


def test_long_values_are_not_echoed_whole(vectors: Path) -> None:
    with pytest.raises(MalformedPayload) as caught:
        validate(broken(vectors, "/validFrom", {"x": "y" * 10_000}), ACHIEVEMENT)
    (violation,) = caught.value.details["violations"]
    assert violation == SchemaViolation("/validFrom", "type", "must be of type 'string'")
    assert len(caught.value.message) < 400


def test_validate_refuses_an_unbundled_schema_id() -> None:
    with pytest.raises(ValueError):
        validate({}, "https://example.org/schema.json")


# --- credentialSchema entries --------------------------------------------------------------------


def test_check_credential_schemas_on_the_complete_vector(vectors: Path) -> None:
    results = check_credential_schemas(load(vectors, f"{OB30}/complete.json"))
    assert results == (SchemaResult(ACHIEVEMENT, "passed", "the credential conforms to the schema"),)


def test_unbundled_and_foreign_schemas_are_not_checked_and_never_fetched(vectors: Path) -> None:
    credential = load(vectors, f"{OB30}/endorsement-err-schema-status-refresh.json")
    results = check_credential_schemas(credential)
    assert [(r.schema_id, r.outcome) for r in results] == [
        (ENDORSEMENT, "failed"),
        ("https://state.gov/schema/endorsementcredential.json", "not-checked"),
    ]
    assert results[0].violations[0] == SchemaViolation("", "required", "'validFrom' is a required property")
    assert results[1].message == "the schema is not bundled with badgekiln (schemas are never fetched)"


@pytest.mark.parametrize(("entries", "outcomes"), [
    (None, []),
    ({"id": ACHIEVEMENT, "type": "1EdTechJsonSchemaValidator2019"}, ["passed"]),        # one entry, compacted
    ([{"id": ACHIEVEMENT, "type": "JsonSchema"}], ["passed"]),                           # the W3C type
    ([{"id": ACHIEVEMENT, "type": "JsonSchemaCredential"}], ["not-checked"]),
    ([{"id": ACHIEVEMENT, "type": "JsonSchemaValidator2018"}], ["not-checked"]),
    ([{"id": f"{SCHEMA}json/ob_v3p0_anyachievementcredential_schema.json",
       "type": "1EdTechJsonSchemaValidator2019"}], ["not-checked"]),
    ([{"id": PROFILE, "type": "1EdTechJsonSchemaValidator2019"}], ["failed"]),          # not a Profile
])  # fmt: skip
def test_schema_entries(vectors: Path, entries: Any, outcomes: list[str]) -> None:
    credential = load(vectors, f"{REF}/minimal_valid_obv3.json")
    credential.pop("credentialSchema", None)
    if entries is not None:
        credential["credentialSchema"] = entries
    assert [r.outcome for r in check_credential_schemas(credential)] == outcomes


@pytest.mark.parametrize("entries", [
    ["https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"],
    [{"id": ACHIEVEMENT}],
    [{"type": "1EdTechJsonSchemaValidator2019"}],
    [{"id": ACHIEVEMENT, "type": ["1EdTechJsonSchemaValidator2019"]}],
    [{"id": ACHIEVEMENT, "type": "JsonSchema"}] * 17,
])  # fmt: skip
def test_malformed_schema_entries(entries: Any) -> None:
    with pytest.raises(MalformedPayload) as caught:
        check_credential_schemas({"credentialSchema": entries})
    assert caught.value.reason == "schema-entry"


def test_strict_arrays_reaches_check_credential_schemas(vectors: Path) -> None:
    credential = load(
        vectors, f"{DCC}/dataIntegrityProof/didKey/legacyRegistry-noStatus-notExpired-withSchema.json"
    )
    credential["credentialSchema"] = [{"id": ACHIEVEMENT, "type": "1EdTechJsonSchemaValidator2019"}]
    assert [r.outcome for r in check_credential_schemas(credential)] == ["passed"]
    assert [r.outcome for r in check_credential_schemas(credential, strict_arrays=True)] == ["failed"]


# --- the tolerant transform ---------------------------------------------------------------------


def test_tolerant_transform_accepts_singles_only_where_arrays_of_them_are_allowed() -> None:
    from jsonschema import Draft201909Validator

    strict = {
        "type": "object",
        "properties": {
            "tags": {"type": "array", "items": {"type": "string"}},
            "pair": {"type": "array", "minItems": 2, "items": {"type": "string"}},
            "kinds": {"type": "array", "contains": {"const": "A"}, "items": {"type": "string"}},
            "tuple": {"type": "array", "items": [{"type": "string"}]},
        },
    }
    tolerant = Draft201909Validator(schema._tolerant(strict))
    assert tolerant.is_valid({"tags": "x", "kinds": "A"})
    assert tolerant.is_valid({"tags": ["x"], "kinds": ["B", "A"]})
    assert not tolerant.is_valid({"tags": 1})
    assert not tolerant.is_valid({"kinds": "B"})  # contains still applies to the single value
    assert not tolerant.is_valid({"pair": "x"})  # two items needed: no single form
    assert not tolerant.is_valid({"tuple": "x"})  # tuple schemas stay as written
    assert strict["properties"]["tags"] == {"type": "array", "items": {"type": "string"}}  # input untouched


def test_importing_the_module_does_not_import_jsonschema() -> None:
    code = (
        "import sys, badgekiln.verification.schema, badgekiln.verification.recipient\n"
        "print('jsonschema' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
MEMBERS = st.sampled_from(
    ["@context", "id", "type", "issuer", "validFrom", "credentialSubject", "proof", "evidence"]
)


@given(st.dictionaries(MEMBERS, JSONISH, max_size=6) | JSONISH, st.booleans())
@settings(max_examples=200, deadline=None)
def test_arbitrary_documents_pass_or_raise_malformed_payload(document: Any, strict: bool) -> None:
    try:
        validate(document, ACHIEVEMENT, strict_arrays=strict)
    except MalformedPayload as exc:
        found = exc.details["violations"]
    else:
        found = ()
    assert len(found) <= MAX_VIOLATIONS
    assert all(v.pointer == "" or v.pointer.startswith("/") for v in found)
