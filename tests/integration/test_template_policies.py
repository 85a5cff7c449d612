"""Least privilege, checked on the CloudFormation the SAM translator makes of template.yaml.

Each function's role is compared with exactly what it may do (docs/serverless-app.md,
"Policies"): the S3 actions per key prefix, the KMS actions and their conditions, and nothing
else. The upload pipeline (bucket notification → queue with a dead-letter queue → worker with
partial-batch responses) and the authorizer on every issuing route are checked too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from badgekiln_server.gateway import load_template

REPO = Path(__file__).resolve().parent.parent.parent
#: CloudWatch Logs, and X-Ray's write-only policy for active tracing (PutTraceSegments and
#: PutTelemetryRecords, which X-Ray grants on "*" only)
BASIC = [
    "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
]
#: Keys of this stack only: another deployment in the same account has another stack name.
THIS_STACK = {"aws:ResourceTag/badgekiln:stack": {"Ref": "AWS::StackName"}}
ISSUER_KEYS = {
    "StringEquals": THIS_STACK,
    "Null": {"aws:ResourceTag/badgekiln:issuer": "false"},
    "ForAnyValue:StringLike": {"kms:ResourceAliases": {"Fn::Sub": "alias/${AWS::StackName}/*"}},
}


@pytest.fixture(scope="module")
def resources(translated: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = translated["Resources"]
    return found


def _resource(value: Any) -> str:
    """A statement resource as text: ``bucket/public/*``, ``bucket``, ``kms:key/*`` …"""
    if isinstance(value, str):
        return value
    if "Fn::GetAtt" in value:
        names = {
            "BadgeBucket": "bucket",
            "UploadQueue": "upload-queue",
            "StatusQueue": "status-queue",
            "EventBus": "event-bus",
        }
        return names[value["Fn::GetAtt"][0]]
    text = value["Fn::Sub"]
    return text.replace("${BadgeBucket.Arn}", "bucket").replace(
        "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:", "kms:"
    )


def grants(resources: dict[str, Any], function: str) -> dict[tuple[str, str], Any]:
    """``{(action, resource): condition}`` of every Allow in the function's inline policies."""
    role = resources[f"{function}Role"]["Properties"]
    assert role["ManagedPolicyArns"] == BASIC
    found: dict[tuple[str, str], Any] = {}
    for policy in role.get("Policies", []):
        for statement in policy["PolicyDocument"]["Statement"]:
            assert statement["Effect"] == "Allow"
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            targets = (
                statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            )
            for action in actions:
                for target in targets:
                    key = (action, _resource(target))
                    assert key not in found, f"{function}: {key} granted twice"
                    found[key] = statement.get("Condition")
    return found


def s3(actions: str, *prefixes: str) -> dict[tuple[str, str], None]:
    return {(f"s3:{a}", f"bucket/{p}"): None for a in actions.split() for p in prefixes}


LIST_BUCKET = {("s3:ListBucket", "bucket"): None}
SIGN = {("kms:Sign", "kms:key/*"): ISSUER_KEYS, ("kms:GetPublicKey", "kms:key/*"): ISSUER_KEYS}
#: PutEvents on this stack's bus, of events whose source is badgekiln only
EVENTS = {("events:PutEvents", "event-bus"): {"StringEquals": {"events:source": "badgekiln"}}}
ISSUING = s3("GetObject PutObject", "public/*", "private/issuers/*") | s3(
    "GetObject", "private/keys/*", "private/index/*"
)


def test_verify_reads_public_objects_only(resources: dict[str, Any]) -> None:
    # this deployment's own documents come from the store (the site fetcher), the rest over HTTPS
    assert grants(resources, "VerifyFunction") == s3("GetObject", "public/*") | LIST_BUCKET


def test_public_reads_public_objects_only(resources: dict[str, Any]) -> None:
    assert grants(resources, "PublicFunction") == s3("GetObject", "public/*") | LIST_BUCKET


def test_authorizer_reads_api_key_hashes_only(resources: dict[str, Any]) -> None:
    assert grants(resources, "AuthorizerFunction") == s3("GetObject", "private/api-keys/*") | LIST_BUCKET


def test_issue_writes_documents_and_records_and_signs_with_issuer_keys(resources: dict[str, Any]) -> None:
    assert grants(resources, "IssueFunction") == (
        ISSUING
        | s3("GetObject PutObject", "private/uploads/*")
        | LIST_BUCKET
        | SIGN
        | {("sqs:SendMessage", "status-queue"): None}
        | s3("DeleteObject", "private/issuers/*/status/*/due.json", "private/issuers/*/ob2/due.json")
        | EVENTS
    )


