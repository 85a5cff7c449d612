"""Write the API Gateway HTTP API (payload 2.0) event fixtures in events/.

    .venv/bin/python scripts/make_events.py

The events have the shape of real HTTP API events (``sam local generate-event apigateway
http-api-proxy``, and the payload-2.0 format reference): lower-case headers, ``requestContext`` with
``http``, ``requestId``, ``routeKey``, ``stage`` ``$default`` and times, binary bodies base64 with
``isBase64Encoded``. The images in them are built here from scratch (a 1×1 PNG and a tiny SVG, with
and without a hand-made badge carrier), so the fixtures depend on no other baker.
"""

from __future__ import annotations

import base64
import json
import struct
import zlib
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

EVENTS = Path(__file__).resolve().parent.parent / "events"
BOUNDARY = "----badgekilnFormBoundary7MA4YWxkTrZu0gW"
ASSERTION_URL = "https://example.org/assertions/1.json"
CREDENTIAL = json.dumps(
    {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": "urn:uuid:6c5bd5c4-9a7e-4c52-b8a0-1b2c3d4e5f60",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": "https://example.org/issuers/1", "type": ["Profile"], "name": "Example"},
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "achievement": {
                "id": "https://example.org/achievements/1",
                "type": ["Achievement"],
                "name": "Kiln",
            },
        },
    },
    separators=(",", ":"),
)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(carrier: str | None = None) -> bytes:
    """A 1×1 grey PNG, with an OB 2.0 ``iTXt openbadges`` chunk after IHDR when ``carrier`` is given."""
    ihdr = _chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
    itxt = _chunk(b"iTXt", b"openbadges\x00\x00\x00\x00\x00" + carrier.encode()) if carrier else b""
    idat = _chunk(b"IDAT", zlib.compress(b"\x00\x80"))
    return b"\x89PNG\r\n\x1a\n" + ihdr + itxt + idat + _chunk(b"IEND", b"")


def svg(assertion_url: str | None = None) -> bytes:
    """A tiny SVG, with an OB 2.0 ``openbadges:assertion`` element when a URL is given."""
    carrier = f'<openbadges:assertion verify="{assertion_url}"/>' if assertion_url else ""
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org" '
        f'width="10" height="10">{carrier}<rect width="10" height="10" fill="#c33"/></svg>'
    ).encode()


def multipart(fields: list[tuple[str, str | None, str | None, bytes]]) -> bytes:
    """A multipart/form-data body from ``(name, filename, content_type, data)``."""
    out = b""
    for name, filename, content_type, data in fields:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        out += f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n".encode()
        if content_type:
            out += f"Content-Type: {content_type}\r\n".encode()
        out += b"\r\n" + data + b"\r\n"
    return out + f"--{BOUNDARY}--\r\n".encode()


def _path_parameters(route: str, path: str) -> dict[str, str]:
    """The ``{name}`` (one segment) and ``{name+}`` (the rest) values of ``path`` under ``route``."""
    found: dict[str, str] = {}
    segments = path.split("/")
    for i, part in enumerate(route.split("/")):
        if part.startswith("{") and part.endswith("+}"):
            found[part[1:-2]] = "/".join(segments[i:])
            break
        if part.startswith("{"):
            found[part[1:-1]] = segments[i]
        elif part != segments[i]:
            raise ValueError(f"{path} is not under the route {route}")
    return found


def post_json(path: str, value: Any, **options: Any) -> dict[str, Any]:
    """A ``POST`` of ``value`` as an ``application/json`` body."""
    return event("POST", path, "application/json", json.dumps(value).encode(), False, **options)


