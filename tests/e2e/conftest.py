"""A `badgekiln serve` server on an ephemeral loopback port, in a thread of the test process."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from badgekiln_server.serve import LocalServer, make_server

REPO = Path(__file__).resolve().parent.parent.parent


def start(template: Path, store: Path) -> LocalServer:
    server = make_server(template, port=0, store=str(store))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="module")
def api_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The local store directory behind the ``api`` server."""
    return tmp_path_factory.mktemp("store")


@pytest.fixture(scope="module")
def api(api_store: Path) -> Iterator[str]:
    saved = dict(os.environ)
    os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"
    server = start(REPO / "template.yaml", api_store)
    yield server.url
    server.shutdown()
    server.server_close()
    os.environ.clear()
    os.environ.update(saved)