POLL = ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes")


def test_status_publisher_signs_status_lists_only(resources: dict[str, Any]) -> None:
    assert grants(resources, "StatusPublisherFunction") == (
        s3("GetObject PutObject", "public/issuers/*/status/*", "public/issuers/*/ob2/revocations.json")
        | s3("GetObject", "private/issuers/*", "private/keys/*")
        | s3("PutObject DeleteObject", "private/issuers/*/status/*", "private/issuers/*/ob2/*")
        # a key's first signature is recorded in the issuer record (issue #14 item 3)
        | s3("PutObject", "private/issuers/*/issuer.json")
        | LIST_BUCKET
        | SIGN
        | {(action, "status-queue"): None for action in (*POLL, "sqs:SendMessage")}
    )


def test_status_pipeline(resources: dict[str, Any]) -> None:
    queue = resources["StatusQueue"]["Properties"]
    assert queue["FifoQueue"] is True  # one publish of a list at a time: its message group
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["StatusDeadLetterQueue", "Arn"]}
    assert resources["StatusDeadLetterQueue"]["Properties"]["FifoQueue"] is True
    publisher = resources["StatusPublisherFunction"]["Properties"]
    assert queue["VisibilityTimeout"] >= 6 * publisher["Timeout"]
    mapping = resources["StatusPublisherEvents"]["Properties"]
    assert mapping["EventSourceArn"] == {"Fn::GetAtt": ["StatusQueue", "Arn"]}
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["BatchSize"] == 1  # lists publish in parallel, each failing alone
    for function in ("IssueFunction", "StatusPublisherFunction"):
        variables = resources[function]["Properties"]["Environment"]["Variables"]
        assert variables["BADGEKILN_STATUS_QUEUE"] == {"Ref": "StatusQueue"}
    # the alarm watches the metric the publisher emits, under its service dimension
    alarm = resources["StatusListRebuiltAlarm"]["Properties"]
    service = publisher["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"]
    assert (alarm["Namespace"], alarm["MetricName"], alarm["Dimensions"]) == (
        "badgekiln",
        "StatusListRebuilt",
        [{"Name": "service", "Value": service}],
    )
    assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (1, "GreaterThanOrEqualToThreshold")


def test_worker_reads_uploads_and_writes_what_issuing_writes(resources: dict[str, Any]) -> None:
    found = grants(resources, "WorkerFunction")
    # SAM adds the queue poller permissions for the SQS event source
    poller = {k: v for k, v in found.items() if k[0].startswith("sqs:")}
    assert {k[1] for k in poller} == {"upload-queue"}
    assert {k[0] for k in poller} <= {
        "sqs:ChangeMessageVisibility",
        "sqs:ChangeMessageVisibilityBatch",
        "sqs:DeleteMessage",
        "sqs:DeleteMessageBatch",
        "sqs:GetQueueAttributes",
        "sqs:ReceiveMessage",
    }
    rest = {k: v for k, v in found.items() if k not in poller}
    assert rest == ISSUING | s3("GetObject PutObject", "private/uploads/*") | LIST_BUCKET | SIGN | EVENTS


def test_event_bus_is_the_stacks_own_and_its_senders_name_it(resources: dict[str, Any]) -> None:
    # a bus of this stack: a rule elsewhere in the account cannot be fed by these functions
    assert resources["EventBus"]["Type"] == "AWS::Events::EventBus"
    assert resources["EventBus"]["Properties"]["Name"] == {"Fn::Sub": "${AWS::StackName}-events"}
    for function in ("IssueFunction", "WorkerFunction"):
        variables = resources[function]["Properties"]["Environment"]["Variables"]
        assert variables["BADGEKILN_EVENT_BUS"] == {"Ref": "EventBus"}
    senders = {
        rid.removesuffix("Role")
        for rid, resource in resources.items()
        if resource["Type"] == "AWS::IAM::Role"
        and any(
            "events:PutEvents" in str(statement["Action"])
            for policy in resource["Properties"].get("Policies", [])
            for statement in policy["PolicyDocument"]["Statement"]
        )
    }
    assert senders == {"IssueFunction", "WorkerFunction"}
    # what could not be sent is alarmed, from both senders' metric
    alarm = resources["EventsNotPublishedAlarm"]["Properties"]
    watched = {
        m["MetricStat"]["Metric"]["Dimensions"][0]["Value"]
        for m in alarm["Metrics"]
        if "MetricStat" in m and m["MetricStat"]["Metric"]["MetricName"] == "EventsNotPublished"
    }
    assert watched == {"issue", "worker"}