def event(
    method: str,
    path: str,
    content_type: str | None,
    body: bytes | None,
    binary: bool,
    *,
    query: dict[str, str] | None = None,
    route: str | None = None,
    headers: dict[str, str] | None = None,
    authorizer: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A payload-2.0 event; ``route`` is the route key's path when it has ``{parameters}``."""
    path_parameters = _path_parameters(route, path) if route else None
    route = f"{method} {route or path}"
    base = {
        "accept": "*/*",
        "content-length": str(len(body or b"")),
        "host": "abc123defg.execute-api.us-east-1.amazonaws.com",
        "user-agent": "curl/8.5.0",
        "x-amzn-trace-id": "Root=1-67a1b2c3-0123456789abcdef01234567",
        "x-forwarded-for": "203.0.113.7",
        "x-forwarded-port": "443",
        "x-forwarded-proto": "https",
    }
    if content_type:
        base["content-type"] = content_type
    base.update(headers or {})
    out: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route,
        "rawPath": path,
        "rawQueryString": urlencode(query or {}),
        "headers": base,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123defg",
            "domainName": "abc123defg.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "abc123defg",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.7",
                "userAgent": "curl/8.5.0",
            },
            "requestId": "Jx4ZqhTmoAMEVNw=",
            "routeKey": route,
            "stage": "$default",
            "time": "28/Nov/2026:09:30:00 +0000",
            "timeEpoch": 1795858200000,
        },
        "isBase64Encoded": binary,
    }
    if authorizer is not None:
        out["requestContext"]["authorizer"] = {"lambda": dict(authorizer)}
    if query:
        out["queryStringParameters"] = dict(query)
    if path_parameters:
        out["pathParameters"] = dict(path_parameters)
    if body is not None:
        out["body"] = base64.b64encode(body).decode() if binary else body.decode()
    return out


#: The authorizer contexts the gateway passes on (what functions/authorizer answers).
ISSUER_KEY = {"keyId": "0123456789abcdef", "role": "issuer", "issuer": "acme"}
ADMIN_KEY = {"keyId": "fedcba9876543210", "role": "admin", "issuer": ""}


def authorizer_event(token: str) -> dict[str, Any]:
    """A REQUEST authorizer event (payload 2.0) for POST /issuers/acme/credentials."""
    request = event(
        "POST",
        "/issuers/acme/credentials",
        "application/json",
        None,
        False,
        route="/issuers/{issuer}/credentials",
        headers={"authorization": f"Bearer {token}"},
    )
    request["type"] = "REQUEST"
    request["routeArn"] = (
        "arn:aws:execute-api:us-east-1:123456789012:abc123defg/$default/POST/issuers/{issuer}/credentials"
    )
    request["identitySource"] = [f"Bearer {token}"]
    return request


def sqs_event(keys: list[str]) -> dict[str, Any]:
    """An SQS event whose messages are S3 ObjectCreated notifications for ``keys`` (as S3 sends them)."""
    records = []
    for number, key in enumerate(keys, start=1):
        notification = {
            "Records": [
                {
                    "eventVersion": "2.1",
                    "eventSource": "aws:s3",
                    "awsRegion": "us-east-1",
                    "eventTime": "2026-11-28T09:30:00.000Z",
                    "eventName": "ObjectCreated:Post",
                    "s3": {
                        "s3SchemaVersion": "1.0",
                        "configurationId": "uploads",
                        "bucket": {"name": "badgekiln-bucket", "arn": "arn:aws:s3:::badgekiln-bucket"},
                        "object": {"key": key, "size": 64, "eTag": "0123456789abcdef0123456789abcdef"},
                    },
                }
            ]
        }
        records.append(
            {
                "messageId": f"059f36b4-87a3-44ab-83d2-66197573195{number}",
                "receiptHandle": f"AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a{number}",
                "body": json.dumps(notification),
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": "1795858200000",
                    "SenderId": "AIDAIENQZJOLO23YVJ4VO",
                    "ApproximateFirstReceiveTimestamp": "1795858200001",
                },
                "messageAttributes": {},
                "md5OfBody": "e4e68fb7bd0e697a0ae8f1bb342846b3",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:badgekiln-UploadQueue",
                "awsRegion": "us-east-1",
            }
        )
    return {"Records": records}


