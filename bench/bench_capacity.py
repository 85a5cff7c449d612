"""Capacity and cost: what one verification and one issuance cost on AWS, from measured invocations.

Run with ``make bench`` or ``.venv/bin/python bench/bench_capacity.py [--quick] [--markdown]``;
docs/capacity.md quotes its output.

The Lambda handlers are called in-process with API Gateway events from ``events/``, warm (as a
busy deployment runs them), twice over:

* **counts**, against S3 and SQS in moto (in-process): every AWS request each invocation makes,
  by operation (botocore's ``before-call`` event), and every signature (one KMS ``Sign`` each
  when the issuer's key is in KMS);
* **durations**, against a local directory store on tmpfs, so moto's own CPU is not in them: the
  median wall time of one invocation on this machine.

Flows: an **issuance** (``POST /issuers/{issuer}/credentials``; the authorizer's answer is cached
by the gateway per API key, so it adds no invocation), and a **verification** of one of our own
OB 3.0 credentials (``POST /verify`` of the JSON a relying party holds; the issuer's DID document,
keys and status list come from the store through the site fetcher, as deployed), plus the
**hosted document** fetch (``GET`` through the public function, on a CloudFront miss).

Billed Lambda time is estimated as ``measured × slowdown + S3 waits``: ``slowdown`` is
1,769 MB ÷ the function's memory (Lambda gives one full vCPU at 1,769 MB; a Graviton core is taken
to be as fast as one of this machine's), and each S3 request adds its latency (GET 20 ms, PUT or
LIST 40 ms by default — all counted as sequential, an upper bound). Prices are us-east-1 on-demand,
without free tiers, read on the date in :data:`PRICES_READ` from the pages named there.
"""

from __future__ import annotations

import argparse
import collections
import copy
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from badgekiln_server.gateway.template import load_template  # noqa: E402
from bench.bench_transport import _Context  # noqa: E402  (the Lambda context fields Powertools reads)

BUCKET = "bench-capacity"
PUBLIC_URL = "https://badges.example.org"

#: When and where the prices below were read (us-east-1, on-demand, free tiers left out).
PRICES_READ = "2026-12-07"
PRICES: dict[str, tuple[float, str]] = {
    # name: (USD per unit, source)
    "lambda_request": (0.20 / 1e6, "https://aws.amazon.com/lambda/pricing/"),
    "lambda_arm_gb_s": (0.0000133334, "https://aws.amazon.com/lambda/pricing/ (Arm, first 7.5 billion GB-s)"),
    "http_api_request": (
        1.00 / 1e6,
        "https://aws.amazon.com/api-gateway/pricing/ (HTTP APIs, first 300 million)",
    ),
    "s3_put": (0.005 / 1000, "https://aws.amazon.com/s3/pricing/ (S3 Standard PUT, COPY, POST, LIST)"),
    "s3_get": (0.0004 / 1000, "https://aws.amazon.com/s3/pricing/ (S3 Standard GET, SELECT and others)"),
    "kms_sign_ecc": (
        0.15 / 10_000,
        "https://aws.amazon.com/kms/pricing/ (asymmetric requests except RSA 2048)",
    ),
    "cloudfront_request": (
        0.0100 / 10_000,
        "https://aws.amazon.com/cloudfront/pricing/ (HTTPS, United States)",
    ),
    "cloudfront_gb": (0.085, "https://aws.amazon.com/cloudfront/pricing/ (first 10 TB, United States)"),
    "sqs_fifo_request": (0.50 / 1e6, "https://aws.amazon.com/sqs/pricing/ (FIFO, first 100 billion)"),
}
FULL_VCPU_MB = 1769
#: S3 operations billed at the PUT rate (Tier 1); the rest at the GET rate. DeleteObject is free.
S3_TIER1 = frozenset(
    {"PutObject", "CopyObject", "ListObjectsV2", "ListObjects", "DeleteObjects", "CreateMultipartUpload"}
)
S3_FREE = frozenset({"DeleteObject"})


@dataclass
class Invocation:
    """What one invocation of one function did: AWS requests by operation, signatures, wall time."""

    function: str
    calls: collections.Counter[str]
    signatures: int
    seconds: float
    response_bytes: int


def _event(name: str, **changes: Any) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((REPO / "events" / name).read_text(encoding="utf-8"))
    event = copy.deepcopy(event)
    event.update(changes)
    return event


