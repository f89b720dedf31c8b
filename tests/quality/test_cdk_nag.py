"""cdk-nag's AwsSolutions pack finds nothing unacknowledged, wherever the stack lives, and every
acknowledgment is needed, narrow and reasoned."""

import json
from pathlib import Path

from aws_cdk import Validations
from cdk_nag import AwsSolutionsChecks

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
    assert len({v["acknowledgedAt"] for v in suppressed}) == len(stacks)  # nothing else acknowledged


def test_each_acknowledgment_is_reasoned() -> None:
    assert all(
        len(reason) > 40 for reason in (TRACKER_WILDCARD_REASON, DATASET_GROUP_WILDCARD_REASON, LIST_WILDCARD_REASON)
    )
