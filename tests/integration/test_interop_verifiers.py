"""Verdicts compared with independent verifiers on the public vectors (marker ``interop``).

The wrappers in tests/interop (its README says how they work offline) run openbadgeslib 4.6.3
(``obl``), the DCC verifier-core (``dcc``) and the 1EdTech OB 2.0 validator core (``ob2``) with the
same offline answers badgekiln gets. Each case either **agrees** with
badgekiln's verdict, or the peer's own message shows the case is outside what it supports
(``PEER_LIMITS``: a context it does not bundle, a proof suite it lacks, issuers that are not
DIDs …), or badgekiln is deliberately stricter (``STRICTER``, each documented in
docs/verification.md). Anything else fails the test. What the README says badgekiln must do
better than the peers (a hosted ``revoked: true`` or 410, a one-entry revocation list) is
tested against badgekiln alone (test_verify_tamper.py).

DCC's verifier checks proofs, status and dates but not the OB data model, so its verdict is
compared with badgekiln's ``signature``/``issuer``/``status``/``issued``/``expiry`` checks.
openbadgeslib and the 1EdTech validator also hold badges to the OB data model, so their verdicts
are compared with badgekiln's strict mode (conformance deviations fail, docs/verification.md).
The samples are chosen to cover each verdict kind while keeping the run short (each case is one
process of the peer's; about 15 s in all): 14 cases for DCC (13 agree, 1 stricter), 16 for
openbadgeslib (13 agree, 3 outside its support) and all 24 OB 2.0 fixtures for the validator
(19 agree, 5 outside what it can do offline). Open Badges 0.5/1.x, which the validator upgrades
to the 2.0 model as badgekiln does: 9 badges of the wild corpus and 6 hosted 1.0/1.1/0.5 badges
we build (13 agree; 2 stricter: the 1.x revocation list, the 0.5 origin rule; about 35 s).
"""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from badgekiln.verification import Report
from tests.conftest import VECTORS
from tests.integration.test_verify_vectors import DCC_VC, EXPECTED
from tests.interop.harness import command_or_skip
from tests.verify_support import OB20, OB30, VALIDATOR, self_hosted, verify_vector

WILD = VECTORS / "wild"

pytestmark = pytest.mark.interop

CORE = ("signature", "issuer", "status", "issued", "expiry")

DCC_PREFIXES = (
    "https://digitalcredentials.github.io/vc-test-fixtures/=digitalcredentials-vc-test-fixtures/",
    "https://raw.githubusercontent.com/digitalcredentials/verifier-core/refs/heads/main/="
    "digitalcredentials-verifier-core/",
    f"https://raw.githubusercontent.com/1EdTech/digital-credentials-public-validator/refs/heads/main/={VALIDATOR}/",
)
OB20_PREFIXES = tuple(
    f"{p}={OB20}/assets/" for p in ("https://example.org/", "http://example.org/", "https://www.example.org/")
)

