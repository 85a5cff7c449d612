"""Each Lambda handler of functions/, from raw HTTP requests turned into API Gateway v2 events.

The input is an HTTP request as a client writes it — what API Gateway passes on is the client's::

    POST /issuers/{issuer}/credentials?x=1
    content-type: application/json
    x-fuzz-authorizer: issuer {issuer-key-id} {issuer}

    {"achievement": "{achievement}", "recipient": "ada@example.org"}

The harness builds the payload-2.0 event API Gateway would send (``rawPath``,
``rawQueryString``, decoded ``queryStringParameters``, lower-case ``headers`` joined with commas,
``cookies``, the body as text or base64 as the HTTP API does) and calls the function's ``handler``.
``x-fuzz-authorizer: <role> <keyId> <issuer>`` stands for the context the authorizer gives routes
behind it (absent: no context, as a route reached without the authorizer). Placeholders in braces
(``{issuer}``, ``{achievement}``, ``{credential}``, ``{credential-url}``, ``{admin-token}``,
``{issuer-token}``, ``{issuer-key-id}``, ``{admin-key-id}``, ``{upload-id}``, ``{upload-key}``)
anywhere in the request are replaced by names from the store, so seeds reach real documents
whichever store a run made. The authorizer gets the REQUEST-authorizer event of the same request.
The SQS-fed functions get an SQS event whose message body is the main part of a bundle
(:mod:`fuzz.harnesses.bundle`): for the worker, a section ``upload`` is first written where the
job's batch file would have been uploaded; the publisher's messages name status lists.

The store is a local directory standing in for the deployment's bucket (the worker takes S3
notifications for that bucket's objects as its own, and it hands out upload forms as S3 would): the
demo site (:func:`badgekiln.issue.demo.seed_demo`) plus an issuer key, an admin key, an upload
job and a revocation whose list is not published yet, built once per process and restored
before any case that follows a write, so a case never depends on the ones before it. Status
changes go through an SQS FIFO queue in moto (in-process), as deployed, emptied with the store. The
fetcher's network transport refuses every request (the verify function's own public URL is
answered from the store, as deployed).

Oracle: an HTTP answer must be a JSON-serialisable dict whose status is not 500 (a 500 is an
exception no door translated: the harness re-raises it, so the crash names where it came from);
the authorizer must answer allow or deny and never raise; the SQS-fed functions must report no
failed message (the store and signer are healthy, so every failure is a bug).
"""

from __future__ import annotations

import base64
import hashlib
import importlib
import json
import logging
import os
import shutil
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, ClassVar, Final
from urllib.parse import parse_qsl, quote_plus

from badgekiln.errors import BadgeKilnError, FetchRefused
from badgekiln.issue.statuslists import ListId
from badgekiln.issue.statusqueue import QUEUE_ENV
from badgekiln.store import LocalStore, Store, Write
from fuzz.harnesses import bundle
from fuzz.harnesses.seeds import EVENTS, REPO, scratch
from fuzz.oracle import OracleViolation

__all__ = ["LambdaContext", "make_target", "seeds", "setup"]

PUBLIC_URL: Final = "https://badges.example.org"
BUCKET: Final = "badgekiln-fuzz"
#: Content types API Gateway's HTTP API passes as text (everything else arrives base64-encoded).
_TEXT_TYPES: Final = (
    "text/",
    "application/json",
    "application/ld+json",
    "application/jwt",
    "application/vc+jwt",
    "application/x-www-form-urlencoded",
    "application/jsonl",
    "application/x-ndjson",
)


class SiteStore(LocalStore):
    """The deployment's bucket, on a local directory: named like it, and able to hand out upload
    forms (the harness then writes the upload itself, as the client's POST to S3 would).
    ``written`` says whether anything was written since the last restore."""

    written: ClassVar[bool] = True

    def _key_of(self, bucket: str, name: str) -> str | None:
        return name if bucket == BUCKET else None

    def _put(self, write: Write) -> str:
        SiteStore.written = True
        return super()._put(write)

    def _delete(self, key: str, if_match: str | None) -> None:
        SiteStore.written = True
        super()._delete(key, if_match)

    def _presign_upload(self, key: str, content_type: str, max_bytes: int, expires: int) -> dict[str, Any]:
        return {
            "url": f"https://{BUCKET}.s3.amazonaws.com/",
            "fields": {"key": key, "Content-Type": content_type, "policy": "fuzz", "x-amz-signature": "fuzz"},
        }


