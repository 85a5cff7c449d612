"""The harnesses: name → target, seeds and campaign size.

A harness module defines ``target(data: bytes) -> None`` (calls the library's public entry points
and raises :class:`~fuzz.oracle.OracleViolation` when a property fails), ``seeds()`` (named seed
inputs built from tests/vectors, tests/vectors/wild and events/) and, optionally, ``setup()`` (once
per process, before the first case) and ``mutate(data, max_size, seed)`` (a custom mutator).

``tier`` sets the campaign size of ``make fuzz-long``: ``"parser"`` harnesses (containers, JWS,
status, batch rows) run at least 1,000,000 cases, ``"full"`` ones (whole verification, rendering,
each handler) at least 100,000 (issue #14).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import ModuleType
from typing import Final, Literal

__all__ = ["FULL_RUNS", "HARNESSES", "PARSER_RUNS", "Harness", "harness"]

#: Cases per harness in ``make fuzz-long`` (issue #14).
PARSER_RUNS: Final = 1_000_000
FULL_RUNS: Final = 100_000
#: Handlers fuzzed, one harness each (``handler-<name>``): every function of functions/.
HANDLERS: Final = (
    "admin",
    "authorizer",
    "bake",
    "docs",
    "extract",
    "issue",
    "pages",
    "public",
    "publisher",
    "render",
    "verify",
    "worker",
)


@dataclass(frozen=True)
class Harness:
    """One harness: ``module`` under fuzz.harnesses, with ``variant`` passed to its functions.

    ``instrument`` lists the packages whose Python code atheris instruments for coverage
    (badgekiln always; the parsers each harness leans on besides); ``max_len`` caps input size.
    """

    name: str
    module: str
    tier: Literal["parser", "full"]
    max_len: int
    variant: str = ""
    instrument: tuple[str, ...] = ()

    @property
    def runs(self) -> int:
        return PARSER_RUNS if self.tier == "parser" else FULL_RUNS

    def load(self) -> ModuleType:
        return importlib.import_module(f"fuzz.harnesses.{self.module}")

    def target(self) -> Callable[[bytes], None]:
        module = self.load()
        make: Callable[[str], Callable[[bytes], None]] = module.make_target
        return make(self.variant)

    def seeds(self) -> Iterable[tuple[str, bytes]]:
        module = self.load()
        seeds: Callable[[str], Iterable[tuple[str, bytes]]] = module.seeds
        return seeds(self.variant)


_ALL: Final = (
    Harness("png", "containers", "parser", 256 * 1024, "png"),
    Harness("png-pixels", "containers", "full", 256 * 1024, "pixels", ("png",)),
    Harness("svg", "containers", "parser", 128 * 1024, "svg", ("defusedxml",)),
    Harness("jws", "jws", "parser", 16 * 1024),
    Harness("status", "status", "parser", 32 * 1024, "lists"),
    Harness("bitstring", "status", "parser", 16 * 1024, "bitstring"),
    Harness("batch", "batch", "parser", 16 * 1024),
    Harness("verify", "verification", "full", 256 * 1024, "", ("pyld", "rfc8785")),
    Harness("render", "render", "full", 64 * 1024, "", ("tinycss2", "cssselect2", "cairosvg")),
    *(
        Harness(f"handler-{name}", "handlers", "full", 64 * 1024, name, ("multipart", name))
        for name in HANDLERS
    ),
)
HARNESSES: Final = {h.name: h for h in _ALL}


def harness(name: str) -> Harness:
    """The harness called ``name``.

    Raises:
        KeyError: no such harness (the message lists them).
    """
    try:
        return HARNESSES[name]
    except KeyError:
        raise KeyError(f"no harness {name!r}; there are: {', '.join(HARNESSES)}") from None