DCC_SAMPLE = (
    f"{DCC_VC}/v2/dataIntegrityProof/didKey/legacyRegistry-noStatus-noExpiry-basicOBv3.json",
    f"{DCC_VC}/v2/dataIntegrityProof/didKey/noRegsitry-revokedStatus-notExpired.json",
    f"{DCC_VC}/v2/dataIntegrityProof/didKey/twoOIDF-validStatus-expired.json",
    f"{DCC_VC}/v2/dataIntegrityProof/didKey/oidf-noStatus-notExpired-notYetValid.json",
    f"{DCC_VC}/v2/dataIntegrityProof/didweb/oidf-noStatus-notExpired.json",
    f"{DCC_VC}/v2/ed25519/didKey/legacy-noStatus-noExpiry-tampered.json",
    f"{DCC_VC}/v2/ed25519/didKey/legacy-expiredStatus-noExpiry.json",
    f"{DCC_VC}/v2/ed25519/didKey/legacy-tamperedStatus-noExpiry.json",
    f"{DCC_VC}/v2/ed25519/didKey/legacy-notYetValidStatus-noExpiry.json",
    f"{DCC_VC}/v2/ed25519/didWeb/badDidWeb.json",
    f"{DCC_VC}/v1/bothSignatureTypes/didWeb/legacy-validStatus-noExpiry.json",
    f"{DCC_VC}/v1/ed25519/didKey/oidf-revokedStatus-expired.json",
    f"{DCC_VC}/v1/dataIntegrityProof/didKey/legacyRegistry-noStatus-noExpiry-oldDCCExample.json",
    f"{OB30}/simple-err-proof-value.json",
)
OBL_SAMPLE = (
    f"{DCC_VC}/v2/dataIntegrityProof/didKey/legacyRegistry-noStatus-noExpiry-basicOBv3.json",
    f"{DCC_VC}/v2/dataIntegrityProof/didKey/legacyRegistry-noStatus-noExpiry-alignments.json",
    f"{DCC_VC}/v2/dataIntegrityProof/didKey/legacyRegistry-noStatus-noExpiry-credName.json",
    f"{DCC_VC}/v2/dataIntegrityProof/didKey/noRegsitry-revokedStatus-notExpired.json",
    f"{DCC_VC}/v2/ed25519/didKey/legacy-noStatus-noExpiry.json",
    f"{DCC_VC}/v1/dataIntegrityProof/didKey/legacyRegistry-noStatus-noExpiry-OBSpecExample.json",
    f"{OB30}/simple.json",
    f"{OB30}/simple-did-key-method.json",
    f"{OB30}/simple-jwt.png",
    f"{OB30}/simple-jwt_v1.svg",
    f"{OB20}/simple.jwt",
    f"{OB20}/simple-not-revoked.jwt",
    f"{OB20}/simple-revoked.jwt",
    f"{OB20}/basic-assertion.json",
    f"{OB20}/basic-assertion-expired.json",
    f"{OB20}/basic-assertion-in-future.json",
)

#: Peer messages that put a case outside what the peer supports (not a disagreement of verdicts).
PEER_LIMITS: dict[str, tuple[tuple[str, str], ...]] = {
    "obl": (
        ("credential issuer is not a DID", "verifies OB 3.0 only for DID issuers"),
        ("is not in the bundled allowlist", "does not bundle the Ed25519Signature2020 context"),
        ("found: Ed25519Signature2020", "lacks the legacy Ed25519Signature2020 suite"),
        ("which the RDF-canonicalized proof does not sign", "refuses VC 1.1 issuanceDate"),
    ),
    "dcc": (),
    "ob2": (
        ("NotImplementedError", "the validator core does not implement the case"),
        ("offline: no local file", "refetches nodes at their declared ids, which the vectors do not serve"),
        ("No connection adapters", "fetches a urn:uuid issuer id"),
    ),
}
#: Cases where badgekiln rejects what a peer accepts, on purpose (docs/verification.md).
STRICTER: dict[tuple[str, str], str] = {
    ("dcc", f"{DCC_VC}/v1/dataIntegrityProof/didKey/legacyRegistry-noStatus-noExpiry-oldDCCExample.json"): (
        "its context https://w3id.org/dcc/v1 is not bundled, and contexts are never fetched"
    ),
}


def _run(command: list[str]) -> dict[str, Any]:
    result = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False, cwd=VECTORS)
    try:
        output: dict[str, Any] = json.loads(result.stdout)
    except json.JSONDecodeError:
        return {"verified": None, "reason": (result.stdout + result.stderr)[-500:]}
    details = output.get("details", {})
    verdict = output.get("verified", output.get("valid"))
    reason = (
        details.get("reason") or details.get("error") or details.get("problems") or details.get("messages")
    )
    return {"verified": verdict, "reason": json.dumps(reason)[:2000]}


def _self_hosted_pins(rel: str, folder: Path) -> list[str]:
    """``--doc`` pins for an OB 2.0 vector served at its own id (as in badgekiln's vector suite)."""
    args: list[str] = []
    for url, body in self_hosted(rel, (VECTORS / rel).read_bytes()).items():
        path = folder / (Path(rel).name + ".hosted.json")
        path.write_bytes(body)
        args += ["--doc", f"{url}={path}"]
    return args


