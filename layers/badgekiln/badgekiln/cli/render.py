"""``badgekiln render``: render an SVG badge (or a personalised template) to PNG."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from badgekiln.cli._io import add_output_options, read_utf8, write_output

__all__ = ["register"]

#: Largest --data document (bytes): a few placeholder values, with a wide margin.
MAX_DATA_BYTES = 64 * 1024


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "render",
        help="render an SVG badge or template to PNG",
        description=(
            "Render IN.svg to PNG with cairosvg and write it atomically. With --data, IN.svg is a "
            "badge template and its {{placeholders}} are filled first (values escaped as text). "
            "Nothing outside the file is read: external images, stylesheets and fonts are refused."
        ),
    )
    parser.add_argument("input", metavar="IN.svg", help="SVG file, or - for standard input")
    add_output_options(parser, "OUT.png")
    parser.add_argument(
        "--size",
        metavar="N",
        type=_positive_int,
        help="longer side of the PNG in pixels, keeping the aspect ratio (default: the SVG's own size)",
    )
    parser.add_argument(
        "--data",
        metavar="JSON",
        help=(
            'placeholder values as a JSON object, e.g. \'{"recipient_name": "Ada Lovelace"}\', or '
            "@FILE to read it from FILE"
        ),
    )
    parser.set_defaults(handler=_render)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {value}")
    return value


def _values(text: str) -> dict[str, str]:
    """The --data object.

    Raises:
        InvalidField: not JSON, not an object of strings.
        InputError, InputTooLarge: @FILE cannot be read or is too large.
        MalformedPayload: @FILE is not UTF-8.
    """
    import json

    from badgekiln.errors import InvalidField

    if text.startswith("@"):
        text = read_utf8(text[1:], limit=MAX_DATA_BYTES)
    try:
        values = json.loads(text)
    except ValueError as exc:
        raise InvalidField(f"--data is not valid JSON: {exc}", field="data") from exc
    except RecursionError as exc:
        raise InvalidField("--data is nested too deeply", field="data") from exc
    if not isinstance(values, dict) or not all(isinstance(v, str) for v in values.values()):
        raise InvalidField(
            '--data must be a JSON object of strings, e.g. {"recipient_name": "Ada"}', field="data"
        )
    return values


def _render(args: argparse.Namespace) -> int:
    from badgekiln.cli import EXIT_INPUT, EXIT_OK
    from badgekiln.files import read_input
    from badgekiln.render import DEFAULT_LIMITS, personalise_svg, svg_to_png

    if args.input == "-" and args.data == "@-":
        print("error: IN.svg and --data cannot both be standard input", file=sys.stderr)
        return EXIT_INPUT
    svg = read_input(args.input, limit=DEFAULT_LIMITS.max_input_bytes)
    if args.data is not None:
        svg = personalise_svg(svg, _values(args.data))
    write_output(args, svg_to_png(svg, size=args.size))
    return EXIT_OK
