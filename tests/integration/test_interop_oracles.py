"""The oracles' own wrappers (tests/interop): each accepts a sound badge and refuses a broken one,
answers every fetch from local files only (the rest is refused and listed), and exits 2 on a usage
error — so when an interop test finds a peer agreeing, the peer really checked, offline."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from tests.conftest import VECTORS
from tests.interop.harness import command_or_skip
from tests.verify_support import DCC, OB20

pytestmark = pytest.mark.interop

DCC_V2 = f"{DCC}/verifiableCredentials/v2/ed25519"
SOUND = f"{DCC_V2}/didKey/legacy-noStatus-noExpiry.json"
TAMPERED = f"{DCC_V2}/didKey/legacy-noStatus-noExpiry-tampered.json"
DID_WEB = f"{DCC_V2}/didWeb/oidf-noStatus-notExpired.json"
DID_DOCUMENT = "https://digitalcredentials.github.io/vc-test-fixtures/dids/oidf/did.json"
DCC_FOLDER = ("--doc-prefix", f"https://digitalcredentials.github.io/vc-test-fixtures/={DCC}/")
HOSTED = f"{OB20}/basic-assertion.json"  # hosted at https://example.org/beths-robotics-badge.json
HOSTED_URL = "https://example.org/beths-robotics-badge.json"
OB2_DOCUMENTS = (
    *("--doc", f"{HOSTED_URL}={HOSTED}"),
    *("--doc-prefix", f"https://example.org/={OB20}/assets/"),
    *("--doc-prefix", f"http://example.org/={OB20}/assets/"),
)
RECIPIENT = "nobody@example.org"  # the address the 1EdTech fixtures' recipient hash stands for


def run(oracle: str, *args: str) -> tuple[int, dict[str, Any]]:
    result = subprocess.run(
        [*command_or_skip(oracle), *args],
        capture_output=True,
        text=True,
        cwd=VECTORS,
        timeout=180,
        check=False,
    )
    verdict: dict[str, Any] = json.loads(result.stdout) if result.returncode in (0, 1) else {}
    return result.returncode, verdict


@pytest.mark.parametrize("engine", ["dcc", "db"])
def test_dcc_engines_accept_a_sound_credential_and_refuse_a_tampered_one(engine: str) -> None:
    code, verdict = run("dcc", "--engine", engine, SOUND)
    assert (code, verdict["verified"]) == (0, True), verdict
    code, verdict = run("dcc", "--engine", engine, TAMPERED)
    assert (code, verdict["verified"]) == (1, False)


def test_dcc_answers_only_from_local_files() -> None:
    code, verdict = run("dcc", DID_WEB)
    assert (code, verdict["verified"]) == (1, False)
    assert verdict["details"]["network"]["refused"] == [DID_DOCUMENT]
    code, verdict = run("dcc", *DCC_FOLDER, DID_WEB)
    assert (code, verdict["verified"]) == (0, True), verdict
    assert {entry["url"] for entry in verdict["details"]["network"]["served"]} == {DID_DOCUMENT}


def test_openbadgeslib_accepts_a_hosted_badge_for_its_recipient_only() -> None:
    code, verdict = run("obl", *OB2_DOCUMENTS, "--recipient", RECIPIENT, HOSTED)
    assert (code, verdict["verified"], verdict["trusted"]) == (0, True, True), verdict
    assert verdict["details"]["network"]["refused"] == []
    code, verdict = run("obl", *OB2_DOCUMENTS, "--recipient", "eve@example.org", HOSTED)
    assert (code, verdict["verified"]) == (1, False)


def test_openbadgeslib_answers_only_from_local_files() -> None:
    code, verdict = run("obl", HOSTED)
    assert (code, verdict["verified"]) == (1, False)
    assert verdict["details"]["network"] == {"served": [], "refused": [HOSTED_URL], "loopback": []}


def test_1edtech_validator_accepts_a_hosted_badge_for_its_recipient_only() -> None:
    code, verdict = run("ob2", *OB2_DOCUMENTS, "--recipient", RECIPIENT, HOSTED)
    assert (code, verdict["valid"]) == (0, True), verdict["details"]["messages"]
    network = verdict["details"]["network"]
    assert network["refused"] == []
    # the OB 2.0 context comes from the repository's map (tests/vectors/context-url-map.json)
    assert network["served_local"][0] == "https://w3id.org/openbadges/v2"
    code, verdict = run("ob2", *OB2_DOCUMENTS, "--recipient", "eve@example.org", HOSTED)
    assert (code, verdict["valid"]) == (1, False)


def test_1edtech_validator_answers_only_from_local_files() -> None:
    code, verdict = run("ob2", HOSTED)
    assert (code, verdict["valid"]) == (1, False)
    assert verdict["details"]["network"]["refused"] == [HOSTED_URL]


@pytest.mark.parametrize("oracle", ["dcc", "obl", "ob2"])
def test_a_usage_error_exits_2(oracle: str) -> None:
    assert run(oracle, "--no-such-option", HOSTED)[0] == 2
