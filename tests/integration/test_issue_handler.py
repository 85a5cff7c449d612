"""The issue function with real API Gateway v2 events: issue, status changes, batches, uploads."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from issue import issue_handler

import badgekiln
from badgekiln.issue.batch import MAX_REQUEST_ROWS
from badgekiln.issue.uploads import get_upload
from badgekiln.store import Store
from tests.aws_support import mocked_aws
from tests.integration.conftest import Context, load_event, problem
from tests.integration.issuing import (
    ADMIN_KEY,
    OTHER_KEY,
    PUBLIC_URL,
    acme_fixture,  # noqa: F401  (fixture)
    answer,
    request,
    store_fixture,  # noqa: F401  (fixture)
)

pytestmark = pytest.mark.usefixtures("acme")


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    seen: list[tuple[str, int]] = []

    def count(self: object, name: str, value: int = 1, **dims: str) -> None:
        if name != "ColdStart":
            seen.append((name, value))

    monkeypatch.setattr(issue_handler.obs.__class__, "count", count)
    return seen


def issue(context: Context, **changes: Any) -> dict[str, Any]:
    result: dict[str, Any] = issue_handler.handler(request("issue-credential.json", **changes), context)
    return result


# --- POST /issuers/{issuer}/credentials ------------------------------------------------------------


def test_issue_answers_201_with_the_credential_its_url_and_image(
    context: Context, store: Store, counted: list[Any]
) -> None:
    # WHEN acme's key issues teamwork to ada
    response = issue(context)
    body = answer(response, 201)
    # THEN the credential is published where it says, and Location points there
    assert response["headers"]["Location"] == body["public_url"]
    assert body["public_url"].startswith(f"{PUBLIC_URL}/issuers/acme/credentials/")
    assert body["image_url"].endswith(".svg")
    assert (body["spec"], body["format"], body["replayed"]) == ("ob3", "di", False)
    assert body["credential"]["issuer"]["id"] == "did:web:badges.example.org:issuers:acme"
    assert store.head("public/" + body["public_url"].removeprefix(PUBLIC_URL + "/")).size > 0
    assert counted == [("BadgesIssued", 1)]


def test_same_idempotency_key_replays_200_and_another_body_is_409(
    context: Context, counted: list[Any]
) -> None:
    first = answer(issue(context), 201)
    again = answer(issue(context), 200)
    assert (again["id"], again["replayed"]) == (first["id"], True)
    assert counted == [("BadgesIssued", 1)]
    clash = problem(issue(context, body={"achievement": "teamwork", "recipient": "bob@example.org"}))
    assert (clash["status"], clash["code"], clash["reason"]) == (409, "conflict", "idempotency-mismatch")


def test_without_idempotency_key_each_request_is_a_new_credential(context: Context) -> None:
    event = request("issue-credential.json")
    del event["headers"]["idempotency-key"]
    first = answer(issue_handler.handler(event, context), 201)
    second = answer(issue_handler.handler(event, context), 201)
    assert first["id"] != second["id"]


def test_vc_jwt_and_ob2_options_pass_through(context: Context) -> None:
    jwt = answer(
        issue(context, body={"achievement": "teamwork", "recipient": "a@example.org", "proof": "jwt"}), 201
    )
    assert jwt["format"] == "jwt"
    assert isinstance(jwt["credential"], str)
    assert jwt["credential"].count(".") == 2
    event = request(
        "issue-credential.json",
        body={
            "achievement": "teamwork",
            "recipient": {"identity": "b@example.org", "hashed": False},
            "spec": "ob2",
        },
        headers={"idempotency-key": "ob2-1"},
    )
    ob2 = answer(issue_handler.handler(event, context), 201)
    assert (ob2["spec"], ob2["format"]) == ("ob2", "hosted")
    assert ob2["credential"]["recipient"]["identity"] == "b@example.org"


@pytest.mark.parametrize(
    ("key", "status", "code"),
    [(None, 401, "unauthorized"), (OTHER_KEY, 403, "unauthorized")],
    ids=["no-authorizer-context", "another-issuers-key"],
)
def test_keys_act_on_their_issuer_only(
    context: Context, key: dict[str, str] | None, status: int, code: str
) -> None:
    document = problem(issue(context, key=key))
    assert (document["status"], document["code"]) == (status, code)


def test_admin_key_may_issue_for_any_issuer(context: Context) -> None:
    assert answer(issue(context, key=ADMIN_KEY), 201)["issuer"] == "did:web:badges.example.org:issuers:acme"


def test_unknown_issuer_for_an_admin_is_404(context: Context) -> None:
    event = request(
        "issue-credential.json",
        key=ADMIN_KEY,
        path="/issuers/nobody/credentials",
        params={"issuer": "nobody"},
    )
    assert problem(issue_handler.handler(event, context))["status"] == 404


# --- status changes --------------------------------------------------------------------------------


def change(
    context: Context, name: str, action: str, body: Any = None, key: dict[str, str] | None = None
) -> dict[str, Any]:
    event = request(
        "issue-revoke.json",
        path=f"/issuers/acme/credentials/{name}/{action}",
        params={"issuer": "acme", "credential": name},
        key=key or {"keyId": "0123456789abcdef", "role": "issuer", "issuer": "acme"},
    )
    if body is not None:
        event["body"] = body
    result: dict[str, Any] = issue_handler.handler(event, context)
    return result


def test_revoke_suspend_reinstate(context: Context, counted: list[Any]) -> None:
    name = answer(issue(context), 201)["name"]
    counted.clear()
    suspended = answer(change(context, name, "suspend", json.dumps({"reason": "under review"})), 200)
    assert (suspended["state"], suspended["reason"]) == ("suspended", "under review")
    assert answer(change(context, name, "reinstate", ""), 200)["state"] == "active"
    revoked = answer(change(context, name, "revoke"), 200)
    assert (revoked["state"], revoked["reason"]) == ("revoked", "issued in error")
    final = problem(change(context, name, "reinstate", ""))
    assert (final["status"], final["reason"]) == (422, "revoked-final")
    assert counted == [("BadgesSuspended", 1), ("BadgesReinstated", 1), ("BadgesRevoked", 1)]


def test_revoked_credential_no_longer_verifies(context: Context, store: Store) -> None:
    # GIVEN an issued credential, verified against what the public function would serve
    from tests.integration.test_public_handler import served

    body = answer(issue(context), 201)
    credential = json.dumps(body["credential"])

    def check() -> badgekiln.Report:
        return badgekiln.verify(credential, offline=True, documents=served(store))

    assert check().valid
    # WHEN it is revoked through the API
    answer(change(context, body["name"], "revoke"), 200)
    # THEN the status list says so
    report = check()
    assert not report.valid
    assert report.check("status") is not None
    assert report.check("status").code == "revoked"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("case", "status", "detail"),
    [
        (("0f8fad5b-d9cb-469f-a165-70867728950e", "revoke", None), 404, "not-found"),
        (("CREDENTIAL", "revoke", '{"reason": ""}'), 422, "reason"),
        (("CREDENTIAL", "revoke", '{"reason": "x", "extra": 1}'), 422, "extra"),
        (("CREDENTIAL", "revoke", "{not json"), 400, "json"),
        (("CREDENTIAL", "reinstate", '{"reason": "why"}'), 422, "reason"),
    ],
    ids=["unknown", "blank-reason", "unknown-field", "bad-json", "reinstate-reason"],
)
def test_bad_status_changes(
    context: Context, case: tuple[str, str, str | None], status: int, detail: str
) -> None:
    name, action, body = case
    real = answer(issue(context), 201)["name"]
    document = problem(change(context, real if name == "CREDENTIAL" else name, action, body))
    assert document["status"] == status, document
    assert detail in (document.get("field"), document.get("reason"), document["code"]), document


# --- batches ---------------------------------------------------------------------------------------


def test_csv_batch_answers_a_result_per_row(context: Context, counted: list[Any]) -> None:
    body = answer(issue_handler.handler(request("issue-batch-csv.json"), context), 200)
    assert body["summary"] == {"rows": 2, "issued": 1, "replayed": 0, "failed": 1}
    ok, bad = body["results"]
    assert (ok["line"], ok["ok"]) == (1, True)
    assert ok["public_url"].startswith(PUBLIC_URL)
    assert (bad["line"], bad["ok"], bad["error"]["code"]) == (2, False, "invalid-field")
    assert bad["error"]["field"].startswith("recipient")
    # the same list a problem's errors member carries, not its Python repr
    assert isinstance(bad["error"]["errors"], list)
    assert bad["error"]["errors"][0]["loc"][0] == "recipient"
    assert counted == [("BadgesIssued", 1)]
    # the same file again replays what was issued
    assert (
        answer(issue_handler.handler(request("issue-batch-csv.json"), context), 200)["summary"]["replayed"]
        == 1
    )


def test_json_lines_batch(context: Context) -> None:
    event = request(
        "issue-batch-csv.json",
        body='{"recipient": "a@example.org"}\n\n{"recipient": "b@example.org", "narrative": "Led it."}\n',
        headers={"content-type": "application/jsonl"},
    )
    assert answer(issue_handler.handler(event, context), 200)["summary"]["issued"] == 2


def test_batch_options_are_read_from_the_query_string(context: Context) -> None:
    # the query is text: true/false are read as the options' booleans
    query = {"achievement": "teamwork", "spec": "ob2", "signed": "true"}
    event = request("issue-batch-csv.json", body="recipient\nada@example.org\n", query=query)
    (result,) = answer(issue_handler.handler(event, context), 200)["results"]
    assert result["id"].startswith("urn:uuid:")  # a signed OB 2.0 assertion
    bad = problem(
        issue_handler.handler(request("issue-batch-csv.json", query={**query, "signed": "maybe"}), context)
    )
    assert (bad["status"], bad["code"], bad["field"]) == (422, "invalid-field", "signed")


def test_batch_over_the_row_limit_points_at_uploads(context: Context) -> None:
    rows = "".join(f"u{n}@example.org\n" for n in range(MAX_REQUEST_ROWS + 1))
    document = problem(
        issue_handler.handler(request("issue-batch-csv.json", body="recipient\n" + rows), context)
    )
    assert (document["status"], document["code"]) == (413, "input-too-large")
    assert document["upload"] == "POST /issuers/{issuer}/uploads"


# --- uploads ---------------------------------------------------------------------------------------


@pytest.fixture
def s3_store(acme: Store, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    """acme's store copied into an in-process moto S3 bucket, named by BADGEKILN_STORE."""
    with mocked_aws(monkeypatch):
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="badgekiln-uploads")
        from badgekiln.store import open_store

        target = open_store("s3://badgekiln-uploads")
        for key in acme.list("p"):
            found = acme.get(key)
            target.put(key, found.body, content_type=found.content_type, cache_control=found.cache_control)
        monkeypatch.setenv("BADGEKILN_STORE", "s3://badgekiln-uploads")
        yield target


