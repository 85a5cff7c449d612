"""Cold starts: every function's fresh-process init plus its first request, as Lambda pays them.

Run with ``make bench`` or ``.venv/bin/python bench/bench_coldstart.py [--quick] [--only NAME …]``.

Each run starts a new interpreter (``-S``, the layer and its dependencies on ``PYTHONPATH``, as
Lambda runs them from ``/opt/python``; the library compiled to unchecked-hash bytecode in a
scratch copy, as ``layers/badgekiln/Makefile`` builds the layer) that imports the function's
handler module (the init phase) and hands it one request from ``events/`` (the first invocation),
with the function's environment from ``template.yaml`` (as ``badgekiln serve`` reads it; the log
level raised to WARNING, the store and queue pointed at the moto server) and its S3 bucket on a
moto server over loopback (so boto3's import and client creation are paid where they would be,
and one S3 round trip is made; the store starts empty, so stateful routes answer 404 after reading
it). Reported per function, medians of several runs:

* ``process``: wall time from spawning the interpreter to its exit (Python's own start included),
  and ``cpu``, the CPU time it used (user + system): on a busy machine the wall time grows with
  the load and the CPU time hardly does, so ``cpu`` is the figure to compare between runs;
* ``init`` and ``first``: the import of the handler module and the first request, timed inside.

Targets (issue 13): process ≤ 350 ms on the development machine for every function. The figures
depend on the machine and its load (a shared 2-core machine: compare runs made together), on the
file-system cache (the first run of all is discarded as a warm-up) and on the installed versions.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path
from py_compile import PycInvalidationMode

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # tests.aws_support: the moto server
from badgekiln_server.gateway.template import load_template  # noqa: E402
from tests.aws_support import moto_server  # noqa: E402

BUCKET = "bench-coldstart"


@dataclass(frozen=True)
class Function:
    name: str
    event: str


FUNCTIONS = (
    Function("bake", "bake-multipart-png.json"),
    Function("extract", "extract-png.json"),
    Function("render", "render-svg.json"),
    Function("verify", "verify-json.json"),
    Function("authorizer", "authorizer-request.json"),
    Function("issue", "issue-credential.json"),
    Function("admin", "admin-create-issuer.json"),
    Function("public", "public-profile.json"),
    Function("docs", "docs.json"),
    Function("pages", "pages-verify.json"),
    Function("worker", "worker-sqs.json"),
    Function("publisher", "publisher-sqs.json"),
)

# The child: time the import (init) and the first invocation, print both as JSON.
CHILD = textwrap.dedent(
    """
    import json, sys, time
    start = time.perf_counter()
    sys.path.insert(0, sys.argv[1])
    module = __import__(sys.argv[2] + "_handler")
    ready = time.perf_counter()
    event = json.loads(open(sys.argv[3], encoding="utf-8").read())

    class Context:
        function_name = sys.argv[2]
        function_version = "$LATEST"
        memory_limit_in_mb = 1024
        invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:" + sys.argv[2]
        aws_request_id = "coldstart"

        def get_remaining_time_in_millis(self):
            return 29000

    answer = module.handler(event, Context())
    done = time.perf_counter()
    status = answer.get("statusCode", answer.get("isAuthorized", answer.get("batchItemFailures")))
    print(json.dumps({"init": ready - start, "first": done - ready, "status": str(status)}), file=sys.stderr)
    """
)


def _template_environments() -> dict[str, dict[str, str]]:
    """Each function's environment in template.yaml, by the name of its code directory."""
    app = load_template(REPO / "template.yaml", parameters={"SigningKeys": "local"})
    return {spec.code_dir.name: dict(spec.environment) for spec in app.functions.values()}