def _verify(rel: str, *, strict: bool = False) -> Report:
    return verify_vector(VECTORS, rel, strict=strict)


def _judge(tool: str, rel: str, ours: bool, peer: dict[str, Any]) -> str:
    if peer["verified"] is ours:
        return "agree"
    if (tool, rel) in STRICTER and ours is False:
        return "stricter"
    for needle, _why in PEER_LIMITS[tool]:
        if needle in peer["reason"]:
            return "peer-limit"
    return f"DISAGREE: badgekiln {'accepts' if ours else 'rejects'}, {tool} says {peer}"


def _core(report: Report) -> bool:
    return all(c.status in ("passed", "warning") for c in report.checks if c.id in CORE)


def _cases(tool: str) -> Iterator[str]:
    if tool == "ob2":
        yield from (rel for rel in sorted(EXPECTED) if f"{OB20}/" in rel and EXPECTED[rel][0] != "error")
    else:
        yield from DCC_SAMPLE if tool == "dcc" else OBL_SAMPLE


def _prefix_args(prefixes: tuple[str, ...]) -> list[str]:
    return [arg for prefix in prefixes for arg in ("--doc-prefix", prefix)]


def test_dcc_verifier_agrees() -> None:
    dcc = command_or_skip("dcc")
    verdicts = {}
    for rel in _cases("dcc"):
        peer = _run([*dcc, *_prefix_args(DCC_PREFIXES), rel])
        verdicts[rel] = _judge("dcc", rel, _core(_verify(rel)), peer)
    assert Counter(verdicts.values()) == {"agree": 13, "stricter": 1}, verdicts


def test_openbadgeslib_agrees(tmp_path: Path) -> None:
    obl = command_or_skip("obl")
    verdicts = {}
    for rel in _cases("obl"):
        command = [
            *obl,
            "--check-status",
            *_prefix_args(DCC_PREFIXES + OB20_PREFIXES),
            *_self_hosted_pins(rel, tmp_path),
            rel,
        ]
        verdicts[rel] = _judge("obl", rel, _verify(rel, strict=True).valid, _run(command))
    assert Counter(verdicts.values()) == {"agree": 13, "peer-limit": 3}, verdicts


def test_1edtech_ob2_validator_agrees(tmp_path: Path) -> None:
    ob2 = command_or_skip("ob2")
    verdicts = {}
    for rel in _cases("ob2"):
        peer = _run([*ob2, *_prefix_args(OB20_PREFIXES), *_self_hosted_pins(rel, tmp_path), rel])
        verdicts[rel] = _judge("ob2", rel, _verify(rel, strict=True).valid, peer)
    assert Counter(verdicts.values()) == {"agree": 19, "peer-limit": 5}, verdicts


# --- Open Badges 0.5/1.x --------------------------------------------------------------------------

#: Built 1.x cases where badgekiln rejects what the validator-core accepts, on purpose.
LEGACY_STRICTER: dict[str, str] = {
    "revoked-1.1": "the 1.x revocation list ({uid: reason}, 1.1 spec) is not read by the validator-core",
    "0.5-elsewhere": "the 0.5 schema: the issuer origin 'Must match the origin of the hosted assertion'",
}


#: The wild corpus' 1.x badges run through the validator-core (each run is a ~2 s process): one
#: of each kind of verdict (0.5 without a URL, valid 1.0, a differing copy, 1.1 with a 2.0 term,
#: a baked 1.0 PNG, a bad date, no badge, a retired host, a URL nobody serves).
LEGACY_WILD_SAMPLE = (
    "1edtech-validator-core/0_5_assertion.json",
    "1edtech-validator-core/1_0_basic_assertion.json",
    "1edtech-validator-core/1_0_assertion_with_errors.json",
    "1edtech-validator-core/1_1_basic_assertion.json",
    "badgr-server/baked_image.png",
    "badgr-server/1_0_basic_instance_with_bad_date.json",
    "badgr-server/1_0_basic_instance_missing_badge_prop.json",
    "badgekit-demo/open-edx-contributor.png",
    "mozilla-backpack/valid-baked.png",
)


