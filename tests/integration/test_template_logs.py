"""Logs and SAM conventions of template.yaml (docs/serverless-app.md "Deploying and operating"):
every function's log group and the API's access log are the stack's, with a retention; the access
log names routes, never paths or query strings (recipients stay out of logs); samconfig.toml
holds the SAM CLI defaults the docs promise."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent.parent


@pytest.fixture(scope="module")
def resources(translated: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = translated["Resources"]
    return found


def _functions(resources: dict[str, Any]) -> set[str]:
    return {name for name, r in resources.items() if r["Type"] == "AWS::Lambda::Function"}


def test_every_function_has_its_log_group_with_the_retention(resources: dict[str, Any]) -> None:
    groups = {
        r["Properties"]["LogGroupName"]["Fn::Sub"]: r["Properties"]
        for r in resources.values()
        if r["Type"] == "AWS::Logs::LogGroup" and "Fn::Sub" in r["Properties"]["LogGroupName"]
    }
    functions = _functions(resources)
    assert functions  # the translator's output has them
    for function in functions:
        group = groups.get(f"/aws/lambda/${{{function}}}")
        assert group is not None, f"{function} has no log group of the stack"
        assert group["RetentionInDays"] == {"Ref": "LogRetentionDays"}


def test_retention_parameter_is_a_value_cloudwatch_accepts(translated: dict[str, Any]) -> None:
    parameter = translated["Parameters"]["LogRetentionDays"]
    assert parameter["Default"] in parameter["AllowedValues"]
    assert {1, 30, 365, 3653} <= set(parameter["AllowedValues"])


def test_api_access_log_is_json_by_route_without_paths_or_query_strings(resources: dict[str, Any]) -> None:
    (stage,) = (r for r in resources.values() if r["Type"] == "AWS::ApiGatewayV2::Stage")
    settings = stage["Properties"]["AccessLogSettings"]
    assert settings["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]}
    assert resources["ApiAccessLogGroup"]["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    line = settings["Format"]
    variables = set(re.findall(r"\$context\.[A-Za-z.]+", line))
    assert "$context.routeKey" in variables
    assert "$context.status" in variables
    # the path, the raw query string and the request URL carry recipients and credential ids
    assert not variables & {"$context.path", "$context.rawPath", "$context.rawQueryString"}
    assert not any("querystring" in v.lower() or "path" in v.lower() for v in variables)
    fields = re.sub(r"\$context\.[A-Za-z.]+", "x", line)
    assert isinstance(json.loads(fields), dict)  # one JSON object per line


def test_samconfig_holds_the_documented_defaults() -> None:
    config = tomllib.loads((REPO / "samconfig.toml").read_text())
    default = config["default"]
    assert default["global"]["parameters"]["stack_name"] == "badgekiln"
    deploy = default["deploy"]["parameters"]
    assert deploy["capabilities"] == "CAPABILITY_IAM"
    assert deploy["confirm_changeset"] is True
    assert deploy["resolve_s3"] is True
    assert default["build"]["parameters"] == {"cached": True, "parallel": True}


def test_docs_show_the_sam_commands_with_events_that_exist() -> None:
    docs = (REPO / "docs" / "serverless-app.md").read_text()
    for command in ("sam deploy", "sam sync", "sam logs -n", "sam local invoke"):
        assert command in docs, command
    events = re.findall(r"sam local invoke \w+ -e (events/[\w.-]+)", docs)
    assert events
    for event in events:
        assert (REPO / event).is_file(), event