def test_admin_manages_issuers_keys_and_api_keys_within_badgekiln_tags(resources: dict[str, Any]) -> None:
    found = grants(resources, "AdminFunction")
    storage = {k: v for k, v in found.items() if k[0].startswith("s3:")}
    assert storage == (
        s3("GetObject PutObject", "public/*", "private/issuers/*", "private/index/*", "private/keys/*")
        | s3("GetObject PutObject DeleteObject", "private/api-keys/*")
        # a rotation destroys retired local keys and deletes withdrawn keys' documents
        | s3("DeleteObject", "private/keys/*", "public/issuers/*/keys/*", "public/issuers/*/ob2/keys/*")
        | LIST_BUCKET
    )
    kms = {k: v for k, v in found.items() if k[0].startswith("kms:")}
    tagged = {"StringEquals": THIS_STACK, "Null": {"aws:ResourceTag/badgekiln:issuer": "false"}}
    tag_keys = {
        "ForAllValues:StringEquals": {"aws:TagKeys": ["badgekiln:stack", "badgekiln:issuer", "badgekiln:key"]}
    }
    request_stack = {"aws:RequestTag/badgekiln:stack": {"Ref": "AWS::StackName"}}
    assert kms == {
        ("kms:CreateKey", "*"): {
            "StringEquals": {
                "kms:KeyUsage": "SIGN_VERIFY",
                "kms:KeySpec": ["ECC_NIST_EDWARDS25519", "ECC_NIST_P256", "RSA_2048", "RSA_3072", "RSA_4096"],
                **request_stack,
            },
            "Null": {"aws:RequestTag/badgekiln:issuer": "false"},
            **tag_keys,
        },
        ("kms:TagResource", "kms:key/*"): {"StringEquals": request_stack, **tag_keys},
        ("kms:CreateAlias", "kms:alias/${AWS::StackName}/*"): None,
        ("kms:CreateAlias", "kms:key/*"): tagged,
        ("kms:GetPublicKey", "kms:key/*"): tagged,
        ("kms:ScheduleKeyDeletion", "kms:key/*"): tagged,
    }
    assert set(found) == set(storage) | set(kms)


def test_no_function_has_wildcard_actions_or_other_services(resources: dict[str, Any]) -> None:
    for rid, resource in resources.items():
        if resource["Type"] != "AWS::IAM::Role":
            continue
        for policy in resource["Properties"].get("Policies", []):
            for statement in policy["PolicyDocument"]["Statement"]:
                actions = (
                    statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                )
                for action in actions:
                    assert "*" not in action, (rid, action)
                    assert action.split(":")[0] in {"s3", "kms", "sqs", "events"}, (rid, action)
                    if statement["Resource"] == "*":
                        assert action == "kms:CreateKey", (rid, action)


def test_upload_pipeline(resources: dict[str, Any]) -> None:
    bucket = resources["BadgeBucket"]
    assert bucket["DependsOn"] == "UploadQueuePolicy"
    (notification,) = bucket["Properties"]["NotificationConfiguration"]["QueueConfigurations"]
    assert notification["Event"] == "s3:ObjectCreated:*"
    assert notification["Queue"] == {"Fn::GetAtt": ["UploadQueue", "Arn"]}
    assert notification["Filter"]["S3Key"]["Rules"] == [
        {"Name": "prefix", "Value": "private/uploads/"},
        {"Name": "suffix", "Value": ".upload"},
    ]
    queue = resources["UploadQueue"]["Properties"]
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": ["UploadDeadLetterQueue", "Arn"]},
        "maxReceiveCount": 3,
    }
    worker = resources["WorkerFunction"]["Properties"]
    assert queue["VisibilityTimeout"] >= 6 * worker["Timeout"]
    mapping = resources["WorkerUploadEvents"]["Properties"]
    assert mapping["EventSourceArn"] == {"Fn::GetAtt": ["UploadQueue", "Arn"]}
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    (statement,) = resources["UploadQueuePolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert (statement["Principal"], statement["Action"]) == (
        {"Service": "s3.amazonaws.com"},
        "sqs:SendMessage",
    )
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}


def test_issuing_and_render_routes_are_behind_the_authorizer_and_public_ones_are_not() -> None:
    app = load_template(REPO / "template.yaml")
    spec = app.authorizers["ApiKeyAuthorizer"]
    assert (spec.function, spec.identity_sources, spec.ttl) == (
        "AuthorizerFunction",
        ("$request.header.authorization",),
        60,
    )
    for route in app.routes:
        authenticated = route.function in {"IssueFunction", "AdminFunction", "RenderFunction"}
        assert (route.authorizer == "ApiKeyAuthorizer") is authenticated, route
