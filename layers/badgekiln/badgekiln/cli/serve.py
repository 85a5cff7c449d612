"""``badgekiln serve``: run the API of template.yaml locally (see :mod:`badgekiln.serve`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

__all__ = ["register"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="serve the HTTP API of template.yaml locally",
        description="Serve every HttpApi route of template.yaml on the real handlers, as API Gateway would.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: %(default)s)")
    parser.add_argument(
        "--port", type=int, default=8080, help="port to bind, 0 for any (default: %(default)s)"
    )
    parser.add_argument("--store", help="store URL or directory for handlers (default: .badgekiln/store)")
    parser.add_argument("--public-url", help="base URL of hosted documents (default: the server's URL)")
    parser.add_argument(
        "--template", type=Path, default=Path("template.yaml"), help="SAM template (default: %(default)s)"
    )
    parser.set_defaults(handler=_serve)


def _announce(server: Any) -> None:
    # Issuing adds its demo here: seed an issuer, achievement and API key, then print them.
    routes = sorted(server.gateway.app.routes, key=lambda r: (r.path, r.method))
    print(f"badgekiln serve: {server.url}  (Swagger UI: {server.url}/docs)", flush=True)
    for route in routes:
        print(f"  {route.method:7} {route.path}  -> {route.function}", flush=True)


def _serve(args: argparse.Namespace) -> int:
    import logging

    from badgekiln.serve import ServeOptions, run

    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    options = ServeOptions(
        template=args.template, host=args.host, port=args.port, store=args.store, public_url=args.public_url
    )
    run(options, on_ready=_announce)
    return 0