@dataclass
class Site:
    """The template store (built once), the working copy the handlers use, and the names seeds use."""

    template: Path
    working: Path
    names: dict[str, str]
    queue: Any = None  # the status queue's boto3 client, when there is one
    restores: int = 0

    def restore(self) -> None:
        """Make the working store the template again, if anything was written to it. Nothing
        reads the status queue, so it is only emptied now and then (by making it anew: moto
        allows one purge a minute), to keep its memory bounded."""
        if SiteStore.written:
            shutil.rmtree(self.working, ignore_errors=True)
            shutil.copytree(self.template, self.working)
            SiteStore.written = False
            self.restores += 1
            if self.queue is not None and self.restores % _QUEUE_RENEWAL == 0:
                self.queue = _status_queue(self.queue)

    def fill(self, text: str) -> str:
        if "{" not in text:
            return text
        for name, value in self.names.items():
            text = text.replace("{" + name + "}", value)
        return text

    def fill_bytes(self, data: bytes) -> bytes:
        if b"{" not in data:
            return data
        for name, value in self.names.items():
            data = data.replace(b"{" + name.encode() + b"}", value.encode())
        return data


_SITE: list[Site] = []
#: Restores of the store between two renewals of the status queue.
_QUEUE_RENEWAL: Final = 256
#: The functions fed by SQS (the rest by the HTTP API, and the authorizer by API Gateway).
_SQS: Final = frozenset({"worker", "publisher"})
_HANDLERS: dict[str, ModuleType] = {}


class _Unsent:
    """A status notifier whose message is still on its way: the change stays pending, for the
    publisher to publish."""

    def notify(self, store: Store, slug: str, number: ListId, *, again: bool = False) -> None:
        return None


def _build_site(root: Path) -> Site:
    from badgekiln.issue import issue_credential, revoke
    from badgekiln.issue.apikeys import create_api_key
    from badgekiln.issue.demo import seed_demo
    from badgekiln.issue.uploads import start_upload, upload_key

    template, working = root / "template", root / "working"
    store = SiteStore(str(template))
    demo = seed_demo(store, PUBLIC_URL)
    issuer, achievement = demo.issuer["slug"], demo.achievement["slug"]
    admin_token = demo.api_key or ""
    issuer_token, issuer_key = create_api_key(store, issuer=issuer, label="fuzz")
    upload = start_upload(store, issuer, {"achievement": achievement, "format": "csv"})
    pending = issue_credential(store, issuer, {"achievement": achievement, "recipient": "bob@example.org"})
    revoke(store, issuer, pending.name, reason="issued in error", notify=_Unsent())
    credential_url = demo.credential.public_url
    names = {
        "issuer": issuer,
        "achievement": achievement,
        "credential": demo.credential.name,
        "credential-url": credential_url,
        "admin-token": admin_token,
        "admin-key-id": demo.api_key_id,
        "issuer-token": issuer_token,
        "issuer-key-id": issuer_key.id,
        "upload-id": upload.id,
        "upload-key": upload_key(issuer, upload.id),
        "upload-key-quoted": quote_plus(upload_key(issuer, upload.id)),
    }
    site = Site(template, working, names)
    SiteStore.written = True
    site.restore()
    return site


def _refuse_network() -> None:
    """The fetcher's network transport refuses every request (a refusing transport)."""
    from badgekiln.fetch import _requests

    def refuse(self: object, request: Any) -> Any:
        raise FetchRefused(f"fuzzing: no network for {request.url}", url=request.url, reason="offline")

    _requests.RequestsTransport.handle = refuse  # type: ignore[method-assign]


