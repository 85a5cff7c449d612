"""badgekiln.strictjson: the one strict JSON parser, and every reader of JSON refusing duplicates."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

import badgekiln
from badgekiln.errors import InputError, InputTooLarge, MalformedPayload
from badgekiln.strictjson import MAX_JSON_DEPTH, loads_object, loads_strict


def nested(depth: int) -> bytes:
    return b'{"a":' * (depth - 1) + b"{}" + b"}" * (depth - 1)


@pytest.mark.parametrize(
    ("body", "error", "reason"),
    [
        (b"", MalformedPayload, "json"),
        (b"{} {}", MalformedPayload, "json"),
        (b"{'a': 1}", MalformedPayload, "json"),
        (b'{"a": NaN}', MalformedPayload, "json"),
        (b"[Infinity]", MalformedPayload, "json"),
        (b'{"a": 1, "a": 1}', MalformedPayload, "duplicate-key"),
        (b'[{"x": {"k": 1, "k": 2}}]', MalformedPayload, "duplicate-key"),
        (b'{"a": 1, "b": 2, "a": 3}', MalformedPayload, "duplicate-key"),
        (b"\xef\xbb\xbf{}", MalformedPayload, "utf-8"),
        (b'{"a": "\xc3\x28"}', MalformedPayload, "utf-8"),
        (b'{"a": "\\ud800"}', MalformedPayload, "utf-8"),
        (b'{"\\udfff": 1}', MalformedPayload, "utf-8"),
        (b'[{"deep": ["\\uDC00"]}]', MalformedPayload, "utf-8"),
        (b"1" * 5000, MalformedPayload, "number"),
        (nested(MAX_JSON_DEPTH + 1), InputTooLarge, "depth"),
        (b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1), InputTooLarge, "depth"),
        (b"[" * 100_000, InputTooLarge, "depth"),
    ],
)
def test_refuses(body: bytes, error: type[Exception], reason: str) -> None:
    for text in (body, body.decode("utf-8", "replace") if reason != "utf-8" else body):
        with pytest.raises(error) as caught:
            loads_strict(text, source="https://issuer.example/x")
        assert type(caught.value) is error
        assert caught.value.details["reason"] == reason  # type: ignore[attr-defined]
        assert caught.value.details["url"] == "https://issuer.example/x"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"a": "\\ud800"}', "utf-8"),
        (b'{"\\udfff": 1}', "utf-8"),
        (nested(MAX_JSON_DEPTH + 1), "depth"),
        (b'{"a": 1, "a": 2}', "duplicate-key"),
    ],
)
def test_long_texts_are_held_to_the_same_rules(body: bytes, reason: str) -> None:
    # past 64 KiB the tree is walked without screening the text first: a long string beside the
    # fault (a base64 image in a request) must not hide it
    long = b'{"image": "' + b"QUJD" * 40_000 + b'", "x": ' + body + b"}"
    for text in (long, long.decode()):
        with pytest.raises((MalformedPayload, InputTooLarge)) as caught:
            loads_strict(text, source="x")
        assert caught.value.details["reason"] == reason


def test_long_texts_parse() -> None:
    text = json.dumps(
        {"image": "QUJD" * 40_000, "name": "Zoë 😀", "deep": json.loads(nested(MAX_JSON_DEPTH - 1))}
    )
    assert loads_strict(text, source="x")["name"] == "Zoë 😀"


def test_a_duplicate_key_is_named() -> None:
    with pytest.raises(MalformedPayload) as caught:
        loads_strict(b'{"id": "a", "name": "x", "id": "b"}', source="the badge JSON")
    assert (caught.value.reason, caught.value.details["key"]) == ("duplicate-key", "id")
    assert caught.value.message == "the badge JSON: duplicate key 'id' in a JSON object"


def test_str_text_with_a_lone_surrogate_is_refused() -> None:
    with pytest.raises(MalformedPayload) as caught:
        loads_strict('{"a": "\ud800"}', source="x")
    assert caught.value.reason == "utf-8"
    with pytest.raises(MalformedPayload) as caught:
        loads_strict("\ufeff{}", source="x")
    assert caught.value.reason == "utf-8"
    with pytest.raises(TypeError):
        loads_strict(1, source="x")  # type: ignore[arg-type]


def test_accepts_the_deepest_allowed_unicode_and_surrogate_pairs() -> None:
    assert loads_strict(nested(MAX_JSON_DEPTH), source="x") is not None
    assert loads_strict('{"name": "Zoë \\u00e9 😀"}'.encode(), source="x") == {"name": "Zoë é 😀"}
    assert loads_strict('{"e": "\\ud83d\\ude00"}', source="x") == {"e": "😀"}
    # brackets inside strings count toward nothing but the walk's shortcut
    assert loads_strict(json.dumps({"a": "[" * 500}), source="x") == {"a": "[" * 500}


def test_loads_object() -> None:
    assert loads_object(b'{"a": 1}', source="x") == {"a": 1}
    for text, shown in (("[1]", "an array"), ('"s"', "a string"), ("1", "a number"), ("null", "null")):
        with pytest.raises(MalformedPayload) as caught:
            loads_object(text, source="JWT payload")
        assert caught.value.message == f"JWT payload must be a JSON object, not {shown}"
        assert (caught.value.reason, caught.value.details["field"]) == ("json", "JWT payload")


# --- every reader of JSON uses it: a duplicate key is refused wherever JSON enters ---------------

DUPLICATE = '{"@context": "https://w3id.org/openbadges/v2", "type": "Assertion", "type": "Profile"}'


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _jws(header: bytes, payload: bytes) -> str:
    return f"{_b64(header)}.{_b64(payload)}.c2ln"


def _sniff() -> Any:
    from badgekiln.sniff import classify_payload

    return classify_payload(DUPLICATE)


def _bake() -> Any:
    return badgekiln.bake(b'<svg xmlns="http://www.w3.org/2000/svg" width="1"><rect/></svg>', DUPLICATE)


def _verify_json() -> Any:
    return badgekiln.verify(DUPLICATE, offline=True)


def _verify_jwt_header() -> Any:
    return badgekiln.verify(_jws(b'{"alg": "ES256", "alg": "none"}', b"{}"), offline=True)


def _verify_jwt_claims() -> Any:
    return badgekiln.verify(_jws(b'{"alg": "ES256"}', b'{"iss": "a", "iss": "b"}'), offline=True)


def _pinned_key() -> Any:
    from badgekiln.verification import VerifyOptions

    return VerifyOptions(key='{"kty": "OKP", "crv": "Ed25519", "x": "AA", "x": "BB"}')


def _fetched() -> Any:
    from badgekiln.fetch import Fetcher, FetchPolicy

    url = "https://issuer.example/profile"
    return Fetcher(FetchPolicy(offline=True), documents={url: DUPLICATE.encode()}).get_json(url)


def _request_body() -> Any:
    from badgekiln.http.bodies import json_body

    event = {"headers": {"content-type": "application/json"}, "isBase64Encoded": False, "body": DUPLICATE}
    return json_body(APIGatewayProxyEventV2(event))


def _batch_row() -> Any:
    from badgekiln.issue.batch import read_rows

    row = next(read_rows(io.StringIO(DUPLICATE + "\n"), fmt="jsonl"))
    assert row.error is not None
    raise row.error


READERS: dict[str, Callable[[], Any]] = {
    "sniff": _sniff,
    "bake": _bake,
    "verify JSON": _verify_json,
    "verify JWT header": _verify_jwt_header,
    "verify JWT claims": _verify_jwt_claims,
    "pinned JWK": _pinned_key,
    "fetched document": _fetched,
    "request body": _request_body,
    "batch row": _batch_row,
}


@pytest.mark.parametrize("reader", READERS)
def test_every_reader_refuses_duplicate_keys(reader: str) -> None:
    with pytest.raises((InputError, MalformedPayload)) as caught:
        READERS[reader]()
    error = caught.value
    assert isinstance(error, InputError)
    cause: BaseException | None = error
    while cause is not None and getattr(cause, "reason", None) != "duplicate-key":
        cause = cause.__cause__
    assert cause is not None, f"{reader}: {error!r} is not a duplicate-key refusal"
