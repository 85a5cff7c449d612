"""What badgekiln issues, checked by verifiers written by others (tests/interop).

* DCC ``@digitalcredentials/verifier-core`` and ``@digitalbazaar/vc`` with the eddsa-rdfc-2022
  cryptosuite (the ``dcc`` oracle with ``--engine both``): OB 3.0 Data Integrity, did:web (DID documents
  passed with ``--did-doc``) and did:key issuers, BitstringStatusList revocation and suspension.
* openbadgeslib 4.6.3 (``obl``): OB 3.0 Data Integrity and VC-JWT (RS256, EdDSA),
  baked PNGs, status lists (it verifies only JWT-VC status lists, so ours are read with
  ``--no-verify-status-list``; its recipient check compares ``credentialSubject.id`` only);
  OB 2.0 hosted JSON and signed JWS.
* the 1EdTech OB 2.0 validator core ``openbadges`` 1.1.2 (``ob2``): hosted and
  signed (RS256) assertions and their baked images; it fetches the BadgeClass, Issuer, key,
  RevocationList and the badge image.

Every document is answered from a directory exported from the store (``--doc-prefix``); no
verifier reaches the network. Each verifier's environment is set up on first use
(tests/interop/harness.py; ``make test`` does it first); where npm or PyPI cannot be reached its
tests are skipped with that one-line reason.
"""

from __future__ import annotations

import json
import subprocess
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from badgekiln.hosting.layout import classify
from badgekiln.issue import create_achievement, create_issuer, issue_credential, revoke, suspend
from badgekiln.store import LocalStore
from tests.interop.harness import command_or_skip

pytestmark = pytest.mark.interop

PUBLIC_URL = "https://badges.example.org"
SCHEMA_URL = "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
CASES: dict[str, tuple[str, dict[str, Any]]] = {
    "web-di": ("acme", {}),
    "key-di": ("keyed", {}),
    "plain-di": ("plain", {}),
    "web-jwt-rs256": ("acme", {"proof": "jwt"}),
    "web-jwt-eddsa": ("acme", {"proof": "jwt", "algorithm": "EdDSA"}),
    "key-jwt-eddsa": ("keyed", {"proof": "jwt", "algorithm": "EdDSA"}),
    "ob2-hosted": ("acme", {"spec": "ob2"}),
    "ob2-signed": ("acme", {"spec": "ob2", "signed": True}),
    "revoked-di": ("plain", {}),
    "suspended-di": ("acme", {}),
}


