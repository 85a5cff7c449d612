"""The report: immutable, ``valid`` derived from the checks, stable JSON form."""

from __future__ import annotations

import dataclasses
import json

import pytest

from badgekiln.verification import Check, Report, Summary
from badgekiln.verification._session import Checks
from badgekiln.verification.report import CHECK_IDS, IssuerIdentity, RegistryEntry
from tests.verify_support import REPORT_KEYS


def _report(*checks: Check) -> Report:
    return Report("ob3", "json", checks)


PASSED_PROOF = Check("signature", "passed", "verified")


@pytest.mark.parametrize(
    ("checks", "valid"),
    [
        ((PASSED_PROOF,), True),
        ((Check("hosted", "passed", "served"),), True),
        ((), False),  # nothing proven
        ((Check("structure", "passed", "ok"),), False),  # no proof check at all
        ((PASSED_PROOF, Check("expiry", "failed", "expired", "expired")), False),
        ((PASSED_PROOF, Check("claims", "warning", "no sub", "no-sub")), True),
        ((PASSED_PROOF, Check("issuer", "skipped", "offline", "offline")), False),  # essential
        ((PASSED_PROOF, Check("status", "skipped", "offline", "offline")), False),  # essential
        ((PASSED_PROOF, Check("schema", "skipped", "not bundled")), True),  # not essential
        ((PASSED_PROOF, Check("endorsements", "warning", "1 of 2 not valid")), True),
        ((Check("signature", "skipped", "offline", "offline"),), False),
    ],
)
def test_valid_is_derived(checks: tuple[Check, ...], valid: bool) -> None:
    assert _report(*checks).valid is valid


def test_endorsements_never_change_valid() -> None:
    # GIVEN a valid report whose only endorsement is not valid
    bad = _report(Check("signature", "failed", "bad", "signature"))
    report = Report("ob3", "json", (PASSED_PROOF,), endorsements=(bad,))
    # THEN the main verdict stands and the sub-report says why
    assert report.valid is True
    assert report.to_dict()["endorsements"][0]["valid"] is False


def test_report_is_immutable() -> None:
    report = _report(PASSED_PROOF)
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.checks = ()  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        PASSED_PROOF.status = "failed"  # type: ignore[misc]


def test_check_and_report_set_every_field_by_position_or_keyword() -> None:
    # their __init__ is written by hand: each field given is the field read, and the defaults hold
    check = Check("issuer", "failed", "not tied", "not-tied")
    assert dataclasses.astuple(check) == ("issuer", "failed", "not tied", "not-tied")
    assert Check(id="issuer", status="failed", message="not tied", code="not-tied") == check
    assert Check("issuer", "passed", "tied").code is None
    values = {
        "spec": "ob2",
        "format": "jwt",
        "checks": (check,),
        "credential": Summary(id="urn:uuid:1"),
        "proof": "jws RS256",
        "endorsements": (_report(),),
        "conformance": (Check("structure", "warning", "no id", "id"),),
        "strict": True,
        "issuer_identity": None,
        "credentials": (_report(PASSED_PROOF),),
    }
    assert [field.name for field in dataclasses.fields(Report)] == list(values)
    by_position = Report(*values.values())  # type: ignore[arg-type]
    assert {name: getattr(by_position, name) for name in values} == values
    assert Report(**values) == by_position  # type: ignore[arg-type]
    assert dataclasses.replace(by_position, proof=None).proof is None
    bare = Report("ob3", "json", ())
    assert (bare.credential, bare.endorsements, bare.strict, bare.credentials) == (None, (), False, ())
    entry = RegistryEntry(name="Acme")
    identity = IssuerIdentity("registry", "did:web:acme.example", "acme.example", "Sandbox", entry, "listed")
    fields = [getattr(identity, field.name) for field in dataclasses.fields(IssuerIdentity)]
    assert fields == ["registry", "did:web:acme.example", "acme.example", "Sandbox", entry, "listed"]
    assert IssuerIdentity("none", None) == IssuerIdentity("none", None, None, None, None, "")


def test_a_session_sets_every_field_by_position() -> None:
    from datetime import UTC, datetime

    from badgekiln.verification import VerifyOptions
    from badgekiln.verification._session import Reads, Session

    options = VerifyOptions(offline=True)
    values = [options, datetime.now(UTC), Reads(options.active_fetcher), 1, False, None, None]
    session = Session(*values)
    assert [getattr(session, field.name) for field in dataclasses.fields(Session)] == values
    assert (session.nested().depth, Session(*values[:3]).pin) == (2, True)


