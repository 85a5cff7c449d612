"""A verification report in plain words: one status word, its reason, and a sentence per check.

The status word is what a person reads first, so it follows one rule: **Valid** only when the
report is valid; **Revoked**, **Suspended** or **Expired** only for a badge that is otherwise
genuine (its proof and issuer checks held, and the status or expiry check is the one that
failed); **Not valid** for everything else, with the first failing check as the reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

from badgekiln.verification.report import PROOF_CHECKS, Check, Report

__all__ = ["CHECK_TITLES", "CheckRow", "Verdict", "check_rows", "conformance_rows", "sentence", "verdict"]

Word = Literal["Valid", "Revoked", "Suspended", "Expired", "Not valid"]
Tone = Literal["good", "bad", "warn"]

#: What each check is about, in words a visitor understands (a test keeps it in step with CHECK_IDS).
CHECK_TITLES: Final[Mapping[str, str]] = {
    "version": "Badge version",
    "context": "Vocabulary",
    "structure": "Required information",
    "hosted": "Issuer's copy",
    "signature": "Signature",
    "claims": "Token claims",
    "issuer": "Issuer's key",
    "status": "Revocation status",
    "issued": "Issue date",
    "expiry": "Expiry",
    "schema": "Schema",
    "recipient": "Recipient",
    "credentials": "Credentials in this record",
    "endorsements": "Endorsements",
}
_STATUS_WORDS: Final = {
    "passed": "Passed",
    "failed": "Failed",
    "warning": "Warning",
    "skipped": "Not checked",
}
# A hosted OB 2.0 assertion the issuer withdrew fails "hosted" with these codes *because* it is
# revoked: that failure says the same thing as the status check.
_REVOKED_HOSTED: Final = frozenset({"gone", "revoked"})


@dataclass(frozen=True, slots=True)
class Verdict:
    """The big word, its tone (for colour, never the only cue) and one sentence of reason."""

    word: Word
    tone: Tone
    reason: str


@dataclass(frozen=True, slots=True)
class CheckRow:
    """One check as a page lists it."""

    id: str
    title: str
    status: str
    status_words: str
    mark: str
    sentence: str


def sentence(message: str) -> str:
    """A check message as a sentence: ending with a full stop, and capitalised when it starts
    with an ordinary word (never ``validFrom``, ``eddsa-rdfc-2022`` or a URL)."""
    text = message.strip()
    if not text:
        return ""
    first = text.split(maxsplit=1)[0].rstrip(":,;.!?")
    if first.isalpha() and first.islower():
        text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?…" else text + "."


def _reason(check: Check) -> str:
    return f"{CHECK_TITLES[check.id]}: {sentence(check.message)}"


def _holds(check: Check | None) -> bool:
    return check is not None and check.status in ("passed", "warning")


def verdict(report: Report) -> Verdict:
    """The status word and reason for ``report`` (see the module docstring for the rule)."""
    if report.valid:
        warnings = len(report.warnings)
        if warnings:
            noun = "check" if warnings == 1 else "checks"
            return Verdict("Valid", "good", f"Every check passed; {warnings} {noun} passed with a warning.")
        return Verdict("Valid", "good", "Every check passed.")
    failures = report.failures
    status = report.check("status")
    if status is not None and status.status == "failed" and status.code in ("revoked", "suspended"):
        others = [
            c for c in failures if c.id != "status" and not (c.id == "hosted" and c.code in _REVOKED_HOSTED)
        ]
        revoked_hosted = any(c.id == "hosted" and c.code in _REVOKED_HOSTED for c in failures)
        proven = any(_holds(c) for c in report.checks if c.id in PROOF_CHECKS)
        issuer = report.check("issuer")
        if not others and (revoked_hosted or (proven and (issuer is None or _holds(issuer)))):
            word: Word = "Revoked" if status.code == "revoked" else "Suspended"
            return Verdict(word, "bad", sentence(status.message))
    expiry = report.check("expiry")
    if (
        expiry is not None
        and expiry.status == "failed"
        and all(c.id == "expiry" for c in failures)
        and any(_holds(c) for c in report.checks if c.id in PROOF_CHECKS)
    ):
        return Verdict("Expired", "warn", sentence(expiry.message))
    if failures:
        return Verdict("Not valid", "bad", _reason(failures[0]))
    skipped = next((c for c in report.checks if c.status == "skipped"), None)
    if skipped is not None:
        return Verdict(
            "Not valid", "bad", f"{CHECK_TITLES[skipped.id]} could not be checked: {skipped.message}"
        )
    return Verdict("Not valid", "bad", "No proof of this badge could be checked.")


def _rows(checks: tuple[Check, ...]) -> tuple[CheckRow, ...]:
    return tuple(
        CheckRow(
            id=check.id,
            title=CHECK_TITLES[check.id],
            status=check.status,
            status_words=_STATUS_WORDS[check.status],
            mark=check.mark,
            sentence=sentence(check.message),
        )
        for check in checks
    )


def check_rows(report: Report) -> tuple[CheckRow, ...]:
    """Every check of ``report``, in the verifier's order, as rows for a page."""
    return _rows(report.checks)


def conformance_rows(report: Report) -> tuple[CheckRow, ...]:
    """Each conformance deviation of ``report`` (the checks they mark list them merged)."""
    return _rows(report.conformance)
