"""Offline Open Badges 2.0 validation with the 1EdTech (IMS Global) validator core.

PyPI ``openbadges==1.1.2`` (Apache-2.0), run in its own virtualenv (``tests/interop/harness.py``
sets it up and runs this file with that environment's Python; never imported by badgekiln).

The validator fetches every node (assertion, BadgeClass, issuer Profile, keys, RevocationList,
images) and the JSON-LD context over HTTP with requests. This wrapper patches requests' transport
adapter so that:

* the JSON-LD contexts of ``--context-map`` (default: the repository's
  ``tests/vectors/context-url-map.json``) are answered from local files,
* ``--doc URL=PATH`` / ``--doc-prefix PREFIX=DIR`` are answered from local files,
* requests to 127.0.0.1 / localhost go to the real loopback network,
* everything else fails with a ConnectionError and is listed under ``details.network.refused``.
  Nothing leaves the machine.

Prints one JSON object ``{"valid": bool, "details": {...}}``; exit 0 valid, 1 invalid, 2 usage or
internal error.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.parse
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # offline.py, shared with obl
from offline import LocalDocuments, die, split_pair

HERE = Path(__file__).resolve().parent
CONTEXT_MAP = HERE.parent.parent / "vectors" / "context-url-map.json"
NETWORK: dict[str, list[str]] = {"served_local": [], "loopback": [], "refused": []}


def install_offline_transport(documents: LocalDocuments) -> None:
    import requests
    from requests.adapters import HTTPAdapter
    from requests.models import Response
    from requests.structures import CaseInsensitiveDict

    real_send = HTTPAdapter.send

    def send(self: HTTPAdapter, request: Any, **kwargs: Any) -> Any:
        url = request.url
        found = documents.find(url)
        if found is not None:
            path = found[0]
            NETWORK["served_local"].append(url)
            body = Path(path).read_bytes()
            response = Response()
            response.status_code = 200
            response._content = body
            response.url = url
            response.request = request
            response.encoding = "utf-8"
            if body.lstrip()[:1] in (b"{", b"["):
                content_type = "application/ld+json"
            elif body[:8] == b"\x89PNG\r\n\x1a\n":
                content_type = "image/png"
            elif path.endswith(".svg"):
                content_type = "image/svg+xml"
            else:
                content_type = "application/octet-stream"
            response.headers = CaseInsensitiveDict({"Content-Type": content_type})
            response.reason = "OK (local file)"
            response.connection = self
            return response
        host = urllib.parse.urlparse(url).hostname or ""
        if host in ("localhost", "::1") or host.startswith("127."):
            NETWORK["loopback"].append(url)
            if kwargs.get("timeout") is None:
                kwargs["timeout"] = 10
            return real_send(self, request, **kwargs)
        NETWORK["refused"].append(url)
        raise requests.ConnectionError(f"offline: no local file for {url}")

    HTTPAdapter.send = send  # type: ignore[method-assign]


def context_docs(context_map: Path) -> dict[str, str]:
    """JSON-LD context URL -> local file, from the map (paths relative to the map's folder)."""
    docs = {}
    for url, rel in json.loads(context_map.read_text("utf-8")).items():
        if not url.startswith("_") and (context_map.parent / rel).is_file():
            docs[url] = str((context_map.parent / rel).resolve())
    return docs


def main() -> int:
    parser = argparse.ArgumentParser(
        prog="ob2",
        description="Validate an Open Badges 2.0 assertion with the 1EdTech validator core "
        "(openbadges 1.1.2), offline.",
    )
    parser.add_argument(
        "input", help="hosted assertion URL, assertion JSON file, JWS file, baked PNG/SVG file, or -"
    )
    parser.add_argument("--recipient", help="expected recipient identifier (default type email)")
    parser.add_argument("--recipient-type", default="email", choices=["email", "url", "telephone", "id"])
    parser.add_argument("--doc", action="append", default=[], metavar="URL=PATH")
    parser.add_argument("--doc-prefix", action="append", default=[], metavar="PREFIX=DIR")
    parser.add_argument("--context-map", type=Path, default=CONTEXT_MAP, metavar="PATH")
    parser.add_argument("--input-type", choices=["auto", "url", "json", "jws", "image"], default="auto")
    parser.add_argument("--graph", action="store_true", help="include the validated graph")
    parser.add_argument("--debug", action="store_true", help="show the validator's own log")
    args = parser.parse_args()

    docs = context_docs(args.context_map)
    docs.update(split_pair(pair, "--doc") for pair in args.doc)
    prefixes = [split_pair(pair, "--doc-prefix") for pair in args.doc_prefix]
    install_offline_transport(LocalDocuments(docs, prefixes))

    import logging

    import openbadges

    if not args.debug:
        # the validator logs full tracebacks for failed tasks; they are in the report
        logging.getLogger("openbadges.verifier").setLevel(logging.CRITICAL)

    kind = args.input_type
    if args.input == "-":
        data = sys.stdin.buffer.read()
    elif args.input.startswith(("http://", "https://")):
        data = args.input.encode()
        kind = "url" if kind == "auto" else kind
    else:
        data = Path(args.input).read_bytes()
    if kind == "auto":
        head = data.lstrip()[:1]
        if data[:8] == b"\x89PNG\r\n\x1a\n" or head == b"<":
            kind = "image"
        elif head in (b"{", b"["):
            kind = "json"
        elif data.strip().startswith(b"http"):
            kind = "url"
        else:
            kind = "jws"
    if kind == "image" and args.input == "-":
        die("baked images must be given as a file path (the validator needs a named file)")
    recipient = {args.recipient_type: args.recipient} if args.recipient else None

    try:
        if kind == "image":
            with open(args.input, "rb") as image:
                result = openbadges.verify(image, recipient)
        else:
            result = openbadges.verify(data.decode("utf-8").lstrip("\ufeff").strip(), recipient)
    except Exception as exc:  # the validator raising instead of reporting
        failure = {
            "valid": False,
            "details": {
                "error": f"validator raised {type(exc).__name__}: {exc}",
                "input_kind": kind,
                "network": NETWORK,
            },
        }
        print(json.dumps(failure, indent=2, ensure_ascii=False, default=str))
        return 2

    report = result.get("report", {})
    out: dict[str, Any] = {
        "valid": bool(report.get("valid")),
        "tool": "openbadges (1EdTech validator core) 1.1.2",
        "input": args.input,
        "details": {
            "input_kind": kind,
            "validationSubject": report.get("validationSubject"),
            "openBadgesVersion": report.get("openBadgesVersion"),
            "recipientProfile": report.get("recipientProfile"),
            "errorCount": report.get("errorCount"),
            "warningCount": report.get("warningCount"),
            "messages": [
                {k: m.get(k) for k in ("messageLevel", "name", "result", "node_id") if m.get(k) is not None}
                for m in report.get("messages", [])
            ],
            "graph_ids": [n.get("id") for n in result.get("graph", [])],
            "network": NETWORK,
        },
    }
    if args.graph:
        out["details"]["graph"] = result.get("graph")
    print(json.dumps(out, indent=2, ensure_ascii=False, default=str))
    return 0 if out["valid"] else 1


if __name__ == "__main__":
    sys.exit(main())
