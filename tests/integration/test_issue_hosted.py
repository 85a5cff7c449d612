"""Issued credentials verified over real HTTPS: the store served on loopback as the public function would.

The hosting server answers from the store through ``badgekiln.hosting.responses.public_response``;
``badges.test`` resolves to 127.0.0.1 (FakeResolver), its self-signed certificate is installed
as the CA bundle, and a ConnectGuard refuses anything but loopback. badgekiln.verify fetches
DID documents, key documents, status lists, hosted assertions, BadgeClasses and issuer profiles
over TLS, with no pinned documents.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from badgekiln.fetch import Fetcher, FetchPolicy
from badgekiln.issue import (
    create_achievement,
    create_issuer,
    issue_credential,
    reinstate,
    revoke,
    rotate_key,
    suspend,
)
from badgekiln.issue.credentials import Issued
from badgekiln.store import LocalStore
from badgekiln.verification import Report, verify
from tests.issue_support import FORMAT_IDS, FORMATS, HostingServer, small_png
from tests.loopback import ConnectGuard, FakeResolver, tls_context

HOST = "badges.test"


@dataclass
class Hosting:
    store: LocalStore
    server: HostingServer
    public_url: str

    def verify(self, issued: Issued | bytes, **kwargs: Any) -> Report:
        data = issued.image if isinstance(issued, Issued) else issued
        assert data is not None
        # a fresh fetcher per check: no cached status list hides a change
        fetcher = Fetcher(FetchPolicy(allow_loopback=True, cache_ttl=0))
        return verify(data, fetcher=fetcher, **kwargs)


@pytest.fixture
def hosting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Hosting]:
    context = tls_context(tmp_path, hostname=HOST)
    monkeypatch.setattr("requests.adapters.DEFAULT_CA_BUNDLE_PATH", str(tmp_path / "cert.pem"))
    store = LocalStore(str(tmp_path / "store"))
    with (
        FakeResolver({HOST: "127.0.0.1"}),
        ConnectGuard() as guard,
        HostingServer(store, tls=context) as server,
    ):
        public_url = f"https://{HOST}:{server.port}"
        create_issuer(
            store,
            public_url,
            {
                "name": "Acme",
                "url": "https://acme.example",
                "email": "b@acme.example",
                "slug": "acme",
                "suspension": True,
            },
        )
        create_achievement(
            store, "acme", {"name": "Teamwork", "description": "d", "criteria": "c"}, small_png()
        )
        yield Hosting(store, server, public_url)
    assert guard.blocked == []


def failures(report: Report) -> dict[str, str]:
    return {c.id: c.message for c in report.failures}


@pytest.mark.parametrize("options", FORMATS, ids=FORMAT_IDS)
def test_issued_credentials_verify_over_https(hosting: Hosting, options: dict[str, Any]) -> None:
    issued = issue_credential(
        hosting.store, "acme", {"achievement": "teamwork", "recipient": "ada@example.org", **options}
    )
    report = hosting.verify(issued, recipient="ada@example.org")
    assert report.valid, failures(report)
    # the verifier really went to the server for what the credential names
    fetched = " ".join(hosting.server.requests)
    if options["spec"] == "ob3":
        assert "/issuers/acme/status/0/revocation.json" in fetched
        if options.get("proof") != "jwt" or options.get("algorithm") == "EdDSA":
            assert "/issuers/acme/did.json" in fetched
    else:
        assert "/issuers/acme/achievements/teamwork/badgeclass.json" in fetched
        assert "/issuers/acme/ob2/issuer.json" in fetched


@pytest.mark.parametrize("options", FORMATS, ids=FORMAT_IDS)
def test_status_changes_are_seen_over_https(hosting: Hosting, options: dict[str, Any]) -> None:
    issued = issue_credential(
        hosting.store, "acme", {"achievement": "teamwork", "recipient": "ada@example.org", **options}
    )
    suspend(hosting.store, "acme", issued.id, reason="under review")
    assert "status" in failures(hosting.verify(issued)) or "hosted" in failures(hosting.verify(issued))
    reinstate(hosting.store, "acme", issued.id)
    report = hosting.verify(issued)
    assert report.valid, failures(report)
    revoke(hosting.store, "acme", issued.id, reason="issued in error")
    report = hosting.verify(issued)
    assert not report.valid
    assert {"status", "hosted"} & set(failures(report))


def test_a_revoked_hosted_assertion_is_410_gone(hosting: Hosting) -> None:
    import requests

    issued = issue_credential(
        hosting.store, "acme", {"achievement": "teamwork", "recipient": "ada@example.org", "spec": "ob2"}
    )
    revoke(hosting.store, "acme", issued.id, reason="fraud")
    response = requests.get(
        issued.public_url, timeout=5, verify=str(Path(requests.adapters.DEFAULT_CA_BUNDLE_PATH))
    )
    assert response.status_code == 410
    assert response.json()["revoked"] is True
    assert response.json()["revocationReason"] == "fraud"


def test_badges_signed_before_a_key_rotation_still_verify(hosting: Hosting) -> None:
    before = [
        issue_credential(
            hosting.store, "acme", {"achievement": "teamwork", "recipient": "ada@example.org", **o}
        )
        for o in FORMATS
    ]
    rotate_key(hosting.store, "acme")
    after = [
        issue_credential(
            hosting.store, "acme", {"achievement": "teamwork", "recipient": "ada@example.org", **o}
        )
        for o in FORMATS
    ]
    for issued in before + after:
        report = hosting.verify(issued)
        assert report.valid, (issued.format, failures(report))


def test_json_only_clients_get_application_json(hosting: Hosting) -> None:
    import requests

    url = f"{hosting.public_url}/issuers/acme/ob2/issuer.json"
    bundle = requests.adapters.DEFAULT_CA_BUNDLE_PATH
    response = requests.get(url, headers={"Accept": "application/json"}, timeout=5, verify=bundle)
    assert response.headers["Content-Type"] == "application/json"
    response = requests.get(url, headers={"Accept": "application/ld+json"}, timeout=5, verify=bundle)
    assert response.headers["Content-Type"] == "application/ld+json"
    assert response.headers["Cache-Control"] == "public, max-age=300"
    etag = response.headers["ETag"]
    assert requests.get(url, headers={"If-None-Match": etag}, timeout=5, verify=bundle).status_code == 304
