"""Loopback HTTP servers and socket-level guards for tests that touch the network stack.

Only tests of the fetcher open sockets (see docs/development.md); they use these helpers so
that no byte ever leaves the machine:

* :class:`LoopbackServer` serves a dict of ``path -> Route`` (or ``(status, headers, body)``) on
  127.0.0.1 (or ``::1``) at an ephemeral port, one thread per connection, and counts the
  connections it accepted (``keep_alive=True`` answers several requests per connection). Routes
  can lie about ``Content-Length``, use chunked encoding, wait before answering, drip the body
  (or the whole response) slowly, redirect, or send raw bytes.
* :class:`ConnectGuard` patches ``socket.connect`` process-wide, records every destination, and
  refuses (without sending anything) any destination that is not loopback.
* :class:`FakeResolver` patches ``socket.getaddrinfo``: names map to the addresses you choose
  (a list answers successive calls in turn, to fake DNS rebinding); unknown names fail as if they
  did not exist, so no test ever queries real DNS.

Example::

    with LoopbackServer({"/doc": Route.json({"a": 1})}) as server, ConnectGuard() as guard:
        Fetcher(FetchPolicy(allow_loopback=True)).get(server.url("/doc"))
    assert server.connections == 1 and guard.blocked == []
"""

from __future__ import annotations

import contextlib
import datetime
import http
import ipaddress
import json
import socket
import ssl
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["ConnectGuard", "FakeResolver", "LoopbackServer", "ReceivedRequest", "Route", "tls_context"]

_MAX_HEAD = 64 * 1024
_CHUNK = 16 * 1024


@dataclass(frozen=True)
class Route:
    """How the server answers one path.

    ``content_length``: ``"auto"`` sends the true length, ``None`` omits the header (the body ends
    when the connection closes), an int is sent as is (a lie if it differs). ``chunked`` uses
    chunked transfer encoding instead. ``delay`` waits before the first byte; ``drip`` waits
    between pieces of ``drip_size`` bytes of the body, or of the whole response if ``drip_head``.
    ``raw`` replaces the whole response with exactly these bytes.
    """

    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    content_length: int | str | None = "auto"
    chunked: bool = False
    delay: float = 0.0
    drip: float = 0.0
    drip_size: int = 1
    drip_head: bool = False
    raw: bytes | None = None

    @classmethod
    def json(
        cls, data: Any, *, status: int = 200, content_type: str = "application/json", **kw: Any
    ) -> Route:
        return cls(status, {"Content-Type": content_type}, json.dumps(data).encode(), **kw)

    @classmethod
    def redirect(cls, location: str, *, status: int = 302, **headers: str) -> Route:
        return cls(status, {"Location": location, **headers})

    def render(self, *, keep_alive: bool = False) -> tuple[bytes, bytes]:
        """The response head and body bytes as they go on the wire."""
        if self.raw is not None:
            return self.raw, b""
        try:
            phrase = http.HTTPStatus(self.status).phrase
        except ValueError:
            phrase = "Whatever"
        lines = [f"HTTP/1.1 {self.status} {phrase}"]
        lines += [f"{name}: {value}" for name, value in self.headers.items()]
        body = self.body
        if self.chunked:
            lines.append("Transfer-Encoding: chunked")
            pieces = [body[i : i + _CHUNK] for i in range(0, len(body), _CHUNK)]
            body = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"
        elif self.content_length == "auto":
            lines.append(f"Content-Length: {len(body)}")
        elif self.content_length is not None:
            lines.append(f"Content-Length: {self.content_length}")
        if not keep_alive:
            lines.append("Connection: close")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"), body


@dataclass(frozen=True)
class ReceivedRequest:
    method: str
    target: str
    headers: Mapping[str, str]  # lower-case names


