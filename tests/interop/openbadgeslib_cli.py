"""A workspace for openbadgeslib's command-line tools (keygenerator, signer, publish): the
config.ini both interop suites give them, and running the tools side by side."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

#: Where the tools are: beside the interpreter (the dev extra installs openbadgeslib).
BIN = Path(sys.executable).parent
#: Unbaked source images (paths under tests/vectors).
IMAGES = {
    "png": "concentricsky-openbadges-bakery/openbadges_bakery/testfiles/public_domain_heart.png",
    "svg": "concentricsky-openbadges-bakery/openbadges_bakery/testfiles/unbaked_example.svg",
}
PUBLISH_URL = "https://issuer.example/issuer/"

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
"""


def make_workspace(
    base: Path, vectors: Path, badges: Mapping[str, tuple[str, str]], *, status_lists: bool = False
) -> None:
    """Write ``base/config.ini`` for ``badges`` (section name → (key type, image format)), the
    folders it names and the source images. ``status_lists``: a did:web issuer whose OB 3.0
    badges carry revocation and suspension lists."""
    for folder in ("keys", "log", "images", "status", "out"):
        (base / folder).mkdir()
    for ext, source in IMAGES.items():
        (base / "images" / f"source.{ext}").write_bytes((vectors / source).read_bytes())
    config = _CONFIG.format(base=base, publish_url=PUBLISH_URL)
    if status_lists:
        config += "did = auto\n"
    for name, (key_type, ext) in badges.items():
        config += _BADGE.format(name=name, ext=ext, key_type=key_type, publish_url=PUBLISH_URL)
        if status_lists:
            config += "status_lists = revocation, suspension\n"
    (base / "config.ini").write_text(config)


def run_all(commands: list[list[str]], cwd: Path, *, timeout: float = 180) -> None:
    """Run the tools side by side (each is a second of interpreter start-up and signing)."""
    running = [
        (command, subprocess.Popen([str(BIN / command[0]), *command[1:]], cwd=cwd, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True))
        for command in commands
    ]  # fmt: skip
    for command, process in running:
        output, _ = process.communicate(timeout=timeout)
        assert process.returncode == 0, f"{command}: {output}"