def _handler(function: str) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    directory = str(REPO / "functions" / function)
    if directory not in sys.path:
        sys.path.insert(0, directory)
    module = __import__(f"{function}_handler")
    handler: Callable[[dict[str, Any], Any], dict[str, Any]] = module.handler
    return handler


class _Meter:
    """Counts AWS requests (botocore ``before-call``) and signatures while a flow runs."""

    def __init__(self) -> None:
        self.calls: collections.Counter[str] = collections.Counter()
        self.signatures = 0

    def before_call(self, model: Any, **_: Any) -> None:
        self.calls[f"{model.service_model.service_name}:{model.name}"] += 1

    @contextmanager
    def signing(self) -> Iterator[None]:
        from badgekiln.keys import kms, local

        originals = {cls: cls.sign for cls in (local.LocalSigner, kms.KmsSigner)}

        def counted(original: Callable[..., bytes]) -> Callable[..., bytes]:
            def sign(signer: Any, message: bytes) -> bytes:
                self.signatures += 1
                return original(signer, message)

            return sign

        for cls, original in originals.items():
            cls.sign = counted(original)  # type: ignore[method-assign]
        try:
            yield
        finally:
            for cls, original in originals.items():
                cls.sign = original  # type: ignore[method-assign]


class Flows:
    """The three flows, each as one handler invocation (set-up done once through the handlers)."""

    def __init__(self, meter: _Meter) -> None:
        self.meter = meter
        self.issued = 0
        self._credential_path = ""
        self._credential_json = ""

    def _call(self, function: str, event: dict[str, Any]) -> Invocation:
        calls_before = collections.Counter(self.meter.calls)
        signatures_before = self.meter.signatures
        start = time.perf_counter()
        answer = _handler(function)(event, _Context())
        seconds = time.perf_counter() - start
        status = answer.get("statusCode")
        if not isinstance(status, int) or status >= 300:
            raise SystemExit(f"{function}: {status} {str(answer.get('body'))[:300]}")
        return Invocation(
            function,
            self.meter.calls - calls_before,
            self.meter.signatures - signatures_before,
            seconds,
            len(answer.get("body") or ""),
        )

    def set_up(self) -> None:
        self._call("admin", _event("admin-create-issuer.json"))
        self._call("admin", _event("admin-create-achievement.json"))
        self.issue()
        self.fetch_document()

    def issue(self) -> Invocation:
        self.issued += 1
        event = _event("issue-credential.json")
        event["headers"] = {**event["headers"], "idempotency-key": f"bench-{self.issued}"}
        event["body"] = json.dumps(
            {"achievement": "teamwork", "recipient": f"learner{self.issued}@example.org"}
        )
        return self._call("issue", event)

    def fetch_document(self) -> Invocation:
        from badgekiln.store import open_store

        if not self._credential_path:
            store = open_store(os.environ["BADGEKILN_STORE"])
            name = next(
                key for key in store.list("public/issuers/acme/credentials/") if key.endswith(".json")
            )
            self._credential_path = "/" + name.removeprefix("public/")
        event = _event(
            "public-profile.json",
            rawPath=self._credential_path,
            pathParameters={"issuer": "acme", "proxy": self._credential_path.split("/acme/", 1)[1]},
        )
        event["routeKey"] = "GET /issuers/{issuer}/{proxy+}"
        event["requestContext"] = {
            **event["requestContext"],
            "http": {**event["requestContext"]["http"], "path": self._credential_path},
        }
        done = self._call("public", event)
        answer = _handler("public")(event, _Context())
        body = answer["body"]
        if answer.get("isBase64Encoded"):
            import base64

            body = base64.b64decode(body).decode("utf-8")
        self._credential_json = body
        return done

    def verify(self) -> Invocation:
        event = _event("verify-json.json", body=self._credential_json)
        event["headers"] = {**event["headers"], "content-length": str(len(self._credential_json))}
        return self._call("verify", event)


def _aws_environment(endpoint_env: dict[str, str]) -> None:
    for name in list(os.environ):
        if name.startswith(("AWS_", "BADGEKILN_")):
            del os.environ[name]
    os.environ.update(endpoint_env)
    os.environ.update(
        BADGEKILN_PUBLIC_URL=PUBLIC_URL,
        BADGEKILN_SIGNING_KEYS="local",
        POWERTOOLS_LOG_LEVEL="ERROR",
        POWERTOOLS_METRICS_NAMESPACE="bench",
        POWERTOOLS_METRICS_DISABLED="true",
    )


