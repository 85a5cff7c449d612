"""badgekiln.awsclients: botocore clients from the service data badgekiln ships (botocore_data/).

The data is what scripts/botocore_data.py writes from the installed botocore (stale → fails), each
client reads nothing else and can call exactly its listed operations, and the clients work: the
S3 store, KMS signing, SQS and EventBridge are exercised through them by their own tests (moto).
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest
from botocore.config import Config

from badgekiln import awsclients

REPO = Path(__file__).resolve().parents[2]


def _script() -> object:
    spec = importlib.util.spec_from_file_location("botocore_data", REPO / "scripts" / "botocore_data.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def region(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")


def test_the_shipped_data_is_what_the_script_writes_from_this_botocore() -> None:
    assert _script().stale() == []  # type: ignore[attr-defined]


def test_a_change_to_the_data_is_stale(tmp_path: Path) -> None:
    script = _script()
    for name, data in script.files().items():  # type: ignore[attr-defined]
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(data)
    assert script.stale(tmp_path) == []  # type: ignore[attr-defined]
    (tmp_path / "sqs" / "2012-11-05" / "service-2.json").write_text("{}")
    (tmp_path / "extra.json").write_text("{}")
    assert script.stale(tmp_path) == ["extra.json", "sqs/2012-11-05/service-2.json"]  # type: ignore[attr-defined]


@pytest.mark.usefixtures("region")
@pytest.mark.parametrize("service", sorted(awsclients.OPERATIONS))
def test_each_client_calls_exactly_its_operations_from_the_shipped_data(service: str) -> None:
    client = awsclients.client(service, Config(retries={"max_attempts": 1}))
    model = client.meta.service_model
    assert sorted(model.operation_names) == sorted(awsclients.OPERATIONS[service])
    for operation in awsclients.OPERATIONS[service]:
        method = re.sub(r"(?<!^)(?=[A-Z])", "_", operation).lower()
        assert callable(getattr(client, method)), method
    assert client.meta.region_name == "eu-west-1"
    assert client.meta.endpoint_url.startswith("https://")
    # the loader looks nowhere else (botocore's ~450 services are not listed, nor read)
    loader = awsclients._loader()
    assert loader.search_paths == [str(awsclients.DATA_DIR)]
    assert loader.list_available_services("service-2") == sorted(awsclients.OPERATIONS)


@pytest.mark.usefixtures("region")
@pytest.mark.parametrize("region_name", ["us-east-1", "eu-west-1", "cn-north-1", "us-gov-west-1"])
def test_the_clients_resolve_as_with_botocores_own_data(region_name: str) -> None:
    from botocore.session import get_session

    for service in awsclients.OPERATIONS:
        ours = awsclients.client(service, Config(region_name=region_name))
        stock = get_session().create_client(service, config=Config(region_name=region_name))
        assert ours.meta.endpoint_url == stock.meta.endpoint_url, service
        assert ours.meta.partition == stock.meta.partition, service
    s3 = awsclients.client("s3", Config(region_name=region_name))
    stock = get_session().create_client("s3", config=Config(region_name=region_name))
    assert s3.can_paginate("list_objects_v2")
    conditions = [["content-length-range", 1, 10]]
    form = s3.generate_presigned_post("bucket", "key", Conditions=conditions)
    expected = stock.generate_presigned_post("bucket", "key", Conditions=conditions)  # type: ignore[attr-defined]
    assert form["url"] == expected["url"]
    assert form["fields"].keys() == expected["fields"].keys()


def test_a_service_without_data_is_refused() -> None:
    with pytest.raises(ValueError, match="no botocore data for 'dynamodb'"):
        awsclients.client("dynamodb")
