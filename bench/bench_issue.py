"""Issuing throughput: badgekiln's issue + sign + bake against openbadgeslib's signer, one process.

Run with ``.venv/bin/python bench/bench_issue.py [--quick]``.

Both issue OB 3.0 OpenBadgeCredentials with an ``eddsa-rdfc-2022`` Data Integrity proof from a
local Ed25519 key and bake them into the same 16 × 16 PNG:

* **badgekiln**: :func:`badgekiln.issue.issue_credential` — the whole issuance: read the issuer
  and achievement records, hash the recipient with a fresh salt, allocate a random status list
  index (compare-and-swap), build and sign the credential (strict JSON-LD), bake it, and write
  the private record, the baked image and the credential to a store. The store is a
  :class:`~badgekiln.store.LocalStore` on tmpfs (``/dev/shm``, so the disk's fsync does not
  decide the figure; the same run on a disk directory is reported too). A second row adds an
  idempotency key per credential (two more writes).
* **openbadgeslib** 4.6.3: ``OB3LdpSigner.sign_into_png`` on an ``OpenBadgeCredential`` built
  from the same credential data with a fresh salted recipient hash — it signs and bakes in
  memory and stores nothing.

Each side's output is verified once first (badgekiln's with badgekiln.verify against the stored
documents; openbadgeslib's with its own verifier). After a warm-up, rounds alternate between the
two (so drift hits both alike); the figure is the median of per-round rates, and ratios are
badgekiln ÷ openbadgeslib. Target: ≥ 3×.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import png
from cryptography.hazmat.primitives import serialization
from openbadgeslib.ob3.credential import OpenBadgeCredential
from openbadgeslib.ob3.ldp import OB3LdpSigner, OB3LdpVerifier

from badgekiln.baking import extract
from badgekiln.issue import create_achievement, create_issuer, issue_credential
from badgekiln.issue.signing import load_signer
from badgekiln.keys.local import LocalSigner
from badgekiln.store import LocalStore, Store

PUBLIC_URL = "https://badges.example.org"


def _png() -> bytes:
    out = io.BytesIO()
    png.Writer(16, 16, greyscale=False).write(out, [[200, 40, 40] * 16 for _ in range(16)])
    return out.getvalue()


def _rate(fn: Callable[[], object], seconds: float) -> float:
    count, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        fn()
        count += 1
    return count / elapsed


def _seed(root: Path) -> Store:
    store = LocalStore(str(root))
    create_issuer(store, PUBLIC_URL, {"name": "Acme", "url": "https://acme.example", "slug": "acme"})
    create_achievement(
        store, "acme", {"name": "Teamwork", "description": "Works with others", "criteria": "Peers"}, _png()
    )
    return store


def _theirs(store: Store, image: bytes) -> Callable[[], bytes]:
    """openbadgeslib signing and baking the same credential, with the issuer's own key."""
    from badgekiln.issue import get_issuer

    issuer = get_issuer(store, "acme")
    signer = load_signer(store, issuer.active_key("ed25519"))
    assert isinstance(signer, LocalSigner)
    pem = signer._key.private_bytes(  # the bench hands the same key to both sides
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    template = issue_credential(
        store, "acme", {"achievement": "teamwork", "recipient": "template@example.org"}
    ).credential
    assert isinstance(template, dict)
    unsigned = {k: v for k, v in template.items() if k != "proof"}
    ldp = OB3LdpSigner(pem, verification_method=signer.key_id)

    def one() -> bytes:
        salt = secrets.token_hex(16)
        document = json.loads(json.dumps(unsigned))
        document["id"] = f"{PUBLIC_URL}/issuers/acme/credentials/{secrets.token_hex(16)}.json"
        identity = document["credentialSubject"]["identifier"][0]
        identity["salt"] = salt
        identity["identityHash"] = "sha256$" + hashlib.sha256(f"ada@example.org{salt}".encode()).hexdigest()
        return ldp.sign_into_png(OpenBadgeCredential.from_vc_document(document), image)

    baked = one()  # it must verify with openbadgeslib's own verifier and the issuer's key
    public = signer.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    OB3LdpVerifier(pubkey_pem=public).verify(extract(baked).payload, check_status=False)
    return one


def _ours(store: Store, *, idempotent: bool) -> Callable[[], object]:
    counter = iter(range(10**9))

    def one() -> object:
        key = f"bench-{next(counter)}-{secrets.token_hex(4)}" if idempotent else None
        return issue_credential(
            store, "acme", {"achievement": "teamwork", "recipient": "ada@example.org"}, idempotency_key=key
        )

    return one


def _check_ours(store: Store) -> None:
    from badgekiln.hosting.layout import Layout, classify
    from badgekiln.verification import verify

    issued = issue_credential(store, "acme", {"achievement": "teamwork", "recipient": "ada@example.org"})
    where = Layout.parse(PUBLIC_URL)
    documents = {}
    for key in store.list("public/issuers/acme/"):
        hosted = classify(key[len("public/") :])
        if hosted is not None and hosted.kind not in ("credential", "baked-image"):
            documents[where.url(hosted)] = store.get(key).body
    assert issued.image is not None
    report = verify(issued.image, documents=documents, offline=True, recipient="ada@example.org")
    assert report.valid, [c.message for c in report.failures]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter rounds (a smoke run)")
    parser.add_argument(
        "--disk-dir",
        type=Path,
        help="folder on a real disk for the fsync'd store (default: the system temporary folder; "
        "name a disk folder where that is a tmpfs)",
    )
    args = parser.parse_args()
    rounds, seconds = (3, 0.3) if args.quick else (7, 1.5)
    shm = Path("/dev/shm") if Path("/dev/shm").is_dir() and os.access("/dev/shm", os.W_OK) else None
    fast_root = Path(tempfile.mkdtemp(prefix="bench-issue-", dir=shm))
    disk_root = Path(tempfile.mkdtemp(prefix="bench-issue-disk-", dir=args.disk_dir))
    try:
        fast, disk = _seed(fast_root), _seed(disk_root)
        _check_ours(fast)
        image = fast.get("public/issuers/acme/achievements/teamwork/image.png").body
        candidates: dict[str, Callable[[], object]] = {
            "badgekiln issue_credential (tmpfs store)": _ours(fast, idempotent=False),
            "badgekiln issue_credential + idempotency key (tmpfs)": _ours(fast, idempotent=True),
            "badgekiln issue_credential (disk store, fsync)": _ours(disk, idempotent=False),
            "openbadgeslib OB3LdpSigner.sign_into_png (memory)": _theirs(fast, image),
        }
        for fn in candidates.values():  # warm caches (contexts, keys) on both sides
            for _ in range(10):
                fn()
        rates: dict[str, list[float]] = {name: [] for name in candidates}
        for _ in range(rounds):
            for name, fn in candidates.items():
                rates[name].append(_rate(fn, seconds))
    finally:
        shutil.rmtree(fast_root, ignore_errors=True)
        shutil.rmtree(disk_root, ignore_errors=True)
    theirs = statistics.median(rates["openbadgeslib OB3LdpSigner.sign_into_png (memory)"])
    print(f"Python {sys.version.split()[0]}; {rounds} alternating rounds of {seconds:.1f} s each\n")
    print(f"{'':56} {'credentials/s':>14} {'vs openbadgeslib':>17}")
    for name, values in rates.items():
        median = statistics.median(values)
        print(f"{name:56} {median:14.1f} {median / theirs:16.2f}×")
    return 0


if __name__ == "__main__":
    sys.exit(main())