class LoopbackServer:
    """A threaded HTTP/1.1 server on loopback; use as a context manager."""

    def __init__(
        self,
        routes: Mapping[str, Route | tuple[int, Mapping[str, str], bytes]],
        *,
        host: str = "127.0.0.1",
        tls: ssl.SSLContext | None = None,
        keep_alive: bool = False,
        port: int = 0,
    ) -> None:
        self.keep_alive = keep_alive
        self.routes = {path: r if isinstance(r, Route) else Route(*r) for path, r in routes.items()}
        self.host = host
        self.requests: list[ReceivedRequest] = []
        self.server_names: list[str | None] = []  # TLS SNI names clients sent
        self._tls = tls
        if tls is not None:
            tls.sni_callback = lambda _sock, name, _ctx: self.server_names.append(name)
        self._accepted = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._open: list[socket.socket] = []  # connections a keep-alive client may still hold
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._listener = socket.socket(family, socket.SOCK_STREAM)
        self._listener.bind((host, port))
        self._listener.listen(64)
        self.port: int = self._listener.getsockname()[1]

    @property
    def connections(self) -> int:
        """How many TCP connections the server accepted."""
        with self._lock:
            return self._accepted

    @property
    def base(self) -> str:
        scheme = "https" if self._tls else "http"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{self.port}"

    def url(self, path: str = "/") -> str:
        return self.base + path

    def __enter__(self) -> LoopbackServer:
        thread = threading.Thread(target=self._accept_loop, daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._stop.set()
        # shutdown() wakes the thread blocked in accept() (close() alone does not, on Linux).
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        with self._lock:
            for conn in self._open:
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
        for thread in list(self._threads):
            thread.join(timeout=5)

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self._accepted += 1
                self._open.append(conn)
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _serve(self, conn: socket.socket) -> None:
        try:
            conn.settimeout(5)
            if self._tls is not None:
                conn = self._tls.wrap_socket(conn, server_side=True)
            buffered = b""
            while True:  # one request, or (keep_alive) one after another on this connection
                while b"\r\n\r\n" not in buffered and len(buffered) < _MAX_HEAD:
                    data = conn.recv(4096)
                    if not data:
                        return
                    buffered += data
                head, _, buffered = buffered.partition(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
                with self._lock:
                    self.requests.append(ReceivedRequest(method, target, headers))
                route = self.routes.get(target) or self.routes.get(target.split("?", 1)[0])
                self._answer(conn, route or Route(404, {"Content-Type": "text/plain"}, b"not found"))
                if not self.keep_alive:
                    return
        except (OSError, ValueError, ssl.SSLError):
            return  # the client went away, or spoke something else: nothing to answer
        finally:
            conn.close()

    def _answer(self, conn: socket.socket, route: Route) -> None:
        head, body = route.render(keep_alive=self.keep_alive)
        if route.delay and self._stop.wait(route.delay):
            return
        if route.drip_head:
            slow = head + body
        else:
            conn.sendall(head)
            slow = body
        if not route.drip:
            conn.sendall(slow)
            return
        for start in range(0, len(slow), route.drip_size):
            conn.sendall(slow[start : start + route.drip_size])
            if self._stop.wait(route.drip):
                return


class ConnectGuard:
    """Records every ``connect``; refuses any non-loopback destination before it is contacted."""

    def __init__(self) -> None:
        self.attempts: list[tuple[str, int]] = []
        self.blocked: list[tuple[str, int]] = []
        self._original: Callable[..., Any] | None = None
        self._original_ex: Callable[..., Any] | None = None

    def __enter__(self) -> ConnectGuard:
        guard = self
        self._original, self._original_ex = socket.socket.connect, socket.socket.connect_ex

        def check(address: Any) -> None:
            host, port = str(address[0]), int(address[1])
            guard.attempts.append((host, port))
            if not ipaddress.ip_address(host.split("%", 1)[0]).is_loopback:
                guard.blocked.append((host, port))
                raise ConnectionRefusedError(f"ConnectGuard: test tried to reach {host}:{port}")

        def connect(sock: socket.socket, address: Any) -> None:
            check(address)
            assert guard._original is not None
            guard._original(sock, address)

        def connect_ex(sock: socket.socket, address: Any) -> int:
            check(address)
            assert guard._original_ex is not None
            return int(guard._original_ex(sock, address))

        socket.socket.connect = connect  # type: ignore[method-assign,assignment]
        socket.socket.connect_ex = connect_ex  # type: ignore[method-assign,assignment]
        return self

    def __exit__(self, *exc: object) -> None:
        socket.socket.connect = self._original  # type: ignore[method-assign,assignment]
        socket.socket.connect_ex = self._original_ex  # type: ignore[method-assign,assignment]


class FakeResolver:
    """``socket.getaddrinfo`` that answers from ``names`` and never asks real DNS.

    A value that is a list answers successive lookups in turn (the last one repeats), which
    fakes a DNS-rebinding server. IP literals are passed to the real function (no DNS involved);
    any other name fails with ``EAI_NONAME``. ``lookups`` records every name asked for.
    """

    def __init__(self, names: Mapping[str, str | Sequence[str]]) -> None:
        self.names = {name: [v] if isinstance(v, str) else list(v) for name, v in names.items()}
        self.lookups: list[str] = []
        self._original: Callable[..., Any] | None = None

    def __enter__(self) -> FakeResolver:
        self._original = socket.getaddrinfo
        original = self._original

        def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
            name = host.decode() if isinstance(host, bytes) else str(host)
            try:
                ipaddress.ip_address(name)
            except ValueError:
                pass
            else:
                return original(host, port, *args, **kwargs)
            self.lookups.append(name)
            answers = self.names.get(name.lower().rstrip("."))
            if not answers:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            seen = self.lookups.count(name)
            address = answers[min(seen, len(answers)) - 1]
            ip = ipaddress.ip_address(address)
            if ip.version == 6:
                return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, int(port or 0), 0, 0))]
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(port or 0)))]

        socket.getaddrinfo = getaddrinfo
        return self

    def __exit__(self, *exc: object) -> None:
        socket.getaddrinfo = self._original  # type: ignore[assignment]


def tls_context(directory: Path, *, hostname: str = "localhost") -> ssl.SSLContext:
    """A server-side TLS context with a fresh self-signed certificate for ``hostname``.

    No client trusts it unless told to: the certificate is written to ``directory / "cert.pem"``,
    which a test can install as the CA bundle.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName(hostname), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    return context
