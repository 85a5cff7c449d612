"""S3Store specifics: prefixes, paging, exact request parameters, error mapping, presigned uploads."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest

from badgekiln.errors import Conflict, InputTooLarge, InvalidField, NotFound, StoreError
from badgekiln.store import StoredObject
from tests.aws_support import mocked_aws

BUCKET = "badgekiln-test"


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    import boto3

    with mocked_aws(monkeypatch):
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


def make(client: Any, prefix: str = "") -> Any:
    from badgekiln.store.s3 import S3Store

    return S3Store(BUCKET, prefix, client=client)


def test_prefix_is_applied_and_isolates_tenants(s3: Any) -> None:
    a, b = make(s3, "tenant-a"), make(s3, "/tenant-b/")
    a.put("public/x.json", b"a", content_type="application/json")
    b.put("public/x.json", b"b", content_type="application/json")
    assert s3.get_object(Bucket=BUCKET, Key="tenant-a/public/x.json")["Body"].read() == b"a"
    assert (a.get("public/x.json").body, b.get("public/x.json").body) == (b"a", b"b")
    assert list(a.list("")) == ["public/x.json"]
    assert repr(b) == "S3Store('s3://badgekiln-test/tenant-b')"


def test_list_pages_and_skips_foreign_objects(s3: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from badgekiln.store import s3 as s3_module

    monkeypatch.setattr(s3_module, "_PAGE_SIZE", 2)
    store = make(s3)
    keys = [f"public/k{i}" for i in range(7)]
    for key in keys:
        store.put(key, b"x", content_type="text/plain")
    s3.put_object(Bucket=BUCKET, Key="public/not a key", Body=b"x")
    s3.put_object(Bucket=BUCKET, Key="elsewhere/x", Body=b"x")
    assert list(store.list("public/")) == keys
    assert list(store.list("")) == keys


def test_oversized_objects_are_refused_on_read(s3: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from badgekiln.store import s3 as s3_module

    store = make(s3)
    store.put("public/big", b"12345", content_type="text/plain")
    monkeypatch.setattr(s3_module, "MAX_OBJECT_BYTES", 4)
    with pytest.raises(StoreError) as caught:
        store.get("public/big")
    assert caught.value.reason == "too-large"


def test_put_sends_exact_conditional_headers() -> None:
    import boto3
    from botocore.stub import ANY, Stubber

    client = boto3.client("s3", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    store = make(client, "p")
    with Stubber(client) as stub:
        base = {"Bucket": BUCKET, "Key": "p/public/a", "Body": ANY, "ContentType": "text/plain"}
        stub.add_response("put_object", {"ETag": '"1"'}, {**base, "Metadata": {}, "IfNoneMatch": "*"})
        stub.add_response(
            "put_object",
            {"ETag": '"2"'},
            {**base, "Metadata": {"m": "v"}, "CacheControl": "no-cache", "IfMatch": '"1"'},
        )
        stub.add_response("delete_object", {}, {"Bucket": BUCKET, "Key": "p/public/a", "IfMatch": '"2"'})
        assert store.create("public/a", b"x", content_type="text/plain") == '"1"'
        assert (
            store.put(
                "public/a",
                b"y",
                content_type="text/plain",
                cache_control="no-cache",
                metadata={"m": "v"},
                if_match='"1"',
            )
            == '"2"'
        )
        store.delete("public/a", if_match='"2"')
        stub.assert_no_pending_responses()


def test_delete_many_sends_a_thousand_keys_a_request_and_reports_partial_failures() -> None:
    import boto3
    from botocore.stub import Stubber

    client = boto3.client("s3", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    store = make(client, "p")
    keys = [f"private/c/{n:04d}" for n in range(1_500)]

    def request(chunk: list[str]) -> dict[str, Any]:
        return {"Bucket": BUCKET, "Delete": {"Objects": [{"Key": f"p/{k}"} for k in chunk], "Quiet": True}}

    with Stubber(client) as stub:
        stub.add_response("delete_objects", {}, request(keys[:1000]))
        stub.add_response("delete_objects", {}, request(keys[1000:]))
        store.delete_many(keys)
        stub.assert_no_pending_responses()
    # S3 reports per-key failures inside a 200 answer: they are errors all the same
    failed = {"Errors": [{"Key": "p/private/c/0001", "Code": "AccessDenied", "Message": "Access Denied"}]}
    with Stubber(client) as stub:
        stub.add_response("delete_objects", failed, request(keys[:2]))
        with pytest.raises(StoreError) as caught:
            store.delete_many(keys[:2])
    assert caught.value.details == {"key": "private/c/0001", "aws_code": "AccessDenied", "failed": 1}
    with Stubber(client) as stub:
        stub.add_client_error("delete_objects", "AccessDenied", http_status_code=403)
        with pytest.raises(StoreError) as caught:
            store.delete_many(keys[:2])
    assert caught.value.details["aws_code"] == "AccessDenied"


@pytest.mark.parametrize(
    ("method", "code", "status", "error", "extra"),
    [
        ("put_object", "PreconditionFailed", 412, Conflict, {"reason": "precondition"}),
        ("put_object", "ConditionalRequestConflict", 409, Conflict, {"reason": "precondition"}),
        ("put_object", "AccessDenied", 403, StoreError, {"aws_code": "AccessDenied"}),
        ("put_object", "NoSuchBucket", 404, StoreError, {"aws_code": "NoSuchBucket"}),
        ("get_object", "NoSuchKey", 404, NotFound, {}),
        ("get_object", "NoSuchBucket", 404, StoreError, {"aws_code": "NoSuchBucket"}),
        ("get_object", "SlowDown", 503, StoreError, {"aws_code": "SlowDown", "status": 503}),
        ("head_object", "404", 404, NotFound, {}),
        ("head_object", "403", 403, StoreError, {"aws_code": "403"}),
        ("delete_object", "AccessDenied", 403, StoreError, {"aws_code": "AccessDenied"}),
        ("list_objects_v2", "AccessDenied", 403, StoreError, {"aws_code": "AccessDenied"}),
    ],
)
def test_client_errors_are_mapped(
    method: str, code: str, status: int, error: type, extra: dict[str, Any]
) -> None:
    import boto3
    from botocore.stub import Stubber

    client = boto3.client("s3", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    store = make(client)
    calls = {
        "put_object": lambda: store.put("public/a", b"x", content_type="text/plain"),
        "get_object": lambda: store.get("public/a"),
        "head_object": lambda: store.head("public/a"),
        "delete_object": lambda: store.delete("public/a"),
        "list_objects_v2": lambda: list(store.list("public/")),
    }
    with Stubber(client) as stub:
        stub.add_client_error(
            method, service_error_code=code, service_message="nope", http_status_code=status
        )
        with pytest.raises(error) as caught:
            calls[method]()
    assert type(caught.value) is error
    for name, value in extra.items():
        assert caught.value.details[name] == value


def test_a_missing_object_fails_an_if_match_write_as_conflict() -> None:
    import boto3
    from botocore.stub import Stubber

    client = boto3.client("s3", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    store = make(client)
    with Stubber(client) as stub:
        stub.add_client_error("put_object", service_error_code="NoSuchKey", http_status_code=404)
        with pytest.raises(Conflict) as caught:
            store.put("public/a", b"x", content_type="text/plain", if_match='"1"')
    assert caught.value.reason == "gone"


class Unreachable:
    """A client whose every call fails to connect, as botocore reports it."""

    def __getattr__(self, name: str) -> Any:
        from botocore.exceptions import EndpointConnectionError

        def fail(*args: Any, **kwargs: Any) -> Any:
            raise EndpointConnectionError(endpoint_url="http://127.0.0.1:9")

        return fail


def test_connection_failures_are_store_errors() -> None:
    store = make(Unreachable())
    for call in (
        lambda: store.get("public/a"),
        lambda: store.head("public/a"),
        lambda: store.put("public/a", b"x", content_type="text/plain"),
        lambda: store.delete("public/a"),
    ):
        with pytest.raises(StoreError) as caught:
            call()
        assert type(caught.value) is StoreError
        assert caught.value.reason == "connection"


def test_update_retries_on_409_conflict_from_s3(s3: Any) -> None:
    # GIVEN S3 answering the first conditional write with 409 ConditionalRequestConflict
    from botocore.exceptions import ClientError

    from badgekiln.store import RetryPolicy

    store = make(s3)
    store.put("public/s.json", b"[]", content_type="application/json")
    real_put = s3.put_object
    answers = iter([True])

    def flaky_put(**kwargs: Any) -> Any:
        if next(answers, False):
            raise ClientError(
                {
                    "Error": {"Code": "ConditionalRequestConflict", "Message": "busy"},
                    "ResponseMetadata": {"HTTPStatusCode": 409},
                },
                "PutObject",
            )
        return real_put(**kwargs)

    s3.put_object = flaky_put
    calls: list[StoredObject | None] = []

    def fn(current: StoredObject | None) -> bytes:
        calls.append(current)
        return b"[1]"

    # THEN the update retries and succeeds
    result = store.update("public/s.json", fn, content_type="application/json", retry=RetryPolicy(3, 0, 0))
    assert len(calls) == 2
    assert store.get("public/s.json").etag == result.etag


def test_put_refuses_oversized_bodies_before_any_request() -> None:
    from badgekiln.store.base import MAX_OBJECT_BYTES

    store = make(Unreachable())
    with pytest.raises(InputTooLarge):
        store.put("public/a", bytes(MAX_OBJECT_BYTES + 1), content_type="text/plain")


# --- presigned uploads -------------------------------------------------------------------------


def test_presigned_upload_form(s3: Any) -> None:
    store = make(s3, "tenant")
    form = store.presign_upload(
        "private/uploads/batch-1.csv", content_type="text/csv", max_bytes=1024, expires=60
    )
    assert set(form) == {"url", "fields"}
    assert form["fields"]["key"] == "tenant/private/uploads/batch-1.csv"
    assert form["fields"]["Content-Type"] == "text/csv"
    import base64
    import json

    policy = json.loads(base64.b64decode(form["fields"]["policy"]))
    assert ["content-length-range", 1, 1024] in policy["conditions"]
    assert {"Content-Type": "text/csv"} in policy["conditions"]


@pytest.mark.parametrize(
    ("key", "kwargs", "error"),
    [
        ("public/x.csv", {}, InvalidField),
        ("private/keys/x.pem", {}, InvalidField),
        ("private/uploads/../keys/x", {}, InvalidField),
        ("private/uploads/x.csv", {"content_type": "text/csv\r\nX: y"}, InvalidField),
        ("private/uploads/x.csv", {"max_bytes": 0}, ValueError),
        ("private/uploads/x.csv", {"max_bytes": 256 * 1024 * 1024 + 1}, ValueError),
        ("private/uploads/x.csv", {"expires": 0}, ValueError),
        ("private/uploads/x.csv", {"expires": 3601}, ValueError),
    ],
)
def test_presigned_upload_refuses(s3: Any, key: str, kwargs: dict[str, Any], error: type) -> None:
    args: dict[str, Any] = {"content_type": "text/csv", "max_bytes": 1024, **kwargs}
    with pytest.raises(error):
        make(s3).presign_upload(key, **args)


def test_large_bodies_stream_through(s3: Any) -> None:
    store = make(s3)
    body = bytes(range(256)) * 4096  # 1 MiB of every byte value
    etag = store.put("public/big.png", body, content_type="image/png", cache_control="public, max-age=60")
    got = store.get("public/big.png")
    assert (got.body, got.etag, got.content_type) == (body, etag, "image/png")


def test_get_range_asks_s3_for_the_range_only(s3: Any) -> None:
    # GIVEN a 1 MiB object under a prefix, and a hook that sees every GetObject
    store = make(s3, "tenant")
    body = bytes(range(256)) * 4096
    etag = store.put("private/big", body, content_type="application/octet-stream")
    sent: list[dict[str, Any]] = []
    s3.meta.events.register("before-call.s3.GetObject", lambda params, **_: sent.append(params))
    # WHEN 100 bytes are read from its middle
    got = store.get_range("private/big", 500_000, 100)
    # THEN one ranged GetObject fetched them, with the version they are of
    assert [params["headers"]["Range"] for params in sent] == ["bytes=500000-500099"]
    assert (got.body, got.size, got.etag, got.start) == (body[500_000:500_100], len(body), etag, 500_000)


def _range_answer(content_range: str | None, body: bytes, length: int) -> dict[str, Any]:
    from botocore.response import StreamingBody

    answer: dict[str, Any] = {
        "Body": StreamingBody(io.BytesIO(body), len(body)),
        "ETag": '"1"',
        "ContentLength": length,
    }
    if content_range is not None:
        answer["ContentRange"] = content_range
    return answer


@pytest.mark.parametrize(
    ("content_range", "body"),
    [
        (None, b"abcdefghij"),  # the range ignored: the whole object
        ("bytes 0-9/20", b"abcdefghij"),  # another range than asked for
        ("bytes 5-9/20", b"abc"),  # fewer bytes than it says
        ("bytes 5-14/20", b"x" * 10),  # more than asked for
        ("octets 5-9/20", b"fghij"),  # not a byte range
    ],
)
def test_get_range_refuses_an_answer_that_is_not_the_range(content_range: str | None, body: bytes) -> None:
    import boto3
    from botocore.stub import Stubber

    client = boto3.client("s3", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    store = make(client)
    with Stubber(client) as stub:
        stub.add_response("get_object", _range_answer(content_range, body, len(body)))
        with pytest.raises(StoreError) as caught:
            store.get_range("public/a", 5, 5)
    assert caught.value.reason == "range"


def test_get_range_of_an_empty_object_answered_whole() -> None:
    import boto3
    from botocore.stub import Stubber

    client = boto3.client("s3", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    store = make(client)
    with Stubber(client) as stub:
        stub.add_response("get_object", _range_answer(None, b"", 0))
        got = store.get_range("public/a", 0, 5)
    assert (got.body, got.size, got.etag) == (b"", 0, '"1"')


def test_get_range_past_an_end_that_moved_is_a_store_error() -> None:
    # S3 refused the range (416), but by the HeadObject that follows the object has grown past it
    import boto3
    from botocore.stub import Stubber

    client = boto3.client("s3", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    store = make(client)
    with Stubber(client) as stub:
        stub.add_client_error("get_object", service_error_code="InvalidRange", http_status_code=416)
        stub.add_response("head_object", {"ETag": '"2"', "ContentLength": 100})
        with pytest.raises(StoreError) as caught:
            store.get_range("public/a", 50, 5)
    assert caught.value.reason == "range"


@pytest.mark.parametrize(
    ("code", "status", "error"),
    [("NoSuchKey", 404, NotFound), ("SlowDown", 503, StoreError), ("AccessDenied", 403, StoreError)],
)
def test_get_range_errors_are_mapped(code: str, status: int, error: type) -> None:
    import boto3
    from botocore.stub import Stubber

    client = boto3.client("s3", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    store = make(client)
    with Stubber(client) as stub:
        stub.add_client_error("get_object", service_error_code=code, http_status_code=status)
        with pytest.raises(error) as caught:
            store.get_range("public/a", 0, 5)
    assert type(caught.value) is error
    with pytest.raises(StoreError) as unreachable:
        make(Unreachable()).get_range("public/a", 0, 5)
    assert unreachable.value.reason == "connection"