def _built_layer(scratch: Path) -> Path:
    """The library as the layer ships it (layers/badgekiln/Makefile): a copy compiled to
    unchecked-hash bytecode, so no run compiles it from source (``PYTHONDONTWRITEBYTECODE``, set
    on this machine, would otherwise make every run do so, as Lambda did before the Makefile)."""
    site = scratch / "python"
    shutil.copytree(
        REPO / "layers" / "badgekiln" / "badgekiln",
        site / "badgekiln",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    compileall.compile_dir(site, quiet=1, invalidation_mode=PycInvalidationMode.UNCHECKED_HASH)
    return site


def _environment(function: Function, endpoint: str, template: dict[str, str], layer: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "POWERTOOLS_", "BADGEKILN_", "PYDANTIC_"))
    }
    env.update(template)
    # the layer and its dependencies, as /opt/python is on Lambda
    env["PYTHONPATH"] = os.pathsep.join([str(layer), sysconfig.get_paths()["purelib"]])
    env.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ENDPOINT_URL=endpoint,
        POWERTOOLS_LOG_LEVEL="WARNING",
    )
    if "BADGEKILN_STORE" in template:
        env["BADGEKILN_STORE"] = f"s3://{BUCKET}"
    if "BADGEKILN_STATUS_QUEUE" in template:
        env["BADGEKILN_STATUS_QUEUE"] = f"{endpoint}/123456789012/bench-status.fifo"
    return env


def _cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _one(function: Function, env: dict[str, str]) -> tuple[float, float, float, float, str]:
    # -S: no site-packages processing, as Lambda runs the layer (/opt/python on PYTHONPATH, no
    # .pth files): here the editable install's finder alone cost every import ~100 ms
    command = [
        sys.executable,
        "-S",
        "-c",
        CHILD,
        str(REPO / "functions" / function.name),
        function.name,
        str(REPO / "events" / function.event),
    ]
    cpu = _cpu_of_children()
    start = time.perf_counter()
    done = subprocess.run(
        command,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    wall = time.perf_counter() - start
    cpu = _cpu_of_children() - cpu
    last = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else ""
    try:
        timings = json.loads(last)
    except ValueError:
        raise SystemExit(f"{function.name}: the child failed:\n{done.stderr[-2000:]}") from None
    return wall, cpu, timings["init"], timings["first"], timings["status"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="fewer runs")
    parser.add_argument("--only", nargs="*", help="function names")
    parser.add_argument(
        "--snapstart",
        action="store_true",
        help="init as SnapStart runs it (AWS_LAMBDA_INITIALIZATION_TYPE=snap-start): 'init' is then "
        "what the snapshot holds, 'first' what a restored environment still pays",
    )
    args = parser.parse_args()
    runs = 3 if args.quick else 7
    chosen = [f for f in FUNCTIONS if not args.only or f.name in args.only]
    import boto3

    with moto_server() as endpoint, tempfile.TemporaryDirectory(prefix="bench-coldstart-") as scratch:
        layer = _built_layer(Path(scratch))
        session = boto3.Session(
            region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
        )
        session.client("s3", endpoint_url=endpoint).create_bucket(Bucket=BUCKET)
        session.client("sqs", endpoint_url=endpoint).create_queue(
            QueueName="bench-status.fifo", Attributes={"FifoQueue": "true"}
        )
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
        head = f"{'function':11} {'process ms':>10} {'cpu ms':>7} {'init ms':>8} {'first ms':>9}  answer"
        print(head, "-" * len(head), sep="\n")
        templates = _template_environments()
        for function in chosen:
            env = _environment(function, endpoint, templates[function.name], layer)
            if args.snapstart:
                env["AWS_LAMBDA_INITIALIZATION_TYPE"] = "snap-start"
            _one(function, env)  # warm the file-system cache
            samples = [_one(function, env) for _ in range(runs)]
            wall, cpu, init, first = (statistics.median(float(s[i]) for s in samples) for i in range(4))
            print(
                f"{function.name:11} {wall * 1000:10.0f} {cpu * 1000:7.0f} {init * 1000:8.0f} "
                f"{first * 1000:9.0f}  {samples[0][4]}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
