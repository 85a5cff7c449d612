"""A verification report in plain words: one status word, its reason, and a sentence per check.

The status word is what a person reads first, so it follows one rule: **Valid** only when the
report is valid; **Revoked**, **Suspended** or **Expired** only for a badge that is otherwise
genuine (its proof and issuer checks held, and the status or expiry check is the one that
failed); **Not valid** for everything else, with the first failing check as the reason. Reasons
and check rows are in plain words ("Revoked by its issuer (issued in error).", "Signed by the
issuer's key"); the verifier's own sentences stay available as each row's detail.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal

from badgekiln.verification.report import PROOF_CHECKS, Check, Report
from badgekiln.web.safety import short_date

__all__ = [
    "CHECK_TITLES",
    "CheckRow",
    "Verdict",
    "check_rows",
    "conformance_rows",
    "plain_words",
    "sentence",
    "verdict",
]

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
#: "revoked by its issuer (<reason>)…": the issuer's own reason, which a reader should see
_ISSUER_REASON: Final = re.compile(r"(?:revoked|suspended) by its issuer \(([^()]{1,300})\)")
# A hosted OB 2.0 assertion the issuer withdrew fails "hosted" with these codes *because* it is
# revoked: that failure says the same thing as the status check.
_REVOKED_HOSTED: Final = frozenset({"gone", "revoked"})


@dataclass(frozen=True, slots=True)
class Verdict:
    """The big word, its tone (for colour, never the only cue) and one sentence of reason."""

    word: Word
    tone: Tone
    reason: str


#: What a check found, for a lay reader, by (check id, status); the technical sentence is folded
#: under it. Missing pairs fall back to "<title>: <status words>". ``{issued}``/``{expires}`` are
#: the badge's dates (``short_date``), filled only when the badge states them.
_PLAIN: Final[Mapping[tuple[str, str], str]] = {
    ("version", "passed"): "A badge format badgekiln knows",
    ("version", "failed"): "Not a badge format badgekiln can check",
    ("context", "passed"): "Uses the Open Badges vocabulary",
    ("context", "failed"): "Uses words the Open Badges vocabulary does not define",
    ("structure", "passed"): "Has everything a badge must say",
    ("structure", "failed"): "Is missing something a badge must say",
    ("hosted", "passed"): "Matches the issuer's own copy",
    ("hosted", "failed"): "The issuer's own copy does not confirm it",
    ("signature", "passed"): "Signed by the issuer's key",
    ("signature", "failed"): "The signature does not match: changed, or not signed by its issuer",
    ("signature", "skipped"): "The signature could not be checked",
    ("claims", "passed"): "Its signed details agree",
    ("claims", "failed"): "Its signed details disagree",
    ("issuer", "passed"): "The key belongs to the issuer",
    ("issuer", "failed"): "The key is not shown to belong to the issuer",
    ("issuer", "skipped"): "Whose key it is could not be checked",
    ("status", "passed"): "Not revoked",
    ("status", "failed"): "Revoked or suspended by its issuer",
    ("status", "skipped"): "Whether it was revoked could not be checked",
    ("issued", "passed"): "Valid since {issued}",
    ("issued", "failed"): "Not valid yet",
    ("expiry", "passed"): "Does not expire",
    ("expiry", "failed"): "Expired on {expires}",
    ("schema", "passed"): "Follows the Open Badges format",
    ("recipient", "passed"): "Awarded to the person you named",
    ("recipient", "failed"): "Not awarded to the person you named",
    ("endorsements", "passed"): "Its endorsements check out",
    ("endorsements", "failed"): "An endorsement does not check out",
}


@dataclass(frozen=True, slots=True)
class CheckRow:
    """One check as a page lists it: ``plain`` for everyone, ``title`` and ``sentence`` (the
    verifier's words) as the detail."""

    id: str
    title: str
    status: str
    status_words: str
    mark: str
    sentence: str
    plain: str = ""


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


def _issuer_said(message: str) -> str:
    """The reason an issuer gave for a revocation or suspension, as the check's message quotes
    it ("revoked by its issuer (issued in error): listed in …"), else ``""``."""
    found = _ISSUER_REASON.match(message)
    return f" ({found.group(1)})" if found else ""


def _plain_reason(check: Check, expires: datetime | None) -> str:
    """The reason sentence for a failed ``check``: its plain words where there are some, else
    its title and the verifier's sentence."""
    if (check.id, check.status) not in _PLAIN and check.id != "status":
        return _reason(check)
    words = plain_words(check, expires=expires)
    if words.endswith(": failed"):  # no plain words without the date
        return _reason(check)
    return words + _issuer_said(check.message) + "."


def verdict(report: Report, *, expires: datetime | None = None) -> Verdict:
    """The status word and reason for ``report`` (see the module docstring for the rule); the
    reason in plain words, ``expires`` (the badge's expiry) for "Expired on …"."""
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
            return Verdict(word, "bad", _plain_reason(status, expires))
    expiry = report.check("expiry")
    if (
        expiry is not None
        and expiry.status == "failed"
        and all(c.id == "expiry" for c in failures)
        and any(_holds(c) for c in report.checks if c.id in PROOF_CHECKS)
    ):
        return Verdict("Expired", "warn", _plain_reason(expiry, expires))
    if failures:
        return Verdict("Not valid", "bad", _plain_reason(failures[0], expires))
    skipped = next((c for c in report.checks if c.status == "skipped"), None)
    if skipped is not None:
        return Verdict(
            "Not valid", "bad", f"{CHECK_TITLES[skipped.id]} could not be checked: {skipped.message}"
        )
    return Verdict("Not valid", "bad", "No proof of this badge could be checked.")


def plain_words(check: Check, *, issued: datetime | None = None, expires: datetime | None = None) -> str:
    """What ``check`` found, in words for anyone ("Signed by the issuer's key", "Valid since
    7 December 2026"); a warning keeps its plain words (the detail says what to note)."""
    status = "passed" if check.status == "warning" else check.status
    if check.id == "status" and status == "failed" and check.code in ("revoked", "suspended"):
        return "Revoked by its issuer" if check.code == "revoked" else "Suspended by its issuer"
    if check.id == "status" and status == "passed" and "suspension" in check.message:
        return "Not revoked or suspended"
    if check.id == "expiry" and status == "passed" and expires is not None:
        return f"Valid until {short_date(expires)}"
    words = _PLAIN.get((check.id, status))
    needs = {"issued": issued, "expires": expires}
    if words is None or any(f"{{{name}}}" in words and value is None for name, value in needs.items()):
        return f"{CHECK_TITLES[check.id]}: {_STATUS_WORDS[check.status].lower()}"
    return words.format(**{name: short_date(value) for name, value in needs.items() if value is not None})


def _rows(
    checks: tuple[Check, ...], issued: datetime | None = None, expires: datetime | None = None
) -> tuple[CheckRow, ...]:
    return tuple(
        CheckRow(
            id=check.id,
            title=CHECK_TITLES[check.id],
            status=check.status,
            status_words=_STATUS_WORDS[check.status],
            mark=check.mark,
            sentence=sentence(check.message),
            plain=plain_words(check, issued=issued, expires=expires),
        )
        for check in checks
    )


def check_rows(
    report: Report, *, issued: datetime | None = None, expires: datetime | None = None
) -> tuple[CheckRow, ...]:
    """Every check of ``report``, in the verifier's order, as rows for a page (``issued`` and
    ``expires``: the badge's dates, for "Valid since …" and "Expired on …")."""
    return _rows(report.checks, issued, expires)


def conformance_rows(report: Report) -> tuple[CheckRow, ...]:
    """Each conformance deviation of ``report`` (the checks they mark list them merged)."""
    return _rows(report.conformance)
