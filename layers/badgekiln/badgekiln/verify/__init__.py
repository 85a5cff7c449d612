"""The verification engine: :func:`verify` any Open Badge and get an immutable :class:`Report`.

::

    from badgekiln.verify import verify
    report = verify(baked_png, recipient="ann@example.org")
    report.valid, report.checks, report.to_dict()

What is checked, in which order, and the strict choices made where the specs leave one are in
docs/verification.md. Submodules: ``engine`` (input detection and dispatch), ``ob2`` and ``ob3``
(the two specs), ``ldp`` / ``vcjwt`` (proof formats), ``provenance`` (is the key the issuer's?),
``report`` (the result), ``options``, and the building blocks ``recipient`` and ``schema``.
Names are imported on first use, so ``badgekiln.verify.recipient`` stays light.
"""

from __future__ import annotations

import sys
import types
from typing import TYPE_CHECKING, Any

from badgekiln._lazy import lazy_exports

if TYPE_CHECKING:
    from badgekiln.verify.engine import verify
    from badgekiln.verify.options import VerifyOptions
    from badgekiln.verify.report import Check, Report, Summary

__all__ = ["Check", "Report", "Summary", "VerifyOptions", "verify"]

_LAZY: dict[str, str] = {
    "verify": "badgekiln.verify.engine",
    "VerifyOptions": "badgekiln.verify.options",
    "Check": "badgekiln.verify.report",
    "Report": "badgekiln.verify.report",
    "Summary": "badgekiln.verify.report",
}


__getattr__, __dir__ = lazy_exports(globals(), _LAZY)


class _CallableModule(types.ModuleType):
    """``badgekiln.verify`` is both this package and the recipe: importing a submodule makes
    Python bind the package over ``badgekiln.verify`` the function, so the package forwards
    calls to :func:`verify`."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return __getattr__("verify")(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
