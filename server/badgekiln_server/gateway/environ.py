"""Per-thread environments for local invocations: each function sees exactly its own variables.

On Lambda every function runs in its own process with its own environment, and one function may
call another over HTTP while it runs (the verify function fetching a status list the public
function serves). Locally they share one process, so ``os.environ`` is made *layered*: while a
thread runs an invocation (:func:`function_environment`), reads and writes of ``os.environ``
(and so ``os.getenv``, boto3, Powertools) go to that thread's own layer over the process
environment, and no other thread sees them: an invocation sees exactly its function's variables
and the server's own threads the process's (invocations take turns, :mod:`.functions` says why).

Threads a handler starts itself see the process environment, not its layer. The layering is
installed on first use and changes nothing for threads outside an invocation.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

__all__ = ["function_environment"]

_local = threading.local()
_install_lock = threading.Lock()
#: Marks a variable deleted in a layer (``None`` would need a wider value type).
_DELETED = object()


def _layer() -> dict[str, Any] | None:
    layer: dict[str, Any] | None = getattr(_local, "layer", None)
    return layer


class _LayeredEnviron(type(os.environ)):  # type: ignore[misc]  # os._Environ, a private class
    """``os.environ`` that consults the calling thread's layer first."""

    def __getitem__(self, key: str) -> str:
        layer = _layer()
        if layer is not None and key in layer:
            value = layer[key]
            if value is _DELETED:
                raise KeyError(key)
            return str(value)
        return str(super().__getitem__(key))

    def __setitem__(self, key: str, value: str) -> None:
        layer = _layer()
        if layer is None:
            super().__setitem__(key, value)
            return
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError(f"str expected, not {type(value).__name__}")
        layer[key] = value

    def __delitem__(self, key: str) -> None:
        layer = _layer()
        if layer is None:
            super().__delitem__(key)
            return
        if key not in self:
            raise KeyError(key)
        layer[key] = _DELETED

    def __iter__(self) -> Iterator[str]:
        layer = _layer()
        if layer is None:
            yield from super().__iter__()
            return
        for key in super().__iter__():
            if key not in layer:
                yield key
        for key, value in list(layer.items()):
            if value is not _DELETED:
                yield key

    def __len__(self) -> int:
        if _layer() is None:
            return int(super().__len__())
        return sum(1 for _ in self)

    def copy(self) -> dict[str, str]:
        return dict(self)


def _install() -> None:
    with _install_lock:
        if not isinstance(os.environ, _LayeredEnviron):
            # same instance (every module's reference keeps working), new behaviour
            os.environ.__class__ = _LayeredEnviron


@contextmanager
def function_environment(values: Mapping[str, str]) -> Iterator[None]:
    """Run the block with ``values`` over the process environment, for this thread only.

    Nested blocks (a handler invoking another function in-process) stack and unwind in order.
    """
    _install()
    saved = _layer()
    _local.layer = dict(values)
    try:
        yield
    finally:
        _local.layer = saved
