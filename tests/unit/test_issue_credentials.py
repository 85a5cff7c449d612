"""Issuing credentials: every format verifies, status changes show, idempotency, crash safety.

Verification uses badgekiln.verify with every public object of the store pinned at its URL
(offline): what the verifier sees is exactly what the public function would serve.
"""

from __future__ import annotations

import json
import shutil
import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from badgekiln.baking import extract
from badgekiln.errors import Conflict, InvalidField, NotFound, StoreError
from badgekiln.hosting import layout as paths
from badgekiln.hosting.responses import public_response
from badgekiln.issue import (
    create_achievement,
    create_issuer,
    get_issuer,
    idempotency,
    issue_credential,
    reinstate,
    revoke,
    suspend,
)
from badgekiln.issue.credentials import Issued
from badgekiln.issue.models import StatusChange
from badgekiln.issue.records import RECORD_HEADERS, KeyFamily, credential_record_path, load
from badgekiln.issue.revocation import change_status
from badgekiln.issue.signing import active_signer
from badgekiln.store import LocalStore
from badgekiln.verification import Report, verify
from tests.issue_support import (
    FORMAT_IDS,
    FORMATS,
    TEMPLATE_SVG,
    CrashingStore,
    names,
    public_documents,
    small_png,
)

PUBLIC_URL = "https://badges.example.org"


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with issuer ``acme`` (did:web, suspension on), ``plain`` (no suspension) and
    achievements ``teamwork`` (PNG) and ``template`` (SVG with placeholders); tests copy it."""
    root = tmp_path_factory.mktemp("seeded")
    store = LocalStore(str(root))
    create_issuer(
        store,
        PUBLIC_URL,
        {
            "name": "Acme",
            "url": "https://acme.example",
            "email": "badges@acme.example",
            "suspension": True,
            "slug": "acme",
        },
    )
    create_issuer(store, PUBLIC_URL, {"name": "Plain", "url": "https://plain.example", "slug": "plain"})
    for issuer in ("acme", "plain"):
        create_achievement(
            store,
            issuer,
            {"name": "Teamwork", "description": "Works with others", "criteria": "Peer nominated"},
            small_png(),
        )
    create_achievement(
        store, "acme", {"name": "Template", "description": "Personal", "criteria": "Finish"}, TEMPLATE_SVG
    )
    return root


@pytest.fixture
def store(seeded: Path, tmp_path: Path) -> LocalStore:
    target = tmp_path / "store"
    shutil.copytree(seeded, target)
    return LocalStore(str(target))


def check(store: LocalStore, issued: Issued | bytes | str, **kwargs: Any) -> Report:
    data: bytes | str
    if isinstance(issued, Issued):
        data = issued.image if issued.image is not None else _payload(issued)
    else:
        data = issued
    return verify(data, documents=public_documents(store, PUBLIC_URL), offline=True, **kwargs)


def _payload(issued: Issued) -> str:
    if isinstance(issued.credential, str):
        return issued.credential
    return json.dumps(issued.credential, ensure_ascii=False, separators=(",", ":"))


def failed(report: Report) -> dict[str, str]:
    return {c.id: c.message for c in report.checks if c.status == "failed"}


# --- every format verifies ------------------------------------------------------------------------


@pytest.mark.parametrize("options", FORMATS, ids=FORMAT_IDS)
def test_every_format_verifies_and_names_the_recipient(store: LocalStore, options: dict[str, Any]) -> None:
    # GIVEN an issuer and an achievement  WHEN a credential is issued
    issued = issue_credential(
        store, "acme", {"achievement": "teamwork", "recipient": "ada@example.org", **options}
    )
    # THEN its baked image verifies, for the right recipient only
    report = check(store, issued, recipient="ada@example.org")
    assert report.valid, failed(report)
    assert report.spec == options["spec"]
    assert not check(store, issued, recipient="eve@example.org").valid
    # AND the stored copy is the returned credential, at the public URL
    stored = store.get(paths.classify(issued.public_url.split(PUBLIC_URL + "/", 1)[1]).key).body  # type: ignore[union-attr]
    assert stored.decode() == _payload(issued) or json.loads(stored) == issued.credential
    assert extract(issued.image).payload == _payload(issued)  # type: ignore[arg-type]


def test_ob3_credential_shape(store: LocalStore) -> None:
    until = datetime.now(UTC) + timedelta(days=30)
    issued = issue_credential(
        store,
        "acme",
        {
            "achievement": "teamwork",
            "recipient": "ada@example.org",
            "evidence": ["https://ada.example/work", {"name": "Essay", "narrative": "Wrote it"}],
            "narrative": "Led the team",
            "results": [{"value": "A", "status": "Completed"}],
            "valid_until": until,
        },
    )
    credential = issued.credential
    assert isinstance(credential, dict)
    assert credential["@context"][:2] == [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ]
    assert credential["issuer"]["id"] == "did:web:badges.example.org:issuers:acme"
    assert credential["issuer"]["type"] == ["Profile"]
    (proof,) = credential["proof"]  # an array, as OB 3.0's JSON serialization writes 0..* properties
    assert proof["cryptosuite"] == "eddsa-rdfc-2022"
    assert proof["verificationMethod"] == "did:web:badges.example.org:issuers:acme#ed25519-1"
    subject = credential["credentialSubject"]
    identity = subject["identifier"][0]
    assert identity["hashed"] is True
    assert identity["identityType"] == "emailAddress"
    assert "ada@example.org" not in json.dumps(credential)  # hashed with a random salt
    assert subject["narrative"] == "Led the team"
    assert subject["result"] == [{"type": ["Result"], "value": "A", "status": "Completed"}]
    assert credential["evidence"][0] == {"id": "https://ada.example/work", "type": ["Evidence"]}
    assert credential["validUntil"] == until.strftime("%Y-%m-%dT%H:%M:%SZ")
    # suspension is on for acme: two entries, the same index in two lists
    revocation, suspension = credential["credentialStatus"]
    assert revocation["statusPurpose"] == "revocation"
    assert suspension["statusPurpose"] == "suspension"
    assert revocation["statusListIndex"] == suspension["statusListIndex"]
    report = check(store, issued, recipient="ada@example.org")
    assert report.valid, failed(report)


def test_issuer_without_suspension_gets_one_schema_conformant_status_entry(store: LocalStore) -> None:
    from badgekiln.verification.schema import validate

    until = datetime.now(UTC) + timedelta(days=9)
    full = {
        "evidence": ["https://e.example/1"],
        "results": [{"value": "A"}],
        "narrative": "n",
        "valid_until": until,
    }
    issued = issue_credential(
        store, "plain", {"achievement": "teamwork", "recipient": "ada@example.org", **full}
    )
    assert isinstance(issued.credential, dict)
    assert issued.credential["credentialStatus"]["statusPurpose"] == "revocation"
    # the strict (arrays everywhere) OB 3.0 AchievementCredential JSON Schema accepts it
    schema = "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
    validate(issued.credential, schema, strict_arrays=True)
    report = check(store, issued)
    assert report.valid
    assert not report.warnings, [c.message for c in report.warnings]


def test_vc_jwt_claims(store: LocalStore) -> None:
    from badgekiln.proofs.jws import parse_compact

    until = datetime.now(UTC) + timedelta(days=1)
    issued = issue_credential(
        store,
        "acme",
        {
            "achievement": "teamwork",
            "recipient": {"identity": "did:example:ada", "type": "id", "hashed": False},
            "proof": "jwt",
            "valid_until": until,
        },
    )
    assert isinstance(issued.credential, str)
    token = parse_compact(issued.credential)
    assert token.header == {
        "alg": "RS256",
        "kid": "did:web:badges.example.org:issuers:acme#rsa-1",
        "typ": "JWT",
    }
    claims = json.loads(token.payload)
    assert claims["iss"] == claims["issuer"]["id"]
    assert claims["jti"] == claims["id"] == issued.id
    assert claims["sub"] == "did:example:ada" == claims["credentialSubject"]["id"]
    assert claims["exp"] == int(until.timestamp())
    assert "proof" not in claims
    assert check(store, issued, recipient="did:example:ada").valid


def test_ob2_assertion_shape(store: LocalStore) -> None:
    issued = issue_credential(
        store,
        "acme",
        {"achievement": "teamwork", "recipient": "ada@example.org", "spec": "ob2", "narrative": "Well done"},
    )
    assertion = issued.credential
    assert isinstance(assertion, dict)
    assert assertion["id"] == issued.public_url == issued.id
    assert assertion["verification"] == {"type": "HostedBadge"}
    assert assertion["badge"] == f"{PUBLIC_URL}/issuers/acme/achievements/teamwork/badgeclass.json"
    assert assertion["image"] == issued.image_url
    assert assertion["recipient"]["identity"].startswith("sha256$")
    assert assertion["recipient"]["salt"]
    signed = issue_credential(
        store,
        "acme",
        {"achievement": "teamwork", "recipient": "ada@example.org", "spec": "ob2", "signed": True},
    )
    assert signed.id.startswith("urn:uuid:")
    assert isinstance(signed.credential, str)
    assert signed.credential.count(".") == 2


def test_personalised_svg_template(store: LocalStore) -> None:
    recipient = {"identity": "ada@example.org", "name": "Ada <Lovelace>"}
    as_svg = issue_credential(
        store, "acme", {"achievement": "template", "recipient": recipient, "personalise": True}
    )
    assert as_svg.image_format == "svg"
    assert as_svg.image is not None
    assert b"Ada &lt;Lovelace&gt;" in as_svg.image  # escaped as text, never markup
    as_png = issue_credential(
        store,
        "acme",
        {"achievement": "template", "recipient": recipient, "personalise": True, "image": "png"},
    )
    assert as_png.image_format == "png"
    assert as_png.image is not None
    assert as_png.image.startswith(b"\x89PNG")
    for issued in (as_svg, as_png):
        assert check(store, issued, recipient="ada@example.org").valid


def test_image_choices(store: LocalStore) -> None:
    none = issue_credential(
        store, "acme", {"achievement": "teamwork", "recipient": "ada@example.org", "image": "none"}
    )
    assert none.image is None
    assert none.image_url is None
    assert check(store, none).valid
    with pytest.raises(InvalidField) as caught:
        issue_credential(
            store, "acme", {"achievement": "teamwork", "recipient": "ada@example.org", "image": "svg"}
        )
    assert caught.value.details["field"] == "image"
    with pytest.raises(InvalidField) as caught:
        issue_credential(
            store, "acme", {"achievement": "teamwork", "recipient": "ada@example.org", "personalise": True}
        )
    assert caught.value.details["field"] == "personalise"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"spec": "ob4"}, "spec"),
        ({"spec": "ob2", "proof": "jwt"}, "proof"),
        ({"spec": "ob3", "signed": True}, "signed"),
        ({"spec": "ob2", "results": [{"value": "A"}]}, "results"),
        ({"proof": "ldp"}, "proof"),
        ({"algorithm": "HS256"}, "algorithm"),
        ({"image": "gif"}, "image"),
        ({"narrative": "  "}, "narrative"),
        ({"narrative": "x" * 10_001}, "narrative"),
        ({"narrative": "bad bytes \udcff from argv"}, "narrative"),  # a lone surrogate
        ({"narrative": "a\x00b"}, "narrative"),
        ({"evidence": [{}]}, "evidence.0"),
        ({"evidence": ["ftp://x"]}, "evidence.0.id"),
        ({"results": [{"status": "Great"}]}, "results.0.status"),
        ({"credential_id": "../../x"}, "credential_id"),
        ({"valid_until": datetime(2020, 1, 1, tzinfo=UTC)}, "valid_until"),
        ({"valid_until": datetime(2099, 1, 1)}, "valid_until"),  # naive
        ({"valid_until": datetime(9999, 12, 31, 23, tzinfo=timezone(-timedelta(hours=2)))}, "valid_until"),
    ],
)
def test_bad_options_name_their_field(store: LocalStore, kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidField) as caught:
        issue_credential(store, "acme", {"achievement": "teamwork", "recipient": "ada@example.org", **kwargs})
    assert caught.value.details["field"] == field
    assert names(store, "private/issuers/acme/credentials/") == []  # nothing half-made


@pytest.mark.parametrize(
    ("recipient", "field"),
    [
        ("not-an-email", "recipient.identity"),
        ({"identity": "ada@example.org", "type": "fax"}, "recipient.type"),
        ({"identity": "123", "type": "telephone"}, "recipient.identity"),
        ({"identity": "did:example:x", "type": "id"}, "recipient.identity"),  # ids are not hashed
        ({"identity": "ada@example.org", "extra": 1}, "recipient.extra"),
        ({"identity": ""}, "recipient.identity"),
    ],
)
def test_bad_recipients(store: LocalStore, recipient: Any, field: str) -> None:
    with pytest.raises(InvalidField) as caught:
        issue_credential(store, "acme", {"achievement": "teamwork", "recipient": recipient})
    assert caught.value.details["field"] == field


def test_unknown_issuer_or_achievement(store: LocalStore) -> None:
    with pytest.raises(NotFound):
        issue_credential(store, "nobody", {"achievement": "teamwork", "recipient": "ada@example.org"})
    with pytest.raises(NotFound):
        issue_credential(store, "acme", {"achievement": "nothing", "recipient": "ada@example.org"})
    with pytest.raises(NotFound):  # another issuer's achievement URL
        issue_credential(
            store,
            "acme",
            {
                "achievement": f"{PUBLIC_URL}/issuers/plain/achievements/teamwork/achievement.json",
                "recipient": "a@b.org",
            },
        )
    issued = issue_credential(
        store,
        "did:web:badges.example.org:issuers:acme",
        {
            "achievement": f"{PUBLIC_URL}/issuers/acme/achievements/teamwork/achievement.json",
            "recipient": "a@b.org",
        },
    )
    assert issued.achievement == "teamwork"


# --- status: revoke, suspend, reinstate ----------------------------------------------------------


@pytest.mark.parametrize("options", FORMATS, ids=FORMAT_IDS)
def test_revoked_and_suspended_fail_reinstated_verify(store: LocalStore, options: dict[str, Any]) -> None:
    issued = issue_credential(
        store, "acme", {"achievement": "teamwork", "recipient": "ada@example.org", **options}
    )
    # WHEN suspended  THEN the status check fails
    assert suspend(store, "acme", issued.id, reason="under review")["state"] == "suspended"
    assert "status" in failed(check(store, issued))
    # WHEN reinstated  THEN it verifies again
    assert reinstate(store, "acme", issued.id)["state"] == "active"
    report = check(store, issued)
    assert report.valid, failed(report)
    # WHEN revoked  THEN the status check fails, with the reason where the spec carries one
    assert revoke(store, "acme", issued.name, reason="issued in error")["state"] == "revoked"
    problems = failed(check(store, issued))
    assert "status" in problems
    if options["spec"] == "ob2":
        assert "issued in error" in problems["status"]


def test_revoked_ob3_is_final_but_ob2_can_be_reinstated(store: LocalStore) -> None:
    ob3 = issue_credential(store, "acme", {"achievement": "teamwork", "recipient": "ada@example.org"})
    revoke(store, "acme", ob3.id)
    with pytest.raises(InvalidField) as caught:
        reinstate(store, "acme", ob3.id)
    assert caught.value.reason == "revoked-final"
    with pytest.raises(InvalidField) as caught:
        suspend(store, "acme", ob3.id)
    assert caught.value.reason == "revoked"
    ob2 = issue_credential(
        store, "acme", {"achievement": "teamwork", "recipient": "ada@example.org", "spec": "ob2"}
    )
    revoke(store, "acme", ob2.id, reason="mistake")
    assert reinstate(store, "acme", ob2.id)["state"] == "active"
    assert check(store, ob2).valid


def test_suspension_needs_an_issuer_with_suspension(store: LocalStore) -> None:
    issued = issue_credential(store, "plain", {"achievement": "teamwork", "recipient": "ada@example.org"})
    with pytest.raises(InvalidField) as caught:
        suspend(store, "plain", issued.id)
    assert caught.value.reason == "no-suspension-entry"
    # OB 2.0 has no status entries to lack: suspension lists it until reinstated
    ob2 = issue_credential(
        store, "plain", {"achievement": "teamwork", "recipient": "ada@example.org", "spec": "ob2"}
    )
    suspend(store, "plain", ob2.id, reason="check")
    assert not check(store, ob2).valid


def test_hosted_assertion_revocation_is_served_as_gone(store: LocalStore) -> None:
    issued = issue_credential(
        store, "acme", {"achievement": "teamwork", "recipient": "ada@example.org", "spec": "ob2"}
    )
    revoke(store, "acme", issued.id, reason="fraud")
    answer = public_response(store, issued.public_url[len(PUBLIC_URL) :])
    assert answer.status == 410
    body = json.loads(answer.body)
    assert body["revoked"] is True
    assert body["revocationReason"] == "fraud"
    assert body["id"] == issued.id
    listed = json.loads(store.get(paths.ob2_revocation_list("acme").key).body)
    assert listed["revokedAssertions"] == [{"id": issued.id, "revocationReason": "fraud"}]
    reinstate(store, "acme", issued.id)
    assert public_response(store, issued.public_url[len(PUBLIC_URL) :]).status == 200
    assert json.loads(store.get(paths.ob2_revocation_list("acme").key).body)["revokedAssertions"] == []


def test_status_changes_are_idempotent_and_named_any_way(store: LocalStore) -> None:
    issued = issue_credential(store, "acme", {"achievement": "teamwork", "recipient": "ada@example.org"})
    list_key = paths.status_list("acme", 0, "revocation").key
    revoke(store, "acme", issued.public_url, reason="one")
    first = store.get(list_key)
    revoke(store, "acme", issued.name, reason="one")  # again: nothing to re-sign
    assert store.get(list_key).etag == first.etag
    assert revoke(store, "acme", issued.name.upper(), reason="two")["reason"] == "two"
    with pytest.raises(NotFound):
        revoke(store, "acme", f"{PUBLIC_URL}/issuers/plain/credentials/{issued.name}.json")
    with pytest.raises(NotFound):
        revoke(store, "acme", "urn:uuid:00000000-0000-4000-8000-000000000000")
    for reason in ("x" * 1001, "  ", "bad bytes \udcff from argv", "a\x00b"):
        with pytest.raises(InvalidField) as caught:
            revoke(store, "acme", issued.name, reason=reason)
        assert caught.value.details["field"] == "reason"


def test_change_status_is_the_one_call_of_the_api(store: LocalStore) -> None:
    issued = issue_credential(store, "acme", {"achievement": "teamwork", "recipient": "ada@example.org"})
    assert change_status(store, "acme", issued.name, "suspend", {"reason": "check"})["state"] == "suspended"
    # reinstate takes no reason; a change is a StatusChange (unknown fields refused)
    for action, change, field in (
        ("reinstate", {"reason": "fine"}, "reason"),
        ("revoke", {"reason": "x" * 1001}, "reason"),
        ("revoke", {"why": "fraud"}, "why"),
    ):
        with pytest.raises(InvalidField) as caught:
            change_status(store, "acme", issued.name, action, change)  # type: ignore[arg-type]
        assert caught.value.details["field"] == field
    assert change_status(store, "acme", issued.name, "reinstate", None)["state"] == "active"
    assert change_status(store, "acme", issued.name, "revoke", StatusChange())["reason"] is None
    with pytest.raises(ValueError, match="action"):
        change_status(store, "acme", issued.name, "delete")  # type: ignore[arg-type]


@pytest.mark.parametrize("body", [b"[]", b"not json", b'"text"'])
def test_a_corrupt_hosted_assertion_stops_revocation_as_a_store_error(store: LocalStore, body: bytes) -> None:
    # (a corrupt OB 3.0 status list is rebuilt from the records: tests/unit/test_issue_revocation.py)
    issued = issue_credential(
        store, "acme", {"achievement": "teamwork", "recipient": "ada@example.org", "spec": "ob2"}
    )
    hosted = paths.assertion("acme", issued.name)
    store.put(hosted.key, body, content_type=hosted.content_type)
    with pytest.raises(StoreError) as caught:
        revoke(store, "acme", issued.name)
    assert caught.value.reason == "corrupt-record"


def test_a_boolean_status_index_is_not_index_one(store: LocalStore) -> None:
    issued = issue_credential(store, "acme", {"achievement": "teamwork", "recipient": "ada@example.org"})
    path = credential_record_path("acme", issued.name)
    record = load(store.get(path))
    store.put(path, json.dumps({**record, "status_index": True}).encode(), **RECORD_HEADERS)
    with pytest.raises(StoreError) as caught:
        revoke(store, "acme", issued.name)
    assert caught.value.reason == "corrupt-record"


# --- idempotency ------------------------------------------------------------------------------------


def test_same_key_same_credential(store: LocalStore) -> None:
    first = issue_credential(
        store, "acme", {"achievement": "teamwork", "recipient": "ada@example.org"}, idempotency_key="order-17"
    )
    again = issue_credential(
        store, "acme", {"achievement": "teamwork", "recipient": "ada@example.org"}, idempotency_key="order-17"
    )
    assert again.replayed
    assert not first.replayed
    assert (again.id, again.credential, again.image) == (first.id, first.credential, first.image)
    assert len(names(store, "private/issuers/acme/credentials/")) == 1
    with pytest.raises(Conflict) as caught:
        issue_credential(
            store,
            "acme",
            {"achievement": "teamwork", "recipient": "bob@example.org"},
            idempotency_key="order-17",
        )
    assert caught.value.reason == "idempotency-mismatch"


def test_caller_given_credential_id_is_idempotent(store: LocalStore) -> None:
    first = issue_credential(
        store,
        "acme",
        {"achievement": "teamwork", "recipient": "ada@example.org", "credential_id": "Cohort-7-ada"},
    )
    assert first.name == "cohort-7-ada"
    assert first.public_url.endswith("/credentials/cohort-7-ada.json")
    again = issue_credential(
        store,
        "acme",
        {"achievement": "teamwork", "recipient": "ada@example.org", "credential_id": "cohort-7-ada"},
    )
    assert again.replayed
    assert again.credential == first.credential
    # the same id under a different idempotency key and body cannot overwrite it
    with pytest.raises(Conflict) as caught:
        issue_credential(
            store,
            "acme",
            {"achievement": "teamwork", "recipient": "eve@example.org", "credential_id": "cohort-7-ada"},
            idempotency_key="other",
        )
    assert caught.value.reason == "exists"
    assert check(store, first, recipient="ada@example.org").valid


@pytest.mark.parametrize("options", [FORMATS[0], FORMATS[3]], ids=["ob3-di", "ob2-hosted"])
def test_concurrent_duplicates_make_one_credential(store: LocalStore, options: dict[str, Any]) -> None:
    results: list[Issued] = []
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def attempt() -> None:
        start.wait()
        try:
            results.append(
                issue_credential(
                    store,
                    "acme",
                    {"achievement": "teamwork", "recipient": "ada@example.org", **options},
                    idempotency_key="dup",
                )
            )
        except BaseException as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len({r.id for r in results}) == 1
    assert len(results) == 8
    assert sum(not r.replayed for r in results) == 1
    assert len(names(store, "private/issuers/acme/credentials/")) == 1
    assert check(store, results[0]).valid


# --- crash between writes -------------------------------------------------------------------------


def _writes(store: LocalStore, options: dict[str, Any]) -> list[str]:
    # the issuer's keys have signed before: a key's first signature also writes the issuer record
    # once, which would make the probe's writes one more than every later issuance's
    issuer = get_issuer(store, "acme")
    families: tuple[KeyFamily, ...] = ("ed25519", "rsa")
    for family in families:
        active_signer(store, issuer, family)
    probe = CrashingStore(store)
    issue_credential(
        probe,
        "acme",
        {"achievement": "teamwork", "recipient": "probe@example.org", **options},
        idempotency_key="probe",
    )
    return probe.log


def _credential_objects(store: LocalStore) -> list[str]:
    kinds = {"credential", "credential-jwt", "assertion", "signed-assertion", "baked-image"}
    found = []
    for key in store.list("public/issuers/acme/"):
        hosted = paths.classify(key[len("public/") :])
        if hosted is not None and hosted.kind in kinds:
            found.append(key)
    return found


@pytest.mark.parametrize("options", FORMATS, ids=FORMAT_IDS)
def test_a_crash_between_any_two_writes_leaves_nothing_half_issued(
    store: LocalStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, options: dict[str, Any]
) -> None:
    # a crashed request's lease lapses at once (instead of after LEASE), so the retry resumes now
    monkeypatch.setattr(idempotency, "LEASE", timedelta(0))
    writes = _writes(store, options)
    assert len(writes) >= 5  # idempotency claim, plan, record, image, credential, done …
    for crash_at in range(1, len(writes) + 1):
        # GIVEN a fresh copy of the store  WHEN issuing crashes before write `crash_at`
        root = tmp_path / f"crash-{crash_at}"
        shutil.copytree(store.root, root)
        fresh = LocalStore(str(root))
        crashing = CrashingStore(fresh, crash_at=crash_at)
        with pytest.raises(StoreError, match="injected crash"):
            issue_credential(
                crashing,
                "acme",
                {"achievement": "teamwork", "recipient": "ada@example.org", **options},
                idempotency_key="k",
            )
        # THEN whatever public credential or image exists is complete: it is revocable (its
        # private record exists) and, for a hosted assertion, its image is there
        for key in _credential_objects(fresh):
            name = key.rsplit("/", 1)[1].rsplit(".", 1)[0]
            record = credential_record_path("acme", name)
            assert fresh.head(record), f"crash at {crash_at}: {key} public without its record"
            if key.endswith(".json") and "/assertions/" in key:
                assert any(
                    k.startswith(key[:-5] + ".") and k != key for k in fresh.list(key.rsplit("/", 1)[0] + "/")
                )
        # AND a hosted assertion that is not yet published does not verify
        # WHEN the same request is retried  THEN it completes the very same credential, once
        issued = issue_credential(
            fresh,
            "acme",
            {"achievement": "teamwork", "recipient": "ada@example.org", **options},
            idempotency_key="k",
        )
        report = check(fresh, issued, recipient="ada@example.org")
        assert report.valid, (crash_at, writes[crash_at - 1], failed(report))
        made = [n for n in names(fresh, "private/issuers/acme/credentials/") if n != "probe"]
        assert len(made) == 2, (crash_at, made)  # the probe's and this one
        assert (
            issue_credential(
                fresh,
                "acme",
                {"achievement": "teamwork", "recipient": "ada@example.org", **options},
                idempotency_key="k",
            ).id
            == issued.id
        )


def test_hosted_assertion_crashed_before_publication_does_not_verify(store: LocalStore) -> None:
    # GIVEN a hosted OB 2.0 issuance that crashes just before the assertion is published
    writes = _writes(store, {"spec": "ob2"})
    last_public = max(i for i, key in enumerate(writes, 1) if key.endswith(".json") and "/assertions/" in key)
    crashing = CrashingStore(store, crash_at=last_public)
    with pytest.raises(StoreError):
        issue_credential(
            crashing,
            "acme",
            {"achievement": "teamwork", "recipient": "ada@example.org", "spec": "ob2"},
            idempotency_key="h",
        )
    # WHEN its baked image (already written) is verified  THEN the hosted copy is missing: not valid
    (image_key,) = [k for k in crashing.log if k.endswith(".png")]
    report = check(store, store.get(image_key).body)
    hosted = report.check("hosted")
    assert not report.valid
    assert hosted is not None
    assert hosted.status != "passed"


def test_a_template_image_is_personalised_even_when_not_asked(store: LocalStore) -> None:
    # GIVEN an SVG achievement image with placeholders WHEN issued without personalise
    # THEN every placeholder is filled (the name blank when none is given), never baked raw
    for recipient in ({"identity": "ada@example.org", "name": "Ada Lovelace"}, "bob@example.org"):
        for image in ("svg", "png"):
            issued = issue_credential(
                store, "acme", {"achievement": "template", "recipient": recipient, "image": image}
            )
            assert issued.image is not None
            if image == "svg":
                baked = issued.image
                assert b"{{" not in baked
                assert b"Template" in baked  # achievement_name
                assert (b"Ada Lovelace" in baked) is isinstance(recipient, dict)
            assert check(store, issued).valid


def test_a_template_that_cannot_be_filled_is_refused_at_creation_and_at_issuance(store: LocalStore) -> None:
    styled = TEMPLATE_SVG.replace(b"</svg>", b"<style>text { fill: {{recipient_name}} }</style></svg>")
    unknown = TEMPLATE_SVG.replace(b"</svg>", b"<text>{{shoe_size}}</text></svg>")
    for bad in (styled, unknown):
        with pytest.raises(InvalidField) as caught:
            create_achievement(store, "acme", {"name": "Bad", "description": "d", "criteria": "c"}, bad)
        assert caught.value.details["field"] == "image"
        assert caught.value.message.startswith("the image is a badge template that cannot be filled: ")
    # one stored before creation checked templates: issuing refuses it, naming the achievement
    from badgekiln.hosting import layout as paths

    store.put(paths.achievement_image("acme", "template", "svg").key, unknown, content_type="image/svg+xml")
    with pytest.raises(InvalidField) as caught:
        issue_credential(store, "acme", {"achievement": "template", "recipient": "ada@example.org"})
    assert caught.value.details["field"] == "achievement"
    assert "badge template that cannot be filled" in caught.value.message


@pytest.mark.parametrize("write", ["claim", "plan", "done"])
def test_an_idempotency_record_write_whose_answer_was_lost_is_not_a_conflict(
    store: LocalStore, monkeypatch: pytest.MonkeyPatch, write: str
) -> None:
    # S3 applied the write and its answer timed out; botocore's retry of the conditional write
    # then found the condition failed (412). Found by fault injection (docs/reliability.md).
    put, seen = store.put, []

    def answer_lost(key: str, body: bytes, **options: Any) -> str:
        etag = put(key, body, **options)
        if "/idempotency/" in key:
            seen.append(key)
            if len(seen) == {"claim": 1, "plan": 2, "done": 3}[write]:
                raise Conflict(
                    "changed or exists already (PreconditionFailed)", key=key, reason="precondition"
                )
        return etag

    monkeypatch.setattr(store, "put", answer_lost)
    request = {"achievement": "teamwork", "recipient": "ada@example.org"}
    first = issue_credential(store, "acme", request, idempotency_key="k-1")
    monkeypatch.setattr(store, "put", put)
    again = issue_credential(store, "acme", request, idempotency_key="k-1")
    assert (again.id, again.replayed) == (first.id, True)
    assert len(list(store.list("private/issuers/acme/credentials/"))) == 1