def test_upload_returns_a_presigned_post_and_a_waiting_job(context: Context, s3_store: Store) -> None:
    response = issue_handler.handler(request("issue-upload.json"), context)
    body = answer(response, 201)
    assert body["content_type"] == "text/csv"
    assert body["fields"]["key"] == f"private/uploads/acme/{body['upload']}.upload"
    assert body["fields"]["Content-Type"] == "text/csv"
    assert "policy" in body["fields"]
    assert any("signature" in name.lower() for name in body["fields"])
    assert response["headers"]["Location"] == body["status"] == f"/issuers/acme/uploads/{body['upload']}"
    # the job can be followed
    event = request(
        "issue-upload.json",
        path=body["status"],
        params={"issuer": "acme", "upload_id": body["upload"]},
        body="",
    )
    event["requestContext"]["http"]["method"] = "GET"
    event["routeKey"] = "GET /issuers/{issuer}/uploads/{upload_id}"
    job = answer(issue_handler.handler(event, context), 200)
    assert (job["state"], job["achievement"], job["format"]) == ("waiting", "teamwork", "csv")
    assert get_upload(s3_store, "acme", body["upload"])["id"] == body["upload"]


def _get(context: Context, path: str, params: dict[str, str], query: dict[str, str] | None = None) -> Any:
    route = path
    for name, value in params.items():
        route = route.replace(value, "{" + name + "}", 1)
    event = request("issue-upload.json", path=path, params=params, body="", query=query)
    event["requestContext"]["http"]["method"] = "GET"
    event["routeKey"] = f"GET {route}"
    return issue_handler.handler(event, context)


