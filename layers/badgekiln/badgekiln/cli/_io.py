"""What the sub-commands share: command groups, the ``--store`` and ``-o/--force`` options, output.

Like the command modules, this imports only ``argparse`` at import time.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from typing import Any, TextIO

__all__ = [
    "WarningLines",
    "add_actions",
    "add_output_options",
    "add_store_option",
    "emit_json",
    "open_cli_store",
    "read_utf8",
    "write_output",
]


def add_actions(subparsers: Any, name: str, *, help: str, description: str) -> Any:
    """Add command ``name`` whose ACTION (``badgekiln NAME ACTION ...``) is required; return the
    sub-parsers to add the actions to."""
    parser = subparsers.add_parser(name, help=help, description=description)
    actions = parser.add_subparsers(dest=f"{name.replace('-', '_')}_command", metavar="ACTION")
    actions.required = True
    return actions


def add_store_option(parser: argparse.ArgumentParser) -> None:
    """``--store`` (default ``$BADGEKILN_STORE``, else ``./.badgekiln/store``)."""
    parser.add_argument(
        "--store",
        metavar="URL",
        help="store: a directory or s3://bucket/prefix (default: $BADGEKILN_STORE or ./.badgekiln/store)",
    )


def add_recipient_type_option(parser: argparse.ArgumentParser) -> None:
    """``--recipient-type``: the kinds of identity ``issue.models.RecipientType`` names."""
    parser.add_argument(
        "--recipient-type",
        choices=("email", "url", "telephone", "id"),
        default="email",
        help="default: email",
    )


def open_cli_store(args: argparse.Namespace) -> Any:
    """The store ``--store`` (or the environment) names.

    Raises:
        InvalidField: a malformed store location.
        StoreError: the S3 client cannot be set up.
    """
    from badgekiln.store import open_store

    return open_store(args.store)


def add_output_options(
    parser: argparse.ArgumentParser,
    metavar: str,
    *,
    required: bool = True,
    help_text: str = "file to write, or - for standard output",
) -> None:
    """``-o/--output METAVAR`` and ``--force`` (overwrite it), for :func:`write_output`."""
    parser.add_argument("-o", "--output", metavar=metavar, required=required, help=help_text)
    parser.add_argument("--force", action="store_true", help=f"overwrite {metavar} if it exists")


def write_output(args: argparse.Namespace, data: bytes) -> None:
    """Write ``data`` to ``--output``: ``-`` is standard output, a file is replaced atomically.

    Raises:
        InputError: the file exists (without ``--force``) or cannot be written.
    """
    if args.output == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    from badgekiln.files import atomic_write

    atomic_write(args.output, data, overwrite=args.force)


def read_utf8(source: str, *, limit: int) -> str:
    """The file (``-``: standard input) ``source`` as text, a leading BOM dropped.

    Raises:
        InputError, InputTooLarge: it cannot be read, or is over ``limit`` bytes.
        MalformedPayload: (``reason="utf-8"``) it is not UTF-8.
    """
    from badgekiln.errors import MalformedPayload
    from badgekiln.files import read_input

    raw = read_input(source, limit=limit)
    try:
        return raw.decode("utf-8-sig")  # a leading BOM is an editor's mark, not content
    except UnicodeDecodeError as exc:
        raise MalformedPayload(f"{source} is not UTF-8 (byte {exc.start})", reason="utf-8") from exc


def emit_json(value: Any) -> None:
    """Print ``value`` as indented JSON on standard output."""
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")
    sys.stdout.flush()


class WarningLines(logging.Handler):
    """The library's log warnings as ``warning: …`` lines on stderr, each distinct one once (a
    status list the fetcher refuses is refused once per check that reads it)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        super().__init__(logging.WARNING)
        self._stream = stream
        self._seen: set[str] = set()

    def emit(self, record: logging.LogRecord) -> None:
        line = " ".join(record.getMessage().split())
        if line in self._seen:
            return
        self._seen.add(line)
        print(f"warning: {line}", file=self._stream or sys.stderr, flush=True)

    @classmethod
    def install(cls, logger_name: str = "badgekiln") -> WarningLines:
        """Route ``logger_name``'s warnings through a fresh instance (replacing an earlier one)."""
        logger = logging.getLogger(logger_name)
        for old in [h for h in logger.handlers if isinstance(h, cls)]:
            logger.removeHandler(old)
        handler = cls()
        logger.addHandler(handler)
        logger.propagate = False
        return handler
