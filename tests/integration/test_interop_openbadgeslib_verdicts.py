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
import sys
from pathlib import Path
from typing import Any

import pytest

import badgekiln
from tests.interop.harness import command_or_skip

pytestmark = pytest.mark.interop

pytest.importorskip("openbadgeslib")
BIN = Path(sys.executable).parent
if not (BIN / "openbadges-publish").exists():  # pragma: no cover - the dev extra installs it
    pytest.skip("openbadgeslib's command-line tools are not installed", allow_module_level=True)

PUBLISH_URL = "https://issuer.example/issuer/"
IMAGES = {
    "png": "concentricsky-openbadges-bakery/openbadges_bakery/testfiles/public_domain_heart.png",
    "svg": "concentricsky-openbadges-bakery/openbadges_bakery/testfiles/unbaked_example.svg",
}
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
_CONFIG = """
[paths]
base = {base}
base_key = ${{base}}/keys
base_log = ${{base}}/log
base_image = ${{base}}/images
base_status = ${{base}}/status
[logs]
general = general.log
signer = signer.log
[smtp]
smtp_server = localhost
smtp_port = 25
use_ssl = False
mail_from = no-reply@issuer.example
[issuer]
name = Interop issuer
url = https://issuer.example
image = issuer_logo.png
email = badges@issuer.example
publish_url = {publish_url}
revocationList = revoked.json
did = auto
"""
_BADGE = """
[badge_{name}]
name = Badge {name}
description = Built by the openbadgeslib CLI for badgekiln's interop tests
local_image = source.{ext}
image = {publish_url}badge_{name}/image.{ext}
criteria = {publish_url}badge_{name}/criteria.html
verify_key = {publish_url}badge_{name}/verify.pem
badge = {publish_url}badge_{name}/badge.json
crypto_key = {publish_url}badge_{name}/key.json
hosted_assertions_base = {publish_url}badge_{name}/assertions/
private_key = ${{paths:base_key}}/sign_{name}.pem
public_key = ${{paths:base_key}}/verify_{name}.pem
key_type = {key_type}
status_lists = revocation, suspension
"""


def _run(commands: list[list[str]], cwd: Path) -> None:
    """Run CLI commands side by side (each is a second of interpreter start-up)."""
    running = [
        (command, subprocess.Popen([str(BIN / command[0]), *command[1:]], cwd=cwd, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True))
        for command in commands
    ]  # fmt: skip
    for command, process in running:
        output, _ = process.communicate(timeout=180)
        assert process.returncode == 0, f"{command}: {output}"


@pytest.fixture(scope="module")
def issued(vectors: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Path]]:
    """(the published web root, case → badge file), all made by openbadgeslib's CLI."""
    base = tmp_path_factory.mktemp("openbadgeslib-verdicts")
    for folder in ("keys", "log", "images", "status", "out"):
        (base / folder).mkdir()
    for ext, source in IMAGES.items():
        (base / "images" / f"source.{ext}").write_bytes((vectors / source).read_bytes())
    config = _CONFIG.format(base=base, publish_url=PUBLISH_URL)
    for name, (key_type, ext) in BADGES.items():
        config += _BADGE.format(name=name, ext=ext, key_type=key_type, publish_url=PUBLISH_URL)
    (base / "config.ini").write_text(config)
    _run([["openbadges-keygenerator", "-c", "config.ini", "-g", name] for name in BADGES], base)
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
        _run([commands[round_] for commands in by_badge.values() if round_ < len(commands)], base)
    web, web2 = base / "web", base / "web2"
    _run([["openbadges-publish", "-c", "config.ini", "-V", "2", "-o", str(web2)]], base)
    for badge, _, recipient, action in CASES.values():
        if action is not None:
            _run(
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
    _run([["openbadges-publish", "-c", "config.ini", "-V", "3", "-o", str(web)]], base)
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
