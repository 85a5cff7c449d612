"""``badgekiln serve``: the HTTP API of ``template.yaml`` on a laptop, with no Docker and no cloud.

Requests become genuine API Gateway HTTP API events for the real handlers (:mod:`badgekiln_server.gateway`);
this module is the HTTP server around that: threaded, loopback by default, with bounded request
sizes and socket timeouts, and no traceback ever sent to a client.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from badgekiln.errors import InputError
from badgekiln.masking import redact_for_log
from badgekiln_server.gateway import (
    MAX_REQUEST_BYTES,
    HttpRequest,
    HttpResponse,
    LocalGateway,
    load_template,
)
from badgekiln_server.gateway.events import gateway_message, new_request_id

__all__ = [
    "DEFAULT_STORE",
    "EVENTS_FILE",
    "MAX_CONNECTIONS",
    "LocalServer",
    "ServeOptions",
    "default_template",
    "make_server",
    "run",
    "serve_environment",
]

log = logging.getLogger(__name__)

#: Where the local store lives unless --store says otherwise (git-ignored).
DEFAULT_STORE = ".badgekiln/store"
#: The JSON Lines file events are appended to in a local store's directory (docs/events.md).
EVENTS_FILE = "events.jsonl"
#: Connections served at once (a thread each, kept alive between requests); more wait in the
#: listen backlog for a free slot instead of spawning threads without end.
MAX_CONNECTIONS = 256
#: Connections the kernel queues before the server accepts them (socketserver's default of 5
#: resets clients as soon as a burst outruns the accept loop).
LISTEN_BACKLOG = 1024
#: Bytes of an answer written in one piece (most answers are smaller: one segment each).
WRITE_BUFFER = 64 * 1024
#: Seconds a client may take to send a request (a slow client cannot hold a thread forever).
SOCKET_TIMEOUT = 30
#: Bytes of one chunk-size line in a chunked body.
_MAX_CHUNK_LINE = 1024
#: Trailer lines after the last chunk (clients send none or one or two).
_MAX_TRAILERS = 16
_HEX_DIGITS = b"0123456789abcdefABCDEF"

_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


class _BodyTooLarge(Exception):
    pass


class _BadRequest(Exception):
    pass


class _Handler(BaseHTTPRequestHandler):
    server: LocalServer
    protocol_version = "HTTP/1.1"
    timeout = SOCKET_TIMEOUT
    # TCP_NODELAY: an answer goes out at once, not after the client's delayed ACK (~40 ms) ...
    disable_nagle_algorithm = True
    # ... and head and body in one write: the answer is buffered until the handler flushes it
    # after each request (a body larger than the buffer follows in its own writes)
    wbufsize = WRITE_BUFFER

    def version_string(self) -> str:
        return "badgekiln-serve"

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self._read_chunked()
        length_header = self.headers.get("Content-Length")
        if length_header is None:
            return b""
        length_text = length_header.strip()
        if not (length_text.isascii() and length_text.isdigit()):  # int() fails on "²"
            raise _BadRequest
        length = int(length_text)
        if length > MAX_REQUEST_BYTES:
            raise _BodyTooLarge
        return self.rfile.read(length)

    def _read_chunked(self) -> bytes:
        body = bytearray()
        while True:
            digits = self.rfile.readline(_MAX_CHUNK_LINE).split(b";", 1)[0].strip()
            # hex digits only: int(…, 16) also takes "-1" (and read(-1) reads to the end of the
            # stream, without limit), "0x10" and "1_0"
            if not digits or digits.strip(_HEX_DIGITS):
                raise _BadRequest
            size = int(digits, 16)
            if size == 0:
                for _ in range(_MAX_TRAILERS + 1):
                    if not self.rfile.readline(_MAX_CHUNK_LINE).strip():
                        return bytes(body)
                raise _BadRequest
            if len(body) + size > MAX_REQUEST_BYTES:
                raise _BodyTooLarge
            body += self.rfile.read(size)
            self.rfile.readline(_MAX_CHUNK_LINE)

    def _dispatch(self) -> None:
        try:
            body = self._read_body()
        except _BodyTooLarge:
            self.close_connection = True  # the rest of the body is not read
            self._send(gateway_message(413, "Request Entity Too Large", new_request_id()), head=False)
            return
        except _BadRequest:
            self.close_connection = True
            self._send(gateway_message(400, "Bad Request", new_request_id()), head=False)
            return
        request = HttpRequest(
            method=self.command,
            target=self.path,
            headers=list(self.headers.items()),
            body=body,
            source_ip=self.client_address[0],
            protocol=self.request_version,
        )
        self._send(self.server.gateway.handle(request), head=self.command == "HEAD")

    def _send(self, response: HttpResponse, *, head: bool) -> None:
        self.send_response(response.status)
        for name, value in response.headers:
            if name.lower() not in {"content-length", "connection", "transfer-encoding"}:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if not head:
            self.wfile.write(response.body)

    def log_message(self, format: str, *args: Any) -> None:
        # the request line's query may name a recipient (/verify?url=…&recipient=…)
        log.info("%s %s", self.address_string(), redact_for_log(format % args))


for _method in _METHODS:
    setattr(_Handler, f"do_{_method}", _Handler._dispatch)


class LocalServer(ThreadingHTTPServer):
    """A threaded HTTP server in front of a :class:`~badgekiln_server.gateway.LocalGateway`."""

    daemon_threads = True
    block_on_close = False
    request_queue_size = LISTEN_BACKLOG
    #: Where the handlers' store is and the public URL they publish under (set by make_server).
    store_url: str = ""
    public_url: str = ""

    def __init__(self, address: tuple[str, int], gateway: LocalGateway) -> None:
        self.gateway = gateway
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        super().__init__(address, _Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def process_request(self, request: Any, client_address: Any) -> None:
        self._slots.acquire()
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def handle_error(self, request: Any, client_address: Any) -> None:
        # a client that vanished or sent garbage; never print a traceback for it
        log.info(
            "connection from %s ended with an error", client_address, exc_info=log.isEnabledFor(logging.DEBUG)
        )


#: Folders above the installed package searched for the application (the package sits at
#: ``layers/badgekiln/badgekiln`` in the source tree, so the template is three levels up).
_TEMPLATE_SEARCH_DEPTH = 4


def default_template() -> Path:
    """The ``template.yaml`` of the source tree the ``badgekiln`` package is installed from.

    ``make run`` installs the package from its checkout (``pip install -e``), so ``badgekiln
    serve`` finds the application, the template and its ``functions/``, from any folder.

    Raises:
        InputError: ``reason="template"``: no source tree with a template and ``functions/``
            holds the package (e.g. it was installed from a wheel); pass ``--template``.
    """
    import badgekiln

    package = Path(badgekiln.__file__).resolve().parent
    for folder in package.parents[:_TEMPLATE_SEARCH_DEPTH]:
        if (folder / "template.yaml").is_file() and (folder / "functions").is_dir():
            return folder / "template.yaml"
    raise InputError(
        f"template: no template.yaml with its functions/ above the installed badgekiln package "
        f"({package}); pass --template PATH",
        reason="template",
    )


@dataclass(frozen=True, slots=True)
class ServeOptions:
    """What ``badgekiln serve`` was asked for."""

    template: Path
    host: str = "127.0.0.1"
    port: int = 8080
    store: str | None = None
    public_url: str | None = None


def serve_environment(store: str, public_url: str, *, events_file: str = "-") -> dict[str, str]:
    """Environment the handlers get locally, on top of their template environment; events are
    appended to ``events_file`` (``-``: standard error)."""
    return {
        "BADGEKILN_STORE": store,
        "BADGEKILN_PUBLIC_URL": public_url,
        "POWERTOOLS_DEV": "true",  # readable logs
        # issuer keys in the store (private/keys/), not in KMS, whatever the template's default
        "BADGEKILN_SIGNING_KEYS": "local",
        # no queue here: status changes are published in-process, before the API answers
        "BADGEKILN_STATUS_QUEUE": "",
        # no bus here: events are appended to events.jsonl in a local store (printed otherwise)
        "BADGEKILN_EVENT_BUS": "",
        "BADGEKILN_EVENTS_FILE": events_file,
        "POWERTOOLS_TRACE_DISABLED": "true",
        "AWS_REGION": os.environ.get("AWS_REGION", "us-east-1"),
        "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
    }


def make_server(
    template: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    store: str | None = None,
    public_url: str | None = None,
    parameters: Mapping[str, str] | None = None,
) -> LocalServer:
    """Bind a server for ``template`` (``port=0`` picks a free port); start it with ``serve_forever``.

    ``store`` defaults to :data:`DEFAULT_STORE` beside the template, ``public_url`` to the server's
    own URL. Handler modules are imported on their first request.

    Raises:
        InputError: the template cannot be served (``reason="template"``).
        InvalidField: ``store`` is not a store location.
        OSError: the address cannot be bound.
    """
    from badgekiln.store import open_store
    from badgekiln.store.local import LocalStore

    app = load_template(template, parameters=parameters)
    store_url = store or str(app.root / DEFAULT_STORE)
    opened = open_store(store_url)  # a bad --store fails here, not on the first request that needs it
    server = LocalServer((host, port), LocalGateway(app, {}))
    # events go to events.jsonl beside a local store's objects, to standard error otherwise
    events_file = str(opened.root / EVENTS_FILE) if isinstance(opened, LocalStore) else "-"
    environment = serve_environment(store_url, public_url or server.url, events_file=events_file)
    for function in server.gateway.functions.values():
        function.environment.update(environment)
    server.store_url, server.public_url = store_url, environment["BADGEKILN_PUBLIC_URL"]
    return server


def run(options: ServeOptions, *, on_ready: Callable[[LocalServer], None] | None = None) -> None:
    """Serve until interrupted; ``on_ready`` runs once the socket is bound (e.g. to print a demo)."""
    server = make_server(
        options.template,
        host=options.host,
        port=options.port,
        store=options.store,
        public_url=options.public_url,
    )
    try:
        if on_ready is not None:
            on_ready(server)
        server.serve_forever()
    finally:
        server.server_close()
