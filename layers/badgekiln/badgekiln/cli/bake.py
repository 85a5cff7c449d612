"""``badgekiln bake``: bake a badge payload (JWS/JWT, JSON or URL) into a PNG or SVG image."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from badgekiln.cli._io import add_output_options, read_utf8, write_output

__all__ = ["register"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "bake",
        help="bake a badge payload into a PNG or SVG",
        description=(
            "Bake a compact JWS/JWT, a JSON credential or assertion, or (OB 2.0) a hosted-assertion "
            "URL into IMAGE, replacing any badge data it holds, and write the result atomically."
        ),
    )
    parser.add_argument("image", metavar="IMAGE", help="PNG or SVG file, or - for standard input")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--payload", metavar="TEXT", help="the payload itself")
    source.add_argument(
        "--payload-file", metavar="FILE", help="read the payload from FILE (UTF-8; - for standard input)"
    )
    add_output_options(parser, "OUT")
    parser.add_argument(
        "--spec", choices=("ob2", "ob3"), help="Open Badges version (default: detected from the payload)"
    )
    parser.add_argument(
        "--check-pixels",
        action="store_true",
        help="PNG only: decode every pixel row first, refusing an image whose data is broken",
    )
    parser.set_defaults(handler=_bake)


def _bake(args: argparse.Namespace) -> int:
    from badgekiln import png
    from badgekiln.baking import bake
    from badgekiln.cli import EXIT_INPUT, EXIT_OK
    from badgekiln.files import read_input
    from badgekiln.sniff import MAX_PAYLOAD_CHARS, sniff_image

    if args.image == "-" and args.payload_file == "-":
        print("error: IMAGE and --payload-file cannot both be standard input", file=sys.stderr)
        return EXIT_INPUT
    image = read_input(args.image)
    payload = args.payload
    if args.payload_file is not None:
        # A UTF-8 character is at most 4 bytes: this cap lets through every payload bake accepts.
        payload = read_utf8(args.payload_file, limit=4 * MAX_PAYLOAD_CHARS)
    if args.check_pixels:
        if sniff_image(image) != "png":
            print("error: --check-pixels applies to PNG images only", file=sys.stderr)
            return EXIT_INPUT
        png.check_pixels(image)
    write_output(args, bake(image, payload, spec=args.spec))
    return EXIT_OK
