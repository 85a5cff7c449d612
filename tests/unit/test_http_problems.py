"""badgekiln.http.problems: every error has a status, and problem documents have RFC 9457's shape."""

from __future__ import annotations

import inspect
import re
from http import HTTPStatus

import pytest

from badgekiln import errors
from badgekiln.http.problems import (
    STATUS_BY_ERROR,
    TITLE_BY_ERROR,
    internal_error_body,
    problem_body,
    status_for,
    title_for,
)

ALL_ERRORS = [
    cls for _, cls in inspect.getmembers(errors, inspect.isclass) if issubclass(cls, errors.BadgeKilnError)
]


def test_every_error_class_has_an_explicit_status() -> None:
    # adding an error class means deciding its HTTP status in problems.STATUS_BY_ERROR
    missing = [cls.__name__ for cls in ALL_ERRORS if cls not in STATUS_BY_ERROR]
    assert missing == []


def test_every_error_class_has_a_title() -> None:
    missing = [cls.__name__ for cls in ALL_ERRORS if cls not in TITLE_BY_ERROR]
    assert missing == []


@pytest.mark.parametrize("cls", ALL_ERRORS, ids=lambda c: c.__name__)
def test_titles_are_plain_sentences(cls: type[errors.BadgeKilnError]) -> None:
    # for the API's clients: no reStructuredText or Markdown (``field``, :class:, *x*), no
    # parameter syntax, one sentence starting with a capital, never cut off mid-sentence
    title = title_for(cls("x"))
    assert re.fullmatch(r"[A-Z][A-Za-z0-9 ,'()/-]+[a-z)]", title), title
    assert not re.search(r"[`*_:=;]|\bthe$", title), title


def test_subclass_without_entry_takes_its_parent_title() -> None:
    class Special(errors.NotFound):
        code = "special"

    assert title_for(Special("x")) == "No such resource"


@pytest.mark.parametrize("cls", ALL_ERRORS, ids=lambda c: c.__name__)
def test_input_errors_are_4xx(cls: type[errors.BadgeKilnError]) -> None:
    status = status_for(cls("x"))
    if issubclass(cls, errors.InputError | errors.NoBadgeData | errors.ProofError):
        assert 400 <= status < 500


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (errors.NoBadgeData("none"), 422),
        (errors.UnsupportedMediaType("no"), 415),
        (errors.InputTooLarge("big"), 413),
        (errors.NotFound("gone"), 404),
        (errors.Conflict("again"), 409),
        (errors.AuthError("who"), 401),
        (errors.AuthError("not yours", forbidden=True), 403),
        (errors.FetchRefused("no"), 422),
        (errors.FetchFailed("down"), 502),
    ],
)
def test_statuses(error: errors.BadgeKilnError, status: int) -> None:
    assert status_for(error) == status


def test_subclass_without_entry_takes_its_parent_status() -> None:
    class Special(errors.MalformedImage):
        code = "special"

    assert status_for(Special("x")) == HTTPStatus.UNPROCESSABLE_ENTITY


def test_problem_body_shape() -> None:
    error = errors.MalformedImage("bad CRC in IDAT", reason="crc", offset=33, chunk=b"IDAT", status="ignored")
    status, body = problem_body(error)
    assert status == 422
    assert body == {
        "type": "urn:badgekiln:problem:malformed-image",
        "title": "The image breaks its own format",
        "status": 422,
        "detail": "bad CRC in IDAT",
        "code": "malformed-image",
        "reason": "crc",
        "offset": 33,
        "chunk": "b'IDAT'",  # non-JSON values are stringified; reserved members are never overwritten
    }


def test_error_records_keep_structured_details_as_json() -> None:
    # batch rows and failed uploads store to_dict(): lists stay lists (they were a Python repr)
    error = errors.InvalidField.of_errors([{"loc": ("recipient", "identity"), "type": "missing", "msg": "m"}])
    record = error.to_dict()
    assert record["errors"] == [{"loc": ["recipient", "identity"], "type": "missing", "msg": "m"}]
    assert record["errors"] == problem_body(error)[1]["errors"]
    assert errors.MalformedImage("x", chunk=b"IDAT").to_dict()["chunk"] == "b'IDAT'"


def test_problem_details_are_bounded() -> None:
    _, body = problem_body(errors.InvalidField("x", errors=[{"loc": ["a"] * 500, "msg": "m" * 10_000}] * 500))
    assert len(body["errors"]) == 50
    assert len(body["errors"][0]["loc"]) == 50
    assert len(body["errors"][0]["msg"]) == 2000


def test_internal_error_body_names_only_the_request() -> None:
    assert internal_error_body("r-1") == {
        "type": "urn:badgekiln:problem:internal-error",
        "title": "Internal server error",
        "status": 500,
        "detail": "The server could not handle this request; the failure was logged under request id r-1.",
        "code": "internal-error",
        "requestId": "r-1",
    }
