"""Whole-badge verification throughput: badgekiln.verify against openbadgeslib's verifiers.

Run with ``.venv/bin/python bench/bench_verify.py [--quick]``.

The same inputs go to ``badgekiln.verify`` and to openbadgeslib 4.6.3 (``OB3LdpVerifier``,
``OB3Verifier``, ``OB2Verifier``) in one warm process, each with the issuer's public key handed
over (badgekiln: ``key=`` pinned, ``offline=True``; openbadgeslib: ``pubkey_pem``), so neither
resolves keys over a network. badgekiln runs its whole check list (contexts, strict JSON-LD,
structure, proof, provenance, claims, window, endorsements; for OB 2.0 also the BadgeClass and
issuer profile, served from pinned documents); openbadgeslib runs its own. Both must accept
every input first.

OB 2.0 signed, what each side does per badge: badgekiln parses the JWS and its payload as strict
JSON, checks the 2.0 context (and every nested one), the Assertion's structure and dates, fetches
the BadgeClass and then the issuer profile (from the pinned documents, through the safe fetcher),
checks the pinned key against the signature, the issuer's revocation list when the profile names
one, endorsements, and builds the report with its summary and issuer identity. openbadgeslib's
``OB2Verifier`` given the key (``check_revocation=False``, the row the target is set on) decodes
the payload, reads its Assertion model, verifies the JWS and checks the dates: it never opens
the BadgeClass or the profile. The ``OB 2.0 signed+docs`` row gives openbadgeslib the same
documents (``download=`` answering from them, ``check_revocation=True``), so that it too fetches
the BadgeClass, then the issuer profile, and looks for a revocation list: the same document work
(it parses them anew each time; badgekiln's fetcher keeps a pinned document's parse).

After a warm-up, rounds alternate between the two; figures are medians of
per-round rates, ratios badgekiln ÷ openbadgeslib. ``--cpu`` counts this process's CPU time
instead of wall time: on a machine other work keeps busy, wall-time rates mostly measure who
got the cores.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from openbadgeslib.ob2.verifier import OB2Verifier
from openbadgeslib.ob3 import OB3LdpVerifier, OB3Verifier

import badgekiln
from badgekiln.keys.formats import dump_pem_public_key, multikey_decode
from badgekiln.verification import VerifyOptions

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # tests.verify_support builds the fresh VC-JWT credentials

from tests.verify_support import TestIssuer  # noqa: E402

VECTORS = REPO / "tests" / "vectors"  # the public vectors (tests/vectors/SOURCES.md)
OB20 = "1edtech-digital-credentials-public-validator/inspector-vc/src/test/resources/ob20"
OB30 = "1edtech-digital-credentials-public-validator/inspector-vc/src/test/resources/ob30"
DCC = "digitalcredentials-vc-test-fixtures/verifiableCredentials/v2/dataIntegrityProof/didKey"


def _ldp(rel: str) -> tuple[str, str]:
    text = (VECTORS / rel).read_text("utf-8")
    proof = json.loads(text)["proof"]
    method = (proof[0] if isinstance(proof, list) else proof)["verificationMethod"]
    return text, dump_pem_public_key(multikey_decode(method.rpartition("#")[2].removeprefix("did:key:")))


def _jwt(kind: str) -> tuple[str, str]:
    issuer = TestIssuer.https_jwks(kind=kind)  # type: ignore[arg-type]
    token = issuer.sign_jwt(issuer.credential(), header={"typ": "JWT", "kid": "key-1"})
    return token, dump_pem_public_key(issuer.signer.public_key())


def _ob2_documents() -> dict[str, bytes]:
    assets = VECTORS / OB20 / "assets"
    return {
        "https://example.org/robotics-badge.json": (assets / "robotics-badge.json").read_bytes(),
        "https://example.org/organization.json": (assets / "organization.json").read_bytes(),
    }


def _cases() -> list[tuple[str, str, Callable[[], Any], Callable[[], Any]]]:
    cases: list[tuple[str, str, Callable[[], Any], Callable[[], Any]]] = []
    for label, rel in (
        ("1EdTech simple.json (eddsa-rdfc-2022)", f"{OB30}/simple.json"),
        ("DCC credential with alignments", f"{DCC}/legacyRegistry-noStatus-noExpiry-alignments.json"),
        ("DCC OB spec example", f"{DCC}/legacyRegistry-noStatus-noExpiry-OBSpecExample.json"),
    ):
        text, pem = _ldp(rel)
        options = VerifyOptions(key=pem, offline=True)
        theirs = OB3LdpVerifier(pubkey_pem=pem.encode())
        cases.append(
            (
                "OB 3.0 Data Integrity",
                label,
                partial(badgekiln.verify, text, options=options),
                partial(theirs.verify, text),
            )
        )
    for kind, alg in (("rsa2048", "RS256"), ("p256", "ES256"), ("ed25519", "EdDSA")):
        token, pem = _jwt(kind)
        options = VerifyOptions(key=pem, offline=True)
        theirs_jwt = OB3Verifier(pubkey_pem=pem.encode())
        cases.append(
            (
                "OB 3.0 VC-JWT",
                f"fresh credential, {alg}",
                partial(badgekiln.verify, token, options=options),
                partial(theirs_jwt.verify, token),
            )
        )
    token = (VECTORS / OB20 / "simple.jwt").read_text("utf-8").strip()
    pem = json.loads((VECTORS / OB20 / "assets" / "key1.json").read_text("utf-8"))["publicKeyPem"]
    options = VerifyOptions(key=pem, offline=True, documents=_ob2_documents())
    theirs_ob2 = OB2Verifier(pubkey_pem=pem.encode())
    cases.append(
        (
            "OB 2.0 signed",
            "1EdTech simple.jwt (RS256)",
            lambda: badgekiln.verify(token, options=options),
            lambda: theirs_ob2.verify(token, check_revocation=False),
        )
    )
    theirs_docs = OB2Verifier(pubkey_pem=pem.encode(), download=_ob2_documents().__getitem__)
    cases.append(
        (
            "OB 2.0 signed+docs",
            "simple.jwt, peer reads BadgeClass+profile",
            lambda: badgekiln.verify(token, options=options),
            lambda: theirs_docs.verify(token, check_revocation=True),
        )
    )
    return cases


def _rate(fn: Callable[[], Any], seconds: float, clock: Callable[[], float] = time.perf_counter) -> float:
    count, start = 0, clock()
    while (elapsed := clock() - start) < seconds:
        fn()
        count += 1
    return count / elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter rounds (a smoke run)")
    parser.add_argument(
        "--cpu", action="store_true", help="rates per CPU second of this process, not wall time"
    )
    args = parser.parse_args()
    rounds, seconds = (3, 0.2) if args.quick else (7, 1.0)
    clock = time.process_time if args.cpu else time.perf_counter
    what = "CPU" if args.cpu else "wall"
    print(f"Python {sys.version.split()[0]}; {rounds} alternating rounds of {seconds:.1f} {what} s each\n")
    print(f"{'kind':22} {'input':42} {'badgekiln/s':>12} {'openbadgeslib/s':>16} {'ratio':>7}")
    by_kind: dict[str, list[float]] = {}
    for kind, label, ours, theirs in _cases():
        report = ours()
        if not report.valid:
            raise SystemExit(f"badgekiln does not accept {label}: {[c.to_dict() for c in report.failures]}")
        theirs()  # raises if openbadgeslib does not accept it
        for fn in (ours, theirs):  # warm caches
            for _ in range(20):
                fn()
        mine, peer = [], []
        for _ in range(rounds):
            mine.append(_rate(ours, seconds, clock))
            peer.append(_rate(theirs, seconds, clock))
        a, b = statistics.median(mine), statistics.median(peer)
        by_kind.setdefault(kind, []).append(a / b)
        print(f"{kind:22} {label:42} {a:12.0f} {b:16.0f} {a / b:6.2f}x")
    print()
    targets = {"OB 3.0 Data Integrity": 3.0, "OB 3.0 VC-JWT": 1.2, "OB 2.0 signed": 1.0}
    for kind, ratios in by_kind.items():
        geomean = math.exp(statistics.fmean(math.log(r) for r in ratios))
        target = targets.get(kind)
        goal = f" (target ≥ {target:g}x)" if target else ""
        print(f"{kind:22} geometric mean ratio {geomean:5.2f}x{goal}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