def _count(runs: int) -> dict[str, list[Invocation]]:
    """Each flow's AWS requests and signatures, against S3 in moto."""
    import boto3
    from moto import mock_aws

    _aws_environment(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "BADGEKILN_STORE": f"s3://{BUCKET}",
        }
    )
    meter = _Meter()
    with mock_aws(), meter.signing():
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket=BUCKET)
        from badgekiln.http.environment import store

        store()._client.meta.events.register("before-call", meter.before_call)  # type: ignore[attr-defined]
        flows = Flows(meter)
        flows.set_up()
        found = {
            "issue": [flows.issue() for _ in range(runs)],
            "public": [flows.fetch_document() for _ in range(runs)],
            "verify": [flows.verify() for _ in range(runs)],
        }
    from badgekiln.http import environment

    environment._open.cache_clear()
    return found


def _time(runs: int) -> dict[str, list[Invocation]]:
    """Each flow's wall time per invocation, against a local store on tmpfs."""
    shm = "/dev/shm" if os.path.isdir("/dev/shm") else None
    with tempfile.TemporaryDirectory(prefix="bench-capacity-", dir=shm) as root:
        _aws_environment({"BADGEKILN_STORE": root})
        meter = _Meter()
        flows = Flows(meter)
        flows.set_up()
        for _ in range(3):  # warm every path
            flows.issue(), flows.fetch_document(), flows.verify()
        found: dict[str, list[Invocation]] = {"issue": [], "public": [], "verify": []}
        for _ in range(runs):  # interleaved, so drift hits all three alike
            found["issue"].append(flows.issue())
            found["public"].append(flows.fetch_document())
            found["verify"].append(flows.verify())
    from badgekiln.http import environment

    environment._open.cache_clear()
    return found


def _memory() -> dict[str, int]:
    app = load_template(REPO / "template.yaml", parameters={"SigningKeys": "local"})
    return {spec.code_dir.name: int(spec.memory) for spec in app.functions.values()}


@dataclass(frozen=True)
class Latency:
    get: float
    put: float


