"""``badgekiln serve``: run the API of template.yaml locally (see :mod:`badgekiln_server.serve`).

The server is a development extra, not part of the library's Lambda layer: without it the
command says how to install it (``pip install 'badgekiln[server]'``) and exits 2.

On start it seeds a demo into the store once (:func:`badgekiln.issue.seed_demo`: an issuer, an
achievement, a sample credential and an admin API key) and prints where everything is. The API
key is printed on the first run only (only its hash is stored); ``--new-api-key`` makes and
prints another one. Secrets go to standard output in this announcement only, never to the logs.
"""

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
        "--template",
        type=Path,
        help="SAM template (default: the template.yaml of the source tree badgekiln is installed from)",
    )
    parser.add_argument(
        "--new-api-key",
        action="store_true",
        help="make a new admin API key for the demo and print it (the first run prints one anyway)",
    )
    parser.add_argument("--no-demo", action="store_true", help="do not seed or print the demo")
    parser.set_defaults(handler=_serve)


def _announce(server: Any) -> None:
    routes = sorted(server.gateway.app.routes, key=lambda r: (r.path, r.method))
    print(f"badgekiln serve: {server.url}  (Swagger UI: {server.url}/docs)", flush=True)
    for route in routes:
        print(f"  {route.method:7} {route.path}  -> {route.function}", flush=True)


#: The pages function's verify page of a hosted credential, when the template serves it.
VERIFY_PAGE_ROUTE = "/v/{issuer}/{credential}"


def demo_lines(
    store_url: str, public_url: str, *, new_api_key: bool = False, verify_page: bool = False
) -> list[str]:
    """Seed the demo (once) in the store at ``store_url`` and describe it for a person.

    ``verify_page``: link the pages function's verify page (else the credential's own URL, which
    a browser gets as a page from the public function when the pages module is installed).

    Raises:
        BadgeKilnError: the demo cannot be seeded (the message says why).
    """
    from badgekiln.issue import create_api_key, seed_demo
    from badgekiln.issue.apikeys import api_key_path
    from badgekiln.store import open_store

    store = open_store(store_url)
    demo = seed_demo(store, public_url)
    token = demo.api_key
    key_id = demo.api_key_id
    if token is None and new_api_key:
        token, key = create_api_key(store, admin=True, label="badgekiln serve --new-api-key")
        key_id = key.id
    credential = demo.credential
    issuer = demo.issuer["slug"]
    page = f"{public_url}/v/{issuer}/{credential.name}" if verify_page else credential.public_url
    lines = [
        f"Demo (store: {store_url}):",
        f"  issuer       {demo.issuer['urls']['profile']}",
        f"  achievement  {demo.achievement['urls']['achievement']}",
        f"  credential   {credential.public_url}",
        f"  baked badge  {credential.image_url}",
        f"  verify page  {page}  (open it in a browser)",
        f"  verify API   curl -s {credential.image_url} | curl -s -X POST -H 'Content-Type: image/png' "
        f"--data-binary @- {public_url}/verify",
        f"  verify CLI   badgekiln verify --store {store_url} {credential.image_url}",
    ]
    if token is not None:
        lines += [
            f"  admin API key (shown this once; only its hash is stored): {token}",
            f"  issue one    curl -s -X POST {public_url}/issuers/{issuer}/credentials "
            f"-H 'Authorization: Bearer {token}' -H 'Content-Type: application/json' "
            f"""-d '{{"achievement": "{demo.achievement["slug"]}", "recipient": "you@example.org"}}'""",
        ]
    else:
        lines.append(
            f"  admin API key: printed on the first run only (id {key_id}, hash in "
            f"{api_key_path(key_id)}); run with --new-api-key for a new one"
        )
    return lines


def _announce_demo(server: Any, *, new_api_key: bool) -> None:
    from badgekiln.errors import BadgeKilnError

    try:
        pages = any(r.path == VERIFY_PAGE_ROUTE for r in server.gateway.app.routes)
        lines = demo_lines(server.store_url, server.public_url, new_api_key=new_api_key, verify_page=pages)
    except BadgeKilnError as exc:
        lines = [
            f"Demo not seeded: {exc.message}",
            "  (a demo made for another URL or port stays with its store: use that --port, or a new --store)",
        ]
    print("\n".join(lines), flush=True)


def _serve(args: argparse.Namespace) -> int:
    import logging

    from badgekiln.extras import check_installed, requires

    # the local server, its template reader and what the functions it runs import (loaded later)
    feature = "badgekiln serve (the local server, a development extra)"
    check_installed("server", feature)
    with requires("server", feature):
        from badgekiln_server.serve import ServeOptions, default_template, run

    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    options = ServeOptions(
        template=args.template or default_template(),
        host=args.host,
        port=args.port,
        store=args.store,
        public_url=args.public_url,
    )

    def ready(server: Any) -> None:
        _announce(server)
        if not args.no_demo:
            _announce_demo(server, new_api_key=args.new_api_key)

    run(options, on_ready=ready)
    return 0
