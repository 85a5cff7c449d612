"""``badgekiln issuer create|show|list|rotate-key``: issuers and their keys."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from badgekiln.cli._io import add_actions, add_store_option, emit_json, open_cli_store

__all__ = ["register"]

PUBLIC_URL_ENV = "BADGEKILN_PUBLIC_URL"
KMS_ENV = "BADGEKILN_KMS"
KMS_NAMESPACE_ENV = "BADGEKILN_KMS_NAMESPACE"


def _kms(args: argparse.Namespace) -> Any:
    from badgekiln.errors import InvalidField
    from badgekiln.issue import KeyOptions

    wanted = args.kms or os.environ.get(KMS_ENV, "").strip().lower() in ("1", "true", "yes")
    # the deployment's namespace (its stack name), as the admin function uses it
    namespace = os.environ.get(KMS_NAMESPACE_ENV, "").strip() or "badgekiln"
    try:
        return KeyOptions(kms=wanted, kms_namespace=namespace)
    except ValueError as exc:
        raise InvalidField(f"{KMS_NAMESPACE_ENV}: {exc}", field=KMS_NAMESPACE_ENV) from exc


def register(subparsers: Any) -> None:
    commands = add_actions(
        subparsers,
        "issuer",
        help="create, show, list, update issuers; rotate their keys",
        description="Manage issuers: profiles, DID documents and signing keys, hosted under the public URL.",
    )

    create = commands.add_parser(
        "create",
        help="create an issuer (prints it as JSON)",
        description=(
            "Create an issuer with an Ed25519 and an RSA key, and publish its OB 3.0 Profile, OB 2.0 "
            "Issuer, key documents, DID document (did:web issuers) and status lists. Running the same "
            "command again is harmless (it republishes)."
        ),
    )
    create.add_argument("--name", required=True, help="the issuer's name")
    create.add_argument("--url", required=True, help="the issuer's web site")
    create.add_argument(
        "--id", dest="slug", metavar="SLUG", help="short name in URLs (default: from the name)"
    )
    create.add_argument("--email", help="contact e-mail (recommended for OB 2.0)")
    create.add_argument("--description", help="a sentence about the issuer")
    kind = create.add_mutually_exclusive_group()
    kind.add_argument(
        "--did-key", action="store_true", help="a did:key issuer: its own DID, nothing to host for OB 3.0"
    )
    kind.add_argument(
        "--url-id", action="store_true", help="use the profile URL as the issuer id (not did:web)"
    )
    create.add_argument(
        "--suspension",
        action="store_true",
        help="give OB 3.0 credentials a suspension status entry too (makes them suspendable)",
    )
    create.add_argument(
        "--public-url",
        metavar="URL",
        help=f"where documents are hosted (default: ${PUBLIC_URL_ENV})",
    )
    create.add_argument("--kms", action="store_true", help=f"create keys in AWS KMS (or set {KMS_ENV}=1)")
    add_store_option(create)
    create.set_defaults(handler=_create)

    show = commands.add_parser(
        "show", help="show an issuer (JSON)", description="Show an issuer, its URLs and keys."
    )
    show.add_argument("issuer", metavar="ISSUER", help="the issuer's slug or id")
    add_store_option(show)
    show.set_defaults(handler=_show)

    listing = commands.add_parser(
        "list", help="list issuers (JSON)", description="List every issuer in the store."
    )
    add_store_option(listing)
    listing.set_defaults(handler=_list)

    update = commands.add_parser(
        "update",
        help="change an issuer's name, url, e-mail, description or logo",
        description=(
            "Change the issuer's profile and republish its documents (OB 3.0 Profile, OB 2.0 Issuer). "
            "The logo (PNG or SVG, at most 256 KiB) becomes the profiles' image. Credentials already "
            "issued keep the profile they carry."
        ),
    )
    update.add_argument("issuer", metavar="ISSUER", help="the issuer's slug or id")
    update.add_argument("--name", help="the issuer's name")
    update.add_argument("--url", help="the issuer's web site")
    update.add_argument("--email", help="contact e-mail")
    update.add_argument("--description", help="a sentence about the issuer")
    update.add_argument("--logo", metavar="FILE", help="the issuer's logo, PNG or SVG (- for standard input)")
    add_store_option(update)
    update.set_defaults(handler=_update)

    rotate = commands.add_parser(
        "rotate-key",
        help="add new signing keys; the old ones retire",
        description=(
            "Add a new key to each family (Ed25519, RSA) or to one: new credentials are signed with it. "
            "The key it replaces retires: its private half is destroyed (a KMS key is scheduled for "
            "deletion in 7 days) and its public half stays published so earlier badges still verify; "
            "a key that signed nothing is withdrawn. A family publishes at most 32 keys: past that the "
            "oldest retired one is withdrawn and what it signed no longer verifies (docs/issuing.md)."
        ),
    )
    rotate.add_argument("issuer", metavar="ISSUER", help="the issuer's slug or id")
    rotate.add_argument("--family", choices=("ed25519", "rsa"), help="rotate only this key family")
    rotate.add_argument(
        "--kms", action="store_true", help=f"create the new keys in AWS KMS (or set {KMS_ENV}=1)"
    )
    add_store_option(rotate)
    rotate.set_defaults(handler=_rotate)


def _create(args: argparse.Namespace) -> int:
    from badgekiln.cli import EXIT_INPUT, EXIT_OK
    from badgekiln.issue import create_issuer, issuer_summary

    public_url = args.public_url or os.environ.get(PUBLIC_URL_ENV)
    if not public_url:
        print(f"error: --public-url (or ${PUBLIC_URL_ENV}) is required", file=sys.stderr)
        return EXIT_INPUT
    data: dict[str, Any] = {"name": args.name, "url": args.url, "suspension": args.suspension}
    for name in ("slug", "email", "description"):
        if getattr(args, name) is not None:
            data[name] = getattr(args, name)
    if args.did_key:
        data["kind"] = "key"
    elif args.url_id:
        data["kind"] = "url"
    issuer = create_issuer(open_cli_store(args), public_url, data, keys=_kms(args))
    summary = issuer_summary(issuer)
    emit_json(summary)
    if summary["note"]:
        print(f"note: {summary['note']}", file=sys.stderr)
    return EXIT_OK


def _show(args: argparse.Namespace) -> int:
    from badgekiln.cli import EXIT_OK
    from badgekiln.issue import get_issuer, issuer_summary

    emit_json(issuer_summary(get_issuer(open_cli_store(args), args.issuer)))
    return EXIT_OK


def _list(args: argparse.Namespace) -> int:
    from badgekiln.cli import EXIT_OK
    from badgekiln.issue import issuer_summary, list_issuers

    emit_json([issuer_summary(i) for i in list_issuers(open_cli_store(args))])
    return EXIT_OK


def _update(args: argparse.Namespace) -> int:
    from badgekiln.cli import EXIT_OK
    from badgekiln.files import read_input
    from badgekiln.issue import issuer_summary
    from badgekiln.issue.issuers import MAX_LOGO_BYTES, update_issuer

    changes = {
        name: getattr(args, name)
        for name in ("name", "url", "email", "description")
        if getattr(args, name) is not None
    }
    logo = read_input(args.logo, limit=MAX_LOGO_BYTES) if args.logo is not None else None
    emit_json(issuer_summary(update_issuer(open_cli_store(args), args.issuer, changes, logo=logo)))
    return EXIT_OK


def _rotate(args: argparse.Namespace) -> int:
    from badgekiln.cli import EXIT_OK
    from badgekiln.issue import issuer_summary, rotate_key

    families: tuple[Any, ...] = (args.family,) if args.family else ("ed25519", "rsa")
    emit_json(
        issuer_summary(rotate_key(open_cli_store(args), args.issuer, families=families, keys=_kms(args)))
    )
    return EXIT_OK
