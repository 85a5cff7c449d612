"""The one request to issue a credential: what the library, the API, the CLI and batch rows read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from badgekiln.errors import InvalidField
from badgekiln.issue.models import BatchRequest, IssueOptions, IssueRequest, UploadRequest, parse

BASE = {"achievement": "teamwork", "recipient": "ada@example.org"}


def test_defaults_and_shorthands() -> None:
    request = parse(
        IssueRequest,
        {
            **BASE,
            "evidence": "https://ada.example/work",
            "credential_id": "Cohort-7",
            "results": {"value": "A"},
        },
    )
    assert (request.spec, request.proof, request.algorithm, request.signed) == ("ob3", None, "RS256", False)
    assert (request.recipient.identity, request.recipient.type, request.recipient.hashed) == (
        "ada@example.org",
        "email",
        True,
    )
    assert [e.id for e in request.evidence or ()] == ["https://ada.example/work"]  # a URL is the id
    assert [r.value for r in request.results or ()] == ["A"]  # one item is a list of one
    assert request.credential_id == "cohort-7"  # case-folded


@pytest.mark.parametrize(
    ("options", "form"),
    [
        ({}, "di"),
        ({"proof": "jwt"}, "jwt"),
        ({"spec": "ob2"}, "hosted"),
        ({"spec": "ob2", "signed": True}, "signed"),
    ],
)
def test_the_form_follows_the_spec(options: dict[str, Any], form: str) -> None:
    assert parse(IssueRequest, {**BASE, **options}).format == form


@pytest.mark.parametrize(
    ("valid_until", "expected"),
    [
        ("2099-01-01T00:00:00Z", datetime(2099, 1, 1, tzinfo=UTC)),
        ("2099-01-01T02:00:00+02:00", datetime(2099, 1, 1, tzinfo=UTC)),  # normalised to UTC
        (datetime(2099, 1, 1, 2, tzinfo=timezone(timedelta(hours=2))), datetime(2099, 1, 1, tzinfo=UTC)),
    ],
)
def test_valid_until_is_read_by_the_one_parser(valid_until: Any, expected: datetime) -> None:
    parsed = parse(IssueRequest, {**BASE, "valid_until": valid_until}).valid_until
    assert parsed == expected
    assert parsed is not None
    assert parsed.tzinfo == UTC


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"valid_until": "2099-01-01"}, "valid_until"),  # no time, no zone
        ({"valid_until": "tomorrow"}, "valid_until"),
        ({"valid_until": 4102444800}, "valid_until"),  # a number is not a date-time
        ({"valid_until": "9999-12-31T23:59:59-01:00"}, "valid_until"),  # past UTC's range
        ({"valid_until": datetime(2099, 1, 1)}, "valid_until"),  # naive
        ({"achievement": ""}, "achievement"),
        ({"recipient": 5}, "recipient"),
        ({"recipient": "not-an-email"}, "recipient.identity"),
        ({"signed": "true"}, "signed"),  # strict: JSON true, not text
        ({"evidence": ["https://ada.example/"] * 51}, "evidence"),
        ({"narrative": "bad \udcff"}, "narrative"),
        ({"credential_id": "../x"}, "credential_id"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_requests_name_their_field(change: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidField) as caught:
        parse(IssueRequest, {**BASE, **change})
    assert caught.value.details["field"] == field


def test_one_spelling_of_the_options() -> None:
    # a batch is the options plus the achievement; an upload adds the file's format; a request
    # adds one recipient: every model carries the same option fields
    options = set(IssueOptions.model_fields)
    assert options == {"spec", "proof", "algorithm", "signed", "image", "personalise"}
    assert set(BatchRequest.model_fields) == options | {"achievement"}
    assert set(UploadRequest.model_fields) == options | {"achievement", "format"}
    assert set(IssueRequest.model_fields) - set(BatchRequest.model_fields) == {
        "recipient",
        "credential_id",
        "evidence",
        "narrative",
        "results",
        "valid_until",
        "external_id",
    }


def test_query_text_is_read_as_the_fields_types_only_when_asked() -> None:
    query = {"achievement": "teamwork", "signed": "true", "spec": "ob2"}
    assert BatchRequest.model_validate(query, strict=False).signed is True
    with pytest.raises(InvalidField):
        parse(BatchRequest, query)


@pytest.mark.parametrize("parser", ["library", "http"])
def test_a_failed_validation_leaves_no_cycle_the_collector_cannot_free(parser: str) -> None:
    """pydantic-core keeps the ValueError a validator raised (its traceback, every frame up the
    stack) where the garbage collector does not look: an InvalidField that kept the
    ValidationError as its context made any cycle through a caller's frame immortal (a warm
    issue function leaked each batch with a bad row, worker threads included)."""
    import gc
    import weakref

    from badgekiln.http.bodies import parse_model
    from badgekiln.issue.models import StatusChange

    class Caller:
        error: InvalidField | None = None

    def fail(caller: Caller) -> None:
        kept = caller  # the frame refers to the caller, which will refer to the error
        try:
            if parser == "library":
                parse(StatusChange, {"reason": "bad\x00text"})
            else:
                parse_model(StatusChange, {"reason": "bad\x00text"})
        except InvalidField as exc:
            kept.error = exc

    caller = Caller()
    fail(caller)
    assert caller.error is not None
    assert caller.error.details["field"] == "reason"
    gone = weakref.ref(caller)
    del caller
    gc.collect()
    assert gone() is None
