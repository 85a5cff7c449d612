"""Data Integrity verification throughput: badgekiln against openbadgeslib[ldp] 4.6.3, one process.

Run with ``.venv/bin/python bench/bench_proofs.py [--quick]``.

Both verify the same ``eddsa-rdfc-2022`` proofs from the public vectors with the same Ed25519
key handed over directly (no key resolution, no network): badgekiln's
``proofs.dataintegrity.verify_proof`` and openbadgeslib's ``ob3.ldp.verify_data_integrity_proof``.
Each is checked to accept every input first. After a warm-up, rounds alternate between the two
(so drift hits both alike); the figure is the median of the per-round rates. Ratios are
badgekiln ÷ openbadgeslib.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from openbadgeslib.ob3.ldp import verify_data_integrity_proof

from badgekiln.keys.formats import did_key_decode, multikey_decode
from badgekiln.proofs.dataintegrity import verify_proof

REPO = Path(__file__).resolve().parent.parent
VECTORS = REPO / "tests" / "vectors"  # the public vectors (tests/vectors/SOURCES.md)
OB30 = "1edtech-digital-credentials-public-validator/inspector-vc/src/test/resources/ob30"
DCC = "digitalcredentials-vc-test-fixtures/verifiableCredentials/v2/dataIntegrityProof/didKey"
INPUTS = {
    "OB 3.0 spec-style credential (1EdTech simple.json)": f"{OB30}/simple.json",
    "credential with alignments (DCC)": f"{DCC}/legacyRegistry-noStatus-noExpiry-alignments.json",
    "issuer with an embedded endorsement (DCC)": f"{DCC}/oidf-noStatus-notExpired-complexIssuer.json",
    "bitstring status list credential (1EdTech)": f"{OB30}/bit-string-list/testlist",
}


def _load(rel: str) -> tuple[dict[str, Any], dict[str, Any], Any, bytes]:
    document: dict[str, Any] = json.loads((VECTORS / rel).read_text("utf-8"))
    proof = document["proof"][0] if isinstance(document["proof"], list) else document["proof"]
    key = multikey_decode(proof["verificationMethod"].partition("#")[2])
    pem = key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return document, proof, key, pem


def _rate(fn: Callable[[], None], seconds: float) -> float:
    count, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        fn()
        count += 1
    return count / elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter rounds (a smoke run)")
    args = parser.parse_args()
    rounds, seconds = (3, 0.2) if args.quick else (7, 1.0)

    print(f"Python {sys.version.split()[0]}; {rounds} alternating rounds of {seconds:.1f} s each\n")
    print(f"{'input':50} {'badgekiln/s':>12} {'openbadgeslib/s':>16} {'ratio':>7}")
    ratios = []
    for label, rel in INPUTS.items():
        document, proof, key, pem = _load(rel)

        def ours(document: dict[str, Any] = document, proof: dict[str, Any] = proof, key: Any = key) -> None:
            verify_proof(document, proof, key)

        def theirs(document: dict[str, Any] = document, pem: bytes = pem) -> None:
            verify_data_integrity_proof(document, pem)

        for fn in (ours, theirs):  # both must accept the input (and warm their caches)
            for _ in range(20):
                fn()
        mine, peer = [], []
        for _ in range(rounds):
            mine.append(_rate(ours, seconds))
            peer.append(_rate(theirs, seconds))
        a, b = statistics.median(mine), statistics.median(peer)
        ratios.append(a / b)
        print(f"{label:50} {a:12.0f} {b:16.0f} {a / b:6.2f}x")
    geomean = math.exp(statistics.fmean(math.log(r) for r in ratios))
    print(f"\ngeometric mean ratio: {geomean:.2f}x (target ≥ 3x)")
    _other_suites(rounds, seconds)
    return 0


def _other_suites(rounds: int, seconds: float) -> None:
    """The suites openbadgeslib does not verify, on one credential signed by Digital Bazaar's
    cryptosuites with each (tests/vectors/digitalbazaar-signed): no Python peer verifies them, so
    each is compared with badgekiln's own eddsa-rdfc-2022 on the same credential."""
    signed = VECTORS / "digitalbazaar-signed"
    rates: dict[str, float] = {}
    for path in sorted(signed.glob("*.json")):
        document = json.loads(path.read_text("utf-8"))
        proof = document["proof"]
        key = did_key_decode(proof["verificationMethod"].partition("#")[0])

        def ours(document: dict[str, Any] = document, proof: dict[str, Any] = proof, key: Any = key) -> None:
            verify_proof(document, proof, key)

        for _ in range(20):
            ours()
        rates[path.stem] = statistics.median(_rate(ours, seconds) for _ in range(rounds))
    reference = rates["eddsa-rdfc-2022"]
    print("\nsuites without a Python peer (one OB 3.0 credential signed by Digital Bazaar's suites)")
    print(f"{'suite':50} {'badgekiln/s':>12} {'vs eddsa-rdfc-2022':>20}")
    for name, rate in rates.items():
        print(f"{name:50} {rate:12.0f} {rate / reference:19.2f}x")


if __name__ == "__main__":
    raise SystemExit(main())
