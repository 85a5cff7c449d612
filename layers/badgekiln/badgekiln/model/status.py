"""Status documents: ``credentialStatus`` entries and the lists they point at.

* :class:`StatusEntry`: one ``credentialStatus`` of an OB 3.0 credential
  (``BitstringStatusListEntry``, ``StatusList2021Entry``, ``1EdTechRevocationList``);
* a status list credential is a :class:`~badgekiln.model.ob3.Credential` whose subject is the
  list (:attr:`~badgekiln.model.ob3.Subject.encoded_list`, ``purposes``);
* :class:`RevocationList`: an OB 2.0 ``RevocationList`` or a 1EdTech revocation list, with its
  :class:`RevokedEntry` items.

Every member is returned as written: the status checks decide what they accept.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from badgekiln.model.node import Node, is_object, member, string

__all__ = ["RevocationList", "RevokedEntry", "StatusEntry"]


@dataclass(frozen=True, eq=False)
class StatusEntry(Node):
    """One ``credentialStatus`` entry."""

    purpose = member("statusPurpose")
    index = member("statusListIndex")
    size = member("statusSize", doc="``statusSize``; 1 when absent (the REC's default).", default=1)
    messages = member("statusMessage", doc="``statusMessage`` as written (``{status, message}`` objects?).")
    list_url = member("statusListCredential", doc="``statusListCredential``: where the list is published.")

    @staticmethod
    def message_of(item: Any) -> tuple[Any, Any]:
        """(``status``, ``message``) of one ``statusMessage`` item; ``(None, None)`` for a non-object."""
        return (item.get("status"), item.get("message")) if is_object(item) else (None, None)


@dataclass(frozen=True, eq=False)
class RevokedEntry(Node):
    """One object entry of a revocation list (``revokedCredentials`` / ``revokedAssertions``)."""

    uid = member("uid", doc="The legacy OB 2.0 ``uid`` the entry may name instead of an ``id``.")
    revoked = member(
        "revoked", doc="``revoked`` as written; true when absent (listed revokes).", default=True
    )
    reason = member("revocationReason", string)


@dataclass(frozen=True, eq=False)
class RevocationList(Node):
    """A revocation list by id: OB 2.0 ``RevocationList`` or a 1EdTech revocation list."""

    issuer = member(
        "issuer",
        lambda value: value.get("id") if is_object(value) else value,
        "The issuer the list names (its id, or the value as written), or ``None``.",
    )

    def entries(self, key: str) -> list[Any] | None:
        """The entries of ``key``; ``None`` when the list has no such member. One entry may be
        compacted to a value, and a ``null`` is an entry (a malformed one), never "none"."""
        if key not in self.raw:
            return None
        value = self.raw[key]
        return value if isinstance(value, list) else [value]
