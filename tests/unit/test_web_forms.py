"""badgekiln.web.forms: the check form and the recipient form, as browsers post them."""

from __future__ import annotations

import base64
from urllib.parse import urlencode

import pytest
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from badgekiln.errors import InputError, InputTooLarge, InvalidField, UnsupportedMediaType
from badgekiln.web.forms import (
    MAX_IDENTITY_CHARS,
    MAX_UPLOAD_BYTES,
    CheckForm,
    parse_check_form,
    parse_recipient_form,
    upload_limit_words,
)

BOUNDARY = "----formboundary7MA4YWxkTrZu0gW"


def multipart(*fields: tuple[str, bytes, str | None]) -> APIGatewayProxyEventV2:
    body = b""
    for name, data, filename in fields:
        disposition = f'form-data; name="{name}"' + (
            f'; filename="{filename}"' if filename is not None else ""
        )
        kind = "Content-Type: application/octet-stream\r\n" if filename is not None else ""
        body += f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n{kind}\r\n".encode() + data + b"\r\n"
    body += f"--{BOUNDARY}--\r\n".encode()
    return event(body, f"multipart/form-data; boundary={BOUNDARY}")


def urlencoded(pairs: list[tuple[str, str]]) -> APIGatewayProxyEventV2:
    return event(urlencode(pairs).encode(), "application/x-www-form-urlencoded")


def event(body: bytes, content_type: str) -> APIGatewayProxyEventV2:
    return APIGatewayProxyEventV2(
        {
            "version": "2.0",
            "headers": {"content-type": content_type},
            "body": base64.b64encode(body).decode(),
            "isBase64Encoded": True,
            "requestContext": {"http": {"method": "POST", "path": "/check"}},
        }
    )


def test_a_file_upload() -> None:
    form = parse_check_form(
        multipart(("file", b"\x89PNG...", "badge.png"), ("payload", b"", None), ("recipient", b"", None))
    )
    assert form == CheckForm(file=b"\x89PNG...", filename="badge.png", payload=None, recipient=None)


def test_pasted_text_with_a_recipient_in_either_encoding() -> None:
    expected = CheckForm(payload="https://issuer.example/a/1", recipient="ada@example.org")
    assert (
        parse_check_form(
            multipart(
                ("file", b"", ""),
                ("payload", b" https://issuer.example/a/1\n", None),
                ("recipient", b"ada@example.org", None),
            )
        )
        == expected
    )
    assert (
        parse_check_form(
            urlencoded([("payload", "https://issuer.example/a/1"), ("recipient", "ada@example.org")])
        )
        == expected
    )


def test_the_upload_limit_is_named() -> None:
    assert upload_limit_words() == "3 MB"
    with pytest.raises(InputTooLarge) as caught:
        parse_check_form(multipart(("file", b"x" * (MAX_UPLOAD_BYTES + 1), "big.png")))
    assert caught.value.message == (
        f"The file is {MAX_UPLOAD_BYTES + 1:,} bytes; "
        f"badges up to 3 MB ({MAX_UPLOAD_BYTES:,} bytes) can be checked here."
    )
    assert caught.value.details["limit"] == MAX_UPLOAD_BYTES


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        (
            multipart(("file", b"", ""), ("payload", b"  ", None)),
            "file",
            "Choose a badge image (PNG or SVG), or paste a badge URL, JSON or JWT.",
        ),
        (multipart(("file", b"", "empty.png")), "file", "The file 'empty.png' is empty."),
        (
            multipart(("file", b"x", "a.png"), ("payload", b"{}", None)),
            "payload",
            "Give either a badge file or pasted text, not both: clear one and check again.",
        ),
        (multipart(("payload", b"\xff\xfe", None)), "payload", "The pasted text is not UTF-8 text."),
        (
            multipart(("evil", b"x", None)),
            "evil",
            "Unexpected form field 'evil'; this operation takes: file, payload, recipient.",
        ),
        (
            urlencoded([("payload", "a"), ("payload", "b")]),
            "payload",
            "Form field 'payload' appears more than once.",
        ),
        (urlencoded([("evil", "a")]), "evil", "Unexpected form field 'evil'."),
    ],
)
def test_unusable_check_forms(form: APIGatewayProxyEventV2, field: str, message: str) -> None:
    with pytest.raises(InvalidField) as caught:
        parse_check_form(form)
    assert (caught.value.details.get("field"), caught.value.message) == (field, message)


def test_not_a_form_post() -> None:
    with pytest.raises(UnsupportedMediaType):
        parse_check_form(event(b"{}", "application/json"))
    with pytest.raises(InputError):
        parse_check_form(event(b"--x\r\nbroken", f"multipart/form-data; boundary={BOUNDARY}"))
    with pytest.raises(InvalidField):
        parse_check_form(event(b"&".join([b"a=1"] * 10), "application/x-www-form-urlencoded"))


def test_the_recipient_form() -> None:
    assert parse_recipient_form(urlencoded([("identity", " ada@example.org ")])) == "ada@example.org"
    with pytest.raises(InvalidField) as caught:
        parse_recipient_form(urlencoded([("identity", "")]))
    assert caught.value.message == "Enter the e-mail address (or other identity) to check."
    with pytest.raises(InputTooLarge):
        parse_recipient_form(urlencoded([("identity", "a" * (MAX_IDENTITY_CHARS + 1))]))
