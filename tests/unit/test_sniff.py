"""badgekiln.sniff: image format and payload kind by content; the Open Badges version a payload's
object belongs to is decided by the model (badgekiln.model.read), tested here for baking."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from badgekiln.errors import (
    InputTooLarge,
    MalformedImage,
    MalformedPayload,
    NotABadgeImage,
    UnsupportedEncoding,
)
from badgekiln.model.ob3 import Credential
from badgekiln.model.reader import carries_credential, is_credential, read
from badgekiln.png import PNG_SIGNATURE
from badgekiln.sniff import MAX_PAYLOAD_CHARS, classify_payload, payload_object, sniff_image

VALIDATOR = "1edtech-digital-credentials-public-validator/inspector-vc/src/test/resources"


def b64(value: object) -> str:
    raw = value if isinstance(value, bytes) else json.dumps(value).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def jws(claims: object, header: object = None) -> str:
    return f"{b64(header or {'alg': 'RS256'})}.{b64(claims)}.c2lnbmF0dXJl"


#: A JWS header naming two algorithms: which one a reader keeps must never matter.
TWO_ALGS = b'{"alg": "ES256", "alg": "none"}'
OB3_JSON = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"]}
OB2_JSON = {"@context": "https://w3id.org/openbadges/v2", "type": "Assertion", "id": "https://a.example/1"}


# --- images ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (PNG_SIGNATURE + b"anything", "png"),
        (b"\x89PNG\n\r\x1a\n", "png"),  # damaged: the PNG walker reports it as such
        (b'<svg xmlns="http://www.w3.org/2000/svg"/>', "svg"),
        (b"<svg/>", "svg"),
        (b'\xef\xbb\xbf<?xml version="1.0"?>\n<!-- hi -->\n<?pi?>\n<svg xmlns="http://www.w3.org/2000/svg">',
         "svg"),
        (b"<!--" + b"padding " * 100 + b"-->\n<svg xmlns='http://www.w3.org/2000/svg'/>", "svg"),  # past 256
        ('<svg xmlns="http://www.w3.org/2000/svg"/>'.encode("utf-16"), "svg"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'><unclosed>", "svg"),  # only the prolog is read
    ],
)  # fmt: skip
def test_sniff_image(data: bytes, expected: str) -> None:
    assert sniff_image(data) == expected


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"", NotABadgeImage),
        (b"\x89P", NotABadgeImage),
        (b"GIF89a", NotABadgeImage),
        (b'{"@context": "https://w3id.org/openbadges/v2"}', NotABadgeImage),
        (b"<html><svg/></html>", NotABadgeImage),
        (b'<svg xmlns="urn:elsewhere"/>', NotABadgeImage),
        (b"<?xml version='1.0'?><!-- no root -->", NotABadgeImage),
        (b'<!DOCTYPE svg [<!ENTITY a "b">]><svg/>', MalformedImage),
        (b'<?xml version="1.0" encoding="x-nope"?><svg/>', UnsupportedEncoding),
    ],
)
def test_sniff_image_refuses(data: bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        sniff_image(data)


def test_sniff_image_rejects_str() -> None:
    with pytest.raises(TypeError):
        sniff_image("<svg/>")  # type: ignore[arg-type]


# --- payload kinds -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (jws({"iss": "x"}), "jws"),
        (jws({"iss": "x"}).rsplit(".", 1)[0] + ".", "jws"),  # unsecured: still a JWS in shape
        ("\n " + jws({"iss": "x"}) + "\r\n", "jws"),
        ('{"a": 1}', "json"),
        (' \n{"a": [1, {"b": null}]}\n', "json"),
        ("https://example.org/assertions/1", "url"),
        ("http://example.org:8080/a?b=c#d", "url"),
    ],
)
def test_classify_payload(text: str, kind: str) -> None:
    assert classify_payload(text) == kind


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        (" \t\r\n", "empty"),
        ("[1, 2]", "json"),
        ("{not json", "json"),
        ('{"a": NaN}', "json"),
        ('{"a": 1} trailing', "json"),
        ("{" + '"a":' * 1 + "1" * 5000 + "}", "number"),  # over Python's integer-digits limit
        ('{"a": 1, "a": 2}', "duplicate-key"),  # the one strict parser (badgekiln.strictjson)
        ("e30.e30", "unknown"),  # two segments
        ("a.b.c.d.e", "unknown"),  # five segments: a JWE
        (jws({"iss": "x"}) + "=", "jws"),  # base64 padding
        (f"{b64([1, 2])}.{b64({})}.c2ln", "json"),  # header not an object
        (f"{b64(b'not json')}.{b64({})}.c2ln", "json"),
        (f"{b64(TWO_ALGS)}.{b64({})}.c2ln", "duplicate-key"),
        ("A.e30.c2ln", "jws"),  # a header of one base64 character cannot decode
        ("ftp://example.org/a", "unknown"),
        ("https://", "unknown"),
        ("https://exa mple.org/", "unknown"),
        ("https://example.org:99999/", "unknown"),
        ("//example.org/a", "unknown"),
        ("just words", "unknown"),
    ],
)
def test_classify_payload_refuses(text: str, reason: str) -> None:
    with pytest.raises(MalformedPayload) as caught:
        classify_payload(text)
    assert caught.value.reason == reason


def test_classify_payload_caps_size() -> None:
    with pytest.raises(InputTooLarge) as caught:
        classify_payload("[" * 100_000 + "]" * 100_000)
    assert caught.value.reason == "depth"
    with pytest.raises(InputTooLarge):
        classify_payload("{" + " " * MAX_PAYLOAD_CHARS + "}")
    with pytest.raises(TypeError):
        classify_payload(b"{}")  # type: ignore[arg-type]


# --- spec detection ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "spec"),
    [
        (json.dumps(OB3_JSON), "ob3"),
        (json.dumps({"@context": "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"}), "ob3"),
        (json.dumps({"type": "AchievementCredential"}), "ob3"),
        (json.dumps({"type": ["OpenBadgeCredential"]}), "ob3"),
        (json.dumps(OB2_JSON), "ob2"),
        (json.dumps({"uid": "123", "badge": "https://a.example/b"}), "ob2"),  # OB 1.x style
        (json.dumps({"@context": [1, None], "type": {"x": 1}}), "ob2"),  # odd but harmless shapes
        (jws(OB3_JSON), "ob3"),
        (jws({"vc": OB3_JSON, "iss": "did:example:1"}), "ob3"),  # VC-JWT 1.1
        (jws({"vc": "not an object", **OB2_JSON}), "ob2"),
        (jws(OB2_JSON), "ob2"),
        ("https://example.org/assertions/1", "ob2"),
    ],
)
def test_detect_spec(text: str, spec: str) -> None:
    assert detect_spec(text) == spec
    assert payload_object(text)[0] == classify_payload(text)


def detect_spec(text: str) -> str:
    """The spec baking detects: OB 3.0 when the payload's object is, or carries, a credential."""
    _, document = payload_object(text)
    return "ob3" if document is not None and carries_credential(document) else "ob2"