def test_an_uploads_results_are_paged_through_row_by_row(context: Context, s3_store: Store) -> None:
    from badgekiln.issue.uploads import process_upload

    body = answer(issue_handler.handler(request("issue-upload.json"), context), 201)
    upload = body["upload"]
    params = {"issuer": "acme", "upload_id": upload}
    results = f"/issuers/acme/uploads/{upload}/results"
    # not finished: nothing to page through yet
    assert problem(_get(context, results, params))["status"] == 409
    rows = b"email,external_id\nada@example.org,e-1\nnot-an-address,e-2\nbob@example.org,e-3\n"
    s3_store.put(body["fields"]["key"], rows, content_type="text/csv")
    process_upload(s3_store, body["fields"]["key"])
    job = answer(_get(context, f"/issuers/acme/uploads/{upload}", params), 200)
    assert job["results"] == results
    first = answer(_get(context, results, params, {"limit": "2"}), 200)
    assert [r["line"] for r in first["results"]] == [1, 2]
    assert first["results"][0]["verify_url"].startswith(f"{PUBLIC_URL}/v/acme/")
    rest = answer(_get(context, results, params, {"limit": "2", "cursor": first["next_cursor"]}), 200)
    assert ([r["line"] for r in rest["results"]], rest["next_cursor"]) == ([3], None)
    failed = answer(_get(context, results, params, {"ok": "false"}), 200)
    assert [r["line"] for r in failed["results"]] == [2]
    assert problem(_get(context, results, params, {"limit": "0"}))["status"] == 422