def setup(variant: str) -> None:
    """Build the site, point the environment at it and refuse the network (once per process);
    import the handler."""
    if not _SITE:
        _SITE.append(_open_site())
    if variant and variant not in _HANDLERS:
        functions = str(REPO / "functions")
        if functions not in sys.path:
            sys.path.insert(0, functions)
        _HANDLERS[variant] = importlib.import_module(f"{variant}.{variant}_handler")


def _status_queue(client: Any = None) -> Any:
    """The status publisher's SQS FIFO queue, in moto (in-process, no socket), named in the
    environment as deployed: revocations queue their list and the publisher its next tick.
    Given the ``client`` of an existing one, make that queue anew (empty)."""
    import boto3

    if client is None:
        from moto import mock_aws

        mock_aws().start()
        client = boto3.client("sqs", region_name="us-east-1")
    else:
        client.delete_queue(QueueUrl=os.environ[QUEUE_ENV])
    created = client.create_queue(QueueName="badgekiln-status.fifo", Attributes={"FifoQueue": "true"})
    os.environ[QUEUE_ENV] = created["QueueUrl"]
    return client


def _open_site() -> Site:
    root = scratch("site")
    os.environ["BADGEKILN_PUBLIC_URL"] = PUBLIC_URL
    os.environ["BADGEKILN_SIGNING_KEYS"] = "local"
    os.environ["BADGEKILN_STORE"] = str(root / "working")
    queue = _status_queue()
    import badgekiln.store

    opened = badgekiln.store.open_store

    def open_store(url: str | None = None) -> Any:
        if url == str(root / "working"):
            return SiteStore(url)
        return opened(url)

    badgekiln.store.open_store = open_store
    _refuse_network()
    site = _build_site(root)
    site.queue = queue
    return site


class LambdaContext:
    """The Lambda context fields Powertools reads."""

    function_name = "badgekiln-fuzz"
    function_version = "$LATEST"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:badgekiln-fuzz"
    aws_request_id = "00000000-0000-4000-8000-000000000000"

    def get_remaining_time_in_millis(self) -> int:
        return 29_000