def test_detect_spec_needs_json_claims_in_a_jws() -> None:
    with pytest.raises(MalformedPayload):
        payload_object(f"{b64({'alg': 'RS256'})}.{b64(b'plain text')}.c2ln")


@pytest.mark.parametrize(
    ("name", "spec"),
    [
        ("ob20/simple.jwt", "ob2"),
        ("ob30/simple.json", "ob3"),
        ("ob30/simple_v1.json", "ob3"),
        ("ob20/basic-assertion.json", "ob2"),
    ],
)
def test_detect_spec_on_vectors(vectors: Path, name: str, spec: str) -> None:
    assert detect_spec((vectors / VALIDATOR / name).read_text()) == spec


@pytest.mark.parametrize(
    ("document", "ob3"),
    [
        ({"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"]}, True),
        ({"@context": "https://www.w3.org/2018/credentials/v1"}, True),
        ({"@context": ["https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]}, True),
        ({"type": "EndorsementCredential"}, True),  # the verifier's endorsements are credentials too
        ({"@context": "https://w3id.org/openbadges/v2", "type": "Assertion"}, False),
        ({"@context": [["nested"]], "type": {"odd": 1}}, False),
    ],
)
def test_one_credential_rule_for_baking_and_verifying(document: dict[str, object], ob3: bool) -> None:
    # baking's spec detection and the verifier's dispatch used to disagree (EndorsementCredential,
    # VC context URLs other than the two exact ones): both now use model.reader.is_credential
    assert is_credential(document) is ob3
    assert detect_spec(json.dumps(document)) == ("ob3" if ob3 else "ob2")
    if ob3:
        assert isinstance(read(document), Credential)
