"""``badgekiln api-key create|list|delete``: the API keys the HTTP authorizer accepts.

This is how a deployment gets its first admin key (``--store s3://<BucketName>``); later keys
can also be made through ``POST /api-keys``.
"""

from __future__ import annotations

import argparse
import math
from datetime import UTC, datetime, timedelta
from typing import Any

from badgekiln.cli._io import add_actions, add_store_option, emit_json, open_cli_store

__all__ = ["register"]


def _days(text: str) -> float:
    # bounded here too: past the lifetime's bound (checked again by create_api_key) the date
    # arithmetic before the call would overflow
    from badgekiln.issue.apikeys import MAX_LIFETIME

    try:
        days = float(text)
    except ValueError:
        days = math.nan
    if not (math.isfinite(days) and 0 < days <= MAX_LIFETIME.days):
        raise argparse.ArgumentTypeError(
            f"expected a positive number of days, at most {MAX_LIFETIME.days}, not {text!r}"
        )
    return days


def register(subparsers: Any) -> None:
    commands = add_actions(
        subparsers,
        "api-key",
        help="create, list or delete HTTP API keys",
        description="Manage the API keys of the HTTP API (stored hashed; a token is shown once).",
    )

    create = commands.add_parser(
        "create",
        help="create a key and print it once, as JSON with a 'token'",
        description="Create an admin key, or a key that acts for one issuer only.",
    )
    scope = create.add_mutually_exclusive_group(required=True)
    scope.add_argument("--admin", action="store_true", help="a key for the admin routes")
    scope.add_argument("--issuer", metavar="ID", help="a key that acts for this issuer only")
    create.add_argument("--label", help="what the key is for (shown in listings)")
    create.add_argument(
        "--expires-in",
        metavar="DAYS",
        type=_days,
        help="the key stops working this many days from now (default: it does not expire)",
    )
    add_store_option(create)
    create.set_defaults(handler=_create)

    listing = commands.add_parser(
        "list",
        help="list the keys (id, scope, issuer, label, created; never a secret) as JSON",
        description="List the API keys: ids, scopes, issuers, labels and creation dates (never a secret).",
    )
    listing.add_argument("--issuer", metavar="ID", help="only the keys of this issuer (slug or id)")
    add_store_option(listing)
    listing.set_defaults(handler=_list)

    delete = commands.add_parser("delete", help="withdraw a key by its id")
    delete.add_argument("key_id", metavar="KEY_ID", help="the key's 16-hex-digit id")
    add_store_option(delete)
    delete.set_defaults(handler=_delete)


def _create(args: argparse.Namespace) -> int:
    from badgekiln.cli import EXIT_OK
    from badgekiln.issue import create_api_key

    # the issuer must exist (its slug or id)
    expires = None if args.expires_in is None else datetime.now(UTC) + timedelta(days=args.expires_in)
    token, key = create_api_key(
        open_cli_store(args), issuer=args.issuer, admin=args.admin, label=args.label, expires=expires
    )
    emit_json({**key.to_dict(), "token": token})
    return EXIT_OK


def _list(args: argparse.Namespace) -> int:
    from badgekiln.cli import EXIT_OK
    from badgekiln.issue.apikeys import list_api_keys

    store = open_cli_store(args)
    issuer = None
    if args.issuer is not None:
        from badgekiln.issue import get_issuer

        issuer = get_issuer(store, args.issuer).slug
    emit_json([key.to_dict() for key in list_api_keys(store, issuer=issuer)])
    return EXIT_OK


def _delete(args: argparse.Namespace) -> int:
    from badgekiln.cli import EXIT_OK
    from badgekiln.issue.apikeys import delete_api_key

    delete_api_key(open_cli_store(args), args.key_id)
    return EXIT_OK
