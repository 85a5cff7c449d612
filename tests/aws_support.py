"""AWS in tests, never the real one: fake credentials, moto in-process, moto's server on loopback."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

REGION = "us-east-1"


def fake_aws(monkeypatch: pytest.MonkeyPatch, endpoint: str | None = None) -> None:
    """Fake credentials in ``us-east-1``, no profile, and ``endpoint`` (or none) for every service."""
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_KMS", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    if endpoint:
        monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)


@contextmanager
def mocked_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fake credentials, and moto answering every boto3 call in this process."""
    from moto import mock_aws

    fake_aws(monkeypatch)
    with mock_aws():
        yield


def atomic_writes(app: WSGIApp) -> WSGIApp:
    """Serialise moto's mutating requests, as S3 makes conditional writes atomic.

    moto 5.2.5 checks If-Match / If-None-Match and stores in a separate step, so concurrent
    conditional writes race there as they never do on S3; reads stay concurrent.
    """
    lock = threading.Lock()

    def serialised(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ["REQUEST_METHOD"] in {"PUT", "POST", "DELETE"}:
            with lock:
                return list(app(environ, start_response))
        return app(environ, start_response)

    return serialised


@contextmanager
def moto_server() -> Iterator[str]:
    """moto's server (every service) on a loopback port, writes made atomic; yields its URL."""
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    app = atomic_writes(DomainDispatcherApplication(create_backend_app))
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=MotoRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()


def kms_refuses_unusable_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto's KMS as real KMS answers a key that is not enabled: Sign and GetPublicKey refused
    with ``KMSInvalidStateException`` (pending deletion) or ``DisabledException``. moto 5.2.5
    signs with any key, whatever its state."""
    from moto.core.exceptions import JsonRESTError
    from moto.kms.models import KmsBackend

    def refusing(operation: Callable[..., Any]) -> Callable[..., Any]:
        def call(self: KmsBackend, key_id: str, *args: Any, **kwargs: Any) -> Any:
            state = self.describe_key(key_id).key_state
            if state == "PendingDeletion":
                raise JsonRESTError("KMSInvalidStateException", f"{key_id} is pending deletion.")
            if state == "Disabled":
                raise JsonRESTError("DisabledException", f"{key_id} is disabled.")
            return operation(self, key_id, *args, **kwargs)

        return call

    monkeypatch.setattr(KmsBackend, "sign", refusing(KmsBackend.sign))
    monkeypatch.setattr(KmsBackend, "get_public_key", refusing(KmsBackend.get_public_key))
