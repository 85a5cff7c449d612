"""``badgekiln issue`` and ``badgekiln issue-batch``: issue credentials, one or a file of them."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from badgekiln.cli._io import (
    add_output_options,
    add_recipient_type_option,
    add_store_option,
    emit_json,
    open_cli_store,
    write_output,
)

__all__ = ["register"]


def _format_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--issuer", required=True, help="the issuer's slug or id")
    parser.add_argument("--achievement", required=True, help="the achievement's slug or URL")
    parser.add_argument(
        "--spec", choices=("ob3", "ob2"), default="ob3", help="Open Badges version (default: ob3)"
    )
    parser.add_argument(
        "--proof", choices=("di", "jwt"), help="OB 3.0 proof: di (Data Integrity, default) or jwt (VC-JWT)"
    )
    parser.add_argument(
        "--alg",
        dest="algorithm",
        choices=("RS256", "EdDSA"),
        default="RS256",
        help="VC-JWT algorithm (default: RS256)",
    )
    parser.add_argument(
        "--signed", action="store_true", help="OB 2.0: a signed (RS256 JWS) assertion, not hosted"
    )
    parser.add_argument(
        "--image",
        choices=("png", "svg", "none"),
        help="baked image format (default: the achievement image's own; png renders an SVG)",
    )
    parser.add_argument(
        "--personalise", action="store_true", help="fill the SVG achievement image's {{placeholders}} first"
    )
    add_store_option(parser)


def register(subparsers: Any) -> None:
    issue = subparsers.add_parser(
        "issue",
        help="issue one credential",
        description=(
            "Issue an achievement to a recipient: an OB 3.0 OpenBadgeCredential (Data Integrity or VC-JWT) "
            "or an OB 2.0 assertion (hosted or signed). Prints the credential (JSON, or the compact JWT) "
            "and writes the baked image with -o. One --idempotency-key always yields the same credential."
        ),
    )
    _format_options(issue)
    issue.add_argument(
        "--recipient", required=True, help="the recipient's e-mail address (or see --recipient-type)"
    )
    add_recipient_type_option(issue)
    issue.add_argument("--recipient-name", help="the recipient's name, for personalised images only")
    issue.add_argument("--plain", action="store_true", help="do not hash the recipient identity")
    issue.add_argument(
        "--idempotency-key", metavar="KEY", help="retrying with the same key never issues twice"
    )
    issue.add_argument(
        "--credential-id", metavar="NAME", help="the credential's own name in its URL (idempotent)"
    )
    issue.add_argument(
        "--external-id",
        metavar="ID",
        help="your pipeline's own id for it (an order, an enrolment): credential list finds it by it",
    )
    issue.add_argument(
        "--evidence", action="append", default=[], metavar="URL", help="evidence URL (repeatable)"
    )
    issue.add_argument("--narrative", help="how this recipient earned it")
    issue.add_argument("--valid-until", metavar="ISO8601", help="expiry, e.g. 2027-06-30T00:00:00Z")
    add_output_options(
        issue, "FILE", required=False, help_text="write the baked image here (- for standard output)"
    )
    issue.add_argument("--details", action="store_true", help="print id, URLs and credential as JSON instead")
    issue.set_defaults(handler=_issue)

    batch = subparsers.add_parser(
        "issue-batch",
        help="issue credentials for every row of a CSV or JSON Lines file",
        description=(
            "Issue an achievement for each row of FILE (CSV with a header, or JSON Lines): columns recipient "
            "(required; also email, E-mail …), recipient_type, hashed, name (or first_name and last_name), "
            "evidence, narrative, valid_until, idempotency_key, credential_id, matched case-insensitively "
            "(docs/issuing.md lists every alias); other columns are ignored with a warning. Rows are "
            "streamed; a bad row is reported and the rest go on. Per-row results go out as JSON Lines; "
            "running the same file again resumes (issued rows are replayed). --dry-run checks every row "
            "and prints what would be issued, writing nothing."
        ),
    )
    batch.add_argument("file", metavar="FILE", help="CSV or JSON Lines file, or - for standard input")
    batch.add_argument(
        "--format", dest="fmt", choices=("csv", "jsonl"), help="default: from the file extension"
    )
    _format_options(batch)
    batch.add_argument("--workers", type=int, default=4, help="rows issued at once (1–16, default 4)")
    batch.add_argument(
        "--key-prefix", help="prefix of derived idempotency keys (default: issuer and achievement)"
    )
    batch.add_argument(
        "--results", metavar="FILE", help="write the JSON Lines results here (default: standard output)"
    )
    batch.add_argument(
        "--dry-run",
        action="store_true",
        help="check every row and print what would be issued; write nothing (no credential, no record)",
    )
    batch.set_defaults(handler=_batch)


def _options(args: argparse.Namespace) -> dict[str, Any]:
    """The batch part of an :class:`~badgekiln.issue.models.IssueRequest`: achievement, options."""
    options: dict[str, Any] = {
        "achievement": args.achievement,
        "spec": args.spec,
        "signed": args.signed,
        "personalise": args.personalise,
        "proof": args.proof,
        "image": args.image,
    }
    if args.proof == "jwt":
        options["algorithm"] = args.algorithm
    return options


def _issue(args: argparse.Namespace) -> int:
    from badgekiln.cli import EXIT_OK
    from badgekiln.errors import InvalidField
    from badgekiln.issue import issue_credential
    from badgekiln.model.dates import parse_aware

    recipient: dict[str, Any] = {
        "identity": args.recipient,
        "type": args.recipient_type,
        "hashed": not args.plain and args.recipient_type != "id",
    }
    if args.recipient_name:
        recipient["name"] = args.recipient_name
    valid_until = None
    if args.valid_until:
        try:
            valid_until = parse_aware(args.valid_until)
        except ValueError as exc:
            raise InvalidField(
                f"--valid-until must be an ISO 8601 date-time with a time zone: {exc}", field="valid_until"
            ) from None
    request = {
        **_options(args),
        "recipient": recipient,
        "credential_id": args.credential_id,
        "evidence": args.evidence or None,
        "narrative": args.narrative,
        "valid_until": valid_until,
        "external_id": args.external_id,
    }
    store = open_cli_store(args)
    issued = issue_credential(store, args.issuer, request, idempotency_key=args.idempotency_key)
    if args.output and issued.image is not None:
        write_output(args, issued.image)
    if args.output == "-":
        return EXIT_OK  # standard output holds the image (or nothing, for an image-less credential)
    if args.details:
        emit_json(issued.summary())
    elif isinstance(issued.credential, str):
        sys.stdout.write(issued.credential + "\n")
    else:
        emit_json(issued.credential)
    return EXIT_OK


def _progress(total: int | None) -> Any:
    """tqdm's bar on standard error (rows done, rate, elapsed, ETA), or a silent one when standard
    error is not a terminal: results on standard output and logs stay clean."""
    from tqdm import tqdm

    return tqdm(
        total=total,
        unit="row",
        file=sys.stderr,
        disable=not sys.stderr.isatty(),
        dynamic_ncols=True,
        mininterval=0.2,
        leave=True,
    )


#: Characters read at a time when counting rows: a file of one huge line must not be read whole.
_COUNT_CHUNK = 64 * 1024


def _count_rows(path: str, fmt: str) -> int | None:
    """Non-blank lines of ``path`` (less a CSV header) for the progress bar; ``None`` for stdin.

    Counting stops past :data:`~badgekiln.issue.batch.MAX_ROWS` rows: reading refuses more anyway.

    Raises:
        OSError, UnicodeDecodeError: the file cannot be read as UTF-8 text.
    """
    from badgekiln.issue.batch import MAX_ROWS

    if path == "-":
        return None
    count, line_start = 0, True
    with open(path, encoding="utf-8-sig", newline="") as handle:
        while count <= MAX_ROWS and (chunk := handle.readline(_COUNT_CHUNK)):
            count += line_start and bool(chunk.strip())
            line_start = chunk.endswith(("\n", "\r"))
    return max(0, count - 1) if fmt == "csv" else count


def _batch(args: argparse.Namespace) -> int:
    import io
    import json

    from badgekiln.cli import EXIT_INPUT, EXIT_NEGATIVE, EXIT_OK, warn
    from badgekiln.issue import BatchSummary, issue_batch, read_rows
    from badgekiln.issue.columns import quote_names

    fmt = args.fmt
    if fmt is None:
        if args.file.endswith(".csv"):
            fmt = "csv"
        elif args.file.endswith((".jsonl", ".ndjson")):
            fmt = "jsonl"
        else:
            print("error: cannot tell CSV from JSON Lines by the name; pass --format", file=sys.stderr)
            return EXIT_INPUT
    if not 1 <= args.workers <= 16:
        print("error: --workers must be between 1 and 16", file=sys.stderr)
        return EXIT_INPUT
    store = open_cli_store(args)
    try:
        total = _count_rows(args.file, fmt) if sys.stderr.isatty() else None
    except UnicodeDecodeError:
        total = None  # reading the rows reports it
    progress = _progress(None if args.dry_run else total)
    summary = BatchSummary()
    source = (
        io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8-sig", newline="")
        if args.file == "-"
        else open(args.file, encoding="utf-8-sig", newline="")  # noqa: SIM115  # closed below
    )
    out = open(args.results, "w", encoding="utf-8") if args.results else sys.stdout  # noqa: SIM115
    try:
        rows = read_rows(
            source,
            fmt=fmt,
            on_ignored=lambda names: warn(f"ignoring column(s) badgekiln does not use: {quote_names(names)}"),
        )
        results = issue_batch(
            store,
            args.issuer,
            _options(args),
            rows,
            workers=args.workers,
            key_prefix=args.key_prefix,
            dry_run=args.dry_run,
        )
        for result in results:
            summary.add(result)
            out.write(json.dumps(result.to_dict(), ensure_ascii=False) + "\n")
            out.flush()
            progress.set_postfix(
                issued=summary.issued, replayed=summary.replayed, failed=summary.failed, refresh=False
            )
            progress.update(1)
    except UnicodeDecodeError as exc:
        from badgekiln.errors import MalformedPayload

        raise MalformedPayload(f"{args.file} is not UTF-8 text (byte {exc.start})", reason="utf-8") from exc
    finally:
        progress.close()
        if args.file != "-":
            source.close()
        if out is not sys.stdout:
            out.close()
    totals = summary.to_dict()
    if args.dry_run:
        print(
            f"{totals['rows']} rows: {totals['issued']} would be issued, {totals['replayed']} already "
            f"issued, {totals['failed']} invalid (dry run: nothing was written)",
            file=sys.stderr,
        )
    else:
        print(
            f"{totals['rows']} rows: {totals['issued']} issued, {totals['replayed']} already issued, "
            f"{totals['failed']} failed",
            file=sys.stderr,
        )
    return EXIT_NEGATIVE if summary.failed else EXIT_OK