def _per_million(
    function: str,
    counted: list[Invocation],
    timed: list[Invocation],
    memory_mb: int,
    latency: Latency,
    *,
    kms: bool,
) -> tuple[dict[str, float], dict[str, float]]:
    """USD per million invocations by service, and the figures they come from."""
    price = {name: value for name, (value, _) in PRICES.items()}
    calls: collections.Counter[str] = collections.Counter()
    for one in counted:
        calls.update(one.calls)
    per_call = {name: count / len(counted) for name, count in calls.items()}
    s3_tier1 = sum(
        n for name, n in per_call.items() if name.split(":")[1] in S3_TIER1 and name.startswith("s3:")
    )
    s3_tier2 = sum(
        n
        for name, n in per_call.items()
        if name.startswith("s3:") and name.split(":")[1] not in S3_TIER1 | S3_FREE
    )
    sqs = sum(n for name, n in per_call.items() if name.startswith("sqs:"))
    signatures = sum(one.signatures for one in counted) / len(counted)
    measured = statistics.median(one.seconds for one in timed)
    slowdown = max(1.0, FULL_VCPU_MB / memory_mb)
    waits = s3_tier1 * latency.put + s3_tier2 * latency.get
    billed = measured * slowdown + waits
    response_kb = statistics.median(one.response_bytes for one in timed) / 1024
    million = 1e6
    cost = {
        "API Gateway": million * price["http_api_request"],
        "Lambda": million * (price["lambda_request"] + billed * memory_mb / 1024 * price["lambda_arm_gb_s"]),
        "S3": million * (s3_tier1 * price["s3_put"] + s3_tier2 * price["s3_get"]),
        "KMS": million * signatures * price["kms_sign_ecc"] if kms else 0.0,
        "SQS": million * sqs * price["sqs_fifo_request"],
        "CloudFront": million
        * (price["cloudfront_request"] + response_kb / 1024 / 1024 * price["cloudfront_gb"]),
    }
    figures = {
        "measured_ms": measured * 1000,
        "slowdown": slowdown,
        "s3_tier1": s3_tier1,
        "s3_tier2": s3_tier2,
        "sqs": sqs,
        "signatures": signatures,
        "billed_ms": billed * 1000,
        "memory_mb": memory_mb,
        "response_kb": response_kb,
    }
    return cost, figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="fewer invocations")
    parser.add_argument("--get-ms", type=float, default=20.0, help="S3 GET latency counted per GET")
    parser.add_argument("--put-ms", type=float, default=40.0, help="S3 PUT/LIST latency counted per request")
    args = parser.parse_args()
    runs = 20 if args.quick else 100
    latency = Latency(args.get_ms / 1000, args.put_ms / 1000)
    counted = _count(max(5, runs // 5))
    timed = _time(runs)
    memory = _memory()
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
        f"load {os.getloadavg()[0]:.1f}; {runs} invocations each"
    )
    print(f"prices: us-east-1 on-demand, read {PRICES_READ} (sources in bench/bench_capacity.py)\n")
    head = (
        f"{'function':8} {'MB':>5} {'measured ms':>11} {'billed ms':>9} {'S3 put/list':>11} "
        f"{'S3 get':>6} {'SQS':>4} {'signs':>5} {'answer KB':>9}"
    )
    print(head, "-" * len(head), sep="\n")
    results: dict[str, tuple[dict[str, float], dict[str, float]]] = {}
    for function in ("issue", "verify", "public"):
        results[function] = _per_million(
            function, counted[function], timed[function], memory[function], latency, kms=function == "issue"
        )
        f = results[function][1]
        print(
            f"{function:8} {f['memory_mb']:5.0f} {f['measured_ms']:11.1f} {f['billed_ms']:9.1f} "
            f"{f['s3_tier1']:11.2f} {f['s3_tier2']:6.2f} {f['sqs']:4.1f} {f['signatures']:5.1f} "
            f"{f['response_kb']:9.1f}"
        )
    print("\nAWS requests per invocation, by operation")
    for function in ("issue", "verify", "public"):
        total: collections.Counter[str] = collections.Counter()
        for one in counted[function]:
            total.update(one.calls)
        each = ", ".join(f"{name} {n / len(counted[function]):.2f}" for name, n in sorted(total.items()))
        print(f"  {function}: {each or 'none'}")
    services = ["API Gateway", "Lambda", "S3", "KMS", "SQS", "CloudFront"]
    print("\nUSD per million (every request through CloudFront, then the HTTP API)")
    print(f"{'flow':24} " + " ".join(f"{s:>11}" for s in services) + f" {'total':>8}")
    flows = {
        "issuance (KMS key)": results["issue"][0],
        "issuance (local key)": {**results["issue"][0], "KMS": 0.0},
        "verification": results["verify"][0],
        "hosted document (miss)": results["public"][0],
    }
    for name, cost in flows.items():
        print(f"{name:24} " + " ".join(f"{cost[s]:11.2f}" for s in services) + f" {sum(cost.values()):8.2f}")
    hit = PRICES["cloudfront_request"][0] * 1e6
    print(
        f"{'hosted document (hit)':24} "
        + " ".join(f"{(hit if s == 'CloudFront' else 0):11.2f}" for s in services)
        + f" {hit:8.2f}"
    )
    print("\nper-second ceilings (defaults; docs/capacity.md says how to raise each)")
    issue, verify = results["issue"][1], results["verify"][1]
    ceilings = [
        ("issuance", "KMS ECC Sign, 300/s per account and region", 300 / max(issue["signatures"], 1e-9)),
        ("issuance", "S3 3,500 PUT/s per prefix partition (one issuer)", 3500 / max(issue["s3_tier1"], 1e-9)),
        ("issuance", "550 unreserved concurrency (1,000 - caps)", 550 / (issue["billed_ms"] / 1000)),
        ("verification", "reserved concurrency 200", 200 / (verify["billed_ms"] / 1000)),
        (
            "verification",
            "S3 5,500 GET/s per prefix partition (one issuer)",
            5500 / max(verify["s3_tier2"], 1e-9),
        ),
    ]
    for flow, limit, rate in ceilings:
        print(f"  {flow:12} {limit:52} {rate:9,.0f}/s")
    print("  every route, HTTP API 10,000 requests/s per account and region (stage default 2,000)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
