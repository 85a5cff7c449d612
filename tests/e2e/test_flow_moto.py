"""The whole product over HTTP: ``badgekiln serve`` on an S3 store in ``moto_server``.

issue → fetch the public documents → download the baked image → ``POST /verify`` → revoke →
verify fails; OB 2.0 hosting (410 once revoked); authorization (401/403); the presigned upload
flow (POST to S3 → S3 event → SQS → worker → results); malformed requests over the wire.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from tests.e2e.moto_stack import Stack, stack_fixture  # noqa: F401  (fixture)

pytestmark = pytest.mark.e2e

BADGE_SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64">'
    b'<circle cx="32" cy="32" r="30" fill="#2a9d8f"/></svg>'
)


@pytest.fixture(scope="module")
def acme(stack: Stack) -> str:
    """Issuer acme (did:key, suspension on) with achievement teamwork; acme's own API key."""
    issuer = stack.call(
        "POST",
        "/issuers",
        stack.admin_token,
        json={
            "name": "Acme",
            "url": "https://acme.example",
            "slug": "acme",
            "kind": "key",
            "suspension": True,
        },
    )
    assert issuer.status_code == 201, issuer.text
    achievement = stack.call(
        "POST",
        "/issuers/acme/achievements",
        stack.admin_token,
        json={
            "name": "Teamwork",
            "slug": "teamwork",
            "description": "Works well with others.",
            "criteria": "Shipped a feature with a team.",
            "image": base64.b64encode(BADGE_SVG).decode(),
        },
    )
    assert achievement.status_code == 201, achievement.text
    key = stack.call("POST", "/api-keys", stack.admin_token, json={"issuer": "acme", "label": "e2e"})
    assert key.status_code == 201, key.text
    token: str = key.json()["token"]
    return token


def verify_image(stack: Stack, image: bytes, content_type: str) -> dict[str, Any]:
    response = stack.call("POST", "/verify", data=image, headers={"Content-Type": content_type})
    assert response.status_code == 200, response.text
    report: dict[str, Any] = response.json()
    return report


def test_issue_fetch_verify_revoke(stack: Stack, acme: str) -> None:
    # GIVEN a credential issued over HTTP with an idempotency key (a retry replays it)
    body = {"achievement": "teamwork", "recipient": "ada@example.org", "image": "png"}
    issued = stack.call(
        "POST", "/issuers/acme/credentials", acme, json=body, headers={"Idempotency-Key": "e2e-1"}
    )
    assert issued.status_code == 201, issued.text
    credential = issued.json()
    replay = stack.call(
        "POST", "/issuers/acme/credentials", acme, json=body, headers={"Idempotency-Key": "e2e-1"}
    )
    assert (replay.status_code, replay.json()["id"]) == (200, credential["id"])
    public_url = credential["public_url"]
    assert public_url.startswith(stack.api + "/issuers/acme/credentials/")

    # WHEN the public documents are fetched, as a verifier would
    hosted = stack.call("GET", public_url.removeprefix(stack.api))
    assert (hosted.status_code, hosted.headers["content-type"]) == (200, "application/ld+json")
    assert hosted.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert hosted.json() == credential["credential"]
    again = stack.call(
        "GET", public_url.removeprefix(stack.api), headers={"If-None-Match": hosted.headers["etag"]}
    )
    assert (again.status_code, again.content) == (304, b"")
    as_json = stack.call("GET", public_url.removeprefix(stack.api), headers={"Accept": "application/json"})
    assert as_json.headers["content-type"] == "application/json"
    status_url = credential["credential"]["credentialStatus"][0]["statusListCredential"]
    status = stack.call("GET", status_url.removeprefix(stack.api))
    assert (status.status_code, status.headers["cache-control"]) == (200, "public, max-age=60")
    for path in ("/.well-known/jwks.json", "/issuers/acme/achievements/teamwork/achievement.json"):
        assert stack.call("GET", path).status_code == 200, path
    image = stack.call("GET", credential["image_url"].removeprefix(stack.api))
    assert (image.status_code, image.headers["content-type"]) == (200, "image/png")

    # THEN the downloaded badge verifies (the verifier reads the status list from the server)
    report = verify_image(stack, image.content, "image/png")
    assert report["valid"] is True, report
    assert (report["spec"], report["format"], report["proof"]) == ("ob3", "png", "eddsa-rdfc-2022")
    # and for the right recipient only
    ada = stack.call(
        "POST", "/verify?recipient=ada@example.org", data=image.content, headers={"Content-Type": "image/png"}
    )
    bob = stack.call(
        "POST", "/verify?recipient=bob@example.org", data=image.content, headers={"Content-Type": "image/png"}
    )
    assert (ada.json()["valid"], bob.json()["valid"]) == (True, False)

    # WHEN it is revoked
    revoked = stack.call(
        "POST",
        f"/issuers/acme/credentials/{credential['name']}/revoke",
        acme,
        json={"reason": "issued in error"},
    )
    assert (revoked.status_code, revoked.json()["state"]) == (200, "revoked")
    # THEN the same image no longer verifies, and the report says why
    report = verify_image(stack, image.content, "image/png")
    failed = {c["id"]: c["code"] for c in report["checks"] if c["status"] == "failed"}
    assert (report["valid"], failed) == (False, {"status": "revoked"})


