"""Credentials freshly signed by Digital Bazaar's Data Integrity cryptosuites verify in badgekiln.

The ``di-signers`` entry of the interop harness (``tests/interop/di-signers``: pinned
``package.json`` + ``package-lock.json``) signs one OB 3.0 credential with eddsa-rdfc-2022,
eddsa-jcs-2022, ecdsa-rdfc-2019 and ecdsa-jcs-2019 (P-256 and P-384) and Ed25519Signature2018
(VC 1.1 and 2.0). ECDSA signatures are randomised, so each run checks new signatures, not only the
committed fixtures (``tests/vectors/digitalbazaar-signed``, which the same script wrote).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

import badgekiln
from tests.conftest import VECTORS
from tests.interop.harness import command_or_skip

pytestmark = pytest.mark.interop

COMMITTED = sorted(path.name for path in (VECTORS / "digitalbazaar-signed").glob("*.json"))


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("di-signed")
    subprocess.run(
        [*command_or_skip("di-signers"), "--out", str(out), "--created", "2024-06-01T08:30:00Z"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return out


def test_every_suite_is_signed(fresh: Path) -> None:
    assert sorted(path.name for path in fresh.glob("*.json")) == COMMITTED


@pytest.mark.parametrize("name", COMMITTED)
def test_freshly_signed_credentials_are_valid(fresh: Path, name: str) -> None:
    document = json.loads((fresh / name).read_text())
    assert document["proof"]["created"] == "2024-06-01T08:30:00Z"
    report = badgekiln.verify((fresh / name).read_bytes(), offline=True)
    assert report.valid, [c.to_dict() for c in report.checks if c.status != "passed"]
    assert report.proof == (document["proof"].get("cryptosuite") or document["proof"]["type"])