def test_upload_result_cursors_that_are_not_ours_are_refused(context: Context, s3_store: Store) -> None:
    from badgekiln.issue.uploads import process_upload, results_key

    # GIVEN a finished upload of three rows and the cursor of its first page
    body = answer(issue_handler.handler(request("issue-upload.json"), context), 201)
    upload = body["upload"]
    params = {"issuer": "acme", "upload_id": upload}
    results = f"/issuers/acme/uploads/{upload}/results"
    rows = b"email\nada@example.org\nbob@example.org\ncy@example.org\n"
    s3_store.put(body["fields"]["key"], rows, content_type="text/csv")
    process_upload(s3_store, body["fields"]["key"])
    first = answer(_get(context, results, params, {"limit": "1"}), 200)
    cursor = first["next_cursor"]
    assert cursor.startswith("r1")
    # a line number, as cursors were before, still goes on after its line
    old = answer(_get(context, results, params, {"cursor": "1"}), 200)
    assert ([r["line"] for r in old["results"]], old["next_cursor"]) == ([2, 3], None)
    # WHEN cursors that were altered, are garbage, or belong to results written again are sent
    altered = cursor[:-2] + ("AA" if cursor[-2:] != "AA" else "BB")
    for bad in (altered, "r1bm90LWEtY3Vyc29y", "no!such*cursor"):
        document = problem(_get(context, results, params, {"cursor": bad}))
        # THEN each is a problem naming the cursor, never a 500 or a wrong page
        assert (document["status"], document["code"], document["field"]) == (422, "invalid-field", "cursor")
    key = results_key("acme", upload)
    again = s3_store.get(key).body.replace(b'"line":1,', b'"line":1, ')  # the same rows, other bytes
    s3_store.put(key, again, content_type="application/jsonl")
    stale = problem(_get(context, results, params, {"cursor": cursor}))
    assert (stale["status"], stale["field"], stale["reason"]) == (422, "cursor", "cursor")


