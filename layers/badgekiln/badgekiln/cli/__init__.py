"""The ``badgekiln`` command.

Each sub-command lives in its own module under ``badgekiln.cli`` and exposes
``register(subparsers) -> None``; the parser it adds sets ``handler`` (``Namespace -> int``).
Command modules import only ``argparse`` at import time and load the library inside the handler,
so ``badgekiln --help`` and each command start fast.

Exit codes, for every command: 0 success, 1 a negative answer (no badge data, not valid), 2 bad
input or usage, with a single ``error:`` line on stderr and never a traceback. What the library
logs as a warning (a fetch refused, say) is printed once as a ``warning:`` line.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from badgekiln.errors import BadgeKilnError

__all__ = ["COMMAND_MODULES", "EXIT_INPUT", "EXIT_NEGATIVE", "EXIT_OK", "main", "warn"]

EXIT_OK = 0
EXIT_NEGATIVE = 1
EXIT_INPUT = 2

#: Sub-command modules, in the order ``--help`` lists them.
COMMAND_MODULES: tuple[str, ...] = (
    "serve",
    "bake",
    "extract",
    "verify",
    "render",
    "issuer",
    "achievement",
    "issue",
    "revoke",
    "credential",
    "apikey",
    "completion",
)


class _Parser(argparse.ArgumentParser):
    """argparse with our one-line ``error:`` convention and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_INPUT, f"error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="badgekiln", description="Bake, extract, verify and issue Open Badges.")
    from badgekiln._version import __version__

    parser.add_argument("--version", action="version", version=f"badgekiln {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    subparsers.required = True
    for name in COMMAND_MODULES:
        importlib.import_module(f"badgekiln.cli.{name}").register(subparsers)
    return parser


def _one_line(text: str) -> str:
    return " ".join(text.split())


def warn(message: str) -> None:
    """One ``warning:`` line on standard error (the command goes on)."""
    print(f"warning: {_one_line(message)}", file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command != "serve":  # the server logs as the Lambda functions do
        from badgekiln.cli._io import WarningLines

        WarningLines.install()
    try:
        code: int = args.handler(args)
    except BadgeKilnError as exc:
        print(f"error: {_one_line(str(exc))}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader went away (e.g. `| head`); nothing useful left to say
        return EXIT_OK
    except ModuleNotFoundError as exc:
        # an optional part reached without its extra, through an import not wrapped in requires()
        from badgekiln.extras import missing_extra

        error = missing_extra(exc)
        if error is None:
            raise
        print(f"error: {_one_line(str(error))}", file=sys.stderr)
        return EXIT_INPUT
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""  # which file a command opened itself
        print(f"error: {_one_line(where + (exc.strerror or str(exc)))}", file=sys.stderr)
        return EXIT_INPUT
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
