"""Write the merged OpenAPI document of every function to functions/docs/openapi.json.

    .venv/bin/python scripts/generate_openapi.py          # regenerate
    .venv/bin/python scripts/generate_openapi.py --check  # exit 1 if the checked-in file is stale

Powertools' ``OpenAPIMerge`` imports each ``functions/*/*_handler.py`` by file path and merges the
``app`` resolvers' schemas, and :func:`badgekiln.http.openapi.finish_document` adds what is shared
(the ``Problem`` component) and what API Gateway answers itself; nothing is deployed or called.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TARGET = REPO / "functions" / "docs" / "openapi.json"
TITLE = "badgekiln"
DESCRIPTION = (
    "Bake, extract, verify, issue and host Open Badges 2.0 and 3.0. Errors are RFC 9457 "
    "`application/problem+json` documents with a stable `code`."
)


def render() -> str:
    """The merged document as the exact text that is checked in."""
    sys.path.insert(0, str(REPO / "layers" / "badgekiln"))
    from aws_lambda_powertools.event_handler.openapi import OpenAPIMerge

    from badgekiln import __version__
    from badgekiln.http.openapi import finish_document

    merge = OpenAPIMerge(title=TITLE, version=__version__, description=DESCRIPTION, on_conflict="error")
    # Every handler module, added by path: discover() only finds files that call a resolver class
    # directly, and ours build theirs with badgekiln.http.make_resolver.
    for handler in sorted((REPO / "functions").glob("*/*_handler.py")):
        # functions without an HTTP resolver (the authorizer, the SQS worker) have no routes
        if "make_resolver(" in handler.read_text(encoding="utf-8"):
            merge.add_file(handler, resolver_name="app")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # OpenAPIMerge only warns when a handler fails to import
        document = finish_document(json.loads(merge.get_openapi_json_schema()))
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the checked-in file is stale")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else ""
        if current != text:
            print(f"{TARGET.relative_to(REPO)} is stale: run scripts/generate_openapi.py", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