def main() -> None:
    form = f"multipart/form-data; boundary={BOUNDARY}"
    fixtures = {
        "bake-multipart-png.json": event(
            "POST",
            "/bake",
            form,
            multipart(
                [("image", "badge.png", "image/png", png()), ("payload", None, None, ASSERTION_URL.encode())]
            ),
            True,
        ),
        "bake-json-svg.json": post_json(
            "/bake", {"image": base64.b64encode(svg()).decode(), "payload": CREDENTIAL, "spec": "ob3"}
        ),
        "bake-json-malformed.json": event("POST", "/bake", "application/json", b'{"image": "', False),
        "bake-json-missing-payload.json": post_json("/bake", {"image": base64.b64encode(png()).decode()}),
        "extract-png.json": event("POST", "/extract", "image/png", png(ASSERTION_URL), True),
        "extract-multipart-svg.json": event(
            "POST",
            "/extract",
            form,
            multipart([("image", "badge.svg", "image/svg+xml", svg(ASSERTION_URL))]),
            True,
        ),
        "extract-no-badge.json": event("POST", "/extract", "image/png", png(), True),
        "extract-wrong-content-type.json": event("POST", "/extract", "text/plain", b"hello", False),
        "docs.json": event("GET", "/docs", None, None, False),
        "render-svg.json": event("POST", "/render", "image/svg+xml", svg(), True, authorizer=ISSUER_KEY),
        "render-json-template.json": post_json(
            "/render",
            {
                "svg": '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100">'
                '<rect width="200" height="100" fill="#234"/>'
                '<text x="10" y="60" font-size="20" fill="#fff">{{recipient_name}}</text></svg>',
                "size": 100,
                "values": {"recipient_name": "Ada <Lovelace>"},
            },
            authorizer=ISSUER_KEY,
        ),
        "verify-json.json": event("POST", "/verify", "application/json", CREDENTIAL.encode(), False),
        "verify-multipart-png.json": event(
            "POST",
            "/verify",
            form,
            multipart(
                [
                    ("badge", "badge.png", "image/png", png(ASSERTION_URL)),
                    ("recipient", None, None, b"ann@example.org"),
                ]
            ),
            True,
        ),
        "verify-url.json": event("GET", "/verify", None, None, False, query={"url": ASSERTION_URL}),
        "verify-wrong-content-type.json": event("POST", "/verify", "text/html", b"<p>hi</p>", False),
        "authorizer-request.json": authorizer_event("bk_0123456789abcdef_" + "A" * 43),
        "issue-credential.json": post_json(
            "/issuers/acme/credentials",
            {"achievement": "teamwork", "recipient": "ada@example.org"},
            route="/issuers/{issuer}/credentials",
            headers={"idempotency-key": "order-17"},
            authorizer=ISSUER_KEY,
        ),
        "issue-revoke.json": post_json(
            "/issuers/acme/credentials/CREDENTIAL/revoke",
            {"reason": "issued in error"},
            route="/issuers/{issuer}/credentials/{credential}/revoke",
            authorizer=ISSUER_KEY,
        ),
        "issue-batch-csv.json": event(
            "POST",
            "/issuers/acme/batches",
            "text/csv",
            b"recipient,name\r\nada@example.org,Ada\r\nnot-an-email,Bob\r\n",
            False,
            query={"achievement": "teamwork"},
            route="/issuers/{issuer}/batches",
            authorizer=ISSUER_KEY,
        ),
        "issue-upload.json": post_json(
            "/issuers/acme/uploads",
            {"achievement": "teamwork", "format": "csv"},
            route="/issuers/{issuer}/uploads",
            authorizer=ISSUER_KEY,
        ),
        "admin-create-issuer.json": post_json(
            "/issuers",
            {"name": "Acme", "url": "https://acme.example", "slug": "acme"},
            authorizer=ADMIN_KEY,
        ),
        "admin-create-achievement.json": post_json(
            "/issuers/acme/achievements",
            {
                "name": "Teamwork",
                "slug": "teamwork",
                "description": "Works well with others.",
                "criteria": "Shipped a feature with a team.",
                "image": base64.b64encode(svg()).decode(),
            },
            route="/issuers/{issuer}/achievements",
            authorizer=ADMIN_KEY,
        ),
        "admin-create-api-key.json": post_json(
            "/api-keys",
            {"issuer": "acme", "label": "CI pipeline"},
            authorizer=ADMIN_KEY,
        ),
        "public-profile.json": event(
            "GET",
            "/issuers/acme/profile.json",
            None,
            None,
            False,
            route="/issuers/{issuer}/{proxy+}",
        ),
        "worker-sqs.json": sqs_event(["private/uploads/acme/UPLOAD.upload"]),
        "pages-home.json": event("GET", "/", None, None, False, headers={"accept": "text/html"}),
        "pages-check-no-badge.json": event(
            "POST", "/check", form, multipart([("file", "plain.png", "image/png", png())]), True
        ),
        "pages-verify.json": event(
            "GET",
            "/v/acme/ada-teamwork",
            None,
            None,
            False,
            route="/v/{issuer}/{credential}",
            headers={"accept": "text/html"},
        ),
    }
    for name, value in fixtures.items():
        (EVENTS / name).write_text(json.dumps(value, indent=2) + "\n", encoding="utf-8")
        print(f"wrote events/{name}")


if __name__ == "__main__":
    main()
