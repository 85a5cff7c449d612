"""How a recipient's identity is shown: enough to recognise it, not to harvest it.

Pages, the command line and the records issuing keeps show identities only through these
(``ada.lovelace@example.org`` → ``a•••@e•••.org``); the identity as written is never shown.
Log lines pass through :func:`redact_for_log`, so no door writes one either.
"""

from __future__ import annotations

import re

__all__ = ["mask_email", "mask_identifier", "mask_identity", "mask_telephone", "redact_for_log"]

# a query string (``?recipient=…``, ``?url=…`` may carry an identity, raw or percent-encoded) up
# to the next space or quote; an e-mail address anywhere, raw or with its @ percent-encoded
_QUERY = re.compile(r"\?[^\s\"'<>]*")
_EMAIL = re.compile(r"[\w.!#$%&'*+/=^`{|}~-]+(?:@|%40)[\w-]+(?:\.[\w-]+)+", re.ASCII | re.IGNORECASE)


def mask_email(address: str) -> str:
    """``ada.lovelace@example.org`` → ``a•••@e•••.org``: enough to recognise, not to harvest."""
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain:
        return mask_identifier(address)
    host, dot, tld = domain.rpartition(".")
    shown_domain = f"{host[:1]}•••{dot}{tld[:12]}" if dot and host else f"{domain[:1]}•••"
    return f"{local[:1]}•••@{shown_domain}"


def mask_telephone(number: str) -> str:
    """``+44 20 7946 0123`` → ``•••••••23``: the last two digits only."""
    digits = [ch for ch in number if ch.isdigit()]
    return "•" * 7 + "".join(digits[-2:])


def mask_identifier(value: str) -> str:
    """A DID, URL or other id shown by a few characters at each end: ``did:key:z6Mk…Ab3x``,
    ``https:…lace``."""
    if len(value) <= 12:
        return value[:2] + "•••"
    parts = value.split(":", 2)
    if len(parts) == 3 and parts[0] == "did" and 0 < len(parts[1]) <= 20:
        return f"did:{parts[1]}:{parts[2][:4]}…{value[-4:]}"
    return f"{value[:6]}…{value[-4:]}"


def mask_identity(identity: str, kind: str) -> str:
    """``identity`` masked as its ``kind`` says: ``email``, ``telephone``, anything else an id."""
    if kind == "email":
        return mask_email(identity)
    if kind == "telephone":
        return mask_telephone(identity)
    return mask_identifier(identity)


def redact_for_log(text: str) -> str:
    """``text`` fit for a log line: every query string replaced by ``?…`` and every e-mail
    address masked (:func:`mask_email`), so recipients never reach logs."""
    without_queries = _QUERY.sub("?…", text)
    return _EMAIL.sub(lambda m: mask_email(m.group(0).replace("%40", "@")), without_queries)
