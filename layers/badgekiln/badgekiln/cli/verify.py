"""``badgekiln verify``: verify a baked image, credential, JWT or the badge a URL serves."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any, Final

from badgekiln.cli._io import emit_json

if TYPE_CHECKING:
    from badgekiln.fetch import Fetcher, Transport
    from badgekiln.verification.identity import IssuerRegistry
    from badgekiln.verification.report import Report

__all__ = ["register"]

#: Largest --key file read (bytes): a PEM or JWK public key is well under a few KiB.
MAX_KEY_FILE_BYTES: Final = 64 * 1024
#: How the fetcher's refusal of a loopback address reads (badgekiln.fetch): a local deployment's
#: documents, which only --store reads.
LOOPBACK_REFUSAL: Final = "is a loopback address"
_SPEC_NAMES: Final = {"ob1": "Open Badges 1.x", "ob2": "Open Badges 2.0", "ob3": "Open Badges 3.0"}


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "verify",
        help="verify a badge: baked PNG/SVG, JSON, JWT or a badge URL",
        description=(
            "Verify an Open Badge (0.5, 1.x, 2.0 or 3.0) or a CLR 2.0 record: a baked PNG or SVG, "
            "a credential or assertion in JSON, a VC-JWT or signed JWS, or the URL of a hosted badge "
            "(credential, baked image or OB 2.0/1.x hosted assertion). Each check is listed with its "
            "outcome, then what the issuer's identity rests on. Exit 0 when valid, 1 when not valid, "
            "2 when the input cannot be read or is not a badge."
        ),
    )
    parser.add_argument(
        "input", metavar="INPUT", help="a file (image, JSON, JWT), - for standard input, or an https:// URL"
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--recipient", metavar="ID", help="the email, URL, phone or DID it must be awarded to"
    )
    parser.add_argument(
        "--at",
        metavar="TIME",
        help="judge validity at this instant (e.g. 2025-06-01T12:00:00Z) instead of now",
    )
    parser.add_argument("--offline", action="store_true", help="never use the network (see --document)")
    parser.add_argument(
        "--document",
        action="append",
        default=[],
        metavar="URL=PATH",
        help="answer URL from the file PATH instead of the network (repeatable); for a JSON-LD "
        "@context URL badgekiln does not bundle, the file is used as a context you trust",
    )
    parser.add_argument("--key", metavar="FILE", help="the issuer's public key (PEM or JWK), pinned")
    parser.add_argument(
        "--store",
        metavar="URL",
        help="verify as this deployment does: documents under its public URL are read from this "
        "store (a directory or s3://bucket/prefix), as `badgekiln serve` and the pages read them",
    )
    parser.add_argument(
        "--public-url",
        metavar="URL",
        action="append",
        default=[],
        help="with --store: the public URL its documents are hosted under (repeatable; default: "
        "$BADGEKILN_PUBLIC_URL, else the public URLs of the store's issuers)",
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="conformance deviations (schema, Open Badges profile rules that do not bear on trust) "
        "fail the badge instead of warning",
    )
    parser.add_argument(
        "--issuer-registry",
        action="append",
        default=[],
        metavar="[NAME=]PATH_OR_URL",
        help="a trusted-issuer registry (DCC format) the issuer identity is looked up in, most "
        "authoritative first (repeatable; a URL is fetched like any document)",
    )
    parser.set_defaults(handler=_verify)


def _input(source: str) -> bytes | str:
    import os

    from badgekiln.files import read_input

    if source != "-" and source.startswith(("https://", "http://")) and not os.path.exists(source):
        return source
    return read_input(source)


def render(report: Report) -> str:
    """The human form of a report: a verdict line, what the badge claims, one line per check."""
    lines = [
        f"{'VALID' if report.valid else 'NOT VALID'}: {_SPEC_NAMES[report.spec]} badge "
        f"({report.format}{', ' + report.proof if report.proof else ''})"
    ]
    credential = report.credential
    if credential is not None:
        for label, node in (("issuer", credential.issuer), ("achievement", credential.achievement)):
            if node.get("id") or node.get("name"):
                name = node.get("name")
                lines.append(f"  {label}: {name + ' ' if name else ''}<{node.get('id')}>")
        for label, value in (
            ("recipient", credential.recipient),
            ("issued", credential.issued),
            ("expires", credential.expires),
        ):
            if value:
                lines.append(f"  {label}: {value}")
    identity = report.issuer_identity
    if identity is not None:
        lines.append(f"  identity: {'✓' if identity.verified else '!'} {identity.message}")
    width = max((len(check.id) for check in report.checks), default=0)
    lines.extend(f"  {check.mark} {check.id:<{width}}  {check.message}" for check in report.checks)
    if report.conformance:
        codes = ", ".join(dict.fromkeys(f"{d.id} {d.code}" for d in report.conformance))
        effect = (
            "failures (--strict)"
            if report.strict
            else "warnings that do not bear on trust (--strict fails them)"
        )
        lines.append(f"  conformance: {len(report.conformance)} deviation(s) ({codes}), {effect}")
    for kind, subs in (("credential", report.credentials), ("endorsement", report.endorsements)):
        for number, sub in enumerate(subs, 1):
            issuer = sub.credential.issuer.get("id") if sub.credential else None
            verdict = "valid" if sub.valid else "NOT valid: " + "; ".join(c.message for c in sub.failures[:2])
            lines.append(f"  {kind} {number} by {issuer or 'unknown'}: {verdict}")
    return "\n".join(lines) + "\n"


def _registry(spec: str, fetcher: Fetcher) -> IssuerRegistry:
    """``--issuer-registry [NAME=]PATH_OR_URL`` (a URL's ``=`` belongs to the URL)."""
    from badgekiln.verification.identity import load_registry

    name, sep, location = spec.partition("=")
    if not sep or name.startswith(("https://", "http://")) or "/" in name:
        name, location = "", spec
    return load_registry(location, name=name or None, fetcher=fetcher)


def _site_mounts(store_url: str, public_urls: list[str]) -> dict[str, Transport]:
    """The fetcher mounts that answer a deployment's own documents from its store (the site
    fetcher of :mod:`badgekiln.hosting.site`), under each of ``public_urls``: by default
    ``$BADGEKILN_PUBLIC_URL``, else every public URL the store's issuers were made under.

    Raises:
        InvalidField: a public URL is not usable, or none is given and the store has no issuer.
        StoreError: the store cannot be opened or read.
    """
    import os

    from badgekiln.errors import InvalidField
    from badgekiln.hosting.site import site_mounts
    from badgekiln.http.environment import PUBLIC_URL_ENV
    from badgekiln.issue import list_issuers
    from badgekiln.store import open_store

    store = open_store(store_url)
    urls = list(public_urls)
    if not urls and os.environ.get(PUBLIC_URL_ENV, "").strip():
        urls = [os.environ[PUBLIC_URL_ENV].strip()]
    if not urls:
        urls = sorted({issuer.public_url for issuer in list_issuers(store)})
    if not urls:
        raise InvalidField(
            f"the store {store_url} has no issuers; name its public URL with --public-url",
            field="public_url",
        )
    mounts: dict[str, Transport] = {}
    for url in urls:
        mounts.update(site_mounts(store, url))
    return mounts


def _verify(args: argparse.Namespace) -> int:
    from badgekiln.cli import EXIT_NEGATIVE, EXIT_OK
    from badgekiln.errors import InvalidField
    from badgekiln.fetch import Fetcher, FetchPolicy
    from badgekiln.files import read_input
    from badgekiln.model.dates import DateTime
    from badgekiln.verification import VerifyOptions, verify

    at = None
    if args.at is not None:
        moment = DateTime.read(args.at, "--at")
        if moment.value is None:
            raise InvalidField(str(moment.problem), field="at")
        at = moment.value
    key = read_input(args.key, limit=MAX_KEY_FILE_BYTES) if args.key else None
    if args.public_url and not args.store:
        raise InvalidField("--public-url names the public URL of a --store", field="public_url")
    mounts = _site_mounts(args.store, args.public_url) if args.store else None
    fetcher = Fetcher.from_document_files(args.document, FetchPolicy(offline=args.offline), mounts=mounts)
    registries = tuple(_registry(spec, fetcher) for spec in args.issuer_registry)
    options = VerifyOptions(
        recipient=args.recipient,
        at=at,
        key=key,
        fetcher=fetcher,
        strict=args.strict,
        issuer_registries=registries or None,
    )
    report = verify(_input(args.input), options=options)
    if args.json:
        emit_json(report.to_dict())
    else:
        sys.stdout.write(render(report))
        sys.stdout.flush()
    if not args.store and not report.valid and any(LOOPBACK_REFUSAL in c.message for c in report.checks):
        # most likely a badge of a local `badgekiln serve`: say how to verify it as that server does
        print(
            "warning: the badge's documents are on this machine and were not fetched; to verify it as "
            "the local deployment does, name its store: badgekiln verify --store DIR_OR_S3_URL",
            file=sys.stderr,
        )
    return EXIT_OK if report.valid else EXIT_NEGATIVE
