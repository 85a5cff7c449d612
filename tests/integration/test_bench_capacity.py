"""The capacity bench at a small size (the full run is ``make bench``; docs/capacity.md quotes it):
what it counts per invocation, and the arithmetic that turns counts and durations into prices."""

from __future__ import annotations

import collections
import os
from collections.abc import Iterator

import pytest

from bench.bench_capacity import PRICES, Invocation, Latency, _count, _per_million


@pytest.fixture
def _environment_restored() -> Iterator[None]:
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.mark.usefixtures("_environment_restored")
def test_an_issuance_signs_once_and_a_verification_writes_nothing() -> None:
    counted = _count(2)
    for issued in counted["issue"]:
        assert issued.signatures == 1
        assert issued.calls["s3:PutObject"] >= 1
    for verified in counted["verify"] + counted["public"]:
        assert verified.signatures == 0
        assert set(verified.calls) == {"s3:GetObject"}


def test_prices_per_million_from_counts_and_durations() -> None:
    one = Invocation(
        "issue",
        collections.Counter(
            {"s3:PutObject": 2, "s3:GetObject": 3, "s3:DeleteObject": 1, "sqs:SendMessage": 1}
        ),
        signatures=1,
        seconds=0.010,
        response_bytes=1024,
    )
    cost, figures = _per_million("issue", [one], [one], 1024, Latency(get=0.02, put=0.04), kms=True)
    price = {name: value for name, (value, _) in PRICES.items()}
    billed = 0.010 * 1769 / 1024 + 2 * 0.04 + 3 * 0.02  # CPU share at 1 GB, then the S3 waits
    assert figures["billed_ms"] == pytest.approx(billed * 1000)
    assert (figures["s3_tier1"], figures["s3_tier2"], figures["sqs"]) == (2, 3, 1)  # DeleteObject is free
    assert cost["Lambda"] == pytest.approx(
        1e6 * (price["lambda_request"] + billed * price["lambda_arm_gb_s"])
    )
    assert cost["S3"] == pytest.approx(1e6 * (2 * price["s3_put"] + 3 * price["s3_get"]))
    assert cost["KMS"] == pytest.approx(1e6 * price["kms_sign_ecc"])
    assert cost["API Gateway"] == pytest.approx(1.0)
    without_kms, _ = _per_million("issue", [one], [one], 1024, Latency(get=0.02, put=0.04), kms=False)
    assert without_kms["KMS"] == 0