def _legacy_wild_entries() -> list[dict[str, Any]]:
    from tests.integration.test_wild_corpus import manifest

    return [e for e in manifest()["entries"] if e["file"] in LEGACY_WILD_SAMPLE]


def _manifest_pins(entry: dict[str, Any]) -> list[str]:
    from tests.integration.test_wild_corpus import manifest

    source = manifest()["sources"][entry["file"].split("/", 1)[0]]
    pins = {**source.get("documents", {}), **entry.get("documents", {})}
    return [arg for url, rel in pins.items() for arg in ("--doc", f"{url}={WILD / rel}")]


def _built_legacy_cases() -> dict[str, tuple[str | dict[str, Any], dict[str, bytes]]]:
    """Hosted 1.0, 1.1 and 0.5 badges of our builders (the validator-core verifies no signed 1.x:
    its upgrade leaves no ``verification.creator``), each with the documents serving it."""
    from tests.verify_support import Ob1Issuer, as_bytes, ob05_assertion

    heart = (
        VECTORS / "concentricsky-openbadges-bakery/openbadges_bakery/testfiles/public_domain_heart.png"
    ).read_bytes()
    url = Ob1Issuer.BASE + "assertions/1.json"
    cases: dict[str, tuple[str | dict[str, Any], dict[str, bytes]]] = {}
    image = {Ob1Issuer.BASE + "badges/robotics.png": heart}
    for name, issuer, at in (
        ("hosted-1.0", Ob1Issuer.create("1.0"), url),
        ("hosted-1.1", Ob1Issuer.create("1.1"), url),
        ("elsewhere-1.0", Ob1Issuer.create("1.0"), "https://elsewhere.example/a.json"),
        ("revoked-1.1", Ob1Issuer.create("1.1", revoked={"abc123": "issued in error"}), url),
    ):
        assertion, documents = issuer.hosted(at)
        cases[name] = (assertion, {**documents, **image})
    ob05_url = "https://old.example/assertions/05.json"
    for name, origin in (("0.5-hosted", "https://old.example"), ("0.5-elsewhere", "https://other.example")):
        documents = {ob05_url: as_bytes(ob05_assertion(origin)), origin + "/badge.png": heart}
        cases[name] = (ob05_url, documents)
    return cases


def test_1edtech_validator_agrees_on_legacy_badges(tmp_path: Path) -> None:
    # the validator-core upgrades 0.5/1.x badges to the 2.0 model and verifies them hosted, as
    # badgekiln does: every 1.x badge of the wild corpus, and hosted 1.0/1.1/0.5 badges we build
    import badgekiln
    from tests.integration.test_wild_corpus import outcome

    ob2 = command_or_skip("ob2")
    verdicts = {}
    for entry in _legacy_wild_entries():
        peer = _run([*ob2, *_manifest_pins(entry), str(WILD / entry["file"])])
        verdicts[entry["file"]] = (
            "agree" if peer["verified"] is outcome(entry)["valid"] else f"DISAGREE {peer}"
        )
    for name, (badge, documents) in _built_legacy_cases().items():
        folder = tmp_path / name
        folder.mkdir()
        pins = []
        for number, (url, body) in enumerate(documents.items()):
            (folder / f"{number}").write_bytes(body)
            pins += ["--doc", f"{url}={folder / str(number)}"]
        data = badge if isinstance(badge, str) else json.dumps(badge)
        (folder / "input.json").write_text(data)
        peer = _run([*ob2, *pins, data if isinstance(badge, str) else str(folder / "input.json")])
        ours = badgekiln.verify(data, offline=True, documents=documents).valid
        if peer["verified"] is ours:
            verdicts[name] = "agree"
        else:
            verdicts[name] = "stricter" if name in LEGACY_STRICTER and not ours else f"DISAGREE {peer}"
    assert Counter(verdicts.values()) == {"agree": 13, "stricter": 2}, verdicts