def test_credentials_are_read_back_and_listed(context: Context) -> None:
    issued = answer(issue(context, body={**CREDENTIAL_BODY, "external_id": "order-17"}), 201)
    assert issued["verify_url"] == f"{PUBLIC_URL}/v/acme/{issued['name']}"
    assert issued["external_id"] == "order-17"
    name = issued["name"]
    state = f"/issuers/acme/credentials/{name}/state"
    read = answer(_get(context, state, {"issuer": "acme", "credential": name}), 200)
    assert (read["name"], read["state"], read["external_id"]) == (name, "active", "order-17")
    assert read["urls"]["verify"] == issued["verify_url"]
    missing = _get(context, "/issuers/acme/credentials/nope/state", {"issuer": "acme", "credential": "nope"})
    assert problem(missing)["status"] == 404
    bob = {**CREDENTIAL_BODY, "recipient": "bob@example.org"}
    answer(issue(context, body=bob, headers={"idempotency-key": "bob-1"}), 201)
    listing = "/issuers/acme/credentials"
    everything = answer(_get(context, listing, {"issuer": "acme"}), 200)
    assert len(everything["credentials"]) == 2
    assert everything["next_cursor"] is None
    found = answer(_get(context, listing, {"issuer": "acme"}, {"external_id": "order-17"}), 200)
    assert [c["name"] for c in found["credentials"]] == [name]
    by_recipient = answer(_get(context, listing, {"issuer": "acme"}, {"recipient": "BOB@example.org"}), 200)
    assert len(by_recipient["credentials"]) == 1
    assert by_recipient["credentials"][0]["name"] != name
    paged = answer(_get(context, listing, {"issuer": "acme"}, {"limit": "1"}), 200)
    assert len(paged["credentials"]) == 1
    assert paged["next_cursor"] is not None
    assert problem(_get(context, listing, {"issuer": "acme"}, {"state": "lost"}))["status"] == 422
    # another issuer's key reads nothing of acme's
    event = request("issue-upload.json", path=listing, params={"issuer": "acme"}, body="", key=OTHER_KEY)
    event["requestContext"]["http"]["method"] = "GET"
    event["routeKey"] = "GET /issuers/{issuer}/credentials"
    assert problem(issue_handler.handler(event, context))["status"] == 403


def test_the_sample_read_back_events_answer(context: Context) -> None:
    # events/ holds what `sam local invoke -e` sends: a listing, and the state of a credential
    issued = answer(issue(context, body={**CREDENTIAL_BODY, "recipient": "ada@example.org"}), 201)
    listed = answer(issue_handler.handler(load_event("issue-list-credentials.json"), context), 200)
    assert [c["name"] for c in listed["credentials"]] == [issued["name"]]
    state = load_event("issue-credential-state.json")
    assert problem(issue_handler.handler(state, context))["status"] == 404  # no credential of that name


def test_upload_needs_an_s3_store(context: Context) -> None:
    document = problem(issue_handler.handler(request("issue-upload.json"), context))
    assert (document["status"], document["reason"]) == (503, "presign-unsupported")


# --- malformed requests ----------------------------------------------------------------------------

CREDENTIAL_BODY = {"achievement": "teamwork", "recipient": "ada@example.org"}

