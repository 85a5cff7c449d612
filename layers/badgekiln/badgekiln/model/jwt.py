"""VC-JWT: the JOSE header and the claims of a token that carries an OB 3.0 credential.

The credential is the ``vc`` claim (VC 1.1) or the whole payload without its registered claims
(VC 2.0). Nothing here verifies anything: :mod:`badgekiln.verification.vcjwt` does, reading through
these views.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final, Literal

from badgekiln.model.dates import DateTime
from badgekiln.model.node import Node, member
from badgekiln.model.ob3 import Credential

__all__ = ["REGISTERED_CLAIMS", "JoseHeader", "VcJwt"]

#: JWT registered claims: they describe the token, so they are not part of the credential.
REGISTERED_CLAIMS: Final = frozenset({"iss", "sub", "aud", "exp", "nbf", "iat", "jti"})


@dataclass(frozen=True, eq=False)
class JoseHeader(Node):
    """A JWS protected header; each member exactly as written."""

    alg = member("alg")
    typ = member("typ")
    kid = member("kid")
    jwk = member("jwk")


@dataclass(frozen=True, eq=False)
class VcJwt(Node):
    """The claims of a VC-JWT (``raw``), and the :class:`~badgekiln.model.ob3.Credential` they
    carry; ``form`` is ``"vc"`` (VC 1.1 ``vc`` claim) or ``"payload"`` (VC 2.0)."""

    credential: Credential = field(init=False)
    form: Literal["vc", "payload"] = field(init=False)
    #: ``nbf`` and ``exp`` read as NumericDates (``None`` when absent).
    not_before: DateTime | None = field(init=False)
    expiry: DateTime | None = field(init=False)

    def __post_init__(self) -> None:
        for name, claim in (("not_before", "nbf"), ("expiry", "exp")):
            value = DateTime.numeric(self.raw[claim], claim) if claim in self.raw else None
            object.__setattr__(self, name, value)
        vc = Credential.of(self.raw.get("vc"))
        if vc is None:
            members = {name: value for name, value in self.raw.items() if name not in REGISTERED_CLAIMS}
            vc = Credential(members)
            object.__setattr__(self, "form", "payload")
        else:
            object.__setattr__(self, "form", "vc")
        object.__setattr__(self, "credential", vc)

    iss = member("iss")
    sub = member("sub")
    jti = member("jti")