class _Captured(logging.Handler):
    """Keeps the exception a function logged as unhandled (what became its 500 answer)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.error: BaseException | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and record.exc_info[1] is not None and self.error is None:
            self.error = record.exc_info[1]


@dataclass(frozen=True)
class Request:
    method: str
    target: str
    headers: dict[str, str]
    authorizer: list[str] | None
    body: bytes


def parse_request(data: bytes, site: Site) -> Request:
    """The request ``data`` spells (any bytes are some request)."""
    head, separator, body = data.partition(b"\n\n")
    if not separator:
        head, separator, body = data.partition(b"\r\n\r\n")
    lines = head.decode("utf-8", "replace").replace("\r", "").split("\n")
    request_line = lines[0].split()
    method = request_line[0] if request_line else "GET"
    target = site.fill(request_line[1]) if len(request_line) > 1 else "/"
    headers: dict[str, str] = {}
    authorizer = None
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        name, value = name.strip().lower(), site.fill(value.strip())
        if not colon or not name:
            continue
        if name == "x-fuzz-authorizer":
            authorizer = value.split(" ")
        else:
            headers[name] = f"{headers[name]},{value}" if name in headers else value
    return Request(method, target, headers, authorizer, site.fill_bytes(body))


def http_event(request: Request) -> dict[str, Any]:
    """The API Gateway HTTP API (payload 2.0) event of ``request``."""
    path, _, query = request.target.partition("?")
    headers = dict(request.headers)
    http = {
        "method": request.method,
        "path": path,
        "protocol": "HTTP/1.1",
        "sourceIp": "203.0.113.7",
        "userAgent": headers.get("user-agent", "badgekiln-fuzz"),
    }
    context: dict[str, Any] = {
        "accountId": "123456789012",
        "apiId": "fuzz",
        "domainName": "badges.example.org",
        "domainPrefix": "badges",
        "http": http,
        "requestId": "fuzz-request",
        "routeKey": "$default",
        "stage": "$default",
        "time": "07/Dec/2026:06:00:00 +0000",
        "timeEpoch": 1796623200000,
    }
    if request.authorizer is not None:
        role, key_id, issuer = ([*request.authorizer, "", "", ""])[:3]
        context["authorizer"] = {"lambda": {"role": role, "keyId": key_id, "issuer": issuer}}
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path or "/",
        "rawQueryString": query,
        "headers": headers,
        "requestContext": context,
        "isBase64Encoded": False,
    }
    if "cookie" in headers:
        event["cookies"] = [c.strip() for c in headers.pop("cookie").split(";")]
    if query:
        parameters: dict[str, str] = {}
        for name, value in parse_qsl(query, keep_blank_values=True):
            parameters[name] = f"{parameters[name]},{value}" if name in parameters else value
        event["queryStringParameters"] = parameters
    if request.body:
        content_type = headers.get("content-type", "").lower()
        try:
            text = request.body.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        if text is not None and content_type.startswith(_TEXT_TYPES):
            event["body"] = text
        else:
            event["body"] = base64.b64encode(request.body).decode("ascii")
            event["isBase64Encoded"] = True
    return event


def _call_http(module: ModuleType, variant: str, request: Request) -> None:
    captured = _Captured()
    logger = logging.getLogger(variant)
    logger.addHandler(captured)
    try:
        response = module.handler(http_event(request), LambdaContext())
    finally:
        logger.removeHandler(captured)
    json.dumps(response)
    status = response.get("statusCode")
    if not isinstance(status, int):
        raise OracleViolation(f"the {variant} function answered without a status: {str(response)[:200]}")
    if status >= 500:
        if captured.error is not None:
            raise captured.error
        raise OracleViolation(f"the {variant} function answered {status}: {str(response.get('body'))[:300]}")


def _call_authorizer(module: ModuleType, request: Request) -> None:
    event = http_event(request)
    event.update(type="REQUEST", routeArn="arn:aws:execute-api:us-east-1:123456789012:fuzz/$default/POST/x")
    if "authorization" in request.headers:
        event["identitySource"] = [request.headers["authorization"]]
    try:
        answer = module.handler(event, LambdaContext())
    except BadgeKilnError as exc:
        raise OracleViolation(f"the authorizer raised {exc!r} instead of denying") from exc
    if not isinstance(answer.get("isAuthorized"), bool):
        raise OracleViolation(f"the authorizer answered {answer!r}")
    json.dumps(answer)


def _call_sqs(module: ModuleType, data: bytes, site: Site) -> None:
    main, sections = bundle.split(data)
    uploads = [body for name, body in sections if name == "upload"]
    if uploads:
        from badgekiln.store import open_store

        open_store(str(site.working)).put(site.names["upload-key"], uploads[0], content_type="text/csv")
    body = site.fill_bytes(main).decode("utf-8", "replace")
    record = {
        "messageId": "fuzz-message",
        "receiptHandle": "fuzz",
        "body": body,
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1796623200000"},
        "messageAttributes": {},
        "md5OfBody": hashlib.md5(body.encode("utf-8", "surrogatepass"), usedforsecurity=False).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:badgekiln-queue",
        "awsRegion": "us-east-1",
    }
    answer = module.handler({"Records": [record]}, LambdaContext())
    json.dumps(answer)
    if answer.get("batchItemFailures"):
        failed = [info[1] for info in getattr(module.processor, "exceptions", []) if info and info[1]]
        error = failed[0] if failed else None
        if error is not None and not isinstance(error, BadgeKilnError):
            raise error
        raise OracleViolation(f"the {module.__name__} function failed a message: {error!r}")


def make_target(variant: str) -> Callable[[bytes], None]:
    def target(data: bytes) -> None:
        setup(variant)
        site = _SITE[0]
        site.restore()
        module = _HANDLERS[variant]
        if variant in _SQS:
            _call_sqs(module, data, site)
        elif variant == "authorizer":
            _call_authorizer(module, parse_request(data, site))
        else:
            _call_http(module, variant, parse_request(data, site))

    return target


def _request_text(method: str, target: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    head = "\n".join([f"{method} {target}", *(f"{k}: {v}" for k, v in headers.items())])
    return head.encode("utf-8") + b"\n\n" + body


def _from_event(path: Path) -> tuple[str, bytes]:
    """A seed from an events/*.json file (API Gateway v2), with its names made placeholders."""
    event = json.loads(path.read_text("utf-8"))
    context = event.get("requestContext") or {}
    method = (context.get("http") or {}).get("method", "GET")
    target = event.get("rawPath", "/") + (
        f"?{event['rawQueryString']}" if event.get("rawQueryString") else ""
    )
    target = target.replace("/acme/", "/{issuer}/").replace("CREDENTIAL", "{credential}")
    target = target.replace("ada-teamwork", "{credential}")
    target = target.replace("achievement=teamwork", "achievement={achievement}")
    headers = {k: v for k, v in (event.get("headers") or {}).items() if k not in ("content-length", "host")}
    if "authorization" in headers:
        headers["authorization"] = "Bearer {issuer-token}"
    lam = (context.get("authorizer") or {}).get("lambda")
    if isinstance(lam, dict):
        if lam.get("role") == "admin":
            headers["x-fuzz-authorizer"] = "admin {admin-key-id} "
        else:
            headers["x-fuzz-authorizer"] = "issuer {issuer-key-id} {issuer}"
    raw = event.get("body") or ""
    body = base64.b64decode(raw) if event.get("isBase64Encoded") else raw.encode("utf-8")
    if path.name.startswith(("issue-", "render-")):
        body = body.replace(b'"teamwork"', b'"{achievement}"')
    return path.name, _request_text(method, target, headers, body)


_ISSUER = {"x-fuzz-authorizer": "issuer {issuer-key-id} {issuer}"}
_ADMIN = {"x-fuzz-authorizer": "admin {admin-key-id} "}
_JSON = {"content-type": "application/json"}


def _made(variant: str) -> Iterator[tuple[str, bytes]]:
    """Requests for the routes events/ does not cover, one or more per route of template.yaml."""
    credential = "{credential}"
    extra: dict[str, list[tuple[str, str, dict[str, str], bytes]]] = {
        "issue": [
            ("POST", f"/issuers/{{issuer}}/credentials/{credential}/suspend", {**_ISSUER, **_JSON}, b"{}"),
            ("POST", f"/issuers/{{issuer}}/credentials/{credential}/reinstate", {**_ISSUER, **_JSON}, b"{}"),
            ("GET", "/issuers/{issuer}/uploads/{upload-id}", _ISSUER, b""),
            (
                "POST",
                "/issuers/{issuer}/credentials",
                {**_ISSUER, **_JSON, "idempotency-key": "k-1"},
                b'{"achievement": "{achievement}", "recipient": {"identity": "ada@example.org",'
                b' "type": "email", "hashed": true, "name": "Ada"}, "spec": "ob3", "proof": "jwt",'
                b' "algorithm": "EdDSA", "evidence": [{"id": "https://ada.example/", "narrative": "x"}],'
                b' "valid_until": "2099-01-01T00:00:00Z"}',
            ),
            (
                "POST",
                "/issuers/{issuer}/batches?achievement={achievement}",
                {**_ISSUER, "content-type": "application/jsonl"},
                b'{"recipient": "ada@example.org", "name": "Ada"}\n{"recipient": "x"}\n',
            ),
        ],
        "admin": [
            ("GET", "/issuers", _ADMIN, b""),
            ("GET", "/issuers/{issuer}", _ADMIN, b""),
            ("GET", "/issuers/{issuer}/achievements", _ADMIN, b""),
            ("POST", "/issuers/{issuer}/keys", {**_ADMIN, **_JSON}, b'{"families": ["ed25519"]}'),
            ("DELETE", "/api-keys/{issuer-key-id}", _ADMIN, b""),
            ("POST", "/api-keys", {**_ADMIN, **_JSON}, b'{"issuer": "{issuer}", "label": "ci"}'),
        ],
        "public": [
            ("GET", "/.well-known/jwks.json", {}, b""),
            ("GET", "/issuers/{issuer}/did.json", {}, b""),
            ("GET", "/issuers/{issuer}/profile.json", {"accept": "text/html"}, b""),
            ("GET", "/issuers/{issuer}/ob2/issuer.json", {"accept": "application/json"}, b""),
            ("GET", "/issuers/{issuer}/ob2/revocations.json", {}, b""),
            ("GET", "/issuers/{issuer}/status/0/revocation.json", {"if-none-match": '"x"'}, b""),
            ("GET", "/issuers/{issuer}/achievements/{achievement}/achievement.json", {}, b""),
            (
                "GET",
                "/issuers/{issuer}/credentials/{credential}.json",
                {"accept": "text/html,*/*;q=0.1"},
                b"",
            ),
            ("GET", "/issuers/{issuer}/credentials/{credential}.png", {}, b""),
        ],
        "pages": [
            ("GET", "/check", {}, b""),
            ("GET", "/v/{issuer}/{credential}", {"accept-language": "en"}, b""),
            ("GET", "/v/{issuer}/{credential}/image.png", {}, b""),
            ("GET", "/static/favicon.svg", {}, b""),
            (
                "POST",
                "/v/{issuer}/{credential}",
                {"content-type": "application/x-www-form-urlencoded"},
                b"recipient=ada%40example.org",
            ),
        ],
        "docs": [("GET", "/docs/openapi.json", {}, b"")],
        "verify": [
            ("GET", "/verify?url={credential-url}&recipient=ada%40example.org", {}, b""),
            ("POST", "/verify?recipient=ada%40example.org", {"content-type": "application/jwt"}, b"a.b.c"),
        ],
        "authorizer": [
            ("POST", "/issuers/{issuer}/credentials", {"authorization": "Bearer {admin-token}"}, b""),
            ("GET", "/", {"authorization": "bearer   {issuer-token}  "}, b""),
            ("GET", "/", {"authorization": "Basic eDp5"}, b""),
        ],
    }
    for number, (method, target, headers, body) in enumerate(extra.get(variant, [])):
        yield f"made/{variant}-{number}", _request_text(method, target, headers, body)


