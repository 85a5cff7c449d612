"""``badgekiln extract``: print the badge payload baked into a PNG or SVG image."""

from __future__ import annotations

import argparse
import sys
from typing import Any

__all__ = ["register"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "extract",
        help="print the badge payload baked into a PNG or SVG",
        description=(
            "Print the Open Badges payload baked into IMAGE exactly as it was baked (no trailing "
            "newline, no re-serialisation). Exit 0 when found, 1 when the image carries no badge "
            "data, 2 when the image is malformed, hostile or unsupported."
        ),
    )
    parser.add_argument("image", metavar="IMAGE", help="PNG or SVG file, or - for standard input")
    parser.add_argument(
        "--json",
        action="store_true",
        help='print {"format", "spec", "carrier", "payload"} as one JSON line instead',
    )
    parser.set_defaults(handler=_extract)


def _extract(args: argparse.Namespace) -> int:
    import json

    from badgekiln.baking import extract
    from badgekiln.cli import EXIT_NEGATIVE, EXIT_OK
    from badgekiln.errors import NoBadgeData
    from badgekiln.files import read_input

    image = read_input(args.image)
    try:
        found = extract(image)
    except NoBadgeData as exc:
        print(f"no badge data: {exc}", file=sys.stderr)
        return EXIT_NEGATIVE
    if args.json:
        record = {
            "format": found.format,
            "spec": found.spec,
            "carrier": found.carrier,
            "payload": found.payload,
        }
        text = json.dumps(record, ensure_ascii=False) + "\n"
    else:
        text = found.payload
    sys.stdout.buffer.write(text.encode("utf-8"))
    sys.stdout.buffer.flush()
    return EXIT_OK
