"""A CDK app outside this repository, deployed by the pinned CDK CLI to `python -m localcloud serve`
with nothing but AWS_ENDPOINT_URL and test keys: what the README tells a user to do.

The cloud is the worker's shared one (tests/e2e/cli_cloud.py), never bootstrapped with the CLI: as
the README says, `cdk deploy` needs nothing more. The app's stack is ShopEvents; its dataset group and
trackers are named `shop-...`, and only those are counted."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from localcloud.cdk_cli import cdk_executable
from localcloud.local_env import local_client as client

from ..synthesis_environment import SYNTHESIS_ENVIRONMENT
from .cli_cloud import CliCloud

pytestmark = pytest.mark.slow

APP = textwrap.dedent(
    """
    import aws_cdk as cdk
    from aws_cdk import aws_personalize as personalize
    from personalize_event_tracker import EventTracker

    app = cdk.App()
    stack = cdk.Stack(app, "ShopEvents")
    group = app.node.try_get_context("group")
    EventTracker(
        stack,
        "Clicks",
        dataset_group_arn=group or personalize.CfnDatasetGroup(stack, "Group", name="shop-app").attr_dataset_group_arn,
        event_tracker_name=app.node.try_get_context("name") or "shop-clicks",
    )
    app.synth()
    """
)


def test_an_app_of_its_own_with_only_the_endpoint_and_test_keys(cli_cloud: CliCloud, tmp_path):
    app_dir = tmp_path / "shop-app"
    app_dir.mkdir()
    (app_dir / "app.py").write_text(APP)
    (app_dir / "cdk.json").write_text(json.dumps({"app": f"{sys.executable} app.py"}))
    env = {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "HOME": str(tmp_path / "home"),
        **SYNTHESIS_ENVIRONMENT,
        "AWS_ENDPOINT_URL": cli_cloud.url,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_REGION": "us-east-1",
    }

    def cdk(*args: str, succeed: bool = True) -> str:
        result = subprocess.run(
            [cdk_executable(), *args, "--no-notices"],
            cwd=app_dir,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        output = result.stdout + result.stderr
        assert (result.returncode == 0) == succeed, f"cdk {' '.join(args)}:\n{output}"
        return output

    cdk("deploy", "--require-approval", "never", "--outputs-file", "outputs.json")
    (tracking_id,) = json.loads((app_dir / "outputs.json").read_text())["ShopEvents"].values()
    personalize = client("personalize", cli_cloud.url)

    def trackers() -> dict[str, str]:
        """The app's trackers (named shop-...) on the shared cloud, and their trackingIds."""
        return {
            t["name"]: personalize.describe_event_tracker(eventTrackerArn=t["eventTrackerArn"])["eventTracker"][
                "trackingId"
            ]
            for t in personalize.list_event_trackers()["eventTrackers"]
            if t["name"].startswith("shop-")
        }

    assert trackers() == {"shop-clicks": tracking_id}

    cdk("deploy", "--require-approval", "never", "-c", "name=shop-clicks-v2")
    assert trackers().keys() == {"shop-clicks-v2"}

    # the tracker moved to a dataset group that does not exist: the handler's reason, a rollback
    missing = "arn:aws:personalize:us-east-1:123456789012:dataset-group/shop-missing"
    failed = cdk(
        "deploy", "--require-approval", "never", "-c", "name=shop-clicks-v2", "-c", f"group={missing}", succeed=False
    )
    assert f"Dataset group {missing} does not exist" in failed
    (stack,) = client("cloudformation", cli_cloud.url).describe_stacks(StackName="ShopEvents")["Stacks"]
    assert stack["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    assert trackers().keys() == {"shop-clicks-v2"}

    # a destroy needs only the stack's name: it reads the assembly the last deploy synthesized
    cdk("destroy", "--force", "--app", "cdk.out")
    assert trackers() == {}
