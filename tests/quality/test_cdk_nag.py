"""cdk-nag's AwsSolutions pack finds nothing unacknowledged, wherever the stack lives, and every
acknowledgment is needed, narrow and reasoned: the library's on its provider's role, the example
app's each on the construct its finding is about."""

import json
from pathlib import Path

from aws_cdk import Validations
from cdk_nag import AwsSolutionsChecks

from app import (
    ACCESS_LOGS_REASON,
    EXPORT_OBJECTS_WILDCARD_REASON,
    PUT_EVENTS_WILDCARD_REASON,
    RUNTIME_REASON,
    STACK_NAME,
)
from personalize_event_tracker._provider import (
    DATASET_GROUP_WILDCARD_REASON,
    LIST_WILDCARD_REASON,
    TRACKER_WILDCARD_REASON,
)

from .conftest import ACCOUNT, AppBuilder

# The tracker wildcard as each stack resolves it: placeholders where the stack is agnostic.
TRACKER_FINDING = "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:personalize:{region}:{account}:event-tracker/*]"
DATASET_GROUP_FINDING = (
    "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:personalize:{region}:{account}:dataset-group/*]"
)
LIST_FINDING = "AwsSolutions-IAM5[Resource::*]"
REGIONS = {"Bound": "us-east-1", "Virginia": "us-east-1", "Ireland": "eu-west-1"}


def expected_findings(stack: str) -> dict[str, str]:
    region = REGIONS.get(stack, "<AWS::Region>")
    account = ACCOUNT if stack in REGIONS else "<AWS::AccountId>"
    return {
        TRACKER_FINDING.format(region=region, account=account): TRACKER_WILDCARD_REASON,
        DATASET_GROUP_FINDING.format(region=region, account=account): DATASET_GROUP_WILDCARD_REASON,
        LIST_FINDING: LIST_WILDCARD_REASON,
    }


# What the example app accepts around its tracker, as (acknowledged at, finding, reason, the
# violating resource): its ingest function's PutEvents grant and runtime, its export bucket's
# access logs, and the export role's object wildcard.
APP = STACK_NAME
APP_ACKNOWLEDGMENTS = {
    (f"{APP}/IngestFunctionRole", "AwsSolutions-IAM5[Resource::*]", PUT_EVENTS_WILDCARD_REASON),
    (f"{APP}/IngestFunction", "AwsSolutions-L1", RUNTIME_REASON),
    (f"{APP}/ExportBucket", "AwsSolutions-S1", ACCESS_LOGS_REASON),
    (
        f"{APP}/ExportRole",
        "AwsSolutions-IAM5[Resource::<ExportBucket4E99310E.Arn>/exports/*]",
        EXPORT_OBJECTS_WILDCARD_REASON,
    ),
}
APP_VIOLATING = {
    f"{APP}/IngestFunctionRole": f"{APP}/IngestFunctionRole/DefaultPolicy/Resource",
    f"{APP}/IngestFunction": f"{APP}/IngestFunction/Resource",
    f"{APP}/ExportBucket": f"{APP}/ExportBucket/Resource",
    f"{APP}/ExportRole": f"{APP}/ExportRole/DefaultPolicy/Resource",
}


def test_no_unacknowledged_finding(app_under_review: AppBuilder, tmp_path: Path) -> None:
    # GIVEN the AwsSolutions pack as a policy validation plugin (cdk-nag 3)
    app, stacks = app_under_review(tmp_path)
    Validations.of(app).add_plugins(AwsSolutionsChecks())
    # WHEN synthesized (a finding fails synthesis)
    app.synth()
    # THEN only the three accepted wildcards are reported per stack, acknowledged on its provider's role
    (report,) = json.loads((tmp_path / "validation-report.json").read_text())["pluginReports"]
    assert report["conclusion"] == "success"
    assert report["violations"] == []
    suppressed = report["suppressedViolations"]
    for stack in stacks:
        role = f"{stack}/PersonalizeEventTrackerProvider/Role"
        found = {
            (v["ruleName"], v["reason"])
            for v in suppressed
            if v["acknowledgedAt"] == role
            and [c["constructPath"] for c in v["violatingConstructs"]] == [f"{role}/DefaultPolicy/Resource"]
        }
        assert found == set(expected_findings(stack).items()), stack
    providers = {f"{stack}/PersonalizeEventTrackerProvider/Role" for stack in stacks}
    # AND nothing else is acknowledged but the example app's own, each on what it is about
    others = [v for v in suppressed if v["acknowledgedAt"] not in providers]
    assert {(v["acknowledgedAt"], v["ruleName"], v["reason"]) for v in others} == (
        APP_ACKNOWLEDGMENTS if STACK_NAME in stacks else set()
    )
    for v in others:
        assert [c["constructPath"] for c in v["violatingConstructs"]] == [APP_VIOLATING[v["acknowledgedAt"]]]


def test_each_acknowledgment_is_reasoned() -> None:
    reasons = [TRACKER_WILDCARD_REASON, DATASET_GROUP_WILDCARD_REASON, LIST_WILDCARD_REASON]
    reasons += [reason for _, _, reason in APP_ACKNOWLEDGMENTS]
    assert all(len(reason) > 40 for reason in reasons)
