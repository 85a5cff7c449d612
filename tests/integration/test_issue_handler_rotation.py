"""The issue function while a rotation retires the KMS key a request is signing with."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from issue import issue_handler

from badgekiln.issue import KeyOptions, credentials, get_issuer, idempotency, rotate_key
from badgekiln.issue.records import IssuerRecord, KeyFamily, idempotency_path, parse_stamp
from badgekiln.keys.signer import Signer
from badgekiln.store import Store
from tests.aws_support import kms_refuses_unusable_keys, mocked_aws
from tests.integration.conftest import Context, problem
from tests.integration.issuing import (
    BADGE_SVG,
    answer,
    request,
    store_fixture,  # noqa: F401  (fixture)
)
from tests.issue_support import seed_acme


@pytest.fixture
def kms_options(store: Store, monkeypatch: pytest.MonkeyPatch) -> Iterator[KeyOptions]:
    """Issuer ``acme`` with its RSA key in (moto's) KMS, refusing keys as real KMS does."""
    with mocked_aws(monkeypatch):
        kms_refuses_unusable_keys(monkeypatch)
        options = KeyOptions(
            kms=True,
            kms_client=boto3.client("kms", region_name="us-east-1"),
            local_kinds=frozenset({"ed25519"}),
        )
        seed_acme(store, BADGE_SVG, keys=options)
        yield options


def _no_waiting(seconds: float) -> None:
    raise AssertionError(f"the repeat waited {seconds} s for a lease")


def _jwt(context: Context, key: str) -> dict[str, Any]:
    body = {"achievement": "teamwork", "recipient": "ada@example.org", "proof": "jwt"}
    result: dict[str, Any] = issue_handler.handler(
        request("issue-credential.json", body=body, headers={"idempotency-key": key}), context
    )
    return result


def test_an_issuance_racing_a_rotation_of_its_kms_key_is_409_key_retired(
    context: Context, store: Store, kms_options: KeyOptions, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer(_jwt(context, "first"), 201)  # rsa-1 has signed: a rotation retires it, kept published
    looked_up = credentials.active_signer

    def rotated_meanwhile(store_: Store, issuer: IssuerRecord, family: KeyFamily) -> Signer:
        signer = looked_up(store_, issuer, family)
        rotate_key(store, "acme", families=("rsa",), keys=kms_options)  # rsa-1 pending deletion
        return signer

    monkeypatch.setattr(credentials, "active_signer", rotated_meanwhile)
    document = problem(_jwt(context, "second"))
    # was 503 SigningError (KMSInvalidStateException) though the request only has to be repeated
    assert (document["status"], document["code"], document["reason"]) == (409, "conflict", "key-retired")
    # the repeat takes the job over at once (the failed request ended its lease; it waited
    # out the 15 s lease before), finishing the very credential the first attempt planned
    record = json.loads(store.get(idempotency_path("acme", "second")).body)
    assert (record["state"], parse_stamp(record["lease"]) <= datetime.now(UTC)) == ("pending", True)
    monkeypatch.setattr(credentials, "active_signer", looked_up)
    monkeypatch.setattr(idempotency.time, "sleep", _no_waiting)
    repeated = answer(_jwt(context, "second"), 201)
    assert repeated["name"] == record["plan"]["name"]
    assert get_issuer(store, "acme").active_key("rsa").name == "rsa-2"
    assert repeated["format"] == "jwt"