def test_ob2_hosted_assertion_is_gone_once_revoked(stack: Stack, acme: str) -> None:
    body = {"achievement": "teamwork", "recipient": {"identity": "grace@example.org"}, "spec": "ob2"}
    issued = stack.call("POST", "/issuers/acme/credentials", acme, json=body).json()
    url = issued["public_url"]
    assert stack.call("GET", url.removeprefix(stack.api)).status_code == 200
    assert stack.call("GET", "/verify", params={"url": url}).json()["format"] == "url"
    stack.call(
        "POST", f"/issuers/acme/credentials/{issued['name']}/revoke", acme, json={"reason": "withdrawn"}
    )
    gone = stack.call("GET", url.removeprefix(stack.api))
    assert (gone.status_code, gone.json()["revoked"]) == (410, True)
    report = stack.call("GET", "/verify", params={"url": url}).json()
    status = next(c for c in report["checks"] if c["id"] == "status")
    assert (report["valid"], status["status"], status["code"]) == (False, "failed", "revoked")


def test_authorization(stack: Stack, acme: str) -> None:
    other = stack.call(
        "POST",
        "/issuers",
        stack.admin_token,
        json={"name": "Other", "url": "https://o.example", "slug": "other", "kind": "key"},
    )
    assert other.status_code == 201
    body = {"achievement": "teamwork", "recipient": "ada@example.org"}
    # missing key: the gateway answers 401 without asking the authorizer
    missing = stack.call("POST", "/issuers/acme/credentials", json=body)
    assert (missing.status_code, missing.json()) == (401, {"message": "Unauthorized"})
    # a key that is not one: 403, as API Gateway answers a deny
    forged = "bk_0123456789abcdef_" + "A" * 43
    for bad in (forged, acme[:-1] + ("A" if acme[-1] != "A" else "B"), "not-a-key"):
        denied = stack.call("POST", "/issuers/acme/credentials", bad, json=body)
        assert (denied.status_code, denied.json()) == (403, {"message": "Forbidden"}), bad
    # acme's key, another issuer or an admin route: 403 problems from the functions
    wrong = stack.call("POST", "/issuers/other/credentials", acme, json=body)
    assert (wrong.status_code, wrong.json()["code"], wrong.json()["reason"]) == (403, "unauthorized", "scope")
    admin_only = stack.call("POST", "/api-keys", acme, json={"admin": True})
    assert admin_only.status_code == 403
    assert stack.call("GET", "/issuers", acme).status_code == 403
    # the admin key acts on every issuer
    assert stack.call("GET", "/issuers/other", stack.admin_token).json()["slug"] == "other"


def test_presigned_upload_is_issued_by_the_worker(stack: Stack, acme: str) -> None:
    import requests

    # GIVEN a presigned upload
    started = stack.call(
        "POST", "/issuers/acme/uploads", acme, json={"achievement": "teamwork", "format": "csv"}
    )
    assert started.status_code == 201, started.text
    form = started.json()
    rows = b"recipient,name\nann@example.org,Ann\nnot-an-email,X\nbea@example.org,Bea\n"
    # WHEN the file is POSTed straight to S3 with the form
    posted = requests.post(
        form["url"], data=form["fields"], files={"file": ("rows.csv", rows, form["content_type"])}, timeout=60
    )
    assert posted.status_code in (200, 201, 204), posted.text
    waiting = stack.call("GET", form["status"], acme).json()
    assert waiting["state"] == "waiting"
    # THEN S3's event reaches the queue, and the worker issues every row
    run = stack.run_worker()
    assert (run["records"], run["batchItemFailures"]) == (1, [])
    job = stack.call("GET", form["status"], acme).json()
    assert job["state"] == "done", job
    assert job["summary"] == {"rows": 3, "issued": 2, "replayed": 0, "failed": 1}
    assert [f["line"] for f in job["failures"]] == [2]
    # a second run finds nothing more to do
    assert stack.run_worker()["records"] == 0
    # the results page through ranged reads of S3 over the wire, and a cursor altered is refused
    first = stack.call("GET", job["results"], acme, params={"limit": "2"}).json()
    assert [r["line"] for r in first["results"]] == [1, 2]
    rest = stack.call(
        "GET", job["results"], acme, params={"limit": "2", "cursor": first["next_cursor"]}
    ).json()
    assert ([r["line"] for r in rest["results"]], rest["next_cursor"]) == ([3], None)
    cursor = first["next_cursor"]
    altered = cursor[:4] + ("A" if cursor[4] != "A" else "B") + cursor[5:]  # a whole character of it
    refused = stack.call("GET", job["results"], acme, params={"cursor": altered})
    assert (refused.status_code, refused.json()["field"]) == (422, "cursor")


