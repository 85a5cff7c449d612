"""Badges signed and published by openbadgeslib's command-line tools, verified by badgekiln and by
openbadgeslib's own verifier, offline, with the same documents (issue #12, "Done when").

One issuer (``did = auto``: did:web:issuer.example:issuer) with three badges: RSA into PNG, RSA
into SVG, Ed25519 into PNG. ``openbadges-signer`` makes OB 2.0 signed and hosted badges and OB 3.0
VC-JWT and Data Integrity (eddsa-rdfc-2022) credentials carrying revocation and suspension
entries; ``openbadges-publish -V 2`` writes the OB 2.0 documents and ``-V 3`` the DID document
and the Bitstring status lists (secured as VC-JWT), after ``--revoke`` and ``--suspend`` of some
credentials. Both verifiers get the published folder as the issuer's web site, and openbadgeslib
the badge's public key as its trusted issuer key. Every case gets openbadgeslib's verdict, for the
same reason (a set revocation or suspension bit). Without a trusted key openbadgeslib resolves
did:web to the *first* key of the DID document, so it refuses the badges signed with the others
(the wild corpus records that for ``openbadgeslib/ob3-eddsa-rdfc-2022.png``); badgekiln accepts
any key the issuer's DID document lists for assertions.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

import badgekiln
from tests.interop.harness import command_or_skip
from tests.interop.openbadgeslib_cli import BIN, PUBLISH_URL, make_workspace, run_all

pytestmark = pytest.mark.interop

pytest.importorskip("openbadgeslib")
if not (BIN / "openbadges-publish").exists():  # pragma: no cover - the dev extra installs it
    pytest.skip("openbadgeslib's command-line tools are not installed", allow_module_level=True)

#: badge section: (key type, image format)
BADGES = {"rsapng": ("RSA", "png"), "rsasvg": ("RSA", "svg"), "edpng": ("ED25519", "png")}
#: case: (badge, signer options, recipient, what openbadges-publish does to it)
CASES: dict[str, tuple[str, list[str], str, str | None]] = {
    "ob2-signed.png": ("rsapng", ["-V", "2"], "ann@example.org", None),
    "ob2-signed.svg": ("rsasvg", ["-V", "2"], "ann@example.org", None),
    "ob2-hosted.png": ("rsapng", ["-V", "2", "-H"], "ann@example.org", None),
    "ob2-hosted.svg": ("rsasvg", ["-V", "2", "-H"], "ann@example.org", None),
    "ob3-vcjwt.png": ("rsapng", ["-V", "3"], "ben@example.org", None),
    "ob3-vcjwt-revoked.png": ("rsapng", ["-V", "3"], "cat@example.org", "--revoke"),
    "ob3-vcjwt-suspended.png": ("rsapng", ["-V", "3"], "dan@example.org", "--suspend"),
    "ob3-vcjwt.svg": ("rsasvg", ["-V", "3"], "ben@example.org", None),
    "ob3-vcjwt-revoked.svg": ("rsasvg", ["-V", "3"], "cat@example.org", "--revoke"),
    "ob3-ldp.png": ("edpng", ["-V", "3", "-P", "ldp"], "ben@example.org", None),
    "ob3-ldp-suspended.png": ("edpng", ["-V", "3", "-P", "ldp"], "dan@example.org", "--suspend"),
}


@pytest.fixture(scope="module")
def issued(vectors: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Path]]:
    """(the published web root, case → badge file), all made by openbadgeslib's CLI."""
    base = tmp_path_factory.mktemp("openbadgeslib-verdicts")
    make_workspace(base, vectors, BADGES, status_lists=True)
    run_all([["openbadges-keygenerator", "-c", "config.ini", "-g", name] for name in BADGES], base)
    # one signer at a time per badge: each OB 3.0 credential takes an index in the badge's registry
    by_badge: dict[str, list[list[str]]] = {}
    for case, (badge, options, recipient, _) in CASES.items():
        out = base / "out" / case
        by_badge.setdefault(badge, []).append(
            [
                "openbadges-signer",
                "-c",
                "config.ini",
                "-b",
                badge,
                "-r",
                recipient,
                "-E",
                "-o",
                str(out),
                *options,
            ]
        )
    for round_ in range(max(len(commands) for commands in by_badge.values())):
        run_all([commands[round_] for commands in by_badge.values() if round_ < len(commands)], base)
    web, web2 = base / "web", base / "web2"
    run_all([["openbadges-publish", "-c", "config.ini", "-V", "2", "-o", str(web2)]], base)
    for badge, _, recipient, action in CASES.values():
        if action is not None:
            run_all(
                [
                    [
                        "openbadges-publish",
                        "-c",
                        "config.ini",
                        "-V",
                        "3",
                        action,
                        recipient,
                        "-b",
                        badge,
                        "-o",
                        str(web),
                    ]
                ],
                base,
            )
    run_all([["openbadges-publish", "-c", "config.ini", "-V", "3", "-o", str(web)]], base)
    for path in web2.rglob("*"):
        target = web / path.relative_to(web2)
        if path.is_file() and not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    badges = {}
    for case in CASES:
        out = base / "out" / case
        (image,) = out.glob(f"*.{case.rpartition('.')[2]}")
        badges[case] = image
        for hosted in out.glob("*.assertion.json"):  # served where the signer says (its id)
            assertion = json.loads(hosted.read_text())
            target = web / assertion["id"].removeprefix(PUBLISH_URL)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(hosted.read_bytes())
    return web, badges


def _documents(web: Path) -> dict[str, bytes]:
    return {
        PUBLISH_URL + p.relative_to(web).as_posix(): p.read_bytes() for p in web.rglob("*") if p.is_file()
    }


@pytest.fixture(scope="module")
def theirs(issued: tuple[Path, dict[str, Path]]) -> dict[str, dict[str, Any]]:
    """openbadgeslib's verdict on every case: its verifier, offline, status lists checked, with
    the badge's public key handed over as its trusted issuer key (the mode it recommends; without
    one it resolves did:web to the first key of the DID document, which is not every badge's)."""
    web, badges = issued
    obl = command_or_skip("obl")
    keys = web.parent / "keys"
    running = {
        case: subprocess.Popen(
            [*obl, "--doc-prefix", f"{PUBLISH_URL}={web}", "--check-status",
             "--pubkey", str(keys / f"verify_{CASES[case][0]}.pem"), str(path)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for case, path in badges.items()
    }  # fmt: skip
    verdicts = {}
    for case, process in running.items():
        out, err = process.communicate(timeout=180)
        assert process.returncode in (0, 1), f"{case}: {err}"
        verdicts[case] = json.loads(out)
    return verdicts


@pytest.mark.parametrize("case", CASES)
def test_badgekiln_gives_openbadgeslibs_verdict(
    issued: tuple[Path, dict[str, Path]], theirs: dict[str, dict[str, Any]], case: str
) -> None:
    web, badges = issued
    data = badges[case].read_bytes()
    found = badgekiln.extract(data)
    assert (found.format, found.spec) == (case.rpartition(".")[2], case[:3])
    report = badgekiln.verify(data, offline=True, documents=_documents(web))
    peer = theirs[case]
    reason = str(peer["details"].get("reason", ""))
    failing = [c.to_dict() for c in report.checks if c.status != "passed"]
    assert report.valid == peer["verified"], (reason, failing)
    action = CASES[case][3]
    if action is None:
        assert report.failures == ()
        return
    purpose, state = ("revocation", "revoked") if action == "--revoke" else ("suspension", "suspended")
    assert [(c.id, c.code) for c in report.failures] == [("status", state)]
    assert f"status '{purpose}' is set" in reason, reason
