"""The merged OpenAPI document (functions/docs/openapi.json) is valid and says what the API does.

Its staleness is checked in test_docs_handler.py; here the checked-in document is judged as a
client generator would read it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError
from pydantic import BaseModel

from badgekiln.http.baking import BakeRequest
from badgekiln.http.bodies import parse_model
from badgekiln.http.openapi import GATEWAY_MESSAGES, finish_document
from badgekiln.http.rendering import RenderRequest
from badgekiln.issue import models

REPO = Path(__file__).resolve().parent.parent.parent
DOCUMENT: dict[str, Any] = json.loads(
    (REPO / "functions" / "docs" / "openapi.json").read_text(encoding="utf-8")
)
PROBLEM = {"$ref": "#/components/schemas/Problem"}
GATEWAY = {"$ref": "#/components/schemas/GatewayMessage"}


def operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, method, op) for path, ops in DOCUMENT["paths"].items() for method, op in ops.items()]


def test_document_passes_openapi_spec_validator() -> None:
    validate(DOCUMENT)


def test_the_validator_refuses_an_undeclared_path_parameter() -> None:
    # the failure the document had: a public route that declared none of its path's segments
    broken = json.loads(json.dumps(DOCUMENT))
    del broken["paths"]["/issuers/{issuer}/keys/{key}"]["get"]["parameters"]
    with pytest.raises(OpenAPIValidationError, match="Path parameter 'issuer'"):
        validate(broken)


@pytest.mark.parametrize(("path", "method", "operation"), operations())
def test_every_path_parameter_is_declared(path: str, method: str, operation: dict[str, Any]) -> None:
    declared = {p["name"] for p in operation.get("parameters", ()) if p["in"] == "path"}
    assert declared == set(re.findall(r"{(\w+)}", path)), (method, path)


def test_operation_ids_are_readable_and_unique() -> None:
    ids = [op["operationId"] for _, _, op in operations()]
    assert len(ids) == len(set(ids))
    for operation_id in ids:
        assert re.fullmatch(r"[a-z]+(?:[A-Z0-9][a-z0-9]*)*", operation_id), operation_id
    assert DOCUMENT["paths"]["/issuers/{issuer}/credentials"]["post"]["operationId"] == "issueCredential"


@pytest.mark.parametrize(("path", "method", "operation"), operations())
def test_every_operation_declares_success_client_errors_and_throttling(
    path: str, method: str, operation: dict[str, Any]
) -> None:
    statuses = set(operation["responses"])
    assert any(s.startswith("2") for s in statuses), (method, path)
    assert any(s.startswith("4") and s != "429" for s in statuses), (method, path)
    assert operation["responses"]["429"]["content"] == {"application/json": {"schema": GATEWAY}}
    for status, answer in operation["responses"].items():
        if "application/problem+json" in answer.get("content", {}):
            assert answer["content"]["application/problem+json"]["schema"] == PROBLEM, (method, path, status)
        # Powertools' FastAPI-style 422 is not what the functions answer
        assert "HTTPValidationError" not in json.dumps(answer), (method, path, status)


@pytest.mark.parametrize(("path", "method", "operation"), [o for o in operations() if o[2].get("security")])
def test_authenticated_operations_declare_the_gateways_own_401_and_403(
    path: str, method: str, operation: dict[str, Any]
) -> None:
    for status in ("401", "403"):
        assert operation["responses"][status]["content"]["application/json"]["schema"] == GATEWAY


def test_shared_problem_component() -> None:
    problem = DOCUMENT["components"]["schemas"]["Problem"]
    assert problem["required"] == ["type", "title", "status", "detail", "code"]
    gateway = DOCUMENT["components"]["schemas"]["GatewayMessage"]
    assert set(gateway["properties"]["message"]["enum"]) == set(GATEWAY_MESSAGES.values())
    # the exact gateway bodies are spelled out for readers of the description
    for status, message in GATEWAY_MESSAGES.items():
        if status != 500:
            assert f'`{status} {{"message":"{message}"}}`' in DOCUMENT["info"]["description"]


def test_extract_declares_its_200() -> None:
    answer = DOCUMENT["paths"]["/extract"]["post"]["responses"]["200"]
    assert answer["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ExtractResponse"}


def test_issue_declares_the_idempotency_key_header() -> None:
    parameters = DOCUMENT["paths"]["/issuers/{issuer}/credentials"]["post"]["parameters"]
    header = next(p for p in parameters if p["in"] == "header")
    assert header["name"] == "Idempotency-Key"
    assert header["required"] is False
    assert "200" in DOCUMENT["paths"]["/issuers/{issuer}/credentials"]["post"]["responses"]


def test_finish_refuses_a_document_still_using_powertools_validation_schemas() -> None:
    stale = {"text/json": {"schema": {"$ref": "#/components/schemas/ValidationError"}}}
    document = {"paths": {"/x": {"get": {"responses": {"400": {"content": stale}}}}}}
    with pytest.raises(ValueError, match="ValidationError"):
        finish_document(document)


def test_finish_leaves_its_input_alone() -> None:
    document: dict[str, Any] = {"info": {"description": "d"}, "paths": {}}
    finished = finish_document(document)
    assert document == {"info": {"description": "d"}, "paths": {}}
    assert finished["info"]["description"].startswith("d\n\n")


def json_bodies() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, op["requestBody"]["content"]["application/json"]["schema"])
        for path, method, op in operations()
        if "application/json" in op.get("requestBody", {}).get("content", {})
        and op["requestBody"]["content"]["application/json"]["schema"].get("properties")
    ]


@pytest.mark.parametrize(("path", "method", "schema"), json_bodies())
def test_json_request_bodies_have_realistic_examples(path: str, method: str, schema: dict[str, Any]) -> None:
    examples = schema["examples"]
    assert examples, (method, path)
    for example in examples:
        # Swagger UI's placeholder values are what a reader saw before
        assert "string" not in json.dumps(example), (method, path)
        assert set(example) <= set(schema["properties"]), (method, path)
        assert set(schema.get("required", ())) <= set(example), (method, path)


@pytest.mark.parametrize(
    "model",
    [
        models.IssuerInput,
        models.AchievementRequest,
        models.IssueRequest,
        models.UploadRequest,
        models.RotateRequest,
        models.ApiKeyRequest,
        models.StatusChange,
        BakeRequest,
        RenderRequest,
    ],
    ids=lambda model: model.__name__,
)
def test_request_examples_are_accepted(model: type[BaseModel]) -> None:
    examples = model.model_json_schema()["examples"]
    for example in examples:
        parse_model(model, json.loads(json.dumps(example)))