MALFORMED = [
    # (case, event, status, code, field-or-reason)
    (
        "wrong content type",
        request("issue-credential.json", headers={"content-type": "text/plain"}),
        415,
        "unsupported-media-type",
        None,
    ),
    ("bad JSON", request("issue-credential.json", body='{"achievement": '), 400, "invalid-input", "json"),
    (
        "huge JSON number",
        request("issue-credential.json", body='{"achievement": ' + "1" * 5000 + "}"),
        400,
        "invalid-input",
        "number",
    ),
    ("JSON array", request("issue-credential.json", body="[]"), 422, "invalid-field", None),
    (
        "missing recipient",
        request("issue-credential.json", body={"achievement": "teamwork"}),
        422,
        "invalid-field",
        "recipient",
    ),
    (
        "unknown field",
        request("issue-credential.json", body={**CREDENTIAL_BODY, "admin": True}),
        422,
        "invalid-field",
        "admin",
    ),
    (
        "bad email",
        request("issue-credential.json", body={**CREDENTIAL_BODY, "recipient": {"identity": "nope"}}),
        422,
        "invalid-field",
        None,
    ),
    (
        "naive valid_until",
        request("issue-credential.json", body={**CREDENTIAL_BODY, "valid_until": "2030-01-01T00:00:00"}),
        422,
        "invalid-field",
        "valid_until",
    ),
    (
        "past valid_until",
        request("issue-credential.json", body={**CREDENTIAL_BODY, "valid_until": "2001-01-01T00:00:00Z"}),
        422,
        "invalid-field",
        "valid_until",
    ),
    (
        "unknown achievement",
        request("issue-credential.json", body={**CREDENTIAL_BODY, "achievement": "nope"}),
        404,
        "not-found",
        None,
    ),
    (
        "proof on OB 2.0",
        request("issue-credential.json", body={**CREDENTIAL_BODY, "spec": "ob2", "proof": "jwt"}),
        422,
        "invalid-field",
        "proof",
    ),
    (
        "deep JSON",
        request("issue-credential.json", body="[" * 100 + "]" * 100),
        413,
        "input-too-large",
        "depth",
    ),
    (
        "huge body",
        request("issue-credential.json", body="x" * (4 * 1024 * 1024 + 1)),
        413,
        "input-too-large",
        None,
    ),
    (
        "long idempotency key",
        request("issue-credential.json", headers={"idempotency-key": "k" * 300}),
        422,
        "invalid-field",
        None,
    ),
    (
        "batch: wrong content type",
        request("issue-batch-csv.json", headers={"content-type": "application/json"}),
        415,
        "unsupported-media-type",
        None,
    ),
    ("batch: no achievement", request("issue-batch-csv.json", query={}), 422, "invalid-field", "achievement"),
    (
        "batch: unknown parameter",
        request("issue-batch-csv.json", query={"achievement": "teamwork", "x": "1"}),
        422,
        "invalid-field",
        "x",
    ),
    (
        "batch: bad option",
        request("issue-batch-csv.json", query={"achievement": "teamwork", "spec": "ob9"}),
        422,
        "invalid-field",
        "spec",
    ),
    (
        "batch: bad header",
        request("issue-batch-csv.json", body="name\nAda\n"),
        422,
        "invalid-field",
        "columns",
    ),
    (
        "batch: not UTF-8",
        {**request("issue-batch-csv.json"), "body": "/w==", "isBase64Encoded": True},
        400,
        "invalid-input",
        "utf-8",
    ),
    (
        "upload: unknown format",
        request("issue-upload.json", body={"achievement": "teamwork", "format": "xlsx"}),
        422,
        "invalid-field",
        "format",
    ),
    (
        "upload: unknown achievement",
        request("issue-upload.json", body={"achievement": "nope", "format": "csv"}),
        404,
        "not-found",
        None,
    ),
]


@pytest.mark.parametrize(
    ("event", "status", "code", "detail"), [m[1:] for m in MALFORMED], ids=[m[0] for m in MALFORMED]
)
def test_malformed_requests_are_4xx_problems(
    context: Context, event: dict[str, Any], status: int, code: str, detail: str | None
) -> None:
    document = problem(issue_handler.handler(event, context))
    assert (document["status"], document["code"]) == (status, code), document
    if detail is not None:
        assert detail in (document.get("field"), document.get("reason")), document


def test_events_fixture_has_the_gateway_shape() -> None:
    event = load_event("issue-credential.json")
    assert event["routeKey"] == "POST /issuers/{issuer}/credentials"
    assert event["pathParameters"] == {"issuer": "acme"}
    assert event["requestContext"]["authorizer"]["lambda"]["role"] == "issuer"
