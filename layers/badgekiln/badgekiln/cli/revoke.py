"""``badgekiln revoke|suspend|reinstate``: change an issued credential's status."""

from __future__ import annotations

import argparse
from typing import Any

from badgekiln.cli._io import add_store_option, emit_json, open_cli_store

__all__ = ["register"]

_HELP = {
    "revoke": "revoke a credential (final for OB 3.0)",
    "suspend": "suspend a credential until it is reinstated",
    "reinstate": "lift a suspension (or an OB 2.0 revocation)",
}


def register(subparsers: Any) -> None:
    for action, text in _HELP.items():
        parser = subparsers.add_parser(
            action,
            help=text,
            description=(
                f"{text[0].upper()}{text[1:]}: OB 3.0 credentials through the issuer's status lists "
                "(re-signed), OB 2.0 assertions through its RevocationList and the hosted assertion. "
                "Prints the credential's "
                "new state as JSON. Running it again is harmless."
            ),
        )
        parser.add_argument("credential", metavar="CREDENTIAL_ID", help="the credential's id, URL or name")
        parser.add_argument("--issuer", required=True, help="the issuer's slug or id")
        if action != "reinstate":
            parser.add_argument("--reason", help="why (published in OB 2.0 revocation lists)")
        add_store_option(parser)
        parser.set_defaults(handler=_change, action=action)


def _change(args: argparse.Namespace) -> int:
    from badgekiln.cli import EXIT_OK
    from badgekiln.issue import reinstate, revoke, suspend

    store = open_cli_store(args)
    if args.action == "reinstate":
        state = reinstate(store, args.issuer, args.credential)
    else:
        change = revoke if args.action == "revoke" else suspend
        state = change(store, args.issuer, args.credential, reason=args.reason)
    emit_json(state)
    return EXIT_OK
