"""The verification engine: :func:`verify` any Open Badge and get an immutable :class:`Report`.

The recipe is ``badgekiln.verify``; this package is where it and its parts live (named apart
from the function, as ``baking`` holds ``bake``, so ``badgekiln.verify`` is always the function)::

    import badgekiln
    from badgekiln.verification import VerifyOptions
    report = badgekiln.verify(baked_png, options=VerifyOptions(recipient="ann@example.org"))
    report.valid, report.checks, report.to_dict()

What is checked, in which order, and the strict choices made where the specs leave one are in
docs/verification.md. Submodules: ``engine`` (input detection and dispatch), ``ob2`` and ``ob3``
(the two specs), ``ldp`` / ``vcjwt`` (proof formats), ``provenance`` (is the key the issuer's?),
``report`` (the result), ``options``, and the building blocks ``recipient`` and ``schema``.
Names are imported on first use, so ``badgekiln.verification.recipient`` stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from badgekiln._lazy import lazy_exports

if TYPE_CHECKING:
    from badgekiln.verification.engine import verify
    from badgekiln.verification.options import VerifyOptions
    from badgekiln.verification.report import Check, Report, Summary

__all__ = ["Check", "Report", "Summary", "VerifyOptions", "verify"]

_LAZY: dict[str, str] = {
    "verify": "badgekiln.verification.engine",
    "VerifyOptions": "badgekiln.verification.options",
    "Check": "badgekiln.verification.report",
    "Report": "badgekiln.verification.report",
    "Summary": "badgekiln.verification.report",
}


__getattr__, __dir__ = lazy_exports(globals(), _LAZY)