@pytest.fixture(scope="module")
def issued(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Credentials of every kind as files, and the public documents under ``public/``."""
    root = tmp_path_factory.mktemp("interop")
    store = LocalStore(str(root / "store"))
    base = {"url": "https://acme.example", "email": "badges@acme.example"}
    create_issuer(store, PUBLIC_URL, {**base, "name": "Acme", "slug": "acme", "suspension": True})
    create_issuer(store, PUBLIC_URL, {**base, "name": "Keyed", "slug": "keyed", "kind": "key"})
    create_issuer(store, PUBLIC_URL, {**base, "name": "Plain", "slug": "plain"})
    for slug in ("acme", "keyed", "plain"):
        create_achievement(
            store, slug, {"name": "Teamwork", "description": "Works with others", "criteria": "Peers"}, _png()
        )
    for label, (issuer, options) in CASES.items():
        credential = issue_credential(
            store, issuer, {"achievement": "teamwork", "recipient": "ada@example.org", **options}
        )
        text = (
            credential.credential
            if isinstance(credential.credential, str)
            else json.dumps(credential.credential)
        )
        (root / f"{label}.{'jwt' if isinstance(credential.credential, str) else 'json'}").write_text(text)
        assert credential.image is not None
        (root / f"{label}.png").write_bytes(credential.image)
        if label.startswith("revoked"):
            revoke(store, issuer, credential.id, reason="issued in error")
        elif label.startswith("suspended"):
            suspend(store, issuer, credential.id, reason="under review")
    subject = issue_credential(
        store,
        "acme",
        {
            "achievement": "teamwork",
            "recipient": {"identity": "did:example:ada", "type": "id", "hashed": False},
            "proof": "jwt",
        },
    )
    (root / "subject-id.jwt").write_text(str(subject.credential))
    for key in store.list("public/"):
        assert classify(key[len("public/") :]) is not None
        target = root / "public" / key[len("public/") :]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(store.get(key).body)
    return root


def _png() -> bytes:
    from tests.issue_support import small_png

    return small_png()


def _run(oracle: str, args: list[str], cwd: Path) -> dict[str, Any]:
    result = subprocess.run(
        [*command_or_skip(oracle), *args], capture_output=True, text=True, cwd=cwd, timeout=180, check=False
    )
    assert result.returncode in (0, 1), result.stderr[-2000:]
    verdict: dict[str, Any] = json.loads(result.stdout)
    return verdict


def _offline(root: Path) -> list[str]:
    public = root / "public"
    args = ["--doc-prefix", f"{PUBLIC_URL}/={public}"]
    for slug in ("acme", "plain"):
        args += ["--did-doc", f"did:web:badges.example.org:issuers:{slug}={public}/issuers/{slug}/did.json"]
    return args


def dcc(root: Path, name: str) -> dict[str, Any]:
    # verifier-core runs the OB 3.0 JSON Schema (informational): answer it with the bundled copy
    schema = resources.files("badgekiln.verification") / "schemas" / SCHEMA_URL.rsplit("/", 1)[1]
    args = ["--engine", "both", "--doc", f"{SCHEMA_URL}={schema}", *_offline(root), name]
    return _run("dcc", args, root)


def obl(root: Path, name: str, *extra: str) -> dict[str, Any]:
    args = [name, "--check-status", "--no-verify-status-list", *_offline(root), *extra]
    return _run("obl", args, root)


def ob2(root: Path, name: str) -> dict[str, Any]:
    args = [name, "--recipient", "ada@example.org", "--doc-prefix", f"{PUBLIC_URL}/={root / 'public'}"]
    return _run("ob2", args, root)


# --- DCC verifier-core and Digital Bazaar vc --------------------------------------------------


@pytest.mark.parametrize("case", ["web-di", "key-di", "plain-di"])
def test_dcc_and_digital_bazaar_accept_data_integrity(issued: Path, case: str) -> None:
    verdict = dcc(issued, f"{case}.json")
    engines = verdict["details"]["engines"]
    assert verdict["verified"] is True, json.dumps(engines)[:2000]
    assert engines["dcc"]["verified"] is True
    assert engines["db"]["verified"] is True
    assert engines["dcc"]["details"]["checks"]["valid_signature"]["valid"] is True
    assert engines["dcc"]["details"]["checks"]["revocation_status"]["valid"] is True
    assert verdict["details"]["network"]["refused"] == []
    # the schema check is informational; it fails only for suspendable credentials, whose two
    # credentialStatus entries the OB 3.0 schema (0..1) does not allow (docs/issuing.md)
    (schema,) = engines["dcc"]["details"]["schema_check_informational"]
    assert schema["result"]["valid"] is (case != "web-di"), schema["result"]


@pytest.mark.parametrize(
    ("case", "check"), [("revoked-di", "revocation_status"), ("suspended-di", "suspension_status")]
)
def test_dcc_and_digital_bazaar_see_revocation_and_suspension(issued: Path, case: str, check: str) -> None:
    verdict = dcc(issued, f"{case}.json")
    engines = verdict["details"]["engines"]
    assert verdict["verified"] is False
    assert engines["dcc"]["details"]["checks"]["valid_signature"]["valid"] is True
    assert engines["dcc"]["details"]["checks"][check]["valid"] is False
    assert engines["db"]["verified"] is False
    assert engines["db"]["details"]["checks"]["proofs"][0]["verified"] is True


# --- openbadgeslib -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "trusted"),
    [
        ("web-di.json", True),
        ("plain-di.json", True),
        ("key-di.json", False),  # a did:key vouches only for itself
        ("web-jwt-rs256.jwt", True),
        ("web-jwt-eddsa.jwt", True),
        ("key-jwt-eddsa.jwt", False),
        ("web-di.png", True),
        ("web-jwt-rs256.png", True),
    ],
)
def test_openbadgeslib_accepts_ob3(issued: Path, name: str, trusted: bool) -> None:
    verdict = obl(issued, name)
    assert verdict["verified"] is True, verdict["details"].get("reason")
    assert verdict["trusted"] is trusted
    assert verdict["details"]["network"]["refused"] == []


def test_openbadgeslib_matches_a_subject_id(issued: Path) -> None:
    assert obl(issued, "subject-id.jwt", "--recipient", "did:example:ada")["verified"] is True
    assert obl(issued, "subject-id.jwt", "--recipient", "did:example:eve")["verified"] is False


@pytest.mark.parametrize(("case", "purpose"), [("revoked-di", "revocation"), ("suspended-di", "suspension")])
def test_openbadgeslib_sees_revocation_and_suspension(issued: Path, case: str, purpose: str) -> None:
    verdict = obl(issued, f"{case}.json")
    assert verdict["verified"] is False
    assert f"'{purpose}' is set" in verdict["details"]["reason"]


def test_openbadgeslib_accepts_ob2(issued: Path) -> None:
    hosted = obl(issued, "ob2-hosted.json")
    assert (hosted["verified"], hosted["trusted"]) == (True, True)
    key = issued / "public/issuers/acme/keys/rsa-1.pem"
    signed = obl(issued, "ob2-signed.jwt", "--pubkey", str(key))
    assert (signed["verified"], signed["trusted"]) == (True, True)


# --- the 1EdTech OB 2.0 validator ------------------------------------------------------------


@pytest.mark.parametrize("name", ["ob2-hosted.json", "ob2-hosted.png", "ob2-signed.jwt", "ob2-signed.png"])
def test_1edtech_validator_accepts_ob2(issued: Path, name: str) -> None:
    verdict = ob2(issued, name)
    details = verdict["details"]
    assert verdict["valid"] is True, details.get("messages")
    assert (details["errorCount"], details["warningCount"]) == (0, 0)
    assert details["recipientProfile"] == {"email": "ada@example.org"}
    # it fetched the badge image (and, for signed badges, the revocation list)
    served = details["network"]["served_local"]
    assert f"{PUBLIC_URL}/issuers/acme/achievements/teamwork/image.png" in served
    if "signed" in name:
        assert f"{PUBLIC_URL}/issuers/acme/ob2/revocations.json" in served
    assert details["network"]["refused"] == []
