"""Test support for issuing: images, a hosting server over the store, and a store that crashes.

* :data:`FORMATS` (ids :data:`FORMAT_IDS`): the issuing options of every credential format.
* :func:`seed_acme`: issuer ``acme`` and its achievement ``teamwork``, the store most tests start from.
* :func:`small_png` / :data:`TEMPLATE_SVG`: achievement images built in code.
* :func:`public_documents`: every public object of a store, keyed by its public URL, for
  ``verify(..., documents=…, offline=True)`` (the verifier then sees what the public function
  would serve).
* :class:`HostingServer`: a threaded HTTP(S) server on 127.0.0.1 answering GETs from a store
  exactly as :func:`badgekiln.hosting.responses.public_response` says the public function must.
* :class:`CrashingStore`: wraps a store and fails the N-th write, as a process crash between
  two writes would leave it.
"""

from __future__ import annotations

import io
import ssl
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import png

from badgekiln.errors import StoreError
from badgekiln.hosting.layout import Layout, classify
from badgekiln.hosting.responses import public_response
from badgekiln.issue import KeyOptions, create_achievement, create_issuer
from badgekiln.store.base import PUBLIC, ObjectInfo, Store, StoredObject, Write
from badgekiln.store.local import LocalStore

__all__ = [
    "FORMATS",
    "FORMAT_IDS",
    "TEMPLATE_SVG",
    "CrashingStore",
    "HostingServer",
    "names",
    "public_documents",
    "seed_acme",
    "small_png",
]

#: Where the seeded issuers publish.
PUBLIC_URL = "https://badges.example.org"

#: ``issue_credential`` options of every format badgekiln issues, and their test ids.
FORMATS: list[dict[str, Any]] = [
    {"spec": "ob3"},
    {"spec": "ob3", "proof": "jwt"},
    {"spec": "ob3", "proof": "jwt", "algorithm": "EdDSA"},
    {"spec": "ob2"},
    {"spec": "ob2", "signed": True},
]
FORMAT_IDS = ["ob3-di", "ob3-jwt-rs256", "ob3-jwt-eddsa", "ob2-hosted", "ob2-signed"]


#: An SVG achievement image with placeholders (personalised per recipient).
TEMPLATE_SVG = b"""<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="120" height="120" viewBox="0 0 120 120">
  <title>{{achievement_name}} for {{recipient_name}}</title>
  <rect width="120" height="120" fill="#2a9d8f"/>
  <text x="60" y="55" font-family="DejaVu Sans" font-size="12" text-anchor="middle">{{recipient_name}}</text>
  <text x="60" y="80" font-family="DejaVu Sans" font-size="9" text-anchor="middle">{{issued_on}}</text>
</svg>
"""


def small_png(size: int = 16, color: tuple[int, int, int] = (200, 40, 40)) -> bytes:
    """A ``size`` × ``size`` RGB PNG of one colour."""
    out = io.BytesIO()
    rows = [list(color) * size for _ in range(size)]
    png.Writer(size, size, greyscale=False).write(out, rows)
    return out.getvalue()


def seed_acme(
    store: Store,
    image: bytes | None = None,
    *,
    keys: KeyOptions | None = None,
    now: datetime | None = None,
    **issuer: Any,
) -> None:
    """Issuer ``acme`` (did:web under :data:`PUBLIC_URL`, created at ``now``; ``issuer`` adds
    profile fields such as ``suspension``) and its achievement ``teamwork`` with ``image``
    (default :func:`small_png`)."""
    data = {"name": "Acme", "url": "https://acme.example", "slug": "acme", **issuer}
    create_issuer(store, PUBLIC_URL, data, keys=keys or KeyOptions(), now=now)
    teamwork = {"name": "Teamwork", "slug": "teamwork", "description": "Works with others."}
    create_achievement(store, "acme", {**teamwork, "criteria": "Shipped."}, image or small_png())


def public_documents(store: Store, public_url: str) -> dict[str, bytes]:
    """Every ``public/`` object of ``store`` under the URL the layout gives it."""
    where = Layout.parse(public_url)
    documents: dict[str, bytes] = {}
    for key in store.list(PUBLIC):
        hosted = classify(key[len(PUBLIC) :])
        if hosted is not None:
            documents[where.url(hosted)] = store.get(key).body
    return documents


class HostingServer:
    """Serve ``store``'s public documents on 127.0.0.1 (TLS with ``tls``); a context manager."""

    def __init__(self, store: Store, *, tls: ssl.SSLContext | None = None, prefix: str = "") -> None:
        self.store = store
        self.requests: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # the public function's GET
                outer.requests.append(self.path)
                path = self.path.split("?", 1)[0]
                if prefix and path.startswith(prefix + "/"):
                    path = path[len(prefix) :]
                answer = public_response(
                    outer.store,
                    path,
                    accept=self.headers.get("Accept"),
                    if_none_match=self.headers.get("If-None-Match"),
                )
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> HostingServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


class CrashingStore(Store):
    """``inner``, except that write number ``crash_at`` (1-based) raises :class:`StoreError`.

    Writes are ``put`` (and so ``create`` and ``update``'s write) and ``delete``; ``writes``
    counts them and ``log`` names them, so a test can find how many writes an operation makes.
    """

    def __init__(self, inner: Store, crash_at: int | None = None) -> None:
        self.inner = inner
        self.crash_at = crash_at
        self.writes = 0
        self.log: list[str] = []

    def _write(self, key: str) -> None:
        self.writes += 1
        self.log.append(key)
        if self.crash_at is not None and self.writes == self.crash_at:
            raise StoreError(f"injected crash before write {self.writes} ({key})", reason="injected")

    def _get(self, key: str) -> StoredObject:
        return self.inner.get(key)

    def _head(self, key: str) -> ObjectInfo:
        return self.inner.head(key)

    def _put(self, write: Write) -> str:
        self._write(write.key)
        return self.inner.put(
            write.key,
            write.body,
            content_type=write.content_type,
            cache_control=write.cache_control,
            metadata=write.metadata,
            if_match=write.if_match,
            if_none_match=write.if_none_match,
        )

    def _delete(self, key: str, if_match: str | None) -> None:
        self._write(key)
        self.inner.delete(key, if_match=if_match)

    def _list(self, prefix: str) -> Iterator[str]:
        return self.inner.list(prefix)

    def __repr__(self) -> str:
        return f"CrashingStore({self.inner!r})"


def names(store: Store, prefix: str) -> list[str]:
    """Keys under ``prefix``, without it."""
    return [key[len(prefix) :] for key in store.list(prefix)]


class CountingStore(LocalStore):
    """A LocalStore that counts write requests per key (``create`` is a conditional ``put``)."""

    def __init__(self, root: str) -> None:
        super().__init__(root)
        self.writes: Counter[str] = Counter()

    def put(self, key: str, body: bytes, **kwargs: Any) -> str:
        self.writes[key] += 1
        return super().put(key, body, **kwargs)
