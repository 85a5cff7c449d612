"""``badgekiln verify``: exit codes, the human and JSON forms, --document/--key/--at/--offline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from badgekiln.cli import main
from badgekiln.keys.formats import dump_pem_public_key
from tests.verify_support import OB20, OB30, REPORT_KEYS, TestIssuer


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["verify", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def signed(tmp_path: Path) -> tuple[Path, TestIssuer]:
    issuer = TestIssuer.did_web()
    path = tmp_path / "badge.json"
    path.write_text(json.dumps(issuer.sign_di(issuer.credential())))
    return path, issuer


def _documents(tmp_path: Path, documents: dict[str, bytes]) -> list[str]:
    args = []
    for number, (url, body) in enumerate(documents.items()):
        file = tmp_path / f"doc{number}.json"
        file.write_bytes(body)
        args += ["--document", f"{url}={file}"]
    return args


def test_valid_badge_exits_0_with_marks(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, signed: tuple[Path, TestIssuer]
) -> None:
    path, issuer = signed
    code, out, err = _run(capsys, str(path), "--offline", *_documents(tmp_path, issuer.documents))
    assert (code, err) == (0, "")
    assert out.startswith("VALID: Open Badges 3.0 badge (json, eddsa-rdfc-2022)\n")
    assert "  ✓ signature  eddsa-rdfc-2022 proof verified with did:web:issuer.example#key-1\n" in out
    assert "  ✓ issuer     the key's controller is the issuer (did:web:issuer.example)\n" in out


def test_offline_without_documents_exits_1_and_says_not_checked(
    capsys: pytest.CaptureFixture[str], signed: tuple[Path, TestIssuer]
) -> None:
    code, out, _ = _run(capsys, str(signed[0]), "--offline")
    assert code == 1
    assert out.startswith("NOT VALID")
    assert "  - signature  not checked: refused to fetch https://issuer.example/.well-known/did.json" in out


def test_json_form_is_the_report(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, signed: tuple[Path, TestIssuer]
) -> None:
    path, issuer = signed
    code, out, _ = _run(capsys, str(path), "--json", "--offline", *_documents(tmp_path, issuer.documents))
    report = json.loads(out)
    assert code == 0
    assert list(report) == REPORT_KEYS
    assert report["valid"] is True
    assert report["credential"]["issuer"] == {"id": "did:web:issuer.example", "name": "Example Issuer"}


def test_pinned_key_file_replaces_every_lookup(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, signed: tuple[Path, TestIssuer]
) -> None:
    path, issuer = signed
    key = tmp_path / "issuer.pem"
    key.write_text(dump_pem_public_key(issuer.signer.public_key()))
    code, out, _ = _run(capsys, str(path), "--offline", "--key", str(key))
    assert code == 0
    assert "  ✓ issuer     the issuer's key was pinned by the caller\n" in out


def test_at_judges_validity_at_another_instant(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, signed: tuple[Path, TestIssuer]
) -> None:
    path, issuer = signed
    docs = _documents(tmp_path, issuer.documents)
    code, out, _ = _run(capsys, str(path), "--offline", "--at", "2023-06-01T00:00:00Z", *docs)
    assert code == 1
    assert "  ✗ issued     not valid yet: validFrom is 2024-01-01T00:00:00Z\n" in out


def test_recipient_mismatch_exits_1(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, signed: tuple[Path, TestIssuer]
) -> None:
    path, issuer = signed
    docs = _documents(tmp_path, issuer.documents)
    code, out, _ = _run(capsys, str(path), "--offline", "--recipient", "did:example:bob", *docs)
    assert code == 1
    assert "  ✗ recipient  the badge was not awarded to did:example:bob\n" in out


def test_baked_image_and_ob2_documents(capsys: pytest.CaptureFixture[str], vectors: Path) -> None:
    assets = vectors / OB20 / "assets"
    docs = [
        f"--document=http://example.org/key1.json={assets / 'key1.json'}",
        f"--document=https://example.org/robotics-badge.json={assets / 'robotics-badge.json'}",
        f"--document=https://example.org/organization.json={assets / 'organization.json'}",
    ]
    code, out, _ = _run(capsys, str(vectors / OB20 / "simple.jwt"), "--offline", *docs)
    assert code == 0
    assert out.startswith("VALID: Open Badges 2.0 badge (jwt, jws RS256)\n")
    code, out, _ = _run(capsys, str(vectors / OB30 / "simple-jwt.png"), "--offline")
    assert code == 1
    assert "  - issuer " in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--at", "2024-01-01"], "error: --at is '2024-01-01', not a date-time with a time zone"),
        (["--document", "no-equals-sign"], "error: --document 'no-equals-sign': expected URL=PATH"),
        (["--key", "/nonexistent/key.pem"], "error: cannot read /nonexistent/key.pem"),
    ],
)
def test_bad_options_exit_2_with_one_error_line(
    capsys: pytest.CaptureFixture[str], signed: tuple[Path, TestIssuer], argv: list[str], message: str
) -> None:
    code, out, err = _run(capsys, str(signed[0]), *argv)
    assert (code, out) == (2, "")
    assert err.startswith(message)
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"name": "not a badge"}', "error: not a badge: neither an Open Badges 3.0 credential"),
        # 1.x BadgeClasses and Issuers are not badges either (they were reported as 1.x assertions)
        (
            b'{"@context": "https://w3id.org/openbadges/v1", "type": "BadgeClass", "id": "https://a.example/b"}',
            "error: not a badge: this is an Open Badges 1.1 BadgeClass, not an Assertion",
        ),
        (
            b'{"@context": "https://w3id.org/openbadges/v1", "type": "Issuer", "id": "https://a.example/i"}',
            "error: not a badge: this is an Open Badges 1.1 Issuer, not an Assertion",
        ),
        (b'{"name": "Basic Issuer", "url": "http://a.com/issuer"}', "error: not a badge: neither"),
        (b"\x00\xff\xfe", "error: the input is neither a PNG or SVG image nor a UTF-8 badge payload"),
        (b"<html><body/></html>", "error: not a badge image: XML whose root element is 'html'"),
        (b"eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2ln", "error: JWT payload is not valid JSON: Expecting value"),
    ],
)
def test_input_errors_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "input"
    path.write_bytes(content)
    code, out, err = _run(capsys, str(path))
    assert (code, out) == (2, "")
    assert err.startswith(message), err


def test_bad_pinned_key_is_an_input_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, signed: tuple[Path, TestIssuer]
) -> None:
    key = tmp_path / "key.pem"
    key.write_text("-----BEGIN PUBLIC KEY-----\nnot base64\n-----END PUBLIC KEY-----\n")
    code, _, err = _run(capsys, str(signed[0]), "--key", str(key))
    assert code == 2
    assert err.startswith("error: the pinned key cannot be used:")


def test_an_empty_recipient_is_an_input_error(capsys: pytest.CaptureFixture[str], vectors: Path) -> None:
    png = (
        vectors
        / "1edtech-digital-credentials-public-validator/inspector-vc/src/test/resources/ob30/simple-json.png"
    )
    assert main(["verify", "--recipient", "", str(png)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    assert "recipient" in err
    assert err.count("\n") == 1


def test_strict_fails_a_badge_on_its_conformance_deviations(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # GIVEN an authentic credential without an id (OB 3.0 requires one: a conformance deviation)
    issuer = TestIssuer.did_web()
    credential = issuer.credential()
    del credential["id"]
    path = tmp_path / "no-id.json"
    path.write_text(json.dumps(issuer.sign_di(credential)))
    documents = _documents(tmp_path, issuer.documents)
    # THEN it is valid with a warning, and the human form counts the deviation
    code, out, _ = _run(capsys, str(path), "--offline", *documents)
    assert code == 0
    assert "  ! structure  the credential has no id (OB 3.0 requires one)\n" in out
    assert "  conformance: 1 deviation(s) (structure no-id), warnings that do not bear on trust" in out
    # AND --strict makes it not valid (exit 1), in both forms
    code, out, _ = _run(capsys, str(path), "--offline", "--strict", *documents)
    assert code == 1
    assert "  ✗ structure  the credential has no id (OB 3.0 requires one)\n" in out
    assert "  conformance: 1 deviation(s) (structure no-id), failures (--strict)\n" in out
    code, out, _ = _run(capsys, str(path), "--offline", "--strict", "--json", *documents)
    report = json.loads(out)
    assert (code, report["valid"], report["conformance"]["strict"]) == (1, False, True)
    assert [d["code"] for d in report["conformance"]["deviations"]] == ["no-id"]


def test_issuer_identity_line_and_registries(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, signed: tuple[Path, TestIssuer]
) -> None:
    path, issuer = signed
    documents = _documents(tmp_path, issuer.documents)
    code, out, _ = _run(capsys, str(path), "--offline", *documents)
    assert code == 0
    assert "  identity: ✓ issuer identity confirmed for issuer.example\n" in out
    registry = tmp_path / "registry.json"
    registry.write_text(json.dumps({"registry": {issuer.id: {"name": "Example Issuer Inc."}}}))
    code, out, _ = _run(capsys, str(path), "--offline", *documents, "--issuer-registry", f"Ours={registry}")
    assert code == 0
    assert "  identity: ✓ issuer identity confirmed by the registry Ours: Example Issuer Inc.\n" in out
    # a registry URL is a document like any other (answered here by --document)
    url = "https://registry.example/registry.json"
    argv = ["--offline", *documents, "--document", f"{url}={registry}", "--issuer-registry", url]
    code, out, _ = _run(capsys, str(path), *argv, "--json")
    assert code == 0
    assert json.loads(out)["issuer_identity"]["registry"]["name"] == url


def test_self_declared_issuer_identity_is_flagged(capsys: pytest.CaptureFixture[str], vectors: Path) -> None:
    fixture = "digitalcredentials-vc-test-fixtures/verifiableCredentials/v1/bothSignatureTypes/didKey"
    code, out, _ = _run(capsys, str(vectors / fixture / "noRegistry-noStatus-noExpiry.json"), "--offline")
    assert code == 0  # valid: the identity line never changes the verdict
    assert "  identity: ! issuer identity not verified: the issuer's name is self-declared" in out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "error: the issuer registry "),
        (b"[]", "error: the issuer registry "),
        (b"{", "error: the issuer registry "),
    ],
)
def test_bad_issuer_registries_exit_2(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    signed: tuple[Path, TestIssuer],
    content: bytes | None,
    message: str,
) -> None:
    registry = tmp_path / "registry.json"
    if content is not None:
        registry.write_bytes(content)
    code, out, err = _run(capsys, str(signed[0]), "--offline", "--issuer-registry", str(registry))
    assert (code, out) == (2, "")
    assert err.startswith(message), err
    assert err.count("\n") == 1