def _worker_seeds() -> Iterator[tuple[str, bytes]]:
    event = json.loads((EVENTS / "worker-sqs.json").read_text("utf-8"))
    body = event["Records"][0]["body"].replace("private/uploads/acme/UPLOAD.upload", "{upload-key}")
    body = body.replace("badgekiln-bucket", BUCKET)
    rows = b"recipient,name,evidence\nada@example.org,Ada,https://ada.example/\nnot-an-email,Bob,\n"
    yield "events/worker-sqs.json", bundle.join(body.encode("utf-8"), [("upload", rows)])
    yield (
        "made/worker-test-event",
        b'{"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "' + BUCKET.encode() + b'"}',
    )
    quoted = body.replace("{upload-key}", "{upload-key-quoted}")
    yield (
        "made/worker-quoted",
        bundle.join(quoted.encode("utf-8"), [("upload", b"\xef\xbb\xbfrecipient\nx@example.org\n")]),
    )


def _publisher_seeds() -> Iterator[tuple[str, bytes]]:
    event = json.loads((EVENTS / "publisher-sqs.json").read_text("utf-8"))
    yield "events/publisher-sqs.json", event["Records"][0]["body"].replace('"acme"', '"{issuer}"').encode()
    yield "made/publisher-1", b'{"issuer": "{issuer}", "list": 1}'
    yield "made/publisher-other", b'{"list": 0, "issuer": "acme"}'


def seeds(variant: str) -> Iterator[tuple[str, bytes]]:
    if variant == "worker":
        yield from _worker_seeds()
        return
    if variant == "publisher":
        yield from _publisher_seeds()
        return
    prefix = "issue-" if variant == "issue" else f"{variant}-"
    for path in sorted(EVENTS.glob("*.json")):
        if path.name.startswith(prefix) or (
            variant == "authorizer" and path.name == "authorizer-request.json"
        ):
            yield _from_event(path)
    yield from _made(variant)