def test_to_dict_key_order_and_round_trip() -> None:
    summary = Summary(
        id="urn:uuid:1",
        type=("VerifiableCredential", "OpenBadgeCredential"),
        issuer={"id": "did:web:issuer.example", "name": "Issuer"},
        achievement={"id": "https://issuer.example/a/1", "name": "A"},
        recipient="did:example:ann",
        issued="2025-01-01T00:00:00Z",
    )
    report = Report(
        "ob3", "png", (PASSED_PROOF, Check("expiry", "failed", "expired", "expired")), summary, "x"
    )
    out = report.to_dict()
    assert list(out) == REPORT_KEYS
    assert list(out["credential"]) == [
        "id",
        "type",
        "issuer",
        "achievement",
        "recipient",
        "issued",
        "expires",
    ]
    assert out["checks"] == [
        {"id": "signature", "status": "passed", "message": "verified"},
        {"id": "expiry", "status": "failed", "message": "expired", "code": "expired"},
    ]
    assert json.loads(json.dumps(out)) == out


@pytest.mark.parametrize(("check_id", "status"), [("nope", "passed"), ("signature", "ok")])
def test_check_refuses_unknown_ids_and_statuses(check_id: str, status: str) -> None:
    with pytest.raises(ValueError):
        Check(check_id, status, "x")  # type: ignore[arg-type]


def test_report_refuses_foreign_checks() -> None:
    with pytest.raises(TypeError):
        Report("ob3", "json", ({"id": "signature"},))  # type: ignore[arg-type]


def test_collector_keeps_the_worse_status_and_orders_checks() -> None:
    checks = Checks()
    checks.failed("expiry", "expired", "expired")
    checks.passed("signature", "verified")
    checks.warning("signature", "another proof ignored", "other-proofs")
    checks.passed("signature", "second verified")
    frozen = checks.freeze()
    assert [c.id for c in frozen] == ["signature", "expiry"]  # CHECK_IDS order, not insertion order
    assert frozen[0].status == "warning"
    assert frozen[0].message == "another proof ignored; verified; second verified"
    assert frozen[0].code == "other-proofs"


def test_marks_and_ids() -> None:
    assert [Check("signature", s, "m").mark for s in ("passed", "failed", "warning", "skipped")] == [
        "✓",
        "✗",
        "!",
        "-",
    ]
    assert len(set(CHECK_IDS)) == len(CHECK_IDS)


@pytest.mark.parametrize(("strict", "status", "valid"), [(False, "warning", True), (True, "failed", False)])
def test_conformance_deviations_warn_unless_strict(strict: bool, status: str, valid: bool) -> None:
    # GIVEN a verified proof and two conformance deviations on one check
    checks = Checks(strict=strict)
    checks.passed("signature", "verified")
    checks.deviation("structure", "the credential has no id", "no-id")
    checks.deviation("structure", "validFrom is missing", "no-start")
    report = checks.report("ob3", "json", None, "x")
    # THEN the check they mark is a warning (a failure when strict), listed one by one
    assert report.check("structure") == Check(
        "structure", status, "the credential has no id; validFrom is missing", "no-id"
    )
    assert [(d.id, d.status, d.code) for d in report.conformance] == [
        ("structure", status, "no-id"),
        ("structure", status, "no-start"),
    ]
    assert (report.valid, report.strict) == (valid, strict)
    assert report.to_dict()["conformance"] == {
        "strict": strict,
        "deviations": [
            {"id": "structure", "status": status, "message": "the credential has no id", "code": "no-id"},
            {"id": "structure", "status": status, "message": "validFrom is missing", "code": "no-start"},
        ],
    }


def test_a_deviation_never_hides_a_failure_of_its_check() -> None:
    checks = Checks()
    checks.failed("structure", "the credential names no issuer", "structure")
    checks.deviation("structure", "the credential has no id", "no-id")
    checks.passed("signature", "verified")
    report = checks.report("ob3", "json", None, "x")
    assert report.check("structure") == Check(
        "structure", "failed", "the credential names no issuer; the credential has no id", "structure"
    )
    assert not report.valid


def test_report_refuses_foreign_deviations() -> None:
    with pytest.raises(TypeError):
        Report("ob3", "json", (PASSED_PROOF,), conformance=({"id": "schema"},))  # type: ignore[arg-type]
