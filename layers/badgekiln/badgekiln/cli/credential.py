"""``badgekiln credential show|list``: read issued credentials back (state, URLs, external id)."""

from __future__ import annotations

import argparse
from typing import Any

from badgekiln.cli._io import (
    add_actions,
    add_recipient_type_option,
    add_store_option,
    emit_json,
    open_cli_store,
)

__all__ = ["register"]


def register(subparsers: Any) -> None:
    commands = add_actions(
        subparsers,
        "credential",
        help="show one issued credential, or list an issuer's",
        description="Read issued credentials back: what each is, its state and reason, where it lives.",
    )

    show = commands.add_parser(
        "show",
        help="one credential's state, URLs and external id, as JSON",
        description="Print a credential as GET /issuers/{issuer}/credentials/{credential}/state answers it.",
    )
    show.add_argument("credential", metavar="CREDENTIAL_ID", help="the credential's id, URL or name")
    show.add_argument("--issuer", required=True, help="the issuer's slug or id")
    add_store_option(show)
    show.set_defaults(handler=_show)

    listing = commands.add_parser(
        "list",
        help="a page of an issuer's credentials, filtered, as JSON",
        description=(
            "Print a page of the issuer's credentials in name order, and next_cursor (pass it to "
            "--cursor for the next page; null on the last). Every filter given must match; --all "
            "prints every page's credentials as JSON Lines instead."
        ),
    )
    listing.add_argument("--issuer", required=True, help="the issuer's slug or id")
    listing.add_argument("--recipient", help="only those issued to this recipient (e-mail: any case)")
    add_recipient_type_option(listing)
    listing.add_argument("--external-id", metavar="ID", help="only those issued with this external id")
    listing.add_argument("--achievement", metavar="SLUG", help="only those of this achievement")
    listing.add_argument(
        "--state", choices=("active", "revoked", "suspended"), help="only those in this state"
    )
    listing.add_argument(
        "--limit", type=int, default=50, help="most credentials on the page (1–500, default 50)"
    )
    listing.add_argument("--cursor", help="next_cursor of the page before")
    listing.add_argument("--all", action="store_true", help="every page, one credential per line")
    add_store_option(listing)
    listing.set_defaults(handler=_list)


def _show(args: argparse.Namespace) -> int:
    from badgekiln.cli import EXIT_OK
    from badgekiln.issue.registry import get_credential

    emit_json(get_credential(open_cli_store(args), args.issuer, args.credential).to_dict())
    return EXIT_OK


def _list(args: argparse.Namespace) -> int:
    import json
    import sys

    from badgekiln.cli import EXIT_OK
    from badgekiln.issue.registry import list_credentials

    store = open_cli_store(args)
    query: dict[str, Any] = {
        name: value
        for name, value in (
            ("recipient", args.recipient),
            ("external_id", args.external_id),
            ("achievement", args.achievement),
            ("state", args.state),
            ("cursor", args.cursor),
        )
        if value is not None
    }
    query.update(recipient_type=args.recipient_type, limit=args.limit)
    page = list_credentials(store, args.issuer, query)
    if not args.all:
        emit_json(page.to_dict())
        return EXIT_OK
    while True:
        for view in page.credentials:
            sys.stdout.write(json.dumps(view.to_dict(), ensure_ascii=False) + "\n")
        sys.stdout.flush()
        if page.next_cursor is None:
            return EXIT_OK
        page = list_credentials(store, args.issuer, {**query, "cursor": page.next_cursor})
