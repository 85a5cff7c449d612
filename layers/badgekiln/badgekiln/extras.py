"""The optional extras of the ``badgekiln`` distribution, and the one way to load what they bring.

``pip install badgekiln`` bakes, extracts, verifies and issues to a local directory store. The
rest is optional (pyproject.toml ``[project.optional-dependencies]``):

==========  ==========================================  ==========================================
extra       brings                                      for
==========  ==========================================  ==========================================
``aws``     boto3 (botocore)                            the S3 store, KMS keys, the SQS publisher queue
``render``  cairosvg, tinycss2, cssselect2, Pillow      SVG → PNG, badge templates, SVG achievement
                                                        images, personalised images
``http``    Powertools, multipart, Jinja2, pybase64     the HTTP API and the pages (the Lambda
                                                        functions, ``badgekiln serve``)
``server``  PyYAML, and ``http`` and ``render``         ``badgekiln serve``
==========  ==========================================  ==========================================

Code that imports one of them does it lazily, inside :func:`requires`, so a missing extra is a
:class:`~badgekiln.errors.MissingExtra` naming it (the CLI's one ``error:`` line, HTTP 501), never
a bare ``ModuleNotFoundError``::

    with requires("aws", "an s3:// store"):
        import boto3
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from types import MappingProxyType
from typing import Final

from badgekiln.errors import MissingExtra

__all__ = ["EXTRAS", "check_installed", "extra_of", "missing_extra", "requires"]

_AWS: Final = frozenset({"boto3", "botocore"})
_RENDER: Final = frozenset({"cairosvg", "cairocffi", "tinycss2", "cssselect2", "PIL"})
_HTTP: Final = frozenset({"aws_lambda_powertools", "multipart", "jinja2", "pybase64", "markdown_it", "nh3"})

#: Each extra → the top-level modules it installs that badgekiln imports (cairocffi comes with
#: cairosvg, botocore with boto3); `badgekiln serve` runs the functions and renders, so its extra
#: holds those of ``http`` and ``render`` too.
EXTRAS: Final[Mapping[str, frozenset[str]]] = MappingProxyType(
    {
        "aws": _AWS,
        "render": _RENDER,
        "http": _HTTP,
        "server": frozenset({"yaml", "badgekiln_server"}) | _HTTP | _RENDER,
    }
)


def extra_of(exc: ModuleNotFoundError, wanted: str | None = None) -> str | None:
    """The extra that brings the module ``exc`` found missing: ``wanted`` if it does, else the
    first of :data:`EXTRAS` that does; ``None`` for a module of no extra."""
    top = (exc.name or "").partition(".")[0]
    if wanted is not None and top in EXTRAS.get(wanted, ()):
        return wanted
    return next((extra for extra, modules in EXTRAS.items() if top in modules), None)


def missing_extra(
    exc: ModuleNotFoundError, feature: str | None = None, *, wanted: str | None = None
) -> MissingExtra | None:
    """The :class:`~badgekiln.errors.MissingExtra` for ``exc`` (naming ``wanted`` if it brings
    the module), or ``None`` if no extra brings it (a broken installation, not an optional part)."""
    extra = extra_of(exc, wanted)
    if extra is None:
        return None
    return _missing(extra, (exc.name or "").partition(".")[0], feature or "this feature")


def _missing(extra: str, module: str, feature: str) -> MissingExtra:
    return MissingExtra(
        f"{feature} needs the optional dependencies of badgekiln[{extra}] ({module} is not installed): "
        f"pip install 'badgekiln[{extra}]'",
        extra=extra,
        module=module,
    )


@contextmanager
def requires(extra: str, feature: str) -> Iterator[None]:
    """Run the imports in the ``with`` block; a module of an extra missing raises
    :class:`~badgekiln.errors.MissingExtra` (``extra``, ``module``) saying what ``feature`` needs.

    The error names ``extra`` when it brings the missing module, else the extra that does.

    Raises:
        MissingExtra: a module of an extra is not installed.
        ValueError: ``extra`` is not one of :data:`EXTRAS` (a bad call).
    """
    if extra not in EXTRAS:
        raise ValueError(f"unknown extra {extra!r}")
    try:
        yield
    except ModuleNotFoundError as exc:
        error = missing_extra(exc, feature, wanted=extra)
        if error is None:
            raise
        raise error from exc


def check_installed(extra: str, feature: str) -> None:
    """Raise unless every module of ``extra`` can be imported (found, not loaded: checking costs
    no import time, and cairo's native library is not touched).

    Raises:
        MissingExtra: one of them is not installed.
        ValueError: ``extra`` is not one of :data:`EXTRAS` (a bad call).
    """
    if extra not in EXTRAS:
        raise ValueError(f"unknown extra {extra!r}")
    for module in sorted(EXTRAS[extra]):
        try:
            found = importlib.util.find_spec(module) is not None
        except ModuleNotFoundError:  # what an import hook that blocks the module raises
            found = False
        if not found:
            raise _missing(extra, module, feature)
