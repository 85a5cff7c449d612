"""badgekiln.web.verdict: the status word, its reason and the check rows of a report."""

from __future__ import annotations

import pytest

from badgekiln.verification.report import CHECK_IDS, Check, Report
from badgekiln.web.verdict import CHECK_TITLES, check_rows, sentence, verdict


def report(*checks: tuple[str, str, str, str | None], spec: str = "ob3") -> Report:
    return Report(spec, "png", tuple(Check(i, s, m, c) for i, s, m, c in checks))  # type: ignore[arg-type]


SIGNED = ("signature", "passed", "eddsa-rdfc-2022 proof verified", None)
ISSUER = ("issuer", "passed", "the key's controller is the issuer", None)
STATUS_OK = ("status", "passed", "not revoked", None)


def test_every_check_id_has_a_title() -> None:
    assert set(CHECK_TITLES) == set(CHECK_IDS)


def test_valid() -> None:
    found = verdict(report(SIGNED, ISSUER, STATUS_OK))
    assert (found.word, found.tone, found.reason) == ("Valid", "good", "Every check passed.")


def test_valid_with_warnings_says_how_many() -> None:
    found = verdict(
        report(SIGNED, ISSUER, STATUS_OK, ("schema", "warning", "not checked", "schema-not-checked"))
    )
    assert found.word == "Valid"
    assert found.reason == "Every check passed; 1 check passed with a warning."


@pytest.mark.parametrize(("code", "word"), [("revoked", "Revoked"), ("suspended", "Suspended")])
def test_a_genuine_badge_with_a_failed_status_is_revoked_or_suspended(code: str, word: str) -> None:
    found = verdict(report(SIGNED, ISSUER, ("status", "failed", f"{code} by its issuer: listed", code)))
    assert (found.word, found.tone) == (word, "bad")
    assert found.reason == f"{code.capitalize()} by its issuer."
    # the issuer's own reason, when the check quotes one, is kept for the reader
    said = ("status", "failed", f"{code} by its issuer (issued in error): listed in https://x", code)
    assert (
        verdict(report(SIGNED, ISSUER, said)).reason
        == f"{code.capitalize()} by its issuer (issued in error)."
    )


def test_a_forged_badge_claiming_revocation_is_not_valid() -> None:
    found = verdict(
        report(
            ("signature", "failed", "the signature does not verify", "invalid-signature"),
            ("issuer", "skipped", "not checked: no verified signature", None),
            ("status", "failed", "revoked by its issuer", "revoked"),
        )
    )
    assert found.word == "Not valid"
    assert found.reason == "The signature does not match: changed, or not signed by its issuer."


def test_a_revoked_hosted_assertion_is_revoked() -> None:
    found = verdict(
        report(
            ("hosted", "failed", "https://x.example/a answers 410 Gone: the issuer withdrew it", "gone"),
            ("status", "failed", "revoked: the issuer answers HTTP 410 Gone for the assertion", "revoked"),
            spec="ob2",
        )
    )
    assert found.word == "Revoked"


def test_expired_only_when_expiry_is_the_only_failure() -> None:
    expired = ("expiry", "failed", "expired: validUntil was 2020-01-01T00:00:00Z", "expired")
    assert verdict(report(SIGNED, ISSUER, STATUS_OK, expired)).word == "Expired"
    assert verdict(report(SIGNED, ISSUER, STATUS_OK, expired)).tone == "warn"
    tampered = ("signature", "failed", "the signature does not verify", "invalid-signature")
    assert verdict(report(tampered, STATUS_OK, expired)).word == "Not valid"
    from datetime import UTC, datetime

    when = datetime(2020, 1, 1, tzinfo=UTC)
    assert (
        verdict(report(SIGNED, ISSUER, STATUS_OK, expired), expires=when).reason
        == "Expired on 1 January 2020."
    )
    assert verdict(report(SIGNED, ISSUER, STATUS_OK, expired)).reason == (
        "Expiry: Expired: validUntil was 2020-01-01T00:00:00Z."
    )
    schema = ("schema", "failed", "the badge breaks the schema", "schema")
    assert verdict(report(SIGNED, ISSUER, schema)).reason == "Schema: The badge breaks the schema."


def test_a_skipped_essential_check_is_not_valid_with_its_reason() -> None:
    found = verdict(report(("signature", "skipped", "not checked: offline", "offline")))
    assert found.word == "Not valid"
    assert found.reason == "Signature could not be checked: not checked: offline"


def test_no_proof_at_all_is_not_valid() -> None:
    assert (
        verdict(report(("context", "passed", "fine", None))).reason
        == "No proof of this badge could be checked."
    )


def test_check_rows_keep_order_and_words() -> None:
    rows = check_rows(report(SIGNED, ("status", "skipped", "not checked: offline", "offline")))
    assert [(r.id, r.title, r.status_words, r.mark) for r in rows] == [
        ("signature", "Signature", "Passed", "✓"),
        ("status", "Revocation status", "Not checked", "-"),
    ]
    assert rows[0].sentence == "eddsa-rdfc-2022 proof verified."


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("the signature does not verify", "The signature does not verify."),
        ("validFrom 2026-01-01T00:00:00Z has passed", "validFrom 2026-01-01T00:00:00Z has passed."),
        ("https://x.example/ answers 404", "https://x.example/ answers 404."),
        ("done.", "Done."),
        ("  ", ""),
    ],
)
def test_sentences(message: str, expected: str) -> None:
    assert sentence(message) == expected


def test_every_check_reads_in_plain_words() -> None:
    from datetime import UTC, datetime

    from badgekiln.web.verdict import plain_words

    issued, expires = datetime(2026, 12, 7, 3, 42, tzinfo=UTC), datetime(2027, 1, 9, tzinfo=UTC)
    rows = check_rows(
        report(
            SIGNED,
            ISSUER,
            (
                "status",
                "passed",
                "not revoked: BitstringStatusList https://x/1 #3; not suspension set: …",
                None,
            ),
            ("issued", "passed", "validFrom 2026-12-07T03:42:28Z has passed", None),
            ("expiry", "passed", "the badge does not expire", None),
        ),
        issued=issued,
        expires=expires,
    )
    assert [row.plain for row in rows] == [
        "Signed by the issuer's key",
        "The key belongs to the issuer",
        "Not revoked or suspended",
        "Valid since 7 December 2026",
        "Valid until 9 January 2027",
    ]
    assert rows[0].sentence == "eddsa-rdfc-2022 proof verified."  # the detail keeps the verifier's words

    def plain(check_id: str, status: str, code: str | None = None, **dates: datetime) -> str:
        return plain_words(Check(check_id, status, "m", code), **dates)  # type: ignore[arg-type]

    assert plain("status", "failed", "revoked") == "Revoked by its issuer"
    assert plain("status", "failed", "suspended") == "Suspended by its issuer"
    assert plain("status", "passed") == "Not revoked"
    assert plain("expiry", "failed", expires=expires) == "Expired on 9 January 2027"
    assert plain("expiry", "passed") == "Does not expire"
    # a date the badge does not state is never invented
    assert plain("expiry", "failed") == "Expiry: failed"
    assert plain("issued", "passed") == "Issue date: passed"
    assert plain("signature", "warning") == "Signed by the issuer's key"
    assert plain("schema", "skipped") == "Schema: not checked"
