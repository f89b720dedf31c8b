"""The user's journeys with the unmodified CDK CLI, against a local cloud served as `python -m localcloud up` serves it.

The shell the CLI starts from looks like a developer's with production access: a profile, real-
looking keys and a session token, a config file whose profile would run a credential process, and
an endpoint variable pointing at the real CloudFormation. Everything still goes to the local cloud.

The cloud is the worker's shared one (tests/e2e/cli_cloud.py): the journey's stack is CliJourney,
and every dataset group and tracker it makes or meets is named with its prefix.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from localcloud.local_env import ACCOUNT, REGION
from localcloud.local_env import local_client as client

from .cli_cloud import CliCloud, cdk
from .conftest import VARIANTS_APP, Harness, cdk_synth

pytestmark = pytest.mark.slow

STACK = "CliJourney"
PREFIX = "cli-journey-"  # before the name of every dataset group and tracker of this journey
VARIANTS = ("base", "renamed", "renamed-tagged", "moved-to-existing")
TRACKER_TYPE = "Custom::PersonalizeEventTracker"


@pytest.fixture(scope="session")
def journey_assembly() -> Path:
    """The variants this journey deploys, under its own stack name and names (built once, cached)."""
    context = ["-c", f"stack-name={STACK}", "-c", f"name-prefix={PREFIX}", "-c", f"variants={','.join(VARIANTS)}"]
    return cdk_synth("e2e-cli-journey", "--app", f"{sys.executable} {VARIANTS_APP}", *context)


@pytest.fixture
def production_shell(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """A developer's environment with real-looking credentials; the marker file shows whether
    anything ever consulted the profile (its credential process would create it)."""
    marker = tmp_path / "the-production-profile-was-used"
    config = tmp_path / "aws-config"
    config.write_text(
        "[profile production]\nregion = eu-west-1\n"
        f"credential_process = sh -c 'touch {marker}; exit 1'\n"
        "[default]\nregion = eu-west-1\n"
        f"credential_process = sh -c 'touch {marker}; exit 1'\n"
    )
    credentials = tmp_path / "aws-credentials"
    credentials.write_text("[production]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = x\n")
    shell = {
        **os.environ,
        "AWS_PROFILE": "production",
        "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "AWS_SESSION_TOKEN": "FwoGZXIvYXdzEXAMPLETOKEN",
        "AWS_REGION": "eu-west-1",
        "AWS_CONFIG_FILE": str(config),
        "AWS_SHARED_CREDENTIALS_FILE": str(credentials),
        "AWS_ENDPOINT_URL_CLOUDFORMATION": "https://cloudformation.eu-west-1.amazonaws.com",
        "AWS_ENDPOINT_URL_S3": "https://s3.eu-west-1.amazonaws.com",
    }
    return shell, marker


class Cli:
    """The CDK CLI on the e2e assembly, from the production-like shell, against the local cloud."""

    def __init__(self, url: str, assembly: Path, shell: dict[str, str], home: Path) -> None:
        self.url, self.assembly, self.shell, self.home = url, assembly, shell, home

    def __call__(self, *args: str, expect_success: bool = True) -> str:
        return cdk(
            [*args, "--app", str(self.assembly)], self.url, self.home, inherited=self.shell, succeed=expect_success
        )

    def stack(self) -> dict[str, Any]:
        (found,) = client("cloudformation", self.url).describe_stacks(StackName=STACK)["Stacks"]
        return dict(found)

    def trackers(self) -> dict[str, dict[str, Any]]:
        """The journey's trackers (named with its prefix), described, by name without the prefix."""
        personalize = client("personalize", self.url)
        return {
            summary["name"].removeprefix(PREFIX): personalize.describe_event_tracker(
                eventTrackerArn=summary["eventTrackerArn"]
            )["eventTracker"]
            for summary in personalize.list_event_trackers()["eventTrackers"]
            if summary["name"].startswith(PREFIX)
        }

    def tags(self, arn: str) -> dict[str, str]:
        listed = client("personalize", self.url).list_tags_for_resource(resourceArn=arn)["tags"]
        return {tag["tagKey"]: tag["tagValue"] for tag in listed}


