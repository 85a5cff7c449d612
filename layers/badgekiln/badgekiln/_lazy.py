"""Lazy package exports (PEP 562): a package names what it re-exports, and imports it on first use.

Importing ``badgekiln`` or ``badgekiln.issue`` must stay cheap (no pydantic, PyLD, Jinja2 or
botocore until a recipe runs), so their ``__init__`` modules say::

    __getattr__, __dir__ = lazy_exports(globals(), {"verify": "badgekiln.verification.engine"})
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    namespace: dict[str, Any], names: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of the package whose ``globals()`` is ``namespace``.

    ``names`` maps each lazily exported name to the module that defines it; the first access
    imports that module and caches the value in the package, so later accesses are plain lookups.
    ``__dir__`` lists the package's ``__all__``.

    Raises (from ``__getattr__``):
        AttributeError: a name the package does not export.
    """
    package = namespace["__name__"]

    def __getattr__(name: str) -> Any:
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(namespace["__all__"])

    return __getattr__, __dir__
