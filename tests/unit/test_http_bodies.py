"""badgekiln.http.bodies: strict, bounded request bodies."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from pydantic import BaseModel, ConfigDict

from badgekiln.errors import InputError, InputTooLarge, InvalidField, UnsupportedMediaType
from badgekiln.http.bodies import (
    MAX_BODY_BYTES,
    base64_field,
    decoded_body_size,
    json_body,
    json_model,
    media_type,
    multipart_body,
    raw_body,
    require_media_type,
)

B = "xyz"


def event(
    body: bytes | str | None, content_type: str | None = None, *, b64: bool = True
) -> APIGatewayProxyEventV2:
    raw: dict[str, Any] = {
        "headers": {"content-type": content_type} if content_type else {},
        "isBase64Encoded": b64,
    }
    if body is not None:
        data = body.encode() if isinstance(body, str) else body
        raw["body"] = base64.b64encode(data).decode() if b64 else data.decode()
    return APIGatewayProxyEventV2(raw)


def form(*parts: str) -> APIGatewayProxyEventV2:
    body = "".join(f"--{B}\r\n{p}\r\n" for p in parts) + f"--{B}--\r\n"
    return event(body, f"multipart/form-data; boundary={B}")


def field(name: str, value: str, extra: str = "") -> str:
    return f'Content-Disposition: form-data; name="{name}"{extra}\r\n\r\n{value}'


def test_media_type_parsing() -> None:
    assert media_type(event(None, 'Multipart/Form-Data; Boundary="a b"; charset=x')) == (
        "multipart/form-data",
        {"boundary": "a b", "charset": "x"},
    )
    assert media_type(event(None)) == ("", {})


def test_require_media_type() -> None:
    assert require_media_type(event(None, "image/png"), ("image/png",)) == "image/png"
    with pytest.raises(UnsupportedMediaType) as info:
        require_media_type(event(None), ("image/png", "image/svg+xml"))
    assert info.value.details["accepted"] == "image/png, image/svg+xml"


def test_raw_body_binary_and_text() -> None:
    assert raw_body(event(b"\x89PNG\0")) == b"\x89PNG\0"
    assert raw_body(event("é", b64=False)) == "é".encode()
    assert raw_body(event(None)) == b""


# foreign characters, bad padding, a space, a trailing newline, data after padding, non-ASCII text
BAD_BASE64 = ("!!!!", "QUJ", "QU JD", "QUJD\n", "QQ==QQ==", "QUJDé")


@pytest.mark.parametrize("body", BAD_BASE64)
def test_bad_base64(body: str) -> None:
    bad = APIGatewayProxyEventV2({"headers": {}, "isBase64Encoded": True, "body": body})
    with pytest.raises(InputError) as info:
        raw_body(bad)
    assert info.value.reason == "base64"


@pytest.mark.parametrize("size", [MAX_BODY_BYTES, MAX_BODY_BYTES + 1])
def test_size_is_computed_without_decoding(size: int) -> None:
    raw = {"isBase64Encoded": True, "body": base64.b64encode(b"\0" * size).decode()}
    assert decoded_body_size(raw) == size


def test_over_limit_points_at_uploads() -> None:
    with pytest.raises(InputTooLarge) as info:
        raw_body(event(b"\0" * (MAX_BODY_BYTES + 1)))
    assert info.value.details["upload"] == "POST /issuers/{issuer}/uploads"
    assert info.value.details["limit"] == MAX_BODY_BYTES


def test_json_body() -> None:
    assert json_body(event('{"a": [1]}', "application/json", b64=False)) == {"a": [1]}
    assert json_body(event('{"a": "é"}', "application/json", b64=False)) == {"a": "é"}
    assert json_body(event('{"a": "é"}', "application/json")) == {"a": "é"}


def test_text_json_body_over_the_limit() -> None:
    text = '{"a": "' + "x" * MAX_BODY_BYTES + '"}'
    with pytest.raises(InputTooLarge):
        json_body(event(text, "application/json", b64=False))


@pytest.mark.parametrize(
    ("body", "error", "reason"),
    [
        (b'{"a": ', InputError, "json"),
        (b"\xff{}", InputError, "utf-8"),
        (b"[" * 65 + b"]" * 65, InputTooLarge, "depth"),
        (b"[" * 200_000 + b"]" * 200_000, InputTooLarge, "depth"),
        (b'{"a": ' + b"1" * 5000 + b"}", InputError, "number"),
        (b'{"a": 1, "a": 2}', InputError, "duplicate-key"),
        (b'{"a": NaN}', InputError, "json"),
        (b'{"a": "\\ud800"}', InputError, "utf-8"),
        (b"\xef\xbb\xbf{}", InputError, "utf-8"),
    ],
)
def test_bad_json(body: bytes, error: type[Exception], reason: str) -> None:
    with pytest.raises(error) as info:
        json_body(event(body, "application/json"))
    assert type(info.value) is error
    assert info.value.reason == reason  # type: ignore[attr-defined]
    assert "url" not in info.value.details  # type: ignore[attr-defined]


def test_json_depth_at_limit_is_fine() -> None:
    assert json_body(event(b"[" * 64 + b"]" * 64, "application/json")) is not None


class Named(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str


def test_json_model() -> None:
    assert json_model(event('{"name": "a"}', "application/json; charset=utf-8"), Named) == Named(name="a")
    with pytest.raises(UnsupportedMediaType) as media:
        json_model(event('{"name": "a"}', "text/plain"), Named)
    assert media.value.details["accepted"] == "application/json"
    with pytest.raises(InvalidField) as bad:
        json_model(event('{"name": "a", "x": 1}', "application/json"), Named)
    assert bad.value.details["field"] == "x"
    with pytest.raises(InvalidField) as shape:
        json_model(event("[1]", "application/json"), Named)
    assert str(shape.value) == (
        "Invalid request body: Input should be a valid dictionary or instance of Named."
    )
    assert "field" not in shape.value.details
    with pytest.raises(InputError) as broken:
        json_model(event("{", "application/json"), Named)
    assert broken.value.details["reason"] == "json"


def test_multipart_fields() -> None:
    parts = multipart_body(
        form(
            field("payload", "p"), field("image", "\x89PNG", '; filename="a.png"\r\nContent-Type: image/png')
        ),
        fields=("image", "payload"),
    )
    assert parts["payload"].text() == "p"
    assert (parts["image"].filename, parts["image"].content_type) == ("a.png", "image/png")


@pytest.mark.parametrize(
    ("build", "error", "expected"),
    [
        (lambda: form(field("other", "x")), InvalidField, "other"),
        (lambda: form(field("image", "a"), field("image", "b")), InvalidField, "image"),
        (
            lambda: event(f"--{B}\r\n" + field("image", "abc"), f"multipart/form-data; boundary={B}"),
            InputError,
            "multipart",
        ),
        (lambda: event("garbage", f"multipart/form-data; boundary={B}"), InputError, "multipart"),
        (lambda: event("x", "multipart/form-data"), InputError, "boundary"),
        (lambda: event("x", "multipart/form-data; boundary=" + "b" * 71), InputError, "boundary"),
        (
            lambda: form("Content-Disposition: form-data; name=image; x=" + "y" * 3000 + "\r\n\r\nv"),
            InputTooLarge,
            "multipart",
        ),
    ],
    ids=[
        "unknown-field",
        "repeated-field",
        "truncated",
        "garbage",
        "no-boundary",
        "long-boundary",
        "long-header",
    ],
)
def test_hostile_multipart(build: Any, error: type[Exception], expected: str) -> None:
    with pytest.raises(error) as info:
        multipart_body(build(), fields=("image", "payload"))
    value: Any = info.value
    assert type(value) is error
    assert expected in (value.details.get("field"), value.reason)


def test_too_many_parts() -> None:
    names = [f"f{i}" for i in range(9)]
    with pytest.raises(InputTooLarge) as info:
        multipart_body(form(*[field(n, "x") for n in names]), fields=names)
    assert info.value.reason == "multipart"


def test_non_utf8_field() -> None:
    parts = multipart_body(form(field("payload", "x")), fields=("payload",))
    bad = type(parts["payload"])("payload", b"\xff", None, None)
    with pytest.raises(InvalidField):
        bad.text()


def test_multipart_needs_multipart() -> None:
    with pytest.raises(UnsupportedMediaType):
        multipart_body(event(json.dumps({}), "application/json"), fields=("image",))


def test_base64_field() -> None:
    assert base64_field(base64.b64encode(b"\x89PNG").decode(), "image") == b"\x89PNG"
    for bad in ("not base64!", *BAD_BASE64):
        with pytest.raises(InvalidField) as caught:
            base64_field(bad, "image")
        assert caught.value.details["field"] == "image"