def test_upload_form_pins_key_type_and_size(stack: Stack, acme: str) -> None:
    # S3 enforces the signed policy; moto 5.2.5 does not (it stores whatever is posted), so the
    # policy itself is checked here
    form = stack.call(
        "POST", "/issuers/acme/uploads", acme, json={"achievement": "teamwork", "format": "jsonl"}
    ).json()
    policy = json.loads(base64.b64decode(form["fields"]["policy"]))
    conditions = policy["conditions"]
    assert {"key": form["fields"]["key"]} in conditions
    assert {"Content-Type": "application/jsonl"} in conditions
    assert ["content-length-range", 1, 16 * 1024 * 1024] in conditions
    assert form["fields"]["key"].startswith("private/uploads/acme/")
    assert form["expires_in"] == 900


TRUNCATED_FORM = b'--xyz\r\nContent-Disposition: form-data; name="badge"\r\n\r\nabc'
SVG_BOMB = b'<!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><svg xmlns="http://www.w3.org/2000/svg">&b;</svg>'


@pytest.mark.parametrize(
    ("call", "status"),
    [
        (("POST", "/verify", {"Content-Type": "text/html"}, b"<p>hi</p>"), 415),
        (("POST", "/verify", {"Content-Type": "image/svg+xml"}, SVG_BOMB), 422),
        (("POST", "/verify", {"Content-Type": "image/png"}, b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR"), 422),
        (("POST", "/verify", {"Content-Type": "application/json"}, b'{"@context": '), 422),
        (("POST", "/verify", {"Content-Type": "multipart/form-data; boundary=xyz"}, TRUNCATED_FORM), 400),
        (("POST", "/verify", {"Content-Type": "image/png"}, b"\x89PNG" + b"\x00" * (4 * 1024 * 1024)), 413),
        (("GET", "/verify?url=file:///etc/passwd", {}, b""), 422),
        (("POST", "/bake", {"Content-Type": "application/json"}, b"[" * 500 + b"]" * 500), 413),
        (("POST", "/issuers/acme/credentials", {"Content-Type": "application/json"}, b"{bad"), 400),
        (("POST", "/issuers/acme/credentials", {"Content-Type": "text/csv"}, b"recipient\n"), 415),
        (
            ("POST", "/issuers/acme/batches?achievement=teamwork", {"Content-Type": "text/csv"}, b"name\n"),
            422,
        ),
        (("GET", "/issuers/acme/../../private/api-keys/x.json", {}, b""), 404),
        (("GET", "/issuers/acme/credentials/nope.json", {}, b""), 404),
    ],
    ids=[
        "verify-wrong-type",
        "verify-entity-bomb",
        "verify-truncated-png",
        "verify-bad-json",
        "verify-truncated-multipart",
        "verify-huge",
        "verify-file-url",
        "bake-deep-json",
        "issue-bad-json",
        "issue-wrong-type",
        "batch-bad-header",
        "public-traversal",
        "public-missing",
    ],
)
def test_malformed_requests_over_http_are_4xx_problems(
    stack: Stack, acme: str, call: tuple[str, str, dict[str, str], bytes], status: int
) -> None:
    method, path, headers, body = call
    token = acme if path.startswith("/issuers/acme/credentials") or "batches" in path else None
    response = stack.call(method, path, token, data=body, headers=headers)
    assert response.status_code == status, response.text[:300]
    if response.status_code == 404 and "../" in path:
        return  # the client normalises the dots away: a plain not-found either way
    assert response.headers["content-type"] == "application/problem+json", response.text[:300]
    problem = response.json()
    assert problem["status"] == status
    assert "Traceback" not in response.text


def test_body_over_the_gateway_limit_is_refused_unread(stack: Stack) -> None:
    response = stack.call(
        "POST", "/verify", data=b"\x00" * (10 * 1024 * 1024 + 1), headers={"Content-Type": "image/png"}
    )
    assert (response.status_code, response.json()) == (413, {"message": "Request Entity Too Large"})


def test_openapi_lists_every_route_of_the_template(stack: Stack) -> None:
    document = stack.call("GET", "/docs/openapi.json").json()
    paths = set(document["paths"])
    documented = {
        "BakeFunction",
        "ExtractFunction",
        "RenderFunction",
        "VerifyFunction",
        "IssueFunction",
        "AdminFunction",
    }
    for route in stack.server.gateway.app.routes:
        if route.function in documented:
            assert route.path in paths, route
    scheme = document["components"]["securitySchemes"]["apiKey"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert document["paths"]["/issuers/{issuer}/credentials"]["post"]["security"] == [{"apiKey": []}]
    assert "security" not in document["paths"]["/verify"]["post"]
