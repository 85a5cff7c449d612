"""The issuing commands: issuer, achievement, issue, issue-batch, revoke / suspend / reinstate."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from badgekiln.cli import main
from badgekiln.store import LocalStore
from badgekiln.verification import verify
from tests.issue_support import public_documents, small_png

PUBLIC_URL = "https://badges.example.org"
#: ``badgekiln issue`` for the fixture's issuer and achievement, to Ada.
ISSUE = ["issue", "--issuer", "acme", "--achievement", "teamwork", "--recipient", "ada@example.org"]
BATCH = ["--issuer", "acme", "--achievement", "teamwork"]


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    store = tmp_path / "store"
    monkeypatch.setenv("BADGEKILN_STORE", str(store))
    monkeypatch.setenv("BADGEKILN_PUBLIC_URL", PUBLIC_URL)
    monkeypatch.delenv("BADGEKILN_KMS", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "badge.png").write_bytes(small_png())
    return store


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def json_out(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    return json.loads(out)


@pytest.fixture
def acme(env: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    create = [
        "issuer",
        "create",
        "--name",
        "Acme",
        "--url",
        "https://acme.example",
        "--id",
        "acme",
        "--suspension",
    ]
    issuer = json_out(capsys, *create)
    achievement = ["achievement", "create", "--issuer", "acme", "--name", "Teamwork", "--id", "teamwork"]
    texts = ["--description", "d", "--criteria", "c", "--image", "badge.png"]
    json_out(capsys, *achievement, *texts, "--tag", "t", "--alignment", "A=https://f.example/a")
    return dict(issuer)


def test_issuer_commands(acme: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    assert acme["id"] == "did:web:badges.example.org:issuers:acme"
    assert acme["urls"]["did_document"] == f"{PUBLIC_URL}/issuers/acme/did.json"
    assert json_out(capsys, "issuer", "show", acme["id"])["slug"] == "acme"
    assert [i["slug"] for i in json_out(capsys, "issuer", "list")] == ["acme"]
    rotated = json_out(capsys, "issuer", "rotate-key", "acme", "--family", "rsa")
    # rsa-1 signed nothing: withdrawn, not kept published
    assert [(k["name"], k["state"]) for k in rotated["keys"]] == [
        ("ed25519-1", "active"),
        ("rsa-2", "active"),
    ]
    keyed = json_out(capsys, "issuer", "create", "--name", "Keyed", "--url", "https://k.example", "--did-key")
    assert keyed["id"].startswith("did:key:z6Mk")
    assert keyed["kind"] == "key"
    assert [a["slug"] for a in json_out(capsys, "achievement", "list", "--issuer", "acme")] == ["teamwork"]


SVG_LOGO = b'<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><rect width="8" height="8"/></svg>'


def test_issuer_update_changes_the_profile_and_its_logo(
    acme: dict[str, Any], env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = LocalStore(str(env))
    (tmp_path / "logo.svg").write_bytes(SVG_LOGO)
    updated = json_out(
        capsys, "issuer", "update", "acme", "--name", "Acme Academy", "--url", "https://academy.example",
        "--logo", "logo.svg",
    )  # fmt: skip
    assert (updated["name"], updated["url"], updated["id"]) == (
        "Acme Academy",
        "https://academy.example",
        acme["id"],
    )
    logo = f"{PUBLIC_URL}/issuers/acme/logo.svg"
    assert updated["urls"]["logo"] == logo
    assert store.get("public/issuers/acme/logo.svg").body == SVG_LOGO
    profile = json.loads(store.get("public/issuers/acme/profile.json").body)
    assert (profile["name"], profile["image"]) == ("Acme Academy", {"id": logo, "type": "Image"})
    ob2 = json.loads(store.get("public/issuers/acme/ob2/issuer.json").body)
    assert (ob2["name"], ob2["image"]) == ("Acme Academy", logo)
    # credentials issued from now on embed the new profile, and still verify
    issued = json_out(capsys, *ISSUE, "--details")
    assert issued["credential"]["issuer"]["name"] == "Acme Academy"
    assert issued["credential"]["issuer"]["image"]["id"] == logo
    image = store.get("public/" + issued["image_url"].removeprefix(PUBLIC_URL + "/")).body
    assert verify(image, documents=public_documents(store, PUBLIC_URL), offline=True).valid
    # a logo in another format replaces it; only what is given changes
    (tmp_path / "logo.png").write_bytes(small_png())
    again = json_out(capsys, "issuer", "update", "acme", "--logo", "logo.png")
    assert again["urls"]["logo"] == f"{PUBLIC_URL}/issuers/acme/logo.png"
    assert again["name"] == "Acme Academy"
    (tmp_path / "notes.txt").write_bytes(b"not an image")
    for argv, message in (
        (["issuer", "update", "acme"], "nothing to change"),
        (["issuer", "update", "acme", "--logo", "notes.txt"], "error: "),
        (["issuer", "update", "acme", "--url", "ftp://x.example"], "url"),
        (["issuer", "update", "nobody", "--name", "X"], "no issuer"),
    ):
        code, out, err = run(capsys, *argv)
        assert (code, out) == (2, ""), argv
        assert message in err, (argv, err)


def test_completion_scripts_complete_commands_options_and_choices(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import shutil
    import subprocess

    code, script, _ = run(capsys, "completion", "bash")
    assert code == 0
    code, zsh, _ = run(capsys, "completion", "zsh")
    assert code == 0
    assert zsh.startswith("# badgekiln")
    assert "bashcompinit" in zsh
    (tmp_path / "badgekiln.bash").write_text(script)
    probe = tmp_path / "probe.sh"
    probe.write_text(
        'source "$1"; shift\n'
        'COMP_WORDS=("$@"); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); COMPREPLY=(); _badgekiln\n'
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    bash = shutil.which("bash")
    assert bash is not None

    def complete(*words: str) -> list[str]:
        done = subprocess.run(
            [bash, "--norc", str(probe), str(tmp_path / "badgekiln.bash"), "badgekiln", *words],
            capture_output=True, text=True, check=True, cwd=tmp_path, timeout=30,
        )  # fmt: skip
        return done.stdout.split()

    assert complete("iss") == ["issuer", "issue", "issue-batch"]
    assert complete("issuer", "up") == ["update"]
    assert "--logo" in complete("issuer", "update", "acme", "--")
    assert complete("issue", "--spec", "") == ["ob3", "ob2"]
    assert complete("credential", "list", "--state", "s") == ["suspended"]
    assert complete("api-key", "") == ["create", "list", "delete"]
    assert complete("issuer", "update", "acme", "--logo", "badgekiln.b") == ["badgekiln.bash"]  # a file


def test_an_alignment_url_may_hold_a_query(
    acme: dict[str, Any], capsys: pytest.CaptureFixture[str], env: Path
) -> None:
    pair = "Skill=https://f.example/a?id=3&v=2"
    created = json_out(capsys, *ACHIEVE, "--id", "skill", "--image", "badge.png", "--alignment", pair)
    document = json.loads(public_documents(LocalStore(str(env)), PUBLIC_URL)[created["id"]])
    assert [(a["targetName"], a["targetUrl"]) for a in document["alignment"]] == [
        ("Skill", "https://f.example/a?id=3&v=2")
    ]


def test_issue_prints_the_credential_and_writes_the_image(
    acme: dict[str, Any], capsys: pytest.CaptureFixture[str], env: Path
) -> None:
    extra = [
        "--evidence",
        "https://ada.example/w",
        "--narrative",
        "n",
        "--valid-until",
        "2099-01-01T00:00:00Z",
    ]
    credential = json_out(capsys, *ISSUE, *extra, "--idempotency-key", "k1", "-o", "ada.png")
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["validUntil"] == "2099-01-01T00:00:00Z"
    documents = public_documents(LocalStore(str(env)), PUBLIC_URL)
    report = verify(
        Path("ada.png").read_bytes(), documents=documents, offline=True, recipient="ada@example.org"
    )
    assert report.valid
    # -o refuses to overwrite without --force
    code, _, err = run(capsys, *ISSUE, *extra, "--idempotency-key", "k1", "-o", "ada.png")
    assert code == 2
    assert err.startswith("error:")
    assert err.count("\n") == 1
    # the same request and key: the same credential
    again = json_out(capsys, *ISSUE, *extra, "--idempotency-key", "k1", "--details")
    assert again["replayed"] is True
    assert again["credential"] == credential
    # the same key with another request: refused
    code, _, err = run(capsys, *ISSUE, "--idempotency-key", "k1")
    assert code == 2
    assert "different request" in err


def test_issue_formats(acme: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    for options in (["--proof", "jwt", "--alg", "EdDSA"], ["--proof", "jwt"], ["--spec", "ob2", "--signed"]):
        code, out, _ = run(capsys, *ISSUE, *options)
        assert code == 0
        assert out.strip().count(".") == 2  # a compact JWT / JWS
    hosted = json_out(capsys, *ISSUE, "--spec", "ob2")
    assert hosted["verification"] == {"type": "HostedBadge"}


def test_issue_can_write_the_image_to_standard_output(
    acme: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    stdout = io.TextIOWrapper(io.BytesIO())
    monkeypatch.setattr(sys, "stdout", stdout)
    assert main([*ISSUE, "-o", "-"]) == 0
    assert stdout.buffer.getvalue().startswith(b"\x89PNG")  # type: ignore[attr-defined]


def test_status_commands(acme: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    issued = json_out(capsys, *ISSUE, "--details")
    assert (
        json_out(capsys, "suspend", "--issuer", "acme", issued["id"], "--reason", "check")["state"]
        == "suspended"
    )
    assert json_out(capsys, "reinstate", "--issuer", "acme", issued["name"])["state"] == "active"
    revoked = json_out(capsys, "revoke", "--issuer", "acme", issued["public_url"], "--reason", "oops")
    assert (revoked["state"], revoked["reason"]) == ("revoked", "oops")
    code, out, err = run(capsys, "reinstate", "--issuer", "acme", issued["id"])
    assert (code, out) == (2, "")
    assert "cannot be reinstated" in err


def test_credential_show_and_list(acme: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    ada = json_out(capsys, *ISSUE, "--external-id", "order-17", "--details")
    assert ada["verify_url"] == f"{PUBLIC_URL}/v/acme/{ada['name']}"
    assert ada["external_id"] == "order-17"
    bob = json_out(capsys, *ISSUE[:-1], "bob@example.org", "--details")
    shown = json_out(capsys, "credential", "show", "--issuer", "acme", ada["public_url"])
    assert (shown["name"], shown["state"], shown["external_id"]) == (ada["name"], "active", "order-17")
    assert shown["urls"]["verify"] == ada["verify_url"]
    json_out(capsys, "revoke", "--issuer", "acme", bob["name"], "--reason", "oops")
    found = json_out(capsys, "credential", "list", "--issuer", "acme", "--external-id", "order-17")
    assert [c["name"] for c in found["credentials"]] == [ada["name"]]
    revoked = json_out(capsys, "credential", "list", "--issuer", "acme", "--state", "revoked")
    assert [c["name"] for c in revoked["credentials"]] == [bob["name"]]
    listing = ["credential", "list", "--issuer", "acme"]
    by_recipient = json_out(capsys, *listing, "--recipient", "BOB@example.org")
    assert [c["name"] for c in by_recipient["credentials"]] == [bob["name"]]
    page = json_out(capsys, "credential", "list", "--issuer", "acme", "--limit", "1")
    assert len(page["credentials"]) == 1
    assert page["next_cursor"] is not None
    code, out, _ = run(capsys, "credential", "list", "--issuer", "acme", "--limit", "1", "--all")
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    assert sorted(c["name"] for c in lines) == sorted([ada["name"], bob["name"]])
    code, out, err = run(capsys, "credential", "show", "--issuer", "acme", "nope")
    assert (code, out) == (2, "")
    assert err.startswith("error: ")
    code, out, err = run(capsys, "credential", "list", "--issuer", "acme", "--limit", "0")
    assert (code, out) == (2, "")
    assert "limit" in err


ACHIEVE = [
    "achievement",
    "create",
    "--issuer",
    "acme",
    "--name",
    "n",
    "--description",
    "d",
    "--criteria",
    "c",
]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["issue", "--issuer", "nobody", "--achievement", "x", "--recipient", "a@b.org"], "no issuer"),
        ([*ISSUE[:-1], "nope"], "recipient.identity"),
        ([*ISSUE, "--valid-until", "soon"], "ISO 8601"),
        ([*ISSUE, "--valid-until", "9999-12-31T23:59:59-01:00"], "--valid-until"),  # past UTC's range
        ([*ISSUE, "--spec", "ob2", "--proof", "jwt"], "proof"),
        ([*ACHIEVE, "--image", "missing.png"], "missing.png"),
        ([*ACHIEVE, "--image", "badge.png", "--alignment", "nourl"], "NAME=URL"),
        (["issue-batch", "missing.csv", *BATCH], "missing.csv: No such file"),
        (["issue-batch", "badge.png", "--format", "csv", *BATCH, "--results", "no/out.jsonl"], "out.jsonl"),
        (["revoke", "--issuer", "acme", "not-a-credential"], "no credential"),
    ],
)
def test_errors_are_one_line_exit_2(
    acme: dict[str, Any], capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, out, err = run(capsys, *argv)
    assert (code, out) == (2, "")
    assert err.startswith("error: ")
    assert err.count("\n") == 1
    assert message in err


def test_usage_errors_exit_2(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["issue", "--issuer", "acme"])
    assert caught.value.code == 2
    assert "required" in capsys.readouterr().err


def test_issuer_create_needs_a_public_url(
    env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BADGEKILN_PUBLIC_URL")
    create = ["issuer", "create", "--name", "A", "--url", "https://a.example"]
    code, _, err = run(capsys, *create)
    assert code == 2
    assert "--public-url" in err
    assert json_out(capsys, *create, "--public-url", "http://127.0.0.1:8080")["kind"] == "url"


def test_issue_batch(acme: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    Path("rows.csv").write_text("recipient,name\nada@example.org,Ada\nnot-an-email,Bob\ncy@example.org,Cy\n")
    code, out, err = run(capsys, "issue-batch", "rows.csv", *BATCH)
    assert code == 1  # one row failed
    assert [json.loads(line)["ok"] for line in out.splitlines()] == [True, False, True]
    assert "3 rows: 2 issued, 0 already issued, 1 failed" in err
    # again, into a results file: issued rows are replayed
    code, out, err = run(
        capsys, "issue-batch", "rows.csv", *BATCH, "--results", "out.jsonl", "--workers", "2"
    )
    assert out == ""
    assert "0 issued, 2 already issued, 1 failed" in err
    results = [json.loads(line) for line in Path("out.jsonl").read_text().splitlines()]
    assert [r.get("replayed") for r in results] == [True, None, True]


def test_issue_batch_input_errors(acme: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    Path("rows.txt").write_text("x")
    code, _, err = run(capsys, "issue-batch", "rows.txt", *BATCH)
    assert code == 2
    assert "--format" in err
    Path("rows.jsonl").write_bytes(b'{"recipient": "\xff"}\n')
    code, _, err = run(capsys, "issue-batch", "rows.jsonl", *BATCH)
    assert code == 2
    assert "UTF-8" in err
    Path("bad.csv").write_text("who\nada@example.org\n")
    code, _, err = run(capsys, "issue-batch", "bad.csv", *BATCH)
    assert code == 2
    assert "recipient" in err


def _tree(root: Path) -> dict[str, tuple[int, int, bytes]]:
    """Every file under ``root``: its size, modification time (ns) and bytes."""
    return {
        str(path.relative_to(root)): (path.stat().st_size, path.stat().st_mtime_ns, path.read_bytes())
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def test_issue_batch_reads_aliases_and_warns_once_about_other_columns(
    acme: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    Path("rows.csv").write_text(
        "E-mail,First Name,Last Name,Department\nada@example.org,Ada,Lovelace,R&D\nbob@example.org,Bob,,Ops\n"
    )
    code, out, err = run(capsys, "issue-batch", "rows.csv", *BATCH)
    assert code == 0, err
    assert [json.loads(line)["ok"] for line in out.splitlines()] == [True, True]
    assert err.splitlines()[0] == "warning: ignoring column(s) badgekiln does not use: 'Department'"
    assert err.count("warning:") == 1
    Path("rows.csv").write_text("email,Recipient\nada@example.org,ada@example.org\n")
    code, out, err = run(capsys, "issue-batch", "rows.csv", *BATCH)
    assert (code, out) == (2, "")
    assert err == ("error: the CSV header has both 'email' and 'Recipient' for recipient; keep one of them\n")


def test_issue_batch_dry_run_checks_every_row_and_writes_nothing(
    acme: dict[str, Any], env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    Path("rows.csv").write_text("email,name\nada@example.org,Ada\n")
    assert run(capsys, "issue-batch", "rows.csv", *BATCH)[0] == 0  # Ada's row is issued once
    Path("rows.csv").write_text(
        "email,name,valid_until\nada@example.org,Ada,\nnot-an-email,Bob,\ncy@example.org,Cy,2001-01-01T00:00:00Z\n"
        "dee@example.org,Dee,\n"
    )
    before = _tree(env)
    code, out, err = run(capsys, "issue-batch", "rows.csv", *BATCH, "--dry-run", "--workers", "2")
    assert _tree(env) == before  # not one object created, changed or touched
    assert code == 1
    results = [json.loads(line) for line in out.splitlines()]
    assert [(r["ok"], r.get("would")) for r in results] == [
        (True, "replay"),
        (False, None),
        (False, None),
        (True, "issue"),
    ]
    assert [r["error"]["field"] for r in results if not r["ok"]] == ["recipient.identity", "valid_until"]
    dee = results[3]
    assert dee["dry_run"] is True
    assert dee["recipient"] == "d•••@e•••.org"  # what would be issued, the identity masked
    assert (dee["issuer"], dee["achievement"], dee["spec"], dee["format"], dee["image"]) == (
        "acme",
        "teamwork",
        "ob3",
        "di",
        "png",
    )
    assert "dee@example.org" not in out
    assert (
        err.strip() == "4 rows: 1 would be issued, 1 already issued, 2 invalid (dry run: nothing was written)"
    )
    # a dry run against an unknown achievement is one error line, and still writes nothing
    code, out, err = run(
        capsys, "issue-batch", "rows.csv", "--issuer", "acme", "--achievement", "x", "--dry-run"
    )
    assert _tree(env) == before
    assert code == 1
    assert {json.loads(line)["error"]["code"] for line in out.splitlines()} <= {"not-found", "invalid-field"}


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_progress_bar_shows_rate_elapsed_and_eta_on_a_terminal_only(
    acme: dict[str, Any], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    Path("rows.csv").write_text("recipient\n" + "".join(f"r{i}@example.org\n" for i in range(3)))
    terminal = _Terminal()
    with monkeypatch.context() as patch:
        patch.setattr(sys, "stderr", terminal)
        assert main(["issue-batch", "rows.csv", *BATCH]) == 0
    shown = terminal.getvalue()
    assert "3/3" in shown  # rows done of the rows counted
    assert "row/s" in shown  # rate
    assert "00:00<" in shown or "<00:00" in shown  # elapsed < remaining
    assert "issued=3" in shown
    assert shown.rstrip().endswith("3 rows: 3 issued, 0 already issued, 0 failed")
    code, _, err = run(capsys, "issue-batch", "rows.csv", *BATCH)  # standard error not a terminal
    assert code == 0
    assert err == "3 rows: 0 issued, 3 already issued, 0 failed\n"


def test_the_progress_count_reads_bounded_pieces(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from badgekiln.cli import issue as issue_cli

    rows = tmp_path / "rows.csv"
    rows.write_text("recipient\r\na@example.org\r\n\r\nb@example.org\rc@example.org\n")
    assert issue_cli._count_rows(str(rows), "csv") == 3  # header and blank lines left out
    assert issue_cli._count_rows("-", "csv") is None
    # one line far longer than a read counts once, and is never read whole
    monkeypatch.setattr(issue_cli, "_COUNT_CHUNK", 16)
    rows.write_text('{"recipient": "' + "x" * 1000 + '"}\n{"recipient": "b@example.org"}\n')
    assert issue_cli._count_rows(str(rows), "jsonl") == 2
    # counting stops once the batch is over the row cap (reading refuses it anyway)
    monkeypatch.setattr("badgekiln.issue.batch.MAX_ROWS", 5)
    rows.write_text("r\n" * 100)
    assert issue_cli._count_rows(str(rows), "jsonl") == 6


def test_api_key_create_and_delete(
    acme: dict[str, Any], env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN an admin key and an issuer's key made on the command line
    from badgekiln.issue import verify_api_key

    admin = json_out(capsys, "api-key", "create", "--admin", "--label", "first deploy")
    scoped = json_out(capsys, "api-key", "create", "--issuer", acme["id"])
    store = LocalStore(str(env))
    # THEN each token verifies with its scope, and only its hash is stored
    assert (admin["scope"], admin["issuer"], admin["label"]) == ("admin", None, "first deploy")
    assert verify_api_key(store, admin["token"]).scope == "admin"
    key = verify_api_key(store, scoped["token"])
    assert (key.scope, key.issuer) == ("issuer", "acme")
    secret = scoped["token"].split("_", 2)[2]
    assert secret not in store.get(f"private/api-keys/{scoped['id']}.json").body.decode()
    # AND they are listed, without their secrets (all, or one issuer's)
    listed = json_out(capsys, "api-key", "list")
    assert sorted(k["id"] for k in listed) == sorted([admin["id"], scoped["id"]])
    assert {k["id"]: k["label"] for k in listed}[admin["id"]] == "first deploy"
    assert all(set(k) == {"id", "scope", "issuer", "label", "created"} for k in listed)
    assert [k["id"] for k in json_out(capsys, "api-key", "list", "--issuer", "acme")] == [scoped["id"]]
    assert json_out(capsys, "api-key", "list", "--issuer", acme["id"])[0]["scope"] == "issuer"
    # AND a deleted key no longer verifies, nor is listed
    assert run(capsys, "api-key", "delete", scoped["id"])[0] == 0
    from badgekiln.errors import AuthError

    with pytest.raises(AuthError):
        verify_api_key(store, scoped["token"])
    assert [k["id"] for k in json_out(capsys, "api-key", "list")] == [admin["id"]]
    code, out, err = run(capsys, "api-key", "list", "--issuer", "nobody")
    assert (code, out) == (2, "")
    assert "no issuer" in err
    # AND a key made with --expires-in carries its expiry, listed
    expiring = json_out(capsys, "api-key", "create", "--admin", "--expires-in", "7")
    assert expiring["expires"] > expiring["created"]
    assert verify_api_key(store, expiring["token"]).expires == expiring["expires"]
    assert {k["id"]: k.get("expires") for k in json_out(capsys, "api-key", "list")}[expiring["id"]] == (
        expiring["expires"]
    )


@pytest.mark.parametrize(
    "argv",
    [
        ["api-key", "create"],  # neither --admin nor --issuer
        ["api-key", "create", "--admin", "--issuer", "acme"],
        ["api-key", "create", "--issuer", "nobody"],  # no such issuer
        ["api-key", "create", "--admin", "--label", " "],
        ["api-key", "delete", "not-an-id"],
        ["api-key", "create", "--admin", "--expires-in", "0"],
        ["api-key", "create", "--admin", "--expires-in", "nan"],
        ["api-key", "create", "--admin", "--expires-in", "99999"],  # over the longest lifetime
        ["api-key", "create", "--admin", "--expires-in", "4000000"],  # past what a date can hold
        ["api-key", "create", "--admin", "--expires-in", "1e300"],
    ],
)
def test_api_key_bad_input_exits_2(
    acme: dict[str, Any], capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    try:
        code = main(argv)
    except SystemExit as usage:  # argparse refuses usage errors itself, with the same convention
        code = int(str(usage.code))
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err.startswith("error: ")
    assert err.count("\n") == 1


def test_recipient_type_choices_are_the_request_models(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``--recipient-type`` of ``issue`` and ``credential list`` offers exactly the kinds the
    issuing request accepts, and refuses others with a usage error."""
    from typing import get_args

    from badgekiln.issue.models import RecipientType

    for argv in (["issue", "--help"], ["credential", "list", "--help"]):
        with pytest.raises(SystemExit):
            main(argv)
        out = capsys.readouterr().out
        assert "{" + ",".join(get_args(RecipientType)) + "}" in out
    with pytest.raises(SystemExit) as caught:
        main([*ISSUE, "--recipient-type", "fax"])
    assert caught.value.code == 2
    assert "invalid choice: 'fax'" in capsys.readouterr().err