def test_a_users_journey_with_the_cdk_cli(cli_cloud: CliCloud, journey_assembly, production_shell, tmp_path):
    shell, marker = production_shell
    local_cloud = cli_cloud.url
    cdk = Cli(local_cloud, journey_assembly, shell, tmp_path / "home")

    # bootstrap, from this shell: the CDKToolkit stack over the bucket and parameter the local cloud
    # starts with
    assert "bootstrapped" in cdk("bootstrap", f"aws://{ACCOUNT}/{REGION}")
    (toolkit,) = client("cloudformation", local_cloud).describe_stacks(StackName="CDKToolkit")["Stacks"]
    assert toolkit["StackStatus"] in ("CREATE_COMPLETE", "UPDATE_COMPLETE")

    # deploy, the trackingId read from --outputs-file
    outputs_file = tmp_path / "outputs.json"
    cdk("deploy", "E2E-base", "--require-approval", "never", "--outputs-file", str(outputs_file))
    (tracking_id,) = json.loads(outputs_file.read_text())[STACK].values()
    original = cdk.trackers()["clicks"]
    assert (original["status"], original["trackingId"]) == ("ACTIVE", tracking_id)
    assert cdk.stack()["StackId"].startswith(f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{STACK}/")

    # cdk diff shows the pending rename: a property change of the custom resource
    diff = cdk("diff", "E2E-renamed")
    rename = (
        rf"\[~\] {TRACKER_TYPE} Tracker \S+\n\s*└─ \[~\] Name\n"
        rf"\s*├─ \[-\] {PREFIX}clicks\n\s*└─ \[\+\] {PREFIX}clicks-v2\n"
    )
    assert re.search(rename, diff), diff
    assert cdk.trackers().keys() == {"clicks"}  # a diff changes nothing

    # the rename: a new tracker, a new trackingId, the old one deleted
    cdk("deploy", "E2E-renamed", "--require-approval", "never", "--outputs-file", str(outputs_file))
    renamed = cdk.trackers()
    assert renamed.keys() == {"clicks-v2"} and renamed["clicks-v2"]["status"] == "ACTIVE"
    (new_tracking_id,) = json.loads(outputs_file.read_text())[STACK].values()
    assert new_tracking_id == renamed["clicks-v2"]["trackingId"] != tracking_id

    # a tag from Tags.of: the same tracker, retagged in place
    cdk("deploy", "E2E-renamed-tagged", "--require-approval", "never")
    tagged = cdk.trackers()["clicks-v2"]
    assert (tagged["eventTrackerArn"], tagged["trackingId"]) == (
        renamed["clicks-v2"]["eventTrackerArn"],
        new_tracking_id,
    )
    assert cdk.tags(tagged["eventTrackerArn"])["cost-center"] == "42"

    # a failing update: the tracker moves to a dataset group that holds someone else's tracker
    personalize = client("personalize", local_cloud)
    existing = personalize.create_dataset_group(name=f"{PREFIX}held-elsewhere")["datasetGroupArn"]
    Harness.wait(
        lambda: personalize.describe_dataset_group(datasetGroupArn=existing)["datasetGroup"]["status"] == "ACTIVE"
    )
    foreign = personalize.create_event_tracker(name=f"{PREFIX}someone-elses", datasetGroupArn=existing)[
        "eventTrackerArn"
    ]
    failed = cdk("deploy", "E2E-moved-to-existing", "--require-approval", "never", expect_success=False)
    assert f"already has event tracker {foreign}, which this resource does not own" in failed
    assert cdk.stack()["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    after_rollback = cdk.trackers()
    assert after_rollback.keys() == {"clicks-v2", "someone-elses"}
    assert after_rollback["clicks-v2"]["trackingId"] == new_tracking_id
    assert after_rollback["clicks-v2"]["status"] == "ACTIVE"

    # a redeploy of what is deployed makes no change set
    change_sets = client("cloudformation", local_cloud).list_change_sets(StackName=STACK)["Summaries"]
    unchanged = cdk("deploy", "E2E-renamed-tagged", "--require-approval", "never")
    assert "no changes" in unchanged
    assert client("cloudformation", local_cloud).list_change_sets(StackName=STACK)["Summaries"] == change_sets

    # destroy leaves nothing of the stack's, and someone else's tracker untouched
    def own_groups() -> list[str]:
        listed = personalize.list_dataset_groups()["datasetGroups"]
        return sorted(g["datasetGroupArn"] for g in listed if g["name"].startswith(PREFIX))

    def own_roles() -> list[str]:
        roles = client("iam", local_cloud).list_roles()["Roles"]
        return [r["RoleName"] for r in roles if r["RoleName"].startswith(STACK)]

    assert len(own_groups()) == 2 and own_roles()  # the stack's group and the one held elsewhere; its roles
    cdk("destroy", "E2E-renamed-tagged", "--force")
    with pytest.raises(ClientError, match="does not exist"):
        cdk.stack()
    assert cdk.trackers().keys() == {"someone-elses"}
    assert own_groups() == [existing]
    assert own_roles() == []

    # and all of it went to the local cloud: the production profile was never consulted
    assert not marker.exists()
