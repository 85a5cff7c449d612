"""The edge of template.yaml, on the SAM translator's output: CloudFront in front of the HTTP API
(what is cached, what is never), stage throttling, the concurrency caps, tracing, SnapStart and
the alarms (docs/serverless-app.md "The edge", docs/capacity.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from badgekiln_server.gateway import load_template

REPO = Path(__file__).resolve().parent.parent.parent
CACHING_DISABLED = {"Fn::FindInMap": ["CloudFrontManaged", "CachePolicies", "CachingDisabled"]}
ALL_VIEWER_EXCEPT_HOST = {
    "Fn::FindInMap": ["CloudFrontManaged", "OriginRequestPolicies", "AllViewerExceptHostHeader"]
}
#: The public functions whose CPU a flood could use up, and their concurrency parameters.
HEAVY = {
    "VerifyFunction": "VerifyConcurrency",
    "PagesFunction": "PagesConcurrency",
    "BakeFunction": "BakeConcurrency",
    "ExtractFunction": "ExtractConcurrency",
    "RenderFunction": "RenderConcurrency",
}
HEAVY_ROUTES = {
    "POST /verify",
    "GET /verify",
    "POST /check",
    "POST /bake",
    "POST /extract",
    "POST /render",
    "GET /v/{issuer}/{credential}",
    "POST /v/{issuer}/{credential}",
    "GET /v/{issuer}/{credential}/image.png",
}


@pytest.fixture(scope="module")
def resources(translated: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = translated["Resources"]
    return found


@pytest.fixture(scope="module")
def distribution(resources: dict[str, Any]) -> dict[str, Any]:
    config: dict[str, Any] = resources["Distribution"]["Properties"]["DistributionConfig"]
    return config


def _behaviour(distribution: dict[str, Any], path: str) -> dict[str, Any]:
    """The cache behaviour CloudFront picks for ``path``: the first pattern that matches."""
    import fnmatch

    for behaviour in distribution["CacheBehaviors"]:
        if fnmatch.fnmatchcase(path, behaviour["PathPattern"]):
            found: dict[str, Any] = behaviour
            return found
    default: dict[str, Any] = distribution["DefaultCacheBehavior"]
    return default


def test_the_distribution_fronts_the_http_api_over_https_only(distribution: dict[str, Any]) -> None:
    (origin,) = distribution["Origins"]
    assert origin["DomainName"] == {"Fn::Sub": "${HttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}"}
    assert origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    assert origin["CustomOriginConfig"]["OriginSSLProtocols"] == ["TLSv1.2"]
    behaviours = [distribution["DefaultCacheBehavior"], *distribution["CacheBehaviors"]]
    assert {b["ViewerProtocolPolicy"] for b in behaviours} <= {"redirect-to-https", "https-only"}
    assert {b["TargetOriginId"] for b in behaviours} == {origin["Id"]}


@pytest.mark.parametrize(
    "path",
    [
        "/verify",
        "/check",
        "/bake",
        "/extract",
        "/render",
        "/issuers",
        "/api-keys",
        "/api-keys/0123",
        "/issuers/acme/achievements",
        "/issuers/acme/keys",
        "/issuers/acme/batches",
        "/issuers/acme/batches/b-1",
        "/issuers/acme/uploads",
        "/issuers/acme/uploads/u-1",
    ],
)
def test_api_and_authorised_routes_are_never_cached_and_get_every_header(
    distribution: dict[str, Any], path: str
) -> None:
    behaviour = _behaviour(distribution, path)
    assert behaviour["CachePolicyId"] == CACHING_DISABLED
    # AllViewerExceptHostHeader passes Authorization on (allowed only without caching), never Host
    assert behaviour["OriginRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST


@pytest.mark.parametrize(
    "path",
    [
        "/.well-known/jwks.json",
        "/issuers/acme",
        "/issuers/acme/profile.json",
        "/issuers/acme/status/1.json",
        "/issuers/acme/credentials/ada-teamwork",
    ],
)
def test_hosted_documents_are_cached_as_the_origin_says_per_caller(
    resources: dict[str, Any], distribution: dict[str, Any], path: str
) -> None:
    behaviour = _behaviour(distribution, path)
    assert behaviour["CachePolicyId"] == {"Ref": "PublicDocumentsCachePolicy"}
    policy = resources["PublicDocumentsCachePolicy"]["Properties"]["CachePolicyConfig"]
    # nothing is kept that the origin did not allow (no-store answers of authorised routes included)
    assert (policy["MinTTL"], policy["DefaultTTL"]) == (0, 0)
    key = policy["ParametersInCacheKeyAndForwardedToOrigin"]
    # negotiated documents: one copy per Accept; authorised answers never shared between callers
    assert key["HeadersConfig"] == {"HeaderBehavior": "whitelist", "Headers": ["Accept", "Authorization"]}
    assert key["CookiesConfig"] == {"CookieBehavior": "none"}


@pytest.mark.parametrize(
    "path", ["/v/acme/ada-teamwork", "/v/acme/ada-teamwork/image.png", "/static/site.css"]
)
def test_pages_are_cached_as_the_origin_says(
    resources: dict[str, Any], distribution: dict[str, Any], path: str
) -> None:
    behaviour = _behaviour(distribution, path)
    assert behaviour["CachePolicyId"] == {"Ref": "PublicPagesCachePolicy"}
    policy = resources["PublicPagesCachePolicy"]["Properties"]["CachePolicyConfig"]
    assert (policy["MinTTL"], policy["DefaultTTL"]) == (0, 0)


def test_cached_behaviours_never_forward_host_or_authorization_by_policy(resources: dict[str, Any]) -> None:
    # Host would make the HTTP API refuse the request; Authorization may only travel in a cache key
    config = resources["PublicOriginRequestPolicy"]["Properties"]["OriginRequestPolicyConfig"]
    headers = {h.lower() for h in config["HeadersConfig"]["Headers"]}
    assert config["HeadersConfig"]["HeaderBehavior"] == "whitelist"
    assert not headers & {"host", "authorization"}
    assert {"content-type", "idempotency-key"} <= headers


def test_every_route_is_throttled_and_the_heavy_ones_lower(resources: dict[str, Any]) -> None:
    (stage,) = (r["Properties"] for r in resources.values() if r["Type"] == "AWS::ApiGatewayV2::Stage")
    assert stage["DefaultRouteSettings"] == {
        "ThrottlingRateLimit": {"Ref": "ApiRateLimit"},
        "ThrottlingBurstLimit": {"Ref": "ApiBurstLimit"},
    }
    assert set(stage["RouteSettings"]) == HEAVY_ROUTES
    for settings in stage["RouteSettings"].values():
        assert settings == {
            "ThrottlingRateLimit": {"Ref": "HeavyRouteRateLimit"},
            "ThrottlingBurstLimit": {"Ref": "HeavyRouteBurstLimit"},
        }
    # every heavy route exists (a setting naming no route fails the stage at deploy time)
    routes = {f"{r.method} {r.path}" for r in load_template(REPO / "template.yaml").routes}
    assert routes >= HEAVY_ROUTES


def test_public_heavy_functions_are_capped_and_issuing_is_not(
    resources: dict[str, Any], translated: dict[str, Any]
) -> None:
    for function, parameter in HEAVY.items():
        reserved = resources[function]["Properties"]["ReservedConcurrentExecutions"]
        condition = f"Reserve{parameter.removesuffix('Concurrency')}"
        assert reserved == {"Fn::If": [condition, {"Ref": parameter}, {"Ref": "AWS::NoValue"}]}
        assert translated["Conditions"][condition] == {"Fn::Not": [{"Fn::Equals": [{"Ref": parameter}, -1]}]}
    defaults = sum(int(translated["Parameters"][p]["Default"]) for p in HEAVY.values())
    # the account's default quota is 1,000, of which 100 must stay unreserved for everything else
    assert defaults <= 1000 - 100 - 300
    for function in ("AuthorizerFunction", "IssueFunction", "AdminFunction", "StatusPublisherFunction"):
        assert "ReservedConcurrentExecutions" not in resources[function]["Properties"]


def test_every_function_is_traced(resources: dict[str, Any]) -> None:
    functions = {k: v["Properties"] for k, v in resources.items() if v["Type"] == "AWS::Lambda::Function"}
    assert {k: f["TracingConfig"] for k, f in functions.items()} == {k: {"Mode": "Active"} for k in functions}
    for function in functions.values():
        assert function["Environment"]["Variables"]["BADGEKILN_TRACING"] == {"Ref": "PowertoolsTracer"}


def test_snapstart_on_the_user_facing_functions_behind_an_alias(
    resources: dict[str, Any], translated: dict[str, Any]
) -> None:
    snapped = {
        k.removesuffix("Function")
        for k, v in resources.items()
        if v["Type"] == "AWS::Lambda::Function" and v["Properties"].get("SnapStart")
    }
    # not the authorizer (answers cached per key), admin (rare), public (behind CloudFront), docs,
    # nor the queue-driven worker and publisher: their cold starts keep no one waiting
    assert snapped == {"Bake", "Extract", "Render", "Verify", "Pages", "Issue"}
    for name in snapped:
        assert resources[f"{name}Function"]["Properties"]["SnapStart"] == {"ApplyOn": {"Ref": "SnapStart"}}
        assert resources[f"{name}FunctionAliaslive"]["Type"] == "AWS::Lambda::Alias"
    parameter = translated["Parameters"]["SnapStart"]
    assert (parameter["Default"], parameter["AllowedValues"]) == (
        "PublishedVersions",
        ["PublishedVersions", "None"],
    )
    # the routes invoke the published alias (SnapStart never applies to $LATEST)
    permissions = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::Lambda::Permission"]
    verify = [p for p in permissions if p["FunctionName"] == {"Ref": "VerifyFunctionAliaslive"}]
    assert len(verify) == 2


def test_custom_domain_and_certificate_are_optional(
    distribution: dict[str, Any], resources: dict[str, Any], translated: dict[str, Any]
) -> None:
    assert distribution["Aliases"] == {
        "Fn::If": ["HasCustomDomain", [{"Ref": "DomainName"}], {"Ref": "AWS::NoValue"}]
    }
    certificate = distribution["ViewerCertificate"]["Fn::If"]
    assert certificate[0] == "HasCustomDomain"
    assert certificate[1]["AcmCertificateArn"] == {"Ref": "CertificateArn"}
    assert certificate[1]["MinimumProtocolVersion"] == "TLSv1.2_2021"
    assert certificate[2] == {"CloudFrontDefaultCertificate": True}
    assert resources["DomainRecord"]["Condition"] == "HasHostedZone"
    for name in ("DomainName", "CertificateArn", "HostedZoneId"):
        assert translated["Parameters"][name]["Default"] == ""
    # with a domain, documents are published under it (unless PublicBaseUrl says otherwise)
    app = load_template(
        REPO / "template.yaml", parameters={"DomainName": "b.example.org", "CertificateArn": "arn:c"}
    )
    assert app.functions["VerifyFunction"].environment["BADGEKILN_PUBLIC_URL"] == "https://b.example.org"
    app = load_template(REPO / "template.yaml", parameters={"DomainName": "b.example.org"})
    assert app.functions["VerifyFunction"].environment["BADGEKILN_PUBLIC_URL"] == ""


def test_alarms(resources: dict[str, Any]) -> None:
    alarms = {k: v["Properties"] for k, v in resources.items() if v["Type"] == "AWS::CloudWatch::Alarm"}
    assert alarms["ApiServerErrorsAlarm"]["MetricName"] == "5xx"
    assert alarms["ApiServerErrorsAlarm"]["Dimensions"] == [{"Name": "ApiId", "Value": {"Ref": "HttpApi"}}]
    assert alarms["UploadDeadLetterAlarm"]["Dimensions"][0]["Value"] == {
        "Fn::GetAtt": ["UploadDeadLetterQueue", "QueueName"]
    }
    assert alarms["StatusPublishLagAlarm"]["MetricName"] == "ApproximateAgeOfOldestMessage"
    assert alarms["StatusPublishLagAlarm"]["Dimensions"][0]["Value"] == {
        "Fn::GetAtt": ["StatusQueue", "QueueName"]
    }

    def throttled(alarm: str) -> set[str]:
        return {
            m["MetricStat"]["Metric"]["Dimensions"][0]["Value"]["Ref"]
            for m in alarms[alarm]["Metrics"]
            if "MetricStat" in m and m["MetricStat"]["Metric"]["MetricName"] == "Throttles"
        }

    assert throttled("PublicThrottlesAlarm") == set(HEAVY)
    assert throttled("IssuingThrottlesAlarm") == {
        "AuthorizerFunction",
        "IssueFunction",
        "AdminFunction",
        "StatusPublisherFunction",
        "WorkerFunction",
    }
    for name in (
        "ApiServerErrorsAlarm",
        "IssuingThrottlesAlarm",
        "PublicThrottlesAlarm",
        "UploadDeadLetterAlarm",
        "StatusPublishLagAlarm",
    ):
        assert alarms[name]["AlarmActions"] == {
            "Fn::If": ["HasAlarmTopic", [{"Ref": "AlarmTopicArn"}], {"Ref": "AWS::NoValue"}]
        }
